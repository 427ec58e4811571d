// Helpers of the CLI suites: run the real `pws` binary as a command (not a server) with a
// controlled environment, and write the pws.toml a CLI user would have for a harness server.
//
// Commands run asynchronously (never spawnSync) so WebSocket clients of the same test keep
// receiving frames while the command runs. Every run is bounded by a timeout.

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PWS_BIN, renderConfig } from './harness.mjs';

/** Variables that would change which server or app the CLI picks; never inherited. */
const SCRUBBED = ['PUSHER_APP_ID', 'PUSHER_APP_KEY', 'PUSHER_APP_SECRET', 'PWS_URL', 'PWS_CONFIG', 'XDG_CONFIG_HOME', 'NO_COLOR'];

/** A scratch directory (HOME, cwd and config files of one suite); remove it with rmScratch. */
export function makeScratch(prefix = 'pws-cli-') {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  mkdirSync(path.join(dir, 'home'), { recursive: true });
  mkdirSync(path.join(dir, 'cwd'), { recursive: true });
  return dir;
}

export function rmScratch(dir) {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/**
 * Writes `<dir>/<name>` holding the harness server's apps and a [server] section that points at
 * its port, i.e. the file a user of that server would have. Returns its path.
 */
export function writeCliConfig(dir, server, { apps = server.apps, serverSection = {}, name = 'pws.toml' } = {}) {
  const file = path.join(dir, name);
  const section = { host: '127.0.0.1', port: server.port, ...serverSection };
  if (server.pathPrefix && section.path_prefix === undefined) section.path_prefix = server.pathPrefix;
  writeFileSync(file, renderConfig({ server: section, apps }), { mode: 0o600 });
  return file;
}

/**
 * Runs `pws ...args`. Resolves with { code, signal, stdout, stderr, command }.
 * Options:
 *  - scratch: directory from makeScratch (HOME=<scratch>/home, cwd=<scratch>/cwd)
 *  - env: extra variables (undefined values unset a variable)
 *  - bareEnv: start from nothing but these variables (cron-like), instead of process.env
 *  - input: string written to stdin; without it stdin is /dev/null (not a terminal)
 *  - timeoutMs: kill after this long (default 20 s) and reject
 */
export function runPws(args, { scratch, env = {}, bareEnv, input, timeoutMs = 20000, cwd } = {}) {
  let base;
  if (bareEnv) {
    base = { ...bareEnv };
  } else {
    base = { ...process.env };
    for (const name of SCRUBBED) delete base[name];
    if (scratch) base.HOME = path.join(scratch, 'home');
  }
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete base[k];
    else base[k] = v;
  }
  const workdir = cwd ?? (scratch ? path.join(scratch, 'cwd') : undefined);
  const command = `${PWS_BIN} ${args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')}`;
  return new Promise((resolve, reject) => {
    const proc = spawn(PWS_BIN, args, {
      cwd: workdir,
      env: base,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8');
    proc.stderr.setEncoding('utf8');
    proc.stdout.on('data', (d) => { stdout += d; });
    proc.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => {
      try { proc.kill('SIGKILL'); } catch { /* gone */ }
      reject(new Error(`${command} did not finish within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    proc.on('error', (err) => { clearTimeout(timer); reject(err); });
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, command });
    });
    if (input !== undefined) {
      proc.stdin.on('error', () => { /* the command may exit before reading everything */ });
      proc.stdin.end(input);
    }
  });
}

/** Text describing a run, for assertion messages. */
export function describeRun(r) {
  return `${r.command}\nexit ${r.code}${r.signal ? ` (signal ${r.signal})` : ''}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
}
