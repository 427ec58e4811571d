// Connection and handshake: protocol reference sections 1 and 2.10, checklist 10.1 (#1–#24).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, connect, connectOk, defaultApp, assertRefused, memberOrder, channelAuth,
  subscribePresence, dataOf, DEFAULT_QUERY,
} from './lib/harness.mjs';

const NO_PROTOCOL_QUERY = 'client=js&version=8.4.0&flash=false';

describe('handshake with the default configuration', () => {
  let server;
  before(async () => { server = await startServer(); });
  after(async () => { await server?.stop(); });

  test('upgrade to /app/pws-key succeeds and the first frame is pusher:connection_established (10.1 #1)', async () => {
    const c = await connect(server);
    assert.equal(c.first.event, 'pusher:connection_established', `first frame: ${c.first.__raw}`);
    assert.equal(c.frames.indexOf(c.first), 0);
    assert.ok(c.isOpen);
    c.close();
  });

  test('connection_established data is a JSON string with exactly socket_id and activity_timeout (10.1 #2)', async () => {
    const c = await connectOk(server);
    assert.equal(typeof c.first.data, 'string', `data must be a string: ${c.first.__raw}`);
    const data = JSON.parse(c.first.data);
    assert.equal(typeof data, 'object');
    assert.deepEqual(Object.keys(data).sort(), ['activity_timeout', 'socket_id']);
    assert.equal(typeof data.socket_id, 'string');
    assert.deepEqual(memberOrder(c.first), ['event', 'data'], `raw: ${c.first.__raw}`);
    c.close();
  });

  test('socket_id matches ^\\d+\\.\\d+$ without leading zeros or signs (10.1 #3)', async () => {
    for (let i = 0; i < 5; i++) {
      const c = await connectOk(server);
      assert.match(c.socketId, /^\d+\.\d+$/);
      assert.match(c.socketId, /^[1-9]\d*\.[1-9]\d*$/, `no leading zero: ${c.socketId}`);
      for (const part of c.socketId.split('.')) {
        const n = Number(part);
        assert.ok(n >= 1 && n <= 999999999, `part ${part} outside 1..999999999`);
      }
      c.close();
    }
  });

  test('concurrent connections never share a socket_id (10.1 #4)', async () => {
    const clients = await Promise.all(Array.from({ length: 50 }, () => connectOk(server)));
    const ids = new Set(clients.map((c) => c.socketId));
    assert.equal(ids.size, clients.length, `duplicate socket ids among ${[...ids].join(' ')}`);
    await Promise.all(clients.map((c) => c.close()));
  });

  test('activity_timeout defaults to the integer 30 (10.1 #5)', async () => {
    const c = await connectOk(server);
    assert.ok(Number.isInteger(c.established.activity_timeout), `activity_timeout: ${c.first.__raw}`);
    assert.equal(c.established.activity_timeout, 30);
    assert.ok(c.first.data.includes('"activity_timeout":30'), `integer on the wire: ${c.first.__raw}`);
    c.close();
  });

  test('a connection without the protocol parameter is accepted (10.1 #6)', async () => {
    const c = await connect(server, { query: NO_PROTOCOL_QUERY });
    assert.equal(c.first.event, 'pusher:connection_established', `first frame: ${c.first.__raw}`);
    const c2 = await connect(server, { query: '' });
    assert.equal(c2.first.event, 'pusher:connection_established', `no query at all: ${c2.first.__raw}`);
    c.close();
    c2.close();
  });

  test('protocol versions 4 to 7 are accepted (1.3)', async () => {
    for (const v of [4, 5, 6, 7]) {
      const c = await connect(server, { query: `protocol=${v}&client=js&version=8.4.0&flash=false` });
      assert.equal(c.first.event, 'pusher:connection_established', `protocol=${v}: ${c.first.__raw}`);
      c.close();
    }
  });

  for (const v of ['8', '3', 'abc']) {
    test(`protocol=${v} gets pusher:error 4007 and close 4007 (10.1 #7, #16)`, async () => {
      const c = await connect(server, { query: `protocol=${v}&client=js&version=8.4.0&flash=false` });
      await assertRefused(c, 4007);
    });
  }

  test('unknown app key gets pusher:error 4001 and close 4001, no connection_established (10.1 #9, #16)', async () => {
    const c = await connect(server, { key: 'no-such-key' });
    await assertRefused(c, 4001);
    assert.deepEqual(memberOrder(c.first), ['event', 'data']);
    assert.ok(c.first.__raw.startsWith('{"event":"pusher:error","data":{"code":4001,'), `raw: ${c.first.__raw}`);
  });

  test('an upgrade on an unknown path gets 4005 and close 4005, or HTTP 404 (10.1 #13, #16)', async () => {
    for (const p of [`/not-a-pusher-path?${DEFAULT_QUERY}`, `/pusher/app/pws-key?${DEFAULT_QUERY}`]) {
      let c;
      try {
        c = await connect(server, { path: p });
      } catch (err) {
        assert.equal(err.statusCode, 404, `${p}: ${err.message}`);
        continue;
      }
      await assertRefused(c, 4005);
    }
  });

  test('server frames are text frames with members in the order event, data, channel, user_id (10.1 #18)', async () => {
    const a = await connectOk(server);
    const b = await connectOk(server);
    const sub = await a.subscribe('orders');
    assert.equal(sub.__raw, '{"event":"pusher_internal:subscription_succeeded","data":"{}","channel":"orders"}');

    const err = await a.subscribe('bad name');
    assert.deepEqual(memberOrder(err), ['event', 'data', 'channel'], `raw: ${err.__raw}`);

    const ch = 'presence-order';
    const sa = await subscribePresence(a, defaultApp, ch, { user_id: '1', user_info: { n: 1 } });
    assert.deepEqual(memberOrder(sa), ['event', 'data', 'channel'], `raw: ${sa.__raw}`);
    await subscribePresence(b, defaultApp, ch, { user_id: '2' });
    const added = await a.nextEvent('pusher_internal:member_added', ch);
    assert.deepEqual(memberOrder(added), ['event', 'data', 'channel'], `raw: ${added.__raw}`);

    b.send({ event: 'client-x', channel: ch, data: { a: 1 } });
    const relayed = await a.nextEvent('client-x', ch);
    assert.deepEqual(memberOrder(relayed), ['event', 'data', 'channel', 'user_id'], `raw: ${relayed.__raw}`);

    await a.sync();
    for (const f of [...a.frames, ...b.frames]) {
      assert.equal(f.__binary, false, `binary frame from server: ${f.__raw}`);
      const order = memberOrder(f);
      const expected = ['event', 'data', 'channel', 'user_id'].filter((k) => order.includes(k));
      assert.deepEqual(order, expected, `member order of ${f.__raw}`);
      assert.equal(JSON.stringify(JSON.parse(f.__raw)), f.__raw, 'compact JSON without insignificant whitespace');
    }
    a.close();
    b.close();
  });

  test('a binary frame with pusher:ping is answered with pusher:pong (10.1 #19)', async () => {
    const c = await connectOk(server);
    c.send(Buffer.from('{"event":"pusher:ping","data":{}}', 'utf8'));
    const pong = await c.next();
    assert.equal(pong.event, 'pusher:pong', `frames seen:\n${c.seen()}`);
    assert.equal(pong.__binary, false, 'the server never sends binary frames');
    c.close();
  });

  test('a frame that is not JSON yields pusher:error with code null and the connection stays open (10.1 #20)', async () => {
    const c = await connectOk(server);
    for (const bad of ['not json', '{"event":', '[1,2,3]', '"pusher:ping"', '42', 'null']) {
      c.send(bad);
      const err = await c.next();
      assert.equal(err.event, 'pusher:error', `reply to ${bad}: ${err.__raw}`);
      assert.equal(typeof err.data, 'object', `data must be an object: ${err.__raw}`);
      assert.ok('code' in err.data, `code member present: ${err.__raw}`);
      assert.equal(err.data.code, null, `code null: ${err.__raw}`);
      assert.equal(typeof err.data.message, 'string');
      assert.deepEqual(await c.sync(), [], 'nothing else before the pong');
    }
    assert.equal(c.closeInfo, null);
    c.close();
  });

  test('a JSON frame without a string event yields pusher:error with code null and the connection stays open (10.1 #21)', async () => {
    const c = await connectOk(server);
    for (const bad of ['{}', '{"data":{}}', '{"event":42,"data":{}}', '{"event":null}', '{"channel":"orders","data":"x"}']) {
      c.send(bad);
      const err = await c.next();
      assert.equal(err.event, 'pusher:error', `reply to ${bad}: ${err.__raw}`);
      assert.equal(typeof err.data, 'object', `data must be an object: ${err.__raw}`);
      assert.equal(err.data.code, null, `code null: ${err.__raw}`);
      assert.deepEqual(await c.sync(), []);
    }
    assert.equal(c.closeInfo, null);
    c.close();
  });

  test('unknown pusher: and other non-client events from the client are ignored (10.1 #22, 1.9)', async () => {
    const c = await connectOk(server);
    c.send({ event: 'pusher:no_such_event', data: {} });
    c.send({ event: 'pusher:subscription_succeeded', data: {}, channel: 'orders' });
    c.send({ event: 'some-random-event', data: {}, channel: 'orders' });
    c.send({ event: 'pusher:ping', data: {}, extra_member: 'unknown members are ignored' });
    const first = await c.next();
    assert.equal(first.event, 'pusher:pong', `frames seen:\n${c.seen()}`);
    assert.deepEqual(await c.sync(), []);
    c.close();
  });

  test('a pusher_internal: event sent by a client is ignored (10.1 #23)', async () => {
    const a = await connectOk(server);
    const b = await connectOk(server);
    await b.subscribe('internal-test');
    a.send({ event: 'pusher_internal:subscription_succeeded', data: '{}', channel: 'internal-test' });
    a.send({ event: 'pusher_internal:member_added', data: '{"user_id":"1"}', channel: 'internal-test' });
    assert.deepEqual(await a.sync(), [], 'no reply to pusher_internal events');
    assert.deepEqual(await b.sync(), [], 'nothing relayed to subscribers');
    a.close();
    b.close();
  });
});

test('activity_timeout equals the configured value (10.1 #5)', async (t) => {
  const server = await startServer({ server: { activity_timeout: 45 } });
  t.after(() => server.stop());
  const c = await connectOk(server);
  assert.equal(c.established.activity_timeout, 45);
  c.close();
});

test('with require_protocol, a connection without protocol gets 4008 and close 4008 (10.1 #8, #16)', async (t) => {
  const server = await startServer({ server: { require_protocol: true } });
  t.after(() => server.stop());
  const c = await connect(server, { query: NO_PROTOCOL_QUERY });
  await assertRefused(c, 4008);
  const ok = await connect(server);
  assert.equal(ok.first.event, 'pusher:connection_established', 'protocol=7 still accepted');
  const bad = await connect(server, { query: 'protocol=9' });
  await assertRefused(bad, 4007);
  ok.close();
});

test('a disabled app gets pusher:error 4003 and close 4003 (10.1 #10, #16)', async (t) => {
  const disabled = { id: '1002', key: 'disabled-key', secret: 'disabled-secret', enabled: false };
  const server = await startServer({ apps: [defaultApp, disabled] });
  t.after(() => server.stop());
  const c = await connect(server, { key: 'disabled-key' });
  await assertRefused(c, 4003);
  const ok = await connectOk(server);
  ok.close();
});

test("per-app max_connections: the next connection gets 4004 and existing ones are unaffected (10.1 #11, #16)", async (t) => {
  const server = await startServer({ apps: [{ ...defaultApp, max_connections: 2 }] });
  t.after(() => server.stop());
  const a = await connectOk(server);
  const b = await connectOk(server);
  const c = await connect(server);
  await assertRefused(c, 4004);
  for (const x of [a, b]) {
    assert.deepEqual(await x.sync(), [], 'existing connection still works');
    const sub = await x.subscribe('still-works');
    assert.equal(sub.event, 'pusher_internal:subscription_succeeded');
    assert.equal(x.closeInfo, null);
  }
  a.close();
  b.close();
});

test('server-wide max_connections: a new connection gets 4100 and close 4100 (10.1 #12, #16)', async (t) => {
  const server = await startServer({ server: { max_connections: 1 } });
  t.after(() => server.stop());
  const a = await connectOk(server);
  const b = await connect(server);
  await assertRefused(b, 4100);
  assert.deepEqual(await a.sync(), []);
  a.close();
});

test('with path_prefix /ws, /ws/app/pws-key works and /app/pws-key does not (10.1 #14)', async (t) => {
  const server = await startServer({ server: { path_prefix: '/ws' } });
  t.after(() => server.stop());
  const ok = await connect(server, { path: `/ws/app/pws-key?${DEFAULT_QUERY}` });
  assert.equal(ok.first.event, 'pusher:connection_established', `first frame: ${ok.first.__raw}`);
  ok.close();
  let bare;
  try {
    bare = await connect(server, { path: `/app/pws-key?${DEFAULT_QUERY}` });
  } catch (err) {
    assert.equal(err.statusCode, 404, err.message);
    return;
  }
  await assertRefused(bare, 4005);
});

test('allowed_origins: an Origin not listed gets 4009 and close 4009 (10.1 #15, #16)', async (t) => {
  const server = await startServer({ apps: [{ ...defaultApp, allowed_origins: ['https://good.example'] }] });
  t.after(() => server.stop());
  const bad = await connect(server, { headers: { Origin: 'https://evil.example' } });
  await assertRefused(bad, 4009);
  const good = await connect(server, { headers: { Origin: 'https://good.example' } });
  assert.equal(good.first.event, 'pusher:connection_established', `allowed origin: ${good.first.__raw}`);
  good.close();
});

test('errors that leave the connection open never close it, and no close uses 4300–4399 (10.1 #17)', async (t) => {
  const quiet = { id: '1003', key: 'quiet-key', secret: 'quiet-secret', enable_client_messages: false };
  const server = await startServer({ apps: [defaultApp, quiet] });
  t.after(() => server.stop());
  const c = await connectOk(server, { key: 'quiet-key' });
  const sub = await c.subscribe('private-x', { auth: channelAuth(quiet, c.socketId, 'private-x') });
  assert.equal(sub.event, 'pusher_internal:subscription_succeeded');
  c.send({ event: 'client-hello', channel: 'private-x', data: {} });
  const err = await c.nextEvent('pusher:error');
  assert.equal(err.data.code, 4301, `frames seen:\n${c.seen()}`);
  assert.deepEqual(await c.sync(), []);
  assert.equal(c.closeInfo, null);
  const ci = await c.close(1000);
  assert.ok(!(ci.code >= 4300 && ci.code <= 4399), `close code ${ci.code}`);
});

test('a message larger than max_message_size closes the connection with 1009 (10.1 #24)', async (t) => {
  const server = await startServer({ server: { max_message_size_in_kb: 1 } });
  t.after(() => server.stop());
  const small = await connectOk(server);
  small.send(JSON.stringify({ event: 'pusher:ping', data: { pad: 'x'.repeat(900) } }));
  await small.nextEvent('pusher:pong');
  small.close();

  const c = await connectOk(server);
  c.send(JSON.stringify({ event: 'pusher:ping', data: { pad: 'x'.repeat(2048) } }));
  const ci = await c.closedWithin(5000);
  assert.equal(ci.code, 1009, `close code; frames seen:\n${c.seen()}`);
  assert.ok(!c.frames.some((f) => f.event === 'pusher:pong'), 'the oversized ping was not processed');
});

test('pusher:error before a server-initiated close always carries the close code (10.1 #16)', async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  for (const [opts, code] of [[{ key: 'nope' }, 4001], [{ query: 'protocol=abc' }, 4007]]) {
    const c = await connect(server, opts);
    const ci = await c.closedWithin();
    const errors = c.frames.filter((f) => f.event === 'pusher:error');
    assert.equal(errors.length, 1, `exactly one pusher:error; frames seen:\n${c.seen()}`);
    assert.equal(errors[0].data.code, ci.code);
    assert.equal(ci.code, code);
    assert.ok(Buffer.byteLength(ci.reason) <= 123);
  }
  const ok = await connectOk(server);
  assert.equal(dataOf(ok.first).activity_timeout, 30);
  ok.close();
});
