// HTTP API end to end: protocol reference sections 5 and 9.5 (health endpoints), checklist
// 10.8 (#108–#120, authentication) and 10.9 (#121–#147, endpoints), plus terminate_connections
// (10.6 #92, #93). Subscribers are raw WebSocket clients of the harness.
//
// "Nothing was published" is proven without sleeping: after the rejected request a marker event
// is published to the same channel, and the next event the subscriber sees must be the marker.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  startServer, connectOk, defaultApp, subscribePresence, subscribePrivate, signin, E2E_DIR,
} from './lib/harness.mjs';
import {
  apiRequest, rawRequest, plainRequest, baseUrl, nowSeconds, describeResponse, sign,
} from './lib/http.mjs';

const app = defaultApp;
const disabledApp = { id: '2002', key: 'off-key', secret: 'off-secret', enabled: false };
let seq = 0;
const fresh = (base) => `${base}-${++seq}`;

// ---- assertions -------------------------------------------------------------------------

function assertJsonContentType(res) {
  assert.match(String(res.headers['content-type'] ?? ''), /^application\/json\b/i,
    `Content-Type must be application/json (10.9 #147): ${describeResponse(res)}`);
}

/** 200 with a JSON object body; returns the parsed body. */
function assertOk(res) {
  assert.equal(res.status, 200, describeResponse(res));
  assertJsonContentType(res);
  assert.ok(res.json !== null && typeof res.json === 'object' && !Array.isArray(res.json),
    `body must be a JSON object: ${describeResponse(res)}`);
  return res.json;
}

/** Error status with a JSON body {"error":<string>,"code":<status>} (10.8 #120). */
function assertError(res, status) {
  assert.equal(res.status, status, describeResponse(res));
  assertJsonContentType(res);
  assert.ok(res.json !== null && typeof res.json === 'object' && !Array.isArray(res.json),
    `error body must be a JSON object: ${describeResponse(res)}`);
  assert.equal(typeof res.json.error, 'string', `error member: ${describeResponse(res)}`);
  assert.ok(res.json.error.length > 0, `error member must explain: ${describeResponse(res)}`);
  assert.equal(res.json.code, status, `code member: ${describeResponse(res)}`);
}

/**
 * Runs `fn(nowSecond)` until the wall-clock second did not change while it ran (at most 5
 * tries), so "601 s in the future" really is 601 s from the server's point of view.
 */
async function atStableSecond(fn) {
  for (let i = 0; i < 5; i++) {
    const before = nowSeconds();
    const res = await fn(before);
    if (nowSeconds() === before) return res;
  }
  throw new Error('the clock second changed during each of 5 attempts');
}

const trigger = (server, body, opts = {}) => apiRequest(server, opts.app ?? app, 'POST', '/events', { body, ...opts });

/** Publishes a marker to `channel` and asserts it is the next event `client` sees there. */
async function assertNothingBeforeMarker(server, client, channel, what) {
  const marker = `marker-${++seq}`;
  assertOk(await trigger(server, { name: marker, data: '{}', channel }));
  const f = await client.next((x) => x.channel === channel && !String(x.event).startsWith('pusher'));
  assert.equal(f.event, marker, `${what}: expected the marker event first, got ${f.__raw}`);
}

// ---- 10.8 authentication -------------------------------------------------------------------

describe('HTTP API authentication (10.8)', () => {
  let server;
  before(async () => { server = await startServer({ apps: [defaultApp, disabledApp] }); });
  after(async () => { await server?.stop(); });

  test('a correctly signed request is accepted; the signature is over the unescaped sorted query (5.2)', async () => {
    const res = await apiRequest(server, app, 'GET', '/channels');
    assert.deepEqual(assertOk(res), { channels: {} });
    assert.match(res.signed, /^GET\n\/apps\/1001\/channels\nauth_key=pws-key&auth_timestamp=\d+&auth_version=1\.0$/);
  });

  test('auth_timestamp 601 s in the past or future is rejected with 401; 599 s is accepted (10.8 #110)', async () => {
    for (const offset of [-601, 601, -1000, 100000]) {
      const res = await atStableSecond((now) => apiRequest(server, app, 'GET', '/channels', { timestamp: now + offset }));
      assertError(res, 401);
    }
    for (const offset of [-599, 599, 0]) {
      const res = await atStableSecond((now) => apiRequest(server, app, 'GET', '/channels', { timestamp: now + offset }));
      assert.deepEqual(assertOk(res), { channels: {} }, `offset ${offset}`);
    }
    // A signed POST with a stale timestamp publishes nothing.
    const ch = fresh('orders');
    const c = await connectOk(server);
    await c.subscribe(ch);
    const res = await atStableSecond((now) => trigger(server, { name: 'stale', data: '{}', channel: ch }, { timestamp: now - 601 }));
    assertError(res, 401);
    await assertNothingBeforeMarker(server, c, ch, 'stale timestamp');
    c.close();
  });

  test('a non-integer auth_timestamp is rejected with 401 (5.3 step 5)', async () => {
    for (const ts of ['abc', '1700000000.5', '']) {
      assertError(await apiRequest(server, app, 'GET', '/channels', { timestamp: ts }), 401);
    }
  });

  test('a wrong auth_signature is rejected with 401 (10.8 #111)', async () => {
    const flip = (hex) => (hex[0] === '0' ? '1' : '0') + hex.slice(1);
    for (const mangle of [
      (s) => flip(s),
      (s) => s.slice(0, 63),
      () => sign('wrong-secret', 'GET', '/apps/1001/channels', {}),
      () => '',
    ]) {
      const res = await apiRequest(server, app, 'GET', '/channels', {
        tamper: (r) => { r.params.auth_signature = mangle(r.params.auth_signature); },
      });
      assertError(res, 401);
    }
    // Signed with the wrong method or path.
    assertError(await apiRequest(server, app, 'GET', '/channels', {
      tamper: (r) => { r.params.auth_signature = sign(app.secret, 'POST', r.path, { ...r.params, auth_signature: undefined }); },
    }), 401);
    assertError(await apiRequest(server, app, 'GET', '/channels/orders', {
      tamper: (r) => { r.params.auth_signature = sign(app.secret, 'GET', '/apps/1001/channels', { ...r.params, auth_signature: undefined }); },
    }), 401);
    // A request parameter added after signing.
    assertError(await apiRequest(server, app, 'GET', '/channels', {
      tamper: (r) => { r.params = { filter_by_prefix: 'presence-', ...r.params }; },
    }), 401);
  });

  test('missing auth_key, auth_timestamp or auth_signature is rejected with 401 (5.3 step 3)', async () => {
    for (const drop of ['auth_key', 'auth_timestamp', 'auth_signature']) {
      const res = await apiRequest(server, app, 'GET', '/channels', {
        tamper: (r) => { delete r.params[drop]; if (drop !== 'auth_signature') r.resign = true; },
      });
      assertError(res, 401);
    }
    const unsigned = await plainRequest(server, 'GET', '/apps/1001/channels');
    assertError(unsigned, 401);
    const unsignedPost = await plainRequest(server, 'POST', '/apps/1001/events', {
      headers: { 'content-type': 'application/json' }, body: '{"name":"e","data":"{}","channel":"orders"}',
    });
    assertError(unsignedPost, 401);
  });

  test('auth_version other than 1.0 is rejected with 401 (5.3 step 3)', async () => {
    const res = await apiRequest(server, app, 'GET', '/channels', {
      tamper: (r) => { r.params.auth_version = '2.0'; r.resign = true; },
    });
    assertError(res, 401);
  });

  test('an auth_key different from the app key is rejected with 401 (10.8 #112)', async () => {
    // Signed with the right secret, but announcing another key.
    for (const key of ['other-key', 'off-key', 'PWS-KEY', '']) {
      const res = await apiRequest(server, { ...app, key }, 'GET', '/channels');
      assertError(res, 401);
    }
    // Another app's full credentials against this app's id.
    assertError(await apiRequest(server, { ...disabledApp, id: '1001' }, 'GET', '/channels'), 401);
  });

  test('a POST whose body differs from the one hashed in body_md5 is rejected with 401 (10.8 #113)', async () => {
    const ch = fresh('orders');
    const c = await connectOk(server);
    await c.subscribe(ch);
    const res = await trigger(server, { name: 'signed', data: '{}', channel: ch }, {
      tamper: (r) => { r.bodyText = JSON.stringify({ name: 'forged', data: '{}', channel: ch }); },
    });
    assertError(res, 401);
    // Same bytes but one extra space.
    const spaced = await trigger(server, { name: 'signed', data: '{}', channel: ch }, {
      tamper: (r) => { r.bodyText = `${r.bodyText} `; },
    });
    assertError(spaced, 401);
    // A body_md5 that is not the MD5 of anything sent, correctly signed.
    const wrongMd5 = await trigger(server, { name: 'signed', data: '{}', channel: ch }, {
      tamper: (r) => { r.params.body_md5 = 'd41d8cd98f00b204e9800998ecf8427e'; r.resign = true; },
    });
    assertError(wrongMd5, 401);
    await assertNothingBeforeMarker(server, c, ch, 'body_md5 mismatch');
    c.close();
  });

  test('a POST with a non-empty body and no body_md5 is rejected with 401 (10.8 #114)', async () => {
    const ch = fresh('orders');
    const c = await connectOk(server);
    await c.subscribe(ch);
    const res = await trigger(server, { name: 'no-md5', data: '{}', channel: ch }, {
      tamper: (r) => { delete r.params.body_md5; r.resign = true; },
    });
    assertError(res, 401);
    await assertNothingBeforeMarker(server, c, ch, 'missing body_md5');
    c.close();
  });

  test('percent-encoded query values verify against the unescaped string to sign (10.8 #115)', async () => {
    const ch = fresh('presence-room');
    const c = await connectOk(server);
    await subscribePresence(c, app, ch, { user_id: '42' });
    // Default encoding escapes the comma (as Guzzle does).
    const escaped = await apiRequest(server, app, 'GET', `/channels/${ch}`, { query: { info: 'user_count,subscription_count' } });
    assert.match(escaped.url, /info=user_count%2Csubscription_count/);
    assert.match(escaped.signed, /&info=user_count,subscription_count$/);
    assert.deepEqual(assertOk(escaped), { occupied: true, user_count: 1, subscription_count: 1 });
    // Unescaped (as pusher-http-node sends it).
    const plain = await apiRequest(server, app, 'GET', `/channels/${ch}`, {
      query: { info: 'user_count,subscription_count' },
      tamper: (r) => { r.encode = (s) => String(s); },
    });
    assert.match(plain.url, /info=user_count,subscription_count/);
    assert.deepEqual(assertOk(plain), { occupied: true, user_count: 1, subscription_count: 1 });
    // Every character escaped, including unreserved ones.
    const allEscaped = await apiRequest(server, app, 'GET', '/channels', {
      query: { filter_by_prefix: 'presence-', info: 'user_count' },
      tamper: (r) => { r.encode = (s) => [...Buffer.from(String(s), 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''); },
    });
    assert.deepEqual(assertOk(allEscaped), { channels: { [ch]: { user_count: 1 } } });
    c.close();
  });

  test('query keys sent in upper case are lower-cased before sorting and signing (10.8 #116)', async () => {
    // Upper-case 'INFO' / 'Filter_By_Prefix' sort before 'auth_*' by bytes, after them once lower-cased.
    const ch = fresh('orders');
    const c = await connectOk(server);
    await c.subscribe(ch);
    const res = await apiRequest(server, app, 'GET', `/channels/${ch}`, { query: { INFO: 'subscription_count' } });
    assert.match(res.url, /[?&]INFO=subscription_count/);
    assert.match(res.signed, /&info=subscription_count$/);
    assertOk(res);
    assert.equal(res.json.occupied, true, describeResponse(res));
    const list = await apiRequest(server, app, 'GET', '/channels', { query: { Filter_By_Prefix: ch } });
    assertOk(list);
    c.close();
  });

  test('a percent-encoded path verifies whether the client signed it decoded or as sent (5.3 steps 7, 8)', async () => {
    const ch = fresh('private-a@b');
    const c = await connectOk(server);
    await subscribePrivate(c, app, ch);
    const encoded = ch.replace('@', '%40');
    // Signed over the decoded path, sent encoded.
    const decodedSigned = await apiRequest(server, app, 'GET', `/channels/${ch}`, {
      tamper: (r) => { r.path = r.path.replace('@', '%40'); },
    });
    assert.ok(decodedSigned.url.includes(encoded), decodedSigned.url);
    assert.deepEqual(assertOk(decodedSigned), { occupied: true });
    // Signed over the path exactly as sent (still percent-encoded).
    const rawSigned = await apiRequest(server, app, 'GET', `/channels/${encoded}`);
    assert.ok(rawSigned.signed.includes(`/channels/${encoded}\n`), rawSigned.signed);
    assert.deepEqual(assertOk(rawSigned), { occupied: true });
    c.close();
  });

  test('an unknown app id returns 404 with a JSON error (10.8 #118, #120)', async () => {
    assertError(await apiRequest(server, { ...app, id: '9999' }, 'GET', '/channels'), 404);
    assertError(await apiRequest(server, { ...app, id: '9999' }, 'POST', '/events', {
      body: { name: 'e', data: '{}', channel: 'orders' },
    }), 404);
    // The app key is not an app id.
    assertError(await apiRequest(server, { ...app, id: 'pws-key' }, 'GET', '/channels'), 404);
  });

  test('a disabled app returns 403 for authenticated requests and 401 for unauthenticated ones (10.8 #119)', async () => {
    assertError(await apiRequest(server, disabledApp, 'GET', '/channels'), 403);
    assertError(await apiRequest(server, disabledApp, 'POST', '/events', {
      body: { name: 'e', data: '{}', channel: 'orders' },
    }), 403);
    assertError(await apiRequest(server, { ...disabledApp, secret: 'wrong' }, 'GET', '/channels'), 401);
  });

  test('error responses are JSON objects with error and code (10.8 #120)', async () => {
    assertError(await apiRequest(server, app, 'GET', '/channels', { timestamp: 1 }), 401);
    assertError(await trigger(server, '{not json'), 400);
    assertError(await plainRequest(server, 'GET', '/no/such/route'), 404);
  });
});

describe('HTTP API signature test vectors (10.8 #108, #109)', () => {
  // The server clock cannot be set from outside, so the timestamp window is widened to
  // cover the vectors' timestamps (1353088179 and 1700000000); everything else is verified.
  const vectors = JSON.parse(readFileSync(path.join(E2E_DIR, '..', 'data', 'test-vectors.json'), 'utf8'));
  const docsApp = { id: vectors.apps.docs.app_id, key: vectors.apps.docs.key, secret: vectors.apps.docs.secret };
  let server;
  before(async () => {
    server = await startServer({ apps: [defaultApp, docsApp], server: { auth_timestamp_tolerance: 2147483647 } });
  });
  after(async () => { await server?.stop(); });

  test('our signer reproduces every http_api vector (self-check of lib/http.mjs)', () => {
    for (const v of vectors.http_api) {
      const params = { ...v.query_params };
      assert.equal(sign(v.secret, v.method, v.path, params), v.auth_signature, v.id);
    }
  });

  test('the Pusher documentation request is accepted (10.8 #108)', async () => {
    const v = vectors.http_api.find((x) => x.id === 'docs-trigger');
    const res = await rawRequest(`${baseUrl(server)}${v.request_target}`, {
      method: v.method, headers: { 'content-type': 'application/json' }, body: v.body,
    });
    assertOk(res);
    assert.equal(res.text, '{}');
  });

  test('every http_api vector verifies, sent byte for byte (10.8 #109)', async () => {
    for (const v of vectors.http_api) {
      const res = await rawRequest(`${baseUrl(server)}${v.request_target}`, {
        method: v.method,
        headers: v.body ? { 'content-type': 'application/json' } : {},
        body: v.body ?? undefined,
      });
      assert.equal(res.status, 200, `${v.id}: ${describeResponse(res)}`);
      assertJsonContentType(res);
    }
  });

  test('a vector with one signature digit changed is rejected with 401 (10.8 #111)', async () => {
    const v = vectors.http_api.find((x) => x.id === 'pws-get-channels');
    const target = v.request_target.replace(/auth_signature=(.)/, (m, d) => `auth_signature=${d === '0' ? '1' : '0'}`);
    assertError(await rawRequest(`${baseUrl(server)}${target}`), 401);
  });
});

describe('HTTP API under a path prefix (10.8 #117)', () => {
  let server;
  before(async () => { server = await startServer({ server: { path_prefix: '/pws' } }); });
  after(async () => { await server?.stop(); });

  test('a request signed over /apps/1001/… and sent to /pws/apps/1001/… is accepted (10.8 #117)', async () => {
    const ch = fresh('orders');
    const c = await connectOk(server);
    assert.match(c.url, /\/pws\/app\/pws-key/);
    await c.subscribe(ch);
    const res = await trigger(server, { name: 'prefixed', data: '{"p":1}', channel: ch });
    assert.ok(res.url.includes('/pws/apps/1001/events'), res.url);
    assert.match(res.signed, /^POST\n\/apps\/1001\/events\n/);
    assert.equal(assertOk(res) && res.text, '{}');
    const f = await c.nextEvent('prefixed', ch);
    assert.equal(f.__raw, JSON.stringify({ event: 'prefixed', data: '{"p":1}', channel: ch }));
    const list = await apiRequest(server, app, 'GET', '/channels');
    assert.deepEqual(assertOk(list), { channels: { [ch]: {} } });
    c.close();
  });

  test('a request signed over the full path including the prefix is also accepted (5.3 step 8)', async () => {
    const res = await apiRequest(server, app, 'GET', '/channels', {
      tamper: (r) => { r.params.auth_signature = sign(app.secret, 'GET', `/pws${r.path}`, { ...r.params, auth_signature: undefined }); },
    });
    assertOk(res);
  });

  test('the API is not served outside the prefix; health endpoints still answer at the bare path', async () => {
    assertError(await apiRequest(server, app, 'GET', '/channels', { prefix: '' }), 404);
    for (const p of ['/up', '/ready', '/pws/up']) {
      const res = await plainRequest(server, 'GET', p);
      assert.equal(res.status, 200, `${p}: ${describeResponse(res)}`);
    }
  });
});

describe('HTTP request body limit (5.1, 6: max_request_size_in_kb)', () => {
  let server;
  before(async () => { server = await startServer({ server: { max_request_size_in_kb: 1 } }); });
  after(async () => { await server?.stop(); });

  test('a body over max_request_size_in_kb gets 413 and the server keeps serving', async () => {
    const ch = fresh('orders');
    const c = await connectOk(server);
    await c.subscribe(ch);
    const big = { name: 'big', data: 'x'.repeat(2048), channel: ch };
    const res = await trigger(server, big);
    assertError(res, 413);
    // Checked before authentication (5.1 order of checks): a bad signature still gets 413.
    const unsigned = await plainRequest(server, 'POST', '/apps/1001/events', {
      headers: { 'content-type': 'application/json' }, body: JSON.stringify(big),
    });
    assertError(unsigned, 413);
    // A body just under the limit is fine.
    const small = await trigger(server, { name: 'small', data: 'y'.repeat(900), channel: ch });
    assert.equal(assertOk(small) && small.text, '{}');
    const f = await c.nextEvent('small', ch);
    assert.equal(f.data, 'y'.repeat(900));
    // Still serving: the WebSocket is open and new requests and connections work.
    assert.deepEqual(await c.sync(), []);
    assert.deepEqual(assertOk(await apiRequest(server, app, 'GET', '/channels')), { channels: { [ch]: {} } });
    const c2 = await connectOk(server);
    c2.close();
    c.close();
  });

  test('a chunked request body (no Content-Length) is answered: read (413 over the limit) or refused with 411', async () => {
    // RFC 9112 lets a server refuse a body without Content-Length with 411; what it must not do
    // is leave the request unanswered or publish an oversized body.
    const ch = fresh('orders');
    const c = await connectOk(server);
    await c.subscribe(ch);
    const small = await apiRequest(server, app, 'POST', '/events', {
      body: JSON.stringify({ name: 'chunked', data: '{}', channel: ch }),
      headers: { 'transfer-encoding': 'chunked' },
    });
    if (small.status === 411) {
      assertError(small, 411);
    } else {
      assertOk(small);
      await c.nextEvent('chunked', ch);
    }
    const big = await apiRequest(server, app, 'POST', '/events', {
      body: JSON.stringify({ name: 'big', data: 'z'.repeat(4096), channel: ch }),
      headers: { 'transfer-encoding': 'chunked' },
    });
    assert.ok(big.status === 413 || big.status === 411, describeResponse(big));
    assertError(big, big.status);
    await assertNothingBeforeMarker(server, c, ch, 'oversized chunked body');
    assertOk(await apiRequest(server, app, 'GET', '/channels'));
    c.close();
  });
});

describe('health endpoints and unknown routes (9.5)', () => {
  let server;
  before(async () => { server = await startServer(); });
  after(async () => { await server?.stop(); });

  test('GET /, /up and /ready answer 200 OK', async () => {
    for (const p of ['/', '/up', '/ready']) {
      const res = await plainRequest(server, 'GET', p);
      assert.equal(res.status, 200, `${p}: ${describeResponse(res)}`);
      assert.equal(res.text.trim(), 'OK', `${p}: ${describeResponse(res)}`);
    }
  });

  test('an unknown route returns 404 {"error":…,"code":404} (10.8 #120)', async () => {
    for (const p of ['/nope', '/apps', '/apps/1001', '/apps/1001/nope', '/apps/1001/channels/a/b/c']) {
      assertError(await plainRequest(server, 'GET', p), 404);
    }
    // Signed, but the resource does not exist.
    assertError(await apiRequest(server, app, 'GET', '/no_such_resource'), 404);
  });
});

// ---- 10.9 endpoints ------------------------------------------------------------------------

describe('POST /events (10.9)', () => {
  let server;
  before(async () => { server = await startServer(); });
  after(async () => { await server?.stop(); });

  test('{"name":"e","data":"{}","channel":…} returns 200 with body exactly {} and is delivered verbatim (10.9 #121, #122, #147)', async () => {
    const ch = fresh('orders');
    const a = await connectOk(server);
    const b = await connectOk(server);
    await a.subscribe(ch);
    await b.subscribe(ch);
    const res = await apiRequest(server, app, 'POST', '/events', { body: `{"name":"e","data":"{}","channel":"${ch}"}` });
    assertOk(res);
    assert.equal(res.text, '{}');
    for (const c of [a, b]) {
      const f = await c.nextEvent('e', ch);
      assert.equal(f.__raw, `{"event":"e","data":"{}","channel":"${ch}"}`);
    }
    assert.deepEqual(await a.sync(), [], 'exactly one message');
    a.close();
    b.close();
  });

  test('channels with 3 names delivers one message per channel to each subscriber (10.9 #123)', async () => {
    const chs = [fresh('orders'), fresh('private-orders'), fresh('presence-room')];
    const all = await connectOk(server);
    await all.subscribe(chs[0]);
    await subscribePrivate(all, app, chs[1]);
    await subscribePresence(all, app, chs[2], { user_id: '1' });
    const only = await connectOk(server);
    await only.subscribe(chs[0]);
    const res = await trigger(server, { name: 'multi', data: '{"n":3}', channels: chs });
    assert.equal(assertOk(res) && res.text, '{}');
    const got = [];
    for (let i = 0; i < 3; i++) got.push(await all.nextEvent('multi'));
    assert.deepEqual(got.map((f) => f.channel).sort(), [...chs].sort());
    for (const f of got) assert.equal(f.__raw, JSON.stringify({ event: 'multi', data: '{"n":3}', channel: f.channel }));
    assert.deepEqual((await all.sync()).filter((f) => f.event === 'multi'), []);
    const one = await only.nextEvent('multi', chs[0]);
    assert.equal(one.data, '{"n":3}');
    assert.deepEqual((await only.sync()).filter((f) => f.event === 'multi'), []);
    all.close();
    only.close();
  });

  test('socket_id excludes that connection only (10.9 #124)', async () => {
    const ch = fresh('orders');
    const sender = await connectOk(server);
    const other = await connectOk(server);
    await sender.subscribe(ch);
    await other.subscribe(ch);
    assertOk(await trigger(server, { name: 'not-for-sender', data: '{}', channel: ch, socket_id: sender.socketId }));
    await other.nextEvent('not-for-sender', ch);
    await assertNothingBeforeMarker(server, sender, ch, 'socket_id exclusion');
    // A malformed socket_id is a 400.
    assertError(await trigger(server, { name: 'x', data: '{}', channel: ch, socket_id: 'abc' }), 400);
    sender.close();
    other.close();
  });

  test('101 channels returns 400 and publishes nothing; 100 channels are fine (10.9 #125)', async () => {
    const base = fresh('many');
    const chs = Array.from({ length: 101 }, (_, i) => `${base}-${i}`);
    const c = await connectOk(server);
    await c.subscribe(chs[0]);
    assertError(await trigger(server, { name: 'too-many', data: '{}', channels: chs }), 400);
    await assertNothingBeforeMarker(server, c, chs[0], '101 channels');
    assertOk(await trigger(server, { name: 'hundred', data: '{}', channels: chs.slice(0, 100) }));
    await c.nextEvent('hundred', chs[0]);
    c.close();
  });

  test('data of 10 241 bytes returns 413; 10 240 bytes succeeds (10.9 #126)', async () => {
    const ch = fresh('orders');
    const c = await connectOk(server);
    await c.subscribe(ch);
    assertError(await trigger(server, { name: 'too-big', data: 'a'.repeat(10241), channel: ch }), 413);
    // Multi-byte characters count as bytes: 3 414 × "€" (3 bytes) = 10 242 bytes.
    assertError(await trigger(server, { name: 'too-big', data: '€'.repeat(3414), channel: ch }), 413);
    await assertNothingBeforeMarker(server, c, ch, 'oversized data');
    const exact = 'b'.repeat(10240);
    assertOk(await trigger(server, { name: 'max', data: exact, channel: ch }));
    const f = await c.nextEvent('max', ch);
    assert.equal(f.data, exact);
    c.close();
  });

  test('a 201-character name returns 400; 200 characters are fine (10.9 #127)', async () => {
    const ch = fresh('orders');
    const c = await connectOk(server);
    await c.subscribe(ch);
    assertError(await trigger(server, { name: 'n'.repeat(201), data: '{}', channel: ch }), 400);
    await assertNothingBeforeMarker(server, c, ch, '201-character name');
    assertOk(await trigger(server, { name: 'n'.repeat(200), data: '{}', channel: ch }));
    await c.nextEvent('n'.repeat(200), ch);
    c.close();
  });

  test('missing name, data or channel/channels returns 400 (10.9 #128)', async () => {
    const ch = fresh('orders');
    const c = await connectOk(server);
    await c.subscribe(ch);
    for (const body of [
      { data: '{}', channel: ch },
      { name: 'e', channel: ch },
      { name: 'e', data: '{}' },
      { name: '', data: '{}', channel: ch },
      { name: 'e', data: '{}', channels: [] },
      { name: 42, data: '{}', channel: ch },
      '{"name":"e","data":"{}","channel":',
      '[]',
      '"just a string"',
    ]) {
      assertError(await trigger(server, body), 400);
    }
    await assertNothingBeforeMarker(server, c, ch, 'invalid bodies');
    c.close();
  });

  test('an invalid channel name returns 400 (10.9 #129)', async () => {
    const ch = fresh('orders');
    const c = await connectOk(server);
    await c.subscribe(ch);
    for (const bad of ['with space', '#foo', 'private-é', '', 'x'.repeat(165)]) {
      assertError(await trigger(server, { name: 'e', data: '{}', channel: bad }), 400);
      assertError(await trigger(server, { name: 'e', data: '{}', channels: [ch, bad] }), 400);
    }
    await assertNothingBeforeMarker(server, c, ch, 'invalid channel names');
    c.close();
  });

  test('two channels one of which is private-encrypted-x returns 400 (10.9 #130)', async () => {
    const ch = fresh('orders');
    const c = await connectOk(server);
    await c.subscribe(ch);
    assertError(await trigger(server, { name: 'e', data: '{}', channels: [ch, 'private-encrypted-x'] }), 400);
    await assertNothingBeforeMarker(server, c, ch, 'encrypted + other channel');
    // A single encrypted channel is fine.
    assertOk(await trigger(server, { name: 'e', data: '{"nonce":"a","ciphertext":"b"}', channel: 'private-encrypted-x' }));
    c.close();
  });

  test('name pusher:foo (or pusher_internal:…) returns 400 (10.9 #131)', async () => {
    const ch = fresh('orders');
    const c = await connectOk(server);
    await c.subscribe(ch);
    for (const name of ['pusher:foo', 'pusher_internal:subscription_succeeded']) {
      assertError(await trigger(server, { name, data: '{}', channel: ch }), 400);
    }
    await assertNothingBeforeMarker(server, c, ch, 'reserved event names');
    c.close();
  });

  test('info=user_count,subscription_count returns per-channel counts (10.9 #132)', async () => {
    const pres = fresh('presence-room');
    const pub = fresh('orders');
    const a = await connectOk(server);
    const b = await connectOk(server);
    const d = await connectOk(server);
    await subscribePresence(a, app, pres, { user_id: '42' });
    await subscribePresence(b, app, pres, { user_id: '42' });
    await subscribePresence(d, app, pres, { user_id: '7' });
    await a.subscribe(pub);
    const empty = fresh('orders-empty');
    const res = await trigger(server, {
      name: 'e', data: '{}', channels: [pres, pub, empty], info: 'user_count,subscription_count',
    });
    assert.deepEqual(assertOk(res), {
      channels: {
        [pres]: { user_count: 2, subscription_count: 3 },
        [pub]: { subscription_count: 1 },
        [empty]: { subscription_count: 0 },
      },
    });
    // Only user_count requested: non-presence channels map to {}.
    const res2 = await trigger(server, { name: 'e', data: '{}', channels: [pres, pub], info: 'user_count' });
    assert.deepEqual(assertOk(res2), { channels: { [pres]: { user_count: 2 }, [pub]: {} } });
    for (const c of [a, b, d]) c.close();
  });

  test('an event name with backslashes (App\\Events\\OrderShipped) is delivered unchanged (10.9 #133)', async () => {
    const ch = fresh('orders');
    const c = await connectOk(server);
    await c.subscribe(ch);
    const name = 'App\\Events\\OrderShipped';
    const body = `{"name":"App\\\\Events\\\\OrderShipped","data":"{\\"id\\":1}","channel":"${ch}"}`;
    assert.equal(JSON.parse(body).name, name);
    assertOk(await trigger(server, body));
    const f = await c.nextEvent(name, ch);
    assert.equal(f.__raw, `{"event":"App\\\\Events\\\\OrderShipped","data":"{\\"id\\":1}","channel":"${ch}"}`);
    c.close();
  });

  test('non-string data is accepted and delivered as its compact JSON text (5.5)', async () => {
    const ch = fresh('orders');
    const c = await connectOk(server);
    await c.subscribe(ch);
    assertOk(await trigger(server, `{"name":"obj","data":{"a": [1, 2]},"channel":"${ch}"}`));
    const f = await c.nextEvent('obj', ch);
    assert.equal(f.data, '{"a":[1,2]}');
    c.close();
  });

  test('a body parsed as JSON regardless of Content-Type (5.1)', async () => {
    const ch = fresh('orders');
    const c = await connectOk(server);
    await c.subscribe(ch);
    assertOk(await trigger(server, { name: 'typed', data: '1', channel: ch }, { headers: { 'content-type': 'text/plain' } }));
    await c.nextEvent('typed', ch);
    c.close();
  });

  test('an HTTP event to #server-to-user-42 reaches connections signed in as 42 (10.6 #90)', async () => {
    const u42 = await connectOk(server);
    const u7 = await connectOk(server);
    assert.equal((await signin(u42, app, { id: '42' })).event, 'pusher:signin_success');
    assert.equal((await signin(u7, app, { id: '7' })).event, 'pusher:signin_success');
    assertOk(await trigger(server, { name: 'invoice-ready', data: '{"id":9}', channels: ['#server-to-user-42'] }));
    const f = await u42.nextEvent('invoice-ready');
    assert.equal(f.data, '{"id":9}');
    assert.equal(f.channel, '#server-to-user-42');
    assert.deepEqual((await u7.sync()).filter((x) => x.event === 'invoice-ready'), []);
    u42.close();
    u7.close();
  });
});

describe('POST /batch_events (10.9)', () => {
  let server;
  before(async () => { server = await startServer(); });
  after(async () => { await server?.stop(); });

  const batch = (server, items, opts) => apiRequest(server, app, 'POST', '/batch_events', { body: { batch: items }, ...opts });

  test('2 items return {} and both events are delivered in order (10.9 #134)', async () => {
    const ch1 = fresh('orders');
    const ch2 = fresh('orders');
    const c = await connectOk(server);
    await c.subscribe(ch1);
    await c.subscribe(ch2);
    const res = await batch(server, [
      { channel: ch1, name: 'first', data: '1' },
      { channel: ch2, name: 'second', data: '{"x":2}' },
    ]);
    assertOk(res);
    assert.equal(res.text, '{}');
    const f1 = await c.next((f) => f.event === 'first' || f.event === 'second');
    const f2 = await c.next((f) => f.event === 'first' || f.event === 'second');
    assert.equal(f1.__raw, JSON.stringify({ event: 'first', data: '1', channel: ch1 }));
    assert.equal(f2.__raw, JSON.stringify({ event: 'second', data: '{"x":2}', channel: ch2 }));
    c.close();
  });

  test('11 items return 400 and publish nothing; 10 are fine (10.9 #135)', async () => {
    const ch = fresh('orders');
    const c = await connectOk(server);
    await c.subscribe(ch);
    const items = Array.from({ length: 11 }, (_, i) => ({ channel: ch, name: `b${i}`, data: String(i) }));
    assertError(await batch(server, items), 400);
    await assertNothingBeforeMarker(server, c, ch, '11-item batch');
    assertOk(await batch(server, items.slice(0, 10)));
    for (let i = 0; i < 10; i++) {
      const f = await c.next((x) => x.channel === ch && x.event.startsWith('b'));
      assert.equal(f.event, `b${i}`);
    }
    c.close();
  });

  test('one oversized item returns 413 and publishes nothing (10.9 #136)', async () => {
    const ch = fresh('orders');
    const c = await connectOk(server);
    await c.subscribe(ch);
    assertError(await batch(server, [
      { channel: ch, name: 'ok', data: '1' },
      { channel: ch, name: 'big', data: 'x'.repeat(10241) },
    ]), 413);
    await assertNothingBeforeMarker(server, c, ch, 'batch with oversized item');
    c.close();
  });

  test('an invalid item (no channel, channels array, bad name) returns 400 and publishes nothing (5.6)', async () => {
    const ch = fresh('orders');
    const c = await connectOk(server);
    await c.subscribe(ch);
    for (const bad of [
      { name: 'x', data: '1' },
      { channels: [ch], name: 'x', data: '1' },
      { channel: ch, data: '1' },
      { channel: ch, name: 'x' },
      { channel: 'bad name', name: 'x', data: '1' },
      { channel: ch, name: 'pusher:x', data: '1' },
    ]) {
      assertError(await batch(server, [{ channel: ch, name: 'ok', data: '1' }, bad]), 400);
    }
    assertError(await batch(server, []), 400);
    assertError(await apiRequest(server, app, 'POST', '/batch_events', { body: {} }), 400);
    await assertNothingBeforeMarker(server, c, ch, 'invalid batch items');
    c.close();
  });

  test('info on one item returns {"batch":[{},{…}]} aligned with the request (10.9 #137)', async () => {
    const pub = fresh('orders');
    const pres = fresh('presence-room');
    const a = await connectOk(server);
    const b = await connectOk(server);
    await a.subscribe(pub);
    await subscribePresence(a, app, pres, { user_id: '1' });
    await subscribePresence(b, app, pres, { user_id: '2' });
    const res = await batch(server, [
      { channel: pub, name: 'a', data: '1' },
      { channel: pres, name: 'b', data: '{"x":2}', info: 'user_count' },
      { channel: pub, name: 'c', data: '3', info: 'subscription_count' },
      { channel: pub, name: 'd', data: '4', info: 'user_count' },
    ]);
    assert.deepEqual(assertOk(res), { batch: [{}, { user_count: 2 }, { subscription_count: 1 }, {}] });
    a.close();
    b.close();
  });
});

describe('GET /channels, /channels/{name}, /channels/{name}/users (10.9)', () => {
  let server;
  before(async () => { server = await startServer(); });
  after(async () => { await server?.stop(); });

  const get = (p, query) => apiRequest(server, app, 'GET', p, { query });

  test('GET /channels lists only occupied channels, {"channels":{}} when none (10.9 #138, 10.6 #91)', async () => {
    const empty = await get('/channels');
    assertOk(empty);
    assert.equal(empty.text, '{"channels":{}}');
    const a = await connectOk(server);
    const b = await connectOk(server);
    await a.subscribe('orders');
    await subscribePrivate(b, app, 'private-orders.42');
    await b.subscribe('gone');
    assert.equal((await signin(b, app, { id: '42' })).event, 'pusher:signin_success');
    assert.equal((await b.subscribe('#server-to-user-42')).event, 'pusher_internal:subscription_succeeded');
    b.unsubscribe('gone');
    await b.sync();
    assert.deepEqual(assertOk(await get('/channels')), { channels: { orders: {}, 'private-orders.42': {} } });
    a.unsubscribe('orders');
    await a.sync();
    assert.deepEqual(assertOk(await get('/channels')), { channels: { 'private-orders.42': {} } });
    a.close();
    b.close();
  });

  test('filter_by_prefix=presence-&info=user_count returns each presence channel with its user_count (10.9 #139)', async () => {
    const p1 = fresh('presence-lobby');
    const p2 = fresh('presence-lobby');
    const c1 = await connectOk(server);
    const c2 = await connectOk(server);
    const c3 = await connectOk(server);
    await subscribePresence(c1, app, p1, { user_id: '1' });
    await subscribePresence(c2, app, p1, { user_id: '2' });
    await subscribePresence(c3, app, p1, { user_id: '2' });
    await subscribePresence(c3, app, p2, { user_id: '3' });
    await c1.subscribe(fresh('orders'));
    const res = await get('/channels', { filter_by_prefix: 'presence-', info: 'user_count' });
    assert.deepEqual(assertOk(res), { channels: { [p1]: { user_count: 2 }, [p2]: { user_count: 1 } } });
    const narrower = await get('/channels', { filter_by_prefix: p2 });
    assert.deepEqual(assertOk(narrower), { channels: { [p2]: {} } });
    for (const c of [c1, c2, c3]) c.close();
  });

  test('info=user_count without a presence- prefix filter returns 400 (10.9 #140)', async () => {
    assertError(await get('/channels', { info: 'user_count' }), 400);
    assertError(await get('/channels', { info: 'user_count', filter_by_prefix: 'private-' }), 400);
  });

  test('GET /channels/{name} returns {"occupied":true} / {"occupied":false} (10.9 #141)', async () => {
    const ch = fresh('orders');
    const none = await get(`/channels/${ch}`);
    assertOk(none);
    assert.equal(none.text, '{"occupied":false}');
    const c = await connectOk(server);
    await c.subscribe(ch);
    const occupied = await get(`/channels/${ch}`);
    assertOk(occupied);
    assert.equal(occupied.text, '{"occupied":true}');
    c.close();
  });

  test('info=subscription_count returns the number of subscribed connections (10.9 #142)', async () => {
    const ch = fresh('orders');
    assert.deepEqual(assertOk(await get(`/channels/${ch}`, { info: 'subscription_count' })), { occupied: false, subscription_count: 0 });
    const a = await connectOk(server);
    const b = await connectOk(server);
    await a.subscribe(ch);
    await b.subscribe(ch);
    await b.subscribe(ch); // a second subscribe of the same connection does not count twice (10.3 #36)
    assert.deepEqual(assertOk(await get(`/channels/${ch}`, { info: 'subscription_count' })), { occupied: true, subscription_count: 2 });
    a.close();
    b.close();
  });

  test('presence info=user_count counts distinct users, not connections (10.9 #143)', async () => {
    const ch = fresh('presence-room');
    const conns = [];
    for (const id of ['42', '42', '7']) {
      const c = await connectOk(server);
      await subscribePresence(c, app, ch, { user_id: id });
      conns.push(c);
    }
    assert.deepEqual(assertOk(await get(`/channels/${ch}`, { info: 'user_count' })), { occupied: true, user_count: 2 });
    assert.deepEqual(assertOk(await get(`/channels/${ch}`, { info: 'user_count,subscription_count' })),
      { occupied: true, user_count: 2, subscription_count: 3 });
    for (const c of conns) c.close();
  });

  test('info=user_count on a non-presence channel returns 400 (10.9 #144)', async () => {
    const ch = fresh('orders');
    const c = await connectOk(server);
    await c.subscribe(ch);
    assertError(await get(`/channels/${ch}`, { info: 'user_count' }), 400);
    assertError(await get(`/channels/${ch}`, { info: 'cache' }), 400);
    // Invalid channel name (sent percent-encoded, signed decoded).
    assertError(await apiRequest(server, app, 'GET', '/channels/bad name', {
      tamper: (r) => { r.path = r.path.replace(' ', '%20'); },
    }), 400);
    c.close();
  });

  test('GET /channels/{presence}/users returns one entry per distinct user (10.9 #145)', async () => {
    const ch = fresh('presence-room');
    assert.deepEqual(assertOk(await get(`/channels/${ch}/users`)), { users: [] });
    const conns = [];
    for (const id of ['42', '7', '42']) {
      const c = await connectOk(server);
      await subscribePresence(c, app, ch, { user_id: id, user_info: { name: `user ${id}` } });
      conns.push(c);
    }
    const body = assertOk(await get(`/channels/${ch}/users`));
    assert.deepEqual(Object.keys(body), ['users']);
    assert.deepEqual([...body.users].sort((x, y) => (x.id < y.id ? -1 : 1)), [{ id: '42' }, { id: '7' }]);
    for (const c of conns) c.close();
  });

  test('GET /channels/{non-presence}/users returns 400 (10.9 #146)', async () => {
    assertError(await get('/channels/orders/users'), 400);
    assertError(await get('/channels/private-orders/users'), 400);
  });

  test('wrong methods on API routes are refused and nothing happens', async () => {
    const res = await apiRequest(server, app, 'POST', '/channels', { body: {} });
    assert.ok(res.status === 405 || res.status === 404, describeResponse(res));
    assertError(res, res.status);
  });
});

describe('POST /users/{id}/terminate_connections (5.10, 10.6 #92, #93)', () => {
  let server;
  before(async () => { server = await startServer(); });
  after(async () => { await server?.stop(); });

  test('every connection signed in as the user gets pusher:error 4009 and close 4009; the response is {} (10.6 #92)', async () => {
    const ch = fresh('presence-room');
    const s1 = await connectOk(server);
    const s2 = await connectOk(server);
    const other = await connectOk(server);
    const presenceOnly = await connectOk(server);
    for (const c of [s1, s2]) assert.equal((await signin(c, app, { id: '42', user_info: { name: 'Ada' } })).event, 'pusher:signin_success');
    assert.equal((await signin(other, app, { id: '7' })).event, 'pusher:signin_success');
    await subscribePresence(s1, app, ch, { user_id: '42' });
    await subscribePresence(presenceOnly, app, ch, { user_id: '42' }); // 10.6 #93: not signed in
    await subscribePresence(other, app, ch, { user_id: '7' });

    const res = await apiRequest(server, app, 'POST', '/users/42/terminate_connections', { body: {} });
    assertOk(res);
    assert.equal(res.text, '{}');
    for (const c of [s1, s2]) {
      const err = await c.nextEvent('pusher:error');
      assert.equal(typeof err.data, 'object', err.__raw);
      assert.equal(err.data.code, 4009, err.__raw);
      assert.equal(typeof err.data.message, 'string', err.__raw);
      const ci = await c.closedWithin();
      assert.equal(ci.code, 4009, `close code; frames:\n${c.seen()}`);
    }
    // The others stay connected (10.6 #93).
    assert.deepEqual((await presenceOnly.sync()).filter((f) => f.event === 'pusher:error'), []);
    assert.deepEqual((await other.sync()).filter((f) => f.event === 'pusher:error'), []);
    assert.ok(presenceOnly.isOpen && other.isOpen);
    // User 42 is still present through the presence-only connection: no member_removed.
    assert.deepEqual(assertOk(await apiRequest(server, app, 'GET', `/channels/${ch}/users`)).users
      .map((u) => u.id).sort(), ['42', '7']);
    presenceOnly.close();
    other.close();
  });

  test('terminating a user with no connection returns {} (5.10)', async () => {
    const res = await apiRequest(server, app, 'POST', '/users/nobody/terminate_connections', { body: {} });
    assertOk(res);
    assert.equal(res.text, '{}');
  });

  test('the user can reconnect and sign in again afterwards (5.10)', async () => {
    const c = await connectOk(server);
    assert.equal((await signin(c, app, { id: '99' })).event, 'pusher:signin_success');
    assertOk(await apiRequest(server, app, 'POST', '/users/99/terminate_connections', { body: {} }));
    assert.equal((await c.closedWithin()).code, 4009);
    const again = await connectOk(server);
    assert.equal((await signin(again, app, { id: '99' })).event, 'pusher:signin_success');
    again.close();
  });
});
