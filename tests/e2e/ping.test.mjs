// Ping / pong and connection liveness: protocol reference 2.2 and 8, checklist 10.2 (#25–#32).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, connectOk } from './lib/harness.mjs';

const PONG = '{"event":"pusher:pong","data":{}}';
const PING = '{"event":"pusher:ping","data":{}}';

// Liveness timers: ping_interval 1 s, pong_timeout 1 s. Section 8.3 allows the server to check on
// a periodic timer with up to 5 s granularity, so waits for server pings allow that slack.
const LIVENESS = { ping_interval: 1, pong_timeout: 1 };
const PING_WAIT_MS = 1000 + 5000 + 1000;
const CLOSE_WAIT_MS = 1000 + 1000 + 5000 + 2000;

describe('client-initiated ping', () => {
  let server;
  before(async () => { server = await startServer(); });
  after(async () => { await server?.stop(); });

  test('{"event":"pusher:ping","data":{}} is answered with exactly {"event":"pusher:pong","data":{}} (10.2 #25)', async () => {
    const c = await connectOk(server);
    c.send(PING);
    const pong = await c.next();
    assert.equal(pong.__raw, PONG);
    assert.equal(pong.__binary, false);
    c.close();
  });

  test('a Java-style ping without data is answered with pusher:pong (10.2 #26)', async () => {
    const c = await connectOk(server);
    c.send('{"event": "pusher:ping"}');
    const pong = await c.next();
    assert.equal(pong.event, 'pusher:pong', `frames seen:\n${c.seen()}`);
    assert.equal(pong.__raw, PONG);
    c.send('{"event":"pusher:ping","data":null}');
    assert.equal((await c.next()).__raw, PONG, 'data null');
    c.close();
  });

  test('a ping with string data is answered with pusher:pong (10.2 #27)', async () => {
    const c = await connectOk(server);
    c.send('{"event":"pusher:ping","data":"{}"}');
    assert.equal((await c.next()).__raw, PONG, 'data "{}"');
    c.send('{"event":"pusher:ping","data":"not json"}');
    assert.equal((await c.next()).__raw, PONG, 'a non-JSON string is treated as an empty object (1.8)');
    c.close();
  });

  test('every ping gets its own pong, in order (2.2)', async () => {
    const c = await connectOk(server);
    for (let i = 0; i < 5; i++) c.send(PING);
    for (let i = 0; i < 5; i++) assert.equal((await c.next()).__raw, PONG);
    // Further server pings may arrive meanwhile (ping_interval is 1 s); nothing else may.
    assert.deepEqual((await c.sync()).filter((f) => f.event !== "pusher:ping"), []);
    c.close();
  });

  test('a pusher:pong from the client needs no reply (2.2)', async () => {
    const c = await connectOk(server);
    c.send(PONG);
    // Further server pings may arrive meanwhile (ping_interval is 1 s); nothing else may.
    assert.deepEqual((await c.sync()).filter((f) => f.event !== "pusher:ping"), []);
    c.close();
  });

  test('a WebSocket protocol ping is answered with a pong carrying the same payload (10.2 #28)', async () => {
    const c = await connectOk(server);
    for (const payload of [Buffer.from('hello-123'), Buffer.alloc(0), Buffer.from([0, 1, 2, 250, 255])]) {
      const idx = c.pongs.length;
      c.ws.ping(payload);
      const pong = await c.nextProtocol('pong', idx);
      assert.deepEqual(pong.payload, payload);
    }
    assert.deepEqual(await c.sync(), [], 'protocol pings produce no Pusher frames');
    c.close();
  });
});

describe('server-initiated ping (ping_interval 1 s, pong_timeout 1 s)', () => {
  let server;
  before(async () => { server = await startServer({ server: LIVENESS }); });
  after(async () => { await server?.stop(); });

  test('after ping_interval without inbound frames the server sends pusher:ping and a protocol ping (10.2 #29)', async () => {
    const c = await connectOk(server);
    const t0 = Date.now();
    const pingIdx = c.pings.length;
    const ping = await c.nextEvent('pusher:ping', undefined, PING_WAIT_MS);
    assert.equal(ping.__raw, PING);
    assert.ok(Date.now() - t0 >= 900, `pinged after ${Date.now() - t0} ms, before ping_interval`);
    await c.nextProtocol('ping', pingIdx, 3000);
    c.close();
  });

  test('a pinged client that sends nothing gets pusher:error 4201 and close 4201 (10.2 #30)', async () => {
    // autoPong: false, or the ws library would answer the protocol ping, which counts as activity.
    const c = await connectOk(server, { autoPong: false });
    const ping = await c.nextEvent('pusher:ping', undefined, PING_WAIT_MS);
    const pingedAt = Date.now();
    const err = await c.nextEvent('pusher:error', undefined, CLOSE_WAIT_MS);
    assert.equal(typeof err.data, 'object', err.__raw);
    assert.equal(err.data.code, 4201, err.__raw);
    assert.ok(Date.now() - pingedAt >= 800, `closed ${Date.now() - pingedAt} ms after the ping, before pong_timeout`);
    const ci = await c.closedWithin(3000);
    assert.equal(ci.code, 4201);
    assert.ok(c.frames.indexOf(ping) < c.frames.indexOf(err));
  });

  test('a client that answers with pusher:pong is not closed (10.2 #31)', async () => {
    const c = await connectOk(server, { autoPong: false });
    for (let i = 0; i < 3; i++) {
      // Each further ping arrives only after the previous one was answered, i.e. after
      // pong_timeout has passed without a 4201.
      await c.nextEvent('pusher:ping', undefined, PING_WAIT_MS);
      c.send(PONG);
    }
    // Further server pings may arrive meanwhile (ping_interval is 1 s); nothing else may.
    assert.deepEqual((await c.sync()).filter((f) => f.event !== "pusher:ping"), []);
    assert.ok(!c.frames.some((f) => f.event === 'pusher:error'), `frames seen:\n${c.seen()}`);
    assert.equal(c.closeInfo, null);
    c.close();
  });

  test('a client whose WebSocket library answers the protocol ping is not closed (10.2 #31, 8.2)', async () => {
    // Java clients and browsers never answer pusher:ping; their WebSocket layer answers the
    // protocol ping with a pong echoing its payload, and that pong is activity (1.9).
    const c = await connectOk(server, { autoPong: false });
    for (let i = 0; i < 3; i++) {
      const idx = c.pings.length;
      const ping = await c.nextProtocol('ping', idx, PING_WAIT_MS);
      c.ws.pong(ping.payload);
    }
    assert.ok(!c.frames.some((f) => f.event === 'pusher:error'), `frames seen:\n${c.seen()}`);
    // Further server pings may arrive meanwhile (ping_interval is 1 s); nothing else may.
    assert.deepEqual((await c.sync()).filter((f) => f.event !== "pusher:ping"), []);
    c.close();
  });

  test('a client answering with the default ws auto-pong is not closed (10.2 #31)', async () => {
    const c = await connectOk(server); // autoPong: true
    for (let i = 0; i < 3; i++) await c.nextProtocol('ping', c.pings.length, PING_WAIT_MS);
    assert.ok(!c.frames.some((f) => f.event === 'pusher:error'), `frames seen:\n${c.seen()}`);
    // Further server pings may arrive meanwhile (ping_interval is 1 s); nothing else may.
    assert.deepEqual((await c.sync()).filter((f) => f.event !== "pusher:ping"), []);
    c.close();
  });

  test('a client that answers a server ping with its own pusher:ping is not closed (10.2 #31)', async () => {
    const c = await connectOk(server, { autoPong: false });
    for (let i = 0; i < 3; i++) {
      await c.nextEvent('pusher:ping', undefined, PING_WAIT_MS);
      c.send(PING);
      await c.nextEvent('pusher:pong');
    }
    assert.ok(!c.frames.some((f) => f.event === 'pusher:error'), `frames seen:\n${c.seen()}`);
    c.close();
  });

  test('a client that answers a server ping with an unrelated frame is not closed (10.2 #31)', async () => {
    const c = await connectOk(server, { autoPong: false });
    for (let i = 0; i < 3; i++) {
      await c.nextEvent('pusher:ping', undefined, PING_WAIT_MS);
      c.send({ event: 'pusher:subscribe', data: { auth: '', channel: `alive-${i}` } });
      await c.nextEvent('pusher_internal:subscription_succeeded', `alive-${i}`);
    }
    assert.ok(!c.frames.some((f) => f.event === 'pusher:error'), `frames seen:\n${c.seen()}`);
    c.close();
  });

  test('an unsolicited protocol pong counts as activity (10.2 #31, 1.9)', async () => {
    const c = await connectOk(server, { autoPong: false });
    for (let i = 0; i < 3; i++) {
      await c.nextEvent('pusher:ping', undefined, PING_WAIT_MS);
      c.ws.pong(Buffer.from('unsolicited'));
    }
    assert.ok(!c.frames.some((f) => f.event === 'pusher:error'), `frames seen:\n${c.seen()}`);
    c.close();
  });

  test('a client that pings more often than ping_interval is never pinged (10.2 #32)', async () => {
    const c = await connectOk(server, { autoPong: false });
    c.send(PING);
    const timer = setInterval(() => { if (c.isOpen) c.send(PING); }, 250);
    try {
      await c.expectNothing((f) => f.event === 'pusher:ping' || f.event === 'pusher:error', 3500);
    } finally {
      clearInterval(timer);
    }
    assert.equal(c.pings.length, 0, 'no protocol ping either');
    assert.equal(c.closeInfo, null);
    assert.ok(c.frames.filter((f) => f.event === 'pusher:pong').length >= 10);
    c.close();
  });
});
