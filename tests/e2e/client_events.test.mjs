// Client events: protocol reference 2.9, checklist 10.5 (#68–#83).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, connectOk, defaultApp, channelAuth, subscribePrivate, subscribePresence, memberOrder,
} from './lib/harness.mjs';

const app = defaultApp; // enable_client_messages = true
const quietApp = { id: '1002', key: 'quiet-key', secret: 'quiet-secret', enable_client_messages: false };

let seq = 0;
const fresh = (base) => `${base}-${++seq}`;

function assertRejected(frame, code) {
  assert.equal(frame.event, 'pusher:error', `expected pusher:error: ${frame.__raw}`);
  assert.equal(typeof frame.data, 'object', frame.__raw);
  assert.equal(frame.data.code, code, frame.__raw);
  assert.equal(typeof frame.data.message, 'string', frame.__raw);
  assert.ok(!('channel' in frame), `pusher:error is connection-scoped, no channel member: ${frame.__raw}`);
}

/** n connections subscribed to a private channel. */
async function privateGroup(server, ch, n, a = app) {
  const clients = await Promise.all(Array.from({ length: n }, () => connectOk(server, { key: a.key })));
  for (const c of clients) {
    const f = await subscribePrivate(c, a, ch);
    assert.equal(f.event, 'pusher_internal:subscription_succeeded', f.__raw);
  }
  return clients;
}

describe('client events', () => {
  let server;
  before(async () => {
    server = await startServer({ apps: [app, quietApp], limits: { max_client_events_per_sec: 10 } });
  });
  after(async () => { await server?.stop(); });

  test('client-typing on a private channel reaches the other subscribers, not the sender (10.5 #68)', async () => {
    const ch = fresh('private-chat');
    const [a, b, c] = await privateGroup(server, ch, 3);
    a.send({ event: 'client-typing', channel: ch, data: { typing: true } });
    for (const r of [b, c]) {
      const e = await r.nextEvent('client-typing', ch);
      assert.deepEqual(JSON.parse(e.data), { typing: true });
    }
    assert.deepEqual(await a.sync(), [], 'nothing back to the sender');
    for (const x of [a, b, c]) x.close();
  });

  test("another connection of the sender's user receives the client event (10.5 #69)", async () => {
    const ch = fresh('presence-chat');
    const a1 = await connectOk(server);
    const a2 = await connectOk(server);
    const other = await connectOk(server);
    await subscribePresence(a1, app, ch, { user_id: '42' });
    await subscribePresence(a2, app, ch, { user_id: '42' });
    await subscribePresence(other, app, ch, { user_id: '7' });
    a1.send({ event: 'client-typing', channel: ch, data: { typing: true } });
    const e = await a2.nextEvent('client-typing', ch);
    assert.equal(e.user_id, '42');
    await other.nextEvent('client-typing', ch);
    assert.deepEqual(await a1.sync(), []);
    for (const x of [a1, a2, other]) x.close();
  });

  test("on a presence channel the relayed event carries the sender's user_id (10.5 #70)", async () => {
    const ch = fresh('presence-chat');
    const sender = await connectOk(server);
    const receiver = await connectOk(server);
    await subscribePresence(sender, app, ch, '{"user_id":42,"user_info":{"name":"Ada"}}');
    await subscribePresence(receiver, app, ch, { user_id: '7' });
    sender.send({ event: 'client-typing', channel: ch, data: { typing: true } });
    const e = await receiver.nextEvent('client-typing', ch);
    assert.equal(e.__raw, `{"event":"client-typing","data":"{\\"typing\\":true}","channel":"${ch}","user_id":"42"}`);
    assert.deepEqual(memberOrder(e), ['event', 'data', 'channel', 'user_id']);
    sender.close();
    receiver.close();
  });

  test('on a private channel the relayed event has no user_id (10.5 #71)', async () => {
    const ch = fresh('private-chat');
    const [a, b] = await privateGroup(server, ch, 2);
    a.send({ event: 'client-typing', channel: ch, data: { typing: true } });
    const e = await b.nextEvent('client-typing', ch);
    assert.ok(!('user_id' in e), e.__raw);
    assert.equal(e.__raw, `{"event":"client-typing","data":"{\\"typing\\":true}","channel":"${ch}"}`);
    a.close();
    b.close();
  });

  test('a client-supplied user_id is replaced on presence and dropped on private channels (10.5 #72)', async () => {
    const pres = fresh('presence-chat');
    const priv = fresh('private-chat');
    const sender = await connectOk(server);
    const receiver = await connectOk(server);
    await subscribePresence(sender, app, pres, { user_id: '42' });
    await subscribePresence(receiver, app, pres, { user_id: '7' });
    await subscribePrivate(sender, app, priv);
    await subscribePrivate(receiver, app, priv);
    sender.send({ event: 'client-spoof', channel: pres, data: { a: 1 }, user_id: '7' });
    const e1 = await receiver.nextEvent('client-spoof', pres);
    assert.equal(e1.user_id, '42', e1.__raw);
    sender.send({ event: 'client-spoof', channel: priv, data: { a: 1 }, user_id: '7', extra: 'dropped' });
    const e2 = await receiver.nextEvent('client-spoof', priv);
    assert.ok(!('user_id' in e2), e2.__raw);
    assert.deepEqual(Object.keys(e2), ['event', 'data', 'channel'], 'only event, data, channel are relayed');
    sender.close();
    receiver.close();
  });

  test('object data is relayed as a string that decodes to the same JSON value (10.5 #73)', async () => {
    const ch = fresh('private-chat');
    const [a, b] = await privateGroup(server, ch, 2);
    const values = [
      { typing: true },
      { nested: { list: [1, 2.5, 'x', null, false], s: 'quote " and backslash \\ and é' } },
      [1, 2, 3],
      42,
      true,
      null,
    ];
    for (const v of values) a.send({ event: 'client-data', channel: ch, data: v });
    for (const v of values) {
      const e = await b.nextEvent('client-data', ch);
      assert.equal(typeof e.data, 'string', `data must be relayed as a string: ${e.__raw}`);
      assert.deepEqual(JSON.parse(e.data), v);
      assert.doesNotMatch(e.data.replace(/"(?:[^"\\]|\\.)*"/g, '""'), /\s/, `compact JSON: ${e.data}`);
    }
    a.close();
    b.close();
  });

  test('string data is relayed unchanged (10.5 #74)', async () => {
    const ch = fresh('private-chat');
    const [a, b] = await privateGroup(server, ch, 2);
    const strings = ['hello "world"', '{"a": 1,  "b":[ 1 ]}', '', 'é ☃ 𝄞', 'not json {'];
    for (const s of strings) a.send({ event: 'client-str', channel: ch, data: s });
    for (const s of strings) {
      const e = await b.nextEvent('client-str', ch);
      assert.equal(e.data, s, e.__raw);
    }
    a.close();
    b.close();
  });

  test('with client events disabled the sender gets pusher:error 4301 and nobody receives it (10.5 #75, #83)', async () => {
    const ch = fresh('private-chat');
    const [a, b] = await privateGroup(server, ch, 2, quietApp);
    a.send({ event: 'client-typing', channel: ch, data: {} });
    assertRejected(await a.next(), 4301);
    assert.deepEqual(await a.sync(), []);
    await b.expectNothing((f) => f.event === 'client-typing', 300);
    assert.equal(a.closeInfo, null);
    a.close();
    b.close();
  });

  test('a client event on a public channel is rejected with 4009 (10.5 #76, #83)', async () => {
    const ch = fresh('public-chat');
    const a = await connectOk(server);
    const b = await connectOk(server);
    await a.subscribe(ch);
    await b.subscribe(ch);
    a.send({ event: 'client-typing', channel: ch, data: {} });
    assertRejected(await a.next(), 4009);
    for (const other of [fresh('cache-chat')]) {
      await a.subscribe(other);
      a.send({ event: 'client-typing', channel: other, data: {} });
      assertRejected(await a.nextEvent('pusher:error'), 4009);
    }
    assert.deepEqual(await a.sync(), []);
    await b.expectNothing((f) => f.event === 'client-typing', 300);
    a.close();
    b.close();
  });

  test('a client event on a private channel the sender has not subscribed to is rejected with 4009 (10.5 #77, #83)', async () => {
    const ch = fresh('private-chat');
    const [b] = await privateGroup(server, ch, 1);
    const a = await connectOk(server);
    a.send({ event: 'client-typing', channel: ch, data: {} });
    assertRejected(await a.next(), 4009);
    // A failed subscription does not authorise client events either.
    a.send({ event: 'pusher:subscribe', data: { auth: 'pws-key:bad', channel: ch } });
    await a.nextEvent('pusher:subscription_error', ch);
    a.send({ event: 'client-typing', channel: ch, data: {} });
    assertRejected(await a.next(), 4009);
    // Nor does a former subscription.
    const c = await connectOk(server);
    await subscribePrivate(c, app, ch);
    c.unsubscribe(ch);
    c.send({ event: 'client-typing', channel: ch, data: {} });
    assertRejected(await c.next(), 4009);
    // No channel at all.
    c.send({ event: 'client-typing', data: {} });
    assertRejected(await c.next(), 4009);
    assert.deepEqual(await a.sync(), []);
    await b.expectNothing((f) => f.event === 'client-typing', 300);
    for (const x of [a, b, c]) x.close();
  });

  test('an event whose name does not start with client- is not relayed (10.5 #78)', async () => {
    const ch = fresh('private-chat');
    const [a, b] = await privateGroup(server, ch, 2);
    a.send({ event: 'typing', channel: ch, data: {} });
    a.send({ event: 'Client-typing', channel: ch, data: {} });
    a.send({ event: 'clienttyping', channel: ch, data: {} });
    assert.deepEqual(await a.sync(), [], 'ignored (1.9)');
    a.send({ event: 'client-marker', channel: ch, data: {} });
    const next = await b.next((f) => f.channel === ch);
    assert.equal(next.event, 'client-marker', `only client- events are relayed; frames seen:\n${b.seen()}`);
    a.close();
    b.close();
  });

  test('a 201-character client event name is rejected with 4301; 200 characters are relayed (10.5 #79, #83)', async () => {
    const ch = fresh('private-chat');
    const [a, b] = await privateGroup(server, ch, 2);
    const long = `client-${'x'.repeat(194)}`;
    assert.equal(long.length, 201);
    a.send({ event: long, channel: ch, data: {} });
    assertRejected(await a.next(), 4301);
    const max = `client-${'y'.repeat(193)}`;
    assert.equal(max.length, 200);
    a.send({ event: max, channel: ch, data: {} });
    await b.nextEvent(max, ch);
    assert.ok(!b.frames.some((f) => f.event === long), 'the long one was not relayed');
    assert.deepEqual(await a.sync(), []);
    a.close();
    b.close();
  });

  test('client event data over 10 KB is rejected with 4301; exactly 10 KB is relayed (10.5 #80, #83)', async () => {
    const ch = fresh('private-chat');
    const [a, b] = await privateGroup(server, ch, 2);
    a.send({ event: 'client-big', channel: ch, data: 'x'.repeat(10241) });
    assertRejected(await a.next(), 4301);
    // Object data is measured on its compact JSON: {"p":"<n>"} is 8 + n bytes.
    a.send({ event: 'client-big', channel: ch, data: { p: 'y'.repeat(10234) } });
    assertRejected(await a.next(), 4301);
    a.send({ event: 'client-ok', channel: ch, data: 'z'.repeat(10240) });
    const e = await b.nextEvent('client-ok', ch);
    assert.equal(e.data.length, 10240);
    a.send({ event: 'client-ok2', channel: ch, data: { p: 'w'.repeat(10232) } });
    const e2 = await b.nextEvent('client-ok2', ch);
    assert.equal(e2.data.length, 10240);
    assert.ok(!b.frames.some((f) => f.event === 'client-big'));
    assert.deepEqual(await a.sync(), []);
    a.close();
    b.close();
  });

  test('the 11th client event within one second is rejected with 4301 and not relayed (10.5 #81, #83)', async () => {
    const ch = fresh('private-chat');
    const [a, b] = await privateGroup(server, ch, 2);
    for (let i = 0; i < 11; i++) a.send({ event: 'client-burst', channel: ch, data: { i } });
    const err = await a.nextEvent('pusher:error');
    assertRejected(err, 4301);
    const got = [];
    for (let i = 0; i < 10; i++) got.push(JSON.parse((await b.nextEvent('client-burst', ch)).data).i);
    assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await b.expectNothing((f) => f.event === 'client-burst', 300);
    assert.deepEqual(await a.sync(), []);
    assert.equal(a.closeInfo, null);
    a.close();
    b.close();
  });

  test('client events on private-encrypted- channels are refused with 4009 and relayed to nobody (issue 6)', async () => {
    const ch = fresh('private-encrypted-chat');
    const [a, b] = await privateGroup(server, ch, 2);
    const data = '{"nonce":"EBESExQVFhcYGRobHB0eHyAhIiMkJSYn","ciphertext":"gCyO"}';
    a.send({ event: 'client-enc', channel: ch, data });
    const error = await a.nextEvent('pusher:error');
    assert.equal(error.data.code, 4009);
    assert.match(error.data.message, /not supported on encrypted channels/);
    assert.deepEqual(await b.sync(), [], 'the other subscriber got nothing');
    assert.equal(a.closeInfo, null, 'the sender stays connected');
    a.close();
    b.close();
  });
});

test('client events are relayed on apps whose key differs from the default (isolation between apps)', async (t) => {
  const server = await startServer({ apps: [app, { ...quietApp, enable_client_messages: true }] });
  t.after(() => server.stop());
  const ch = 'private-shared-name';
  const a = await connectOk(server);
  const b = await connectOk(server);
  const other = await connectOk(server, { key: quietApp.key });
  await subscribePrivate(a, app, ch);
  await subscribePrivate(b, app, ch);
  const f = await other.subscribe(ch, { auth: channelAuth(quietApp, other.socketId, ch) });
  assert.equal(f.event, 'pusher_internal:subscription_succeeded');
  a.send({ event: 'client-x', channel: ch, data: {} });
  await b.nextEvent('client-x', ch);
  await other.expectNothing((x) => x.event === 'client-x', 300);
  for (const x of [a, b, other]) x.close();
});
