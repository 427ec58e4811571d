// Redis clustering when things go wrong (issue 7): a node killed with SIGKILL (and started again),
// a node stopped with SIGTERM, a node started after the others cached an event, one node shut out
// of Redis (a Redis ACL user of its own, disabled and its connections killed) while the others
// stay, Redis killed and started again on the same port under running nodes, and nodes started
// while Redis is down. Each test has its own redis-server and its own cluster, since it breaks
// them. What a healthy cluster does is in cluster.test.mjs.
//
// The timings under test, with heartbeat_interval_in_seconds = 1:
//  - a silent (killed) node's members and connections are dropped by the others within
//    node_timeout_in_seconds plus a heartbeat;
//  - a node stopped gracefully says goodbye: the others drop it at once, long before its
//    node_timeout;
//  - a Redis outage shorter than node_timeout drops nobody, and the nodes reconnect by themselves.
// Events published while Redis is down are not guaranteed and not checked. Every wait is bounded
// (and stretched by TIME_FACTOR); "exactly once" and "never" are proven with marker events
// triggered afterwards through every surviving node.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  connectOk, defaultApp, freePort, subscribePresence, DEFAULT_TIMEOUT_MS,
} from './lib/harness.mjs';
import { startRedis } from './lib/redis.mjs';
import {
  startCluster, waitForClusterNodes, waitForMetric, metric, eventually, triggerVia, getJson, userIds,
  isMemberEvent, countFrames, markers, clusterOutput, startWebhookReceiver, deferrer, nodeClients,
} from './lib/cluster.mjs';
import { TIME_FACTOR } from './lib/timing.mjs';

const app = { ...defaultApp, enable_client_messages: true };
const HEARTBEAT = 1;
const WAIT = DEFAULT_TIMEOUT_MS * TIME_FACTOR;
/** State carried by heartbeats: two heartbeat intervals and a margin. */
const SPREAD = (2 * HEARTBEAT + 1) * 1000 * TIME_FACTOR;

const removedRaw = (ch, id) => `{"event":"pusher_internal:member_removed","data":"{\\"user_id\\":\\"${id}\\"}","channel":"${ch}"}`;

const { open, subscribed, present } = nodeClients(app, { timeoutMs: WAIT });

/** Redis and a cluster on it, both stopped after the test `t`. */
async function setUp(t, clusterOptions) {
  const defer = deferrer(t);
  const redis = await startRedis();
  defer(() => redis.stop());
  const cluster = await startCluster({ apps: [app], redisUrl: redis.url, heartbeatInterval: HEARTBEAT, ...clusterOptions });
  defer(() => cluster.stop());
  return { redis, cluster };
}

/**
 * Observers 'oa' on A and 'ob' on B of presence channel `ch`, each having seen the other: the
 * membership is known on both nodes when this resolves.
 */
async function observers(ch, a, b) {
  const obsA = await present(a, ch, { user_id: 'oa' });
  await eventually(async () => assert.deepEqual(await userIds(b, app, ch), ['oa']), 'member of a known on b', SPREAD);
  const obsB = await present(b, ch, { user_id: 'ob' });
  assert.deepEqual([...obsB.presence.ids].sort(), ['oa', 'ob'], JSON.stringify(obsB.presence));
  await obsA.next(isMemberEvent('added', ch, 'ob'), WAIT);
  return [obsA, obsB];
}

describe('a node that dies or leaves (issue 7)', () => {
  test('a node killed with SIGKILL has its presence members and channels dropped by the others within node_timeout and a heartbeat, member_removed once per observer; it can rejoin', async (t) => {
    const NODE_TIMEOUT = 2;
    const { cluster } = await setUp(t, { nodes: 3, nodeTimeout: NODE_TIMEOUT });
    const { a, b, c } = cluster;
    const ch = 'presence-room';
    const pub = 'only-on-c';
    const [obsA, obsB] = await observers(ch, a, b);
    // 'v' is connected on C only (twice); 's' on C and on A, so 's' stays.
    await present(c, ch, { user_id: 'v' });
    await present(c, ch, { user_id: 'v' });
    await present(c, ch, { user_id: 's' });
    await present(a, ch, { user_id: 's' });
    for (const o of [obsA, obsB]) {
      await o.next(isMemberEvent('added', ch, 'v'), WAIT);
      await o.next(isMemberEvent('added', ch, 's'), WAIT);
    }
    await subscribed(c, pub);
    await eventually(async () => assert.deepEqual(await getJson(a, app, `/channels/${pub}`), { occupied: true }),
      'channel of node c seen on node a', SPREAD);

    const bound = ((NODE_TIMEOUT + HEARTBEAT) * 1000 + 1000) * TIME_FACTOR;
    const killedAt = Date.now();
    c.proc.kill('SIGKILL');
    for (const o of [obsA, obsB]) {
      const removed = await o.next(isMemberEvent('removed', ch, 'v'), bound + 1000);
      assert.equal(removed.__raw, removedRaw(ch, 'v'));
    }
    const took = Date.now() - killedAt;
    assert.ok(took <= bound, `member_removed came ${took} ms after the kill; node_timeout is ${NODE_TIMEOUT} s, heartbeat ${HEARTBEAT} s`);
    await waitForClusterNodes([a, b], 2, { timeoutMs: bound });

    await markers(app, ch, [obsA, obsB], [a, b]);
    for (const o of [obsA, obsB]) {
      assert.equal(countFrames(o, isMemberEvent('removed', ch, 'v')), 1, `node ${o.nodeId}: one member_removed for v:\n${o.seen()}`);
      assert.equal(countFrames(o, isMemberEvent('removed', ch, 's')), 0, `node ${o.nodeId}: s is still on node a:\n${o.seen()}`);
    }
    for (const n of [a, b]) {
      assert.deepEqual(await userIds(n, app, ch), ['oa', 'ob', 's'], `users on node ${n.nodeId}`);
      assert.deepEqual(await getJson(n, app, `/channels/${ch}`, { info: 'user_count,subscription_count' }),
        { occupied: true, user_count: 3, subscription_count: 3 }, `counts on node ${n.nodeId}`);
      assert.deepEqual(await getJson(n, app, `/channels/${pub}`), { occupied: false }, `${pub} on node ${n.nodeId}`);
    }

    // The node started again with the same node_id joins as a fresh node.
    await cluster.nodes.splice(cluster.nodes.indexOf(c), 1)[0].stop();
    const c2 = await cluster.addNode('c');
    await waitForClusterNodes(cluster.nodes, 3);
    const back = await present(c2, ch, { user_id: 'v' });
    assert.deepEqual([...back.presence.ids].sort(), ['oa', 'ob', 's', 'v'], JSON.stringify(back.presence));
    for (const o of [obsA, obsB]) await o.next(isMemberEvent('added', ch, 'v'), WAIT);
  });

  test('a node killed with SIGKILL: the surviving nodes send the member_removed and channel_vacated webhooks for what only it held (7.3, 10.10 #148, #151)', async (t) => {
    const NODE_TIMEOUT = 2;
    const defer = deferrer(t);
    const hooks = await startWebhookReceiver();
    defer(() => hooks.close());
    const hookApp = { ...app, webhooks: [{ url: hooks.url }] };
    const redis = await startRedis();
    defer(() => redis.stop());
    const cluster = await startCluster({ nodes: 3, apps: [hookApp], redisUrl: redis.url, heartbeatInterval: HEARTBEAT, nodeTimeout: NODE_TIMEOUT });
    defer(() => cluster.stop());
    const { a, b, c } = cluster;
    const ch = 'presence-room';
    // 'v' only on C; 's' on C and on A.
    for (const [node, user] of [[c, 'v'], [c, 's'], [a, 's']]) await present(node, ch, { user_id: user });
    await subscribed(c, 'only-on-c');
    await hooks.waitFor((e) => e.name === 'member_added' && e.user_id === 'v', 'member_added v');
    await hooks.waitFor((e) => e.name === 'channel_occupied' && e.channel === 'only-on-c', 'channel_occupied only-on-c');
    await eventually(async () => assert.deepEqual(await userIds(a, app, ch), ['s', 'v']), 'members of c known on a', SPREAD);

    c.proc.kill('SIGKILL');
    await waitForClusterNodes([a, b], 2, { timeoutMs: ((NODE_TIMEOUT + HEARTBEAT) * 1000 + 2000) * TIME_FACTOR });
    await hooks.waitFor((e) => e.name === 'member_removed' && e.channel === ch && e.user_id === 'v', 'member_removed v after node c died');
    await hooks.waitFor((e) => e.name === 'channel_vacated' && e.channel === 'only-on-c', 'channel_vacated only-on-c after node c died');
    // Both survivors have dropped node c; a marker webhook from each comes after what they sent.
    for (const n of [a, b]) {
      await subscribed(n, `hook-marker-${n.nodeId}`);
      await hooks.waitFor((e) => e.name === 'channel_occupied' && e.channel === `hook-marker-${n.nodeId}`, `marker of node ${n.nodeId}`);
    }
    // 's' is still connected on node a: no member_removed for it, and the channel stays occupied.
    assert.deepEqual([...hooks.names(ch)].sort(), ['channel_occupied', 'member_added s', 'member_added v', 'member_removed v'],
      `webhooks of ${ch} in arrival order: ${JSON.stringify(hooks.names(ch))}`);
    assert.deepEqual(hooks.names('only-on-c'), ['channel_occupied', 'channel_vacated']);
  });

  test('a node stopped with SIGTERM says goodbye: the others drop its members and count it out at once, long before node_timeout (8.5, issue 7)', async (t) => {
    const NODE_TIMEOUT = 30;
    const { cluster } = await setUp(t, { nodes: 3, nodeTimeout: NODE_TIMEOUT });
    const { a, b, c } = cluster;
    const ch = 'presence-room';
    const pub = 'only-on-c';
    const [obsA, obsB] = await observers(ch, a, b);
    const leaving = await present(c, ch, { user_id: 'v' });
    for (const o of [obsA, obsB]) await o.next(isMemberEvent('added', ch, 'v'), WAIT);
    await subscribed(c, pub);
    await eventually(async () => assert.deepEqual(await getJson(a, app, `/channels/${pub}`), { occupied: true }),
      'channel of node c seen on node a', SPREAD);

    const prompt = 3000 * TIME_FACTOR;
    const exited = new Promise((resolve) => c.proc.once('exit', (code, signal) => resolve({ code, signal })));
    const stoppedAt = Date.now();
    c.proc.kill('SIGTERM');
    const err = await leaving.nextEvent('pusher:error', undefined, WAIT);
    assert.equal(err.data?.code, 4200, err.__raw);
    for (const o of [obsA, obsB]) {
      const removed = await o.next(isMemberEvent('removed', ch, 'v'), prompt);
      assert.equal(removed.__raw, removedRaw(ch, 'v'));
    }
    await waitForClusterNodes([a, b], 2, { timeoutMs: prompt });
    const took = Date.now() - stoppedAt;
    assert.ok(took < prompt, `node c was dropped ${took} ms after SIGTERM (node_timeout ${NODE_TIMEOUT} s)`);
    assert.equal((await exited).code, 0, clusterOutput([c]));

    await markers(app, ch, [obsA, obsB], [a, b]);
    for (const o of [obsA, obsB]) {
      assert.equal(countFrames(o, isMemberEvent('removed', ch, 'v')), 1, `node ${o.nodeId}: one member_removed for v:\n${o.seen()}`);
    }
    for (const n of [a, b]) {
      assert.deepEqual(await userIds(n, app, ch), ['oa', 'ob'], `users on node ${n.nodeId}`);
      assert.deepEqual(await getJson(n, app, `/channels/${pub}`), { occupied: false }, `${pub} on node ${n.nodeId}`);
    }
  });
  test('a node killed with SIGKILL and started again at once with the same node_id: the members of its old life are removed as soon as the new one is heard, once (issue 7)', async (t) => {
    const NODE_TIMEOUT = 30;
    const { cluster } = await setUp(t, { nodes: 3, nodeTimeout: NODE_TIMEOUT });
    const { a, b, c } = cluster;
    const ch = 'presence-room';
    const [obsA, obsB] = await observers(ch, a, b);
    await present(c, ch, { user_id: 'v' });
    for (const o of [obsA, obsB]) await o.next(isMemberEvent('added', ch, 'v'), WAIT);

    const prompt = 3000 * TIME_FACTOR;
    const exited = new Promise((resolve) => c.proc.once('exit', resolve));
    c.proc.kill('SIGKILL');
    await exited;
    await cluster.nodes.splice(cluster.nodes.indexOf(c), 1)[0].stop();
    const restartedAt = Date.now();
    const c2 = await cluster.addNode('c');
    for (const o of [obsA, obsB]) {
      const removed = await o.next(isMemberEvent('removed', ch, 'v'), prompt);
      assert.equal(removed.__raw, removedRaw(ch, 'v'));
    }
    const took = Date.now() - restartedAt;
    assert.ok(took < prompt, `the old members of node c were removed ${took} ms after it came back (node_timeout ${NODE_TIMEOUT} s)`);
    await waitForClusterNodes(cluster.nodes, 3);
    await markers(app, ch, [obsA, obsB], cluster.nodes);
    for (const o of [obsA, obsB]) {
      assert.equal(countFrames(o, isMemberEvent('removed', ch, 'v')), 1, `node ${o.nodeId}: one member_removed for v:\n${o.seen()}`);
    }
    for (const n of cluster.nodes) assert.deepEqual(await userIds(n, app, ch), ['oa', 'ob'], `users on node ${n.nodeId}`);
    // The new life of node c is a full member.
    const w = await present(c2, ch, { user_id: 'w' });
    assert.deepEqual([...w.presence.ids].sort(), ['oa', 'ob', 'w'], JSON.stringify(w.presence));
    for (const o of [obsA, obsB]) await o.next(isMemberEvent('added', ch, 'w'), WAIT);
  });

  test('a node started after an event was cached replays it to its subscribers like the others (2.12, 10.7 #101)', async (t) => {
    const { cluster } = await setUp(t, { nodes: 2, nodeTimeout: 5 });
    const ch = 'cache-ticker';
    await triggerVia(cluster.a, app, { channel: ch, name: 'price', data: '{"p":7}' });
    await eventually(async () => assert.equal((await getJson(cluster.b, app, `/channels/${ch}`, { info: 'cache' })).cache?.data, '{"p":7}'),
      'the cached event on node b', SPREAD);
    const c = await cluster.addNode('c');
    await waitForClusterNodes(cluster.nodes, 3);
    const late = await open(c);
    assert.equal((await late.subscribe(ch, {}, WAIT)).event, 'pusher_internal:subscription_succeeded');
    const next = await late.next((f) => f.channel === ch && f.event !== 'pusher_internal:subscription_succeeded', WAIT);
    assert.equal(next.__raw, `{"event":"price","data":"{\\"p\\":7}","channel":"${ch}"}`,
      `a subscriber of the node that joined later gets the cached event; frames:\n${late.seen()}`);
  });
});

describe('one node cut off from Redis while the others stay (issue 7)', () => {
  test('a node cut off for less than node_timeout keeps its members on the others, and on its return knows what it missed and is reached by events again', async (t) => {
    const NODE_TIMEOUT = Math.ceil(10 * TIME_FACTOR);
    const defer = deferrer(t);
    const redis = await startRedis();
    defer(() => redis.stop());
    // Node c logs in as its own Redis user, so that it alone can be shut out (ACL).
    await redis.command('ACL', 'SETUSER', 'nodec', 'on', '>nodec-pw', 'allkeys', 'allchannels', '+@all');
    const cluster = await startCluster({ nodes: 2, apps: [app], redisUrl: redis.url, heartbeatInterval: HEARTBEAT, nodeTimeout: NODE_TIMEOUT });
    defer(() => cluster.stop());
    const { a, b } = cluster;
    const c = await cluster.addNode('c', { redis: { url: `redis://nodec:nodec-pw@127.0.0.1:${redis.port}` } });
    await waitForClusterNodes(cluster.nodes, 3);
    const ch = 'presence-room';
    const [obsA, obsB] = await observers(ch, a, b);
    await present(c, ch, { user_id: 'v' });
    for (const o of [obsA, obsB]) await o.next(isMemberEvent('added', ch, 'v'), WAIT);
    const onC = await subscribed(c, 'ticks');

    const cutAt = Date.now();
    await redis.command('ACL', 'SETUSER', 'nodec', 'off');
    await redis.command('CLIENT', 'KILL', 'USER', 'nodec');
    await waitForMetric(c, 'pws_redis_connected', (v) => v === 0, { timeoutMs: WAIT, label: 'node c cut off' });
    // Meanwhile a member joins on node b: node c cannot hear it.
    await present(b, ch, { user_id: 'late' });
    await obsA.next(isMemberEvent('added', ch, 'late'), WAIT);
    await redis.command('ACL', 'SETUSER', 'nodec', 'on');
    await waitForMetric(c, 'pws_redis_connected', (v) => v === 1, { timeoutMs: NODE_TIMEOUT * 1000, label: 'node c back' });
    await waitForClusterNodes(cluster.nodes, 3);
    const took = Date.now() - cutAt;
    assert.ok(took < NODE_TIMEOUT * 1000, `node c was cut off for ${took} ms, not less than node_timeout (${NODE_TIMEOUT} s)`);

    await markers(app, ch, [obsA, obsB], cluster.nodes);
    for (const o of [obsA, obsB]) {
      assert.equal(countFrames(o, (f) => f.event === 'pusher_internal:member_removed'), 0,
        `node ${o.nodeId}: members were dropped during a ${took} ms cut (node_timeout ${NODE_TIMEOUT} s):\n${o.seen()}`);
    }
    await eventually(async () => assert.deepEqual(await userIds(c, app, ch), ['late', 'oa', 'ob', 'v']), 'node c knows the member that joined while it was away', SPREAD);
    const joiner = await present(c, ch, { user_id: 'x' });
    assert.deepEqual([...joiner.presence.ids].sort(), ['late', 'oa', 'ob', 'v', 'x'], JSON.stringify(joiner.presence));
    await triggerVia(a, app, { channel: 'ticks', name: 'tick', data: '1' });
    await onC.nextEvent('tick', 'ticks', WAIT);
  });
});

describe('Redis going away and coming back (issue 7)', () => {
  // Long enough that the outage (kill, start again, reconnect with backoff) stays shorter.
  const NODE_TIMEOUT = Math.ceil(10 * TIME_FACTOR);

  /** Kills Redis, waits until every node noticed, starts it again, waits until the cluster re-formed. */
  async function outage(redis, nodes, duringOutage = async () => {}) {
    const killedAt = Date.now();
    await redis.kill();
    for (const n of nodes) {
      await waitForMetric(n, 'pws_redis_connected', (v) => v === 0, { timeoutMs: WAIT, label: 'pws_redis_connected == 0 after Redis was killed' });
      await eventually(async () => assert.match(n.output(), /^pws: (?:warning: )?redis: .*\blost\b/m), `node ${n.nodeId} logs the lost connection`, WAIT);
    }
    await duringOutage();
    await redis.start();
    for (const n of nodes) {
      await waitForMetric(n, 'pws_redis_connected', (v) => v === 1, { timeoutMs: NODE_TIMEOUT * 1000, label: 'pws_redis_connected == 1 after Redis came back' });
    }
    await waitForClusterNodes(nodes, nodes.length, { timeoutMs: NODE_TIMEOUT * 1000 });
    const took = Date.now() - killedAt;
    for (const n of nodes) {
      assert.ok(await metric(n, 'pws_redis_reconnects_total') >= 1, `node ${n.nodeId} counts the reconnect`);
      assert.match(n.output(), /^pws: redis: reconnected/m, `node ${n.nodeId} output:\n${n.output()}`);
    }
    return took;
  }

  test('Redis killed and started again: the nodes reconnect by themselves, nobody is dropped during an outage shorter than node_timeout, and events flow again', async (t) => {
    const { redis, cluster } = await setUp(t, { nodes: 2, nodeTimeout: NODE_TIMEOUT });
    const { a, b } = cluster;
    const ch = 'presence-room';
    const pub = 'ticks';
    const [obsA, obsB] = await observers(ch, a, b);
    const subs = [await subscribed(a, pub), await subscribed(b, pub)];
    await markers(app, pub, subs, [a, b]);

    const took = await outage(redis, [a, b]);
    assert.ok(took < NODE_TIMEOUT * 1000,
      `the outage lasted ${took} ms, not shorter than node_timeout (${NODE_TIMEOUT} s): pws reconnects too slowly for this check\n${clusterOutput([a, b])}`);

    // Events flow again, through either node, to both.
    await markers(app, pub, subs, [a, b]);
    await markers(app, ch, [obsA, obsB], [a, b]);
    for (const o of [obsA, obsB]) {
      assert.equal(countFrames(o, (f) => f.event === 'pusher_internal:member_removed'), 0,
        `node ${o.nodeId}: a member was dropped during a ${took} ms Redis outage (node_timeout ${NODE_TIMEOUT} s):\n${o.seen()}`);
    }
    for (const n of [a, b]) assert.deepEqual(await userIds(n, app, ch), ['oa', 'ob'], `users on node ${n.nodeId}`);
    // Client events cross again, and a new member is announced on the other node once.
    obsB.send({ event: 'client-hello', channel: ch, data: '{}' });
    const hello = await obsA.nextEvent('client-hello', ch, WAIT);
    assert.equal(hello.user_id, 'ob', hello.__raw);
    const late = await present(b, ch, { user_id: 'oc' });
    assert.deepEqual([...late.presence.ids].sort(), ['oa', 'ob', 'oc'], JSON.stringify(late.presence));
    await obsA.next(isMemberEvent('added', ch, 'oc'), WAIT);
    await markers(app, ch, [obsA], [a, b]);
    assert.equal(countFrames(obsA, isMemberEvent('added', ch, 'oc')), 1, obsA.seen());
  });

  test('a member who left during a Redis outage is gone on every node once the cluster recovered', async (t) => {
    const { redis, cluster } = await setUp(t, { nodes: 2, nodeTimeout: NODE_TIMEOUT });
    const { a, b } = cluster;
    const ch = 'presence-room';
    const [obsA] = await observers(ch, a, b);
    const leaver = await present(b, ch, { user_id: 'leaver' });
    await obsA.next(isMemberEvent('added', ch, 'leaver'), WAIT);

    await outage(redis, [a, b], async () => { await leaver.close(); });
    for (const n of [a, b]) {
      await eventually(async () => assert.deepEqual(await userIds(n, app, ch), ['oa', 'ob']),
        `users on node ${n.nodeId} after the outage`, (NODE_TIMEOUT + 2 * HEARTBEAT) * 1000 * TIME_FACTOR, 200);
    }
    const late = await present(a, ch, { user_id: 'oc' });
    assert.deepEqual([...late.presence.ids].sort(), ['oa', 'ob', 'oc'], JSON.stringify(late.presence));
  });

  test('Redis restarted at once: a member who joined on one node while Redis was down is known on every node once the cluster recovered', async (t) => {
    const { redis, cluster } = await setUp(t, { nodes: 2, nodeTimeout: NODE_TIMEOUT });
    const { a, b } = cluster;
    const ch = 'presence-room';
    const [obsA] = await observers(ch, a, b);

    // A short outage (well under a heartbeat interval where the machine allows): the nodes have
    // little or nothing to publish while Redis is away.
    await outage(redis, [a, b], async () => { await present(b, ch, { user_id: 'joined-meanwhile' }); });
    for (const n of [a, b]) {
      await eventually(async () => assert.deepEqual(await userIds(n, app, ch), ['joined-meanwhile', 'oa', 'ob']),
        `users on node ${n.nodeId} after the outage`, (NODE_TIMEOUT + 2 * HEARTBEAT) * 1000 * TIME_FACTOR, 200);
    }
    const late = await present(a, ch, { user_id: 'oc' });
    assert.deepEqual([...late.presence.ids].sort(), ['joined-meanwhile', 'oa', 'ob', 'oc'], JSON.stringify(late.presence));
    await obsA.next(isMemberEvent('added', ch, 'oc'), WAIT);
  });

  test('nodes started while Redis is down accept connections, keep retrying, and form the cluster once Redis is up', async (t) => {
    const port = await freePort();
    const cluster = await startCluster({
      nodes: 2, apps: [app], redisUrl: `redis://127.0.0.1:${port}`, nodeTimeout: 5, heartbeatInterval: HEARTBEAT, waitFormed: false,
    });
    t.after(() => cluster.stop());
    const { a, b } = cluster;
    for (const n of [a, b]) {
      assert.equal(await metric(n, 'pws_redis_connected'), 0, `node ${n.nodeId} without Redis`);
    }
    const subs = [await subscribed(a, 'ticks'), await subscribed(b, 'ticks')];

    const redis = await startRedis({ port });
    t.after(() => redis.stop());
    await waitForClusterNodes([a, b], 2, { timeoutMs: 15000 * TIME_FACTOR });
    for (const n of [a, b]) {
      assert.equal(await metric(n, 'pws_redis_connected'), 1);
      assert.match(n.output(), /^pws: redis: (connected|reconnected)/m, `node ${n.nodeId} output:\n${n.output()}`);
    }
    await markers(app, 'ticks', subs, [a, b]);
  });
});
