// Statistics of a cluster (issue 7): "statistics tagged with the node so `pws stats show` can sum
// them". Two nodes write snapshots into one shared database every second; `pws stats show --json`
// lists each node's rows with its id, and a `cluster` array adds them up per minute.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectOk, defaultApp, renderConfig } from './lib/harness.mjs';
import { runPws, describeRun } from './lib/cli.mjs';
import { startRedis } from './lib/redis.mjs';
import { startCluster, eventually } from './lib/cluster.mjs';
import { TIME_FACTOR } from './lib/timing.mjs';

const dir = mkdtempSync(path.join(tmpdir(), 'pws-cluster-stats-'));
const database = path.join(dir, 'shared.sqlite');
after(() => rmSync(dir, { recursive: true, force: true }));

test('two nodes writing one database: stats show tags rows with the node and sums them per minute', async () => {
  const redis = await startRedis();
  const cluster = await startCluster({
    nodes: 2,
    redisUrl: redis.url,
    tables: { statistics: { interval_in_seconds: 1, database } },
  });
  const clients = [];
  try {
    // Two connections on a, one on b: each node's peak is its own.
    clients.push(await connectOk(cluster.a), await connectOk(cluster.a), await connectOk(cluster.b));
    const config = path.join(dir, 'cli.toml');
    writeFileSync(config, renderConfig({ apps: [defaultApp], tables: { statistics: { database } } }), { mode: 0o600 });

    const cluster_row = await eventually(async () => {
      const r = await runPws(['stats', 'show', '--config', config, '--json', '--since', '1h']);
      assert.equal(r.code, 0, describeRun(r));
      const app = JSON.parse(r.stdout).apps.find((a) => a.app_id === defaultApp.id);
      assert.ok(app, describeRun(r));
      const nodes = new Set(app.snapshots.map((s) => s.node));
      assert.deepEqual([...nodes].sort(), ['a', 'b'], 'every row names its node');
      const peaks = { a: 0, b: 0 };
      for (const s of app.snapshots) peaks[s.node] = Math.max(peaks[s.node], s.peak_connections);
      assert.deepEqual(peaks, { a: 2, b: 1 });
      const full = (app.cluster ?? []).find((m) => m.nodes === 2 && m.peak_connections === 3);
      assert.ok(full, `a minute with both nodes adds their peaks: ${JSON.stringify(app.cluster)}`);
      return full;
    }, 'both nodes\' snapshots and their sum', 8000 * TIME_FACTOR, 250);
    assert.equal(cluster_row.nodes, 2);

    const text = await runPws(['stats', 'show', '--config', config, '--since', '1h']);
    assert.equal(text.code, 0, describeRun(text));
    assert.match(text.stdout, /NODE/);
    assert.match(text.stdout, /cluster, per minute/);
  } finally {
    for (const c of clients) c.close();
    await cluster.stop();
    await redis.stop();
  }
});
