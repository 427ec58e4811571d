// pws tail end to end (/work/notes/feed-spec.md "pws tail"): the real binary watching the /feed of
// a live `pws serve`, with pusher-js, raw WebSocket clients and the HTTP API making the traffic.
//
// A tail is ready once it noted the feed's first frame on stderr (-v: "pws: feed started").
// "Nothing else was printed" is proven with a marker event that must come next, never by sleeping.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Pusher from 'pusher-js';
import { startServer, freePort, connectOk, defaultApp, subscribePrivate } from './lib/harness.mjs';
import { makeScratch, rmScratch, writeCliConfig, runPws, describeRun } from './lib/cli.mjs';
import { publish } from './lib/trigger.mjs';
import { startTail } from './lib/tail.mjs';
import { pusherOptions, waitForConnection } from './lib/pusher_clients.mjs';

const app = defaultApp;
let seq = 0;
const fresh = (base) => `${base}-${++seq}`;

describe('pws tail', () => {
  let server;
  let scratch;
  let config;
  const tails = [];
  const clients = [];
  const track = (c) => { clients.push(c); return c; };

  /** A running `pws tail -v ...args --config <config>`, resolved once the feed started. */
  async function tail(args, { configFile = config } = {}) {
    const t = startTail(['tail', '-v', ...args, '--config', configFile], { scratch });
    tails.push(t);
    await t.waitStderr(/pws: feed started/);
    return t;
  }

  /** Publishes a marker event and waits for it: everything the feed sent before it has been printed. */
  async function flush(t, channel, what) {
    const marker = fresh('marker');
    await publish(server, app, { name: marker, channel, data: '{}' });
    await t.nextLine((l) => l.includes(marker), { label: `${what}: the marker` });
  }

  before(async () => {
    server = await startServer({ apps: [app] });
    scratch = makeScratch('pws-tail-');
    config = writeCliConfig(scratch, server, { apps: [app] });
  });
  after(async () => {
    for (const t of tails) await t.stop('SIGKILL').catch(() => {});
    for (const c of clients) c.terminate();
    await server?.stop();
    rmScratch(scratch);
  });

  test('--json prints each feed event once, unchanged, with the fields of its type', async () => {
    const t = await tail(['--json']);
    const channel = fresh('orders');
    const privateChannel = `private-${fresh('chat')}`;

    // pusher-js: connected, subscribed, occupied.
    const pusher = new Pusher(app.key, pusherOptions(server));
    try {
      await waitForConnection(pusher, { failOn: [] });
      const socketId = pusher.connection.socket_id;
      const connected = await t.nextEvent((e) => e.type === 'connected' && e.socket_id === socketId);
      assert.equal(connected.app_id, app.id);
      assert.equal(typeof connected.time_ms, 'number');

      const sub = pusher.subscribe(channel);
      await new Promise((resolve) => sub.bind('pusher:subscription_succeeded', resolve));
      const subscribed = await t.nextEvent((e) => e.type === 'subscribed' && e.channel === channel);
      assert.equal(subscribed.socket_id, socketId);
      const events = t.json();
      assert.equal(events.filter((e) => e.type === 'occupied' && e.channel === channel).length, 1,
        `one occupied event for ${channel}\n${t.describe()}`);

      // The HTTP API: api_message with event and data.
      await publish(server, app, { name: 'order.created', channel, data: '{"id":7}' });
      const message = await t.nextEvent((e) => e.type === 'api_message' && e.channel === channel);
      assert.equal(message.event, 'order.created');
      assert.equal(message.data, '{"id":7}');

      // A raw client's client event on a private channel.
      const raw = track(await connectOk(server));
      await subscribePrivate(raw, app, privateChannel);
      raw.send({ event: 'client-typing', channel: privateChannel, data: { who: 'me' } });
      const clientEvent = await t.nextEvent((e) => e.type === 'client_event' && e.channel === privateChannel);
      assert.equal(clientEvent.socket_id, raw.socketId);
      assert.equal(clientEvent.event, 'client-typing');
      assert.deepEqual(JSON.parse(clientEvent.data), { who: 'me' });

      pusher.disconnect();
      const disconnected = await t.nextEvent((e) => e.type === 'disconnected' && e.socket_id === socketId);
      assert.equal(disconnected.app_id, app.id);
      await t.nextEvent((e) => e.type === 'vacated' && e.channel === channel);
    } finally {
      pusher.disconnect();
    }

    // Each exactly once (nothing more came before the marker); never feed_started.
    await flush(t, 'marker-channel', 'json');
    const all = t.json();
    const count = (pred) => all.filter(pred).length;
    assert.equal(count((e) => e.type === 'subscribed' && e.channel === channel), 1, t.describe());
    assert.equal(count((e) => e.type === 'api_message' && e.channel === channel), 1, t.describe());
    assert.equal(count((e) => e.type === 'client_event' && e.channel === privateChannel), 1, t.describe());
    assert.equal(count((e) => e.type === 'feed_started'), 0, t.describe());
    for (const line of t.lines) assert.doesNotMatch(line, /\x1b/);

    const end = await t.stop('SIGINT');
    assert.equal(end.code, 0, t.describe());
  });

  test('--channel, --event and --type filter what is printed', async () => {
    const base = fresh('flt');
    const byChannel = await tail(['--json', '--channel', `${base}-keep-*`]);
    const byEvent = await tail(['--json', '--event', 'order.*']);
    const byType = await tail(['--json', '--type', 'subscribed,unsubscribed']);

    const c = track(await connectOk(server));
    await c.subscribe(`${base}-keep-1`);
    await c.subscribe(`${base}-drop-1`);
    await publish(server, app, { name: 'order.created', channel: `${base}-drop-1`, data: '1' });
    await publish(server, app, { name: 'other', channel: `${base}-keep-1`, data: '2' });
    c.unsubscribe(`${base}-keep-1`);

    // --channel: only events on keep-*; events without a channel never match.
    await byChannel.nextEvent((e) => e.type === 'unsubscribed' && e.channel === `${base}-keep-1`);
    await publish(server, app, { name: 'end', channel: `${base}-keep-end`, data: '{}' });
    await byChannel.nextEvent((e) => e.event === 'end');
    for (const e of byChannel.json()) {
      assert.match(e.channel ?? '', new RegExp(`^${base}-keep-`), `--channel let through ${JSON.stringify(e)}`);
    }
    assert.ok(byChannel.json().some((e) => e.type === 'api_message' && e.event === 'other'));

    // --event: only api messages / client events named order.*.
    await publish(server, app, { name: 'order.end', channel: `${base}-x`, data: '{}' });
    await byEvent.nextEvent((e) => e.event === 'order.end');
    const named = byEvent.json();
    assert.ok(named.every((e) => /^order\./.test(e.event ?? '')), `--event let through\n${byEvent.describe()}`);
    assert.ok(named.some((e) => e.event === 'order.created' && e.channel === `${base}-drop-1`), byEvent.describe());

    // --type: only subscribed / unsubscribed.
    c.unsubscribe(`${base}-drop-1`);
    await byType.nextEvent((e) => e.type === 'unsubscribed' && e.channel === `${base}-drop-1`);
    const typed = byType.json();
    assert.ok(typed.every((e) => e.type === 'subscribed' || e.type === 'unsubscribed'), byType.describe());
    assert.equal(typed.filter((e) => e.type === 'subscribed' && e.channel.startsWith(base)).length, 2, byType.describe());

    for (const t of [byChannel, byEvent, byType]) assert.equal((await t.stop('SIGTERM')).code, 0, t.describe());
  });

  test('an unknown --type is a usage error', async () => {
    const r = await runPws(['tail', '--type', 'connected,bogus', '--config', config], { scratch });
    assert.equal(r.code, 2, describeRun(r));
    assert.match(r.stderr, /pws: error: .*bogus/);
  });

  test('human output: time, type, fields; no ANSI escapes when not a terminal', async () => {
    const t = await tail([]);
    const channel = fresh('human');
    const c = track(await connectOk(server));
    await c.subscribe(channel);
    await publish(server, app, { name: 'greeting', channel, data: '{"hello":"world"}' });
    const subscribed = await t.nextLine((l) => l.includes(' subscribed ') && l.endsWith(channel));
    assert.match(subscribed, new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3}  subscribed +${c.socketId.replace('.', '\\.')}  ${channel}$`));
    const message = await t.nextLine((l) => l.includes('api_message'));
    assert.match(message, new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3}  api_message +${channel}  greeting  \\{"hello":"world"\\}$`));
    for (const line of t.lines) {
      assert.doesNotMatch(line, /\x1b/, 'no colour when stdout is not a terminal');
      assert.doesNotMatch(line, /^\{/, 'not JSON');
      assert.doesNotMatch(line, /feed_started/);
    }
    assert.equal((await t.stop('SIGINT')).code, 0, t.describe());
  });

  test('wrong secret: exit 4; unknown app: exit 1; no server: exit 3', async () => {
    const bad = writeCliConfig(scratch, server, { apps: [{ ...app, secret: 'wrong-secret' }], name: 'bad-secret.toml' });
    const r4 = await runPws(['tail', '--config', bad], { scratch });
    assert.equal(r4.code, 4, describeRun(r4));
    assert.match(r4.stderr, /pws: error: .*rejected the credentials/);
    assert.equal(r4.stdout, '');

    const unknown = writeCliConfig(scratch, server, { apps: [{ ...app, id: '99999' }], name: 'unknown-app.toml' });
    const r1 = await runPws(['tail', '--config', unknown], { scratch });
    assert.equal(r1.code, 1, describeRun(r1));

    const port = await freePort();
    const r3 = await runPws(['tail', '--config', config, '--url', `http://127.0.0.1:${port}`], { scratch });
    assert.equal(r3.code, 3, describeRun(r3));
    // The system's reason, as `pws trigger` gives it, not libwebsockets' "Unable to connect".
    assert.match(r3.stderr, new RegExp(`pws: error: cannot connect to 127\\.0\\.0\\.1:${port}: connection refused`));
    assert.match(r3.stderr, /pws: hint: is `pws serve` running/);
  });

  test('reconnects after the server restarts on the same port', async () => {
    const port = await freePort();
    const local = makeScratch('pws-tail-restart-');
    let first = await startServer({ apps: [app], port });
    let second;
    try {
      const file = writeCliConfig(local, first, { apps: [app] });
      const t = startTail(['tail', '-v', '--json', '--config', file], { scratch: local });
      tails.push(t);
      await t.waitStderr(/pws: feed started/);
      const before = fresh('before');
      await publish(first, app, { name: before, channel: 'restart', data: '{}' });
      await t.nextEvent((e) => e.event === before);

      await first.stop();
      first = undefined;
      await t.waitStderr(/pws: connection lost; reconnecting in 0\.5 s/);
      second = await startServer({ apps: [app], port });
      await t.waitStderr(/pws: reconnected/, { timeoutMs: 15000 });
      const later = fresh('after');
      await publish(second, app, { name: later, channel: 'restart', data: '{}' });
      const e = await t.nextEvent((x) => x.event === later);
      assert.equal(e.type, 'api_message');
      assert.equal(e.channel, 'restart');
      const end = await t.stop('SIGINT');
      assert.equal(end.code, 0, t.describe());
    } finally {
      await first?.stop();
      await second?.stop();
      rmScratch(local);
    }
  });

  test('wss://: -k accepts a self-signed certificate; without it exit 3', async (t) => {
    const version = spawnSync('openssl', ['version'], { encoding: 'utf8' });
    if (version.error || version.status !== 0) {
      t.skip('openssl not found');
      return;
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'pws-tail-tls-'));
    let tls;
    try {
      const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out',
        'cert.pem', '-days', '1', '-subj', '/CN=localhost'], { cwd: dir, encoding: 'utf8', timeout: 60000 });
      assert.equal(r.status, 0, r.stderr);
      tls = await startServer({ apps: [app], server: { tls: { cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem') } } });
      const url = `https://127.0.0.1:${tls.port}`;
      const refused = await runPws(['tail', '--config', config, '--url', url], { scratch });
      assert.equal(refused.code, 3, describeRun(refused));
      assert.match(refused.stderr, /-k\/--insecure/, describeRun(refused));

      const w = startTail(['tail', '-v', '--json', '-k', '--config', config, '--url', url], { scratch });
      tails.push(w);
      await w.waitStderr(/pws: feed started/);
      assert.equal((await w.stop('SIGINT')).code, 0, w.describe());
    } finally {
      await tls?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
