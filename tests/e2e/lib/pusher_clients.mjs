// Shared helpers of the suites that drive the real client libraries: pusher-js (node build) on the
// WebSocket side and the `pusher` server SDK (pusher-http-node) on the HTTP side. Channel
// authorization and user authentication tokens come from the SDK's own authorizeChannel /
// authenticateUser, handed to pusher-js through `customHandler`s (protocol reference Appendix A).
//
// Every wait here is bounded (DEFAULT_TIMEOUT_MS unless told otherwise); nothing sleeps.
//
// Clean-up: importing this module wraps Pusher.Runtime.createWebSocket so that every WebSocket
// pusher-js (or Laravel Echo, which uses the same Pusher class) opens is remembered. When the
// server closes a connection with a "refused" code (e.g. 4009), pusher-js calls close() on the
// already closed socket, which arms a 30 s close timer that nothing clears; it would keep the test
// process alive for 30 s after the last test. trackPusherClients() registers node:test hooks that
// disconnect the clients of each test and clear those timers.
//
// Used by interop, quotas, watchlist, cache_channels, encrypted, checklist_gaps, webhooks and
// dashboard (*.test.mjs).

import { afterEach, after } from 'node:test';
import Pusher from 'pusher-js';
import PusherServer from 'pusher';
import { DEFAULT_TIMEOUT_MS } from './harness.mjs';

// ---- waiting -------------------------------------------------------------------------------------

/**
 * Resolves with { data, meta } of the next `event` on a pusher-js bindable (client, channel,
 * connection, user, user.watchlist) for which `filter(data, meta)` holds. Call it before causing
 * the event. Rejects after `timeoutMs`, or at once when one of the `failOn` events fires (with its
 * data in the message). `label` names what is awaited in error messages (default: `event`).
 * All handlers are unbound once it settles.
 */
export function nextEvent(bindable, event, { filter = () => true, timeoutMs = DEFAULT_TIMEOUT_MS, failOn = [], label } = {}) {
  return new Promise((resolve, reject) => {
    const handlers = [];
    const cleanup = () => {
      clearTimeout(timer);
      for (const [ev, h] of handlers) bindable.unbind(ev, h);
    };
    handlers.push([event, (data, meta) => {
      if (!filter(data, meta)) return;
      cleanup();
      resolve({ data, meta });
    }]);
    for (const ev of failOn) {
      handlers.push([ev, (data) => {
        cleanup();
        reject(new Error(`${ev} while waiting for ${label ?? event}: ${JSON.stringify(data)}`));
      }]);
    }
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${label ?? event}`));
    }, timeoutMs);
    for (const [ev, h] of handlers) bindable.bind(ev, h);
  });
}

/** `promise`, or a rejection after timeoutMs naming `label` (the timer is cleared either way). */
export async function withTimeout(promise, label, timeoutMs = DEFAULT_TIMEOUT_MS) {
  let timer;
  try {
    return await Promise.race([
      promise,
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${label}`)), timeoutMs); }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Records the events of a pusher-js channel (bind_global) in arrival order, so a test can look at
 * what arrived in which order. Returns the array it fills.
 * Options:
 *  - internal (default true): also record `pusher:` / `pusher_internal:` events; false keeps
 *    only the application's (and client-) events
 *  - pairs (default false): entries are [event, data] instead of { event, data }
 */
export function record(channel, { internal = true, pairs = false } = {}) {
  const seen = [];
  channel.bind_global((event, data) => {
    if (!internal && event.startsWith('pusher')) return;
    seen.push(pairs ? [event, data] : { event, data });
  });
  return seen;
}

// ---- the pusher SDK --------------------------------------------------------------------------------

/**
 * The `pusher` SDK for `app` ({ id, key, secret }) talking plain HTTP to `server` (a harness server
 * or anything with a `port`) on 127.0.0.1, with DEFAULT_TIMEOUT_MS as its request timeout.
 * `extra` is merged into its options (e.g. { encryptionMasterKeyBase64 }).
 */
export function sdkFor(server, app, extra = {}) {
  return new PusherServer({
    appId: app.id, key: app.key, secret: app.secret, host: '127.0.0.1', port: String(server.port),
    useTLS: false, timeout: DEFAULT_TIMEOUT_MS, ...extra,
  });
}

// ---- pusher-js clients -----------------------------------------------------------------------------

const pjSockets = new Set(); // every WebSocket pusher-js opened (see the header)
const createWebSocket = Pusher.Runtime.createWebSocket;
Pusher.Runtime.createWebSocket = function (url) {
  const sock = createWebSocket.call(this, url);
  pjSockets.add(sock);
  return sock;
};

const live = new Set(); // clients to disconnect after each test (see trackPusherClients)

/**
 * pusher-js options for the server (a harness server, anything with a `port`, or a port number):
 * plain ws:// to 127.0.0.1, no stats. With an `sdk` (or `authorize`) the channel authorizer is a
 * customHandler returning `authorize(socketId, channelName)` when given, else the SDK's
 * authorizeChannel (with `presence` as the channel data on presence- channels); with an `sdk` the
 * user authenticator is a customHandler returning sdk.authenticateUser(socketId, user). Without
 * either, pusher-js keeps its default (HTTP endpoint) authorizers.
 */
export function pusherOptions(server, { sdk, presence, user, authorize } = {}) {
  const options = {
    wsHost: '127.0.0.1', wsPort: typeof server === 'number' ? server : server.port, forceTLS: false,
    enabledTransports: ['ws'], cluster: 'mt1', disableStats: true,
  };
  if (sdk || authorize) {
    options.channelAuthorization = {
      customHandler: ({ socketId, channelName }, cb) => {
        try {
          if (authorize) cb(null, authorize(socketId, channelName));
          else {
            cb(null, channelName.startsWith('presence-')
              ? sdk.authorizeChannel(socketId, channelName, presence)
              : sdk.authorizeChannel(socketId, channelName));
          }
        } catch (e) { cb(e, null); }
      },
    };
  }
  if (sdk) {
    options.userAuthentication = {
      customHandler: ({ socketId }, cb) => {
        try { cb(null, sdk.authenticateUser(socketId, user)); } catch (e) { cb(e, null); }
      },
    };
  }
  return options;
}

/**
 * Resolves once `pusher` is connected (at once if it already is). Rejects when one of `failOn`
 * (default 'failed', 'unavailable') happens first, or after timeoutMs.
 */
export async function waitForConnection(pusher, { failOn = ['failed', 'unavailable'], timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
  if (pusher.connection.state !== 'connected') {
    await nextEvent(pusher.connection, 'connected', { failOn, timeoutMs, label: 'pusher-js connected' });
  }
}

/**
 * A new pusher-js client of `app` (its key) for the server, with the options of pusherOptions()
 * (`opts`: sdk-independent { presence, user, authorize }; `sdk` may be undefined). It starts
 * connecting at once and is tracked (disconnected after the test, see trackPusherClients).
 */
export function createPusherClient(server, app, sdk, opts = {}) {
  const pusher = new Pusher(app.key, pusherOptions(server, { ...opts, sdk }));
  live.add(pusher);
  return pusher;
}

/**
 * createPusherClient(), resolved once connected (waitForConnection with `failOn`) unless
 * `waitConnected` is false.
 */
export async function pusherClient(server, app, sdk, { waitConnected = true, failOn, ...opts } = {}) {
  const pusher = createPusherClient(server, app, sdk, opts);
  if (waitConnected) await waitForConnection(pusher, { failOn });
  return pusher;
}

/** Subscribes `pusher` to `name`; resolves with { channel, data } once subscription_succeeded came (rejects on subscription_error). */
export async function subscribe(pusher, name) {
  const channel = pusher.subscribe(name);
  const { data } = await nextEvent(channel, 'pusher:subscription_succeeded', { failOn: ['pusher:subscription_error'], label: `subscription to ${name}` });
  return { channel, data };
}

// ---- clean-up --------------------------------------------------------------------------------------

/** Clears the close timers of pusher-js sockets: of closed ones only, or with { all: true } of every one. */
export function clearCloseTimers({ all = false } = {}) {
  for (const sock of pjSockets) {
    if ((all || sock.readyState === 3) && sock._closeTimer) clearTimeout(sock._closeTimer);
  }
}

/** Disconnects every tracked client (pusher-js or Echo), forgets them, and clears the close timers of closed sockets. */
export function cleanupPusherClients() {
  for (const c of live) {
    try { c.disconnect(); } catch { /* already gone */ }
  }
  live.clear();
  clearCloseTimers();
}

/**
 * Registers node:test hooks in the calling suite (or, at a file's top level, for the whole file):
 * afterEach runs cleanupPusherClients(), after clears every remaining close timer. Returns the Set
 * of tracked clients: add what else should be disconnected after the test (e.g. Echo instances),
 * delete a client the test disconnected itself.
 */
export function trackPusherClients() {
  afterEach(cleanupPusherClients);
  after(() => clearCloseTimers({ all: true }));
  return live;
}
