// User authentication and server-to-user channels: protocol reference 2.13, 2.14 and 4.3,
// checklist 10.6 (#84–#90). Watchlists and terminate_connections are tested elsewhere.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, connectOk, defaultApp, userAuth, signin } from './lib/harness.mjs';
import { publish } from './lib/trigger.mjs';

const app = defaultApp;
const ADA = '{"id":"42","user_info":{"name":"Ada"}}';

function assertSigninSuccess(frame, userData) {
  assert.equal(frame.event, 'pusher:signin_success', `expected signin_success: ${frame.__raw}`);
  assert.equal(frame.__raw, JSON.stringify({ event: 'pusher:signin_success', data: { user_data: userData } }));
}

function assertError4009(frame) {
  assert.equal(frame.event, 'pusher:error', `expected pusher:error: ${frame.__raw}`);
  assert.equal(typeof frame.data, 'object', frame.__raw);
  assert.equal(frame.data.code, 4009, frame.__raw);
  assert.equal(typeof frame.data.message, 'string', frame.__raw);
  assert.ok(!('channel' in frame), frame.__raw);
}

describe('pusher:signin', () => {
  let server;
  before(async () => { server = await startServer(); });
  after(async () => { await server?.stop(); });

  test('a valid signin yields {"event":"pusher:signin_success","data":{"user_data":"<same string>"}} (10.6 #84)', async () => {
    const c = await connectOk(server);
    assertSigninSuccess(await signin(c, app, ADA), ADA);
    const c2 = await connectOk(server);
    const ud = '{"id":"7", "user_info":{"name":"Bob","tags":["a","b"]},"watchlist":[]}';
    assertSigninSuccess(await signin(c2, app, ud), ud);
    c.close();
    c2.close();
  });

  test('signin data sent as a JSON string is accepted (2.13)', async () => {
    const c = await connectOk(server);
    c.send({ event: 'pusher:signin', data: JSON.stringify({ auth: userAuth(app, c.socketId, ADA), user_data: ADA }) });
    assertSigninSuccess(await c.next(), ADA);
    c.close();
  });

  test('a wrong signin signature yields pusher:error 4009 and the connection stays open (10.6 #85)', async () => {
    const c = await connectOk(server);
    const other = await connectOk(server);
    const good = userAuth(app, c.socketId, ADA);
    const hex = good.split(':')[1];
    for (const auth of [
      userAuth(app, other.socketId, ADA), // signed for another socket
      `other-key:${hex}`, // key part is not the app key
      `pws-key:${hex.toUpperCase()}`,
      `pws-key::user::${hex}`, // the erroneous docs form (2.13)
      '',
      'garbage',
    ]) {
      c.send({ event: 'pusher:signin', data: { auth, user_data: ADA } });
      assertError4009(await c.next());
    }
    c.send({ event: 'pusher:signin', data: { user_data: ADA } });
    assertError4009(await c.next());
    assert.deepEqual(await c.sync(), []);
    assert.equal(c.closeInfo, null);
    // Still usable: a correct signin now succeeds.
    assertSigninSuccess(await signin(c, app, ADA), ADA);
    c.close();
    other.close();
  });

  test('user_data whose id is missing, empty or numeric yields pusher:error 4009 (10.6 #86)', async () => {
    const c = await connectOk(server);
    for (const ud of ['{"user_info":{"name":"Ada"}}', '{"id":""}', '{"id":42}', '{"id":null}', '[1]', 'not json',
      JSON.stringify({ id: 'x'.repeat(129) })]) {
      const f = await signin(c, app, ud);
      assertError4009(f);
    }
    assert.deepEqual(await c.sync(), []);
    assertSigninSuccess(await signin(c, app, JSON.stringify({ id: 'y'.repeat(128) })), JSON.stringify({ id: 'y'.repeat(128) }));
    c.close();
  });

  test('signing in again as the same user succeeds; as a different user yields 4009 (10.6 #87)', async () => {
    const c = await connectOk(server);
    assertSigninSuccess(await signin(c, app, ADA), ADA);
    assertSigninSuccess(await signin(c, app, ADA), ADA);
    const ada2 = '{"id":"42","user_info":{"name":"Ada Lovelace"}}';
    assertSigninSuccess(await signin(c, app, ada2), ada2);
    assertError4009(await signin(c, app, '{"id":"7"}'));
    assert.deepEqual(await c.sync(), []);
    // Still signed in as 42.
    const f = await c.subscribe('#server-to-user-42');
    assert.equal(f.event, 'pusher_internal:subscription_succeeded', f.__raw);
    c.close();
  });

  test('after signin as 42, subscribing to #server-to-user-42 succeeds with data "{}" (10.6 #88)', async () => {
    const c = await connectOk(server);
    assertSigninSuccess(await signin(c, app, ADA), ADA);
    const f = await c.subscribe('#server-to-user-42');
    assert.equal(f.__raw, '{"event":"pusher_internal:subscription_succeeded","data":"{}","channel":"#server-to-user-42"}');
    c.close();
  });

  test('#server-to-user-42 without signin, or signed in as 7, yields AuthError (10.6 #89)', async () => {
    const anon = await connectOk(server);
    const f = await anon.subscribe('#server-to-user-42');
    assert.equal(f.event, 'pusher:subscription_error', f.__raw);
    assert.equal(f.data.type, 'AuthError', f.__raw);
    assert.equal(f.data.status, 401, f.__raw);
    const bob = await connectOk(server);
    await signin(bob, app, '{"id":"7"}');
    const g = await bob.subscribe('#server-to-user-42');
    assert.equal(g.event, 'pusher:subscription_error', g.__raw);
    assert.equal(g.data.type, 'AuthError', g.__raw);
    assert.equal(g.data.status, 401, g.__raw);
    assert.equal((await bob.subscribe('#server-to-user-7')).event, 'pusher_internal:subscription_succeeded');
    anon.close();
    bob.close();
  });

  test('POST /events to #server-to-user-42 reaches each connection signed in as 42 exactly once, and no other (10.6 #90)', async () => {
    const subscribed = await connectOk(server);
    const notSubscribed = await connectOk(server);
    const bob = await connectOk(server);
    const anon = await connectOk(server);
    assertSigninSuccess(await signin(subscribed, app, ADA), ADA);
    assertSigninSuccess(await signin(notSubscribed, app, ADA), ADA);
    await signin(bob, app, '{"id":"7"}');
    assert.equal((await subscribed.subscribe('#server-to-user-42')).event, 'pusher_internal:subscription_succeeded');
    assert.equal((await bob.subscribe('#server-to-user-7')).event, 'pusher_internal:subscription_succeeded');

    await publish(server, app, { name: 'invoice-ready', data: '{"id":9}', channels: ['#server-to-user-42'] });
    const expected = '{"event":"invoice-ready","data":"{\\"id\\":9}","channel":"#server-to-user-42"}';
    for (const c of [subscribed, notSubscribed]) {
      const e = await c.nextEvent('invoice-ready');
      assert.equal(e.__raw, expected);
    }
    for (const c of [subscribed, notSubscribed, bob, anon]) {
      await c.expectNothing((f) => f.event === 'invoice-ready', 300);
    }

    // socket_id exclusion applies (2.14).
    await publish(server, app, { name: 'second', data: '{}', channel: '#server-to-user-42', socket_id: subscribed.socketId });
    await notSubscribed.nextEvent('second', '#server-to-user-42');
    await subscribed.expectNothing((f) => f.event === 'second', 300);
    for (const c of [subscribed, notSubscribed, bob, anon]) c.close();
  });

  test('client events on #server-to-user- channels are rejected (2.14)', async () => {
    const a = await connectOk(server);
    const b = await connectOk(server);
    await signin(a, app, ADA);
    await signin(b, app, ADA);
    await a.subscribe('#server-to-user-42');
    await b.subscribe('#server-to-user-42');
    a.send({ event: 'client-x', channel: '#server-to-user-42', data: {} });
    const err = await a.nextEvent('pusher:error');
    assert.equal(err.data.code, 4009, err.__raw);
    await b.expectNothing((f) => f.event === 'client-x', 300);
    a.close();
    b.close();
  });
});
