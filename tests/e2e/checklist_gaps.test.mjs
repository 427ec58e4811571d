// Checklist items (protocol reference section 10) that had no end-to-end test: see
// tests/COMPLIANCE.md. Here against the real binary, with pusher-js / the `pusher` SDK where they
// show the behaviour and raw WebSockets where the exact frames matter:
//   #158            readiness fails and new upgrades get 4200 while the server drains (no test at all before)
//   #100 (webhook)  the cache_miss webhook of an empty cache channel, at most one per channel per second (2.12)
//   #36 (rest)      subscribing twice changes no count and posts no second channel_occupied
//   #93             terminate_connections spares connections that only joined presence as the user (unit only before)
//   #106, #107      pusher_internal:subscription_count on and off (unit only before)
//   #159, #160      authorized-connections mode (unit only before)
//   #161            a disconnect has the effects of explicit unsubscribes (unit only before)
//
// Every wait is bounded; absence is proven with a marker (a later frame or webhook that must come
// after anything the server sent before it), never with a sleep.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import PusherServer from 'pusher';
import { rawSubscriber } from './lib/raw_socket.mjs';
import { signedRequest } from './lib/trigger.mjs';
import {
  nextEvent, withTimeout, sdkFor, pusherClient, trackPusherClients, cleanupPusherClients,
} from './lib/pusher_clients.mjs';
import {
  startServer, connect, connectOk, assertRefused, subscribePresence, subscribePrivate,
  signin, dataOf, defaultApp, DEFAULT_TIMEOUT_MS,
} from './lib/harness.mjs';

let seq = 0;
const fresh = (base) => `${base}-${++seq}`;

// pusher-js clients of every test are disconnected after it (close timers cleared, see
// lib/pusher_clients.mjs); the stand-alone tests below also clean up in their own t.after.
trackPusherClients();

// ---- a minimal webhook receiver, verified with the SDK's webhook checker ----------------------

class Receiver {
  constructor(app) {
    this.sdk = new PusherServer({ appId: app.id, key: app.key, secret: app.secret, host: '127.0.0.1' });
    this.requests = [];
    this.waiters = [];
    this.server = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        let body;
        try { body = JSON.parse(rawBody); } catch { body = undefined; }
        this.requests.push({ headers: req.headers, rawBody, body, valid: this.sdk.webhook({ headers: req.headers, rawBody }).isValid() });
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('ok');
        for (const w of [...this.waiters]) w();
      });
    });
  }

  async start() {
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${this.server.address().port}/hook`;
    return this;
  }

  events() {
    return this.requests.flatMap((r) => (r.body?.events ?? []).map((e) => ({ ...e, request: r })));
  }

  /** Resolves with the first event matching `pred`, bounded. */
  waitFor(pred, label, timeoutMs = DEFAULT_TIMEOUT_MS) {
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        const k = this.waiters.indexOf(check);
        if (k >= 0) this.waiters.splice(k, 1);
      };
      const check = () => {
        const hit = this.events().find(pred);
        if (hit) {
          done();
          resolve(hit);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no webhook ${label} within ${timeoutMs} ms; got ${JSON.stringify(this.events().map(({ request, ...e }) => e))}`));
      }, timeoutMs);
      this.waiters.push(check);
      check();
    });
  }

  close() {
    return new Promise((resolve) => this.server.close(resolve));
  }
}

// ---- #100 (webhook part), #36 (no count change, no second webhook) ----------------------------

describe('cache_miss webhook and idempotent subscriptions (10.7 #100, 10.3 #36, 2.12)', () => {
  const hookApp = { id: '3001', key: 'hook-key', secret: 'hook-secret', enable_subscription_count: true };
  let receiver;
  let server;
  let sdk;

  before(async () => {
    receiver = await new Receiver(hookApp).start();
    server = await startServer({
      apps: [{ ...hookApp, webhooks: [{ url: receiver.url, event_types: ['cache_miss', 'channel_occupied'] }] }],
    });
    sdk = sdkFor(server, hookApp);
  });
  after(async () => {
    await server?.stop();
    await receiver?.close();
  });

  test('subscribing to an empty cache channel posts a signed cache_miss webhook; at most one per channel per second; none when cached (10.7 #100)', async () => {
    const ch = fresh('cache-ticker');
    const pusher = await pusherClient(server, hookApp, sdk);
    const channel = pusher.subscribe(ch);
    const t0 = Date.now();
    await nextEvent(channel, 'pusher:cache_miss', { failOn: ['pusher:subscription_error'] });
    const hook = await receiver.waitFor((e) => e.name === 'cache_miss' && e.channel === ch, `cache_miss for ${ch}`);
    assert.deepEqual(Object.keys(hook).filter((k) => k !== 'request').sort(), ['channel', 'name']);
    assert.equal(hook.request.valid, true, 'X-Pusher-Signature verifies with the SDK');
    assert.equal(hook.request.headers['x-pusher-key'], hookApp.key);
    assert.ok(Number.isInteger(hook.request.body.time_ms));

    // A second subscriber of the still-empty channel gets its cache_miss frame, but the webhook is
    // de-duplicated within a second (2.12 SHOULD).
    const raw = await connectOk(server, { key: hookApp.key });
    const notCount = (f) => f.event !== 'pusher_internal:subscription_count';
    assert.equal((await raw.subscribe(ch)).event, 'pusher_internal:subscription_succeeded');
    assert.equal((await raw.next(notCount)).event, 'pusher:cache_miss');
    const second = Date.now() - t0;
    // A channel with a cached event gives no cache_miss webhook.
    const cached = fresh('cache-full');
    await sdk.trigger(cached, 'e', {});
    assert.equal((await raw.subscribe(cached)).event, 'pusher_internal:subscription_succeeded');
    assert.equal((await raw.next(notCount)).event, 'e');
    // Marker: requests to one endpoint go out in order.
    const markerCh = fresh('cache-marker');
    assert.equal((await raw.subscribe(markerCh)).event, 'pusher_internal:subscription_succeeded');
    await receiver.waitFor((e) => e.name === 'cache_miss' && e.channel === markerCh, 'marker cache_miss');
    const misses = receiver.events().filter((e) => e.name === 'cache_miss').map((e) => e.channel);
    assert.ok(!misses.includes(cached), `no cache_miss for a cached channel: ${misses}`);
    if (second < 1000) assert.equal(misses.filter((c) => c === ch).length, 1, `de-duplicated within a second: ${misses}`);
    raw.close();
  });

  test('subscribing twice: a second subscription_succeeded, no subscription_count, no second channel_occupied webhook (10.3 #36)', async () => {
    const ch = fresh('orders');
    const c = await connectOk(server, { key: hookApp.key });
    assert.equal((await c.subscribe(ch)).event, 'pusher_internal:subscription_succeeded');
    const count = await c.nextEvent('pusher_internal:subscription_count', ch);
    assert.deepEqual(dataOf(count), { subscription_count: 1 });
    await receiver.waitFor((e) => e.name === 'channel_occupied' && e.channel === ch, `channel_occupied ${ch}`);
    const again = await c.subscribe(ch);
    assert.equal(again.__raw, `{"event":"pusher_internal:subscription_succeeded","data":"{}","channel":"${ch}"}`);
    assert.deepEqual(await c.sync(), [], 'no subscription_count after the repeated subscribe');
    const res = await sdk.get({ path: `/channels/${ch}`, params: { info: 'subscription_count' } }).then((r) => r.json());
    assert.equal(res.subscription_count, 1);
    const markerCh = fresh('marker');
    assert.equal((await c.subscribe(markerCh)).event, 'pusher_internal:subscription_succeeded');
    await receiver.waitFor((e) => e.name === 'channel_occupied' && e.channel === markerCh, 'marker channel_occupied');
    assert.equal(receiver.events().filter((e) => e.name === 'channel_occupied' && e.channel === ch).length, 1);
    c.close();
  });
});

// ---- #93, #106, #107, #161 ----------------------------------------------------------------------

describe('counts, termination and disconnects (10.6 #93, 10.7 #106, #107, 10.11 #161)', () => {
  const countApp = { id: '3002', key: 'count-key', secret: 'count-secret', enable_subscription_count: true, enable_client_messages: true };
  const plainApp = { ...defaultApp }; // enable_subscription_count defaults to false
  let server;
  let countSdk;
  let plainSdk;

  before(async () => {
    server = await startServer({ apps: [plainApp, countApp] });
    countSdk = sdkFor(server, countApp);
    plainSdk = sdkFor(server, plainApp);
  });
  after(async () => { await server?.stop(); });

  const countFrame = (ch, n) => `{"event":"pusher_internal:subscription_count","data":"{\\"subscription_count\\":${n}}","channel":"${ch}"}`;

  test('with subscription counting each subscriber gets pusher_internal:subscription_count N after every change; pusher-js re-emits it (10.7 #106)', async () => {
    const ch = fresh('orders');
    const a = await connectOk(server, { key: countApp.key });
    assert.equal((await a.subscribe(ch)).event, 'pusher_internal:subscription_succeeded');
    assert.equal((await a.next()).__raw, countFrame(ch, 1), 'a new subscriber gets the count right after subscription_succeeded');

    const b = await connectOk(server, { key: countApp.key });
    assert.equal((await b.subscribe(ch)).event, 'pusher_internal:subscription_succeeded');
    assert.equal((await b.next()).__raw, countFrame(ch, 2));
    assert.equal((await a.next()).__raw, countFrame(ch, 2));

    // pusher-js: pusher:subscription_count on the channel, and channel.subscriptionCount.
    const pusher = await pusherClient(server, countApp, countSdk);
    const channel = pusher.subscribe(ch);
    const { data } = await nextEvent(channel, 'pusher:subscription_count', { filter: (d) => d.subscription_count === 3 });
    assert.deepEqual(data, { subscription_count: 3 });
    assert.equal(channel.subscriptionCount, 3);
    for (const c of [a, b]) assert.equal((await c.next()).__raw, countFrame(ch, 3));

    // Unsubscribe and disconnect both count down, for the remaining subscribers.
    const down2 = nextEvent(channel, 'pusher:subscription_count', { filter: (d) => d.subscription_count === 2 });
    b.unsubscribe(ch);
    await down2;
    assert.equal((await a.next()).__raw, countFrame(ch, 2));
    const down1 = nextEvent(channel, 'pusher:subscription_count', { filter: (d) => d.subscription_count === 1 });
    a.terminate();
    await down1;
    assert.equal(channel.subscriptionCount, 1);
    // Private channels are counted too; presence channels never (10.4 #67, covered elsewhere).
    const priv = fresh('private-orders');
    const p = await connectOk(server, { key: countApp.key });
    assert.equal((await subscribePrivate(p, countApp, priv)).event, 'pusher_internal:subscription_succeeded');
    assert.equal((await p.next()).__raw, countFrame(priv, 1));
    // Never for #server-to-user- channels (2.11).
    assert.equal((await signin(p, countApp, { id: 'counted' })).event, 'pusher:signin_success');
    assert.equal((await p.subscribe('#server-to-user-counted')).event, 'pusher_internal:subscription_succeeded');
    assert.deepEqual(await p.sync(), [], 'no subscription_count on #server-to-user-');
    p.close();
    b.close();
  });

  test('with subscription counting disabled no pusher_internal:subscription_count is ever sent (10.7 #107)', async () => {
    const ch = fresh('orders');
    const a = await connectOk(server);
    const b = await connectOk(server);
    const pusher = await pusherClient(server, plainApp, plainSdk);
    const counts = [];
    const channel = pusher.subscribe(ch);
    channel.bind('pusher:subscription_count', (d) => counts.push(d));
    await nextEvent(channel, 'pusher:subscription_succeeded');
    for (const c of [a, b]) assert.equal((await c.subscribe(ch)).event, 'pusher_internal:subscription_succeeded');
    b.unsubscribe(ch);
    b.close();
    await b.closed;
    // Marker on the same connections: anything sent before it is in.
    const marker = nextEvent(channel, 'marker');
    await plainSdk.trigger(ch, 'marker', {});
    await marker;
    await a.nextEvent('marker', ch);
    assert.ok(!a.frames.some((f) => f.event === 'pusher_internal:subscription_count'), `frames:\n${a.seen()}`);
    assert.deepEqual(counts, []);
    assert.ok(channel.subscriptionCount == null, `subscriptionCount ${channel.subscriptionCount}`);
    a.close();
  });

  test('terminate_connections closes the signed-in connection of a user but not one that only joined presence as that user (10.6 #93)', async () => {
    const user = fresh('term');
    const pres = fresh('presence-room');
    const member = await connectOk(server);
    assert.equal((await subscribePresence(member, plainApp, pres, { user_id: user })).event, 'pusher_internal:subscription_succeeded');
    const signedIn = await pusherClient(server, plainApp, plainSdk, { user: { id: user } });
    signedIn.signin();
    await withTimeout(signedIn.user.signinDonePromise, 'signin');
    assert.equal(signedIn.user.user_data?.id, user);

    const error = nextEvent(signedIn.connection, 'error', { filter: (e) => e?.type === 'PusherError', label: 'pusher:error 4009' });
    const res = await plainSdk.terminateUserConnections(user);
    assert.equal(await res.text(), '{}');
    assert.equal((await error).data.data.code, 4009);
    if (signedIn.connection.state !== 'disconnected') {
      await nextEvent(signedIn.connection, 'state_change', { filter: (s) => s.current === 'disconnected' });
    }
    // The presence-only connection is open, still a member, and saw no error.
    assert.deepEqual(await member.sync(), []);
    assert.equal(member.closeInfo, null);
    assert.ok(!member.frames.some((f) => f.event === 'pusher:error'), member.seen());
    const users = await plainSdk.get({ path: `/channels/${pres}/users` }).then((r) => r.json());
    assert.deepEqual(users, { users: [{ id: user }] });
    member.close();
  });

  test('a disconnect removes the connection from all its channels with the effects of explicit unsubscribes (10.11 #161)', async () => {
    const pub = fresh('orders');
    const pres = fresh('presence-161');
    const priv = fresh('private-161');
    const join = async (c, id) => {
      assert.equal((await c.subscribe(pub)).event, 'pusher_internal:subscription_succeeded');
      assert.equal((await subscribePresence(c, countApp, pres, { user_id: id })).event, 'pusher_internal:subscription_succeeded');
      assert.equal((await subscribePrivate(c, countApp, priv)).event, 'pusher_internal:subscription_succeeded');
    };
    const stay = await connectOk(server, { key: countApp.key });
    await join(stay, 'stay');
    const expected = (n, id) => [countFrame(pub, n), `{"event":"pusher_internal:member_removed","data":"{\\"user_id\\":\\"${id}\\"}","channel":"${pres}"}`, countFrame(priv, n)];

    // The internal frames `stay` receives after frame index `from`, once there are three.
    const effectsAfter = async (from) => {
      const after = (f) => stay.frames.indexOf(f) >= from && f.event.startsWith('pusher_internal:');
      const deadline = Date.now() + DEFAULT_TIMEOUT_MS;
      while (stay.frames.filter(after).length < 3) await stay.next(after, Math.max(1, deadline - Date.now()));
      return stay.frames.filter(after).map((f) => f.__raw);
    };

    // Explicit unsubscribes of every channel…
    const leaver = await connectOk(server, { key: countApp.key });
    await join(leaver, 'leaver');
    await stay.sync();
    const from1 = stay.frames.length;
    for (const ch of [pub, pres, priv]) leaver.unsubscribe(ch);
    assert.deepEqual(await effectsAfter(from1), expected(1, 'leaver'));

    // …and an abrupt disconnect (no close frame) have the same effects.
    const dropper = await connectOk(server, { key: countApp.key });
    await join(dropper, 'dropper');
    await stay.sync();
    const from2 = stay.frames.length;
    dropper.terminate();
    assert.deepEqual((await effectsAfter(from2)).sort(), expected(1, 'dropper').sort());
    assert.deepEqual(await stay.sync(), [], 'nothing more');
    const users = await countSdk.get({ path: `/channels/${pres}/users` }).then((r) => r.json());
    assert.deepEqual(users, { users: [{ id: 'stay' }] });
    // The dropped connection no longer receives anything: channels report one subscriber each.
    for (const ch of [pub, priv, pres]) {
      const info = await countSdk.get({ path: `/channels/${ch}`, params: { info: 'subscription_count' } }).then((r) => r.json());
      assert.equal(info.subscription_count, 1, `${ch}: ${JSON.stringify(info)}`);
    }
    stay.close();
    await stay.closed;
    // Once the last subscriber is gone the channels are vacated.
    const deadline = Date.now() + DEFAULT_TIMEOUT_MS;
    for (;;) {
      const body = await countSdk.get({ path: `/channels/${pres}` }).then((r) => r.json());
      if (!body.occupied) break;
      assert.ok(Date.now() < deadline, `${pres} still occupied`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const listed = await countSdk.get({ path: '/channels' }).then((r) => r.json());
    for (const ch of [pub, pres, priv]) assert.ok(!(ch in listed.channels), JSON.stringify(listed));
  });
});

// ---- #159, #160 -------------------------------------------------------------------------------

test('authorized connections: idle or public-only connections get 4009 after user_authentication_timeout; signed-in or private ones stay (10.11 #159, #160)', async (t) => {
  const authApp = { id: '3003', key: 'auth-key', secret: 'auth-secret', enable_user_authentication: true, user_authentication_timeout: 700 };
  const server = await startServer({ apps: [authApp] });
  t.after(() => server.stop());
  t.after(cleanupPusherClients);
  const sdk = sdkFor(server, authApp);

  // The connections that must stay open are opened first, so their deadlines pass first.
  const signedJs = await pusherClient(server, authApp, sdk, { user: { id: 'ada' } });
  signedJs.signin();
  await withTimeout(signedJs.user.signinDonePromise, 'signin');
  const signedRaw = await connectOk(server, { key: authApp.key });
  assert.equal((await signin(signedRaw, authApp, { id: 'bob' })).event, 'pusher:signin_success');
  const privateRaw = await connectOk(server, { key: authApp.key });
  assert.equal((await subscribePrivate(privateRaw, authApp, 'private-x')).event, 'pusher_internal:subscription_succeeded');
  const presenceRaw = await connectOk(server, { key: authApp.key });
  assert.equal((await subscribePresence(presenceRaw, authApp, 'presence-x', { user_id: 'cy' })).event, 'pusher_internal:subscription_succeeded');

  const start = Date.now();
  const idle = await connectOk(server, { key: authApp.key });
  const publicOnly = await connectOk(server, { key: authApp.key });
  assert.equal((await publicOnly.subscribe('public-x')).event, 'pusher_internal:subscription_succeeded');
  const badSignin = await connectOk(server, { key: authApp.key });
  badSignin.send({ event: 'pusher:signin', data: { auth: `${authApp.key}:${'0'.repeat(64)}`, user_data: '{"id":"eve"}' } });
  assert.equal((await badSignin.nextEvent('pusher:error')).data.code, 4009);
  const unsignedJs = await pusherClient(server, authApp, sdk);
  const jsError = nextEvent(unsignedJs.connection, 'error', { filter: (e) => e?.type === 'PusherError' && e.data?.code === 4009, timeoutMs: 6000, label: 'pusher-js 4009' });

  for (const c of [idle, publicOnly, badSignin]) {
    const ci = await c.closedWithin(6000);
    assert.equal(ci.code, 4009, `close code; frames:\n${c.seen()}`);
    const errs = c.frames.filter((f) => f.event === 'pusher:error').map((f) => f.data.code);
    assert.equal(errs[errs.length - 1], 4009, `pusher:error 4009 before the close; frames:\n${c.seen()}`);
  }
  assert.ok(Date.now() - start >= 700, `closed after ${Date.now() - start} ms, before user_authentication_timeout`);
  await jsError;
  if (unsignedJs.connection.state !== 'disconnected') {
    await nextEvent(unsignedJs.connection, 'state_change', { filter: (s) => s.current === 'disconnected' });
  }

  // Their deadlines passed before the idle ones': still open and served.
  for (const c of [signedRaw, privateRaw, presenceRaw]) {
    assert.deepEqual(await c.sync(), [], `still open; frames:\n${c.seen()}`);
    assert.equal(c.closeInfo, null);
  }
  assert.equal(signedJs.connection.state, 'connected');
  const got = nextEvent(signedJs.user, 'hello');
  await sdk.sendToUser('ada', 'hello', {});
  await got;
  // A connection opened now gets its own full timeout: closed only later, and with 4009.
  const late = await connectOk(server, { key: authApp.key });
  assert.deepEqual(await late.sync(), []);
  const ci = await late.closedWithin(6000);
  assert.equal(ci.code, 4009);
  for (const c of [signedRaw, privateRaw, presenceRaw]) c.close();
});

// ---- #158 -------------------------------------------------------------------------------------

test('while draining, the readiness endpoint fails and new upgrades get pusher:error 4200 and close 4200 (10.11 #158, 8.5)', async (t) => {
  // The drain ends as soon as no WebSocket session is left (or after a 3 s grace), and the port
  // closes with it. To look at the server while it drains, one subscriber stops reading with
  // megabytes queued for it: its session cannot close before the grace ends. The queue bounds
  // are raised so that it is not closed as too slow first.
  const app = { ...defaultApp, max_event_payload_in_kb: 1024 };
  const server = await startServer({
    apps: [app],
    server: { max_outbound_messages: 100000, max_outbound_bytes_in_kb: 262144, max_request_size_in_kb: 2048 },
  });
  t.after(() => server.stop());
  const ready = async () => (await fetch(`${server.httpUrl}/ready`, { signal: AbortSignal.timeout(2000) })).status;
  assert.equal(await ready(), 200);

  const stuck = await rawSubscriber(server.port, app.key, 'firehose');
  t.after(() => stuck.destroy());
  stuck.pause();
  const data = 'x'.repeat(1000 * 1024);
  for (let i = 0; i < 16; i++) {
    const res = await signedRequest(server, app, 'POST', '/events', { body: { name: 'tick', data, channel: 'firehose' } });
    assert.equal(res.status, 200, res.text);
  }

  const normal = await connectOk(server);
  const exited = new Promise((resolve) => server.proc.once('exit', (code, signal) => resolve({ code, signal })));
  server.proc.kill('SIGTERM');
  const err = await normal.nextEvent('pusher:error');
  assert.equal(err.data.code, 4200);
  assert.equal((await normal.closedWithin()).code, 4200);

  // Draining: readiness fails, new upgrades are refused with 4200.
  assert.equal(await ready(), 503, 'GET /ready while draining');
  const late = await connect(server);
  await assertRefused(late, 4200);
  assert.equal(server.exited(), null, 'the checks ran during the drain');

  const { code } = await withTimeout(exited, 'pws exit after the drain', 8000);
  assert.equal(code, 0);
});
