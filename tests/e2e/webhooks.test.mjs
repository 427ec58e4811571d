// Webhooks end to end (protocol reference section 7, checklist 10.10 #148–#156): the real
// `pws serve` posts to local node:http receivers; every request is checked with the real
// `pusher` SDK's webhook verifier (pusher.webhook({headers, rawBody}).isValid()), clients are
// pusher-js (or raw WebSockets where a test needs exact timing of a disconnect).
//
// One server carries several apps, each with its own receiver, so the slow scenarios (retries
// after a 500 and after a timeout) do not hold up the others: every endpoint has its own queue.
// Every wait is bounded; absence is proven with a later marker event on the same endpoint
// (requests to one endpoint are sent one at a time, in order), never with a sleep.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import PusherServer from 'pusher';
import { renameSync, writeFileSync } from 'node:fs';
import { startServer, freePort, defaultApp, connectOk, renderConfig, DEFAULT_TIMEOUT_MS } from './lib/harness.mjs';
import { sdkFor, pusherClient, subscribe as subscribeWithData, trackPusherClients } from './lib/pusher_clients.mjs';

let seq = 0;
const fresh = (base) => `${base}-${++seq}`;

// ---- a local webhook receiver ------------------------------------------------------------------

/**
 * Records every POST ({ headers, rawBody, body, at, sdkValid }) and answers with `respond(n, req)`:
 * a status number (default 200) or null to never answer (the connection is held open until
 * close()). `app` is the app whose credentials verify the signatures.
 */
class Receiver {
  constructor(app, respond = () => 200) {
    this.app = app;
    this.respond = respond;
    this.requests = [];
    this.waiters = [];
    this.held = new Set();
    this.sdk = new PusherServer({ appId: app.id, key: app.key, secret: app.secret, host: '127.0.0.1' });
    this.server = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        const n = this.requests.length;
        let body;
        try { body = JSON.parse(rawBody); } catch { body = undefined; }
        const entry = {
          method: req.method, url: req.url, headers: req.headers, rawBody, body, at: Date.now(),
          sdkValid: this.sdk.webhook({ headers: req.headers, rawBody }).isValid(),
        };
        this.requests.push(entry);
        const status = this.respond(n, entry);
        if (status === null) {
          this.held.add(res);
        } else {
          res.writeHead(status, { 'Content-Type': 'text/plain' });
          res.end(status >= 200 && status < 300 ? 'ok' : 'nope');
        }
        this._check();
      });
    });
  }

  async start() {
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${this.server.address().port}/pusher/webhooks?via=test`;
    return this;
  }

  /** Every event received, each with the request it came in. */
  events() {
    return this.requests.flatMap((r) => (r.body?.events ?? []).map((e) => ({ ...e, request: r })));
  }

  /** Events of `channel`, as "name" or "name user_id" strings, in arrival order. */
  namesOn(channel) {
    return this.events().filter((e) => e.channel === channel).map((e) => (e.user_id ? `${e.name} ${e.user_id}` : e.name));
  }

  /** Resolves with the first event (flattened, with .request) matching `predicate`. */
  waitForEvent(predicate, label, timeoutMs = DEFAULT_TIMEOUT_MS) {
    return this._wait(() => this.events().find(predicate), label, timeoutMs);
  }

  /** Resolves once `n` requests arrived. */
  waitForRequests(n, label, timeoutMs = DEFAULT_TIMEOUT_MS) {
    return this._wait(() => (this.requests.length >= n ? this.requests.slice(0, n) : undefined), label, timeoutMs);
  }

  _wait(probe, label, timeoutMs) {
    const found = probe();
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const w = {
        probe,
        resolve: (v) => { clearTimeout(timer); resolve(v); },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${label}; received:\n` +
          this.requests.map((r) => `  ${r.rawBody}`).join('\n')));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  _check() {
    for (const w of [...this.waiters]) {
      const v = w.probe();
      if (v !== undefined) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(v);
      }
    }
  }

  async close() {
    for (const res of this.held) res.destroy();
    this.server.closeAllConnections?.();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** Checks what 7.1 and #149/#150 require of every request. */
function assertWellFormed(request, app) {
  assert.equal(request.method, 'POST');
  assert.equal(request.url, '/pusher/webhooks?via=test');
  assert.equal(request.headers['content-type'], 'application/json');
  assert.equal(request.headers['x-pusher-key'], app.key);
  assert.match(request.headers['x-pusher-signature'], /^[0-9a-f]{64}$/);
  assert.equal(request.sdkValid, true, `the pusher SDK rejects ${request.rawBody}`);
  assert.ok(Number.isInteger(request.body.time_ms), `time_ms must be an integer: ${request.rawBody}`);
  assert.ok(Array.isArray(request.body.events) && request.body.events.length > 0);
}

function app(id, extra = {}) {
  return { id, key: `key-${id}`, secret: `secret-${id}`, enable_client_messages: true, ...extra };
}

// ---- the main server ------------------------------------------------------------------------------

describe('webhooks (7, 10.10 #148–#156)', () => {
  let server;
  let sdk;
  const receivers = {};
  const apps = {};
  trackPusherClients();

  before(async () => {
    const main = defaultApp;
    receivers.all = await new Receiver(main).start();
    receivers.vacatedOnly = await new Receiver(main).start();
    receivers.presenceOnly = await new Receiver(main).start();
    apps.main = {
      ...main,
      webhooks: [
        { url: receivers.all.url, headers: { 'X-Webhook-Token': 'receiver-token' } },
        { url: receivers.vacatedOnly.url, event_types: ['channel_vacated'] },
        { url: receivers.presenceOnly.url, filter: { channel_name_starts_with: 'presence-' } },
      ],
    };

    apps.batch = app('2001');
    receivers.batch = await new Receiver(apps.batch).start();
    Object.assign(apps.batch, { webhook_batching: true, webhook_batching_window_ms: 400, webhooks: [{ url: receivers.batch.url }] });

    apps.retry = app('2002');
    receivers.retry = await new Receiver(apps.retry, (n) => (n < 2 ? 500 : 200)).start();
    apps.retry.webhooks = [{ url: receivers.retry.url }];

    apps.timeout = app('2003');
    receivers.timeout = await new Receiver(apps.timeout, (n) => (n === 0 ? null : 200)).start();
    apps.timeout.webhooks = [{ url: receivers.timeout.url }];

    apps.vacate = app('2004', { webhook_vacate_delay_ms: 1500 });
    receivers.vacate = await new Receiver(apps.vacate).start();
    apps.vacate.webhooks = [{ url: receivers.vacate.url }];

    apps.dead = app('2005');
    apps.dead.webhooks = [{ url: `http://127.0.0.1:${await freePort()}/pusher/webhooks?via=test` }];
    apps.healthy = app('2006');
    receivers.healthy = await new Receiver(apps.healthy).start();
    apps.healthy.webhooks = [{ url: receivers.healthy.url }];

    apps.counting = app('2007', { enable_subscription_count: true });
    receivers.counting = await new Receiver(apps.counting).start();
    apps.counting.webhooks = [{ url: receivers.counting.url, event_types: ['cache_miss', 'subscription_count'] }];

    server = await startServer({
      apps: Object.values(apps),
      // Quick timeouts so the timeout scenario takes seconds; a long window so nothing in
      // these tests runs out of retries.
      tables: { webhooks: { request_timeout_in_seconds: 1, retry_window_in_seconds: 60 } },
    });
    sdk = sdkFor(server, main);
  });
  after(async () => {
    await server?.stop();
    for (const r of Object.values(receivers)) await r.close();
  });

  /** A connected pusher-js client of `forApp`; `presence` is its presence member. */
  async function connectClient(forApp = apps.main, { presence } = {}) {
    return pusherClient(server, forApp, sdkFor(server, forApp), { presence, failOn: [] });
  }

  /** Subscribes and resolves with the channel once subscription_succeeded arrived. */
  async function subscribe(pusher, name) {
    return (await subscribeWithData(pusher, name)).channel;
  }

  test('the first subscribe posts channel_occupied, the last unsubscribe and a disconnect channel_vacated (#148)', async () => {
    const ch1 = fresh('orders');
    const ch2 = fresh('orders');
    const a = await connectClient();
    const b = await connectClient();
    await subscribe(a, ch1);
    await subscribe(b, ch1);
    await receivers.all.waitForEvent((e) => e.name === 'channel_occupied' && e.channel === ch1, `occupied ${ch1}`);
    a.unsubscribe(ch1);
    b.unsubscribe(ch1);
    await receivers.all.waitForEvent((e) => e.name === 'channel_vacated' && e.channel === ch1, `vacated ${ch1}`);
    assert.deepEqual(receivers.all.namesOn(ch1), ['channel_occupied', 'channel_vacated']);

    await subscribe(a, ch2);
    a.disconnect();
    await receivers.all.waitForEvent((e) => e.name === 'channel_vacated' && e.channel === ch2, `vacated ${ch2} on disconnect`);
    assert.deepEqual(receivers.all.namesOn(ch2), ['channel_occupied', 'channel_vacated']);
  });

  test('requests carry Content-Type, X-Pusher-Key, a valid X-Pusher-Signature, the extra headers, time_ms and events (#149, #150)', async () => {
    const ch = fresh('signed');
    const before = Date.now();
    const a = await connectClient();
    await subscribe(a, ch);
    const e = await receivers.all.waitForEvent((x) => x.name === 'channel_occupied' && x.channel === ch, `occupied ${ch}`);
    assertWellFormed(e.request, apps.main);
    assert.equal(e.request.headers['x-webhook-token'], 'receiver-token');
    // time_ms is when it happened: between the test's start and the request's arrival.
    assert.ok(e.request.body.time_ms >= before - 1000 && e.request.body.time_ms <= e.request.at,
      `time_ms ${e.request.body.time_ms} not in [${before}, ${e.request.at}]`);
    assert.deepEqual(e.request.body.events, [{ name: 'channel_occupied', channel: ch }]);
    for (const r of receivers.all.requests) assertWellFormed(r, apps.main);
    // The figures reach /metrics.
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    assert.match(metrics, /^pws_webhook_events_sent_total\{app_id="1001"\} [1-9]\d*$/m);
    assert.match(metrics, /^pws_webhook_events_dropped_total\{app_id="1001"\} 0$/m);
  });

  test('presence joins and leaves post member_added / member_removed once per user, with string user_id (#151)', async () => {
    const ch = fresh('presence-room');
    const ada1 = await connectClient(apps.main, { presence: { user_id: '42', user_info: { name: 'Ada' } } });
    const ada2 = await connectClient(apps.main, { presence: { user_id: '42', user_info: { name: 'Ada' } } });
    const bob = await connectClient(apps.main, { presence: { user_id: '7' } });
    await subscribe(ada1, ch);
    await subscribe(ada2, ch);
    await subscribe(bob, ch);
    // Ada's first connection goes: she is still there through the second one. The vacancy of
    // a channel only that connection had shows the server has handled the disconnect.
    const marker = fresh('marker');
    await subscribe(ada1, marker);
    ada1.disconnect();
    await receivers.all.waitForEvent((e) => e.name === 'channel_vacated' && e.channel === marker, 'the marker');
    assert.deepEqual(receivers.all.namesOn(ch), ['channel_occupied', 'member_added 42', 'member_added 7']);
    // The leaves of two connections may reach the server in either order.
    ada2.unsubscribe(ch);
    bob.unsubscribe(ch);
    // channel_vacated follows the last member_removed on the same endpoint.
    await receivers.all.waitForEvent((e) => e.name === 'channel_vacated' && e.channel === ch, `vacated ${ch}`);
    const names = receivers.all.namesOn(ch);
    assert.deepEqual(names.slice(0, 3), ['channel_occupied', 'member_added 42', 'member_added 7']);
    assert.deepEqual(names.slice(3, 5).sort(), ['member_removed 42', 'member_removed 7']);
    assert.deepEqual(names.slice(5), ['channel_vacated']);
    for (const e of receivers.all.events().filter((x) => x.channel === ch && x.user_id !== undefined)) {
      assert.equal(typeof e.user_id, 'string');
    }
  });

  test('an accepted client event posts client_event with channel, event, data, socket_id, and user_id on presence only (#152)', async () => {
    const priv = fresh('private-chat');
    const pres = fresh('presence-chat');
    const alice = await connectClient(apps.main, { presence: { user_id: 'alice' } });
    const bob = await connectClient(apps.main, { presence: { user_id: 'bob' } });
    const pa = await subscribe(alice, priv);
    await subscribe(bob, priv);
    const qa = await subscribe(alice, pres);
    await subscribe(bob, pres);
    assert.equal(pa.trigger('client-typing', { typing: true }), true);
    assert.equal(qa.trigger('client-wave', 'hi'), true);
    const onPrivate = await receivers.all.waitForEvent((e) => e.name === 'client_event' && e.channel === priv, 'client_event on private');
    const onPresence = await receivers.all.waitForEvent((e) => e.name === 'client_event' && e.channel === pres, 'client_event on presence');
    const { request: r1, ...privateEvent } = onPrivate;
    const { request: r2, ...presenceEvent } = onPresence;
    assert.deepEqual(privateEvent, {
      name: 'client_event', channel: priv, event: 'client-typing', data: '{"typing":true}', socket_id: alice.connection.socket_id,
    });
    assert.deepEqual(presenceEvent, {
      name: 'client_event', channel: pres, event: 'client-wave', data: 'hi', socket_id: alice.connection.socket_id, user_id: 'alice',
    });
    assertWellFormed(r1, apps.main);
    assertWellFormed(r2, apps.main);
  });

  test('event_types = ["channel_vacated"] receives nothing else, and a channel_name_starts_with filter only its channels (#154, #155)', async () => {
    const plain = fresh('orders');
    const pres = fresh('presence-lobby');
    const a = await connectClient(apps.main, { presence: { user_id: 'u1' } });
    await subscribe(a, plain);
    await subscribe(a, pres);
    a.unsubscribe(plain);
    a.unsubscribe(pres);
    await receivers.vacatedOnly.waitForEvent((e) => e.channel === pres && e.name === 'channel_vacated', 'vacated on the vacated-only endpoint');
    await receivers.presenceOnly.waitForEvent((e) => e.channel === pres && e.name === 'channel_vacated', 'vacated on the presence-only endpoint');
    assert.deepEqual(receivers.vacatedOnly.namesOn(plain), ['channel_vacated']);
    assert.deepEqual(receivers.vacatedOnly.namesOn(pres), ['channel_vacated']);
    assert.ok(receivers.vacatedOnly.events().every((e) => e.name === 'channel_vacated'));
    assert.ok(receivers.presenceOnly.events().every((e) => e.channel.startsWith('presence-')));
    assert.deepEqual(receivers.presenceOnly.namesOn(pres), ['channel_occupied', 'member_added u1', 'member_removed u1', 'channel_vacated']);
    for (const r of [...receivers.vacatedOnly.requests, ...receivers.presenceOnly.requests]) assertWellFormed(r, apps.main);
  });

  test('with batching, the events of the window arrive in one request whose signature covers the whole body (#156)', async () => {
    const chs = [fresh('b'), fresh('b'), fresh('b')];
    const client = await connectClient(apps.batch);
    for (const ch of chs) await subscribe(client, ch);
    const [request] = await receivers.batch.waitForRequests(1, 'the first batch');
    assertWellFormed(request, apps.batch);
    assert.deepEqual(request.body.events.map((e) => e.channel), chs);
    assert.ok(request.body.events.every((e) => e.name === 'channel_occupied'));
  });

  test('an endpoint answering 500 is retried with growing delays until it answers 2xx (#153)', async () => {
    const ch = fresh('retried');
    const client = await connectClient(apps.retry);
    await subscribe(client, ch);
    const requests = await receivers.retry.waitForRequests(3, 'three attempts', 10000);
    for (const r of requests) assertWellFormed(r, apps.retry);
    // The same bytes every time, and no more requests after the 2xx.
    assert.equal(requests[1].rawBody, requests[0].rawBody);
    assert.equal(requests[2].rawBody, requests[0].rawBody);
    const gaps = [requests[1].at - requests[0].at, requests[2].at - requests[1].at];
    assert.ok(gaps[0] >= 900 && gaps[1] >= 1900 && gaps[1] > gaps[0], `delays ${gaps} should be about 1 s then 2 s`);
    // The next event goes out once, proving the retried one was done.
    client.unsubscribe(ch);
    await receivers.retry.waitForEvent((e) => e.name === 'channel_vacated' && e.channel === ch, 'the next event');
    assert.equal(receivers.retry.requests.length, 4);
  });

  test('an endpoint that does not answer within request_timeout_in_seconds is retried (#153)', async () => {
    const ch = fresh('timed-out');
    const client = await connectClient(apps.timeout);
    await subscribe(client, ch);
    const requests = await receivers.timeout.waitForRequests(2, 'a retry after the timeout', 10000);
    assert.equal(requests[1].rawBody, requests[0].rawBody);
    assert.ok(requests[1].at - requests[0].at >= 1900, 'a 1 s timeout, then a 1 s back-off');
    assertWellFormed(requests[1], apps.timeout);
  });

  test('with webhook_vacate_delay_ms a quick reconnect posts neither channel_vacated nor channel_occupied (7.2)', async () => {
    const ch = fresh('reload');
    const first = await connectOk(server, { key: apps.vacate.key });
    await first.subscribe(ch);
    await receivers.vacate.waitForEvent((e) => e.channel === ch && e.name === 'channel_occupied', 'occupied');
    first.terminate();
    await first.closed;
    const second = await connectOk(server, { key: apps.vacate.key });
    await second.subscribe(ch);  // within the 1.5 s delay
    const leftAt = Date.now();
    second.unsubscribe(ch);
    await second.sync();
    const vacated = await receivers.vacate.waitForEvent((e) => e.channel === ch && e.name === 'channel_vacated', 'the final vacated');
    // Only the final vacancy, held for the delay and stamped with when it happened.
    assert.deepEqual(receivers.vacate.namesOn(ch), ['channel_occupied', 'channel_vacated']);
    assert.ok(vacated.request.body.time_ms >= leftAt - 50, 'the vacated posted is the second one');
    assert.ok(vacated.request.at - leftAt >= 1400, 'held for the delay');
    second.terminate();
  });

  test('a dead endpoint (connection refused) of one app does not delay another app\'s webhooks', async () => {
    const dead = await connectOk(server, { key: apps.dead.key });
    for (let i = 0; i < 5; i++) await dead.subscribe(fresh('dead'));
    const healthy = await connectOk(server, { key: apps.healthy.key });
    const ch = fresh('healthy');
    const start = Date.now();
    await healthy.subscribe(ch);
    const e = await receivers.healthy.waitForEvent((x) => x.channel === ch, 'the healthy endpoint', 2000);
    assert.ok(e.request.at - start < 1500, `took ${e.request.at - start} ms`);
    assertWellFormed(e.request, apps.healthy);
    // The failures are counted.
    const deadline = Date.now() + DEFAULT_TIMEOUT_MS;
    let metrics = '';
    while (Date.now() < deadline) {
      metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
      if (/^pws_webhook_attempts_failed_total\{app_id="2005"\} [1-9]/m.test(metrics)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(metrics, /^pws_webhook_attempts_failed_total\{app_id="2005"\} [1-9]\d*$/m);
    assert.match(metrics, /^pws_webhook_events_pending\{app_id="2005"\} [1-9]\d*$/m);
    dead.terminate();
    healthy.terminate();
  });

  test('cache_miss and subscription_count are posted as 7.3 shows them', async () => {
    const cache = fresh('cache-ticker');
    const counted = fresh('orders');
    const a = await connectOk(server, { key: apps.counting.key });
    const b = await connectOk(server, { key: apps.counting.key });
    await a.subscribe(cache);
    const miss = await receivers.counting.waitForEvent((e) => e.channel === cache && e.name === 'cache_miss', 'cache_miss');
    assert.deepEqual({ ...miss, request: undefined }, { name: 'cache_miss', channel: cache, request: undefined });
    await a.subscribe(counted);
    await b.subscribe(counted);
    await receivers.counting.waitForEvent((e) => e.channel === counted && e.subscription_count === 2, 'subscription_count 2');
    const counts = receivers.counting.events().filter((e) => e.channel === counted);
    assert.deepEqual(counts.map(({ request, ...e }) => e), [
      { name: 'subscription_count', channel: counted, subscription_count: 1 },
      { name: 'subscription_count', channel: counted, subscription_count: 2 },
    ]);
    for (const r of receivers.counting.requests) assertWellFormed(r, apps.counting);
    a.terminate();
    b.terminate();
  });

  test('an SDK trigger produces no webhook; events of #server-to-user- channels never do', async () => {
    // Marker: an occupied after the trigger proves nothing came before it.
    const ch = fresh('api-only');
    await sdk.trigger(ch, 'server-event', { x: 1 });
    const marker = fresh('marker');
    const a = await connectClient();
    await subscribe(a, marker);
    await receivers.all.waitForEvent((e) => e.channel === marker, 'the marker');
    assert.deepEqual(receivers.all.namesOn(ch), []);
    assert.ok(receivers.all.events().every((e) => !e.channel.startsWith('#server-to-user-')));
  });
});

// ---- registry reloads and graceful stop ---------------------------------------------------------------

describe('webhooks across reloads and on shutdown', () => {
  test('after a registry reload new events go to the new URL, signed with the new secret', async () => {
    const before = app('3000');
    const after = { ...before, secret: 'rotated-secret-3000' };
    const oldReceiver = await new Receiver(before).start();
    const newReceiver = await new Receiver(after).start();
    const server = await startServer({ apps: [{ ...before, webhooks: [{ url: oldReceiver.url }] }] });
    try {
      const ch = fresh('before');
      const c1 = await connectOk(server, { key: before.key });
      await c1.subscribe(ch);
      await oldReceiver.waitForEvent((e) => e.channel === ch, 'the event before the reload');
      // Renamed into place, as `pws apps add` writes the file.
      const temp = `${server.configPath}.new`;
      writeFileSync(temp, renderConfig({ apps: [{ ...after, webhooks: [{ url: newReceiver.url }] }] }), { mode: 0o600 });
      renameSync(temp, server.configPath);
      // The secret changed: the old connection is closed (4001), which is the marker that the
      // reload happened; its channel_vacated is produced under the new configuration.
      assert.equal((await c1.closedWithin()).code, 4001);
      const ch2 = fresh('after');
      const c2 = await connectOk(server, { key: after.key });
      await c2.subscribe(ch2);
      const e = await newReceiver.waitForEvent((x) => x.channel === ch2, 'the event after the reload');
      assertWellFormed(e.request, after);
      assert.ok(oldReceiver.events().every((x) => x.channel === ch), 'nothing new went to the old URL');
      c2.terminate();
    } finally {
      await server.stop();
      await oldReceiver.close();
      await newReceiver.close();
    }
  });

  test('a graceful stop delivers the event still waiting in a batching window, within the grace', async () => {
    const stopApp = app('3001', { webhook_batching: true, webhook_batching_window_ms: 60000 });
    const receiver = await new Receiver(stopApp).start();
    stopApp.webhooks = [{ url: receiver.url }];
    const server = await startServer({ apps: [stopApp], tables: { webhooks: { shutdown_grace_in_seconds: 3 } } });
    try {
      const ch = fresh('last-words');
      const client = await connectOk(server, { key: stopApp.key });
      await client.subscribe(ch);
      await client.sync();
      assert.equal(receiver.requests.length, 0, 'still inside the 60 s window');
      const start = Date.now();
      const exited = await server.stop();
      assert.equal(exited.code, 0);
      assert.ok(Date.now() - start < 4500, `stop took ${Date.now() - start} ms`);
      const [request] = await receiver.waitForRequests(1, 'the flushed batch');
      assertWellFormed(request, stopApp);
      assert.deepEqual(request.body.events.map((e) => `${e.name} ${e.channel}`), [`channel_occupied ${ch}`, `channel_vacated ${ch}`]);
    } finally {
      await server.stop();
      await receiver.close();
    }
  });

  test('a dead endpoint does not hold up the exit beyond the grace, and the loss is logged', async () => {
    const stopApp = app('3002');
    stopApp.webhooks = [{ url: `http://127.0.0.1:${await freePort()}/hook` }];
    const server = await startServer({ apps: [stopApp], tables: { webhooks: { shutdown_grace_in_seconds: 1 } } });
    const client = await connectOk(server, { key: stopApp.key });
    await client.subscribe(fresh('doomed'));
    await client.sync();
    const start = Date.now();
    const exited = await server.stop();
    assert.equal(exited.code, 0);
    assert.ok(Date.now() - start < 4000, `stop took ${Date.now() - start} ms`);
    assert.match(server.output(), /pws: webhooks: app 3002, webhook http:\/\/127\.0\.0\.1:\d+: request failed \(cannot connect/);
    assert.match(server.output(), /dropped \d+ events at shutdown/);
    assert.doesNotMatch(server.output(), /secret-3002/);
  });
});
