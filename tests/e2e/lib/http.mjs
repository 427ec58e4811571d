// HTTP helpers of the HTTP API / TLS / interop suites: a signed Pusher HTTP API client that can
// be told to get things wrong on purpose (protocol reference 5.2), and raw requests for unsigned,
// malformed or health-check calls. Everything goes through node:http / node:https with a fresh
// connection per request (no keep-alive pool shared between tests) and a bounded timeout.

import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';

export const HTTP_TIMEOUT_MS = 5000;

export function md5Hex(text) {
  return createHash('md5').update(text).digest('hex');
}

/** Current Unix time in whole seconds (the server uses the same system clock). */
export function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}

function paramValue(v) {
  return Array.isArray(v) ? v.join(',') : String(v);
}

/**
 * String to sign of 5.2: METHOD\npath\nsorted "key=value" pairs (keys lower-cased, values
 * unescaped, auth_signature excluded).
 */
export function stringToSign(method, path, params) {
  const pairs = Object.entries(params)
    .filter(([k]) => k.toLowerCase() !== 'auth_signature')
    .map(([k, v]) => [k.toLowerCase(), paramValue(v)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${method.toUpperCase()}\n${path}\n${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`;
}

export function sign(secret, method, path, params) {
  return createHmac('sha256', secret).update(stringToSign(method, path, params), 'utf8').digest('hex');
}

/**
 * Low-level request. `url` is a full http(s) URL. Resolves with
 * { status, headers, text, json } (json undefined unless the body parses as JSON).
 * Options: method, headers (undefined values are dropped; Content-Length is added unless a
 * Content-Length or Transfer-Encoding header is given), body (string or Buffer), timeoutMs,
 * rejectUnauthorized (https),
 * agent (default false: a fresh connection per request).
 */
export function rawRequest(url, { method = 'GET', headers = {}, body, timeoutMs = HTTP_TIMEOUT_MS, rejectUnauthorized = true, agent = false } = {}) {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  const hdrs = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined && v !== null));
  const has = (name) => Object.keys(hdrs).some((h) => h.toLowerCase() === name);
  if (payload !== undefined && !has('content-length') && !has('transfer-encoding')) {
    hdrs['content-length'] = String(payload.length);
  }
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (fn, v) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      fn(v);
    };
    const req = mod.request({
      protocol: u.protocol,
      hostname: u.hostname,
      port: u.port,
      path: `${u.pathname}${u.search}`,
      method,
      headers: hdrs,
      agent,
      ...(u.protocol === 'https:' ? { rejectUnauthorized } : {}),
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        finish(resolve, { status: res.statusCode, headers: res.headers, text, json });
      });
      res.on('error', (e) => finish(reject, e));
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish(reject, new Error(`${method} ${url}: no complete response within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (e) => finish(reject, Object.assign(new Error(`${method} ${url}: ${e.message}`), { cause: e })));
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Base URL of a harness server (http, or https when `tls` is set on the server object or in opts). */
export function baseUrl(server, { tls = server.tls ?? false } = {}) {
  return `${tls ? 'https' : 'http'}://${server.host}:${server.port}`;
}

/** GET/POST etc. to `path` (including any prefix) on the server, no signing. */
export function plainRequest(server, method, path, opts = {}) {
  return rawRequest(`${baseUrl(server, opts)}${path}`, { method, ...opts });
}

/**
 * Signed HTTP API request (5.2).
 *  - `path`: relative to /apps/{app.id} ('/events', '/channels/orders') or absolute ('/apps/…').
 *  - `body`: object (JSON-encoded) or string (sent byte for byte); body_md5 added when non-empty.
 *  - `query`: extra parameters (arrays are joined with ',' in the string to sign and sent so too).
 *  - `timestamp`: auth_timestamp to use (default now).
 *  - `tamper(req)`: called after signing, before sending, with a mutable
 *      { method, path, params, bodyText, headers, encode, queryString }
 *    `params` holds every query parameter including auth_signature, in send order; `encode`
 *    escapes keys/values for the URL (default encodeURIComponent); set `queryString` to send a
 *    query string verbatim; change `path` to send to another path than the signed one; set
 *    `resign = true` to sign again over the tampered method, path and params (a correctly
 *    signed request that differs in some other way, e.g. no body_md5).
 *  - `prefix`: path prefix the request is sent under (default server.pathPrefix); it is not
 *    part of the signed path.
 *  - `tls`, `rejectUnauthorized`: for HTTPS servers.
 * Resolves with { status, headers, text, json, url, signed } where `signed` is the string to sign.
 */
export async function apiRequest(server, app, method, path, {
  body, query = {}, timestamp, tamper, prefix, headers = {}, tls, rejectUnauthorized = true, timeoutMs,
} = {}) {
  const apiPath = path.startsWith('/apps/') ? path : `/apps/${app.id}${path}`;
  const bodyText = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  const params = {
    ...Object.fromEntries(Object.entries(query).map(([k, v]) => [k, paramValue(v)])),
    auth_key: app.key,
    auth_timestamp: String(timestamp ?? nowSeconds()),
    auth_version: '1.0',
  };
  if (bodyText) params.body_md5 = md5Hex(bodyText);
  const signed = stringToSign(method, apiPath, params);
  params.auth_signature = sign(app.secret, method, apiPath, params);

  const req = {
    method: method.toUpperCase(),
    path: apiPath,
    params,
    bodyText,
    headers: bodyText ? { 'content-type': 'application/json', ...headers } : { ...headers },
    encode: encodeURIComponent,
    queryString: undefined,
    resign: false,
  };
  if (tamper) await tamper(req);
  if (req.resign) {
    delete req.params.auth_signature;
    req.signed = stringToSign(req.method, req.path, req.params);
    req.params.auth_signature = sign(app.secret, req.method, req.path, req.params);
  }
  const qs = req.queryString ?? Object.entries(req.params)
    .map(([k, v]) => `${req.encode(k)}=${req.encode(v)}`).join('&');
  const pre = prefix ?? server.pathPrefix ?? '';
  const url = `${baseUrl(server, { tls })}${pre}${req.path}${qs ? `?${qs}` : ''}`;
  const res = await rawRequest(url, {
    method: req.method,
    headers: req.headers,
    body: req.bodyText === '' ? undefined : req.bodyText,
    rejectUnauthorized,
    ...(timeoutMs ? { timeoutMs } : {}),
  });
  return { ...res, url, signed: req.signed ?? signed };
}

/** Asserts-free helper: a one-line description of a response for failure messages. */
export function describeResponse(res) {
  return `HTTP ${res.status} ${res.headers?.['content-type'] ?? ''} ${res.text?.length > 500 ? `${res.text.slice(0, 500)}…` : res.text}`;
}
