// Helpers of the `pws apps` suite: run the pws CLI to completion in a throw-away HOME /
// XDG_CONFIG_HOME / working directory (so nothing ever touches the real home or a config
// of the machine), and parse what it prints.

import { mkdtempSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runPws as runCli, describeRun } from './cli.mjs';

export const RUN_TIMEOUT_MS = 15000;

const sandboxes = [];

/** A fresh directory tree: { root, home, xdg, cwd, userConfig } (userConfig is not created). */
export function sandbox() {
  const root = mkdtempSync(path.join(tmpdir(), 'pws-apps-'));
  sandboxes.push(root);
  const xdg = path.join(root, 'xdg');
  const cwd = path.join(root, 'work');
  mkdirSync(xdg, { recursive: true });
  mkdirSync(cwd, { recursive: true });
  return { root, home: root, xdg, cwd, userConfig: path.join(xdg, 'pws', 'pws.toml') };
}

/** Removes every sandbox made so far (call from `after`). */
export function removeSandboxes() {
  for (const d of sandboxes.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** The test's environment minus every pws / Pusher variable, pointed at the sandbox, plus `extra`. */
export function cleanEnv(box, extra = {}) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (k === 'PWS_CONFIG' || k === 'PWS_URL' || k.startsWith('PUSHER_APP_') || k === 'NO_COLOR') delete env[k];
  }
  return { ...env, HOME: box.home, XDG_CONFIG_HOME: box.xdg, ...extra };
}

/**
 * Runs `pws ...args` to completion (cli.mjs's runPws with the sandbox's environment and working
 * directory). Resolves with { code, signal, stdout, stderr, command, describe() }; rejects if it
 * is still running after timeoutMs (it is killed then).
 */
export async function runPws(args, { box, env = {}, cwd, timeoutMs = RUN_TIMEOUT_MS } = {}) {
  const r = await runCli(args, { bareEnv: cleanEnv(box, env), cwd: cwd ?? box.cwd, timeoutMs });
  return { ...r, describe: () => describeRun(r) };
}

/** Runs pws and asserts exit status 0; resolves with the result. */
export async function runOk(args, opts) {
  const r = await runPws(args, opts);
  if (r.code !== 0) throw new Error(`expected exit status 0, got ${r.code}\n${r.describe()}`);
  return r;
}

/** `NAME=value` lines -> { NAME: value }; throws on any other line. */
export function parseEnvLines(text) {
  const out = {};
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = /^([A-Z_]+)=(.*)$/.exec(line);
    if (!m) throw new Error(`not a NAME=value line: ${JSON.stringify(line)} in\n${text}`);
    out[m[1]] = m[2];
  }
  return out;
}

/** `key: value` lines (values aligned with spaces) -> { key: value }. */
export function parseFields(text) {
  const out = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const m = /^\s*([A-Za-z_]+):\s+(.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/** An aligned table (header row + rows, columns separated by 2+ spaces) -> array of row objects. */
export function parseTable(text) {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return [];
  const split = (l) => l.trim().split(/ {2,}/);
  const header = split(lines[0]);
  return lines.slice(1).map((l) => Object.fromEntries(split(l).map((cell, i) => [header[i], cell])));
}

/** Permission bits of a file. */
export function modeOf(file) {
  return statSync(file).mode & 0o777;
}
