// Interoperability with the real client libraries (protocol reference Appendix A): pusher-js 8
// (node build) and Laravel Echo 2 on the WebSocket side, the `pusher` server SDK
// (pusher-http-node) on the HTTP side. Channel authorization tokens come from the SDK's own
// authorizeChannel / authenticateUser, handed to the clients through custom handlers
// (the pusher-js and SDK helpers are in lib/pusher_clients.mjs).
//
// Every wait is bounded (DEFAULT_TIMEOUT_MS); every client is disconnected at the end of its
// test. Absence of a delivery is proven with a marker event published afterwards (events on one
// connection arrive in order), never with a sleep.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Pusher from 'pusher-js';
import Echo from 'laravel-echo';
import { startServer, defaultApp, DEFAULT_TIMEOUT_MS } from './lib/harness.mjs';
import {
  nextEvent, withTimeout, record, sdkFor, pusherClient, subscribe, trackPusherClients,
} from './lib/pusher_clients.mjs';

const app = defaultApp;
let seq = 0;
const fresh = (base) => `${base}-${++seq}`;

describe('interoperability with pusher-js, the pusher SDK and Laravel Echo (Appendix A)', () => {
  let server;
  let sdk;
  // pusher-js / Echo instances, disconnected after each test (close timers cleared, see
  // lib/pusher_clients.mjs).
  const live = trackPusherClients();

  before(async () => {
    server = await startServer();
    sdk = sdkFor(server, app);
  });
  after(async () => { await server?.stop(); });

  /**
   * A connected pusher-js client with the options of Appendix A (authorizers from the SDK);
   * `presence` is the presence member, `user` the signed-in user.
   */
  async function connectClient(opts = {}) {
    const pusher = await pusherClient(server, app, sdk, opts);
    assert.match(pusher.connection.socket_id, /^\d+\.\d+$/);
    return pusher;
  }

  async function getJson(path, params) {
    const res = await sdk.get({ path, params });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    return res.json();
  }

  // ---- pusher-js + SDK ----

  test('public channel: a pusher-js subscriber receives an SDK trigger with exact data (10.9 #121, #122)', async () => {
    const ch = fresh('orders');
    const pusher = await connectClient();
    const { channel } = await subscribe(pusher, ch);
    const got = nextEvent(channel, 'order-shipped');
    const res = await sdk.trigger(ch, 'order-shipped', { id: 42, items: ['a', 'b'], note: 'ünïcode €' });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '{}');
    const { data, meta } = await got;
    assert.deepEqual(data, { id: 42, items: ['a', 'b'], note: 'ünïcode €' });
    assert.equal(meta?.user_id, undefined);
    // A string that is not JSON reaches the client byte for byte.
    const got2 = nextEvent(channel, 'plain');
    await sdk.trigger(ch, 'plain', 'just text, "quoted" \\ back');
    assert.equal((await got2).data, 'just text, "quoted" \\ back');
  });

  test('SDK trigger to several channels and triggerBatch reach pusher-js in order (10.9 #123, #134)', async () => {
    const chs = [fresh('orders'), fresh('orders')];
    const pusher = await connectClient();
    const channels = [];
    for (const ch of chs) channels.push((await subscribe(pusher, ch)).channel);
    const seen = channels.map(record);
    const done = nextEvent(channels[1], 'last');
    await sdk.trigger(chs, 'both', { n: 1 });
    const res = await sdk.triggerBatch([
      { channel: chs[0], name: 'batch-a', data: { i: 1 } },
      { channel: chs[1], name: 'batch-b', data: 'two' },
      { channel: chs[1], name: 'last', data: '{}' },
    ]);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {});
    await done;
    const names = (s) => s.filter((e) => !e.event.startsWith('pusher')).map((e) => [e.event, e.data]);
    assert.deepEqual(names(seen[0]), [['both', { n: 1 }], ['batch-a', { i: 1 }]]);
    assert.deepEqual(names(seen[1]), [['both', { n: 1 }], ['batch-b', 'two'], ['last', {}]]);
  });

  test('private and presence channels authorized with the SDK; members and member_added/removed (10.4 #51–#57)', async () => {
    const priv = fresh('private-orders.42');
    const pres = fresh('presence-room');
    const ada = await connectClient({ presence: { user_id: '42', user_info: { name: 'Ada' } } });
    const bob = await connectClient({ presence: { user_id: '7', user_info: { name: 'Bob' } } });

    const { channel: privAda } = await subscribe(ada, priv);
    assert.equal(privAda.subscribed, true);
    const got = nextEvent(privAda, 'secret');
    await sdk.trigger(priv, 'secret', { ok: true });
    assert.deepEqual((await got).data, { ok: true });

    const { channel: presAda, data: membersAda } = await subscribe(ada, pres);
    assert.equal(membersAda.count, 1);
    assert.deepEqual(membersAda.me, { id: '42', info: { name: 'Ada' } });

    const added = nextEvent(presAda, 'pusher:member_added');
    const { data: membersBob } = await subscribe(bob, pres);
    assert.equal(membersBob.count, 2);
    const list = [];
    membersBob.each((m) => list.push(m));
    assert.deepEqual(list.sort((a, b) => (a.id < b.id ? -1 : 1)), [{ id: '42', info: { name: 'Ada' } }, { id: '7', info: { name: 'Bob' } }]);
    assert.deepEqual((await added).data, { id: '7', info: { name: 'Bob' } });
    assert.equal(presAda.members.count, 2);

    const users = await getJson(`/channels/${pres}/users`);
    assert.deepEqual(users.users.map((u) => u.id).sort(), ['42', '7']);
    assert.deepEqual(await getJson(`/channels/${pres}`, { info: 'user_count' }), { occupied: true, user_count: 2 });

    const removed = nextEvent(presAda, 'pusher:member_removed');
    bob.disconnect();
    live.delete(bob);
    assert.deepEqual((await removed).data, { id: '7', info: { name: 'Bob' } });
    assert.equal(presAda.members.count, 1);
  });

  test('client events between two pusher-js clients; the sender does not get its own (10.5 #68, #70)', async () => {
    const priv = fresh('private-chat');
    const pres = fresh('presence-chat');
    const a = await connectClient({ presence: { user_id: 'alice' } });
    const b = await connectClient({ presence: { user_id: 'bob' } });
    const { channel: pa } = await subscribe(a, priv);
    const { channel: pb } = await subscribe(b, priv);
    const seenByA = record(pa);

    const typing = nextEvent(pb, 'client-typing');
    assert.equal(pa.trigger('client-typing', { typing: true, who: 'alice' }), true);
    const { data, meta } = await typing;
    assert.deepEqual(data, { typing: true, who: 'alice' });
    assert.equal(meta?.user_id, undefined, 'no user_id on private channels (10.5 #71)');

    // Reply from b; a receives it, and never saw its own event before it.
    const reply = nextEvent(pa, 'client-reply');
    pb.trigger('client-reply', { ok: 1 });
    await reply;
    assert.deepEqual(seenByA.filter((e) => e.event.startsWith('client-')).map((e) => e.event), ['client-reply']);

    // Presence: the relayed event carries the sender's user_id.
    const { channel: qa } = await subscribe(a, pres);
    const { channel: qb } = await subscribe(b, pres);
    const wave = nextEvent(qa, 'client-wave');
    qb.trigger('client-wave', 'hi');
    const w = await wave;
    assert.equal(w.data, 'hi');
    assert.equal(w.meta?.user_id, 'bob');
  });

  test('SDK trigger with socket_id excludes that pusher-js connection only (10.9 #124)', async () => {
    const ch = fresh('orders');
    const sender = await connectClient();
    const other = await connectClient();
    const { channel: cs } = await subscribe(sender, ch);
    const { channel: co } = await subscribe(other, ch);
    const seenBySender = record(cs);
    const otherGot = nextEvent(co, 'update');
    await sdk.trigger(ch, 'update', { v: 1 }, { socket_id: sender.connection.socket_id });
    assert.deepEqual((await otherGot).data, { v: 1 });
    const marker = nextEvent(cs, 'marker');
    await sdk.trigger(ch, 'marker', {});
    await marker;
    assert.deepEqual(seenBySender.filter((e) => !e.event.startsWith('pusher')).map((e) => e.event), ['marker']);
  });

  test('SDK get /channels, /channels/{name} and users reflect pusher-js subscriptions (10.9 #138–#145)', async () => {
    const prefix = fresh('interop');
    const pub = `${prefix}-orders`;
    const pres = `presence-${prefix}`;
    const a = await connectClient({ presence: { user_id: '1' } });
    const b = await connectClient({ presence: { user_id: '2' } });
    await subscribe(a, pub);
    await subscribe(b, pub);
    await subscribe(a, pres);
    await subscribe(b, pres);
    assert.deepEqual(await getJson('/channels', { filter_by_prefix: prefix }), { channels: { [pub]: {} } });
    assert.deepEqual(await getJson('/channels', { filter_by_prefix: 'presence-interop', info: 'user_count' }).then((r) => r.channels[pres]), { user_count: 2 });
    assert.deepEqual(await getJson(`/channels/${pub}`, { info: 'subscription_count' }), { occupied: true, subscription_count: 2 });
    assert.deepEqual(await getJson(`/channels/${prefix}-empty`), { occupied: false });
    const users = await getJson(`/channels/${pres}/users`);
    assert.deepEqual(users.users.map((u) => u.id).sort(), ['1', '2']);
    // Errors surface as the SDK's RequestError with the status.
    await assert.rejects(sdk.get({ path: `/channels/${pub}/users` }), (e) => e.status === 400);
    // SDK trigger with info returns counts.
    const res = await sdk.trigger([pub, pres], 'e', {}, { info: 'subscription_count,user_count' });
    assert.deepEqual(await res.json(), { channels: { [pub]: { subscription_count: 2 }, [pres]: { user_count: 2, subscription_count: 2 } } });
  });

  test('a Laravel-style event name App\\Events\\OrderShipped is delivered unchanged (10.9 #133)', async () => {
    const ch = fresh('orders');
    const pusher = await connectClient();
    const { channel } = await subscribe(pusher, ch);
    const got = nextEvent(channel, 'App\\Events\\OrderShipped');
    await sdk.trigger(ch, 'App\\Events\\OrderShipped', { order: { id: 1 } });
    assert.deepEqual((await got).data, { order: { id: 1 } });
  });

  test('user signin via userAuthentication.customHandler; SDK sendToUser reaches pusher.user.bind (10.6 #84, #90)', async () => {
    const ada = await connectClient({ user: { id: '42', user_info: { name: 'Ada' } } });
    const other = await connectClient({ user: { id: '7' } });
    for (const p of [ada, other]) {
      p.signin();
      await withTimeout(p.user.signinDonePromise, 'pusher-js signin');
      assert.ok(p.user.user_data, 'signin_success received');
      // Wait until the #server-to-user-<id> subscription pusher-js makes is confirmed.
      const stu = p.user.serverToUserChannel;
      assert.ok(stu, 'pusher-js subscribes to #server-to-user-<id> after signin');
      if (!stu.subscribed) await nextEvent(stu, 'pusher:subscription_succeeded', { failOn: ['pusher:subscription_error'] });
    }
    assert.deepEqual(ada.user.user_data, { id: '42', user_info: { name: 'Ada' } });
    const otherSeen = [];
    other.user.bind('invoice-ready', (d) => otherSeen.push(d));
    const got = nextEvent(ada.user, 'invoice-ready');
    const res = await sdk.sendToUser('42', 'invoice-ready', { invoice: 9 });
    assert.equal(res.status, 200);
    assert.deepEqual((await got).data, { invoice: 9 });
    // The other user gets nothing: a marker for it arrives first.
    const marker = nextEvent(other.user, 'marker');
    await sdk.sendToUser('7', 'marker', {});
    await marker;
    assert.deepEqual(otherSeen, []);
    // #server-to-user- channels are not listed (10.6 #91).
    const channels = await getJson('/channels');
    assert.ok(!Object.keys(channels.channels).some((c) => c.startsWith('#')), JSON.stringify(channels));
  });

  test('SDK terminateUserConnections closes the signed-in pusher-js client with 4009, no reconnect (10.6 #92)', async () => {
    const victim = await connectClient({ user: { id: 'term-1' } });
    const bystander = await connectClient({ user: { id: 'term-2' } });
    for (const p of [victim, bystander]) {
      p.signin();
      await withTimeout(p.user.signinDonePromise, 'pusher-js signin');
      assert.ok(p.user.user_data);
    }
    const error = nextEvent(victim.connection, 'error', { filter: (e) => e?.type === 'PusherError', label: 'pusher:error 4009' });
    const disconnected = nextEvent(victim.connection, 'state_change', { filter: (s) => s.current === 'disconnected', label: 'state disconnected' });
    const closeCodes = [];
    victim.connection.bind('error', (e) => { if (e?.type === 'PusherError' && e.data?.code) closeCodes.push(e.data.code); });
    const res = await sdk.terminateUserConnections('term-1');
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '{}');
    const { data: err } = await error;
    assert.equal(err.data.code, 4009, JSON.stringify(err));
    await disconnected;
    // pusher-js treats close 4009 as "refused" (no reconnect); a different close code would retry.
    assert.equal(victim.connection.state, 'disconnected');
    assert.ok(closeCodes.every((c) => c === 4009), JSON.stringify(closeCodes));
    // The other user's connection is untouched and still receives events.
    assert.equal(bystander.connection.state, 'connected');
    const { channel } = await subscribe(bystander, fresh('orders'));
    const got = nextEvent(channel, 'still-here');
    await sdk.trigger(channel.name, 'still-here', {});
    await got;
  });

  // ---- Laravel Echo ----

  function echoFor({ presence } = {}) {
    const echo = new Echo({
      broadcaster: 'pusher', key: app.key, wsHost: '127.0.0.1', wsPort: server.port, forceTLS: false,
      enabledTransports: ['ws'], cluster: 'mt1', disableStats: true, Pusher,
      authorizer: (channel) => ({
        authorize: (socketId, callback) => {
          try {
            callback(null, channel.name.startsWith('presence-')
              ? sdk.authorizeChannel(socketId, channel.name, presence)
              : sdk.authorizeChannel(socketId, channel.name));
          } catch (e) { callback(e, null); }
        },
      }),
    });
    live.add(echo);
    return echo;
  }

  /** Resolves when an Echo channel's subscription succeeded (Echo's subscribed()/error()). */
  function echoSubscribed(echoChannel, label) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for Echo subscription ${label}`)), DEFAULT_TIMEOUT_MS);
      echoChannel.subscribed(() => { clearTimeout(timer); resolve(); });
      echoChannel.error((e) => { clearTimeout(timer); reject(new Error(`Echo subscription ${label} failed: ${JSON.stringify(e)}`)); });
    });
  }

  function echoCallback(label) {
    let resolve;
    const timerHolder = {};
    const promise = new Promise((res, rej) => {
      resolve = res;
      timerHolder.t = setTimeout(() => rej(new Error(`timed out waiting for ${label}`)), DEFAULT_TIMEOUT_MS);
    });
    const cb = (...args) => { clearTimeout(timerHolder.t); resolve(args); };
    return { cb, promise };
  }

  test("Echo .channel().listen('.order-shipped') and listen('OrderShipped') with the App.Events namespace", async () => {
    const ch = fresh('orders');
    const echo = echoFor();
    const channel = echo.channel(ch);
    const dotted = echoCallback('.order-shipped');
    const namespaced = echoCallback('OrderShipped');
    channel.listen('.order-shipped', dotted.cb);
    channel.listen('OrderShipped', namespaced.cb);
    await echoSubscribed(channel, ch);
    await sdk.trigger(ch, 'order-shipped', { id: 1 });
    await sdk.trigger(ch, 'App\\Events\\OrderShipped', { order: { id: 2 } });
    assert.deepEqual((await dotted.promise)[0], { id: 1 });
    assert.deepEqual((await namespaced.promise)[0], { order: { id: 2 } });
  });

  test('Echo .private() receives events and socket_id (toOthers) excludes the sender (10.9 #124)', async () => {
    const name = fresh('orders');
    const echo = echoFor();
    const other = echoFor();
    const mine = echo.private(name);
    const theirs = other.private(name);
    const got = echoCallback('.status on other');
    const seenMine = [];
    mine.listen('.status', (d) => seenMine.push(d));
    theirs.listen('.status', got.cb);
    await Promise.all([echoSubscribed(mine, name), echoSubscribed(theirs, name)]);
    assert.match(echo.socketId(), /^\d+\.\d+$/);
    await sdk.trigger(`private-${name}`, 'status', { s: 'shipped' }, { socket_id: echo.socketId() });
    assert.deepEqual((await got.promise)[0], { s: 'shipped' });
    const marker = echoCallback('.marker');
    mine.listen('.marker', marker.cb);
    await sdk.trigger(`private-${name}`, 'marker', {});
    await marker.promise;
    assert.deepEqual(seenMine, []);
  });

  test('Echo .join(): here, joining, leaving (10.4)', async () => {
    const room = fresh('room');
    const ada = echoFor({ presence: { user_id: '42', user_info: { name: 'Ada' } } });
    const here = echoCallback('here');
    const joining = echoCallback('joining');
    const leaving = echoCallback('leaving');
    ada.join(room).here(here.cb).joining(joining.cb).leaving(leaving.cb);
    const [members] = await here.promise;
    assert.deepEqual(members, [{ name: 'Ada' }]);

    const bob = echoFor({ presence: { user_id: '7', user_info: { name: 'Bob' } } });
    const bobHere = echoCallback('bob here');
    bob.join(room).here(bobHere.cb);
    const [bobMembers] = await bobHere.promise;
    assert.deepEqual(bobMembers.map((m) => m.name).sort(), ['Ada', 'Bob']);
    assert.deepEqual((await joining.promise)[0], { name: 'Bob' });

    bob.leave(room);
    assert.deepEqual((await leaving.promise)[0], { name: 'Bob' });
  });

  test('Echo whisper / listenForWhisper between two clients (client events, 10.5 #68)', async () => {
    const name = fresh('chat');
    const a = echoFor();
    const b = echoFor();
    const ca = a.private(name);
    const cb = b.private(name);
    const heard = echoCallback('whisper typing');
    const selfHeard = [];
    cb.listenForWhisper('typing', heard.cb);
    ca.listenForWhisper('typing', (d) => selfHeard.push(d));
    await Promise.all([echoSubscribed(ca, name), echoSubscribed(cb, name)]);
    ca.whisper('typing', { name: 'Ada' });
    assert.deepEqual((await heard.promise)[0], { name: 'Ada' });
    // Round trip back: a hears b, and never heard itself.
    const back = echoCallback('whisper back');
    ca.listenForWhisper('typed', back.cb);
    cb.whisper('typed', { done: true });
    assert.deepEqual((await back.promise)[0], { done: true });
    assert.deepEqual(selfHeard, []);
  });
});
