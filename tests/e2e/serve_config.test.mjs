// `pws serve` as an operator meets it: first start without any config (a private user-level
// config is generated and its credentials printed), PUSHER_APP_* from the environment, config
// discovery (--config, $PWS_CONFIG, ./pws.toml, $XDG_CONFIG_HOME/pws/pws.toml), config errors
// naming file, line and field, a busy port, --version / --help, --debug lifecycle lines, and
// graceful shutdown on SIGTERM (protocol reference 8.5, checklist 10.11 #157).
//
// Every process runs in its own temporary HOME / XDG_CONFIG_HOME / cwd with PWS_CONFIG and
// PUSHER_APP_* removed from its environment, so nothing here depends on the machine's config.

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync, statSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Pusher from 'pusher-js';
import {
  PWS_BIN, DEFAULT_TIMEOUT_MS, DEFAULT_QUERY, connect, connectOk, startServer, defaultApp, renderConfig,
} from './lib/harness.mjs';
import { apiRequest } from './lib/http.mjs';

const START_TIMEOUT_MS = 10000;

// ---- process helpers ---------------------------------------------------------------------

const tempDirs = [];
const procs = new Set();
after(() => {
  for (const p of procs) {
    try { p.kill('SIGKILL'); } catch { /* gone */ }
  }
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh directory tree: { home, xdg, cwd, userConfig } (xdg is created, userConfig is not). */
function sandbox() {
  const home = mkdtempSync(path.join(tmpdir(), 'pws-serve-'));
  tempDirs.push(home);
  const xdg = path.join(home, 'xdg');
  mkdirSync(xdg, { recursive: true });
  const cwd = path.join(home, 'work');
  mkdirSync(cwd, { recursive: true });
  return { home, xdg, cwd, userConfig: path.join(xdg, 'pws', 'pws.toml') };
}

/** Environment of the child: the test's own minus every pws / Pusher variable, plus `extra`. */
function cleanEnv(box, extra = {}) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (k === 'PWS_CONFIG' || k.startsWith('PUSHER_APP_')) delete env[k];
  }
  return { ...env, HOME: box.home, XDG_CONFIG_HOME: box.xdg, ...extra };
}

/**
 * Spawns pws. Returns { proc, out() (stdout+stderr), stdout(), stderr(), waitFor(regex),
 * exited (promise of { code, signal }), stop() }.
 */
function runPws(args, { box, env = {}, cwd } = {}) {
  const proc = spawn(PWS_BIN, args, { cwd: cwd ?? box.cwd, env: cleanEnv(box, env), stdio: ['ignore', 'pipe', 'pipe'] });
  procs.add(proc);
  let stdout = '';
  let stderr = '';
  let all = '';
  const listeners = new Set();
  const notify = () => { for (const l of [...listeners]) l(); };
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stdout.on('data', (d) => { stdout += d; all += d; notify(); });
  proc.stderr.on('data', (d) => { stderr += d; all += d; notify(); });
  let exitInfo = null;
  const exited = new Promise((resolve) => {
    proc.on('close', (code, signal) => {
      exitInfo = { code, signal };
      procs.delete(proc);
      resolve(exitInfo);
      notify();
    });
  });
  proc.on('error', (e) => { all += `\n[spawn error] ${e.message}\n`; });
  const describe = () => `command: ${PWS_BIN} ${args.join(' ')}\noutput:\n${all}`;
  return {
    proc,
    out: () => all,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    describe,
    /** Resolves with the match of `regex` in the combined output; rejects on exit or timeout. */
    waitFor(regex, timeoutMs = START_TIMEOUT_MS) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = regex.exec(all);
          if (m) { done(); resolve(m); return; }
          if (exitInfo) { done(); reject(new Error(`pws exited (${JSON.stringify(exitInfo)}) before printing ${regex}\n${describe()}`)); }
        };
        const timer = setTimeout(() => { done(); reject(new Error(`no ${regex} within ${timeoutMs} ms\n${describe()}`)); }, timeoutMs);
        const done = () => { clearTimeout(timer); listeners.delete(check); };
        listeners.add(check);
        check();
      });
    },
    /** Resolves with { code, signal } once exited; rejects after timeoutMs. */
    exitWithin(timeoutMs = START_TIMEOUT_MS) {
      let timer;
      return Promise.race([
        exited.finally(() => clearTimeout(timer)),
        new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`pws still running after ${timeoutMs} ms\n${describe()}`)), timeoutMs); }),
      ]);
    },
    async stop() {
      if (!exitInfo) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => { try { proc.kill('SIGKILL'); } catch { /* gone */ } }, 5000);
        await exited;
        clearTimeout(t);
      }
      return exitInfo;
    },
  };
}

/** Starts `pws serve --port 0 --host 127.0.0.1 …` and resolves with { run, port } once listening. */
async function serve(box, { env, args = [], cwd } = {}) {
  const run = runPws(['serve', '--port', '0', '--host', '127.0.0.1', ...args], { box, env, cwd });
  const m = await run.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
  return { run, port: Number(m[1]) };
}

/** A harness-compatible server object for connect()/apiRequest() against a port. */
function target(port, key) {
  return {
    host: '127.0.0.1',
    port,
    apps: [{ key }],
    pathPrefix: '',
    wsUrl: (k = key, query = DEFAULT_QUERY) => `ws://127.0.0.1:${port}/app/${k}${query ? `?${query}` : ''}`,
  };
}

/** Runs a pws command that is expected to exit; resolves with { code, signal, out, stdout, stderr }. */
async function runToExit(args, opts) {
  const run = runPws(args, opts);
  const info = await run.exitWithin();
  return { ...info, out: run.out(), stdout: run.stdout(), stderr: run.stderr() };
}

function appToml(app) {
  return renderConfig({ apps: [app] });
}

async function pusherJsConnects(port, key) {
  const pusher = new Pusher(key, {
    wsHost: '127.0.0.1', wsPort: port, forceTLS: false, enabledTransports: ['ws'], cluster: 'mt1', disableStats: true,
  });
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`pusher-js did not connect within ${DEFAULT_TIMEOUT_MS} ms (state ${pusher.connection.state})`)), DEFAULT_TIMEOUT_MS);
      pusher.connection.bind('connected', () => { clearTimeout(timer); resolve(); });
      pusher.connection.bind('error', (e) => {
        if (e?.type === 'PusherError') { clearTimeout(timer); reject(new Error(`pusher-js got ${JSON.stringify(e.data)}`)); }
      });
    });
    return pusher.connection.socket_id;
  } finally {
    pusher.disconnect();
  }
}

// ---- first start, environment app ----------------------------------------------------------

describe('pws serve without a config', () => {
  test('first start creates $XDG_CONFIG_HOME/pws/pws.toml (0600), prints it, the credentials and a client snippet; a client connects with them', async () => {
    const box = sandbox();
    const { run, port } = await serve(box);
    try {
      const out = run.out();
      assert.ok(existsSync(box.userConfig), `expected ${box.userConfig} to be created\n${run.describe()}`);
      assert.equal(statSync(box.userConfig).mode & 0o777, 0o600, 'config file mode must be 0600');
      assert.ok(out.includes(box.userConfig), `output must say where the config was written\n${out}`);
      assert.ok(!existsSync(path.join(box.cwd, 'pws.toml')), 'nothing written to the working directory');

      const id = /app id:\s*(\S+)/i.exec(out)?.[1];
      const key = /app key:\s*(\S+)/i.exec(out)?.[1];
      const secret = /app secret:\s*(\S+)/i.exec(out)?.[1];
      assert.ok(id && key && secret, `credentials (app id/key/secret) must be printed\n${out}`);
      const text = readFileSync(box.userConfig, 'utf8');
      for (const v of [id, key, secret]) assert.ok(text.includes(v), `${v} must be in the generated config`);
      assert.match(out, new RegExp(`new Pusher\\('${key}'`), `a pusher-js snippet with the key must be printed\n${out}`);

      // The printed key works for pusher-js, and the printed id/secret for the HTTP API.
      assert.match(await pusherJsConnects(port, key), /^\d+\.\d+$/);
      const srv = target(port, key);
      const c = await connectOk(srv, { key });
      assert.equal((await c.subscribe('orders')).event, 'pusher_internal:subscription_succeeded');
      const res = await apiRequest(srv, { id, key, secret }, 'POST', '/events', { body: { name: 'hello', data: '{}', channel: 'orders' } });
      assert.equal(res.status, 200, res.text);
      assert.equal((await c.nextEvent('hello', 'orders')).data, '{}');
      c.close();
      await c.closed;
    } finally {
      assert.deepEqual(await run.stop(), { code: 0, signal: null });
    }

    // Second start: the file is reused, same credentials, nothing rewritten.
    const before = readFileSync(box.userConfig, 'utf8');
    const key = /app key:\s*(\S+)/i.exec(run.out())[1];
    const second = await serve(box);
    try {
      assert.equal(readFileSync(box.userConfig, 'utf8'), before, 'the config must not be rewritten');
      assert.doesNotMatch(second.run.out(), /created/i, second.run.describe());
      assert.match(await pusherJsConnects(second.port, key), /^\d+\.\d+$/);
    } finally {
      await second.run.stop();
    }
  });

  test('PUSHER_APP_ID/KEY/SECRET define an app; no config file is created', async () => {
    const box = sandbox();
    const envApp = { id: '4242', key: 'env-key', secret: 'env-secret' };
    const { run, port } = await serve(box, {
      env: { PUSHER_APP_ID: envApp.id, PUSHER_APP_KEY: envApp.key, PUSHER_APP_SECRET: envApp.secret },
    });
    try {
      assert.match(await pusherJsConnects(port, envApp.key), /^\d+\.\d+$/);
      const srv = target(port, envApp.key);
      const res = await apiRequest(srv, envApp, 'GET', '/channels');
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json, { channels: {} });
      const wrong = await connect(srv, { key: 'pws-key' });
      assert.equal(wrong.error?.code, 4001, `unknown key refused: ${wrong.first?.__raw}`);
      assert.ok(!existsSync(box.userConfig), `no config file may be created\n${run.describe()}`);
      assert.ok(!existsSync(path.join(box.cwd, 'pws.toml')));
    } finally {
      await run.stop();
    }
  });

  test('an incomplete PUSHER_APP_* set is an error naming the missing variable', async () => {
    const box = sandbox();
    const r = await runToExit(['serve', '--port', '0', '--host', '127.0.0.1'], {
      box, env: { PUSHER_APP_ID: '1', PUSHER_APP_KEY: 'k' },
    });
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.stderr, /PUSHER_APP_SECRET/, r.out);
  });
});

// ---- discovery -----------------------------------------------------------------------------

describe('config discovery', () => {
  const cwdApp = { id: '11', key: 'cwd-key', secret: 'cwd-secret' };
  const xdgApp = { id: '22', key: 'xdg-key', secret: 'xdg-secret' };
  const envApp = { id: '33', key: 'envfile-key', secret: 'envfile-secret' };
  const flagApp = { id: '44', key: 'flag-key', secret: 'flag-secret' };

  async function keyWorks(port, key) {
    const c = await connect(target(port, key), { key });
    c.terminate();
    return Boolean(c.socketId);
  }

  test('./pws.toml in the working directory is used (before the user config)', async () => {
    const box = sandbox();
    writeFileSync(path.join(box.cwd, 'pws.toml'), appToml(cwdApp), { mode: 0o600 });
    mkdirSync(path.dirname(box.userConfig), { recursive: true });
    writeFileSync(box.userConfig, appToml(xdgApp), { mode: 0o600 });
    const { run, port } = await serve(box);
    try {
      assert.equal(await keyWorks(port, cwdApp.key), true, run.describe());
      assert.equal(await keyWorks(port, xdgApp.key), false, 'the user config must not be read as well');
    } finally {
      await run.stop();
    }
  });

  test('$XDG_CONFIG_HOME/pws/pws.toml is used when there is no ./pws.toml', async () => {
    const box = sandbox();
    mkdirSync(path.dirname(box.userConfig), { recursive: true });
    writeFileSync(box.userConfig, appToml(xdgApp), { mode: 0o600 });
    const { run, port } = await serve(box);
    try {
      assert.equal(await keyWorks(port, xdgApp.key), true, run.describe());
      assert.equal(readFileSync(box.userConfig, 'utf8'), appToml(xdgApp), 'left untouched');
    } finally {
      await run.stop();
    }
  });

  test('$PWS_CONFIG is used (before ./pws.toml)', async () => {
    const box = sandbox();
    const envFile = path.join(box.home, 'elsewhere.toml');
    writeFileSync(envFile, appToml(envApp), { mode: 0o600 });
    writeFileSync(path.join(box.cwd, 'pws.toml'), appToml(cwdApp), { mode: 0o600 });
    const { run, port } = await serve(box, { env: { PWS_CONFIG: envFile } });
    try {
      assert.equal(await keyWorks(port, envApp.key), true, run.describe());
      assert.equal(await keyWorks(port, cwdApp.key), false);
      assert.ok(!existsSync(box.userConfig));
    } finally {
      await run.stop();
    }
  });

  test('--config wins over $PWS_CONFIG', async () => {
    const box = sandbox();
    const envFile = path.join(box.home, 'env.toml');
    const flagFile = path.join(box.home, 'flag.toml');
    writeFileSync(envFile, appToml(envApp), { mode: 0o600 });
    writeFileSync(flagFile, appToml(flagApp), { mode: 0o600 });
    const { run, port } = await serve(box, { env: { PWS_CONFIG: envFile }, args: ['--config', flagFile] });
    try {
      assert.equal(await keyWorks(port, flagApp.key), true, run.describe());
      assert.equal(await keyWorks(port, envApp.key), false);
    } finally {
      await run.stop();
    }
  });

  test('--config naming a missing file exits non-zero with a message naming the file', async () => {
    const box = sandbox();
    const missing = path.join(box.home, 'no-such-dir', 'missing.toml');
    const r = await runToExit(['serve', '--config', missing, '--port', '0', '--host', '127.0.0.1'], { box });
    assert.notEqual(r.code, 0, r.out);
    assert.ok(r.stderr.includes(missing), `stderr must name ${missing}\n${r.out}`);
    assert.ok(!existsSync(box.userConfig), 'no config may be generated instead');
    assert.doesNotMatch(r.out, /listening on/);
  });

  test('$PWS_CONFIG naming a missing file exits non-zero with a message naming the file', async () => {
    const box = sandbox();
    const missing = path.join(box.home, 'missing-env.toml');
    const r = await runToExit(['serve', '--port', '0', '--host', '127.0.0.1'], { box, env: { PWS_CONFIG: missing } });
    assert.notEqual(r.code, 0, r.out);
    assert.ok(r.stderr.includes(missing), `stderr must name ${missing}\n${r.out}`);
    assert.ok(!existsSync(box.userConfig));
  });
});

// ---- invalid registry ----------------------------------------------------------------------

describe('invalid config files', () => {
  /** Writes `text` as pws.toml, runs serve with --config and returns the result. */
  async function serveWith(text) {
    const box = sandbox();
    const file = path.join(box.home, 'bad.toml');
    writeFileSync(file, text, { mode: 0o600 });
    const r = await runToExit(['serve', '--config', file, '--port', '0', '--host', '127.0.0.1'], { box });
    return { ...r, file };
  }

  /** stderr names the file and line (`file:line`) and mentions the field. */
  function assertNames(r, line, field) {
    assert.notEqual(r.code, 0, r.out);
    assert.doesNotMatch(r.out, /listening on/);
    const fileName = path.basename(r.file);
    const m = new RegExp(`${fileName.replace('.', '\\.')}:(\\d+)`).exec(r.stderr);
    assert.ok(m, `stderr must name the file with a line number (${fileName}:<line>)\n${r.stderr}`);
    assert.ok(r.stderr.split('\n').some((l) => l.includes(`${fileName}:${line}`) && l.includes(field)),
      `stderr must name ${fileName}:${line} and the field ${field}\n${r.stderr}`);
  }

  test('an unknown key is reported with file, line and field', async () => {
    const r = await serveWith('[server]\nport = 0\n\n[[apps]]\nid = "1"\nkey = "k"\nsecret = "s"\nbogus_key = 1\n');
    assertNames(r, 8, 'bogus_key');
    const r2 = await serveWith('[server]\nportt = 6001\n\n[[apps]]\nid = "1"\nkey = "k"\nsecret = "s"\n');
    assertNames(r2, 2, 'portt');
  });

  test('a duplicate TOML key and a duplicate app key are reported with file, line and field', async () => {
    const r = await serveWith('[[apps]]\nid = "1"\nkey = "k"\nkey = "j"\nsecret = "s"\n');
    assertNames(r, 4, 'key');
    const r2 = await serveWith('[[apps]]\nid = "1"\nkey = "k"\nsecret = "s"\n\n[[apps]]\nid = "2"\nkey = "k"\nsecret = "t"\n');
    assertNames(r2, 8, 'key');
  });

  test('a missing secret is reported with file, line and field', async () => {
    const r = await serveWith('[server]\nport = 0\n\n[[apps]]\nid = "1"\nkey = "k"\n');
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.stderr, /bad\.toml:\d+/, r.stderr);
    assert.match(r.stderr, /secret/, r.stderr);
  });

  test('a wrongly typed value is reported with file, line and field', async () => {
    const r = await serveWith('[server]\nport = "six thousand"\n\n[[apps]]\nid = "1"\nkey = "k"\nsecret = "s"\n');
    assertNames(r, 2, 'port');
  });
});

// ---- CLI -----------------------------------------------------------------------------------

describe('command line', () => {
  test('--port on a busy port fails with a clear error and a non-zero exit', async () => {
    const blocker = net.createServer();
    await new Promise((resolve, reject) => { blocker.once('error', reject); blocker.listen(0, '127.0.0.1', resolve); });
    const busy = blocker.address().port;
    try {
      const box = sandbox();
      const file = path.join(box.home, 'pws.toml');
      writeFileSync(file, renderConfig({ apps: [defaultApp] }), { mode: 0o600 });
      const r = await runToExit(['serve', '--config', file, '--port', String(busy), '--host', '127.0.0.1'], { box });
      assert.notEqual(r.code, 0, r.out);
      assert.ok(r.stderr.includes(String(busy)), `the error must name the port ${busy}\n${r.stderr}`);
      assert.match(r.stderr, /in use|listen|bind/i, r.stderr);
      assert.doesNotMatch(r.out, /listening on/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  test('pws --version prints a version', async () => {
    const box = sandbox();
    const r = await runToExit(['--version'], { box });
    assert.equal(r.code, 0, r.out);
    assert.match(r.stdout, /\d+\.\d+\.\d+/, r.out);
  });

  test('pws serve --help lists --host, --port, --debug and --config', async () => {
    const box = sandbox();
    const r = await runToExit(['serve', '--help'], { box });
    assert.equal(r.code, 0, r.out);
    for (const opt of ['--host', '--port', '--debug', '--config']) {
      assert.ok(r.stdout.includes(opt), `serve --help must list ${opt}\n${r.stdout}`);
    }
  });

  test('an invalid --port is a usage error', async () => {
    const box = sandbox();
    const r = await runToExit(['serve', '--port', '70000'], { box });
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.out, /port/i);
    assert.ok(!existsSync(box.userConfig), 'a usage error must not generate a config');
  });
});

// ---- --debug and SIGTERM (uses the shared harness) -------------------------------------------

/** Resolves once the server's output matches `regex` (event-driven, bounded). */
function waitForOutput(server, regex, timeoutMs = DEFAULT_TIMEOUT_MS) {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = regex.exec(server.output());
      if (m) { done(); resolve(m); }
    };
    const timer = setTimeout(() => { done(); reject(new Error(`no ${regex} in the server output within ${timeoutMs} ms\noutput:\n${server.output()}`)); }, timeoutMs);
    // The harness appends to output() in its own 'data' listeners, registered before ours.
    const onData = () => check();
    const done = () => {
      clearTimeout(timer);
      server.proc.stdout.off('data', onData);
      server.proc.stderr.off('data', onData);
    };
    server.proc.stdout.on('data', onData);
    server.proc.stderr.on('data', onData);
    check();
  });
}

describe('--debug and graceful shutdown', () => {
  test('--debug prints connect, subscribe, API message and disconnect lines', async () => {
    const server = await startServer({ args: ['--debug'] });
    try {
      const c = await connectOk(server);
      const sid = c.socketId.replace('.', '\\.');
      await waitForOutput(server, new RegExp(`\\bconnected\\b.*${sid}`));
      await c.subscribe('orders');
      await waitForOutput(server, new RegExp(`\\bsubscribed\\b.*${sid}.*orders|\\bsubscribed\\b.*orders.*${sid}`));
      const res = await apiRequest(server, defaultApp, 'POST', '/events', { body: { name: 'debug-event', data: '{"x":1}', channel: 'orders' } });
      assert.equal(res.status, 200, res.text);
      await waitForOutput(server, /api_message\b.*orders.*debug-event|api_message\b.*debug-event.*orders/);
      await c.close();
      await waitForOutput(server, new RegExp(`disconnected\\b.*${sid}`));
    } finally {
      await server.stop();
    }
  });

  test('without --debug no per-connection lines are printed', async () => {
    const server = await startServer();
    try {
      const c = await connectOk(server);
      await c.subscribe('orders');
      assert.deepEqual(await c.sync(), []);
      await c.close();
      assert.doesNotMatch(server.output(), /subscribed\b.*orders/);
    } finally {
      await server.stop();
    }
  });

  test('SIGTERM: connected clients get pusher:error 4200 and close 4200; the process exits 0 (8.5, 10.11 #157)', async () => {
    const server = await startServer();
    const a = await connectOk(server);
    const b = await connectOk(server);
    await a.subscribe('orders');
    // Keep the harness from terminating these clients itself in stop().
    server.clients.delete(a);
    server.clients.delete(b);
    const exit = server.stop(); // sends SIGTERM, waits for the exit
    for (const c of [a, b]) {
      const err = await c.nextEvent('pusher:error');
      assert.equal(typeof err.data, 'object', err.__raw);
      assert.equal(err.data.code, 4200, err.__raw);
      assert.equal(typeof err.data.message, 'string', err.__raw);
      const ci = await c.closedWithin();
      assert.equal(ci.code, 4200, `close code; frames:\n${c.seen()}`);
    }
    const info = await exit;
    assert.deepEqual(info, { code: 0, signal: null }, `exit status\noutput:\n${server.output()}`);
  });
});
