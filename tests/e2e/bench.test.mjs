// pws bench at small scale against a real `pws serve`: every scenario with a few hundred
// connections for a few seconds, so the load generator cannot rot. The JSON result is checked for
// its shape AND its values (everything subscribed, every delivery exactly once, counts that add
// up); the usage errors (a non-loopback target without --allow-remote, credentials half given) and
// the exit statuses of a lost server or wrong credentials are checked too. Big runs are by hand
// (tests/bench/README.md), never timed tests.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, freePort, defaultApp } from './lib/harness.mjs';
import { makeScratch, rmScratch, writeCliConfig, runPws } from './lib/cli.mjs';

const app = defaultApp;

/** Runs `pws bench ...args` against `server` with its app given explicitly; parses the JSON lines. */
async function bench(server, args, { timeoutMs = 60000, scratch, withCredentials = true } = {}) {
  const credentials = withCredentials ? ['--app-id', app.id, '--key', app.key, '--secret', app.secret] : [];
  const run = await runPws(['bench', ...args, '--url', server.httpUrl, ...credentials], { scratch, timeoutMs });
  const lines = run.stdout.split('\n').filter((l) => l.trim() !== '');
  run.results = lines.map((l) => JSON.parse(l));
  return run;
}

const explain = (run) => `exit ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`;

function assertLatency(latency, label) {
  for (const k of ['p50', 'p90', 'p99', 'max']) {
    assert.equal(typeof latency[k], 'number', `${label}: latency_ms.${k}`);
    assert.ok(latency[k] >= 0 && latency[k] < 5000, `${label}: latency_ms.${k} = ${latency[k]}`);
  }
  assert.ok(latency.p50 <= latency.p90 && latency.p90 <= latency.p99 && latency.p99 <= latency.max, label);
}

describe('pws bench', () => {
  let server;
  let scratch;

  before(async () => {
    server = await startServer({ apps: [app] });
    scratch = makeScratch('pws-bench-');
  });
  after(async () => {
    await server?.stop();
    rmScratch(scratch);
  });

  test('connections: opens, subscribes and holds every connection; server RSS per connection', async () => {
    const run = await bench(server, ['connections', '--connections', '300', '--duration', '1',
      '--server-pid', String(server.proc.pid), '--sources', '3'], { scratch });
    assert.equal(run.code, 0, explain(run));
    assert.equal(run.results.length, 1, explain(run));
    const r = run.results[0];
    assert.equal(r.scenario, 'connections');
    assert.equal(r.connections, 300);
    assert.equal(r.subscribed, 300);
    assert.equal(r.held, 300);
    assert.equal(r.connect_failures, 0);
    assert.equal(r.disconnects, 0);
    assert.equal(r.sources, 3);
    assert.deepEqual(Object.keys(r.connect_failure_kinds).sort(),
      ['closed_during_setup', 'connect_error', 'handshake_rejected', 'protocol_error', 'pusher_error', 'setup_timeout']);
    assert.ok(r.connect_rate_per_s > 0, explain(run));
    assert.ok(r.server_rss_kb_before > 0 && r.server_rss_kb_after_connect >= r.server_rss_kb_before, explain(run));
    assert.equal(typeof r.server_rss_per_connection_kb, 'number');
    assert.ok(r.server_rss_per_connection_kb < 200, explain(run));
    assert.equal(typeof r.server_cpu_us_per_connection, 'number');
    assert.equal(typeof r.generator_cpu_us_per_connection, 'number');
    // Progress goes to stderr, never stdout.
    assert.match(run.stderr, /\[connections\] connect phase: 300 subscribed, 0 failed/);
  });

  test('fanout: every event reaches every subscriber exactly once, in order, with latency', async () => {
    const run = await bench(server, ['fanout', '--connections', '250', '--events', '20', '--rate', '20',
      '--server-pid', String(server.proc.pid), '--probe-every', '10', '--batch-ms', '100'], { scratch });
    assert.equal(run.code, 0, explain(run));
    const r = run.results[0];
    assert.equal(r.scenario, 'fanout');
    assert.equal(r.subscribed, 250);
    assert.equal(r.channels, 1);
    assert.equal(r.subscribers_per_channel, 250);
    assert.equal(r.events, 20);
    assert.equal(r.triggers_ok, 20);
    assert.equal(r.trigger_failures, 0);
    assert.equal(r.expected_deliveries, 250 * 20);
    assert.equal(r.delivered, 250 * 20);
    assert.equal(r.delivery_ratio, 1);
    assert.equal(r.duplicates, 0);
    assert.equal(r.out_of_order, 0);
    assert.equal(r.unexpected_events, 0);
    assert.equal(r.disconnects, 0);
    assert.equal(r.timed_out, false);
    assert.ok(r.delivered_per_s > 0);
    // Probes are connections 0, 10, ... 240: 25 of them, 20 events each.
    assert.equal(r.latency_samples, 25 * 20);
    assertLatency(r.latency_ms, 'fanout');
    assert.equal(typeof r.server_cpu_us_per_delivery, 'number');
    assert.equal(typeof r.generator_cpu_us_per_delivery, 'number');
    assert.equal(typeof r.generator_to_server_cpu_ratio, 'number');
  });

  test('fanout with --rate 0 and several trigger connections publishes as fast as answered', async () => {
    const run = await bench(server, ['fanout', '--connections', '100', '--events', '200', '--rate', '0',
      '--trigger-connections', '4'], { scratch });
    assert.equal(run.code, 0, explain(run));
    const r = run.results[0];
    assert.equal(r.rate, null);
    assert.equal(r.trigger_connections, 4);
    assert.equal(r.delivered, 100 * 200);
    assert.equal(r.delivery_ratio, 1);
    // Concurrent triggers have no defined order.
    assert.equal(r.out_of_order, null);
    assert.ok(r.api_requests_per_s > 0);
  });

  test('channels: subscribers spread over many channels, each event reaches its channel only', async () => {
    const run = await bench(server, ['channels', '--connections', '400', '--channels', '200', '--events', '1000',
      '--trigger-connections', '4'], { scratch });
    assert.equal(run.code, 0, explain(run));
    const r = run.results[0];
    assert.equal(r.scenario, 'channels');
    assert.equal(r.subscribed, 400);
    assert.equal(r.channels, 200);
    assert.equal(r.subscribers_per_channel, 2);
    assert.equal(r.triggers_ok, 1000);
    assert.equal(r.expected_deliveries, 2000);
    assert.equal(r.delivered, 2000);
    assert.equal(r.delivery_ratio, 1);
    assert.equal(r.duplicates, 0);
    assert.ok(r.api_requests_per_s > 0, explain(run));
    for (const k of ['p50', 'p99', 'max']) assert.equal(typeof r.trigger_response_ms[k], 'number');
  });

  test('churn: connect, subscribe, unsubscribe, close cycles at the rate asked; RSS drift', async () => {
    const run = await bench(server, ['churn', '--rate', '150', '--duration', '2', '--max-inflight', '50',
      '--server-pid', String(server.proc.pid)], { scratch });
    assert.equal(run.code, 0, explain(run));
    const r = run.results[0];
    assert.equal(r.scenario, 'churn');
    assert.equal(r.connect_failures, 0);
    assert.equal(r.unclean_closes, 0);
    assert.equal(r.cycles, r.started);
    // 150/s for 2 s: 300 cycles on schedule (a slow machine may slip a few).
    assert.ok(r.started >= 250 && r.started <= 301, explain(run));
    assert.ok(r.cycles_per_s > 50, explain(run));
    assert.equal(typeof r.server_rss_drift_percent, 'number');
    assert.ok(r.server_rss_kb_peak >= r.server_rss_kb_before);
    for (const k of ['p50', 'p99', 'max']) assert.equal(typeof r.cycle_ms[k], 'number');
  });

  test('several scenarios run in turn, one JSON line each; --app from the config', async () => {
    const config = writeCliConfig(scratch, server, { apps: [app], name: 'bench.toml' });
    const run = await runPws(['bench', 'connections', 'fanout', '--connections', '50', '--duration', '0.5',
      '--events', '5', '--rate', '50', '--config', config, '--app', app.id, '-q'], { scratch, timeoutMs: 60000 });
    assert.equal(run.code, 0, explain(run));
    const results = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(results.map((r) => r.scenario), ['connections', 'fanout']);
    assert.equal(results[1].delivered, 250);
    // --quiet: no progress lines.
    assert.equal(run.stderr, '');
  });

  test('--url repeated spreads the subscribers over the servers; --trigger-url picks where triggers go', async () => {
    const run = await runPws(['bench', 'fanout', '--url', server.httpUrl, '--url', `http://localhost:${server.port}`,
      '--trigger-url', server.httpUrl, '--connections', '60', '--events', '5', '--rate', '50',
      '--app-id', app.id, '--key', app.key, '--secret', app.secret], { scratch, timeoutMs: 60000 });
    assert.equal(run.code, 0, explain(run));
    const r = JSON.parse(run.stdout);
    assert.equal(r.targets, 2);
    assert.equal(r.subscribed, 60);
    assert.equal(r.delivered, 300);
    assert.equal(r.delivery_ratio, 1);
  });

  test('refuses a non-loopback server without --allow-remote (exit 2, nothing sent)', async () => {
    const run = await runPws(['bench', 'fanout', '--url', 'http://192.0.2.1:6001', '--app-id', app.id,
      '--key', app.key, '--secret', app.secret], { scratch });
    assert.equal(run.code, 2, explain(run));
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /pws: error: refusing to load http:\/\/192\.0\.2\.1:6001: it is not a loopback address/);
    assert.match(run.stderr, /--allow-remote/);
  });

  test('usage errors: unknown scenario, half the credentials, https (exit 2)', async () => {
    let run = await runPws(['bench', 'nosuch', '--url', server.httpUrl], { scratch });
    assert.equal(run.code, 2, explain(run));
    run = await runPws(['bench', 'fanout', '--url', server.httpUrl, '--key', app.key], { scratch });
    assert.equal(run.code, 2, explain(run));
    assert.match(run.stderr, /--app-id, --key and --secret go together/);
    run = await runPws(['bench', 'fanout', '--url', `https://127.0.0.1:${server.port}`, '--app-id', app.id,
      '--key', app.key, '--secret', app.secret], { scratch });
    assert.equal(run.code, 2, explain(run));
    assert.match(run.stderr, /plain ws:\/\/ and http:\/\/ only/);
  });

  test('a server that is not there: exit 3; wrong secret: exit 4', async () => {
    const port = await freePort();
    let run = await runPws(['bench', 'fanout', '--url', `http://127.0.0.1:${port}`, '--connections', '5',
      '--app-id', app.id, '--key', app.key, '--secret', app.secret], { scratch });
    assert.equal(run.code, 3, explain(run));
    assert.equal(JSON.parse(run.stdout).subscribed, 0);
    run = await runPws(['bench', 'fanout', '--url', server.httpUrl, '--connections', '5', '--events', '2',
      '--app-id', app.id, '--key', app.key, '--secret', 'wrong-secret'], { scratch });
    assert.equal(run.code, 4, explain(run));
    const r = JSON.parse(run.stdout);
    assert.equal(r.trigger_failures, 2);
    assert.equal(r.delivered, 0);
  });
});
