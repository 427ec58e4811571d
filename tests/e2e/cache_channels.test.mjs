// Cache channels (protocol reference 2.12, 5.8; checklist 10.7 #100–#105, 10.5 #82) with the real
// pusher-js (node build) on the WebSocket side and the real `pusher` SDK on the HTTP side, plus a
// raw WebSocket client where the exact frames matter. Channel authorizations come from the SDK's
// authorizeChannel (encrypted channels with the SDK's encryptionMasterKeyBase64).
//
// Every wait is bounded; absence is proven with a marker event published afterwards (events on one
// connection arrive in order), never with a sleep. The only timed waits are the polls of the
// cache_ttl test, which run against a deadline.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startServer, connectOk, channelAuth, defaultApp, DEFAULT_TIMEOUT_MS } from './lib/harness.mjs';
import { nextEvent, sdkFor, pusherClient, trackPusherClients } from './lib/pusher_clients.mjs';

const app = { ...defaultApp, enable_client_messages: true };
// A second app whose cache keeps events for 1 s only (per-app cache_ttl, man pws.toml(5) [limits]).
const ttlApp = { id: '1002', key: 'ttl-key', secret: 'ttl-secret', cache_ttl: 1 };
const masterKey = randomBytes(32).toString('base64');
let seq = 0;
const fresh = (base) => `${base}-${++seq}`;

// ---- pusher-js helpers ------------------------------------------------------------------------

/**
 * Records every event emitted on a pusher-js channel, in order; `until(pred)` resolves with the
 * first recorded event matching pred (already recorded or still to come), bounded.
 */
function recorder(channel) {
  const seen = [];
  const waiters = [];
  channel.bind_global((event, data) => {
    seen.push({ event, data });
    for (const w of [...waiters]) w();
  });
  return {
    seen,
    names: () => seen.map((e) => e.event),
    until(pred, label, timeoutMs = DEFAULT_TIMEOUT_MS) {
      return new Promise((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          const k = waiters.indexOf(check);
          if (k >= 0) waiters.splice(k, 1);
        };
        const check = () => {
          const hit = seen.find(pred);
          if (hit) {
            done();
            resolve(hit);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${label}; events seen: ${JSON.stringify(seen)}`));
        }, timeoutMs);
        waiters.push(check);
        check();
      });
    },
  };
}

const isEv = (name) => (e) => e.event === name;

describe('cache channels with pusher-js and the pusher SDK (2.12, 10.7)', () => {
  let server;
  let sdk;
  let ttlSdk;
  trackPusherClients();

  before(async () => {
    server = await startServer({ apps: [app, ttlApp] });
    sdk = sdkFor(server, app, { encryptionMasterKeyBase64: masterKey });
    ttlSdk = sdkFor(server, ttlApp, { encryptionMasterKeyBase64: masterKey });
  });
  after(async () => {
    await server?.stop();
  });

  /** A connected pusher-js client of `a`; `presence` is the member data its authorizer signs. */
  async function connectClient({ a = app, presence } = {}) {
    return pusherClient(server, a, a === app ? sdk : ttlSdk, { presence });
  }

  /**
   * Subscribes with a recorder bound before the subscription is sent; resolves once the frame
   * that follows subscription_succeeded on a cache channel (the cached event or cache_miss) came.
   */
  async function subscribeCache(pusher, name) {
    const channel = pusher.subscribe(name);
    const rec = recorder(channel);
    await rec.until((e) => e.event === 'pusher:subscription_succeeded' || e.event === 'pusher:subscription_error', `subscription to ${name}`);
    assert.equal(rec.seen[0].event, 'pusher:subscription_succeeded', `subscription to ${name}: ${JSON.stringify(rec.seen)}`);
    await rec.until((_e) => rec.seen.length >= 2, `the frame after subscription_succeeded on ${name}`);
    return { channel, rec };
  }

  /** Publishes `marker` on `name` and waits until every recorder in `recs` saw it. */
  async function marker(name, recs, { sdkClient = sdk } = {}) {
    const waits = recs.map((r) => r.until(isEv('marker'), `marker on ${name}`));
    await sdkClient.trigger(name, 'marker', {});
    await Promise.all(waits);
  }

  /** A raw connection that sent a subscription to `name`; resolves with { c, ack }. */
  async function rawSubscribe(name, { key = app.key, auth } = {}) {
    const c = await connectOk(server, { key });
    const ack = await c.subscribe(name, { auth });
    return { c, ack };
  }

  test('an empty cache channel: subscription_succeeded then pusher:cache_miss, on the channel in pusher-js (10.7 #100)', async () => {
    const ch = fresh('cache-ticker');
    const pusher = await connectClient();
    const { rec } = await subscribeCache(pusher, ch);
    assert.deepEqual(rec.names(), ['pusher:subscription_succeeded', 'pusher:cache_miss']);
    // Wire format of the miss (pws decision: data "{}").
    const { c, ack } = await rawSubscribe(ch);
    assert.equal(ack.event, 'pusher_internal:subscription_succeeded');
    const miss = await c.next();
    assert.equal(miss.__raw, `{"event":"pusher:cache_miss","data":"{}","channel":"${ch}"}`);
    c.close();
  });

  test('two subscribers of cache-ticker, before and after an SDK trigger: the late one gets subscription_succeeded then the event (10.7 #101)', async () => {
    const ch = fresh('cache-ticker');
    const early = await connectClient();
    const e = await subscribeCache(early, ch);
    assert.deepEqual(e.rec.names(), ['pusher:subscription_succeeded', 'pusher:cache_miss']);

    const payload = { symbol: 'PWS', price: 10.5, note: 'ünïcode €' };
    const liveGot = e.rec.until(isEv('price'), 'price live on the early subscriber');
    const res = await sdk.trigger(ch, 'price', payload);
    assert.equal(res.status, 200);
    assert.deepEqual((await liveGot).data, payload);

    const late = await connectClient();
    const l = await subscribeCache(late, ch);
    assert.deepEqual(l.rec.names(), ['pusher:subscription_succeeded', 'price'], 'the cached event right after subscription_succeeded, no cache_miss');
    assert.deepEqual(l.rec.seen[1].data, payload);

    // The same on the wire: identical event and data, formatted as a normal channel event.
    const { c, ack } = await rawSubscribe(ch);
    assert.equal(ack.event, 'pusher_internal:subscription_succeeded');
    const replay = await c.next();
    assert.equal(replay.__raw, JSON.stringify({ event: 'price', data: JSON.stringify(payload), channel: ch }));
    assert.deepEqual(await c.sync(), [], 'nothing after the replayed event');
    c.close();

    // Nothing else came to either pusher-js client: a marker arrives right after.
    await marker(ch, [e.rec, l.rec]);
    assert.deepEqual(e.rec.names(), ['pusher:subscription_succeeded', 'pusher:cache_miss', 'price', 'marker']);
    assert.deepEqual(l.rec.names(), ['pusher:subscription_succeeded', 'price', 'marker']);
  });

  test('the most recent event wins: an older one is never replayed, whatever its name or how it was published (10.7 #102)', async () => {
    const ch = fresh('cache-ticker');
    // Published to the channel while nobody is subscribed: still cached (3.5).
    await sdk.trigger(ch, 'tick', { n: 1 });
    await sdk.trigger(ch, 'tick', { n: 2 });
    const p1 = await connectClient();
    const s1 = await subscribeCache(p1, ch);
    assert.deepEqual(s1.rec.seen.slice(1), [{ event: 'tick', data: { n: 2 } }]);

    // A batch replaces it with its last item on the channel; another name replaces the old one.
    await sdk.triggerBatch([{ channel: ch, name: 'tick', data: { n: 3 } }, { channel: ch, name: 'last', data: { n: 4 } }]);
    await s1.rec.until(isEv('last'), 'batch delivered live');
    const p2 = await connectClient();
    const s2 = await subscribeCache(p2, ch);
    await marker(ch, [s2.rec]);
    assert.deepEqual(s2.rec.seen.slice(1), [{ event: 'last', data: { n: 4 } }, { event: 'marker', data: {} }]);

    // An event published with a socket_id exclusion is cached too (2.12).
    const excluded = nextEvent(s2.channel, 'newest');
    await sdk.trigger(ch, 'newest', { n: 5 }, { socket_id: p1.connection.socket_id });
    await excluded;
    const p3 = await connectClient();
    const s3 = await subscribeCache(p3, ch);
    assert.deepEqual(s3.rec.seen.slice(1), [{ event: 'newest', data: { n: 5 } }]);
    // The excluded connection did not get it live (marker after).
    await marker(ch, [s1.rec]);
    assert.deepEqual(s1.rec.names().filter((n) => !n.startsWith('pusher')), ['tick', 'tick', 'last', 'marker']);
  });

  test('after cache_ttl (per app, 1 s) the channel behaves as empty again (10.7 #103)', async () => {
    const ch = fresh('cache-ttl');
    const t0 = Date.now();
    await ttlSdk.trigger(ch, 'tick', { n: 1 });
    // Within the TTL a new subscriber gets the event and the API reports it with ttl 1.
    const { c, ack } = await rawSubscribe(ch, { key: ttlApp.key });
    assert.equal(ack.event, 'pusher_internal:subscription_succeeded');
    const first = await c.next();
    const early = await ttlSdk.get({ path: `/channels/${ch}`, params: { info: 'cache' } }).then((r) => r.json());
    const elapsedEarly = Date.now() - t0;
    if (elapsedEarly < 1000) {
      assert.equal(first.event, 'tick', `within the ttl (${elapsedEarly} ms): ${first.__raw}`);
      assert.deepEqual(early.cache, { data: '{"n":1}', ttl: 1 });
    }
    c.close();

    // Poll (bounded) until the cache is reported empty; it must not happen before 1 s.
    let expired;
    const deadline = t0 + 6000;
    for (;;) {
      const body = await ttlSdk.get({ path: `/channels/${ch}`, params: { info: 'cache' } }).then((r) => r.json());
      if (body.cache === null) {
        expired = Date.now();
        break;
      }
      assert.ok(Date.now() < deadline, `cache still ${JSON.stringify(body.cache)} ${Date.now() - t0} ms after the publish (cache_ttl 1)`);
      assert.deepEqual(body.cache, { data: '{"n":1}', ttl: 1 });
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(expired - t0 >= 1000, `expired after ${expired - t0} ms, before cache_ttl`);

    // A pusher-js subscriber now gets pusher:cache_miss, not the expired event.
    const pusher = await connectClient({ a: ttlApp });
    const { rec } = await subscribeCache(pusher, ch);
    assert.deepEqual(rec.names(), ['pusher:subscription_succeeded', 'pusher:cache_miss']);
    // The default app (cache_ttl 1800) still has its own cache for the same name.
    await sdk.trigger(ch, 'kept', { n: 2 });
    const body = await sdk.get({ path: `/channels/${ch}`, params: { info: 'cache' } }).then((r) => r.json());
    assert.equal(body.cache.data, '{"n":2}');
    assert.ok(body.cache.ttl > 1 && body.cache.ttl <= 1800, JSON.stringify(body));
  });

  test('private-cache- caches like cache- and keeps the private auth rule (10.7 #104)', async () => {
    const ch = fresh('private-cache-orders');
    const { c: emptyRaw, ack } = await rawSubscribe(ch, { auth: channelAuth(app, 'x', ch) });
    assert.equal(ack.event, 'pusher:subscription_error');
    assert.equal(ack.data.type, 'AuthError');
    assert.equal(ack.data.status, 401);
    const pusher = await connectClient();
    const s1 = await subscribeCache(pusher, ch);
    assert.deepEqual(s1.rec.names(), ['pusher:subscription_succeeded', 'pusher:cache_miss']);

    await sdk.trigger(ch, 'status', { id: 7, s: 'shipped' });
    await s1.rec.until(isEv('status'), 'status live');
    const late = await connectClient();
    const s2 = await subscribeCache(late, ch);
    assert.deepEqual(s2.rec.seen.slice(1), [{ event: 'status', data: { id: 7, s: 'shipped' } }]);

    // Without a valid signature: AuthError, and the cached event is not sent (sync: nothing pending).
    assert.deepEqual(await emptyRaw.sync(), []);
    const r = await emptyRaw.subscribe(ch);
    assert.equal(r.event, 'pusher:subscription_error');
    assert.equal(r.data.type, 'AuthError');
    assert.deepEqual(await emptyRaw.sync(), [], 'no cached event after a refused subscription');
    emptyRaw.close();
  });

  test('private-encrypted-cache- replays the SDK-encrypted event, which pusher-js decrypts; auth stays the private rule (10.7 #104, 2.16)', async () => {
    const ch = fresh('private-encrypted-cache-payroll');
    const sent = [];
    const post = sdk.post;
    sdk.post = function (opts) {
      sent.push(opts.body);
      return post.call(this, opts);
    };
    try {
      await sdk.trigger(ch, 'salary', { amount: 1234, who: 'Ada' });
    } finally {
      sdk.post = post;
    }
    assert.equal(sent.length, 1);
    const encrypted = sent[0].data;
    assert.deepEqual(Object.keys(JSON.parse(encrypted)), ['nonce', 'ciphertext'], 'the SDK encrypted the data');

    const pusher = await connectClient();
    const { rec } = await subscribeCache(pusher, ch);
    assert.deepEqual(rec.seen.slice(1), [{ event: 'salary', data: { amount: 1234, who: 'Ada' } }], 'pusher-js decrypted the cached event');

    // Raw: the cached data is the SDK's ciphertext, byte for byte.
    const { c, ack } = await rawSubscribe(ch, { auth: channelAuth(app, '1.2', ch) });
    assert.equal(ack.event, 'pusher:subscription_error', 'signature of another socket is refused');
    const ok = await c.subscribe(ch, { auth: channelAuth(app, c.socketId, ch) });
    assert.equal(ok.event, 'pusher_internal:subscription_succeeded');
    const replay = await c.next();
    assert.equal(replay.event, 'salary');
    assert.equal(replay.data, encrypted);
    // A presence-style signature (with channel_data) is refused (10.3 #42) and replays nothing.
    const other = await connectOk(server);
    const cd = '{"user_id":"1"}';
    const bad = await other.subscribe(ch, { auth: channelAuth(app, other.socketId, ch, cd), channel_data: cd });
    assert.equal(bad.event, 'pusher:subscription_error');
    assert.equal(bad.data.type, 'AuthError');
    assert.deepEqual(await other.sync(), []);
    c.close();
    other.close();
  });

  test('presence-cache- replays the last event after the presence subscription_succeeded; presence auth rules hold (10.7 #104)', async () => {
    const ch = fresh('presence-cache-room');
    const ada = await connectClient({ presence: { user_id: '42', user_info: { name: 'Ada' } } });
    const s1 = await subscribeCache(ada, ch);
    assert.deepEqual(s1.rec.names(), ['pusher:subscription_succeeded', 'pusher:cache_miss']);
    assert.equal(s1.rec.seen[0].data.count, 1);

    await sdk.trigger(ch, 'topic', { t: 'cache channels' });
    await s1.rec.until(isEv('topic'), 'topic live');
    const bob = await connectClient({ presence: { user_id: '7', user_info: { name: 'Bob' } } });
    const s2 = await subscribeCache(bob, ch);
    assert.deepEqual(s2.rec.names(), ['pusher:subscription_succeeded', 'topic']);
    assert.equal(s2.rec.seen[0].data.count, 2, 'members of the presence channel');
    assert.deepEqual(s2.rec.seen[1].data, { t: 'cache channels' });

    // Not signed in and no channel_data: AuthError (10.4 #61), and no replay.
    const raw = await connectOk(server);
    const r = await raw.subscribe(ch, { auth: channelAuth(app, raw.socketId, ch) });
    assert.equal(r.event, 'pusher:subscription_error');
    assert.equal(r.data.type, 'AuthError');
    assert.deepEqual(await raw.sync(), []);
    // channel_data changed after signing: AuthError (10.4 #60).
    const cd = '{"user_id":"9"}';
    const r2 = await raw.subscribe(ch, { auth: channelAuth(app, raw.socketId, ch, cd), channel_data: '{"user_id": "9"}' });
    assert.equal(r2.event, 'pusher:subscription_error');
    assert.deepEqual(await raw.sync(), []);
    raw.close();
  });

  test('cache variants with nothing cached each answer pusher:cache_miss (10.7 #100, #104)', async () => {
    const c = await connectOk(server);
    const channels = [fresh('private-cache-x'), fresh('private-encrypted-cache-x'), fresh('presence-cache-x')];
    for (const ch of channels) {
      const ack = ch.startsWith('presence-')
        ? await c.subscribe(ch, { auth: channelAuth(app, c.socketId, ch, '{"user_id":"1"}'), channel_data: '{"user_id":"1"}' })
        : await c.subscribe(ch, { auth: channelAuth(app, c.socketId, ch) });
      assert.equal(ack.event, 'pusher_internal:subscription_succeeded', ack.__raw);
      const miss = await c.next();
      assert.equal(miss.__raw, `{"event":"pusher:cache_miss","data":"{}","channel":"${ch}"}`);
    }
    // Non-cache channels never get one.
    const plain = await c.subscribe(fresh('ticker'));
    assert.equal(plain.event, 'pusher_internal:subscription_succeeded');
    assert.deepEqual(await c.sync(), []);
    c.close();
  });

  test('SDK get /channels/cache-ticker?info=cache: data and 0 < ttl ≤ cache_ttl, or null (10.7 #105, 5.8)', async () => {
    const ch = fresh('cache-ticker');
    const get = (params) => sdk.get({ path: `/channels/${ch}`, params }).then(async (r) => {
      assert.equal(r.status, 200);
      return r.json();
    });
    assert.deepEqual(await get({ info: 'cache' }), { occupied: false, cache: null });
    await sdk.trigger(ch, 'price', { p: 10 });
    const body = await get({ info: 'cache' });
    assert.deepEqual(Object.keys(body).sort(), ['cache', 'occupied']);
    assert.equal(body.occupied, false);
    assert.equal(body.cache.data, '{"p":10}');
    assert.ok(Number.isInteger(body.cache.ttl) && body.cache.ttl > 0 && body.cache.ttl <= 1800, JSON.stringify(body));

    // With a subscriber and another attribute; the most recent data is reported.
    const pusher = await connectClient();
    await subscribeCache(pusher, ch);
    await sdk.trigger(ch, 'price', 'eleven');
    const both = await get({ info: 'cache,subscription_count' });
    assert.equal(both.occupied, true);
    assert.equal(both.subscription_count, 1);
    assert.equal(both.cache.data, 'eleven');
    assert.ok(both.cache.ttl > 0 && both.cache.ttl <= 1800);

    // info=cache on a channel that is not a cache channel is 400 (5.8).
    await assert.rejects(sdk.get({ path: `/channels/${fresh('ticker')}`, params: { info: 'cache' } }), (e) => e.status === 400);
    // Per-app cache_ttl bounds the ttl.
    const t = fresh('cache-short');
    await ttlSdk.trigger(t, 'x', {});
    const short = await ttlSdk.get({ path: `/channels/${t}`, params: { info: 'cache' } }).then((r) => r.json());
    assert.ok(short.cache === null || short.cache.ttl === 1, JSON.stringify(short));
  });

  test('client events are never cached; an API event still is (10.5 #82)', async () => {
    const ch = fresh('private-cache-chat');
    const a = await connectClient();
    const b = await connectClient();
    const sa = await subscribeCache(a, ch);
    const sb = await subscribeCache(b, ch);
    const typing = sb.rec.until(isEv('client-typing'), 'client event relayed');
    assert.equal(sa.channel.trigger('client-typing', { typing: true }), true);
    assert.deepEqual((await typing).data, { typing: true });

    // A new subscriber gets cache_miss, not the client event; the API reports no cache.
    const c = await connectClient();
    const sc = await subscribeCache(c, ch);
    assert.deepEqual(sc.rec.names(), ['pusher:subscription_succeeded', 'pusher:cache_miss']);
    const empty = await sdk.get({ path: `/channels/${ch}`, params: { info: 'cache' } }).then((r) => r.json());
    assert.equal(empty.cache, null);

    // An API event is cached; a later client event does not replace it.
    await sdk.trigger(ch, 'api-event', { v: 1 });
    await sb.rec.until(isEv('api-event'), 'api event live');
    const after = sb.rec.until(isEv('client-after'), 'second client event relayed');
    sa.channel.trigger('client-after', { v: 2 });
    await after;
    const d = await connectClient();
    const sd = await subscribeCache(d, ch);
    assert.deepEqual(sd.rec.seen.slice(1), [{ event: 'api-event', data: { v: 1 } }]);
    const cached = await sdk.get({ path: `/channels/${ch}`, params: { info: 'cache' } }).then((r) => r.json());
    assert.equal(cached.cache.data, '{"v":1}');
  });
});
