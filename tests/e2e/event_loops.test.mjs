// `[server] event_loops` (issue 8): one pws serve runs several event loops, each with its own
// SO_REUSEPORT listener and connections, joined by an in-process bus. Whichever loop a
// connection or an HTTP request lands on, the server must behave as one (protocol reference
// sections 2, 5, 6 and 10): events reach every subscriber once, presence and channel queries
// see every loop, limits count every loop, and a graceful stop closes everyone with 4200.
//
// The kernel spreads connections over the loops by their address and port, so each test opens
// enough connections (and makes each HTTP request on a fresh connection) for both loops to be
// involved; the assertions hold whatever the spread.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, defaultApp, connectOk, connect, subscribePresence, DEFAULT_TIMEOUT_MS,
} from './lib/harness.mjs';
import { apiRequest, plainRequest } from './lib/http.mjs';
import { publish } from './lib/trigger.mjs';
import { sdkFor, pusherClient, subscribe, nextEvent, trackPusherClients } from './lib/pusher_clients.mjs';

const app = { ...defaultApp };
const quotaApp = { id: '2001', key: 'quota-key', secret: 'quota-secret', max_connections: 5 };
const CLIENTS = 24;

async function openClients(server, count, opts = {}) {
  return Promise.all(Array.from({ length: count }, () => connectOk(server, opts)));
}

async function metricValue(server, name, appId) {
  const res = await plainRequest(server, 'GET', '/metrics');
  assert.equal(res.status, 200, res.text);
  const line = res.text.split('\n').find((l) => l.startsWith(`${name}{app_id="${appId}"} `));
  assert.ok(line, `${name} for ${appId} in /metrics:\n${res.text}`);
  return Number(line.split(' ')[1]);
}

describe('several event loops serve as one server (issue 8)', () => {
  let server;
  const live = trackPusherClients();

  before(async () => {
    server = await startServer({ apps: [app, quotaApp], args: ['--event-loops', '2'] });
  });
  after(async () => { await server?.stop(); });

  test('startup says how many loops serve the port', () => {
    assert.match(server.output(), /listening on 127\.0\.0\.1:\d+, 2 event loops/);
  });

  test('an API event reaches every subscriber on every loop exactly once, through any loop (5.5, 10.9 #121)', async () => {
    const clients = await openClients(server, CLIENTS);
    for (const c of clients) {
      const ok = await c.subscribe('orders-loops');
      assert.equal(ok.event, 'pusher_internal:subscription_succeeded');
    }
    for (let i = 0; i < 4; i++) await publish(server, app, { name: 'created', data: `{"n":${i}}`, channel: 'orders-loops' });
    for (const c of clients) {
      for (let i = 0; i < 4; i++) {
        const f = await c.next((x) => x.event === 'created' && x.data === `{"n":${i}}`);
        assert.equal(f.channel, 'orders-loops');
      }
      const extra = (await c.sync()).filter((x) => x.event === 'created');
      assert.deepEqual(extra, [], 'no event twice');
    }
    // Every loop's API answers for every loop's subscribers (fresh connection per request).
    for (let i = 0; i < 6; i++) {
      const res = await apiRequest(server, app, 'GET', '/channels/orders-loops', { query: { info: 'subscription_count' } });
      assert.equal(res.status, 200, res.text);
      assert.equal(JSON.parse(res.text).subscription_count, CLIENTS);
    }
    for (const c of clients) c.close();
  });

  test('a client event reaches the other subscribers on both loops, never its sender (2.9, 10.5 #68)', async () => {
    const clients = await openClients(server, CLIENTS);
    const auth = (c) => ({ auth: `${app.key}:${createSig(c.socketId, 'private-loops')}` });
    for (const c of clients) assert.equal((await c.subscribe('private-loops', auth(c))).event, 'pusher_internal:subscription_succeeded');
    const [sender, ...readers] = clients;
    sender.send({ event: 'client-typing', channel: 'private-loops', data: { who: 'sender' } });
    for (const r of readers) await r.next((f) => f.event === 'client-typing');
    assert.deepEqual((await sender.sync()).filter((f) => f.event === 'client-typing'), []);
    for (const c of clients) c.close();
  });

  test('presence members from both loops: every newcomer sees them all, the API lists them once (2.4, 5.9, 10.4 #51)', async () => {
    const clients = await openClients(server, 8);
    for (let i = 0; i < clients.length; i++) {
      const ok = await subscribePresence(clients[i], app, 'presence-loops', { user_id: `u${i}` });
      assert.equal(ok.event, 'pusher_internal:subscription_succeeded');
      const presence = JSON.parse(ok.data).presence;
      assert.equal(presence.count, i + 1, `member ${i} sees everyone before it`);
    }
    for (let i = 0; i < 4; i++) {
      const res = await apiRequest(server, app, 'GET', '/channels/presence-loops/users');
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(JSON.parse(res.text).users.map((u) => u.id).sort(), clients.map((_, i) => `u${i}`).sort());
    }
    for (const c of clients) c.close();
  });

  test('pusher-js subscribers on both loops get an SDK trigger and presence events (Appendix A)', async () => {
    const sdk = sdkFor(server, app);
    const a = await pusherClient(server, app, sdk, { presence: { user_id: 'alice' } });
    live.add(a);
    const others = [];
    for (let i = 0; i < 5; i++) {
      const p = await pusherClient(server, app, sdk, { presence: { user_id: `bob${i}` } });
      live.add(p);
      others.push(p);
    }
    const { channel } = await subscribe(a, 'presence-js-loops');
    const joined = [];
    channel.bind('pusher:member_added', (m) => joined.push(m.id));
    for (const p of others) await subscribe(p, 'presence-js-loops');
    await new Promise((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`member_added seen: ${joined}`)), DEFAULT_TIMEOUT_MS);
      const check = setInterval(() => {
        if (joined.length === others.length) { clearInterval(check); clearTimeout(deadline); resolve(); }
      }, 20);
    });
    assert.deepEqual([...joined].sort(), others.map((_, i) => `bob${i}`));
    const got = nextEvent(channel, 'shipped');
    await sdk.trigger('presence-js-loops', 'shipped', { id: 7 });
    assert.deepEqual((await got).data, { id: 7 });
  });

  test('the per-app connection limit counts every loop at once (6, 10.1 #11)', async () => {
    const held = await openClients(server, 5, { key: quotaApp.key });
    for (let i = 0; i < 6; i++) {
      const refused = await connect(server, { key: quotaApp.key });
      assert.equal(refused.error?.code, 4004, refused.seen());
      await refused.closedWithin();
    }
    held[0].close();
    await held[0].closedWithin();
    // The place is free as soon as the close is seen, whichever loop the next one lands on.
    let admitted = null;
    for (let i = 0; i < 50 && !admitted; i++) {
      const c = await connect(server, { key: quotaApp.key });
      if (c.socketId) admitted = c;
      else await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(admitted, 'a connection fits once one left');
    for (const c of [...held.slice(1), admitted]) c.close();
  });

  test('/metrics counts the connections and messages of every loop, whichever loop answers', async () => {
    const clients = await openClients(server, CLIENTS);
    for (const c of clients) await c.subscribe('metrics-loops');
    for (let i = 0; i < 4; i++) {
      assert.equal(await metricValue(server, 'pws_connections', app.id) >= CLIENTS, true);
      assert.equal(await metricValue(server, 'pws_subscriptions', app.id) >= CLIENTS, true);
    }
    const before = await metricValue(server, 'pws_websocket_messages_received_total', app.id);
    for (const c of clients) await c.sync();  // one pusher:ping each
    for (let i = 0; i < 4; i++) {
      assert.ok(await metricValue(server, 'pws_websocket_messages_received_total', app.id) >= before + CLIENTS);
    }
    for (const c of clients) c.close();
  });
});

test('a graceful stop closes the clients of every loop with 4200 (8.5)', async () => {
  const server = await startServer({ args: ['--event-loops', '2'] });
  try {
    const clients = await openClients(server, CLIENTS);
    server.proc.kill('SIGTERM');
    for (const c of clients) assert.equal((await c.closedWithin()).code, 4200);
  } finally {
    await server.stop();
  }
});

test('event_loops = 0 runs one loop per core; out of range is a config error naming the field', async () => {
  const server = await startServer({ server: { event_loops: 0 } });
  try {
    assert.match(server.output(), /listening on 127\.0\.0\.1:\d+(, \d+ event loops)?\n/);
    const c = await connectOk(server);
    c.close();
  } finally {
    await server.stop();
  }
  await assert.rejects(startServer({ server: { event_loops: 65 } }), /event_loops/);
});

function createSig(socketId, channel) {
  return hmac(app.secret, `${socketId}:${channel}`);
}

import { createHmac } from 'node:crypto';
function hmac(secret, text) {
  return createHmac('sha256', secret).update(text, 'utf8').digest('hex');
}
