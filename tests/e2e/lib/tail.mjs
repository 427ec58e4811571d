// Runs `pws tail` in the background for the feed suites: spawns the real binary with a clean
// environment (like runPws), collects stdout lines and stderr, and lets a test wait for "the next
// line matching X" or for the process to end. Every wait is bounded; nothing sleeps to synchronise.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { PWS_BIN, DEFAULT_TIMEOUT_MS } from './harness.mjs';

const SCRUBBED = ['PUSHER_APP_ID', 'PUSHER_APP_KEY', 'PUSHER_APP_SECRET', 'PWS_URL', 'PWS_CONFIG', 'XDG_CONFIG_HOME', 'NO_COLOR'];

const live = new Set();
process.on('exit', () => {
  for (const p of live) {
    try { p.kill('SIGKILL'); } catch { /* gone */ }
  }
});

/**
 * Starts `pws ...args` (e.g. ['tail', '--json', '--config', file]) and returns a handle:
 *  - lines: every complete stdout line so far; stderr(): all of stderr so far
 *  - nextLine(predicate, { timeoutMs }): resolves with the first line so far (or to come) that
 *    matches predicate
 *  - waitStderr(regex, timeoutMs): resolves once stderr matches
 *  - exited: promise of { code, signal }; stop(signal): sends it and resolves with the exit
 */
export function startTail(args, { scratch, env = {} } = {}) {
  const base = { ...process.env };
  for (const name of SCRUBBED) delete base[name];
  if (scratch) base.HOME = path.join(scratch, 'home');
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete base[k];
    else base[k] = v;
  }
  const proc = spawn(PWS_BIN, args, {
    cwd: scratch ? path.join(scratch, 'cwd') : undefined,
    env: base,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(proc);
  const command = `${PWS_BIN} ${args.join(' ')}`;
  const lines = [];
  let partial = '';
  let stderr = '';
  const waiters = new Set();
  const notify = () => { for (const w of [...waiters]) w(); };
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stdout.on('data', (d) => {
    partial += d;
    const parts = partial.split('\n');
    partial = parts.pop();
    lines.push(...parts);
    notify();
  });
  proc.stderr.on('data', (d) => { stderr += d; notify(); });
  let exitInfo = null;
  const exited = new Promise((resolve) => {
    proc.on('close', (code, signal) => {
      live.delete(proc);
      exitInfo = { code, signal };
      notify();
      resolve(exitInfo);
    });
  });

  const describe = () => `${command}\n--- stdout\n${lines.join('\n')}${partial}\n--- stderr\n${stderr}` +
    (exitInfo ? `\n--- exited ${JSON.stringify(exitInfo)}` : '');

  /** Resolves when check() returns something other than undefined. */
  function waitFor(check, label, timeoutMs) {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        const v = check();
        if (v !== undefined) {
          waiters.delete(attempt);
          clearTimeout(timer);
          resolve(v);
        } else if (exitInfo) {
          waiters.delete(attempt);
          clearTimeout(timer);
          reject(new Error(`pws exited while waiting for ${label}\n${describe()}`));
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(attempt);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${label}\n${describe()}`));
      }, timeoutMs);
      waiters.add(attempt);
      attempt();
    });
  }

  const handle = {
    proc,
    lines,
    stderr: () => stderr,
    describe,
    exited,
    /** JSON objects of every stdout line so far (throws on a line that is not JSON). */
    json() {
      return lines.map((l) => {
        try { return JSON.parse(l); } catch { throw new Error(`stdout line is not JSON: ${l}\n${describe()}`); }
      });
    },
    nextLine(predicate, { timeoutMs = DEFAULT_TIMEOUT_MS, label = 'a matching line' } = {}) {
      return waitFor(() => {
        return lines.find((l) => predicate(l));
      }, label, timeoutMs);
    },
    /** Like nextLine, on the parsed JSON object of each line. */
    nextEvent(predicate, opts = {}) {
      return handle.nextLine((l) => {
        try { return predicate(JSON.parse(l)); } catch { return false; }
      }, opts).then((l) => JSON.parse(l));
    },
    waitStderr(regex, { timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
      return waitFor(() => (regex.test(stderr) ? stderr : undefined), `stderr matching ${regex}`, timeoutMs);
    },
    waitExit(timeoutMs = DEFAULT_TIMEOUT_MS) {
      return waitFor(() => exitInfo ?? undefined, 'the process to exit', timeoutMs);
    },
    async stop(signal = 'SIGINT', timeoutMs = DEFAULT_TIMEOUT_MS) {
      if (!exitInfo) proc.kill(signal);
      try {
        return await handle.waitExit(timeoutMs);
      } finally {
        if (!exitInfo) proc.kill('SIGKILL');
      }
    },
  };
  return handle;
}
