// The CLI's HTTP API commands end to end (/work/notes/cli-spec.md "pws trigger", "pws channels /
// pws users", "Server location and credentials"): the real `pws` binary run as a command against
// a live `pws serve` from the harness, with raw WebSocket subscribers checking what arrives.
//
// The CLI finds the server the way a user's does: a pws.toml with the same [[apps]] and a
// [server] port equal to the harness server's, or --url / $PWS_URL, or PUSHER_APP_* variables.
// "Nothing was delivered" is proven with a marker event triggered afterwards, never by sleeping.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  startServer, connectOk, defaultApp, subscribePresence, dataOf,
} from './lib/harness.mjs';
import { makeScratch, rmScratch, writeCliConfig, runPws, describeRun } from './lib/cli.mjs';

const app = defaultApp;
/** A second app with a 1 KB event limit, known only to the two-app config. */
const smallApp = { id: '2002', key: 'small-key', secret: 'small-secret', name: 'small', max_event_payload_in_kb: 1 };
let seq = 0;
const fresh = (base) => `${base}-${++seq}`;

/** Asserts the exit status, with the whole run in the message. */
function assertExit(r, code) {
  assert.equal(r.code, code, `expected exit ${code}\n${describeRun(r)}`);
}

/** Exit 0 and nothing on stderr. */
function assertOk(r) {
  assertExit(r, 0);
  assert.equal(r.stderr, '', `nothing expected on stderr\n${describeRun(r)}`);
}

/** Parses stdout as one JSON document. */
function stdoutJson(r) {
  try {
    return JSON.parse(r.stdout);
  } catch (e) {
    throw new Error(`stdout is not one JSON document (${e.message})\n${describeRun(r)}`);
  }
}

/** Subscribes a fresh raw client to `channel`. */
async function subscriber(server, channel) {
  const c = await connectOk(server);
  const ok = await c.subscribe(channel);
  assert.equal(ok.event, 'pusher_internal:subscription_succeeded', ok.__raw);
  return c;
}

describe('pws trigger / channels / users against a live server', () => {
  let server;
  let scratch;
  let config; // the user's pws.toml: the default app only, [server] port = the harness port
  let twoApps; // both apps: --app is needed
  const clients = [];
  const track = (c) => { clients.push(c); return c; };

  /** `pws ...args --config <config>` with a clean environment. */
  const pws = (args, opts = {}) => runPws([...args, '--config', opts.config ?? config], { scratch, ...opts });

  /** Triggers `marker` on `channel` with the CLI and asserts it is the next event `client` sees there. */
  async function assertNothingBeforeMarker(client, channel, what) {
    const marker = fresh('marker');
    assertOk(await pws(['trigger', '--channel', channel, '--event', marker, '--data', '{}']));
    const f = await client.next((x) => x.channel === channel && !String(x.event).startsWith('pusher'));
    assert.equal(f.event, marker, `${what}: expected the marker event first, got ${f.__raw}`);
  }

  before(async () => {
    server = await startServer({ apps: [app, smallApp] });
    scratch = makeScratch();
    config = writeCliConfig(scratch, server, { apps: [app] });
    twoApps = writeCliConfig(scratch, server, { apps: [app, smallApp], name: 'two.toml' });
  });
  after(async () => {
    for (const c of clients) c.terminate();
    await server?.stop();
    rmScratch(scratch);
  });

  // ---- trigger -----------------------------------------------------------------------------

  describe('pws trigger', () => {
    test('an event reaches a subscriber; the human output says what was triggered', async () => {
      const channel = fresh('news');
      const c = track(await subscriber(server, channel));
      const r = await pws(['trigger', '--channel', channel, '--event', 'greeting', '--data', '{"text":"hi"}']);
      assertOk(r);
      assert.equal(r.stdout, `triggered greeting on ${channel}\n`);
      const f = await c.nextEvent('greeting', channel);
      assert.equal(f.data, '{"text":"hi"}', 'an object is sent as its compact JSON text');
    });

    test('several --channel: delivered on each, listed in the output', async () => {
      const [a, b] = [fresh('multi-a'), fresh('multi-b')];
      const ca = track(await subscriber(server, a));
      const cb = track(await subscriber(server, b));
      const r = await pws(['trigger', '--channel', a, '--channel', b, '--event', 'both', '--data', '[1, 2]']);
      assertOk(r);
      assert.equal(r.stdout, `triggered both on ${a}, ${b}\n`);
      assert.equal((await ca.nextEvent('both', a)).data, '[1,2]');
      assert.equal((await cb.nextEvent('both', b)).data, '[1,2]');
    });

    test('a JSON string is sent as its decoded text', async () => {
      const channel = fresh('text');
      const c = track(await subscriber(server, channel));
      assertOk(await pws(['trigger', '--channel', channel, '--event', 'said', '--data', '"hello \\"world\\""']));
      assert.equal((await c.nextEvent('said', channel)).data, 'hello "world"');
    });

    test('--data @FILE reads the data from a file', async () => {
      const channel = fresh('file');
      const file = path.join(scratch, 'data.json');
      writeFileSync(file, '{\n  "from": "file",\n  "n": 3\n}\n');
      const c = track(await subscriber(server, channel));
      assertOk(await pws(['trigger', '--channel', channel, '--event', 'filed', '--data', `@${file}`]));
      assert.deepEqual(dataOf(await c.nextEvent('filed', channel)), { from: 'file', n: 3 });
    });

    test('without --data the data is read from standard input', async () => {
      const channel = fresh('stdin');
      const c = track(await subscriber(server, channel));
      assertOk(await pws(['trigger', '--channel', channel, '--event', 'piped'], { input: '{"from":"stdin"}\n' }));
      assert.equal((await c.nextEvent('piped', channel)).data, '{"from":"stdin"}');
    });

    test('without --data and with empty standard input the data is {}', async () => {
      const channel = fresh('empty');
      const c = track(await subscriber(server, channel));
      assertOk(await pws(['trigger', '--channel', channel, '--event', 'nothing']));
      assert.equal((await c.nextEvent('nothing', channel)).data, '{}');
    });

    test('--socket-id excludes that connection', async () => {
      const channel = fresh('exclude');
      const sender = track(await subscriber(server, channel));
      const other = track(await subscriber(server, channel));
      assertOk(await pws(['trigger', '--channel', channel, '--event', 'echo', '--data', '{}', '--socket-id', sender.socketId]));
      await other.nextEvent('echo', channel);
      await assertNothingBeforeMarker(sender, channel, 'the excluded connection');
    });

    test('--info subscription_count: a table, and the counts in --json', async () => {
      const channel = fresh('counted');
      track(await subscriber(server, channel));
      track(await subscriber(server, channel));
      const human = await pws(['trigger', '--channel', channel, '--event', 'count', '--data', '{}', '--info', 'subscription_count']);
      assertOk(human);
      const lines = human.stdout.trimEnd().split('\n');
      assert.equal(lines[0], `triggered count on ${channel}`);
      assert.match(lines[1], /^CHANNEL\s+SUBSCRIPTION_COUNT$/);
      assert.match(lines[2], new RegExp(`^${channel}\\s+2$`));

      const json = await pws(['trigger', '--channel', channel, '--event', 'count', '--data', '{}', '--info', 'subscription_count', '--json']);
      assertOk(json);
      assert.deepEqual(stdoutJson(json), { channels: { [channel]: { subscription_count: 2 } } });
    });

    test('--json prints the server\'s answer ({} without --info); --quiet prints nothing', async () => {
      const channel = fresh('quiet');
      const json = await pws(['trigger', '--channel', channel, '--event', 'e', '--data', '{}', '--json']);
      assertOk(json);
      assert.deepEqual(stdoutJson(json), {});
      const quiet = await pws(['trigger', '--channel', channel, '--event', 'e', '--data', '{}', '--quiet']);
      assertOk(quiet);
      assert.equal(quiet.stdout, '');
    });

    test('--json with --quiet still prints the JSON (trigger, batch, channels, users)', async () => {
      const channel = fresh('jq');
      for (const args of [
        ['trigger', '--channel', channel, '--event', 'e', '--data', '{}'],
        ['channels'],
        ['channels', channel],
      ]) {
        const r = await pws([...args, '--json', '--quiet']);
        assertOk(r);
        stdoutJson(r);
      }
      const batch = await pws(['trigger', '--batch', '--json', '-q'], { input: `{"channel":"${channel}","name":"e","data":{}}\n` });
      assertOk(batch);
      assert.equal(stdoutJson(batch).events, 1);
    });

    test('--verbose names the URL requested on stderr', async () => {
      const r = await pws(['trigger', '--channel', fresh('verbose'), '--event', 'e', '--data', '{}', '--verbose']);
      assertExit(r, 0);
      assert.match(r.stderr, new RegExp(`POST http://127\\.0\\.0\\.1:${server.port}/apps/1001/events`));
      assert.match(r.stderr, /HTTP 200/);
    });
  });

  // ---- trigger --batch ---------------------------------------------------------------------------

  describe('pws trigger --batch', () => {
    test('25 events from standard input: all delivered in order, in 3 requests', async () => {
      const channel = fresh('batch');
      const c = track(await subscriber(server, channel));
      const lines = [];
      for (let i = 0; i < 25; i++) {
        // Mixed data forms: objects, strings (sent as is), numbers; "event" as an alias of "name".
        const data = i % 3 === 0 ? { i } : i % 3 === 1 ? `text ${i}` : i;
        lines.push(JSON.stringify(i % 5 === 0 ? { channel, event: `ev-${i}`, data } : { channel, name: `ev-${i}`, data }));
        if (i === 12) lines.push('   ');
      }
      const r = await pws(['trigger', '--batch', '--verbose'], { input: `${lines.join('\n')}\n` });
      assertExit(r, 0);
      assert.equal(r.stdout, 'sent 25 events in 3 requests\n');
      assert.equal((r.stderr.match(/POST \S+\/apps\/1001\/batch_events/g) ?? []).length, 3, describeRun(r));
      for (let i = 0; i < 25; i++) {
        const f = await c.next((x) => x.channel === channel && String(x.event).startsWith('ev-'));
        assert.equal(f.event, `ev-${i}`);
        const expected = i % 3 === 0 ? JSON.stringify({ i }) : i % 3 === 1 ? `text ${i}` : String(i);
        assert.equal(f.data, expected, `data of ev-${i}`);
      }
    });

    test('--batch FILE with --json: counts and the per-event info', async () => {
      const channel = fresh('batch-json');
      track(await subscriber(server, channel));
      const file = path.join(scratch, 'events.ndjson');
      const events = [];
      for (let i = 0; i < 12; i++) events.push({ channel, name: 'b', data: {}, ...(i === 11 ? { info: 'subscription_count' } : {}) });
      writeFileSync(file, `${events.map((e) => JSON.stringify(e)).join('\n')}\n`);
      const r = await pws(['trigger', '--batch', file, '--json']);
      assertOk(r);
      const out = stdoutJson(r);
      assert.equal(out.events, 12);
      assert.equal(out.requests, 2);
      assert.equal(out.batch.length, 12);
      assert.deepEqual(out.batch[11], { subscription_count: 1 });
      assert.deepEqual(out.batch[0], {});
    });

    test('a bad line is exit 2 naming the line, and nothing is sent', async () => {
      const channel = fresh('batch-bad');
      const c = track(await subscriber(server, channel));
      const good = JSON.stringify({ channel, name: 'should-not-arrive', data: {} });
      for (const [bad, why] of [
        ['{"channel":"x","name":"e"', /not valid JSON/],
        ['{"channel":"x","data":{}}', /missing "name"/],
        ['{"name":"e","data":{}}', /missing "channel"/],
        ['{"channel":"x","name":"e","data":{},"chanel":"typo"}', /unknown member "chanel"/],
        ['[1,2]', /not a JSON object/],
      ]) {
        const r = await pws(['trigger', '--batch', '-'], { input: `${good}\n${good}\n\n${bad}\n${good}\n` });
        assertExit(r, 2);
        assert.match(r.stderr, /^pws: error: standard input, line 4: /m, describeRun(r));
        assert.match(r.stderr, why, describeRun(r));
        assert.equal(r.stdout, '');
      }
      await assertNothingBeforeMarker(c, channel, 'a batch with a bad line');
    });

    test('an empty batch sends nothing', async () => {
      const r = await pws(['trigger', '--batch'], { input: '\n\n' });
      assertOk(r);
      assert.equal(r.stdout, 'sent 0 events in 0 requests\n');
    });

    test('--batch with --channel is a usage error', async () => {
      const r = await pws(['trigger', '--batch', '--channel', 'x'], { input: '' });
      assertExit(r, 2);
    });
  });

  // ---- channels / users --------------------------------------------------------------------------

  describe('pws channels and pws users', () => {
    let prefix;
    before(async () => {
      prefix = fresh('lst');
      track(await subscriber(server, `${prefix}-a`));
      track(await subscriber(server, `${prefix}-a`));
      track(await subscriber(server, `${prefix}-b`));
      for (const [id, name] of [['u1', 'Ann'], ['u2', 'Bob']]) {
        const c = track(await connectOk(server));
        const ok = await subscribePresence(c, app, `presence-${prefix}`, { user_id: id, user_info: { name } });
        assert.equal(ok.event, 'pusher_internal:subscription_succeeded', ok.__raw);
      }
    });

    test('channels: a NAME table of the occupied channels', async () => {
      const r = await pws(['channels']);
      assertOk(r);
      const lines = r.stdout.trimEnd().split('\n');
      assert.equal(lines[0].trim(), 'NAME');
      for (const name of [`${prefix}-a`, `${prefix}-b`, `presence-${prefix}`]) assert.ok(lines.includes(name), `${name} listed\n${r.stdout}`);
    });

    test('channels --prefix --info subscription_count', async () => {
      const r = await pws(['channels', '--prefix', `${prefix}-`, '--info', 'subscription_count']);
      assertOk(r);
      const rows = r.stdout.trimEnd().split('\n').map((l) => l.split(/\s+/));
      assert.deepEqual(rows, [['NAME', 'SUBSCRIPTION_COUNT'], [`${prefix}-a`, '2'], [`${prefix}-b`, '1']]);
    });

    test('channels --prefix presence- --info user_count,subscription_count', async () => {
      const r = await pws(['channels', '--prefix', `presence-${prefix}`, '--info', 'user_count,subscription_count']);
      assertOk(r);
      const rows = r.stdout.trimEnd().split('\n').map((l) => l.split(/\s+/));
      assert.deepEqual(rows, [['NAME', 'USER_COUNT', 'SUBSCRIPTION_COUNT'], [`presence-${prefix}`, '2', '2']]);
    });

    test('channels --json prints the server\'s answer', async () => {
      const r = await pws(['channels', '--prefix', `${prefix}-`, '--info', 'subscription_count', '--json']);
      assertOk(r);
      assert.deepEqual(stdoutJson(r), {
        channels: { [`${prefix}-a`]: { subscription_count: 2 }, [`${prefix}-b`]: { subscription_count: 1 } },
      });
    });

    test('channels with no match prints nothing when stdout is not a terminal', async () => {
      const r = await pws(['channels', '--prefix', 'nothing-like-this-']);
      assertOk(r);
      assert.equal(r.stdout, '');
    });

    test('channels NAME shows one channel', async () => {
      const r = await pws(['channels', `${prefix}-a`, '--info', 'subscription_count']);
      assertOk(r);
      assert.equal(r.stdout, 'occupied: true\nsubscription_count: 2\n');
      const empty = await pws(['channels', fresh('vacant')]);
      assertOk(empty);
      assert.equal(empty.stdout, 'occupied: false\n');
      const json = await pws(['channels', `presence-${prefix}`, '--info', 'user_count', '--json']);
      assertOk(json);
      assert.deepEqual(stdoutJson(json), { occupied: true, user_count: 2 });
    });

    test('channels NAME with --prefix is a usage error', async () => {
      assertExit(await pws(['channels', 'x', '--prefix', 'y']), 2);
    });

    test('a request the server refuses is exit 1 quoting its error', async () => {
      const r = await pws(['channels', '--info', 'user_count']);
      assertExit(r, 1);
      assert.match(r.stderr, /^pws: error: .*400: info=user_count requires filter_by_prefix=presence-/m, describeRun(r));
    });

    test('users: one id per line; --json the server\'s answer', async () => {
      const r = await pws(['users', '--channel', `presence-${prefix}`]);
      assertOk(r);
      assert.deepEqual(r.stdout.trimEnd().split('\n').sort(), ['u1', 'u2']);
      const json = await pws(['users', '--channel', `presence-${prefix}`, '--json']);
      assertOk(json);
      assert.deepEqual(stdoutJson(json).users.map((u) => u.id).sort(), ['u1', 'u2']);
    });

    test('users --json --quiet still prints the JSON', async () => {
      const r = await pws(['users', '--channel', `presence-${prefix}`, '--json', '--quiet']);
      assertOk(r);
      assert.deepEqual(stdoutJson(r).users.map((u) => u.id).sort(), ['u1', 'u2']);
    });

    test('users: a non-presence channel is exit 1; no --channel is exit 2', async () => {
      const r = await pws(['users', '--channel', `${prefix}-a`]);
      assertExit(r, 1);
      assert.match(r.stderr, /presence/);
      assertExit(await pws(['users']), 2);
    });
  });

  // ---- failures ----------------------------------------------------------------------------------

  describe('failures and exit statuses', () => {
    test('no server listening: exit 3 with a hint', async () => {
      const down = await startServer();
      const port = down.port;
      await down.stop();
      const r = await pws(['trigger', '--channel', 'c', '--event', 'e', '--data', '{}', '--url', `http://127.0.0.1:${port}`]);
      assertExit(r, 3);
      assert.match(r.stderr, new RegExp(`^pws: error: .*127\\.0\\.0\\.1:${port}.*connection refused`, 'm'), describeRun(r));
      assert.match(r.stderr, /^pws: hint: is `pws serve` running at http:\/\/127\.0\.0\.1:\d+\? \(--url to point elsewhere\)$/m);
      assert.equal(r.stdout, '');
      for (const args of [['channels'], ['users', '--channel', 'presence-x']]) {
        assertExit(await pws([...args, '--url', `http://127.0.0.1:${port}`]), 3);
      }
    });

    test('a server that does not answer in --timeout: exit 3', async () => {
      const net = await import('node:net');
      const sockets = new Set();
      const silent = net.createServer((s) => { sockets.add(s); /* accept and say nothing */ });
      await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve));
      try {
        const r = await pws(['channels', '--url', `http://127.0.0.1:${silent.address().port}`, '--timeout', '0.5']);
        assertExit(r, 3);
        assert.match(r.stderr, /timed out after 0\.5 s/, describeRun(r));
      } finally {
        for (const s of sockets) s.destroy();
        await new Promise((resolve) => silent.close(resolve));
      }
    });

    test('a wrong secret: exit 4 naming the app, with a hint', async () => {
      const wrong = writeCliConfig(scratch, server, { apps: [{ ...app, secret: 'not-the-secret' }], name: 'wrong.toml' });
      const r = await pws(['trigger', '--channel', 'c', '--event', 'e', '--data', '{}'], { config: wrong });
      assertExit(r, 4);
      assert.match(r.stderr, /^pws: error: the server rejected the credentials of app 1001 \(401: .+\)$/m, describeRun(r));
      assert.match(r.stderr, /^pws: hint: .*wrong\.toml/m, describeRun(r));
      assertExit(await pws(['channels'], { config: wrong }), 4);
    });

    test('--app: by id or name; unknown is exit 2 naming the ids; several apps need it', async () => {
      const channel = fresh('byname');
      const c = track(await connectOk(server, { key: smallApp.key }));
      await c.subscribe(channel);
      assertOk(await pws(['trigger', '--app', 'small', '--channel', channel, '--event', 'e1', '--data', '{}'], { config: twoApps }));
      assertOk(await pws(['trigger', '--app', '2002', '--channel', channel, '--event', 'e2', '--data', '{}'], { config: twoApps }));
      assert.equal((await c.nextEvent('e1', channel)).channel, channel);
      assert.equal((await c.nextEvent('e2', channel)).channel, channel);

      const unknown = await pws(['trigger', '--app', 'nope', '--channel', channel, '--event', 'e', '--data', '{}'], { config: twoApps });
      assertExit(unknown, 2);
      assert.match(unknown.stderr, /"nope"/);
      assert.match(unknown.stderr, /1001/);
      assert.match(unknown.stderr, /2002 \(small\)/);

      const ambiguous = await pws(['channels'], { config: twoApps });
      assertExit(ambiguous, 2);
      assert.match(ambiguous.stderr, /--app/);
      assert.match(ambiguous.stderr, /1001/);
    });

    test('invalid JSON in --data: exit 2, nothing sent', async () => {
      const r = await pws(['trigger', '--channel', 'c', '--event', 'e', '--data', '{oops}']);
      assertExit(r, 2);
      assert.match(r.stderr, /^pws: error: --data is not valid JSON: /m);
      const stdin = await pws(['trigger', '--channel', 'c', '--event', 'e'], { input: 'plain text' });
      assertExit(stdin, 2);
    });

    test('data over max_event_payload_in_kb: exit 1 with the server\'s message', async () => {
      const r = await pws(['trigger', '--app', 'small', '--channel', 'c', '--event', 'e', '--data', JSON.stringify('x'.repeat(2000))], { config: twoApps });
      assertExit(r, 1);
      assert.match(r.stderr, /^pws: error: .*413: Event data is larger than 1 KB/m, describeRun(r));
    });

    test('usage errors: unknown flag, missing --event, too many channels, bad --url, missing --config', async () => {
      assertExit(await pws(['trigger', '--channel', 'c', '--event', 'e', '--bogus']), 2);
      assertExit(await pws(['trigger', '--channel', 'c', '--data', '{}']), 2);
      const many = [];
      for (let i = 0; i < 101; i++) many.push('--channel', `c${i}`);
      const tooMany = await pws(['trigger', ...many, '--event', 'e', '--data', '{}']);
      assertExit(tooMany, 2);
      assert.match(tooMany.stderr, /100/);
      assertExit(await pws(['channels', '--url', 'ftp://x']), 2);
      assertExit(await pws(['channels', '--timeout', '0']), 2);
      assertExit(await pws(['channels'], { config: path.join(scratch, 'missing.toml') }), 2);
    });

    test('a --config or $PWS_CONFIG that does not exist: exit 2 for trigger, channels and users; invalid: exit 1', async () => {
      const missing = path.join(scratch, 'missing.toml');
      const invalid = path.join(scratch, 'invalid.toml');
      writeFileSync(invalid, '[server]\nprot = 1\n');
      for (const args of [['trigger', '--channel', 'c', '--event', 'e', '--data', '{}'], ['channels'], ['users', '--channel', 'presence-x']]) {
        const named = await pws(args, { config: missing });
        assertExit(named, 2);
        assert.ok(named.stderr.includes(`pws: error: config file ${missing} does not exist`), describeRun(named));
        assert.match(named.stderr, /^pws: hint: .*--config/m, describeRun(named));
        const fromEnv = await runPws(args, { scratch, env: { PWS_CONFIG: missing } });
        assertExit(fromEnv, 2);
        assert.match(fromEnv.stderr, /^pws: hint: .*\$PWS_CONFIG/m, describeRun(fromEnv));
        const broken = await pws(args, { config: invalid });
        assertExit(broken, 1);
        assert.match(broken.stderr, /prot/, describeRun(broken));
      }
    });

    test('--data @FILE that does not exist: exit 1', async () => {
      const r = await pws(['trigger', '--channel', 'c', '--event', 'e', '--data', `@${path.join(scratch, 'nope.json')}`]);
      assertExit(r, 1);
      assert.match(r.stderr, /nope\.json/);
    });

    test('--data @ without a file name is exit 2 (not a silent read of stdin)', async () => {
      const r = await pws(['trigger', '--channel', 'c', '--event', 'e', '--data', '@'], { input: '{"from":"stdin"}' });
      assertExit(r, 2);
      assert.match(r.stderr, /^pws: error: --data @ needs a file name/m, describeRun(r));
      assert.match(r.stderr, /^pws: hint: .*@-/m, describeRun(r));
    });

    test('--batch on a directory: exit 1 naming it', async () => {
      const r = await pws(['trigger', '--batch', scratch]);
      assertExit(r, 1);
      assert.ok(r.stderr.includes(`pws: error: cannot read ${scratch}: Is a directory`), describeRun(r));
    });

    test('--timeout must be a number of seconds from 0.001 to 86400 (nan, inf, -1, abc: exit 2)', async () => {
      for (const value of ['nan', 'inf', '-1', '0', 'abc', '1e9']) {
        const r = await pws(['channels', '--timeout', value]);
        assertExit(r, 2);
        assert.match(r.stderr, /^pws: error: --timeout: must be a number of seconds from 0\.001 to 86400/m, describeRun(r));
      }
      assertOk(await pws(['channels', '--timeout', '0.5']));
    });

    test('an empty or invalid channel name is exit 2 before anything is sent', async () => {
      for (const args of [
        ['channels', ''],
        ['channels', 'a/b'],
        ['users', '--channel', ''],
        ['users', '--channel', 'presence-a b'],
        ['trigger', '--channel', 'ok', '--channel', 'caf\u00e9', '--event', 'e', '--data', '{}'],
        ['trigger', '--channel', '', '--event', 'e', '--data', '{}'],
      ]) {
        const r = await pws(args);
        assertExit(r, 2);
        assert.match(r.stderr, /^pws: error: .*(channel name is empty|invalid channel name)/m, describeRun(r));
      }
      const batch = await pws(['trigger', '--batch'], { input: '{"channel":"a/b","name":"e","data":{}}\n' });
      assertExit(batch, 2);
      assert.match(batch.stderr, /^pws: error: standard input, line 1: "channel": invalid channel name "a\/b"/m, describeRun(batch));
    });

    test('CLI usage errors read "pws: error:" with a hint naming the command\'s --help', async () => {
      const r = await pws(['trigger', '--channel', 'c', '--event', 'e', '--bogus']);
      assertExit(r, 2);
      assert.match(r.stderr, /^pws: error: .*--bogus/m, describeRun(r));
      assert.match(r.stderr, /^pws: hint: see `pws trigger --help`$/m, describeRun(r));
    });
  });

  // ---- where the server and credentials come from ------------------------------------------

  describe('server location and credentials', () => {
    test('PUSHER_APP_* with --url and no config file at all', async () => {
      const channel = fresh('env');
      const c = track(await subscriber(server, channel));
      const r = await runPws(['trigger', '--url', server.httpUrl, '--channel', channel, '--event', 'from-env', '--data', '{}'], {
        scratch,
        env: { PUSHER_APP_ID: app.id, PUSHER_APP_KEY: app.key, PUSHER_APP_SECRET: app.secret },
      });
      assertOk(r);
      await c.nextEvent('from-env', channel);
    });

    test('PUSHER_APP_* beat the config\'s only app; a wrong env secret is exit 4 naming the variables', async () => {
      const r = await pws(['channels'], { env: { PUSHER_APP_ID: app.id, PUSHER_APP_KEY: app.key, PUSHER_APP_SECRET: 'bad' } });
      assertExit(r, 4);
      assert.match(r.stderr, /PUSHER_APP_SECRET/);
    });

    test('some but not all PUSHER_APP_* is exit 2', async () => {
      const r = await pws(['channels'], { env: { PUSHER_APP_ID: app.id } });
      assertExit(r, 2);
      assert.match(r.stderr, /PUSHER_APP_KEY/);
    });

    test('no config and no variables: exit 2 with a hint', async () => {
      const r = await runPws(['channels', '--url', server.httpUrl], { scratch });
      assertExit(r, 2);
      assert.match(r.stderr, /^pws: hint: /m);
    });

    test('--url overrides the config\'s [server]; $PWS_URL too, and --url beats it', async () => {
      const elsewhere = writeCliConfig(scratch, { ...server, port: 1 }, { apps: [app], name: 'elsewhere.toml' });
      assertExit(await pws(['channels'], { config: elsewhere }), 3);
      assertOk(await pws(['channels', '--url', server.httpUrl], { config: elsewhere }));
      assertOk(await pws(['channels'], { config: elsewhere, env: { PWS_URL: server.httpUrl } }));
      assertExit(await pws(['channels', '--url', 'http://127.0.0.1:1'], { config: elsewhere, env: { PWS_URL: server.httpUrl } }), 3);
    });

    test('a cron-like bare environment with --config', async () => {
      const channel = fresh('cron');
      const c = track(await subscriber(server, channel));
      const r = await runPws(['trigger', '--config', config, '--channel', channel, '--event', 'tick', '--data', '{"at":"cron"}'], {
        bareEnv: { PATH: '/usr/bin:/bin', HOME: path.join(scratch, 'home') },
        cwd: '/',
      });
      assertOk(r);
      assert.equal((await c.nextEvent('tick', channel)).data, '{"at":"cron"}');
    });

    test('the config is discovered like the server\'s ($PWS_CONFIG, ./pws.toml)', async () => {
      assertOk(await runPws(['channels'], { scratch, env: { PWS_CONFIG: config } }));
      assertOk(await runPws(['channels'], { scratch, cwd: scratch }));
    });
  });
});

// ---- the same over TLS ------------------------------------------------------------------------

const haveOpenssl = spawnSync('openssl', ['version']).status === 0;

describe('pws trigger over TLS', { skip: haveOpenssl ? false : 'openssl not found' }, () => {
  let scratch;
  let byName; // certificate for DNS:localhost only
  let byAddress; // certificate for IP:127.0.0.1 only
  before(async () => {
    scratch = makeScratch('pws-cli-tls-');
    for (const [name, san] of [['name', 'DNS:localhost'], ['address', 'IP:127.0.0.1']]) {
      const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}-key.pem`,
        '-out', `${name}-cert.pem`, '-days', '1', '-subj', '/CN=pws-test', '-addext', `subjectAltName=${san}`],
      { cwd: scratch, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    }
    const tls = (name) => ({ tls: { cert: path.join(scratch, `${name}-cert.pem`), key: path.join(scratch, `${name}-key.pem`) } });
    byName = await startServer({ server: tls('name') });
    byAddress = await startServer({ server: tls('address') });
  });
  after(async () => {
    await byName?.stop();
    await byAddress?.stop();
    rmScratch(scratch);
  });

  const trigger = (url, env = {}, extra = []) => runPws(['trigger', '--url', url, '--channel', 'tls', '--event', 'e', '--data', '{}', ...extra], {
    scratch,
    env: { PUSHER_APP_ID: defaultApp.id, PUSHER_APP_KEY: defaultApp.key, PUSHER_APP_SECRET: defaultApp.secret, ...env },
  });

  test('a self-signed certificate is refused (exit 3, hint -k) unless -k/--insecure', async () => {
    const refused = await trigger(`https://localhost:${byName.port}`);
    assertExit(refused, 3);
    assert.match(refused.stderr, /^pws: error: TLS handshake with localhost:\d+ failed: certificate verify failed: /m, describeRun(refused));
    assert.match(refused.stderr, /--insecure/);
    assertOk(await trigger(`https://localhost:${byName.port}`, {}, ['-k']));
    assertOk(await trigger(`https://127.0.0.1:${byName.port}`, {}, ['--insecure']));
  });

  test('a trusted certificate is checked against the host name or address of the URL', async () => {
    const trust = (name) => ({ SSL_CERT_FILE: path.join(scratch, `${name}-cert.pem`) });
    assertOk(await trigger(`https://localhost:${byName.port}`, trust('name')));
    assertOk(await trigger(`https://127.0.0.1:${byAddress.port}`, trust('address')));
    for (const url of [`https://127.0.0.1:${byName.port}`, `https://localhost:${byAddress.port}`]) {
      const mismatch = await trigger(url, trust(url.includes(String(byName.port)) ? 'name' : 'address'));
      assertExit(mismatch, 3);
      assert.match(mismatch.stderr, /certificate verify failed: .*mismatch/, describeRun(mismatch));
    }
  });

  test('plain http to a TLS port gets no usable answer (exit 3 or 1)', async () => {
    const plain = await trigger(`http://127.0.0.1:${byName.port}`);
    assert.ok([1, 3].includes(plain.code), describeRun(plain));
  });
});
