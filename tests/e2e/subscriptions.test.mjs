// Public, private and encrypted subscriptions: protocol reference 2.3–2.6, 2.16, 3 and 4,
// checklist 10.3 (#33–#50).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startServer, connectOk, defaultApp, channelAuth, memberOrder } from './lib/harness.mjs';
import { publish } from './lib/trigger.mjs';

const app = defaultApp;
const succeeded = (channel) => `{"event":"pusher_internal:subscription_succeeded","data":"{}","channel":${JSON.stringify(channel)}}`;

/** Asserts a pusher:subscription_error frame of the given type/status for `channel` (10.3 #47). */
function assertSubscriptionError(frame, channel, type, status) {
  assert.equal(frame.event, 'pusher:subscription_error', `expected subscription_error: ${frame.__raw}`);
  assert.equal(frame.channel, channel, `channel member: ${frame.__raw}`);
  assert.equal(typeof frame.data, 'object', `data must be an object: ${frame.__raw}`);
  assert.equal(frame.data.type, type, frame.__raw);
  assert.equal(typeof frame.data.error, 'string', frame.__raw);
  assert.equal(frame.data.status, status, frame.__raw);
}

describe('subscriptions', () => {
  let server;
  before(async () => { server = await startServer(); });
  after(async () => { await server?.stop(); });

  // ---- Public channels ----

  test('subscribing to orders with "auth":"" yields exactly the expected subscription_succeeded (10.3 #33)', async () => {
    const c = await connectOk(server);
    c.send('{"event":"pusher:subscribe","data":{"auth":"","channel":"orders"}}');
    const f = await c.next();
    assert.equal(f.__raw, succeeded('orders'));
    c.close();
  });

  test('a public subscription with a bogus auth still succeeds (10.3 #34)', async () => {
    const c = await connectOk(server);
    const f = await c.subscribe('orders-bogus', { auth: 'bogus:0123456789abcdef' });
    assert.equal(f.__raw, succeeded('orders-bogus'));
    const g = await c.subscribe('orders-bogus-2', { auth: 'not even a token' });
    assert.equal(g.__raw, succeeded('orders-bogus-2'));
    c.close();
  });

  test('pusher:subscribe with data as a JSON string is processed identically (10.3 #35)', async () => {
    const c = await connectOk(server);
    c.send({ event: 'pusher:subscribe', data: JSON.stringify({ auth: '', channel: 'orders-str' }) });
    assert.equal((await c.next()).__raw, succeeded('orders-str'));
    const ch = 'private-orders-str';
    c.send({ event: 'pusher:subscribe', data: JSON.stringify({ auth: channelAuth(app, c.socketId, ch), channel: ch }) });
    assert.equal((await c.next()).__raw, succeeded(ch));
    c.send({ event: 'pusher:subscribe', data: JSON.stringify({ auth: 'pws-key:00', channel: 'private-orders-str2' }) });
    assertSubscriptionError(await c.next(), 'private-orders-str2', 'AuthError', 401);
    c.close();
  });

  test('subscribing twice yields a second subscription_succeeded and no duplicate delivery (10.3 #36)', async () => {
    const c = await connectOk(server);
    assert.equal((await c.subscribe('twice')).__raw, succeeded('twice'));
    assert.equal((await c.subscribe('twice')).__raw, succeeded('twice'));
    assert.deepEqual(await c.sync(), []);
    await publish(server, app, { name: 'evt', data: '{"n":1}', channel: 'twice' });
    const e = await c.nextEvent('evt', 'twice');
    assert.equal(e.__raw, '{"event":"evt","data":"{\\"n\\":1}","channel":"twice"}');
    await c.expectNothing((f) => f.event === 'evt', 300);
    c.close();
  });

  test('the name foo-bar_1234@=,.; is accepted (10.3 #46)', async () => {
    const c = await connectOk(server);
    assert.equal((await c.subscribe('foo-bar_1234@=,.;')).__raw, succeeded('foo-bar_1234@=,.;'));
    const ch = 'private-a_b-c=d@e,f.g;h';
    assert.equal((await c.subscribe(ch, { auth: channelAuth(app, c.socketId, ch) })).__raw, succeeded(ch));
    const laravel = 'private-App.Models.User.1';
    assert.equal((await c.subscribe(laravel, { auth: channelAuth(app, c.socketId, laravel) })).__raw, succeeded(laravel));
    c.close();
  });

  // ---- Private channels ----

  test('a private subscription with the correct signature succeeds (10.3 #37)', async () => {
    const c = await connectOk(server);
    const ch = 'private-orders.42';
    const f = await c.subscribe(ch, { auth: channelAuth(app, c.socketId, ch) });
    assert.equal(f.__raw, succeeded(ch));
    c.close();
  });

  test('a private subscription signed for another socket_id yields AuthError 401 and the connection stays open (10.3 #38, #47)', async () => {
    const c = await connectOk(server);
    const other = await connectOk(server);
    const ch = 'private-orders.43';
    const f = await c.subscribe(ch, { auth: channelAuth(app, other.socketId, ch) });
    assertSubscriptionError(f, ch, 'AuthError', 401);
    assert.deepEqual(memberOrder(f), ['event', 'data', 'channel']);
    assert.deepEqual(await c.sync(), []);
    assert.equal(c.closeInfo, null);
    // A fixed, well-formed signature for a made-up socket id (protocol reference 4.6 B).
    const g = await c.subscribe('private-orders.42', { auth: 'pws-key:3a6674f18a78df543dbb0e47f8fa8a9047887599e73b370b6236e3c01aed7b9d' });
    assertSubscriptionError(g, 'private-orders.42', 'AuthError', 401);
    // The same connection can still subscribe properly afterwards.
    assert.equal((await c.subscribe(ch, { auth: channelAuth(app, c.socketId, ch) })).__raw, succeeded(ch));
    c.close();
    other.close();
  });

  test('a private subscription without auth yields AuthError 401 (10.3 #39)', async () => {
    const c = await connectOk(server);
    c.send({ event: 'pusher:subscribe', data: { channel: 'private-noauth' } });
    assertSubscriptionError(await c.next(), 'private-noauth', 'AuthError', 401);
    assertSubscriptionError(await c.subscribe('private-noauth', { auth: '' }), 'private-noauth', 'AuthError', 401);
    for (const auth of ['pws-key', 'pws-key:', ':abc', 'garbage']) {
      assertSubscriptionError(await c.subscribe('private-noauth', { auth }), 'private-noauth', 'AuthError', 401);
    }
    assert.deepEqual(await c.sync(), []);
    c.close();
  });

  test('a private subscription whose key part is not the app key yields AuthError 401 (10.3 #40)', async () => {
    const c = await connectOk(server);
    const ch = 'private-wrongkey';
    const hex = channelAuth(app, c.socketId, ch).split(':')[1];
    assertSubscriptionError(await c.subscribe(ch, { auth: `other-key:${hex}` }), ch, 'AuthError', 401);
    assertSubscriptionError(await c.subscribe(ch, { auth: `PWS-KEY:${hex}` }), ch, 'AuthError', 401);
    c.close();
  });

  test('a private subscription with an upper-case hex signature is rejected (10.3 #41)', async () => {
    const c = await connectOk(server);
    const ch = 'private-upper';
    const hex = channelAuth(app, c.socketId, ch).split(':')[1];
    assert.match(hex, /[a-f]/, 'signature contains letters');
    assertSubscriptionError(await c.subscribe(ch, { auth: `pws-key:${hex.toUpperCase()}` }), ch, 'AuthError', 401);
    c.close();
  });

  test('a private signature made with the wrong secret is rejected (4.4)', async () => {
    const c = await connectOk(server);
    const ch = 'private-secret';
    const auth = channelAuth({ key: 'pws-key', secret: 'not-the-secret' }, c.socketId, ch);
    assertSubscriptionError(await c.subscribe(ch, { auth }), ch, 'AuthError', 401);
    c.close();
  });

  // ---- Encrypted channels ----

  test('private-encrypted-payroll accepts socket_id:channel and rejects a presence-style signature (10.3 #42)', async () => {
    const ch = 'private-encrypted-payroll';
    const a = await connectOk(server);
    const channelData = '{"user_id":"42"}';
    const presenceStyle = `pws-key:${createHmac('sha256', app.secret).update(`${a.socketId}:${ch}:${channelData}`).digest('hex')}`;
    assertSubscriptionError(await a.subscribe(ch, { auth: presenceStyle, channel_data: channelData }), ch, 'AuthError', 401);
    assert.equal((await a.subscribe(ch, { auth: channelAuth(app, a.socketId, ch) })).__raw, succeeded(ch));
    a.close();
  });

  test('an event published on a private-encrypted- channel is delivered with byte-identical data (10.3 #43)', async () => {
    const ch = 'private-encrypted-payroll';
    const c = await connectOk(server);
    assert.equal((await c.subscribe(ch, { auth: channelAuth(app, c.socketId, ch) })).event, 'pusher_internal:subscription_succeeded');
    const data = '{"nonce":"EBESExQVFhcYGRobHB0eHyAhIiMkJSYn","ciphertext":"gCyOhQebrJ9lFo4ST5kQSMUQpH8qTWDD435zRBOUMio2mWWEbxSwTMw+1mZxMkA="}';
    await publish(server, app, { name: 'salary', data, channel: ch });
    const e = await c.nextEvent('salary', ch);
    assert.equal(e.data, data);
    assert.equal(e.__raw, JSON.stringify({ event: 'salary', data, channel: ch }));
    c.close();
  });

  // ---- Names and limits ----

  test('invalid channel names yield subscription_error InvalidChannelName (10.3 #44, #47)', async () => {
    const c = await connectOk(server);
    for (const name of ['foo bar', '#foo', 'private-é', '', 'orders!', 'a/b', '#server-to-user-', 'tab\tname']) {
      const f = await c.subscribe(name);
      assertSubscriptionError(f, name, 'InvalidChannelName', 4009);
    }
    assert.deepEqual(await c.sync(), []);
    assert.equal(c.closeInfo, null);
    c.close();
  });

  test('a 165-character name yields LimitReached and a 164-character name succeeds (10.3 #45)', async () => {
    const c = await connectOk(server);
    const long = 'a'.repeat(165);
    assertSubscriptionError(await c.subscribe(long), long, 'LimitReached', 4009);
    const max = 'b'.repeat(164);
    assert.equal((await c.subscribe(max)).__raw, succeeded(max));
    const priv = `private-${'c'.repeat(156)}`;
    assert.equal(priv.length, 164);
    assert.equal((await c.subscribe(priv, { auth: channelAuth(app, c.socketId, priv) })).__raw, succeeded(priv));
    c.close();
  });

  test('subscription_error carries channel and an object data with type, error, status (10.3 #47)', async () => {
    const c = await connectOk(server);
    const f = await c.subscribe('private-x', { auth: 'pws-key:deadbeef' });
    assert.deepEqual(memberOrder(f), ['event', 'data', 'channel'], f.__raw);
    assert.deepEqual(Object.keys(f.data).sort(), ['error', 'status', 'type'], f.__raw);
    assert.ok(Number.isInteger(f.data.status));
    c.close();
  });

  // ---- Unsubscribe ----

  test('pusher:unsubscribe produces no reply frame (10.3 #48)', async () => {
    const c = await connectOk(server);
    await c.subscribe('unsub-1');
    c.unsubscribe('unsub-1');
    assert.deepEqual(await c.sync(), []);
    c.send({ event: 'pusher:unsubscribe', data: JSON.stringify({ channel: 'unsub-1' }) });
    assert.deepEqual(await c.sync(), []);
    c.close();
  });

  test('after pusher:unsubscribe the connection no longer receives events of that channel (10.3 #49)', async () => {
    const a = await connectOk(server);
    const b = await connectOk(server);
    await a.subscribe('news');
    await b.subscribe('news');
    const ch = 'private-news';
    await a.subscribe(ch, { auth: channelAuth(app, a.socketId, ch) });
    await b.subscribe(ch, { auth: channelAuth(app, b.socketId, ch) });
    await publish(server, app, { name: 'before', data: '1', channels: ['news', ch] });
    await a.nextEvent('before', 'news');
    await a.nextEvent('before', ch);
    a.unsubscribe('news');
    a.unsubscribe(ch);
    assert.deepEqual(await a.sync(), []);
    await publish(server, app, { name: 'after', data: '2', channels: ['news', ch] });
    await b.nextEvent('after', 'news');
    await b.nextEvent('after', ch);
    await a.expectNothing((f) => f.event === 'after', 300);
    // Re-subscribing works again.
    assert.equal((await a.subscribe('news')).__raw, succeeded('news'));
    await publish(server, app, { name: 'again', data: '3', channel: 'news' });
    await a.nextEvent('again', 'news');
    a.close();
    b.close();
  });

  test('unsubscribing from a channel never subscribed is silently ignored (10.3 #50)', async () => {
    const c = await connectOk(server);
    c.unsubscribe('never-subscribed');
    c.unsubscribe('private-never');
    c.unsubscribe('presence-never');
    assert.deepEqual(await c.sync(), []);
    assert.equal(c.closeInfo, null);
    c.close();
  });

  test('a connection subscribed to several channels receives published events on each (2.8)', async () => {
    const c = await connectOk(server);
    await c.subscribe('multi-a');
    await c.subscribe('multi-b');
    await publish(server, app, { name: 'App\\Events\\OrderShipped', data: '{"id":42}', channels: ['multi-a', 'multi-b'] });
    const ea = await c.nextEvent('App\\Events\\OrderShipped', 'multi-a');
    const eb = await c.nextEvent('App\\Events\\OrderShipped', 'multi-b');
    assert.equal(ea.__raw, '{"event":"App\\\\Events\\\\OrderShipped","data":"{\\"id\\":42}","channel":"multi-a"}');
    assert.equal(eb.data, '{"id":42}');
    assert.ok(!('user_id' in ea));
    c.close();
  });
});
