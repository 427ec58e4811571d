// The event feed (notes/feed-spec.md): signed watchers at {prefix}/feed see every hub event
// of their app, in order and exactly once; refusals are HTTP responses at the upgrade;
// watchers are invisible to Pusher clients, connection counts and metrics; they are
// closed with 4200 on a graceful stop, 4100 when they cannot keep up, and 4001/4003 when a
// reload removes or disables their app.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import WebSocket from 'ws';
import {
  startServer, connect, connectOk, subscribePresence, subscribePrivate, renderConfig, DEFAULT_TIMEOUT_MS,
} from './lib/harness.mjs';
import { publish, signedRequest } from './lib/trigger.mjs';
import { rawRequest } from './lib/http.mjs';
import { rawUpgrade, parseFrames, failAfter, drainUntilClosed, keepUp } from './lib/raw_socket.mjs';

const mainApp = { id: '1001', key: 'pws-key', secret: 'pws-secret', enable_client_messages: true };
const otherApp = { id: '1002', key: 'other-key', secret: 'other-secret', enable_client_messages: true };
const offApp = { id: '1003', key: 'off-key', secret: 'off-secret', enabled: false };

/** Path + signed query of a feed upgrade, signed like the spec says (over "GET\n/feed\n..."). */
function feedPath(app, { id = app.id, secret = app.secret, timestamp, signedPath = '/feed', prefix = '' } = {}) {
  const params = {
    app_id: id,
    auth_key: app.key,
    auth_timestamp: String(timestamp ?? Math.floor(Date.now() / 1000)),
    auth_version: '1.0',
  };
  const sorted = Object.keys(params).sort();
  const toSign = `GET\n${signedPath}\n${sorted.map((k) => `${k}=${params[k]}`).join('&')}`;
  const signature = createHmac('sha256', secret).update(toSign, 'utf8').digest('hex');
  const qs = sorted.map((k) => `${k}=${encodeURIComponent(params[k])}`).join('&');
  return `${prefix}/feed?${qs}&auth_signature=${signature}`;
}

/** A watcher whose feed_started arrived. */
async function watch(srv, app, opts = {}) {
  const w = await connect(srv, { path: feedPath(app, { prefix: srv.pathPrefix, ...opts }) });
  assert.equal(w.first?.type, 'feed_started', `first feed frame: ${w.first?.__raw}`);
  assert.equal(w.first.app_id, app.id);
  assert.equal(typeof w.first.time_ms, 'number');
  return w;
}

/** Upgrade expected to be refused: resolves with { status, body } of the HTTP response. */
function refusal(srv, urlPath) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${srv.host}:${srv.port}${urlPath}`, { handshakeTimeout: DEFAULT_TIMEOUT_MS });
    ws.on('unexpected-response', (req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => { ws.terminate(); resolve({ status: res.statusCode, body }); });
    });
    ws.on('open', () => { ws.terminate(); reject(new Error(`upgrade to ${urlPath} was accepted`)); });
    ws.on('error', (e) => reject(e));
  });
}

const strip = ({ time_ms, ...rest }) => rest; // eslint-disable-line no-unused-vars
const feedFrames = (w) => w.frames.filter((f) => f.type !== 'feed_started');

function metricValue(text, name, appId) {
  const re = new RegExp(`^${name}\\{[^}]*app_id="${appId}"[^}]*\\} (\\S+)$`, 'm');
  const m = re.exec(text);
  return m ? Number(m[1]) : undefined;
}

describe('event feed', () => {
  let srv;
  before(async () => { srv = await startServer({ apps: [mainApp, otherApp, offApp] }); });
  after(async () => { await srv?.stop(); });

  test('a watcher sees every event of its app in order, exactly once, with the right fields', async () => {
    const w = await watch(srv, mainApp);
    const other = await watch(srv, otherApp);

    const c1 = await connectOk(srv, { headers: { Origin: 'http://example.test' } });
    const member = { user_id: 'u1', user_info: { name: 'One' } };
    assert.equal((await subscribePresence(c1, mainApp, 'presence-room', member)).event, 'pusher_internal:subscription_succeeded');
    assert.equal((await subscribePrivate(c1, mainApp, 'private-chat')).event, 'pusher_internal:subscription_succeeded');
    const c2 = await connectOk(srv);
    assert.equal((await subscribePrivate(c2, mainApp, 'private-chat')).event, 'pusher_internal:subscription_succeeded');

    const big = 'é'.repeat(700); // 1400 bytes of UTF-8: cut at 1024
    c1.send({ event: 'client-typing', channel: 'private-chat', data: big });
    await c2.nextEvent('client-typing', 'private-chat');
    c1.send({ event: 'client-wave', channel: 'presence-room', data: { hi: 1 } });
    await publish(srv, mainApp, { name: 'news', channel: 'private-chat', data: '{"x":1}' });
    await c2.nextEvent('news', 'private-chat');
    const failed = await c1.subscribe('private-bad', { auth: `${mainApp.key}:${'0'.repeat(64)}` });
    assert.equal(failed.event, 'pusher:subscription_error');
    c1.unsubscribe('private-chat');
    await c1.sync();
    c2.close();
    await w.next((f) => f.type === 'disconnected' && f.socket_id === c2.socketId);
    c1.close();
    await w.next((f) => f.type === 'disconnected' && f.socket_id === c1.socketId);
    await new Promise((r) => setTimeout(r, 200)); // anything late or duplicated would show below

    const frames = feedFrames(w);
    for (const f of frames) {
      assert.equal(typeof f.time_ms, 'number', f.__raw);
      assert.ok(Math.abs(f.time_ms - Date.now()) < 60_000, f.__raw);
    }
    const got = frames.map(strip);
    const errorFrame = got.find((f) => f.type === 'error');
    assert.ok(errorFrame, 'an error event for the failed subscription');
    assert.equal(typeof errorFrame.code, 'number');
    assert.equal(typeof errorFrame.message, 'string');
    const s1 = c1.socketId;
    const s2 = c2.socketId;
    const app = mainApp.id;
    assert.deepEqual(got, [
      { type: 'connected', app_id: app, socket_id: s1, origin: 'http://example.test' },
      { type: 'occupied', app_id: app, channel: 'presence-room' },
      { type: 'member_added', app_id: app, channel: 'presence-room', user_id: 'u1' },
      { type: 'subscribed', app_id: app, socket_id: s1, channel: 'presence-room' },
      { type: 'occupied', app_id: app, channel: 'private-chat' },
      { type: 'subscribed', app_id: app, socket_id: s1, channel: 'private-chat' },
      { type: 'connected', app_id: app, socket_id: s2 },
      { type: 'subscribed', app_id: app, socket_id: s2, channel: 'private-chat' },
      {
        type: 'client_event', app_id: app, socket_id: s1, channel: 'private-chat', event: 'client-typing',
        data: got[8].data, truncated: true,
      },
      {
        type: 'client_event', app_id: app, socket_id: s1, channel: 'presence-room', event: 'client-wave',
        data: '{"hi":1}', user_id: 'u1',
      },
      { type: 'api_message', app_id: app, channel: 'private-chat', event: 'news', data: '{"x":1}' },
      { type: 'error', app_id: app, socket_id: s1, code: errorFrame.code, message: errorFrame.message },
      { type: 'unsubscribed', app_id: app, socket_id: s1, channel: 'private-chat' },
      { type: 'unsubscribed', app_id: app, socket_id: s2, channel: 'private-chat' },
      { type: 'vacated', app_id: app, channel: 'private-chat' },
      { type: 'disconnected', app_id: app, socket_id: s2 },
      { type: 'member_removed', app_id: app, channel: 'presence-room', user_id: 'u1' },
      { type: 'unsubscribed', app_id: app, socket_id: s1, channel: 'presence-room' },
      { type: 'vacated', app_id: app, channel: 'presence-room' },
      { type: 'disconnected', app_id: app, socket_id: s1 },
    ]);
    // The truncated data: at most 1024 bytes, a prefix of the original, not cutting a character.
    const data = got[8].data;
    assert.ok(Buffer.byteLength(data, 'utf8') <= 1024 && Buffer.byteLength(data, 'utf8') > 1020, `${Buffer.byteLength(data)}`);
    assert.ok(big.startsWith(data));
    assert.ok(!data.includes('\uFFFD'));

    // Nothing of 1001 reached the watcher of 1002.
    assert.deepEqual(feedFrames(other), []);
    w.close();
    other.close();
  });

  test('refusals are HTTP responses at the upgrade: 401, 404, 403 with a JSON body', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases = [
      ['unsigned', `/feed?app_id=${mainApp.id}`, 401],
      ['wrong signature', feedPath(mainApp, { secret: 'not-the-secret' }), 401],
      ['stale timestamp', feedPath(mainApp, { timestamp: now - 3600 }), 401],
      ['key of another app', feedPath({ ...mainApp, key: otherApp.key }), 401],
      ['unknown app', feedPath({ id: '9999', key: 'nobody', secret: 'x' }), 404],
      ['no app_id', '/feed', 404],
      ['disabled app', feedPath(offApp), 403],
    ];
    for (const [what, urlPath, status] of cases) {
      const r = await refusal(srv, urlPath);
      assert.equal(r.status, status, `${what}: ${r.body}`);
      const body = JSON.parse(r.body);
      assert.equal(body.code, status, `${what}: ${r.body}`);
      assert.equal(typeof body.error, 'string', `${what}: ${r.body}`);
    }
    // The harness' connect() sees the status too.
    await assert.rejects(connect(srv, { path: feedPath(mainApp, { secret: 'bad' }) }), (e) => e.statusCode === 401);
    // The server still serves.
    const w = await watch(srv, mainApp);
    w.close();
  });

  test('Pusher clients cannot get feed events; watchers are not connections', async () => {
    const metricsBefore = (await rawRequest(`${srv.httpUrl}/metrics`)).text;
    const before = metricValue(metricsBefore, 'pws_connections', mainApp.id);
    assert.equal(before, 0, metricsBefore);

    const watchers = [];
    for (let i = 0; i < 3; i++) watchers.push(await watch(srv, mainApp));
    const after = (await rawRequest(`${srv.httpUrl}/metrics`)).text;
    assert.equal(metricValue(after, 'pws_connections', mainApp.id), before, after);

    // A Pusher client with channels named like the feed gets ordinary channels.
    const c = await connectOk(srv);
    for (const name of ['feed', `feed-${mainApp.id}`, 'private-feed']) {
      const ack = name.startsWith('private-') ? await subscribePrivate(c, mainApp, name) : await c.subscribe(name);
      assert.equal(ack.event, 'pusher_internal:subscription_succeeded');
    }
    const d = await connectOk(srv);
    await d.subscribe('orders');
    await publish(srv, mainApp, { name: 'ev', channel: 'orders', data: '{}' });
    await d.nextEvent('ev', 'orders');
    d.close();
    await watchers[0].next((f) => f.type === 'disconnected' && f.socket_id === d.socketId);
    await c.expectNothing((f) => f.type !== undefined || (f.event && !f.event.startsWith('pusher')), 200);
    // A Pusher client at /app/{key} with feed-like query parameters is still a Pusher client.
    const e = await connect(srv, { query: feedPath(mainApp).split('?')[1] + '&protocol=7' });
    assert.ok(e.socketId, `connection_established expected: ${e.first?.__raw}`);
    e.close();
    c.close();
    for (const w of watchers) w.close();
  });

  test('watchers come and go, abruptly too, and the server keeps serving', async () => {
    const batch = [];
    for (let i = 0; i < 40; i++) batch.push(watch(srv, i % 2 ? otherApp : mainApp));
    const ws = await Promise.all(batch);
    ws.forEach((w, i) => (i % 3 === 0 ? w.terminate() : w.close()));
    await Promise.all(ws.map((w) => w.closedWithin()));
    // Junk from a watcher is ignored.
    const w = await watch(srv, mainApp);
    w.send('{"event":"pusher:subscribe","data":{"channel":"x"}}');
    w.send('garbage');
    const c = await connectOk(srv);
    await c.subscribe('after');
    const sub = await w.next((f) => f.type === 'subscribed' && f.channel === 'after');
    assert.equal(sub.socket_id, c.socketId);
    // Abrupt disconnect right after an event was queued.
    await publish(srv, mainApp, { name: 'x', channel: 'after', data: 'y'.repeat(5000) });
    w.terminate();
    await c.nextEvent('x', 'after');
    await c.sync();
    c.close();
    assert.equal(srv.exited(), null);
  });

  test('feed works behind a path prefix (signed with or without the prefix)', async () => {
    const p = await startServer({ apps: [mainApp], server: { path_prefix: '/ws' } });
    try {
      const a = await watch(p, mainApp);
      const b = await watch(p, mainApp, { signedPath: '/ws/feed' });
      const c = await connectOk(p);
      await a.next((f) => f.type === 'connected' && f.socket_id === c.socketId);
      await b.next((f) => f.type === 'connected' && f.socket_id === c.socketId);
      c.close();
    } finally {
      await p.stop();
    }
  });

  test('watchers are pinged; one that never answers is closed with 4201', async () => {
    const s = await startServer({ apps: [mainApp], server: { ping_interval: 1, pong_timeout: 1 } });
    try {
      const alive = await watch(s, mainApp);
      const mute = await connect(s, { path: feedPath(mainApp), autoPong: false });
      assert.equal(mute.first?.type, 'feed_started');
      await alive.nextProtocol('ping', 0, 4000);
      const ci = await mute.closedWithin(6000);
      assert.equal(ci.code, 4201);
      assert.equal(alive.closeInfo, null, 'the watcher answering pings stays open');
      alive.close();
    } finally {
      await s.stop();
    }
  });

  test('a graceful stop closes watchers with 4200', async () => {
    const s = await startServer({ apps: [mainApp] });
    try {
      const w = await watch(s, mainApp);
      const c = await connectOk(s);
      await w.next((f) => f.type === 'connected');
      s.proc.kill('SIGTERM');
      const ci = await w.closedWithin();
      assert.equal(ci.code, 4200);
      // It saw the Pusher connection go first.
      assert.ok(w.frames.some((f) => f.type === 'disconnected' && f.socket_id === c.socketId), w.seen());
    } finally {
      await s.stop();
    }
  });

  test('a watcher that stops reading is closed with 4100 while another keeps up', async () => {
    // Small queue bounds, and data kept whole in the feed so that few events overflow them.
    const s = await startServer({
      apps: [mainApp],
      server: { max_outbound_messages: 50, max_outbound_bytes_in_kb: 256 },
      tables: { dashboard: { max_event_data_size_in_bytes: 16384 } },
    });
    try {
      const healthy = await watch(s, mainApp);
      const slow = await rawUpgrade(s.port, feedPath(mainApp));
      slow.stopCollecting();
      slow.pause(); // the kernel buffers fill, then the server's queue for it

      const data = 'x'.repeat(8 * 1024);
      const batches = 300; // 3,000 feed messages of 8 KB: far beyond socket buffers + 256 KB
      let seen = 0;
      const all = new Promise((resolve) => {
        healthy.ws.on('message', (m) => { if (m.includes('"api_message"') && ++seen >= batches * 10) resolve(); });
      });
      for (let i = 0; i < batches; i++) {
        const batch = Array.from({ length: 10 }, (_, j) => ({ channel: 'firehose', name: 'tick', data: `${i * 10 + j}:${data}` }));
        const res = await signedRequest(s, mainApp, 'POST', '/batch_events', { body: JSON.stringify({ batch }) });
        assert.equal(res.status, 200);
        // At most two batches ahead of the healthy watcher: only the paused one falls behind.
        await keepUp(() => seen, (i - 1) * 10, 20000, 'the healthy watcher fell behind');
      }
      await Promise.race([all, failAfter(30000, () => `the healthy watcher saw ${seen} of ${batches * 10}`)]);

      const frames = parseFrames(await drainUntilClosed(slow, 15000, 'the slow watcher'));
      const close = frames.find((f) => f.opcode === 8);
      assert.ok(close, 'a close frame was sent');
      assert.equal(close.payload.readUInt16BE(0), 4100);
      const ticks = frames.filter((f) => f.opcode === 1 && f.payload.includes('"api_message"')).length;
      assert.ok(ticks < batches * 10, `the slow watcher should not have got everything (${ticks})`);
      assert.equal(healthy.closeInfo, null, 'the healthy watcher stays open');
      healthy.close();
      (await connectOk(s)).close(); // still serving
    } finally {
      await s.stop();
    }
  });

  test('a reload closes the watchers of a removed app with 4001 and of a disabled app with 4003', async () => {
    const s = await startServer({ apps: [mainApp, otherApp] });
    try {
      const removedWatcher = await watch(s, otherApp);
      const disabledWatcher = await watch(s, mainApp);
      const temp = `${s.configPath}.new`;
      writeFileSync(temp, renderConfig({ apps: [{ ...mainApp, enabled: false }] }), { mode: 0o600 });
      renameSync(temp, s.configPath);
      s.proc.kill('SIGHUP');
      assert.equal((await removedWatcher.closedWithin(5000)).code, 4001);
      assert.equal((await disabledWatcher.closedWithin(5000)).code, 4003);
      const refused = await refusal(s, feedPath(mainApp));
      assert.equal(refused.status, 403);
    } finally {
      await s.stop();
    }
  });
});
