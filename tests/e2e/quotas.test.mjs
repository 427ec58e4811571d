// Per-app quotas and rate limits (protocol reference 6, man pws.toml(5) [limits]) at and just over
// their limit, through the real `pusher` SDK and pusher-js (node build) wherever they can express
// the request, raw otherwise.
//
// What is NOT repeated here, because another e2e file already checks it at AND just over the limit
// with the default (Pusher) values, raw:
//   max_connections              connection.test.mjs   "per-app max_connections … (10.1 #11)"
//   max_client_events_per_sec    client_events.test.mjs "the 11th client event within one second … (10.5 #81)"
//   max_presence_members_per_channel presence.test.mjs "the 101st distinct user … (10.4 #64)"
//   max_presence_member_size_in_kb presence.test.mjs   "user_info larger than 1 KB … exactly 1 KB … (10.4 #65)"
//   max_user_id_length (presence) presence.test.mjs    "a user_id longer than 128 … (10.4 #66)"
//   max_event_payload_in_kb      http_api.test.mjs     "data of 10 241 bytes returns 413; 10 240 … (10.9 #126)",
//                                client_events.test.mjs "client event data over 10 KB … (10.5 #80)"
//   max_event_name_length        http_api.test.mjs     "a 201-character name returns 400 … (10.9 #127)",
//                                client_events.test.mjs "a 201-character client event name … (10.5 #79)"
//   max_channel_name_length      subscriptions.test.mjs "a 165-character name … (10.3 #45)"
//   max_event_channels_at_once   http_api.test.mjs     "101 channels returns 400 … (10.9 #125)"
//   max_event_batch_size         http_api.test.mjs     "11 items return 400 … (10.9 #135)"
//   max_subscriptions_per_connection hostile_input.test.mjs (limit 50 there)
//   max_watchlist_size           watchlist.test.mjs (10.6 #98 and a per-app value)
// What this file adds for those: each limit set to a small per-app value in [[apps]] (proving the
// per-app override reaches the check) and driven by the SDK / pusher-js, at the limit and one over.
// max_backend_events_per_sec and max_read_req_per_sec (HTTP 429) are covered only here end to end.
//
// The HTTP rate limits use one-second windows that open with the first request. A sequence that
// must fall in one window is re-run (bounded) when it took a second or more of wall time, since
// the window may then have rolled over; it is never timed with sleeps. Absence of a delivery is
// proven with a marker event published afterwards.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, connect, connectOk, assertRefused } from './lib/harness.mjs';
import { signedRequest } from './lib/trigger.mjs';
import {
  nextEvent, withTimeout, record as recordEvents, sdkFor, createPusherClient, pusherClient, subscribe,
  trackPusherClients,
} from './lib/pusher_clients.mjs';

const connApp = { id: '2001', key: 'conn-key', secret: 'conn-secret', max_connections: 3 };
const cevApp = { id: '2002', key: 'cev-key', secret: 'cev-secret', enable_client_messages: true, max_client_events_per_sec: 3 };
const backendApp = { id: '2003', key: 'backend-key', secret: 'backend-secret', max_backend_events_per_sec: 5 };
const batchApp = { id: '2004', key: 'batch-key', secret: 'batch-secret', max_backend_events_per_sec: 5 };
const readApp = { id: '2005', key: 'read-key', secret: 'read-secret', max_read_req_per_sec: 3 };
const smallApp = {
  id: '2006', key: 'small-key', secret: 'small-secret', enable_client_messages: true,
  max_presence_members_per_channel: 3, max_presence_member_size_in_kb: 2, max_event_payload_in_kb: 2,
  max_event_name_length: 20, max_channel_name_length: 30, max_event_channels_at_once: 4,
  max_event_batch_size: 3, max_subscriptions_per_connection: 5, max_user_id_length: 10,
};
const otherApp = { id: '2007', key: 'other-key', secret: 'other-secret' }; // all defaults
const apps = [connApp, cevApp, backendApp, batchApp, readApp, smallApp, otherApp];
let seq = 0;
const fresh = (base) => `${base}-${++seq}`;

/** Records the non-pusher events of a pusher-js channel as [name, data]. */
const record = (channel) => recordEvents(channel, { internal: false, pairs: true });

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

/** Retries `fn` (bounded) until it does not throw; for waiting out a rate window. */
async function eventually(fn, label, timeoutMs = 4000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() >= deadline) throw new Error(`${label}: still failing after ${timeoutMs} ms: ${err.message}`);
      await pause(100);
    }
  }
}

/**
 * Runs `attempt()` until one run fits in less than a second of wall time (at most 4 runs): its
 * requests then all fell in one rate window of the server. Each run starts more than a second
 * after the previous one's first request, so it opens a fresh window.
 */
async function inOneWindow(attempt) {
  let lastStart = 0;
  for (let run = 1; ; run++) {
    const wait = lastStart + 1100 - Date.now();
    if (wait > 0) await pause(wait);
    lastStart = Date.now();
    const result = await attempt();
    if (Date.now() - lastStart < 1000) return result;
    assert.ok(run < 4, 'four runs in a row took a second or more; the machine is too slow for this check');
  }
}

describe('per-app quotas at and just over their limit (6)', () => {
  let server;
  const sdks = new Map();
  const live = trackPusherClients();

  before(async () => {
    server = await startServer({ apps });
    for (const a of apps) sdks.set(a, sdkFor(server, a));
  });
  after(async () => {
    await server?.stop();
  });

  /** A pusher-js client of app `a`, connecting (see connected() to wait for it). */
  function client(a, opts = {}) {
    return createPusherClient(server, a, sdks.get(a), opts);
  }

  async function connected(a, opts = {}) {
    return pusherClient(server, a, sdks.get(a), { ...opts, failOn: ['failed', 'unavailable', 'disconnected'] });
  }

  /** Subscribes and resolves with the pusher:subscription_error data (fails on success). */
  async function subscribeRefused(pusher, name) {
    const channel = pusher.subscribe(name);
    const { data } = await nextEvent(channel, 'pusher:subscription_error', { failOn: ['pusher:subscription_succeeded'], label: `refusal of ${name}` });
    return data;
  }

  /** SDK call that must fail with an HTTP status; resolves with the RequestError. */
  async function refused(promiseOrFn, status) {
    let err;
    try {
      await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn);
    } catch (e) {
      err = e;
    }
    assert.ok(err, `expected HTTP ${status}, the request succeeded`);
    assert.equal(err.status, status, `expected HTTP ${status}: ${err.message} ${err.body ?? ''}`);
    return err;
  }

  test('max_connections 3 (per app): a 4th pusher-js client is refused with 4004 and stays disconnected; the 3 are unaffected (10.1 #11)', async () => {
    const sdk = sdks.get(connApp);
    const three = [];
    for (let i = 0; i < 3; i++) three.push(await connected(connApp));
    const fourth = client(connApp);
    const err = await nextEvent(fourth.connection, 'error', { label: 'pusher-js error 4004' });
    const code = err.data?.error?.data?.code ?? err.data?.data?.code;
    assert.equal(code, 4004, JSON.stringify(err.data));
    if (fourth.connection.state !== 'disconnected') {
      await nextEvent(fourth.connection, 'state_change', { filter: (s) => s.current === 'disconnected', label: 'state disconnected' });
    }
    assert.equal(fourth.connection.state, 'disconnected', 'pusher-js treats 4004 as refused: no reconnect');
    // The three still receive events; another app is not limited by this quota.
    const { channel } = await subscribe(three[2], fresh('still'));
    const got = nextEvent(channel, 'ping-all');
    await sdk.trigger(channel.name, 'ping-all', {});
    await got;
    const other = [];
    for (let i = 0; i < 4; i++) other.push(await connected(otherApp));
    // A freed slot can be used again once the server has processed the close.
    three[0].disconnect();
    live.delete(three[0]);
    const again = await eventually(async () => {
      const c = await connect(server, { key: connApp.key });
      if (!c.socketId) {
        await assertRefused(c, 4004);
        throw new Error('still at the limit');
      }
      return c;
    }, 'a connection after one of the three closed');
    const extra = await connect(server, { key: connApp.key });
    await assertRefused(extra, 4004);
    again.close();
  });

  test('max_client_events_per_sec 3 (per app): 3 pusher-js client events are relayed, the 4th gets 4301 and is dropped (10.5 #81)', async () => {
    const ch = fresh('private-burst');
    const a = await connected(cevApp);
    const b = await connected(cevApp);
    const { channel: ca } = await subscribe(a, ch);
    const { channel: cb } = await subscribe(b, ch);
    const seenB = record(cb);
    const errors = [];
    a.connection.bind('error', (e) => { if (e?.type === 'PusherError') errors.push(e.data?.code); });
    const rejected = nextEvent(a.connection, 'error', { filter: (e) => e?.data?.code === 4301, label: 'pusher:error 4301' });
    for (let i = 0; i < 4; i++) assert.equal(ca.trigger('client-burst', { i }), true);
    await rejected;
    // Everything relayed before the rejection reached b before this marker.
    const marker = nextEvent(cb, 'marker');
    await sdks.get(cevApp).trigger(ch, 'marker', {});
    await marker;
    assert.deepEqual(seenB, [['client-burst', { i: 0 }], ['client-burst', { i: 1 }], ['client-burst', { i: 2 }], ['marker', {}]]);
    assert.deepEqual(errors, [4301]);
    assert.equal(a.connection.state, 'connected');
    // A new second brings a new budget.
    await eventually(async () => {
      const got = nextEvent(cb, 'client-later', { timeoutMs: 300 });
      ca.trigger('client-later', {});
      await got;
    }, 'a client event in the next second');
  });

  test('max_backend_events_per_sec 5: counted in channels; the request that would exceed gets 429 with Retry-After and publishes nothing (6)', async () => {
    const sdk = sdks.get(backendApp);
    const chs = [fresh('bk'), fresh('bk'), fresh('bk')];
    const pusher = await connected(backendApp);
    const seen = [];
    for (const ch of chs) seen.push(record((await subscribe(pusher, ch)).channel));
    let run = 0;
    const results = await inOneWindow(async () => {
      run++;
      const r = {};
      r.first = await sdk.trigger(chs, `e1-${run}`, {}).then((x) => x.status, (e) => e.status); // 3 of 5
      r.over = await sdk.trigger(chs, `e2-${run}`, {}).then((x) => x.status, (e) => e.status); // 3 more: 6 > 5
      r.fill = await sdk.trigger(chs.slice(0, 2), `e3-${run}`, {}).then((x) => x.status, (e) => e.status); // exactly 5
      r.raw = await signedRequest(server, backendApp, 'POST', '/events', { body: { name: `e4-${run}`, data: '{}', channel: chs[0] } }); // 6 > 5
      return r;
    });
    assert.equal(results.first, 200);
    assert.equal(results.over, 429, 'the request that would exceed the budget');
    assert.equal(results.fill, 200, 'exactly at the limit');
    assert.equal(results.raw.status, 429, results.raw.text);
    assert.equal(results.raw.headers.get('retry-after'), '1');
    assert.equal(results.raw.json?.code, 429, results.raw.text);
    // Next second: accepted again; then check what was delivered in the last run.
    await eventually(() => sdk.trigger(chs, 'marker', {}), 'a trigger in the next second');
    await Promise.all(seen.map((s) => eventually(async () => assert.ok(s.some(([n]) => n === 'marker')), 'marker delivered', 2000)));
    const lastRun = (s) => s.filter(([n]) => n === 'marker' || n.endsWith(`-${run}`)).map(([n]) => n);
    assert.deepEqual(lastRun(seen[0]), [`e1-${run}`, `e3-${run}`, 'marker']);
    assert.deepEqual(lastRun(seen[1]), [`e1-${run}`, `e3-${run}`, 'marker']);
    assert.deepEqual(lastRun(seen[2]), [`e1-${run}`, 'marker']);
  });

  test('max_backend_events_per_sec 5: a batch is counted per item and refused whole; one larger than the budget never fits (6, 5.6)', async () => {
    const sdk = sdks.get(batchApp);
    const ch = fresh('bt');
    const pusher = await connected(batchApp);
    const seen = record((await subscribe(pusher, ch)).channel);
    const batch = (tag, n) => Array.from({ length: n }, (_, i) => ({ channel: ch, name: `${tag}-${i}`, data: {} }));
    let run = 0;
    const r = await inOneWindow(async () => {
      run++;
      const status = (p) => p.then((x) => x.status, (e) => e.status);
      return {
        six: await status(sdk.triggerBatch(batch(`six${run}`, 6))), // never fits
        three: await status(sdk.triggerBatch(batch(`a${run}`, 3))),
        threeMore: await status(sdk.triggerBatch(batch(`b${run}`, 3))), // 2 would fit: refused whole
        two: await status(sdk.triggerBatch(batch(`c${run}`, 2))), // exactly 5
        one: await status(sdk.triggerBatch(batch(`d${run}`, 1))),
      };
    });
    assert.deepEqual(r, { six: 429, three: 200, threeMore: 429, two: 200, one: 429 });
    await eventually(() => sdk.trigger(ch, 'marker', {}), 'a trigger in the next second');
    await eventually(async () => assert.ok(seen.some(([n]) => n === 'marker')), 'marker delivered', 2000);
    const names = seen.map(([n]) => n).filter((n) => n === 'marker' || new RegExp(`^[a-z]+${run}-`).test(n));
    assert.deepEqual(names, [`a${run}-0`, `a${run}-1`, `a${run}-2`, `c${run}-0`, `c${run}-1`, 'marker']);
  });

  test('max_read_req_per_sec 3: the 4th GET in a second gets 429; unsigned GETs and POSTs do not spend it (6)', async () => {
    const sdk = sdks.get(readApp);
    const wrong = { ...readApp, secret: 'not-the-secret' };
    const r = await inOneWindow(async () => {
      const status = (p) => p.then((x) => x.status, (e) => e.status);
      const out = {};
      out.g1 = await status(sdk.get({ path: '/channels' }));
      out.bad = (await signedRequest(server, wrong, 'GET', '/channels')).status;
      out.post = await status(sdk.trigger(fresh('rd'), 'e', {}));
      out.g2 = await status(sdk.get({ path: `/channels/${fresh('rd')}` }));
      out.g3 = await status(sdk.get({ path: '/channels/presence-rd/users' }));
      const fourth = await signedRequest(server, readApp, 'GET', '/channels');
      out.g4 = fourth.status;
      out.retryAfter = fourth.headers.get('retry-after');
      out.code = fourth.json?.code;
      out.otherApp = await status(sdks.get(otherApp).get({ path: '/channels' }));
      return out;
    });
    assert.deepEqual(r, { g1: 200, bad: 401, post: 200, g2: 200, g3: 200, g4: 429, retryAfter: '1', code: 429, otherApp: 200 });
    await eventually(() => sdk.get({ path: '/channels' }), 'a GET in the next second');
  });

  test('max_presence_members_per_channel 3 (per app): the 4th user gets LimitReached 4100, a present user may add connections (10.4 #64)', async () => {
    const ch = fresh('presence-q');
    const members = [];
    for (const id of ['u1', 'u2', 'u3']) {
      const p = await connected(smallApp, { presence: { user_id: id } });
      members.push({ p, ...(await subscribe(p, ch)) });
    }
    assert.equal(members[2].data.count, 3);
    const fourth = await connected(smallApp, { presence: { user_id: 'u4' } });
    const err = await subscribeRefused(fourth, ch);
    assert.equal(err.type, 'LimitReached', JSON.stringify(err));
    assert.equal(err.status, 4100, JSON.stringify(err));
    assert.equal(fourth.connection.state, 'connected');
    const again = await connected(smallApp, { presence: { user_id: 'u1' } });
    assert.equal((await subscribe(again, ch)).data.count, 3, 'u1 adds a connection: still 3 members');
    // Once u3 left, u4 fits.
    const removed = nextEvent(members[0].channel, 'pusher:member_removed');
    members[2].p.disconnect();
    assert.equal((await removed).data.id, 'u3');
    const late = await connected(smallApp, { presence: { user_id: 'u4' } });
    assert.equal((await subscribe(late, ch)).data.count, 3);
  });

  test('max_presence_member_size_in_kb 2 (per app): user_info of 2048 bytes joins, 2049 gets LimitReached 4301 (10.4 #65)', async () => {
    const ch = fresh('presence-big');
    // Compact JSON of {"blob":"x…"} is 11 + n bytes.
    const info = (n) => ({ blob: 'x'.repeat(n) });
    assert.equal(JSON.stringify(info(2037)).length, 2048);
    const over = await connected(smallApp, { presence: { user_id: 'big1', user_info: info(2038) } });
    const err = await subscribeRefused(over, ch);
    assert.equal(err.type, 'LimitReached', JSON.stringify(err));
    assert.equal(err.status, 4301, JSON.stringify(err));
    const at = await connected(smallApp, { presence: { user_id: 'big2', user_info: info(2037) } });
    const { data } = await subscribe(at, ch);
    assert.deepEqual(data.me.info, info(2037));
  });

  test('max_event_payload_in_kb 2 (per app): SDK data of 2048 bytes is delivered, 2049 is 413; client events likewise with 4301 (10.9 #126, 10.5 #80)', async () => {
    const sdk = sdks.get(smallApp);
    const ch = fresh('private-pl');
    const a = await connected(smallApp);
    const b = await connected(smallApp);
    const { channel: ca } = await subscribe(a, ch);
    const { channel: cb } = await subscribe(b, ch);
    const seenB = record(cb);
    await refused(sdk.trigger(ch, 'big', 'y'.repeat(2049)), 413);
    const got = nextEvent(cb, 'big');
    assert.equal((await sdk.trigger(ch, 'big', 'x'.repeat(2048))).status, 200);
    assert.equal((await got).data, 'x'.repeat(2048));
    // Client events: size of the compact JSON of data; {"b":"…"} is 8 + n bytes.
    const rejected = nextEvent(a.connection, 'error', { filter: (e) => e?.data?.code === 4301, label: 'pusher:error 4301' });
    ca.trigger('client-big', { b: 'z'.repeat(2041) });
    await rejected;
    const relayed = nextEvent(cb, 'client-big');
    ca.trigger('client-big', { b: 'w'.repeat(2040) });
    assert.equal((await relayed).data.b.length, 2040);
    const marker = nextEvent(cb, 'marker');
    await sdk.trigger(ch, 'marker', {});
    await marker;
    assert.deepEqual(seenB.map(([n, d]) => [n, typeof d === 'string' ? d[0] : d.b?.[0] ?? d]), [['big', 'x'], ['client-big', 'w'], ['marker', {}]]);
    // The default app keeps the default 10 KB.
    const res = await signedRequest(server, otherApp, 'POST', '/events', { body: { name: 'e', data: 'x'.repeat(10240), channel: 'x' } });
    assert.equal(res.status, 200, res.text);
  });

  test('max_event_name_length 20 (per app): SDK names of 20 pass, 21 are 400; client event names likewise with 4301 (10.9 #127, 10.5 #79)', async () => {
    const sdk = sdks.get(smallApp);
    const ch = fresh('private-nm');
    const a = await connected(smallApp);
    const b = await connected(smallApp);
    const { channel: ca } = await subscribe(a, ch);
    const { channel: cb } = await subscribe(b, ch);
    const seenB = record(cb);
    const n20 = 'n'.repeat(20);
    await refused(sdk.trigger(ch, `${n20}x`, {}), 400);
    assert.equal((await sdk.trigger(ch, n20, {})).status, 200);
    const c20 = `client-${'c'.repeat(13)}`;
    assert.equal(c20.length, 20);
    const rejected = nextEvent(a.connection, 'error', { filter: (e) => e?.data?.code === 4301, label: 'pusher:error 4301' });
    ca.trigger(`${c20}x`, {});
    await rejected;
    ca.trigger(c20, {});
    await nextEvent(cb, c20);
    const marker = nextEvent(cb, 'marker');
    await sdk.trigger(ch, 'marker', {});
    await marker;
    assert.deepEqual(seenB.map(([n]) => n), [n20, c20, 'marker']);
  });

  test('max_channel_name_length 30 (per app): pusher-js subscribes to 30 characters, 31 get LimitReached; SDK triggers likewise 200 / 400 (10.3 #45, 10.9 #129)', async () => {
    const sdk = sdks.get(smallApp);
    const name = (prefix, len) => prefix + 'c'.repeat(len - prefix.length);
    const pusher = await connected(smallApp);
    const ok = name(`q${++seq}-`, 30);
    const okPrivate = name(`private-q${++seq}-`, 30);
    const { channel } = await subscribe(pusher, ok);
    await subscribe(pusher, okPrivate);
    for (const n of [name(`q${++seq}-`, 31), name(`private-q${++seq}-`, 31)]) {
      const err = await subscribeRefused(pusher, n);
      assert.equal(err.type, 'LimitReached', JSON.stringify(err));
    }
    const got = nextEvent(channel, 'e');
    assert.equal((await sdk.trigger(ok, 'e', {})).status, 200);
    await got;
    await refused(sdk.trigger(name('x', 31), 'e', {}), 400);
    await refused(sdk.trigger([ok, name('y', 31)], 'e', {}), 400);
    // Another app keeps the default 164.
    assert.equal((await sdks.get(otherApp).trigger(name('z', 164), 'e', {})).status, 200);
  });

  test('max_event_channels_at_once 4 (per app): an SDK trigger to 4 channels is delivered on each, to 5 is 400 and publishes nothing (10.9 #125)', async () => {
    const sdk = sdks.get(smallApp);
    const chs = Array.from({ length: 5 }, () => fresh('mc'));
    const p1 = await connected(smallApp);
    const p2 = await connected(smallApp);
    const seen = [];
    for (const ch of chs.slice(0, 4)) seen.push(record((await subscribe(p1, ch)).channel));
    seen.push(record((await subscribe(p2, chs[4])).channel));
    await refused(sdk.trigger(chs, 'five', {}), 400);
    assert.equal((await sdk.trigger(chs.slice(0, 4), 'four', {})).status, 200);
    const markers = chs.map((ch, i) => nextEvent(i < 4 ? p1.channel(ch) : p2.channel(ch), 'marker'));
    await sdk.triggerBatch(chs.slice(0, 3).map((ch) => ({ channel: ch, name: 'marker', data: {} })));
    await sdk.trigger(chs.slice(3), 'marker', {});
    await Promise.all(markers);
    assert.deepEqual(seen.map((s) => s.map(([n]) => n)), [['four', 'marker'], ['four', 'marker'], ['four', 'marker'], ['four', 'marker'], ['marker']]);
  });

  test('max_event_batch_size 3 (per app): an SDK batch of 3 is delivered in order, 4 is 400 and publishes nothing (10.9 #135)', async () => {
    const sdk = sdks.get(smallApp);
    const ch = fresh('bs');
    const pusher = await connected(smallApp);
    const seen = record((await subscribe(pusher, ch)).channel);
    const batch = (tag, n) => Array.from({ length: n }, (_, i) => ({ channel: ch, name: `${tag}${i}`, data: { i } }));
    await refused(sdk.triggerBatch(batch('four', 4)), 400);
    assert.equal((await sdk.triggerBatch(batch('three', 3))).status, 200);
    const marker = nextEvent(pusher.channel(ch), 'marker');
    await sdk.trigger(ch, 'marker', {});
    await marker;
    assert.deepEqual(seen.map(([n]) => n), ['three0', 'three1', 'three2', 'marker']);
  });

  test('max_subscriptions_per_connection 5 (per app): the 6th pusher-js subscription gets LimitReached; after an unsubscribe it fits (3.4)', async () => {
    const pusher = await connected(smallApp);
    const chs = Array.from({ length: 5 }, () => fresh('sb'));
    for (const ch of chs) await subscribe(pusher, ch);
    const err = await subscribeRefused(pusher, fresh('sb'));
    assert.equal(err.type, 'LimitReached', JSON.stringify(err));
    assert.equal(err.status, 4100, JSON.stringify(err));
    assert.equal(pusher.connection.state, 'connected');
    // The unsubscribe is handled before the next subscribe on the same connection.
    pusher.unsubscribe(chs[0]);
    await subscribe(pusher, fresh('sb'));
    // Re-subscribing to a channel already held does not count twice (2.3 step 5) — raw, since
    // pusher-js never re-sends a subscribe it holds.
    const raw = await connectOk(server, { key: smallApp.key });
    for (let i = 0; i < 5; i++) assert.equal((await raw.subscribe(chs[i])).event, 'pusher_internal:subscription_succeeded');
    assert.equal((await raw.subscribe(chs[4])).event, 'pusher_internal:subscription_succeeded', 'idempotent re-subscribe at the limit');
    assert.equal((await raw.subscribe(fresh('sb'))).event, 'pusher:subscription_error');
    raw.close();
  });

  test('max_user_id_length 10 (per app): presence ids, signin ids and terminate_connections at 10 pass, 11 are refused (10.4 #66, 5.10)', async () => {
    const sdk = sdks.get(smallApp);
    const ch = fresh('presence-id');
    const id10 = 'i'.repeat(10);
    const id11 = 'j'.repeat(11);
    const longMember = await connected(smallApp, { presence: { user_id: id11 } });
    const err = await subscribeRefused(longMember, ch);
    assert.equal(err.type, 'LimitReached', JSON.stringify(err));
    assert.equal(err.status, 4301, JSON.stringify(err));
    const okMember = await connected(smallApp, { presence: { user_id: id10 } });
    assert.deepEqual((await subscribe(okMember, ch)).data.me, { id: id10, info: {} });

    // Signin: pusher:error 4009, the connection stays open; 10 characters sign in.
    const longUser = await connected(smallApp, { user: { id: id11 } });
    const signinErr = nextEvent(longUser.connection, 'error', { filter: (e) => e?.type === 'PusherError', label: 'pusher:error on signin' });
    longUser.signin();
    assert.equal((await signinErr).data.data.code, 4009);
    assert.equal(longUser.connection.state, 'connected');
    assert.equal(longUser.user.user_data, null);
    const okUser = await connected(smallApp, { user: { id: id10 } });
    okUser.signin();
    await withTimeout(okUser.user.signinDonePromise, 'signin');
    assert.equal(okUser.user.user_data?.id, id10);

    // terminate_connections: 11 characters is 400; 10 closes the signed-in connection.
    await refused(sdk.terminateUserConnections(id11), 400);
    const closed = nextEvent(okUser.connection, 'state_change', { filter: (s) => s.current === 'disconnected', label: 'terminated' });
    assert.equal((await sdk.terminateUserConnections(id10)).status, 200);
    await closed;
  });
});
