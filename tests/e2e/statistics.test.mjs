// Statistics (issue 4): per-app snapshots written by the real server under traffic from raw
// WebSockets, pusher-js and the HTTP API; read back with `pws stats show --json`, pruned with
// `pws stats clean` while the server writes; /metrics and GET /apps/{id}/statistics checked
// against the traffic sent; a broken database never stops the server.
//
// What a snapshot counts (laravel-websockets' model): peak concurrent connections in the
// interval, WebSocket messages received from clients, HTTP API event requests.

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Pusher from 'pusher-js';
import { startServer, connectOk, DEFAULT_TIMEOUT_MS } from './lib/harness.mjs';
import { rawRequest } from './lib/http.mjs';
import { publish, signedRequest } from './lib/trigger.mjs';
import { runPws, describeRun, makeScratch, rmScratch } from './lib/cli.mjs';

const statsApp = { id: '1001', key: 'stats-key', secret: 'stats-secret' };
const quietApp = { id: '1002', key: 'quiet-key', secret: 'quiet-secret', enable_statistics: false };

const scratch = makeScratch('pws-stats-');
after(() => rmScratch(scratch));

function configText({ interval = 3600, database, extra = '' } = {}) {
  const lines = ['[statistics]', `interval_in_seconds = ${interval}`];
  if (database) lines.push(`database = ${JSON.stringify(database)}`);
  lines.push('', extra, '');
  for (const app of [statsApp, quietApp]) {
    lines.push('[[apps]]');
    for (const [k, v] of Object.entries(app)) lines.push(`${k} = ${JSON.stringify(v)}`);
    lines.push('');
  }
  return lines.join('\n');
}

async function statsShow(configPath, args = []) {
  const r = await runPws(['stats', 'show', '--config', configPath, '--since', '1d', '--json', ...args], { scratch });
  assert.equal(r.code, 0, describeRun(r));
  const doc = JSON.parse(r.stdout);
  return Object.fromEntries(doc.apps.map((a) => [a.app_id, a.snapshots]));
}

const sum = (rows, field) => rows.reduce((total, row) => total + row[field], 0);
const max = (rows, field) => rows.reduce((m, row) => Math.max(m, row[field]), 0);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Prometheus text -> Map of `name{labels}` -> number. */
function parseMetrics(text) {
  const samples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    assert.ok(m, `not a Prometheus sample line: ${JSON.stringify(line)}`);
    samples.set(m[1], Number(m[2]));
  }
  return samples;
}

async function metrics(srv, headers = {}) {
  return rawRequest(`${srv.httpUrl}/metrics`, { headers });
}

/** pusher-js connected to `srv` and subscribed to `channel`; resolves once subscribed. */
async function pusherSubscriber(srv, app, channel) {
  const pusher = new Pusher(app.key, {
    wsHost: srv.host, wsPort: srv.port, forceTLS: false, enabledTransports: ['ws'], cluster: 'mt1', disableStats: true,
  });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('pusher-js did not subscribe in time')), DEFAULT_TIMEOUT_MS);
    pusher.subscribe(channel).bind('pusher:subscription_succeeded', () => { clearTimeout(timer); resolve(); });
  });
  return pusher;
}

describe('figures and snapshots hold exactly the traffic of each app', () => {
  test('/metrics and GET /apps/{id}/statistics count exactly the traffic sent (issue 4)', async () => {
    const srv = await startServer({ apps: [statsApp, quietApp], config: configText() });
    let pusher;
    try {
      // 1001: two raw clients (subscribe each, one ping) and pusher-js (one subscribe) = 4 messages.
      const a = await connectOk(srv, { key: statsApp.key });
      const b = await connectOk(srv, { key: statsApp.key });
      assert.equal((await a.subscribe('news')).event, 'pusher_internal:subscription_succeeded');
      assert.equal((await b.subscribe('news')).event, 'pusher_internal:subscription_succeeded');
      await a.sync();
      pusher = await pusherSubscriber(srv, statsApp, 'orders');
      // 1002 has statistics off: its traffic must write nothing.
      const q = await connectOk(srv, { key: quietApp.key });
      await q.subscribe('news');
      for (let i = 0; i < 3; i++) await publish(srv, statsApp, { name: 'e', data: '{}', channel: 'news' });
      await publish(srv, quietApp, { name: 'e', data: '{}', channel: 'news' });

      const m = parseMetrics((await metrics(srv)).text);
      assert.equal(m.get('pws_connections{app_id="1001"}'), 3);
      assert.equal(m.get('pws_connections{app_id="1002"}'), 1);
      assert.equal(m.get('pws_channels{app_id="1001"}'), 2);
      assert.equal(m.get('pws_subscriptions{app_id="1001"}'), 3);
      assert.equal(m.get('pws_websocket_messages_received_total{app_id="1001"}'), 4);
      assert.equal(m.get('pws_api_messages_total{app_id="1001"}'), 3);
      assert.equal(m.get('pws_http_requests_total{app_id="1001",status="200"}'), 3);
      assert.equal(m.get('pws_http_requests_total{app_id="1002",status="200"}'), 1);
      assert.ok(m.get('pws_websocket_bytes_received_total{app_id="1001"}') > 0);
      // Each of the 3 events reached 2 subscribers, plus the handshake frames.
      assert.ok(m.get('pws_websocket_messages_sent_total{app_id="1001"}') >= 6);
      assert.ok(m.get('process_resident_memory_bytes') > 1e6);
      assert.ok(m.get('process_open_fds') > 3);

      const res = await signedRequest(srv, statsApp, 'GET', '/statistics');
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.enabled, true);
      assert.equal(res.json.interval_seconds, 3600);
      assert.equal(res.json.current.connections, 3);
      assert.equal(res.json.current.websocket_messages, 4);
      assert.equal(res.json.current.api_messages, 3);
      assert.deepEqual(res.json.snapshots, [], 'nothing is written before the interval ends');
      const quiet = await signedRequest(srv, quietApp, 'GET', '/statistics');
      assert.equal(quiet.json.enabled, false);
      assert.equal((await signedRequest(srv, { ...statsApp, secret: 'wrong' }, 'GET', '/statistics')).status, 401);
    } finally {
      pusher?.disconnect();
      await srv.stop();
    }
  });

  test('the interval in progress is written on SIGTERM, and disabled apps write nothing', async () => {
    const database = path.join(scratch, 'shutdown.sqlite');
    const configPath = path.join(scratch, 'shutdown.toml');
    writeFileSync(configPath, configText({ database }), { mode: 0o600 });
    const srv = await startServer({ apps: [statsApp, quietApp], config: configText({ database }) });
    let pusher;
    try {
      const a = await connectOk(srv, { key: statsApp.key });
      const b = await connectOk(srv, { key: statsApp.key });
      await a.subscribe('news');
      await b.subscribe('news');
      await a.sync();
      pusher = await pusherSubscriber(srv, statsApp, 'orders');
      const q = await connectOk(srv, { key: quietApp.key });
      await q.subscribe('news');
      for (let i = 0; i < 3; i++) await publish(srv, statsApp, { name: 'e', data: '{}', channel: 'news' });
      await publish(srv, quietApp, { name: 'e', data: '{}', channel: 'news' });
    } finally {
      pusher?.disconnect();
      await srv.stop();
    }
    const rows = await statsShow(configPath);
    assert.deepEqual(Object.keys(rows), ['1001'], 'only the app with statistics on has rows');
    assert.equal(rows['1001'].length, 1, JSON.stringify(rows));
    const [row] = rows['1001'];
    assert.equal(row.peak_connections, 3);
    assert.equal(row.websocket_messages, 4);
    assert.equal(row.api_messages, 3);
  });

  test('with a 1 s interval rows appear while serving and add up to the traffic', async () => {
    const database = path.join(scratch, 'interval.sqlite');
    const configPath = path.join(scratch, 'interval.toml');
    writeFileSync(configPath, configText({ interval: 1, database }), { mode: 0o600 });
    const srv = await startServer({ apps: [statsApp, quietApp], config: configText({ interval: 1, database }) });
    try {
      const a = await connectOk(srv, { key: statsApp.key });
      await a.subscribe('news');
      await publish(srv, statsApp, { name: 'e', data: '{}', channel: 'news' });
      // Rows are written once per second by the server itself: poll its JSON endpoint.
      const deadline = Date.now() + 10000;
      let snapshots = [];
      while (Date.now() < deadline) {
        snapshots = (await signedRequest(srv, statsApp, 'GET', '/statistics')).json.snapshots;
        if (snapshots.length >= 3 && sum(snapshots, 'api_messages') === 1) break;
        await sleep(250);
      }
      assert.ok(snapshots.length >= 3, `expected rows every second, got ${JSON.stringify(snapshots)}`);
      assert.equal(sum(snapshots, 'websocket_messages'), 1);
      assert.equal(sum(snapshots, 'api_messages'), 1);
      assert.equal(max(snapshots, 'peak_connections'), 1);
      // An open connection keeps the app "active": every interval has a row with peak 1.
      assert.ok(snapshots.every((s) => s.peak_connections === 1), JSON.stringify(snapshots));

      // stats clean while the server keeps writing: exactly the rows before the cut-off go.
      await sleep(1500);
      const before = (await statsShow(configPath))['1001'];
      const clean = await runPws(['stats', 'clean', '--config', configPath, '--older-than', '2s', '--json'], { scratch });
      assert.equal(clean.code, 0, describeRun(clean));
      const result = JSON.parse(clean.stdout);
      const cutoff = Date.parse(result.cutoff) / 1000;
      const after = (await statsShow(configPath))['1001'];
      const older = before.filter((r) => r.time < Math.floor(cutoff));
      const borderline = before.filter((r) => r.time === Math.floor(cutoff));
      assert.ok(older.length >= 1, `nothing old enough to clean: ${JSON.stringify(before)} cutoff ${result.cutoff}`);
      assert.ok(result.removed >= older.length && result.removed <= older.length + borderline.length,
        `removed ${result.removed}, expected ${older.length} (+${borderline.length} at the cut-off second)`);
      assert.ok(after.every((r) => r.time >= Math.floor(cutoff)), 'an old row survived');
      for (const r of before.filter((x) => x.time > cutoff))
        assert.ok(after.some((x) => x.time === r.time), `row at ${r.time} (after the cut-off) was removed`);
      // The server kept serving and writing.
      assert.deepEqual(await a.sync(), []);
    } finally {
      await srv.stop();
    }
  });
});

describe('a database that cannot be written never stops the server', () => {
  const cases = [
    ['in a directory that cannot exist', () => '/proc/pws-no-such-dir/stats.sqlite'],
    ['that is not a SQLite file', () => {
      const file = path.join(scratch, 'garbage.sqlite');
      writeFileSync(file, 'this is not a database '.repeat(200));
      return file;
    }],
  ];
  for (const [label, makeDatabase] of cases) {
    test(`database ${label}: reported once, metrics say so, clients still served`, async () => {
      const srv = await startServer({ apps: [statsApp], config: configText({ interval: 1, database: makeDatabase() }) });
      try {
        const a = await connectOk(srv, { key: statsApp.key });
        await a.subscribe('news');
        const delivered = a.nextEvent('e', 'news');
        await publish(srv, statsApp, { name: 'e', data: '{}', channel: 'news' });
        await delivered;
        await sleep(3500);  // three failed intervals
        const m = parseMetrics((await metrics(srv)).text);
        assert.equal(m.get('pws_statistics_healthy'), 0);
        assert.ok(m.get('pws_statistics_write_failures_total') >= 1);
        assert.equal(m.get('pws_statistics_snapshots_written_total'), 0);
        const reports = srv.output().split('\n').filter((l) => l.includes('statistics') && l.includes('cannot'));
        assert.equal(reports.length, 1, `expected one report, got:\n${srv.output()}`);
        const b = await connectOk(srv, { key: statsApp.key });
        await b.subscribe('news');
        const both = [a.nextEvent('again', 'news'), b.nextEvent('again', 'news')];
        await publish(srv, statsApp, { name: 'again', data: '{}', channel: 'news' });
        await Promise.all(both);
        assert.equal(srv.exited(), null);
      } finally {
        await srv.stop();
      }
    });
  }
});

describe('GET /metrics access', () => {
  test('open to loopback, 403 through a proxy header, bearer token when configured, 404 when off', async () => {
    const open = await startServer({ apps: [statsApp], config: configText() });
    try {
      const res = await metrics(open);
      assert.equal(res.status, 200);
      assert.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/);
      assert.match(res.text, /# TYPE pws_connections gauge/);
      const proxied = await metrics(open, { 'X-Forwarded-For': '203.0.113.9' });
      assert.equal(proxied.status, 403);
      assert.match(proxied.json.error, /loopback/);
    } finally {
      await open.stop();
    }

    const tokened = await startServer({ apps: [statsApp], config: configText({ extra: '[metrics]\ntoken = "s3cret-token"' }) });
    try {
      const proxy = { 'X-Forwarded-For': '203.0.113.9' };
      assert.equal((await metrics(tokened, { ...proxy, Authorization: 'Bearer s3cret-token' })).status, 200);
      assert.equal((await metrics(tokened, { ...proxy, Authorization: 'Bearer wrong-token!' })).status, 403);
      assert.equal((await metrics(tokened, proxy)).status, 403);
    } finally {
      await tokened.stop();
    }

    const off = await startServer({ apps: [statsApp], config: configText({ extra: '[metrics]\nenabled = false' }) });
    try {
      assert.equal((await metrics(off)).status, 404);
    } finally {
      await off.stop();
    }
  });
});
