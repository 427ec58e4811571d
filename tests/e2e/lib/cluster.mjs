// Helpers of the cluster suites (issue 7): several `pws serve` nodes joined through one Redis
// ([redis] table of pws.toml), their /metrics read back, and bounded polling until the cluster
// agrees on something. Nothing here sleeps to synchronise: every wait polls against a deadline.
//
// Used by cluster.test.mjs and cluster_recovery.test.mjs.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import http from 'node:http';
import { startServer, defaultApp, dataOf, connectOk, subscribePresence, DEFAULT_TIMEOUT_MS } from './harness.mjs';
import { rawRequest, apiRequest, describeResponse } from './http.mjs';
import { TIME_FACTOR } from './timing.mjs';

export const NODE_IDS = ['a', 'b', 'c', 'd', 'e'];

/** How long a cluster may take to form (every node seeing every other through Redis). */
export const FORM_TIMEOUT_MS = 10000 * TIME_FACTOR;

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

let prefixSeq = 0;
/** A pub/sub prefix no other cluster of this test process (or a leftover one) uses. */
export function uniquePrefix() {
  return `pws-e2e-${process.pid}-${++prefixSeq}`;
}

/**
 * The [redis] table of one node. `redis` adds or overrides keys (undefined values are dropped by
 * the TOML renderer).
 */
export function redisTable({ redisUrl, nodeId, prefix, nodeTimeout, heartbeatInterval, redis = {} }) {
  return {
    url: redisUrl,
    prefix,
    node_id: nodeId,
    heartbeat_interval_in_seconds: heartbeatInterval,
    node_timeout_in_seconds: nodeTimeout,
    ...redis,
  };
}

/**
 * Starts `nodes` pws servers (node ids 'a', 'b', 'c', …) sharing `redisUrl` and one fresh prefix,
 * and (unless `waitFormed` is false) waits until every node reports pws_cluster_nodes == nodes.
 * Resolves with
 *   { nodes: [srv…], a, b, c, byId, prefix, options, addNode(id), stop() }
 * where each server (a harness server) also has `nodeId`. addNode(id, extra) starts one more node
 * of the same cluster (e.g. to bring a killed node back); stop() stops every node still running.
 * `app`/`apps`, `server`, `limits`, `tables` go to every node's config; `redis` adds keys to the
 * [redis] table.
 */
export async function startCluster({
  nodes = 2, app = defaultApp, apps = [app], redisUrl, nodeTimeout = 2, heartbeatInterval = 1,
  prefix = uniquePrefix(), redis = {}, server = {}, limits = {}, tables = {}, waitFormed = true,
  formTimeoutMs = FORM_TIMEOUT_MS,
} = {}) {
  assert.ok(redisUrl, 'startCluster needs a redisUrl');
  const options = { apps, redisUrl, nodeTimeout, heartbeatInterval, prefix, redis, server, limits, tables };
  const cluster = {
    nodes: [],
    byId: {},
    prefix,
    options,
    async addNode(nodeId, extra = {}) {
      const srv = await startServer({
        apps,
        server,
        limits,
        tables: {
          ...tables,
          redis: redisTable({ redisUrl, nodeId, prefix, nodeTimeout, heartbeatInterval, redis: { ...redis, ...extra.redis } }),
        },
        port: extra.port ?? 0,
      });
      srv.nodeId = nodeId;
      cluster.nodes.push(srv);
      cluster.byId[nodeId] = srv;
      cluster[nodeId] = srv;
      return srv;
    },
    async stop() {
      await Promise.all(cluster.nodes.splice(0).map((s) => s.stop()));
    },
  };
  try {
    // One after the other: the start-up log of each node stays readable and ports never collide.
    for (const id of NODE_IDS.slice(0, nodes)) await cluster.addNode(id);
    if (waitFormed) await waitForClusterNodes(cluster.nodes, nodes, { timeoutMs: formTimeoutMs });
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

// ---- /metrics ----------------------------------------------------------------------------------

/** GET /metrics of a node (open to loopback); resolves with the text, fails on a non-200. */
export async function metricsText(srv) {
  const res = await rawRequest(`${srv.httpUrl}/metrics`);
  assert.equal(res.status, 200, `GET /metrics on node ${srv.nodeId}: ${describeResponse(res)}`);
  return res.text;
}

/** Prometheus text -> Map of `name{labels}` -> number. */
export function parseMetrics(text) {
  const samples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    assert.ok(m, `not a Prometheus sample line: ${JSON.stringify(line)}`);
    samples.set(m[1], Number(m[2]));
  }
  return samples;
}

/**
 * The value of metric `name` in Prometheus text: the sum of its samples (a metric without labels
 * has one), or undefined when the text has no sample of that name.
 */
export function metricValue(text, name) {
  let total;
  for (const [key, value] of parseMetrics(text)) {
    const bare = key.replace(/\{.*$/, '');
    if (bare === name) total = (total ?? 0) + value;
  }
  return total;
}

/** The value of metric `name` on a node right now (undefined when absent). */
export async function metric(srv, name) {
  return metricValue(await metricsText(srv), name);
}

/**
 * Polls /metrics of `srv` until `predicate(value)` holds for metric `name`; resolves with the value.
 * Rejects after timeoutMs naming the last value seen and the node's output.
 */
export async function waitForMetric(srv, name, predicate, { timeoutMs = FORM_TIMEOUT_MS, label, intervalMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await metric(srv, name);
      if (predicate(last)) return last;
    } catch (err) {
      last = `(${err.message})`;
    }
    if (Date.now() >= deadline) {
      throw new Error(`node ${srv.nodeId}: ${label ?? `${name} ${predicate}`} not reached within ${timeoutMs} ms; ` +
        `last ${name} = ${last}\nnode ${srv.nodeId} output:\n${srv.output()}`);
    }
    await pause(intervalMs);
  }
}

/** Waits until every node in `servers` reports pws_cluster_nodes == n (bounded). */
export async function waitForClusterNodes(servers, n, { timeoutMs = FORM_TIMEOUT_MS } = {}) {
  await Promise.all(servers.map((s) => waitForMetric(s, 'pws_cluster_nodes', (v) => v === n,
    { timeoutMs, label: `pws_cluster_nodes == ${n}` })));
}

// ---- clean-up ------------------------------------------------------------------------------------

/**
 * Returns `defer(fn)`: the fns run after test `t` in reverse order of registration, so a cluster
 * stops before the Redis it uses (a node that loses Redis while stopping waits to say goodbye).
 */
export function deferrer(t) {
  const fns = [];
  t.after(async () => {
    for (const fn of fns.reverse()) await fn();
  });
  return (fn) => fns.push(fn);
}

// ---- bounded retries ---------------------------------------------------------------------------

/**
 * Runs `fn` until it resolves without throwing (an assertion that becomes true as the cluster
 * converges); rejects with the last failure after timeoutMs. Resolves with fn's result.
 */
export async function eventually(fn, label, timeoutMs = 2000 * TIME_FACTOR, intervalMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() >= deadline) {
        err.message = `${label}: still failing after ${timeoutMs} ms: ${err.message}`;
        throw err;
      }
    }
    await pause(intervalMs);
  }
}

// ---- HTTP API shortcuts --------------------------------------------------------------------------

/** Signed POST /events through `srv`; asserts 200 and resolves with the response. */
export async function triggerVia(srv, app, { channel, channels, name, data = '{}', socket_id, info } = {}) {
  const body = { name, data: typeof data === 'string' ? data : JSON.stringify(data) };
  if (channels) body.channels = channels;
  else body.channel = channel;
  if (socket_id) body.socket_id = socket_id;
  if (info) body.info = info;
  const res = await apiRequest(srv, app, 'POST', '/events', { body });
  assert.equal(res.status, 200, `POST /events on node ${srv.nodeId}: ${describeResponse(res)}`);
  return res;
}

/** Signed GET through `srv`; asserts 200 and resolves with the parsed JSON body. */
export async function getJson(srv, app, path, query = {}) {
  const res = await apiRequest(srv, app, 'GET', path, { query });
  assert.equal(res.status, 200, `GET ${path} on node ${srv.nodeId}: ${describeResponse(res)}`);
  return res.json;
}

/** Sorted user ids of GET /channels/{channel}/users on `srv`. */
export async function userIds(srv, app, channel) {
  const doc = await getJson(srv, app, `/channels/${channel}/users`);
  return doc.users.map((u) => u.id).sort();
}

/** Output of every node, for failure messages. */
export function clusterOutput(servers) {
  return servers.map((s) => `---- node ${s.nodeId} (port ${s.port}) ----\n${s.output()}`).join('\n');
}

export { DEFAULT_TIMEOUT_MS, TIME_FACTOR };

// ---- frames of raw clients (harness RawClient) ---------------------------------------------------

/** Predicate of pusher_internal:member_added / member_removed ('added' / 'removed') for `userId` on `channel`. */
export function isMemberEvent(kind, channel, userId) {
  const p = (f) => f.event === `pusher_internal:member_${kind}` && f.channel === channel && dataOf(f)?.user_id === userId;
  p.description = `member_${kind} of ${userId} on ${channel}`;
  return p;
}

/** How many frames a raw client received (consumed or not) that match `predicate`. */
export function countFrames(client, predicate) {
  return client.frames.filter(predicate).length;
}

let markerSeq = 0;
/**
 * Triggers one marker event on `channel` through each node of `via` and waits until every raw
 * client of `clients` received all of them. What a node published to Redis reaches the other nodes
 * in order, so whatever any of those nodes sent the clients before its marker is then in their
 * frames: a bounded way to prove that something did NOT happen. Clients may have a `nodeId`
 * (named in failure messages).
 */
export async function markers(app, channel, clients, via, { timeoutMs = DEFAULT_TIMEOUT_MS * TIME_FACTOR } = {}) {
  const name = `marker-${process.pid}-${++markerSeq}`;
  for (const n of via) await triggerVia(n, app, { channel, name, data: { via: n.nodeId } });
  for (const client of clients) {
    for (const n of via) {
      const p = (f) => f.event === name && f.channel === channel && dataOf(f)?.via === n.nodeId;
      p.description = `${name} via node ${n.nodeId} on ${channel} (client on node ${client.nodeId})`;
      await client.next(p, timeoutMs);
    }
  }
}

// ---- a node's own Redis connections ------------------------------------------------------------

/**
 * The addresses ("127.0.0.1:<port>", as Redis's CLIENT LIST names them) of the TCP connections
 * the process of `srv` holds to the Redis on `redisPort`, read from /proc (Linux). With them a test
 * can cut one node off Redis (CLIENT KILL ADDR …) while the others stay connected.
 */
export function redisClientAddrs(srv, redisPort) {
  const inodes = new Set();
  const fdDir = `/proc/${srv.proc.pid}/fd`;
  for (const fd of readdirSync(fdDir)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`${fdDir}/${fd}`));
      if (m) inodes.add(m[1]);
    } catch { /* closed meanwhile */ }
  }
  const addrs = [];
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 10) continue;
    const [, local, remote] = cols;
    const inode = cols[9];
    const port = (hexAddr) => parseInt(hexAddr.split(':')[1], 16);
    if (port(remote) === redisPort && inodes.has(inode) && cols[3] === '01' /* ESTABLISHED */) {
      addrs.push(`127.0.0.1:${port(local)}`);
    }
  }
  return addrs;
}

// ---- a webhook receiver shared by the nodes ------------------------------------------------------

/**
 * A local HTTP endpoint that records the events of every webhook POST (answering 200), whichever
 * node sent it: { url, events (array of { name, channel, user_id, … }), waitFor(pred, label, ms),
 * names(channel), close() }.
 */
export async function startWebhookReceiver() {
  const events = [];
  const waiters = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (d) => chunks.push(d));
    req.on('end', () => {
      try {
        for (const e of JSON.parse(Buffer.concat(chunks).toString('utf8')).events ?? []) events.push(e);
      } catch { /* not JSON: nothing to record */ }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      for (const w of [...waiters]) w();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/webhooks`,
    events,
    /** Events of `channel` as "name" or "name user_id", in arrival order. */
    names: (channel) => events.filter((e) => e.channel === channel).map((e) => (e.user_id ? `${e.name} ${e.user_id}` : e.name)),
    waitFor(predicate, label, timeoutMs = DEFAULT_TIMEOUT_MS * TIME_FACTOR) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = events.find(predicate);
          if (!hit) return;
          clearTimeout(timer);
          waiters.splice(waiters.indexOf(check), 1);
          resolve(hit);
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(check), 1);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for the webhook ${label}; received: ${JSON.stringify(events)}`));
        }, timeoutMs);
        waiters.push(check);
        check();
      });
    },
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}

// ---- Raw clients of the nodes -------------------------------------------------------------------

/**
 * Raw-client shortcuts for the cluster suites: open(node, opts) connects (the client remembers
 * its node's id), subscribed(node, channel) and present(node, channel, member) also join a public
 * or presence channel of `app` and assert the subscription succeeded. Every client opened is
 * pushed to `opened` when given, so a suite can close them after each test.
 */
export function nodeClients(app, { timeoutMs = DEFAULT_TIMEOUT_MS * TIME_FACTOR, opened } = {}) {
  async function open(node, opts = {}) {
    const client = await connectOk(node, { timeoutMs, ...opts });
    client.nodeId = node.nodeId;
    opened?.push(client);
    return client;
  }
  async function subscribed(node, channel) {
    const client = await open(node);
    const f = await client.subscribe(channel, {}, timeoutMs);
    assert.equal(f.event, 'pusher_internal:subscription_succeeded', `node ${node.nodeId}: ${f.__raw}`);
    return client;
  }
  async function present(node, channel, member) {
    const client = await open(node);
    const f = await subscribePresence(client, app, channel, member);
    assert.equal(f.event, 'pusher_internal:subscription_succeeded', `node ${node.nodeId}: ${f.__raw}`);
    client.presence = JSON.parse(f.data).presence;
    return client;
  }
  return { open, subscribed, present };
}
