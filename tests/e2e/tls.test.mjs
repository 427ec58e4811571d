// TLS served directly by pws ([server.tls] cert / key / passphrase): wss:// handshakes, signed
// HTTPS API calls, pusher-js with forceTLS, and an encrypted private key. Certificates are
// self-signed, generated per run with openssl in a temporary directory; the whole file is skipped
// when openssl is not installed.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import Pusher from 'pusher-js';
import {
  startServer, defaultApp, RawClient, DEFAULT_QUERY, DEFAULT_TIMEOUT_MS, dataOf, subscribePrivate,
} from './lib/harness.mjs';
import { apiRequest, plainRequest } from './lib/http.mjs';

const app = defaultApp;
const opensslVersion = spawnSync('openssl', ['version'], { encoding: 'utf8' });
const haveOpenssl = !opensslVersion.error && opensslVersion.status === 0;

function openssl(args, cwd) {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8', timeout: 60000 });
  if (r.error || r.status !== 0) {
    throw new Error(`openssl ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stderr}`);
  }
}

/** Opens wss://127.0.0.1:port/app/key and resolves with a RawClient once the first frame arrived. */
async function connectTls(server, key = app.key) {
  const url = `wss://127.0.0.1:${server.port}/app/${key}?${DEFAULT_QUERY}`;
  const ws = new WebSocket(url, { rejectUnauthorized: false, handshakeTimeout: DEFAULT_TIMEOUT_MS, perMessageDeflate: false });
  const client = new RawClient(ws);
  client.url = url;
  server.clients.add(client);
  client.closed.then(() => server.clients.delete(client));
  const opened = new Promise((resolve, reject) => {
    ws.once('error', (e) => reject(new Error(`wss error on ${url}: ${e.message}`)));
    ws.once('unexpected-response', (req, res) => { res.resume(); reject(new Error(`wss upgrade answered HTTP ${res.statusCode}`)); });
    client.next(() => true).then(resolve, reject);
  });
  const first = await opened;
  client.first = first;
  if (first.event === 'pusher:connection_established') {
    client.established = dataOf(first);
    client.socketId = client.established.socket_id;
  }
  return client;
}

describe('TLS ([server.tls])', { skip: haveOpenssl ? false : 'openssl not found' }, () => {
  let dir;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'pws-tls-'));
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem',
      '-days', '1', '-subj', '/CN=localhost'], dir);
    // The same key, encrypted with AES-256 under the passphrase "secret".
    openssl(['pkey', '-in', 'key.pem', '-aes256', '-passout', 'pass:secret', '-out', 'key-enc.pem'], dir);
  });
  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  describe('certificate and key', () => {
    let server;
    before(async () => {
      server = await startServer({ server: { tls: { cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem') } } });
    });
    after(async () => { await server?.stop(); });

    test('the server says it listens with TLS', () => {
      assert.match(server.output(), /listening on 127\.0\.0\.1:\d+.*tls/i);
    });

    test('a wss:// client gets pusher:connection_established', async () => {
      const c = await connectTls(server);
      assert.equal(c.first.event, 'pusher:connection_established', `first frame: ${c.first.__raw}`);
      assert.match(c.socketId, /^\d+\.\d+$/);
      assert.equal((await c.subscribe('orders')).event, 'pusher_internal:subscription_succeeded');
      assert.deepEqual(await c.sync(), []);
      c.close();
    });

    test('the certificate served is ours (CN=localhost)', async () => {
      const { default: tls } = await import('node:tls');
      const cert = await new Promise((resolve, reject) => {
        const sock = tls.connect({ host: '127.0.0.1', port: server.port, rejectUnauthorized: false, servername: 'localhost' }, () => {
          const c = sock.getPeerCertificate();
          sock.end();
          resolve(c);
        });
        sock.setTimeout(DEFAULT_TIMEOUT_MS, () => { sock.destroy(); reject(new Error('TLS handshake timed out')); });
        sock.once('error', reject);
      });
      assert.equal(cert.subject?.CN, 'localhost');
    });

    test('a signed HTTPS trigger is delivered to a wss:// subscriber', async () => {
      const c = await connectTls(server);
      assert.equal((await subscribePrivate(c, app, 'private-orders.42')).event, 'pusher_internal:subscription_succeeded');
      const res = await apiRequest(server, app, 'POST', '/events', {
        body: { name: 'shipped', data: '{"id":42}', channel: 'private-orders.42' }, tls: true, rejectUnauthorized: false,
      });
      assert.ok(res.url.startsWith('https://'), res.url);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.text, '{}');
      const f = await c.nextEvent('shipped', 'private-orders.42');
      assert.equal(f.__raw, '{"event":"shipped","data":"{\\"id\\":42}","channel":"private-orders.42"}');
      const list = await apiRequest(server, app, 'GET', '/channels', { tls: true, rejectUnauthorized: false });
      assert.equal(list.status, 200, list.text);
      assert.deepEqual(list.json, { channels: { 'private-orders.42': {} } });
      const up = await plainRequest(server, 'GET', '/up', { tls: true, rejectUnauthorized: false });
      assert.equal(up.status, 200, up.text);
      c.close();
    });

    test('an HTTPS request with a bad signature is still refused with 401', async () => {
      const res = await apiRequest(server, { ...app, secret: 'wrong' }, 'GET', '/channels', { tls: true, rejectUnauthorized: false });
      assert.equal(res.status, 401, res.text);
    });

    test('pusher-js with forceTLS and wssPort connects and receives an event', async () => {
      const previous = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0'; // self-signed certificate
      const pusher = new Pusher(app.key, {
        wsHost: '127.0.0.1', wsPort: server.port, wssPort: server.port, forceTLS: true,
        enabledTransports: ['ws', 'wss'], cluster: 'mt1', disableStats: true,
      });
      try {
        await new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`pusher-js did not connect over TLS within ${DEFAULT_TIMEOUT_MS} ms (state ${pusher.connection.state})`)), DEFAULT_TIMEOUT_MS);
          pusher.connection.bind('connected', () => { clearTimeout(timer); resolve(); });
        });
        assert.match(pusher.connection.socket_id, /^\d+\.\d+$/);
        const channel = pusher.subscribe('tls-orders');
        await new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('subscription over TLS timed out')), DEFAULT_TIMEOUT_MS);
          channel.bind('pusher:subscription_succeeded', () => { clearTimeout(timer); resolve(); });
        });
        const got = new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('event over TLS timed out')), DEFAULT_TIMEOUT_MS);
          channel.bind('hello', (d) => { clearTimeout(timer); resolve(d); });
        });
        const res = await apiRequest(server, app, 'POST', '/events', {
          body: { name: 'hello', data: '{"tls":true}', channel: 'tls-orders' }, tls: true, rejectUnauthorized: false,
        });
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(await got, { tls: true });
      } finally {
        pusher.disconnect();
        if (previous === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
        else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previous;
      }
    });
  });

  describe('encrypted private key', () => {
    test('a key protected by a passphrase works with passphrase in the config', async () => {
      const server = await startServer({
        server: { tls: { cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key-enc.pem'), passphrase: 'secret' } },
      });
      try {
        const c = await connectTls(server);
        assert.equal(c.first.event, 'pusher:connection_established', `first frame: ${c.first.__raw}`);
        const res = await apiRequest(server, app, 'GET', '/channels', { tls: true, rejectUnauthorized: false });
        assert.equal(res.status, 200, res.text);
        c.close();
      } finally {
        await server.stop();
      }
    });

    // (No test without any passphrase: OpenSSL may then prompt on the controlling terminal.)
    test('a wrong passphrase makes pws exit non-zero instead of serving', async () => {
      await assert.rejects(
        startServer({ server: { tls: { cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key-enc.pem'), passphrase: 'wrong' } } }),
        (e) => /exited \(code [1-9]/.test(e.message) || assert.fail(`expected a non-zero exit before listening, got: ${e.message}`),
      );
    });

    test('a missing certificate file is an error naming the file', async () => {
      const missing = path.join(dir, 'nope.pem');
      await assert.rejects(
        startServer({ server: { tls: { cert: missing, key: path.join(dir, 'key.pem') } } }),
        // Only pws's own output counts (the harness message also quotes the config).
        (e) => (/exited \(code [1-9]/.test(e.message) && e.message.split('\noutput:\n').pop().includes('nope.pem')) ||
          assert.fail(`expected a non-zero exit naming nope.pem, got: ${e.message}`),
      );
    });
  });

  describe('certificate renewal (SIGHUP)', () => {
    /** The subject CN of the certificate a new TLS handshake gets. */
    async function servedCN(server) {
      const { default: tls } = await import('node:tls');
      return new Promise((resolve, reject) => {
        const sock = tls.connect({ host: '127.0.0.1', port: server.port, rejectUnauthorized: false, servername: 'localhost' }, () => {
          const cn = sock.getPeerCertificate().subject?.CN;
          sock.end();
          resolve(cn);
        });
        sock.setTimeout(DEFAULT_TIMEOUT_MS, () => { sock.destroy(); reject(new Error('TLS handshake timed out')); });
        sock.once('error', reject);
      });
    }

    async function outputMatching(server, pattern, ms = DEFAULT_TIMEOUT_MS) {
      const deadline = Date.now() + ms;
      while (!pattern.test(server.output())) {
        if (Date.now() > deadline) throw new Error(`server output never matched ${pattern}:\n${server.output()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }

    test('SIGHUP installs renewed files; open connections stay; a broken pair is refused and the old kept (issue 9)', async () => {
      const renewDir = mkdtempSync(path.join(tmpdir(), 'pws-tls-renew-'));
      try {
        openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem',
          '-days', '1', '-subj', '/CN=first'], renewDir);
        const server = await startServer({ server: { tls: { cert: path.join(renewDir, 'cert.pem'), key: path.join(renewDir, 'key.pem') } } });
        try {
          assert.equal(await servedCN(server), 'first');
          const open = await connectTls(server);
          assert.equal((await open.subscribe('renewal')).event, 'pusher_internal:subscription_succeeded');

          // Renewed in place, as certbot does, with another key type.
          openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
            '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '2', '-subj', '/CN=second'], renewDir);
          server.proc.kill('SIGHUP');
          await outputMatching(server, /reloaded the TLS certificate .*CN=second/);
          assert.equal(await servedCN(server), 'second');
          assert.equal(open.closeInfo, null, 'a connection made with the old certificate stays open');
          const res = await apiRequest(server, app, 'POST', '/events', {
            body: { name: 'after-renewal', channel: 'renewal', data: '{}' }, tls: true, rejectUnauthorized: false,
          });
          assert.equal(res.status, 200);
          assert.equal((await open.nextEvent('after-renewal', 'renewal')).event, 'after-renewal');

          // A key that does not match the certificate: refused, the running pair kept.
          openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other-key.pem', '-out', 'cert.pem',
            '-days', '1', '-subj', '/CN=third'], renewDir);
          server.proc.kill('SIGHUP');
          await outputMatching(server, /cannot reload the TLS certificate .*still serving the previous one/);
          assert.equal(await servedCN(server), 'second');
          open.close();
        } finally {
          await server.stop();
        }
      } finally {
        rmSync(renewDir, { recursive: true, force: true });
      }
    });
  });
});
