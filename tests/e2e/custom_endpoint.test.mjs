// Embedding pws as a library with an application-defined WebSocket endpoint: the example
// examples/chat_server.cpp serves a chat room at /chat next to the Pusher endpoint /app/{key}
// and the HTTP API on the same port. Protocol of /chat: {"welcome":<id>} on open; every text
// message is relayed to all /chat clients as {"from":<id>,"text":<message>}.
// Unknown upgrade paths still get pusher:error 4005 and close 4005 (10.1 #13).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  E2E_DIR, DEFAULT_QUERY, connect, connectOk, assertRefused, defaultApp,
} from './lib/harness.mjs';
import { apiRequest } from './lib/http.mjs';

const EXAMPLE_BIN = path.resolve(E2E_DIR, process.env.PWS_EXAMPLE_BIN || '../../build/examples/pws_example_chat');

/** Spawns the example on an ephemeral port; resolves with a harness-compatible server object. */
async function startExample() {
  const dir = mkdtempSync(path.join(tmpdir(), 'pws-chat-'));
  const args = ['--port', '0', '--host', '127.0.0.1'];
  const proc = spawn(EXAMPLE_BIN, args, {
    cwd: dir,
    env: { ...process.env, HOME: dir, XDG_CONFIG_HOME: path.join(dir, 'xdg') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let exitInfo = null;
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => { exitInfo = { code, signal }; resolve(exitInfo); }));
  proc.on('error', (e) => { output += `\n[spawn error] ${e.message}\n`; });
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  const port = await new Promise((resolve, reject) => {
    const scan = () => {
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (m && Number(m[1]) > 0) { clearTimeout(timer); resolve(Number(m[1])); }
    };
    proc.stdout.on('data', (d) => { output += d; scan(); });
    proc.stderr.on('data', (d) => { output += d; scan(); });
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${EXAMPLE_BIN} did not print "listening on 127.0.0.1:<port>" within 10 s\noutput:\n${output}`));
    }, 10000);
    exited.then((e) => { clearTimeout(timer); reject(new Error(`${EXAMPLE_BIN} exited (${JSON.stringify(e)}) before listening\noutput:\n${output}`)); });
  });
  const clients = new Set();
  return {
    host: '127.0.0.1',
    port,
    apps: [defaultApp],
    pathPrefix: '',
    httpUrl: `http://127.0.0.1:${port}`,
    wsUrl: (key = defaultApp.key, query = DEFAULT_QUERY) => `ws://127.0.0.1:${port}/app/${key}${query ? `?${query}` : ''}`,
    clients,
    proc,
    output: () => output,
    async stop() {
      for (const c of clients) c.terminate();
      if (!exitInfo) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => { try { proc.kill('SIGKILL'); } catch { /* gone */ } }, 5000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
      return exitInfo;
    },
  };
}

const isChat = (f) => 'from' in f;

describe('custom WebSocket endpoint (examples/chat_server.cpp)', () => {
  let server;
  before(async () => { server = await startExample(); });
  after(async () => { await server?.stop(); });

  /** Connects to /chat and returns the client with its welcome id. */
  async function joinChat() {
    const c = await connect(server, { path: '/chat' });
    assert.equal(typeof c.first?.welcome, 'number', `first frame on /chat must be {"welcome":<id>}, got ${c.first?.__raw}`);
    assert.deepEqual(Object.keys(c.first), ['welcome']);
    c.chatId = c.first.welcome;
    return c;
  }

  test('two /chat clients get a welcome and exchange messages, relayed to every member', async () => {
    const a = await joinChat();
    const b = await joinChat();
    assert.notEqual(a.chatId, b.chatId, 'each chat client has its own id');

    a.send('hello from a');
    for (const c of [a, b]) {
      const f = await c.next(isChat);
      assert.equal(f.__raw, JSON.stringify({ from: a.chatId, text: 'hello from a' }));
    }
    const tricky = 'quotes " backslash \\ newline \n unicode é €';
    b.send(tricky);
    for (const c of [a, b]) {
      const f = await c.next(isChat);
      assert.deepEqual({ from: f.from, text: f.text }, { from: b.chatId, text: tricky });
    }
    // No Pusher frames on the custom endpoint.
    assert.ok(!a.frames.some((f) => 'event' in f), `unexpected Pusher frame on /chat:\n${a.seen()}`);

    // After a leaves, b still chats alone.
    await a.close();
    b.send('alone');
    const f = await b.next(isChat);
    assert.deepEqual({ from: f.from, text: f.text }, { from: b.chatId, text: 'alone' });
    b.close();
  });

  test('the Pusher endpoint /app/pws-key and the HTTP API still work on the same port', async () => {
    const chat = await joinChat();
    const p = await connectOk(server);
    assert.match(p.socketId, /^\d+\.\d+$/);
    assert.equal((await p.subscribe('orders')).event, 'pusher_internal:subscription_succeeded');
    const res = await apiRequest(server, defaultApp, 'POST', '/events', { body: { name: 'e', data: '{"x":1}', channel: 'orders' } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.text, '{}');
    const f = await p.nextEvent('e', 'orders');
    assert.equal(f.__raw, '{"event":"e","data":"{\\"x\\":1}","channel":"orders"}');
    // Chat traffic does not leak into the Pusher connection and vice versa.
    chat.send('ping?');
    await chat.next(isChat);
    assert.deepEqual(await p.sync(), []);
    assert.ok(!chat.frames.some((x) => 'event' in x), `Pusher frame on /chat:\n${chat.seen()}`);
    p.close();
    chat.close();
  });

  test('an unknown path gets pusher:error 4005 and close 4005 (10.1 #13)', async () => {
    // 10.1 #13 would also allow an HTTP 404; pws answers the Pusher way, also next to custom routes.
    for (const p of ['/nope', '/chatroom', '/chat/x', '/app']) {
      const c = await connect(server, { path: p });
      await assertRefused(c, 4005);
    }
  });
});

test('a custom endpoint with several event loops is refused at start, naming the setting', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pws-chat-'));
  const config = path.join(dir, 'pws.toml');
  writeFileSync(config, '[server]\nevent_loops = 2\n\n[[apps]]\nid = "1001"\nkey = "pws-key"\nsecret = "pws-secret"\n', { mode: 0o600 });
  try {
    const proc = spawn(EXAMPLE_BIN, ['--config', config, '--port', '0', '--host', '127.0.0.1'], {
      cwd: dir, env: { ...process.env, HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout.on('data', (d) => { output += d; });
    proc.stderr.on('data', (d) => { output += d; });
    const code = await new Promise((resolve) => proc.on('exit', resolve));
    assert.notEqual(code, 0, output);
    assert.match(output, /event_loops = 1/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
