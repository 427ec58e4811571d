// Redis clustering (issue 7): three `pws serve` nodes joined through one real Redis ([redis] in
// pws.toml) behave as one server. "An event triggered on any node reaches subscribers on every
// node, presence channels show every member once, and the HTTP API answers for the whole cluster."
// Checked with raw WebSockets where the exact frames matter, and with pusher-js and the `pusher`
// SDK (Appendix A) talking to different nodes: events, client events, presence, the HTTP API
// queries, users, cache channels, subscription counts, the connection quota and webhooks, each
// across nodes; then the [redis] settings (default node_id, prefixes, a password).
//
// The failure modes (a node killed, a node stopped, Redis restarted or absent at start-up) are in
// cluster_recovery.test.mjs.
//
// Every wait is bounded. Absence of a delivery (no echo to the sender, no second member_added, no
// early member_removed) is proven with marker events triggered afterwards through EVERY node:
// what one node publishes reaches the others in order, so once a client has the markers of all
// nodes, a stray frame from any of them would already be there. State that spreads through the
// cluster (occupancy and counts seen by the HTTP API of another node, connection quotas) is polled
// against a deadline of two heartbeat intervals and a margin, never slept for.

import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import {
  connect, connectOk, defaultApp, subscribePresence, subscribePrivate, signin, dataOf, assertRefused,
  DEFAULT_TIMEOUT_MS,
} from './lib/harness.mjs';
import { apiRequest } from './lib/http.mjs';
import { startRedis } from './lib/redis.mjs';
import {
  startCluster, metricsText, metricValue, metric, eventually, triggerVia, getJson, userIds, clusterOutput,
  isMemberEvent, countFrames, markers as markersVia, startWebhookReceiver, deferrer, nodeClients,
} from './lib/cluster.mjs';
import { TIME_FACTOR } from './lib/timing.mjs';
import {
  nextEvent, withTimeout, record, sdkFor, pusherClient, subscribe, trackPusherClients,
} from './lib/pusher_clients.mjs';

const app = { ...defaultApp, enable_client_messages: true };
// A second app whose per-app connection quota is counted over the whole cluster.
const quotaApp = { id: '1002', key: 'quota-key', secret: 'quota-secret', max_connections: 3 };
// A third one with pusher_internal:subscription_count on (2.11).
const countApp = { id: '1003', key: 'count-key', secret: 'count-secret', enable_subscription_count: true };
// A fourth one with a webhook (its url is set once the receiver listens).
const hookApp = { id: '1004', key: 'hook-key', secret: 'hook-secret' };

const HEARTBEAT = 1;
const NODE_TIMEOUT = 5;
/** Frames and events: the usual bound, stretched for the sanitizer build. */
const WAIT = DEFAULT_TIMEOUT_MS * TIME_FACTOR;
/** State carried by heartbeats: two heartbeat intervals and a margin. */
const SPREAD = (2 * HEARTBEAT + 1) * 1000 * TIME_FACTOR;

let seq = 0;
const fresh = (base) => `${base}-${++seq}`;

const count = countFrames;
const sortById = (members) => [...members].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));

describe('a three-node cluster behaves as one server (issue 7)', () => {
  let redis;
  let cluster;
  let nodes;
  let a;
  let b;
  let c;
  let hooks;
  // Raw clients opened by a test, closed after it.
  const opened = [];
  trackPusherClients();

  before(async () => {
    redis = await startRedis();
    hooks = await startWebhookReceiver();
    hookApp.webhooks = [{ url: hooks.url }];
    cluster = await startCluster({
      nodes: 3, apps: [app, quotaApp, countApp, hookApp], redisUrl: redis.url, nodeTimeout: NODE_TIMEOUT, heartbeatInterval: HEARTBEAT,
    });
    ({ nodes, a, b, c } = cluster);
  });
  after(async () => {
    await cluster?.stop();
    await redis?.stop();
    await hooks?.close();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((x) => x.close()));
  });

  // Raw connections to a node (of `app` unless `key` says otherwise), closed after the test.
  const { open, subscribed, present } = nodeClients(app, { timeoutMs: WAIT, opened });

  /**
   * One presence observer per node of `on` ('obs-a', 'obs-b', …), each joining once the members
   * before it are known on its node and having seen the later ones join: the membership is the
   * same everywhere when this resolves.
   */
  async function presenceObservers(ch, on = nodes) {
    const obs = [];
    for (const n of on) {
      const before = obs.map((o) => o.userId).sort();
      if (before.length) {
        await eventually(async () => assert.deepEqual(await userIds(n, app, ch), before), `observers known on node ${n.nodeId}`, SPREAD);
      }
      const o = await present(n, ch, { user_id: `obs-${n.nodeId}` });
      o.userId = `obs-${n.nodeId}`;
      for (const prev of obs) await prev.next(isMemberEvent('added', ch, o.userId), WAIT);
      obs.push(o);
    }
    return obs;
  }

  /** Markers through every node (or `via`) to `clients` on `channel` (see lib/cluster.mjs). */
  const markers = (channel, clients, via = nodes) => markersVia(app, channel, clients, via);

  // ---- the cluster itself ------------------------------------------------------------------------

  test('every node reports the Redis connection and three live nodes in /metrics, and says so on stderr (issue 7)', async () => {
    for (const n of nodes) {
      const text = await metricsText(n);
      assert.equal(metricValue(text, 'pws_redis_connected'), 1, `node ${n.nodeId}:\n${text}`);
      assert.equal(metricValue(text, 'pws_cluster_nodes'), 3, `node ${n.nodeId}:\n${text}`);
      for (const name of ['pws_redis_reconnects_total', 'pws_redis_messages_published_total',
        'pws_redis_messages_received_total', 'pws_redis_messages_dropped_total']) {
        assert.equal(typeof metricValue(text, name), 'number', `node ${n.nodeId} has no ${name}:\n${text}`);
      }
      assert.equal(metricValue(text, 'pws_redis_reconnects_total'), 0, `node ${n.nodeId}: no reconnect yet:\n${text}`);
      assert.match(n.output(), /^pws: redis: connected/m, `node ${n.nodeId} output:\n${n.output()}`);
    }
  });

  test('socket ids are unique across the nodes of a cluster (10.1 #4)', async () => {
    const ids = new Set();
    for (const n of nodes) {
      for (let i = 0; i < 10; i++) {
        const client = await open(n);
        assert.ok(!ids.has(client.socketId), `socket_id ${client.socketId} of node ${n.nodeId} was already given out`);
        ids.add(client.socketId);
      }
    }
  });

  // ---- events --------------------------------------------------------------------------------------

  test('an event triggered through the HTTP API of any node reaches the subscribers of every node exactly once (5.5, 10.9 #121, #122)', async () => {
    const ch = fresh('orders');
    const subs = [await subscribed(a, ch), await subscribed(a, ch), await subscribed(b, ch), await subscribed(c, ch)];
    const before = await Promise.all(nodes.map(metricsText));
    for (const via of nodes) {
      const name = `placed-via-${via.nodeId}`;
      const res = await triggerVia(via, app, { channel: ch, name, data: '{"id":42}' });
      assert.equal(res.text, '{}');
      for (const s of subs) {
        const f = await s.nextEvent(name, ch, WAIT);
        assert.equal(f.__raw, JSON.stringify({ event: name, data: '{"id":42}', channel: ch }), `client on node ${s.nodeId}`);
      }
    }
    await markers(ch, subs);
    for (const s of subs) {
      for (const via of nodes) {
        assert.equal(count(s, (f) => f.event === `placed-via-${via.nodeId}`), 1,
          `client on node ${s.nodeId}: event triggered on node ${via.nodeId} not delivered exactly once; frames:\n${s.seen()}`);
      }
    }
    // What crossed the cluster went through Redis.
    const afterwards = await Promise.all(nodes.map(metricsText));
    nodes.forEach((n, i) => {
      const grew = (name) => metricValue(afterwards[i], name) - metricValue(before[i], name);
      assert.ok(grew('pws_redis_messages_published_total') >= 2, `node ${n.nodeId} published its 2 triggers:\n${afterwards[i]}`);
      assert.ok(grew('pws_redis_messages_received_total') >= 4, `node ${n.nodeId} received the 4 triggers of the others:\n${afterwards[i]}`);
    });
  });

  test('POST /events with the socket_id of a connection on node A, sent through node C, skips only that connection (10.9 #124)', async () => {
    const ch = fresh('orders');
    const excluded = await subscribed(a, ch);
    const others = [await subscribed(a, ch), await subscribed(b, ch), await subscribed(c, ch)];
    await triggerVia(c, app, { channel: ch, name: 'not-for-the-sender', data: '1', socket_id: excluded.socketId });
    for (const s of others) await s.nextEvent('not-for-the-sender', ch, WAIT);
    await markers(ch, [excluded, ...others]);
    assert.equal(count(excluded, (f) => f.event === 'not-for-the-sender'), 0, `excluded connection got it:\n${excluded.seen()}`);
  });

  test('a client event sent on node A reaches the subscribers on A, B and C exactly once, and not the sender (2.9, 10.5 #68, #71, #73)', async () => {
    const ch = fresh('private-chat');
    const join = async (node) => {
      const client = await open(node);
      const f = await subscribePrivate(client, app, ch);
      assert.equal(f.event, 'pusher_internal:subscription_succeeded', f.__raw);
      return client;
    };
    const sender = await join(a);
    const receivers = [await join(a), await join(b), await join(c)];
    sender.send({ event: 'client-typing', channel: ch, data: { typing: true } });
    for (const r of receivers) {
      const f = await r.nextEvent('client-typing', ch, WAIT);
      assert.equal(f.__raw, `{"event":"client-typing","data":"{\\"typing\\":true}","channel":"${ch}"}`, `client on node ${r.nodeId}`);
    }
    await markers(ch, [sender, ...receivers]);
    assert.equal(count(sender, (f) => f.event === 'client-typing'), 0, `the sender got its own client event back:\n${sender.seen()}`);
    for (const r of receivers) {
      assert.equal(count(r, (f) => f.event === 'client-typing'), 1, `client on node ${r.nodeId}:\n${r.seen()}`);
    }
  });

  test('a client event on a presence channel carries the sender\'s user_id on the other nodes (10.5 #70, #72)', async () => {
    const ch = fresh('presence-chat');
    const alice = await present(b, ch, { user_id: 'alice' });
    const bob = await present(c, ch, { user_id: 'bob' });
    await alice.nextEvent('pusher_internal:member_added', ch, WAIT);
    alice.send({ event: 'client-wave', channel: ch, data: '{"hi":1}', user_id: 'mallory' });
    const f = await bob.nextEvent('client-wave', ch, WAIT);
    assert.equal(f.__raw, `{"event":"client-wave","data":"{\\"hi\\":1}","channel":"${ch}","user_id":"alice"}`);
  });

  // ---- presence ------------------------------------------------------------------------------------

  test('a presence subscriber on C gets the members of A, B and C in subscription_succeeded; member_added reaches every node once (2.4, 2.7, 10.4 #51, #52, #54)', async () => {
    const ch = fresh('presence-room');
    const onA = await present(a, ch, { user_id: 'ua', user_info: { name: 'Ann' } });
    await eventually(async () => assert.deepEqual(await userIds(b, app, ch), ['ua']), 'member of A known on B', SPREAD);
    const onB = await present(b, ch, { user_id: 'ub', user_info: { name: 'Ben' } });
    assert.deepEqual([...onB.presence.ids].sort(), ['ua', 'ub'],
      `subscription_succeeded on B lists the member of A: ${JSON.stringify(onB.presence)}`);
    assert.deepEqual(onB.presence.hash, { ua: { name: 'Ann' }, ub: { name: 'Ben' } });
    assert.equal(onB.presence.count, 2);
    const addedB = await onA.next(isMemberEvent('added', ch, 'ub'), WAIT);
    assert.equal(addedB.__raw, `{"event":"pusher_internal:member_added","data":"{\\"user_id\\":\\"ub\\",\\"user_info\\":{\\"name\\":\\"Ben\\"}}","channel":"${ch}"}`);

    // Node C has no subscriber of the channel yet; it knows the members once its API lists them.
    await eventually(async () => assert.deepEqual(await userIds(c, app, ch), ['ua', 'ub']), 'members of A and B known on C', SPREAD);
    const onC = await present(c, ch, { user_id: 'uc', user_info: { name: 'Cy' } });
    assert.deepEqual([...onC.presence.ids].sort(), ['ua', 'ub', 'uc'], JSON.stringify(onC.presence));
    assert.deepEqual(onC.presence.hash, { ua: { name: 'Ann' }, ub: { name: 'Ben' }, uc: { name: 'Cy' } });
    assert.equal(onC.presence.count, 3);
    for (const o of [onA, onB]) {
      const added = await o.next(isMemberEvent('added', ch, 'uc'), WAIT);
      assert.deepEqual(JSON.parse(added.data), { user_id: 'uc', user_info: { name: 'Cy' } });
    }
    await markers(ch, [onA, onB, onC]);
    assert.equal(count(onA, isMemberEvent('added', ch, 'ub')), 1, onA.seen());
    for (const o of [onA, onB]) assert.equal(count(o, isMemberEvent('added', ch, 'uc')), 1, `node ${o.nodeId}:\n${o.seen()}`);
    assert.equal(count(onC, (f) => f.event === 'pusher_internal:member_added'), 0, `the joiner gets no member_added:\n${onC.seen()}`);
  });

  test('the same user on two nodes is one member: one member_added, and member_removed only after both connections left (10.4 #55, #56, #57)', async () => {
    const ch = fresh('presence-room');
    const obsA = await present(a, ch, { user_id: 'oa' });
    const obsB = await present(b, ch, { user_id: 'ob' });
    const obsC = await present(c, ch, { user_id: 'oc' });
    await obsA.next(isMemberEvent('added', ch, 'oc'), WAIT);
    await obsB.next(isMemberEvent('added', ch, 'oc'), WAIT);
    const observers = [obsA, obsB, obsC];

    const first = await present(a, ch, { user_id: '42', user_info: { name: 'Ada' } });
    for (const o of observers) await o.next(isMemberEvent('added', ch, '42'), WAIT);
    const second = await present(b, ch, { user_id: '42', user_info: { name: 'Ada' } });
    assert.deepEqual([...second.presence.ids].sort(), ['42', 'oa', 'ob', 'oc'], `42 listed once: ${JSON.stringify(second.presence)}`);
    assert.equal(second.presence.count, 4);
    await markers(ch, observers);
    for (const o of observers) {
      assert.equal(count(o, isMemberEvent('added', ch, '42')), 1, `node ${o.nodeId}: one member_added for 42:\n${o.seen()}`);
    }

    await first.close();
    await markers(ch, observers);
    for (const o of observers) {
      assert.equal(count(o, isMemberEvent('removed', ch, '42')), 0,
        `node ${o.nodeId}: member_removed while 42 is still connected on node b:\n${o.seen()}`);
    }
    for (const n of nodes) assert.deepEqual(await userIds(n, app, ch), ['42', 'oa', 'ob', 'oc'], `users on node ${n.nodeId}`);

    await second.close();
    for (const o of observers) {
      const removed = await o.next(isMemberEvent('removed', ch, '42'), WAIT);
      assert.equal(removed.__raw, `{"event":"pusher_internal:member_removed","data":"{\\"user_id\\":\\"42\\"}","channel":"${ch}"}`);
    }
    await markers(ch, observers);
    for (const o of observers) {
      assert.equal(count(o, isMemberEvent('removed', ch, '42')), 1, `node ${o.nodeId}: one member_removed for 42:\n${o.seen()}`);
    }
    for (const n of nodes) {
      await eventually(async () => assert.deepEqual(await userIds(n, app, ch), ['oa', 'ob', 'oc']), `users on node ${n.nodeId}`, SPREAD);
    }
  });

  test('the same user joining on two nodes at the same moment is announced once on every node, and leaving both at once is announced once (10.4 #54, #55, #56)', async () => {
    const ch = fresh('presence-race');
    const observers = await presenceObservers(ch);
    const pair = await Promise.all([open(a), open(b)]);
    const joined = await Promise.all(pair.map((x) => subscribePresence(x, app, ch, { user_id: '42' })));
    for (const f of joined) assert.equal(f.event, 'pusher_internal:subscription_succeeded', f.__raw);
    for (const o of observers) await o.next(isMemberEvent('added', ch, '42'), WAIT);
    await markers(ch, [...observers, ...pair]);
    for (const o of observers) {
      assert.equal(count(o, isMemberEvent('added', ch, '42')), 1, `node ${o.nodeId}: one member_added for 42:\n${o.seen()}`);
    }
    for (const x of pair) {
      assert.equal(count(x, isMemberEvent('added', ch, '42')), 0, `node ${x.nodeId}: 42 is told of itself:\n${x.seen()}`);
    }

    await Promise.all(pair.map((x) => x.close()));
    for (const o of observers) await o.next(isMemberEvent('removed', ch, '42'), WAIT);
    await markers(ch, observers);
    for (const o of observers) {
      assert.equal(count(o, isMemberEvent('removed', ch, '42')), 1, `node ${o.nodeId}: one member_removed for 42:\n${o.seen()}`);
    }
    const ids = observers.map((o) => o.userId).sort();
    for (const n of nodes) {
      await eventually(async () => assert.deepEqual(await userIds(n, app, ch), ids), `users on node ${n.nodeId}`, SPREAD);
    }
  });

  test('with subscription counting on, the subscribers on every node receive the cluster-wide subscription_count (2.11, 10.7 #106)', async () => {
    const ch = fresh('counted');
    const key = countApp.key;
    const isCount = (n) => {
      const p = (f) => f.event === 'pusher_internal:subscription_count' && f.channel === ch && dataOf(f)?.subscription_count === n;
      p.description = `subscription_count ${n} on ${ch}`;
      return p;
    };
    const join = async (node) => {
      const client = await open(node, { key });
      assert.equal((await client.subscribe(ch, {}, WAIT)).event, 'pusher_internal:subscription_succeeded');
      return client;
    };
    const s1 = await join(a);
    await s1.next(isCount(1), WAIT);
    await eventually(async () => assert.deepEqual(await getJson(b, countApp, `/channels/${ch}`, { info: 'subscription_count' }),
      { occupied: true, subscription_count: 1 }), 'the subscriber of node a counted on node b', SPREAD);
    const s2 = await join(b);
    for (const s of [s1, s2]) await s.next(isCount(2), WAIT);
    await eventually(async () => assert.deepEqual(await getJson(c, countApp, `/channels/${ch}`, { info: 'subscription_count' }),
      { occupied: true, subscription_count: 2 }), 'the subscribers of nodes a and b counted on node c', SPREAD);
    const s3 = await join(c);
    for (const s of [s1, s2, s3]) await s.next(isCount(3), WAIT);
    await s2.close();
    for (const s of [s1, s3]) await s.next(isCount(2), WAIT);
    for (const s of [s1, s3]) {
      const counts = s.frames.filter((f) => f.event === 'pusher_internal:subscription_count').map((f) => dataOf(f).subscription_count);
      assert.equal(counts.at(-1), 2, `node ${s.nodeId}: the last count is the current one: ${JSON.stringify(counts)}`);
      assert.ok(counts.every((n) => n >= 1 && n <= 3), `node ${s.nodeId}: counts ${JSON.stringify(counts)}`);
    }
  });

  // ---- the HTTP API answers for the cluster --------------------------------------------------------

  test('the HTTP API of node C lists and counts a channel occupied only on node A (5.7, 5.8, 10.9 #138, #141, #142)', async () => {
    const ch = fresh('orders');
    const subs = [await subscribed(a, ch), await subscribed(a, ch)];
    for (const n of [c, b]) {
      await eventually(async () => {
        const list = await getJson(n, app, '/channels');
        assert.deepEqual(list.channels[ch], {}, `GET /channels on node ${n.nodeId}: ${JSON.stringify(list)}`);
        assert.deepEqual(await getJson(n, app, `/channels/${ch}`, { info: 'subscription_count' }), { occupied: true, subscription_count: 2 });
      }, `channel of node a seen on node ${n.nodeId}`, SPREAD);
    }
    subs.push(await subscribed(b, ch));
    for (const n of nodes) {
      await eventually(async () => assert.deepEqual(await getJson(n, app, `/channels/${ch}`, { info: 'subscription_count' }),
        { occupied: true, subscription_count: 3 }), `count over nodes a and b seen on node ${n.nodeId}`, SPREAD);
    }
    await Promise.all(subs.map((s) => s.close()));
    for (const n of nodes) {
      await eventually(async () => {
        assert.deepEqual(await getJson(n, app, `/channels/${ch}`), { occupied: false });
        const list = await getJson(n, app, '/channels');
        assert.ok(!(ch in list.channels), `GET /channels on node ${n.nodeId} still lists ${ch}: ${JSON.stringify(list)}`);
      }, `vacated channel seen on node ${n.nodeId}`, SPREAD);
    }
  });

  test('GET /channels/{presence}?info=user_count,subscription_count sums the users and connections of every node (5.7, 5.8, 10.9 #139, #143)', async () => {
    const ch = fresh('presence-count');
    await present(a, ch, { user_id: 'u1' });
    await present(a, ch, { user_id: 'u1' });
    await present(b, ch, { user_id: 'u1' });
    await present(c, ch, { user_id: 'u2' });
    for (const n of nodes) {
      await eventually(async () => {
        assert.deepEqual(await getJson(n, app, `/channels/${ch}`, { info: 'user_count,subscription_count' }),
          { occupied: true, user_count: 2, subscription_count: 4 });
        const list = await getJson(n, app, '/channels', { filter_by_prefix: 'presence-count', info: 'user_count' });
        assert.deepEqual(list.channels[ch], { user_count: 2 }, JSON.stringify(list));
      }, `counts of ${ch} on node ${n.nodeId}`, SPREAD);
    }
  });

  test('GET /channels/{presence}/users on any node lists the users of every node once (5.9, 10.9 #145)', async () => {
    const ch = fresh('presence-users');
    await present(a, ch, { user_id: 'ua' });
    await present(b, ch, { user_id: 'ub' });
    await present(c, ch, { user_id: 'uc' });
    await present(c, ch, { user_id: 'ua' });
    for (const n of nodes) {
      await eventually(async () => {
        const doc = await getJson(n, app, `/channels/${ch}/users`);
        assert.deepEqual(sortById(doc.users), [{ id: 'ua' }, { id: 'ub' }, { id: 'uc' }], JSON.stringify(doc));
      }, `users of ${ch} on node ${n.nodeId}`, SPREAD);
    }
  });

  test('POST /events with info=user_count,subscription_count through node B counts the whole cluster (5.5, 10.9 #132)', async () => {
    const pub = fresh('orders');
    const pres = fresh('presence-info');
    await subscribed(a, pub);
    await subscribed(c, pub);
    await present(a, pres, { user_id: 'x' });
    await present(c, pres, { user_id: 'y' });
    await eventually(async () => {
      const res = await triggerVia(b, app, { channels: [pub, pres], name: 'counted', info: 'user_count,subscription_count' });
      assert.deepEqual(res.json, { channels: { [pub]: { subscription_count: 2 }, [pres]: { user_count: 2, subscription_count: 2 } } });
    }, 'info of a trigger through node b', SPREAD);
  });

  // ---- users ---------------------------------------------------------------------------------------

  test('an event to #server-to-user-42 sent through node B reaches the connections signed in as 42 on A and C exactly once, and no one else (2.14, 10.6 #90)', async () => {
    const u42 = [await open(a), await open(c)];
    const u7 = [await open(b), await open(a)];
    for (const s of u42) assert.equal((await signin(s, app, { id: '42' })).event, 'pusher:signin_success');
    for (const s of u7) assert.equal((await signin(s, app, { id: '7' })).event, 'pusher:signin_success');
    await triggerVia(b, app, { channel: '#server-to-user-42', name: 'invoice-ready', data: '{"id":9}' });
    for (const s of u42) {
      const f = await s.nextEvent('invoice-ready', undefined, WAIT);
      assert.equal(f.__raw, '{"event":"invoice-ready","data":"{\\"id\\":9}","channel":"#server-to-user-42"}', `node ${s.nodeId}`);
    }
    await markers('#server-to-user-42', u42);
    await markers('#server-to-user-7', u7);
    for (const s of u42) assert.equal(count(s, (f) => f.event === 'invoice-ready'), 1, `node ${s.nodeId}:\n${s.seen()}`);
    for (const s of u7) assert.equal(count(s, (f) => f.event === 'invoice-ready'), 0, `user 7 on node ${s.nodeId}:\n${s.seen()}`);
  });

  test('POST /users/42/terminate_connections through node B closes the connections signed in as 42 on A and C with 4009; others stay (5.10, 10.6 #92, #93)', async () => {
    const ch = fresh('presence-term');
    const other = fresh('presence-term');
    const observer = await present(b, ch, { user_id: 'obs' });
    const signedIn = [await open(a), await open(c)];
    for (const s of signedIn) assert.equal((await signin(s, app, { id: '42', user_info: { name: 'Ada' } })).event, 'pusher:signin_success');
    assert.equal((await subscribePresence(signedIn[0], app, ch, { user_id: '42' })).event, 'pusher_internal:subscription_succeeded');
    await observer.next(isMemberEvent('added', ch, '42'), WAIT);
    const presenceOnly = await present(c, other, { user_id: '42' }); // 10.6 #93: never signed in
    const bystander = await open(b);
    assert.equal((await signin(bystander, app, { id: '7' })).event, 'pusher:signin_success');

    const res = await apiRequest(b, app, 'POST', '/users/42/terminate_connections', { body: {} });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.text, '{}');
    for (const s of signedIn) {
      const err = await s.nextEvent('pusher:error', undefined, WAIT);
      assert.equal(err.data?.code, 4009, `node ${s.nodeId}: ${err.__raw}`);
      assert.equal((await s.closedWithin(WAIT)).code, 4009, `close code on node ${s.nodeId}; frames:\n${s.seen()}`);
    }
    for (const s of [presenceOnly, bystander, observer]) {
      assert.deepEqual((await s.sync(WAIT)).filter((f) => f.event === 'pusher:error'), [], `node ${s.nodeId}`);
      assert.ok(s.isOpen, `connection on node ${s.nodeId} stays open`);
    }
    // Then the usual disconnect processing: 42 left the presence channel, announced once.
    await observer.next(isMemberEvent('removed', ch, '42'), WAIT);
    await markers(ch, [observer]);
    assert.equal(count(observer, isMemberEvent('removed', ch, '42')), 1, observer.seen());
    for (const n of nodes) {
      await eventually(async () => assert.deepEqual(await userIds(n, app, other), ['42']), `presence-only 42 on node ${n.nodeId}`, SPREAD);
    }
  });

  // ---- cache channels ------------------------------------------------------------------------------

  test('the last event of a cache channel triggered through node A is replayed to a later subscriber on node B (2.12, 10.7 #100, #101, #102, #105)', async () => {
    const ch = fresh('cache-ticker');
    // Nothing cached anywhere yet: a subscriber on C gets cache_miss.
    const early = await open(c);
    assert.equal((await early.subscribe(ch, {}, WAIT)).event, 'pusher_internal:subscription_succeeded');
    const miss = await early.nextEvent('pusher:cache_miss', ch, WAIT);
    assert.equal(miss.__raw, `{"event":"pusher:cache_miss","data":"{}","channel":"${ch}"}`);

    await triggerVia(a, app, { channel: ch, name: 'price', data: '{"p":1}' });
    await early.nextEvent('price', ch, WAIT);
    await triggerVia(a, app, { channel: ch, name: 'price', data: '{"p":2}' });
    await early.next((f) => f.event === 'price' && f.data === '{"p":2}', WAIT);
    // Node B (no subscriber of the channel) answers with the cached event.
    await eventually(async () => {
      const doc = await getJson(b, app, `/channels/${ch}`, { info: 'cache' });
      assert.equal(doc.cache?.data, '{"p":2}', JSON.stringify(doc));
      assert.ok(Number.isInteger(doc.cache.ttl) && doc.cache.ttl > 0, JSON.stringify(doc));
    }, 'cache of node a seen on node b', SPREAD);

    const late = await open(b);
    assert.equal((await late.subscribe(ch, {}, WAIT)).event, 'pusher_internal:subscription_succeeded');
    const replay = await late.next((f) => f.channel === ch && f.event !== 'pusher_internal:subscription_succeeded', WAIT);
    assert.equal(replay.__raw, `{"event":"price","data":"{\\"p\\":2}","channel":"${ch}"}`,
      `the most recent event, right after subscription_succeeded; frames:\n${late.seen()}`);
    await markers(ch, [late]);
    assert.equal(count(late, (f) => f.event === 'price'), 1, late.seen());
    assert.equal(count(late, (f) => f.event === 'pusher:cache_miss'), 0, late.seen());
  });

  // ---- quotas --------------------------------------------------------------------------------------

  test('max_connections counts every node: with 2 connections on A and 1 on B of 3, a connection on C gets 4004, and one more fits once one left (6, 10.1 #11, #16)', async () => {
    const key = quotaApp.key;
    const held = [await open(a, { key }), await open(a, { key }), await open(b, { key })];
    // Counts travel with the heartbeats: probe node C (closing every accepted probe at once)
    // until it refuses, for at most two heartbeat intervals and a margin.
    const deadline = Date.now() + SPREAD;
    let refused;
    for (;;) {
      const probe = await connect(c, { key, timeoutMs: WAIT });
      if (!probe.socketId) {
        refused = probe;
        break;
      }
      await probe.close();
      assert.ok(Date.now() < deadline, `node c still accepts a 4th connection of an app with max_connections 3 after ${SPREAD} ms\n` +
        clusterOutput(nodes));
    }
    await assertRefused(refused, 4004, WAIT);
    for (const h of held) {
      assert.deepEqual(await h.sync(WAIT), [], `connection on node ${h.nodeId} unaffected`);
      assert.ok(h.isOpen);
    }
    // The node that holds two of them refuses too.
    await assertRefused(await connect(a, { key, timeoutMs: WAIT }), 4004, WAIT);

    await held.shift().close();
    const admitted = await eventually(async () => {
      const probe = await connect(c, { key, timeoutMs: WAIT });
      assert.ok(probe.socketId, `still refused: ${probe.first?.__raw}`);
      return probe;
    }, 'a connection on node c after one on node a left', SPREAD, 100);
    opened.push(admitted);
  });

  // ---- webhooks --------------------------------------------------------------------------------------

  /**
   * Makes `node` send one more webhook (channel_occupied of a fresh channel) and waits for it: the
   * node's earlier webhooks went out before it.
   */
  async function hookMarker(node) {
    const mark = fresh('hook-marker');
    const client = await open(node, { key: hookApp.key });
    assert.equal((await client.subscribe(mark, {}, WAIT)).event, 'pusher_internal:subscription_succeeded');
    await hooks.waitFor((e) => e.name === 'channel_occupied' && e.channel === mark, `channel_occupied of ${mark} from node ${node.nodeId}`);
  }

  /** Waits until `node`'s HTTP API counts `n` subscriptions of `channel` (hookApp). */
  const countedOn = (node, channel, n) => eventually(async () => assert.equal(
    (await getJson(node, hookApp, `/channels/${channel}`, { info: 'subscription_count' })).subscription_count, n),
  `${n} subscriptions of ${channel} counted on node ${node.nodeId}`, SPREAD);

  test('webhooks see one server: channel_occupied for the first subscriber anywhere, channel_vacated after the last one anywhere, member_added/removed once per user (7.3, 10.10 #148, #151)', async () => {
    const key = hookApp.key;
    const join = async (node, channel, member) => {
      const client = await open(node, { key });
      const f = member === undefined ? await client.subscribe(channel, {}, WAIT) : await subscribePresence(client, hookApp, channel, member);
      assert.equal(f.event, 'pusher_internal:subscription_succeeded', f.__raw);
      return client;
    };
    const ch = fresh('hooked');
    const s1 = await join(a, ch);
    await hooks.waitFor((e) => e.name === 'channel_occupied' && e.channel === ch, `channel_occupied of ${ch}`);
    await countedOn(b, ch, 1);
    const s2 = await join(b, ch);
    await hookMarker(b);
    await s1.close();
    await countedOn(b, ch, 1);
    await hookMarker(a);
    assert.deepEqual(hooks.names(ch), ['channel_occupied'], 'a second subscriber elsewhere and the first one leaving: no webhook');
    await s2.close();
    await hooks.waitFor((e) => e.name === 'channel_vacated' && e.channel === ch, `channel_vacated of ${ch}`);
    await hookMarker(a);
    await hookMarker(b);
    assert.deepEqual(hooks.names(ch), ['channel_occupied', 'channel_vacated']);

    const pch = fresh('presence-hooked');
    const p1 = await join(a, pch, { user_id: '42' });
    await hooks.waitFor((e) => e.name === 'member_added' && e.channel === pch, `member_added on ${pch}`);
    await countedOn(b, pch, 1);
    const p2 = await join(b, pch, { user_id: '42' });
    await hookMarker(b);
    await p1.close();
    await countedOn(b, pch, 1);
    await hookMarker(a);
    assert.deepEqual(hooks.names(pch).filter((n) => n.startsWith('member_')), ['member_added 42'], 'one member_added while 42 is connected anywhere');
    await p2.close();
    await hooks.waitFor((e) => e.name === 'member_removed' && e.channel === pch, `member_removed on ${pch}`);
    await hookMarker(a);
    await hookMarker(b);
    assert.deepEqual(hooks.names(pch).filter((n) => n.startsWith('member_')), ['member_added 42', 'member_removed 42']);
  });

  test('subscribers arriving on two nodes at the same moment, and leaving them at the same moment, give one channel_occupied, member_added, member_removed and channel_vacated webhook per channel (7.3, 10.10 #148, #151)', async () => {
    // Fifty channels at once, so that the two nodes act before they hear of each other.
    const key = hookApp.key;
    const prefix = fresh('presence-hook-race');
    const chans = Array.from({ length: 50 }, (_, i) => `${prefix}-${i}`);
    const pair = await Promise.all([open(a, { key }), open(b, { key })]);
    const joined = await Promise.all(pair.flatMap((x) => chans.map((ch) => subscribePresence(x, hookApp, ch, { user_id: '42' }))));
    for (const f of joined) assert.equal(f.event, 'pusher_internal:subscription_succeeded', f.__raw);
    const counts = (node) => eventually(async () => {
      const list = await getJson(node, hookApp, '/channels', { filter_by_prefix: `${prefix}-`, info: 'subscription_count' });
      return list.channels;
    }, `channels of node ${node.nodeId}`, SPREAD);
    for (const n of [a, b]) {
      await eventually(async () => {
        const channels = await counts(n);
        for (const ch of chans) assert.equal(channels[ch]?.subscription_count, 2, `${ch} on node ${n.nodeId}: ${JSON.stringify(channels)}`);
      }, `both subscriptions counted on node ${n.nodeId}`, SPREAD);
    }
    await hookMarker(a);
    await hookMarker(b);
    /** The channels whose webhooks (in any order) are not exactly `names`, with what they got. */
    const unlike = (names) => chans.filter((ch) => JSON.stringify([...hooks.names(ch)].sort()) !== JSON.stringify(names))
      .map((ch) => `${ch}: ${JSON.stringify(hooks.names(ch))}`);
    assert.deepEqual(unlike(['channel_occupied', 'member_added 42']), [], 'one channel_occupied and one member_added per channel');

    await Promise.all(pair.map((x) => x.close()));
    for (const n of [a, b]) {
      await eventually(async () => assert.deepEqual(await counts(n), {}), `channels vacated on node ${n.nodeId}`, SPREAD);
    }
    // Both nodes have seen both leave; each has sent what it was going to send.
    await hookMarker(a);
    await hookMarker(b);
    assert.deepEqual(unlike(['channel_occupied', 'channel_vacated', 'member_added 42', 'member_removed 42']), [],
      'each webhook once per channel for the cluster');
  });

  // ---- pusher-js and the pusher SDK ------------------------------------------------------------------

  test('pusher-js clients on three nodes: an SDK trigger through any node reaches all of them with exact data (Appendix A, 10.9 #121)', async () => {
    const ch = fresh('orders');
    const clients = [];
    for (const n of nodes) {
      const pusher = await pusherClient(n, app, sdkFor(n, app));
      clients.push((await subscribe(pusher, ch)).channel);
    }
    const seen = clients.map((channel) => record(channel, { internal: false, pairs: true }));
    for (const via of nodes) {
      const got = clients.map((channel) => nextEvent(channel, 'shipped', { filter: (d) => d.via === via.nodeId, timeoutMs: WAIT }));
      const res = await sdkFor(via, app).trigger(ch, 'shipped', { via: via.nodeId, note: 'ünïcode €' });
      assert.equal(res.status, 200);
      for (const g of got) assert.deepEqual((await g).data, { via: via.nodeId, note: 'ünïcode €' });
    }
    const last = clients.map((channel) => nextEvent(channel, 'last', { timeoutMs: WAIT }));
    for (const via of nodes) await sdkFor(via, app).trigger(ch, 'last', {});
    await Promise.all(last);
    for (const s of seen) {
      assert.deepEqual(s.filter(([e]) => e === 'shipped').map(([, d]) => d.via), ['a', 'b', 'c'], JSON.stringify(s));
    }
  });

  test('pusher-js presence across nodes: members from every node, member_added and member_removed, and the SDK on a third node agrees (Appendix A, 10.4 #51–#57)', async () => {
    const ch = fresh('presence-pj');
    const ada = await pusherClient(a, app, sdkFor(a, app), { presence: { user_id: '42', user_info: { name: 'Ada' } } });
    const bob = await pusherClient(b, app, sdkFor(b, app), { presence: { user_id: '7', user_info: { name: 'Bob' } } });
    const { channel: presAda, data: membersAda } = await subscribe(ada, ch);
    assert.equal(membersAda.count, 1);
    await eventually(async () => assert.deepEqual(await userIds(b, app, ch), ['42']), 'member of node a known on node b', SPREAD);
    const added = nextEvent(presAda, 'pusher:member_added', { timeoutMs: WAIT });
    const { channel: presBob, data: membersBob } = await subscribe(bob, ch);
    const list = [];
    membersBob.each((m) => list.push(m));
    assert.deepEqual(sortById(list), [{ id: '42', info: { name: 'Ada' } }, { id: '7', info: { name: 'Bob' } }]);
    assert.deepEqual((await added).data, { id: '7', info: { name: 'Bob' } });
    assert.equal(presAda.members.count, 2);

    const sdkC = sdkFor(c, app);
    await eventually(async () => {
      const users = await (await sdkC.get({ path: `/channels/${ch}/users` })).json();
      assert.deepEqual(users.users.map((u) => u.id).sort(), ['42', '7']);
      const info = await (await sdkC.get({ path: `/channels/${ch}`, params: { info: 'user_count' } })).json();
      assert.deepEqual(info, { occupied: true, user_count: 2 });
    }, 'the SDK on node c sees both members', SPREAD);

    const removed = nextEvent(presBob, 'pusher:member_removed', { timeoutMs: WAIT });
    ada.disconnect();
    assert.deepEqual((await removed).data, { id: '42', info: { name: 'Ada' } });
    assert.equal(presBob.members.count, 1);
  });

  test('SDK sendToUser through node C reaches pusher-js signed in on A and B; terminateUserConnections through C disconnects them with 4009 (Appendix A, 10.6 #90, #92)', async () => {
    const users = [];
    for (const n of [a, b]) {
      const p = await pusherClient(n, app, sdkFor(n, app), { user: { id: 'pj-42', user_info: { name: 'Ada' } } });
      p.signin();
      await withTimeout(p.user.signinDonePromise, `pusher-js signin on node ${n.nodeId}`, WAIT);
      const stu = p.user.serverToUserChannel;
      assert.ok(stu, 'pusher-js subscribes to #server-to-user-<id> after signin');
      if (!stu.subscribed) await nextEvent(stu, 'pusher:subscription_succeeded', { failOn: ['pusher:subscription_error'], timeoutMs: WAIT });
      users.push(p);
    }
    const sdkC = sdkFor(c, app);
    const got = users.map((p) => nextEvent(p.user, 'invoice-ready', { timeoutMs: WAIT }));
    assert.equal((await sdkC.sendToUser('pj-42', 'invoice-ready', { invoice: 9 })).status, 200);
    for (const g of got) assert.deepEqual((await g).data, { invoice: 9 });

    const errors = users.map((p) => nextEvent(p.connection, 'error', { filter: (e) => e?.type === 'PusherError', timeoutMs: WAIT, label: 'pusher:error 4009' }));
    const gone = users.map((p) => nextEvent(p.connection, 'state_change', { filter: (s) => s.current === 'disconnected', timeoutMs: WAIT }));
    const res = await sdkC.terminateUserConnections('pj-42');
    assert.equal(res.status, 200);
    for (const e of errors) assert.equal((await e).data.data.code, 4009);
    await Promise.all(gone);
  });
});

describe('[redis] settings (issue 7)', () => {
  let redis;
  before(async () => { redis = await startRedis(); });
  after(async () => { await redis?.stop(); });

  test('without node_id each node is named <hostname>:<port>, so nodes on one host form a cluster with the default', async (t) => {
    const cluster = await startCluster({ nodes: 2, apps: [app], redisUrl: redis.url, redis: { node_id: undefined } });
    t.after(() => cluster.stop());
    const [first, second] = cluster.nodes;
    // Each node names the other by its default id somewhere in what it says about the cluster.
    assert.ok(second.output().includes(`${hostname()}:${first.port}`), `node ids <hostname>:<port>; output of the second node:\n${second.output()}`);
    assert.ok(first.output().includes(`${hostname()}:${second.port}`), `output of the first node:\n${first.output()}`);
  });

  test('two clusters with different prefixes share one Redis without seeing each other', async (t) => {
    const x = await startCluster({ nodes: 2, apps: [app], redisUrl: redis.url, prefix: 'pws-e2e-x' });
    t.after(() => x.stop());
    const y = await startCluster({ nodes: 2, apps: [app], redisUrl: redis.url, prefix: 'pws-e2e-y' });
    t.after(() => y.stop());
    const subs = [];
    for (const n of [...x.nodes, ...y.nodes]) {
      const client = await connectOk(n);
      client.nodeId = `${n === x.a || n === x.b ? 'x' : 'y'}.${n.nodeId}`;
      assert.equal((await client.subscribe('orders', {}, WAIT)).event, 'pusher_internal:subscription_succeeded');
      subs.push(client);
    }
    await triggerVia(x.a, app, { channel: 'orders', name: 'for-x', data: '{}' });
    for (const s of subs.slice(0, 2)) await s.nextEvent('for-x', 'orders', WAIT);
    await markersVia(app, 'orders', subs.slice(2), y.nodes);
    for (const s of subs.slice(2)) assert.equal(countFrames(s, (f) => f.event === 'for-x'), 0, `cluster y got an event of cluster x:\n${s.seen()}`);
    for (const n of [...x.nodes, ...y.nodes]) assert.equal(await metric(n, 'pws_cluster_nodes'), 2, `node ${n.nodeId}`);
  });

  test('a url with a password authenticates; a node with a wrong one stays out of the cluster, says why, and never prints the password', async (t) => {
    const defer = deferrer(t);
    const secured = await startRedis({ args: ['--requirepass', 'S3cret-pw'], password: 'S3cret-pw' });
    defer(() => secured.stop());
    const good = `redis://:S3cret-pw@127.0.0.1:${secured.port}/2`;
    const cluster = await startCluster({ nodes: 2, apps: [app], redisUrl: good });
    defer(() => cluster.stop());
    const intruder = await cluster.addNode('c', { redis: { url: `redis://:Wrong-pw@127.0.0.1:${secured.port}` } });
    await eventually(async () => assert.match(intruder.output(), /^pws: (?:warning: )?redis: .*(?:AUTH|password)/im),
      'the refused node says why', WAIT);
    assert.equal(await metric(intruder, 'pws_redis_connected'), 0);
    for (const n of [cluster.a, cluster.b]) assert.equal(await metric(n, 'pws_cluster_nodes'), 2, `node ${n.nodeId}`);
    const subs = [];
    for (const n of [cluster.a, cluster.b]) {
      const client = await connectOk(n);
      client.nodeId = n.nodeId;
      assert.equal((await client.subscribe('orders', {}, WAIT)).event, 'pusher_internal:subscription_succeeded');
      subs.push(client);
    }
    await markersVia(app, 'orders', subs, [cluster.a, cluster.b]);
    for (const n of cluster.nodes) {
      assert.ok(!/S3cret-pw|Wrong-pw/.test(n.output()), `node ${n.nodeId} printed a Redis password:\n${n.output()}`);
    }
  });
});
