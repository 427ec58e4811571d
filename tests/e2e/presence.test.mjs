// Presence channels: protocol reference 2.3, 2.4, 2.7, 3.4 and 4.2, checklist 10.4 (#51–#67).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, connectOk, defaultApp, channelAuth, subscribePresence, signin, dataOf, memberOrder,
} from './lib/harness.mjs';

const app = defaultApp;
let channelSeq = 0;
const freshChannel = (base = 'presence-room') => `${base}-${++channelSeq}`;

function assertSucceeded(frame, channel) {
  assert.equal(frame.event, 'pusher_internal:subscription_succeeded', `expected success: ${frame.__raw}`);
  assert.equal(frame.channel, channel);
  assert.equal(typeof frame.data, 'string', `data must be a string: ${frame.__raw}`);
  return JSON.parse(frame.data);
}

function assertSubscriptionError(frame, channel, type, status) {
  assert.equal(frame.event, 'pusher:subscription_error', `expected subscription_error: ${frame.__raw}`);
  assert.equal(frame.channel, channel, frame.__raw);
  assert.equal(typeof frame.data, 'object', frame.__raw);
  assert.equal(frame.data.type, type, frame.__raw);
  assert.equal(frame.data.status, status, frame.__raw);
}

/** Presence payload with ids compared as a set (clients do not depend on order, 2.4). */
function normalise(presence) {
  return { ...presence, ids: [...presence.ids].sort() };
}

describe('presence channels', () => {
  let server;
  before(async () => { server = await startServer(); });
  after(async () => { await server?.stop(); });

  test('subscription_succeeded data is a string holding {"presence":{ids,hash,count}} (10.4 #51)', async () => {
    const ch = freshChannel();
    const c = await connectOk(server);
    const f = await subscribePresence(c, app, ch, '{"user_id":"42","user_info":{"name":"Ada","role":"admin"}}');
    const data = assertSucceeded(f, ch);
    assert.deepEqual(data, { presence: { ids: ['42'], hash: { 42: { name: 'Ada', role: 'admin' } }, count: 1 } });
    assert.deepEqual(Object.keys(data), ['presence']);
    assert.deepEqual(memberOrder(f), ['event', 'data', 'channel']);
    c.close();
  });

  test("the subscriber's own id is included in ids, hash and count (10.4 #52)", async () => {
    const ch = freshChannel();
    const a = await connectOk(server);
    const b = await connectOk(server);
    await subscribePresence(a, app, ch, { user_id: '42', user_info: { name: 'Ada' } });
    const data = assertSucceeded(await subscribePresence(b, app, ch, { user_id: '7', user_info: { name: 'Bob' } }), ch);
    assert.deepEqual(normalise(data.presence), {
      ids: ['42', '7'],
      hash: { 42: { name: 'Ada' }, 7: { name: 'Bob' } },
      count: 2,
    });
    assert.deepEqual(data.presence.ids, ['42', '7'], 'ids in the order users joined (pws decision, 2.4)');
    a.close();
    b.close();
  });

  test('a numeric user_id 42 appears as the string "42" in ids, hash and member_added (10.4 #53)', async () => {
    const ch = freshChannel();
    const observer = await connectOk(server);
    await subscribePresence(observer, app, ch, { user_id: '7' });
    const c = await connectOk(server);
    const data = assertSucceeded(await subscribePresence(c, app, ch, '{"user_id":42}'), ch);
    assert.deepEqual(normalise(data.presence), { ids: ['42', '7'], hash: { 42: {}, 7: {} }, count: 2 });
    for (const id of data.presence.ids) assert.equal(typeof id, 'string');
    const added = await observer.nextEvent('pusher_internal:member_added', ch);
    assert.equal(typeof added.data, 'string', added.__raw);
    assert.deepEqual(JSON.parse(added.data), { user_id: '42', user_info: {} });
    observer.close();
    c.close();
  });

  test('existing subscribers receive member_added with string data; the joining socket does not (10.4 #54)', async () => {
    const ch = freshChannel();
    const a = await connectOk(server);
    const b = await connectOk(server);
    await subscribePresence(a, app, ch, { user_id: '7', user_info: { name: 'Bob' } });
    await subscribePresence(b, app, ch, { user_id: '8' });
    await a.nextEvent('pusher_internal:member_added', ch);
    const joiner = await connectOk(server);
    const info = '{"user_id":"42","user_info":{"name":"Ada","role":"admin"}}';
    await subscribePresence(joiner, app, ch, info);
    for (const c of [a, b]) {
      const added = await c.nextEvent('pusher_internal:member_added', ch);
      assert.equal(typeof added.data, 'string', added.__raw);
      assert.deepEqual(JSON.parse(added.data), { user_id: '42', user_info: { name: 'Ada', role: 'admin' } });
      assert.deepEqual(memberOrder(added), ['event', 'data', 'channel'], added.__raw);
      assert.ok(!('user_id' in added), 'no envelope user_id on member events (2.7)');
    }
    assert.deepEqual(await joiner.sync(), [], 'the joining socket gets no member_added');
    await joiner.expectNothing((f) => f.event === 'pusher_internal:member_added', 300);
    for (const c of [a, b, joiner]) c.close();
  });

  test('a second connection of the same user triggers no member_added and count stays the same (10.4 #55)', async () => {
    const ch = freshChannel();
    const observer = await connectOk(server);
    await subscribePresence(observer, app, ch, { user_id: '7' });
    const first = await connectOk(server);
    const d1 = assertSucceeded(await subscribePresence(first, app, ch, { user_id: '42', user_info: { name: 'Ada' } }), ch);
    assert.equal(d1.presence.count, 2);
    await observer.nextEvent('pusher_internal:member_added', ch);
    const second = await connectOk(server);
    const d2 = assertSucceeded(await subscribePresence(second, app, ch, { user_id: '42', user_info: { name: 'Ada' } }), ch);
    assert.deepEqual(normalise(d2.presence), { ids: ['42', '7'], hash: { 42: { name: 'Ada' }, 7: {} }, count: 2 });
    await observer.expectNothing((f) => f.event === 'pusher_internal:member_added', 300);
    await first.expectNothing((f) => f.event === 'pusher_internal:member_added', 0);
    // A third user still sees two members plus itself.
    const third = await connectOk(server);
    const d3 = assertSucceeded(await subscribePresence(third, app, ch, { user_id: '9' }), ch);
    assert.equal(d3.presence.count, 3);
    for (const c of [observer, first, second, third]) c.close();
  });

  test('closing one of two connections of a user sends no member_removed; closing the last one does (10.4 #56)', async () => {
    const ch = freshChannel();
    const observer = await connectOk(server);
    await subscribePresence(observer, app, ch, { user_id: '7' });
    const c1 = await connectOk(server);
    const c2 = await connectOk(server);
    await subscribePresence(c1, app, ch, { user_id: '42' });
    await subscribePresence(c2, app, ch, { user_id: '42' });
    await observer.nextEvent('pusher_internal:member_added', ch);
    await c1.close();
    await observer.expectNothing((f) => f.event === 'pusher_internal:member_removed', 500);
    await c2.close();
    const removed = await observer.nextEvent('pusher_internal:member_removed', ch);
    assert.equal(removed.data, '{"user_id":"42"}');
    observer.close();
  });

  test('unsubscribing the last connection of a user also sends member_removed (2.6)', async () => {
    const ch = freshChannel();
    const observer = await connectOk(server);
    await subscribePresence(observer, app, ch, { user_id: '7' });
    const c = await connectOk(server);
    await subscribePresence(c, app, ch, { user_id: '42' });
    await observer.nextEvent('pusher_internal:member_added', ch);
    c.unsubscribe(ch);
    const removed = await observer.nextEvent('pusher_internal:member_removed', ch);
    assert.equal(removed.data, '{"user_id":"42"}');
    assert.deepEqual(await c.sync(), [], 'the leaving connection gets nothing');
    // It can join again and is announced again.
    await subscribePresence(c, app, ch, { user_id: '42' });
    await observer.nextEvent('pusher_internal:member_added', ch);
    observer.close();
    c.close();
  });

  test('member_removed data is the string {"user_id":"42"} and reaches every remaining subscriber (10.4 #57)', async () => {
    const ch = freshChannel();
    const a = await connectOk(server);
    const b = await connectOk(server);
    await subscribePresence(a, app, ch, { user_id: '7' });
    await subscribePresence(b, app, ch, { user_id: '8' });
    const leaver = await connectOk(server);
    await subscribePresence(leaver, app, ch, '{"user_id":42,"user_info":{"name":"Ada"}}');
    await a.nextEvent('pusher_internal:member_added', ch);
    await b.nextEvent('pusher_internal:member_added', ch);
    leaver.close();
    for (const c of [a, b]) {
      const removed = await c.nextEvent('pusher_internal:member_removed', ch);
      assert.equal(removed.__raw, `{"event":"pusher_internal:member_removed","data":"{\\"user_id\\":\\"42\\"}","channel":"${ch}"}`);
    }
    a.close();
    b.close();
  });

  test('a member without user_info appears in hash with {} (10.4 #58)', async () => {
    const ch = freshChannel();
    const a = await connectOk(server);
    const data = assertSucceeded(await subscribePresence(a, app, ch, '{"user_id":"noinfo"}'), ch);
    assert.deepEqual(data.presence.hash, { noinfo: {} });
    const b = await connectOk(server);
    const data2 = assertSucceeded(await subscribePresence(b, app, ch, { user_id: 'other', user_info: { x: 1 } }), ch);
    assert.deepEqual(data2.presence.hash, { noinfo: {}, other: { x: 1 } });
    a.close();
    b.close();
  });

  test('correctly signed channel_data without a usable user_id yields AuthError (10.4 #59)', async () => {
    const ch = freshChannel();
    const c = await connectOk(server);
    for (const cd of ['{"user_info":{"name":"Ada"}}', '{"user_id":""}', '{"user_id":null}', '{"user_id":true}',
      '{"user_id":{"id":1}}', '{"user_id":["1"]}', '[1,2]', '"42"', 'not json']) {
      const f = await c.subscribe(ch, { auth: channelAuth(app, c.socketId, ch, cd), channel_data: cd });
      assertSubscriptionError(f, ch, 'AuthError', 401);
    }
    assert.deepEqual(await c.sync(), []);
    c.close();
  });

  test('changing one byte of channel_data after signing yields AuthError (10.4 #60)', async () => {
    const ch = freshChannel();
    const c = await connectOk(server);
    const signed = '{"user_id":"42","user_info":{"name":"Ada"}}';
    const sent = '{"user_id":"42", "user_info":{"name":"Ada"}}';
    const f = await c.subscribe(ch, { auth: channelAuth(app, c.socketId, ch, signed), channel_data: sent });
    assertSubscriptionError(f, ch, 'AuthError', 401);
    // The signature is over the exact bytes received: the spaced spelling signed as sent works.
    const ok = await c.subscribe(ch, { auth: channelAuth(app, c.socketId, ch, sent), channel_data: sent });
    assert.deepEqual(assertSucceeded(ok, ch).presence.hash, { 42: { name: 'Ada' } });
    c.close();
  });

  test('a presence subscription signed without channel_data, as the private form, yields AuthError (4.2)', async () => {
    const ch = freshChannel();
    const c = await connectOk(server);
    const cd = '{"user_id":"42"}';
    const f = await c.subscribe(ch, { auth: channelAuth(app, c.socketId, ch), channel_data: cd });
    assertSubscriptionError(f, ch, 'AuthError', 401);
    c.close();
  });

  test('a presence subscription without channel_data from a connection not signed in yields AuthError (10.4 #61)', async () => {
    const ch = freshChannel();
    const c = await connectOk(server);
    const f = await c.subscribe(ch, { auth: channelAuth(app, c.socketId, ch) });
    assertSubscriptionError(f, ch, 'AuthError', 401);
    assert.deepEqual(await c.sync(), []);
    c.close();
  });

  test('a signed-in connection joins without channel_data as its signed-in user (10.4 #62)', async (t) => {
    const ch = freshChannel();
    const observer = await connectOk(server);
    await subscribePresence(observer, app, ch, { user_id: '7' });
    const c = await connectOk(server);
    const s = await signin(c, app, '{"id":"42","user_info":{"name":"Ada"}}');
    if (s.event !== 'pusher:signin_success') {
      observer.close();
      c.close();
      t.skip(`pusher:signin not available: ${s.__raw}`);
      return;
    }
    const data = assertSucceeded(await c.subscribe(ch, { auth: channelAuth(app, c.socketId, ch) }), ch);
    assert.deepEqual(normalise(data.presence), { ids: ['42', '7'], hash: { 42: { name: 'Ada' }, 7: {} }, count: 2 });
    const added = await observer.nextEvent('pusher_internal:member_added', ch);
    assert.deepEqual(JSON.parse(added.data), { user_id: '42', user_info: { name: 'Ada' } });
    observer.close();
    c.close();
  });

  test('channel_data given by a signed-in connection takes precedence over the signed-in user (10.4 #63)', async (t) => {
    const ch = freshChannel();
    const c = await connectOk(server);
    const s = await signin(c, app, '{"id":"42","user_info":{"name":"Ada"}}');
    if (s.event !== 'pusher:signin_success') {
      c.close();
      t.skip(`pusher:signin not available: ${s.__raw}`);
      return;
    }
    const data = assertSucceeded(await subscribePresence(c, app, ch, { user_id: '7', user_info: { name: 'Bob' } }), ch);
    assert.deepEqual(data.presence, { ids: ['7'], hash: { 7: { name: 'Bob' } }, count: 1 });
    c.close();
  });

  test('the 101st distinct user gets LimitReached 4100; a present user can still add connections (10.4 #64)', async () => {
    const ch = freshChannel();
    const clients = await Promise.all(Array.from({ length: 100 }, () => connectOk(server)));
    // Join one after another so every join is complete before the limit is probed.
    for (let i = 0; i < clients.length; i++) {
      const f = await subscribePresence(clients[i], app, ch, { user_id: `user-${i}` });
      assert.equal(f.event, 'pusher_internal:subscription_succeeded', `user-${i}: ${f.__raw}`);
    }
    const extra = await connectOk(server);
    assertSubscriptionError(await subscribePresence(extra, app, ch, { user_id: 'user-100' }), ch, 'LimitReached', 4100);
    assert.deepEqual(await extra.sync(), [], 'connection stays open');
    const again = await connectOk(server);
    const data = assertSucceeded(await subscribePresence(again, app, ch, { user_id: 'user-0' }), ch);
    assert.equal(data.presence.count, 100);
    for (const c of [...clients, extra, again]) c.terminate();
  });

  test('user_info larger than 1 KB yields LimitReached 4301; exactly 1 KB is accepted (10.4 #65)', async () => {
    const ch = freshChannel();
    const c = await connectOk(server);
    // Compact JSON of user_info: {"blob":"<n x>"} is 11 + n bytes.
    const over = JSON.stringify({ user_id: 'big', user_info: { blob: 'x'.repeat(1014) } });
    assertSubscriptionError(await subscribePresence(c, app, ch, over), ch, 'LimitReached', 4301);
    const exact = JSON.stringify({ user_id: 'big', user_info: { blob: 'x'.repeat(1013) } });
    assert.equal(JSON.stringify(JSON.parse(exact).user_info).length, 1024);
    assertSucceeded(await subscribePresence(c, app, ch, exact), ch);
    c.close();
  });

  test('a user_id longer than 128 characters is rejected (10.4 #66)', async () => {
    const ch = freshChannel();
    const c = await connectOk(server);
    const long = 'u'.repeat(129);
    const f = await subscribePresence(c, app, ch, { user_id: long });
    assertSubscriptionError(f, ch, 'LimitReached', 4301);
    const ok = 'v'.repeat(128);
    const data = assertSucceeded(await subscribePresence(c, app, ch, { user_id: ok }), ch);
    assert.deepEqual(data.presence.ids, [ok]);
    c.close();
  });

  test('subscribing twice to a presence channel is idempotent: no member events (2.3 step 5)', async () => {
    const ch = freshChannel();
    const observer = await connectOk(server);
    await subscribePresence(observer, app, ch, { user_id: '7' });
    const c = await connectOk(server);
    await subscribePresence(c, app, ch, { user_id: '42' });
    await observer.nextEvent('pusher_internal:member_added', ch);
    const again = assertSucceeded(await subscribePresence(c, app, ch, { user_id: '42' }), ch);
    assert.equal(again.presence.count, 2);
    await observer.expectNothing((f) => f.event.startsWith('pusher_internal:member_'), 300);
    observer.close();
    c.close();
  });

  test('published events on presence channels reach all members (2.8)', async () => {
    const { publish } = await import('./lib/trigger.mjs');
    const ch = freshChannel();
    const a = await connectOk(server);
    const b = await connectOk(server);
    await subscribePresence(a, app, ch, { user_id: '1' });
    await subscribePresence(b, app, ch, { user_id: '2' });
    await publish(server, app, { name: 'hello', data: '{"x":1}', channel: ch });
    for (const c of [a, b]) {
      const e = await c.nextEvent('hello', ch);
      assert.equal(e.__raw, `{"event":"hello","data":"{\\"x\\":1}","channel":"${ch}"}`);
      assert.equal(dataOf(e).x, 1);
    }
    a.close();
    b.close();
  });
});

test('presence channels never receive pusher_internal:subscription_count (10.4 #67)', async (t) => {
  const server = await startServer({ apps: [{ ...app, enable_subscription_count: true }] });
  t.after(() => server.stop());
  const ch = freshChannel();
  const a = await connectOk(server);
  const b = await connectOk(server);
  await subscribePresence(a, app, ch, { user_id: '1' });
  await subscribePresence(b, app, ch, { user_id: '2' });
  await a.nextEvent('pusher_internal:member_added', ch);
  b.close();
  await a.nextEvent('pusher_internal:member_removed', ch);
  await a.expectNothing((f) => f.event === 'pusher_internal:subscription_count', 300);
  assert.ok(!b.frames.some((f) => f.event === 'pusher_internal:subscription_count'));
  a.close();
});
