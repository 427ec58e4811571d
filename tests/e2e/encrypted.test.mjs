// End-to-end encrypted channels (`private-encrypted-`, protocol reference 2.16; checklist 10.3 #42,
// #43, 10.9 #130) with the real `pusher` SDK configured with encryptionMasterKeyBase64 and the real
// pusher-js (node build), whose channel authorizer returns the SDK's authorizeChannel (which
// carries the per-channel `shared_secret`). A raw WebSocket client checks that the server relays
// the SDK's ciphertext byte for byte.
//
// Client events: pusher-js refuses to send them on encrypted channels (UnsupportedFeature), and
// the server refuses one from a raw client with pusher:error 4009 (issue 6; the reference's 2.9
// note says a server may relay them, pws does not) — covered by client_events.test.mjs
// ("client events on private-encrypted- channels are refused with 4009 ...").
//
// Every wait is bounded; absence is proven with a marker event published afterwards.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startServer, connectOk, channelAuth, defaultApp } from './lib/harness.mjs';
import { signedRequest } from './lib/trigger.mjs';
import {
  nextEvent, record as recordEvents, sdkFor, pusherClient, subscribe as subscribeWithData, trackPusherClients,
} from './lib/pusher_clients.mjs';

const app = { ...defaultApp, enable_client_messages: true };
const masterKey = randomBytes(32).toString('base64');
let seq = 0;
const fresh = (base) => `${base}-${++seq}`;

/** Records the non-pusher events of a pusher-js channel. */
const record = (channel) => recordEvents(channel, { internal: false });

describe('private-encrypted- channels with the SDK master key and pusher-js (2.16)', () => {
  let server;
  let sdk;
  const sent = []; // bodies the SDK POSTed, to compare with what the server relays
  trackPusherClients();

  before(async () => {
    server = await startServer({ apps: [app] });
    sdk = sdkFor(server, app, { encryptionMasterKeyBase64: masterKey });
    const post = sdk.post;
    sdk.post = function (opts) {
      sent.push(opts.body);
      return post.call(this, opts);
    };
  });
  after(async () => {
    await server?.stop();
  });

  /** A connected pusher-js client; `authorize(socketId, channelName)` defaults to the SDK's. */
  async function connectClient({ authorize } = {}) {
    return pusherClient(server, app, sdk, { authorize });
  }

  /** Subscribes and resolves with the channel once subscription_succeeded arrived. */
  async function subscribe(pusher, name) {
    return (await subscribeWithData(pusher, name)).channel;
  }

  test("the SDK's authorizeChannel carries shared_secret and is the private signature; pusher-js subscribes with it (2.16, 10.3 #42)", async () => {
    const ch = fresh('private-encrypted-payroll');
    const pusher = await connectClient();
    const socketId = pusher.connection.socket_id;
    const auth = sdk.authorizeChannel(socketId, ch);
    assert.equal(Buffer.from(auth.shared_secret, 'base64').length, 32);
    assert.equal(auth.auth, channelAuth(app, socketId, ch), 'HMAC over socket_id:channel, shared_secret not signed');
    const channel = await subscribe(pusher, ch);
    assert.equal(channel.subscribed, true);
  });

  test('an SDK trigger is encrypted, relayed byte-identical, and pusher-js decrypts it (10.3 #43, 2.16)', async () => {
    const ch = fresh('private-encrypted-payroll');
    const pusher = await connectClient();
    const channel = await subscribe(pusher, ch);
    const raw = await connectOk(server);
    assert.equal((await raw.subscribe(ch, { auth: channelAuth(app, raw.socketId, ch) })).event, 'pusher_internal:subscription_succeeded');

    const payload = { amount: 1234.5, who: 'Ada Lovelace', note: 'ünïcode € "quoted" \\ back' };
    const got = nextEvent(channel, 'salary');
    const before = sent.length;
    const res = await sdk.trigger(ch, 'salary', payload);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '{}');
    const body = sent[before];
    const ciphertext = JSON.parse(body.data);
    assert.deepEqual(Object.keys(ciphertext), ['nonce', 'ciphertext'], `the SDK encrypted: ${body.data}`);
    assert.equal(Buffer.from(ciphertext.nonce, 'base64').length, 24);
    assert.ok(!body.data.includes('Ada'), 'no plaintext in the published data');

    assert.deepEqual((await got).data, payload, 'pusher-js decrypted the event with the shared secret');
    const frame = await raw.nextEvent('salary', ch);
    assert.equal(frame.data, body.data, 'data relayed byte for byte');
    assert.equal(frame.__raw, JSON.stringify({ event: 'salary', data: body.data, channel: ch }));
    raw.close();
  });

  test('an encrypted batch item, an exclusion by socket_id and a plain string all survive the relay (2.16, 5.6)', async () => {
    const ch = fresh('private-encrypted-batch');
    const plain = fresh('orders');
    const a = await connectClient();
    const b = await connectClient();
    const ca = await subscribe(a, ch);
    const cb = await subscribe(b, ch);
    const cp = await subscribe(b, plain);
    const seenA = record(ca);
    const seenB = record(cb);

    const done = nextEvent(cp, 'plain-done');
    await sdk.triggerBatch([
      { channel: ch, name: 'secret', data: { n: 1 } },
      { channel: plain, name: 'plain-done', data: 'clear' },
    ]);
    await done;
    // Excluding a: only b gets it; a string payload round-trips as a string.
    const toB = nextEvent(cb, 'only-b');
    await sdk.trigger(ch, 'only-b', 'just a string', { socket_id: a.connection.socket_id });
    assert.equal((await toB).data, 'just a string');
    const markers = [nextEvent(ca, 'marker'), nextEvent(cb, 'marker')];
    await sdk.trigger(ch, 'marker', { m: true });
    await Promise.all(markers);
    assert.deepEqual(seenA, [{ event: 'secret', data: { n: 1 } }, { event: 'marker', data: { m: true } }]);
    assert.deepEqual(seenB, [{ event: 'secret', data: { n: 1 } }, { event: 'only-b', data: 'just a string' }, { event: 'marker', data: { m: true } }]);
  });

  test('pusher-js refuses client events on encrypted channels; nothing reaches the other subscriber (2.16, 2.9)', async () => {
    const ch = fresh('private-encrypted-chat');
    const a = await connectClient();
    const b = await connectClient();
    const ca = await subscribe(a, ch);
    const cb = await subscribe(b, ch);
    const seenB = record(cb);
    assert.throws(() => ca.trigger('client-typing', { typing: true }), (e) => e.name === 'UnsupportedFeature' || /not currently supported for encrypted channels/.test(e.message));
    const marker = nextEvent(cb, 'marker');
    await sdk.trigger(ch, 'marker', {});
    await marker;
    assert.deepEqual(seenB, [{ event: 'marker', data: {} }]);
    assert.equal(a.connection.state, 'connected');
  });

  test('a trigger to an encrypted channel together with another channel is 400 and publishes nothing (10.9 #130, 2.16)', async () => {
    const enc = fresh('private-encrypted-x');
    const enc2 = fresh('private-encrypted-y');
    const plain = fresh('orders');
    // The SDK refuses it before sending anything.
    const before = sent.length;
    assert.throws(() => sdk.trigger([enc, plain], 'e', {}), /multiple channels when using encrypted channels/);
    assert.equal(sent.length, before);

    const pusher = await connectClient();
    const ce = await subscribe(pusher, enc);
    const cp = await subscribe(pusher, plain);
    const seenE = record(ce);
    const seenP = record(cp);
    const raw = await connectOk(server);
    assert.equal((await raw.subscribe(plain)).event, 'pusher_internal:subscription_succeeded');

    for (const channels of [[enc, plain], [plain, enc], [enc, enc2]]) {
      const res = await signedRequest(server, app, 'POST', '/events', { body: { name: 'e', data: '{"nonce":"AAAA","ciphertext":"BBBB"}', channels } });
      assert.equal(res.status, 400, `${JSON.stringify(channels)}: ${res.text}`);
      assert.equal(res.json?.code, 400, res.text);
      assert.equal(typeof res.json?.error, 'string', res.text);
    }
    // A single encrypted channel (as "channel" or a one-element "channels") is fine.
    for (const body of [{ channel: enc }, { channels: [enc] }]) {
      const res = await signedRequest(server, app, 'POST', '/events', { body: { name: 'raw-ok', data: '{"nonce":"AAAA","ciphertext":"BBBB"}', ...body } });
      assert.equal(res.status, 200, res.text);
    }
    const markers = [nextEvent(ce, 'marker'), nextEvent(cp, 'marker')];
    await sdk.trigger(enc, 'marker', {});
    await sdk.trigger(plain, 'marker', {});
    await Promise.all(markers);
    assert.deepEqual(seenE, [{ event: 'marker', data: {} }], 'only the marker decrypted (the raw-ok data is not valid ciphertext and is dropped by pusher-js)');
    assert.deepEqual(seenP, [{ event: 'marker', data: {} }]);
    const m = await raw.nextEvent('marker', plain);
    assert.ok(!raw.frames.slice(0, raw.frames.indexOf(m)).some((f) => f.event === 'e'), `frames:\n${raw.seen()}`);
    raw.close();
  });

  test('a presence-style signature is rejected on an encrypted channel; the private one is accepted (10.3 #42)', async () => {
    const ch = fresh('private-encrypted-payroll');
    // pusher-js with an authorizer that signs the presence way (socket_id:channel:channel_data).
    const presenceStyle = await connectClient({ authorize: (socketId, name) => sdk.authorizeChannel(socketId, name, { user_id: '1' }) });
    const channel = presenceStyle.subscribe(ch);
    const { data: err } = await nextEvent(channel, 'pusher:subscription_error', { failOn: ['pusher:subscription_succeeded'], label: 'AuthError' });
    assert.equal(err.type, 'AuthError', JSON.stringify(err));
    assert.equal(err.status, 401, JSON.stringify(err));
    assert.equal(presenceStyle.connection.state, 'connected', 'the connection stays open');

    // Raw: the presence-style signature without channel_data, and with it, are both refused.
    const raw = await connectOk(server);
    const cd = '{"user_id":"1"}';
    const presenceAuth = channelAuth(app, raw.socketId, ch, cd);
    for (const opts of [{ auth: presenceAuth }, { auth: presenceAuth, channel_data: cd }]) {
      const f = await raw.subscribe(ch, opts);
      assert.equal(f.event, 'pusher:subscription_error', f.__raw);
      assert.equal(f.data.type, 'AuthError');
      assert.equal(f.data.status, 401);
    }
    const ok = await raw.subscribe(ch, { auth: channelAuth(app, raw.socketId, ch) });
    assert.equal(ok.event, 'pusher_internal:subscription_succeeded', ok.__raw);
    assert.equal(ok.data, '{}');
    raw.close();

    // And pusher-js with the SDK's private authorization succeeds.
    const good = await connectClient();
    await subscribe(good, ch);
  });
});
