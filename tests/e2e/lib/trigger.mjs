// Minimal signed HTTP API client (protocol reference 5.2) for the WebSocket suites,
// which only need to publish events. The HTTP API itself is tested elsewhere.

import { createHash, createHmac } from 'node:crypto';

/**
 * Sends a signed request. `apiPath` is relative to /apps/{id} (e.g. '/events').
 * Resolves with { status, headers, text, json }.
 */
export async function signedRequest(server, app, method, apiPath, { body, query = {} } = {}) {
  const path = `/apps/${app.id}${apiPath}`;
  const bodyText = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  const params = {
    ...query,
    auth_key: app.key,
    auth_timestamp: String(Math.floor(Date.now() / 1000)),
    auth_version: '1.0',
  };
  if (bodyText) params.body_md5 = createHash('md5').update(bodyText, 'utf8').digest('hex');
  const sorted = Object.keys(params).map((k) => [k.toLowerCase(), params[k]]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const toSign = `${method.toUpperCase()}\n${path}\n${sorted.map(([k, v]) => `${k}=${v}`).join('&')}`;
  const signature = createHmac('sha256', app.secret).update(toSign, 'utf8').digest('hex');
  const qs = [...sorted.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`), `auth_signature=${signature}`].join('&');
  const prefix = server.pathPrefix ?? '';
  const res = await fetch(`${server.httpUrl}${prefix}${path}?${qs}`, {
    method,
    headers: bodyText ? { 'content-type': 'application/json' } : {},
    body: bodyText || undefined,
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

/** POST /apps/{id}/events; throws unless the server answers 200. */
export async function publish(server, app, { name, data, channel, channels, socket_id }) {
  const body = { name, data };
  if (channels) body.channels = channels;
  else body.channel = channel;
  if (socket_id) body.socket_id = socket_id;
  const res = await signedRequest(server, app, 'POST', '/events', { body });
  if (res.status !== 200) throw new Error(`POST /apps/${app.id}/events answered ${res.status}: ${res.text}`);
  return res;
}
