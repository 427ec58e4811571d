// A real Redis for the cluster suites (issue 7): `redis-server` (Debian package redis-server,
// /usr/bin/redis-server, installed by `make test` and in CI) on a free loopback port, without
// persistence, in the foreground. startRedis() resolves once it logged "Ready to accept
// connections"; kill() (SIGKILL) and start() / restart() on the same port let a test take Redis
// away from running pws nodes and give it back. Every redis-server still running when the test
// process exits is killed, like harness.mjs does for pws.
//
// A missing redis-server is a failure, not a skip: the cluster suites must not pass silently on
// a machine that cannot run them.
//
// Used by cluster.test.mjs and cluster_recovery.test.mjs (through lib/cluster.mjs).

import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort } from './harness.mjs';
import { TIME_FACTOR } from './timing.mjs';

/** The redis-server binary: $REDIS_SERVER, else the first redis-server on PATH, else /usr/bin/redis-server. */
export function redisServerPath() {
  if (process.env.REDIS_SERVER) return process.env.REDIS_SERVER;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).concat('/usr/bin', '/usr/sbin')) {
    if (!dir) continue;
    const candidate = path.join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch { /* not here */ }
  }
  return undefined;
}

const MISSING = 'redis-server not found (set $REDIS_SERVER or install the Debian package: ' +
  'sudo apt-get install redis-server; `make test` installs it). The cluster tests (issue 7) need a real Redis.';

const liveProcs = new Set();
process.on('exit', () => {
  for (const p of liveProcs) {
    try { p.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

/** Spawns redis-server on `port`; resolves with { proc, exited, output } once it is ready. */
function spawnRedis(bin, port, timeoutMs, extraArgs = []) {
  const argv = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--daemonize', 'no', '--protected-mode', 'no', '--loglevel', 'notice', ...extraArgs];
  const proc = spawn(bin, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  liveProcs.add(proc);
  let output = '';
  const exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      liveProcs.delete(proc);
      resolve({ code, signal });
    });
  });
  const ready = new Promise((resolve, reject) => {
    let done = false;
    const finish = (fn, v) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      fn(v);
    };
    const onData = (d) => {
      output += d;
      if (/Ready to accept connections/.test(output)) finish(resolve);
    };
    proc.stdout.setEncoding('utf8');
    proc.stderr.setEncoding('utf8');
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('error', (err) => finish(reject, new Error(err.code === 'ENOENT' ? MISSING : `redis-server: ${err.message}`)));
    const timer = setTimeout(() => {
      try { proc.kill('SIGKILL'); } catch { /* ignore */ }
      finish(reject, new Error(`redis-server did not log "Ready to accept connections" within ${timeoutMs} ms\n` +
        `command: ${bin} ${argv.join(' ')}\noutput:\n${output}`));
    }, timeoutMs);
    exited.then((e) => finish(reject, Object.assign(new Error(
      `redis-server exited (code ${e.code}, signal ${e.signal}) before it was ready\n` +
      `command: ${bin} ${argv.join(' ')}\noutput:\n${output}`), { addressInUse: /Address already in use/i.test(output) })));
  });
  return { proc, exited, ready, output: () => output };
}

/**
 * Starts redis-server on a free loopback port (or `port`). Resolves with
 *   { url, port, output(), running(), kill(), stop(), start(), restart(), command(...args) }
 *  - kill(): SIGKILL, resolves once it is gone (a crash: nothing is said to the clients)
 *  - stop(): SIGTERM (an orderly shutdown), resolves once it is gone
 *  - start(): starts it again on the same port (after kill/stop), resolves once ready
 *  - restart(): kill() then start()
 *  - command(...args): sends one command (RESP), resolves with the reply (see redisCommand)
 * `args` are passed on to redis-server (e.g. ['--requirepass', 'secret']); `password` is what
 * command() authenticates with. Fails (never skips) when redis-server is missing.
 */
export async function startRedis({ port: fixedPort, args = [], password, timeoutMs = 10000 * TIME_FACTOR } = {}) {
  const bin = redisServerPath();
  if (!bin) throw new Error(MISSING);
  let port = fixedPort;
  let current;
  for (let attempt = 1; ; attempt++) {
    port = fixedPort ?? await freePort();
    current = spawnRedis(bin, port, timeoutMs, args);
    try {
      await current.ready;
      break;
    } catch (err) {
      // Another process took the probed port between freePort() and the bind: probe again.
      if (fixedPort === undefined && err.addressInUse && attempt < 5) continue;
      throw err;
    }
  }
  let history = '';

  const redis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    /** Everything every incarnation of this redis-server printed. */
    output: () => history + current.output(),
    running: () => liveProcs.has(current.proc),
    async kill() {
      if (liveProcs.has(current.proc)) current.proc.kill('SIGKILL');
      await current.exited;
    },
    async stop() {
      if (liveProcs.has(current.proc)) {
        current.proc.kill('SIGTERM');
        const t = setTimeout(() => { try { current.proc.kill('SIGKILL'); } catch { /* ignore */ } }, 5000);
        await current.exited;
        clearTimeout(t);
      }
    },
    async start() {
      if (liveProcs.has(current.proc)) throw new Error(`redis-server on port ${port} is still running`);
      history += current.output();
      // The port was just released by the old process; redis-server binds with SO_REUSEADDR.
      current = spawnRedis(bin, port, timeoutMs, args);
      await current.ready;
    },
    async restart() {
      await redis.kill();
      await redis.start();
    },
    command: (...command) => redisCommand(port, command, { password }),
  };
  return redis;
}

// ---- a minimal RESP client, for checks and for disturbing the nodes on purpose ----------------

function encodeCommand(args) {
  const parts = [`*${args.length}\r\n`];
  for (const a of args) {
    const b = Buffer.from(String(a), 'utf8');
    parts.push(`$${b.length}\r\n`, b, '\r\n');
  }
  return Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p, 'utf8'))));
}

/** Parses one RESP reply at `offset`; returns [value, nextOffset] or undefined when incomplete. */
function parseReply(buf, offset = 0) {
  const eol = buf.indexOf('\r\n', offset);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[offset]);
  const line = buf.toString('utf8', offset + 1, eol);
  const next = eol + 2;
  switch (type) {
    case '+': return [line, next];
    case '-': return [Object.assign(new Error(line), { redisError: true }), next];
    case ':': return [Number(line), next];
    case '$': {
      const n = Number(line);
      if (n < 0) return [null, next];
      if (buf.length < next + n + 2) return undefined;
      return [buf.toString('utf8', next, next + n), next + n + 2];
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return [null, next];
      const items = [];
      let at = next;
      for (let i = 0; i < n; i++) {
        const r = parseReply(buf, at);
        if (!r) return undefined;
        items.push(r[0]);
        at = r[1];
      }
      return [items, at];
    }
    default: throw new Error(`unexpected RESP reply: ${JSON.stringify(buf.toString('utf8', offset))}`);
  }
}

/**
 * Sends one command to the Redis on 127.0.0.1:port over a fresh connection and resolves with its
 * reply (string, number, null, array; a Redis error reply rejects). Bounded by timeoutMs.
 */
export function redisCommand(port, args, { password, timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (fn, v) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      fn(v);
    };
    const timer = setTimeout(() => finish(reject, new Error(`redis ${args.join(' ')}: no reply within ${timeoutMs} ms`)), timeoutMs);
    // With a password, AUTH goes first (pipelined); its reply is checked and skipped.
    socket.on('connect', () => socket.write(password === undefined ? encodeCommand(args)
      : Buffer.concat([encodeCommand(['AUTH', password]), encodeCommand(args)])));
    let authed = password === undefined;
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const r = parseReply(buf);
        if (!r) return;
        buf = buf.subarray(r[1]);
        if (r[0] instanceof Error) return finish(reject, r[0]);
        if (authed) return finish(resolve, r[0]);
        authed = true;
      }
    });
    socket.on('error', (e) => finish(reject, new Error(`redis ${args.join(' ')}: ${e.message}`)));
    socket.on('close', () => finish(reject, new Error(`redis ${args.join(' ')}: connection closed before a reply`)));
  });
}
