// Watchlist events (protocol reference 2.13, 2.15; checklist 10.6 #94–#99) with the real pusher-js
// (node build): `userAuthentication.customHandler` hands out the `pusher` SDK's
// authenticateUser(socketId, {id, watchlist}), `pusher.signin()` signs in, and
// `pusher.user.watchlist.bind('online' | 'offline')` receives the events. A raw WebSocket client
// checks the wire format where it matters.
//
// Absence of an event is proven with a marker: the SDK's sendToUser to the watcher, which arrives on
// the same connection after anything the server sent before it. Where the cause is a disconnect,
// the server's processing of it is observed first through the HTTP API (a probe channel of the
// closing connection becomes unoccupied). Every wait is bounded; no sleeps.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, connectOk, signin as rawSignin, dataOf, defaultApp, DEFAULT_TIMEOUT_MS } from './lib/harness.mjs';
import {
  nextEvent, withTimeout, sdkFor, createPusherClient, waitForConnection, trackPusherClients,
} from './lib/pusher_clients.mjs';

const app = { ...defaultApp, enable_watchlist_events: true };
const offApp = { id: '1002', key: 'off-key', secret: 'off-secret' }; // enable_watchlist_events defaults to false
const smallApp = { id: '1003', key: 'small-key', secret: 'small-secret', enable_watchlist_events: true, max_watchlist_size: 3 };
let seq = 0;
const fresh = (base) => `${base}-${++seq}`;

/** Resolves when pred() holds, checked on every call of the returned `poke`; bounded. */
function waitUntil(pred, label, timeoutMs = DEFAULT_TIMEOUT_MS) {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${label()}`)), timeoutMs);
  const poke = () => {
    if (pred()) {
      clearTimeout(timer);
      resolve();
    }
  };
  return { promise, poke };
}

describe('watchlist events with pusher-js and the pusher SDK (2.15, 10.6 #94–#99)', () => {
  let server;
  const sdks = new Map();
  const live = trackPusherClients();

  before(async () => {
    server = await startServer({ apps: [app, offApp, smallApp] });
    for (const a of [app, offApp, smallApp]) sdks.set(a, sdkFor(server, a));
  });
  after(async () => {
    await server?.stop();
  });

  /**
   * A pusher-js client of app `a`, signed in as `user` ({id, watchlist?}) through the SDK's
   * authenticateUser. Its watchlist events, pusher:error codes and raw server frames are recorded
   * from before the signin. Also subscribes to a probe channel (see closeAndWait).
   */
  async function signedIn(user, a = app) {
    const sdk = sdks.get(a);
    const pusher = createPusherClient(server, a, sdk, { user });
    const rec = { events: [], errors: [], frames: [] };
    const waiters = new Set();
    const notify = () => { for (const w of [...waiters]) w(); };
    for (const name of ['online', 'offline']) {
      pusher.user.watchlist.bind(name, (e) => { rec.events.push(e); notify(); });
    }
    pusher.connection.bind('error', (e) => {
      if (e?.type === 'PusherError') { rec.errors.push(e.data?.code); notify(); }
    });
    pusher.connection.bind('message', (m) => rec.frames.push(m.event));
    /** Resolves once `pred(rec)` holds. */
    rec.until = (pred, label) => {
      const w = waitUntil(() => pred(rec), () => `${label}; recorded ${JSON.stringify({ events: rec.events, errors: rec.errors })}`);
      waiters.add(w.poke);
      w.poke();
      return w.promise.finally(() => waiters.delete(w.poke));
    };
    await waitForConnection(pusher);
    pusher.signin();
    await withTimeout(pusher.user.signinDonePromise, `signin of ${user.id}`);
    assert.equal(pusher.user.user_data?.id, user.id, 'signin_success received');
    // A probe channel makes the server's processing of this connection's close observable.
    const probe = pusher.subscribe(fresh(`probe-${user.id}`));
    await nextEvent(probe, 'pusher:subscription_succeeded', { failOn: ['pusher:subscription_error'] });
    return { pusher, rec, sdk, probe: probe.name, app: a };
  }

  /** Disconnects a client and resolves once the server has processed the close. */
  async function closeAndWait(client) {
    client.pusher.disconnect();
    live.delete(client.pusher);
    const deadline = Date.now() + DEFAULT_TIMEOUT_MS;
    for (;;) {
      const body = await client.sdk.get({ path: `/channels/${client.probe}` }).then((r) => r.json());
      if (!body.occupied) return;
      assert.ok(Date.now() < deadline, `the server did not process the close of ${client.probe} in time`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Sends a server-to-user marker to the watcher and waits for it: anything sent before is in. */
  async function marker(watcher) {
    const got = nextEvent(watcher.pusher.user, 'marker');
    await watcher.sdk.sendToUser(watcher.pusher.user.user_data.id, 'marker', {});
    await got;
  }

  test('signing in with watchlist [7, 99] while 7 is online: online [7] and offline [99] (10.6 #94)', async () => {
    const u7 = fresh('u7');
    const u99 = fresh('u99');
    await signedIn({ id: u7 });
    const watcher = await signedIn({ id: fresh('watcher'), watchlist: [u7, u99] });
    await watcher.rec.until((r) => r.events.length >= 2, 'online and offline');
    assert.deepEqual(watcher.rec.events, [{ name: 'online', user_ids: [u7] }, { name: 'offline', user_ids: [u99] }]);

    // On the wire: one connection-level pusher_internal:watchlist_events right after signin_success.
    const raw = await connectOk(server);
    const ud = JSON.stringify({ id: fresh('raw-watcher'), watchlist: [u7, u99] });
    const ok = await rawSignin(raw, app, ud);
    assert.equal(ok.event, 'pusher:signin_success', ok.__raw);
    const wl = await raw.next();
    assert.equal(wl.event, 'pusher_internal:watchlist_events', wl.__raw);
    assert.deepEqual(Object.keys(JSON.parse(wl.__raw)), ['event', 'data'], 'no channel member');
    assert.equal(typeof wl.data, 'string', 'data is a JSON string');
    assert.deepEqual(dataOf(wl), { events: [{ name: 'online', user_ids: [u7] }, { name: 'offline', user_ids: [u99] }] });
    assert.deepEqual(await raw.sync(), [], 'exactly one watchlist event');
    raw.close();
    await marker(watcher);
    assert.equal(watcher.rec.events.length, 2);
  });

  test('when a watched user signs in later, every watcher gets online [id], others nothing (10.6 #95)', async () => {
    const u99 = fresh('u99');
    const w1 = await signedIn({ id: fresh('w1'), watchlist: [u99] });
    const w2 = await signedIn({ id: fresh('w2'), watchlist: ['someone-else', u99] });
    const bystander = await signedIn({ id: fresh('bystander'), watchlist: ['someone-else'] });
    for (const w of [w1, w2]) await w.rec.until((r) => r.events.length >= 1, 'initial offline');
    assert.deepEqual(w1.rec.events, [{ name: 'offline', user_ids: [u99] }]);
    assert.deepEqual(w2.rec.events, [{ name: 'offline', user_ids: ['someone-else', u99] }]);
    await bystander.rec.until((r) => r.events.length >= 1, 'initial offline');

    const raw = await connectOk(server);
    assert.equal((await rawSignin(raw, app, JSON.stringify({ id: fresh('raw'), watchlist: [u99] }))).event, 'pusher:signin_success');
    await raw.nextEvent('pusher_internal:watchlist_events');

    await signedIn({ id: u99 });
    for (const w of [w1, w2]) await w.rec.until((r) => r.events.length >= 2, 'online');
    assert.deepEqual(w1.rec.events[1], { name: 'online', user_ids: [u99] });
    assert.deepEqual(w2.rec.events[1], { name: 'online', user_ids: [u99] });
    const online = await raw.nextEvent('pusher_internal:watchlist_events');
    assert.equal(online.__raw, JSON.stringify({ event: 'pusher_internal:watchlist_events', data: JSON.stringify({ events: [{ name: 'online', user_ids: [u99] }] }) }));
    raw.close();
    await marker(bystander);
    assert.equal(bystander.rec.events.length, 1, `bystander: ${JSON.stringify(bystander.rec.events)}`);
  });

  test("when the watched user's last connection closes the watcher gets offline; closing one of two does nothing (10.6 #96)", async () => {
    const u7 = fresh('u7');
    const a = await signedIn({ id: u7 });
    const b = await signedIn({ id: u7 });
    const watcher = await signedIn({ id: fresh('watcher'), watchlist: [u7] });
    await watcher.rec.until((r) => r.events.length >= 1, 'initial online');
    assert.deepEqual(watcher.rec.events, [{ name: 'online', user_ids: [u7] }]);

    await closeAndWait(a);
    await marker(watcher);
    assert.equal(watcher.rec.events.length, 1, `no offline while a connection of ${u7} remains: ${JSON.stringify(watcher.rec.events)}`);

    await closeAndWait(b);
    await watcher.rec.until((r) => r.events.length >= 2, 'offline');
    assert.deepEqual(watcher.rec.events[1], { name: 'offline', user_ids: [u7] });
    await marker(watcher);
    assert.equal(watcher.rec.events.length, 2);
  });

  test('a second connection of an already-online user produces no new online (10.6 #97)', async () => {
    const u7 = fresh('u7');
    const watcher = await signedIn({ id: fresh('watcher'), watchlist: [u7] });
    await watcher.rec.until((r) => r.events.length >= 1, 'initial offline');
    await signedIn({ id: u7 });
    await watcher.rec.until((r) => r.events.length >= 2, 'online');
    assert.deepEqual(watcher.rec.events[1], { name: 'online', user_ids: [u7] });
    await signedIn({ id: u7 }); // signin_success received: its processing is complete
    await marker(watcher);
    assert.equal(watcher.rec.events.length, 2, `no second online: ${JSON.stringify(watcher.rec.events)}`);
    // Signing in again as the same user on the same connection produces none either (2.13).
    const u8 = fresh('u8');
    const raw = await connectOk(server);
    const w2 = await signedIn({ id: fresh('watcher2'), watchlist: [u8] });
    await w2.rec.until((r) => r.events.length >= 1, 'initial offline');
    assert.equal((await rawSignin(raw, app, JSON.stringify({ id: u8 }))).event, 'pusher:signin_success');
    await w2.rec.until((r) => r.events.length >= 2, 'online');
    assert.equal((await rawSignin(raw, app, JSON.stringify({ id: u8 }))).event, 'pusher:signin_success', 'second signin as the same user');
    await marker(w2);
    assert.deepEqual(w2.rec.events, [{ name: 'offline', user_ids: [u8] }, { name: 'online', user_ids: [u8] }]);
    raw.close();
  });

  test('a watchlist of 101 ids: signin succeeds, pusher:error 4302, only the first 100 are tracked (10.6 #98)', async () => {
    const base = fresh('wl');
    const ids = Array.from({ length: 101 }, (_, i) => `${base}-${i}`);
    const watcher = await signedIn({ id: fresh('watcher'), watchlist: ids });
    assert.ok(watcher.pusher.user.user_data, 'signin_success despite the oversized watchlist');
    await watcher.rec.until((r) => r.errors.includes(4302) && r.events.length >= 1, '4302 and the initial offline');
    assert.deepEqual(watcher.rec.events, [{ name: 'offline', user_ids: ids.slice(0, 100) }]);
    assert.equal(watcher.pusher.connection.state, 'connected', 'the connection stays open');

    // The 101st id is not tracked; the 100th is.
    await signedIn({ id: ids[100] });
    await marker(watcher);
    assert.equal(watcher.rec.events.length, 1, `no event for the 101st id: ${JSON.stringify(watcher.rec.events.slice(1))}`);
    await signedIn({ id: ids[99] });
    await watcher.rec.until((r) => r.events.length >= 2, 'online of the 100th id');
    assert.deepEqual(watcher.rec.events[1], { name: 'online', user_ids: [ids[99]] });

    // Wire: signin_success, then pusher:error 4302 (connection-level, connection open).
    const raw = await connectOk(server);
    const ok = await rawSignin(raw, app, JSON.stringify({ id: fresh('raw'), watchlist: ids }));
    assert.equal(ok.event, 'pusher:signin_success', `frames:\n${raw.seen()}`);
    const err = await raw.nextEvent('pusher:error');
    assert.equal(err.data.code, 4302, err.__raw);
    assert.equal(err.channel, undefined);
    assert.deepEqual(await raw.sync().then((fs) => fs.filter((f) => f.event !== 'pusher_internal:watchlist_events')), []);
    assert.equal(raw.closeInfo, null);
    raw.close();
  });

  test('per-app max_watchlist_size 3: 3 ids are fine, 4 give 4302 and the first 3 are tracked (6, 2.15)', async () => {
    const base = fresh('small');
    const ids = [0, 1, 2, 3].map((i) => `${base}-${i}`);
    const ok = await signedIn({ id: fresh('w-ok'), watchlist: ids.slice(0, 3) }, smallApp);
    const over = await signedIn({ id: fresh('w-over'), watchlist: ids }, smallApp);
    await ok.rec.until((r) => r.events.length >= 1, 'initial offline');
    await over.rec.until((r) => r.events.length >= 1 && r.errors.includes(4302), 'initial offline and 4302');
    assert.deepEqual(over.rec.events, [{ name: 'offline', user_ids: ids.slice(0, 3) }]);
    await signedIn({ id: ids[3] }, smallApp);
    await signedIn({ id: ids[2] }, smallApp);
    for (const w of [ok, over]) await w.rec.until((r) => r.events.length >= 2, 'online of the 3rd id');
    await marker(ok);
    await marker(over);
    assert.deepEqual(ok.rec.errors, [], 'at the limit: no error');
    assert.deepEqual(ok.rec.events.slice(1), [{ name: 'online', user_ids: [ids[2]] }]);
    assert.deepEqual(over.rec.events.slice(1), [{ name: 'online', user_ids: [ids[2]] }]);
  });

  test('with watchlist events disabled for the app nothing is ever sent (10.6 #99)', async () => {
    const u7 = fresh('u7');
    const u99 = fresh('u99');
    const first = await signedIn({ id: u7 }, offApp);
    const watcher = await signedIn({ id: fresh('watcher'), watchlist: [u7, u99] }, offApp);
    const late = await signedIn({ id: u99 }, offApp);
    await closeAndWait(first);
    await closeAndWait(late);
    await marker(watcher);
    assert.deepEqual(watcher.rec.events, []);
    assert.ok(!watcher.rec.frames.includes('pusher_internal:watchlist_events'), watcher.rec.frames.join(', '));
    assert.deepEqual(watcher.rec.errors, []);
  });
});
