// Malformed and hostile input gets its documented answer and the server keeps
// serving (issue 2: "bad input of every kind listed gets the documented error
// and the server keeps running"; protocol reference 1.9, 2.5, 3.2).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';

import { startServer, connect, connectOk, isEvent } from './lib/harness.mjs';

let server;
before(async () => {
  server = await startServer({ apps: [{ id: '1001', key: 'pws-key', secret: 'pws-secret', max_subscriptions_per_connection: 50 }] });
});
after(async () => server && (await server.stop()));

/** Proves the server still answers after an attack. */
async function stillServing() {
  const c = await connectOk(server);
  c.send({ event: 'pusher:ping', data: {} });
  await c.nextEvent('pusher:pong');
  c.close();
}

test('a text frame that is not valid UTF-8 is closed with 1007 (RFC 6455 8.1)', async () => {
  const c = await connectOk(server);
  // ws validates outgoing text only when asked; send raw bytes as a text frame.
  c.ws._sender.sendFrame(
    c.ws._sender.constructor.frame(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), {
      fin: true, rsv1: false, opcode: 1, mask: true, readOnly: false,
    }),
  );
  const closed = await c.closed;
  assert.equal(closed.code, 1007);
  await stillServing();
});

test('a message sent in several fragments is assembled before it is parsed (RFC 6455 5.4)', async () => {
  const c = await connectOk(server);
  const text = JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'fragmented' } });
  c.ws.send(text.slice(0, 10), { fin: false });
  c.ws.send(text.slice(10, 30), { fin: false });
  c.ws.send(text.slice(30), { fin: true });
  const ack = await c.next(isEvent('pusher_internal:subscription_succeeded', 'fragmented'));
  assert.equal(ack.channel, 'fragmented');
  c.close();
});

test('deeply nested JSON is an invalid message, not a crash (1.9)', async () => {
  const c = await connectOk(server);
  c.send('['.repeat(50_000) + ']'.repeat(50_000));
  const err = await c.nextEvent('pusher:error');
  assert.equal(err.data.code, null);
  c.send({ event: 'pusher:ping' });
  await c.nextEvent('pusher:pong');
  c.close();
});

test('wrong field types are answered, never crash the server (1.9)', async () => {
  const c = await connectOk(server);
  const bad = [
    { event: 42 },
    { event: 'pusher:subscribe', data: { channel: 7 } },
    { event: 'pusher:subscribe', data: [] },
    { event: 'pusher:subscribe', data: 'not json' },
    { event: 'pusher:unsubscribe', data: null },
    { event: 'pusher:signin', data: { auth: 5, user_data: {} } },
    { event: 'client-x', channel: 9, data: { a: 1 } },
    ['pusher:ping'],
    'null',
  ];
  for (const message of bad) c.send(typeof message === 'string' ? message : JSON.stringify(message));
  c.send({ event: 'pusher:ping' });
  await c.nextEvent('pusher:pong', undefined, 5000);
  assert.equal(c.closeInfo, null, 'the connection stays open');
  c.close();
  await stillServing();
});

test('subscriptions beyond max_subscriptions_per_connection get LimitReached (3.4, issue 9)', async () => {
  const c = await connectOk(server);
  for (let i = 0; i < 50; i++) c.send({ event: 'pusher:subscribe', data: { channel: `many-${i}` } });
  for (let i = 0; i < 50; i++) await c.next(isEvent('pusher_internal:subscription_succeeded', `many-${i}`));
  const reply = await c.subscribe('many-50');
  assert.equal(reply.event, 'pusher:subscription_error');
  assert.equal(reply.data.type, 'LimitReached');
  c.close();
});

test('an oversized request header is refused and the server keeps serving', async () => {
  const socket = net.connect(server.port, '127.0.0.1');
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let answer = '';
  socket.on('data', (d) => (answer += d.toString('latin1')));
  const ended = new Promise((resolve) => socket.once('close', resolve));
  socket.on('error', () => {});
  socket.write(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
  await Promise.race([ended, new Promise((_, reject) => setTimeout(() => reject(new Error('not closed')), 5000).unref())]);
  assert.ok(!answer.startsWith('HTTP/1.1 200'), `an oversized header must not be served: ${answer.slice(0, 80)}`);
  await stillServing();
});

test('garbage instead of an HTTP request is dropped and the server keeps serving', async () => {
  const socket = net.connect(server.port, '127.0.0.1');
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', () => {});
  let answer = '';
  socket.on('data', (d) => (answer += d.toString('latin1')));
  const ended = new Promise((resolve) => socket.once('close', resolve));
  socket.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x00, 0x00, 0x0d, 0x0a, 0x0d, 0x0a]));
  socket.end();
  await Promise.race([ended, new Promise((_, reject) => setTimeout(() => reject(new Error('not closed')), 5000).unref())]);
  assert.match(answer, /^HTTP\/1\.[01] 4\d\d/, 'answered with a 4xx status');
  await stillServing();
});

/** Sends raw bytes and collects everything until the server closes or goes quiet. */
async function exchange(bytes, quietMs = 500) {
  const socket = net.connect(server.port, '127.0.0.1');
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('error', () => {});
  let answer = '';
  let closed = false;
  socket.on('data', (d) => (answer += d.toString('latin1')));
  const ended = new Promise((resolve) => socket.once('close', () => resolve((closed = true))));
  socket.write(bytes);
  await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, quietMs).unref())]);
  socket.destroy();
  return { answer, closed };
}

test('HEAD answers headers only, so the next response on the connection is intact (RFC 9110 9.3.2)', async () => {
  const { answer } = await exchange('HEAD /up HTTP/1.1\r\nHost: x\r\n\r\nGET /up HTTP/1.1\r\nHost: x\r\n\r\n');
  const responses = answer.split('HTTP/1.1 ').filter(Boolean);
  assert.equal(responses.length, 2, answer);
  assert.ok(responses[0].endsWith('\r\n\r\n'), `HEAD carried a body: ${JSON.stringify(responses[0])}`);
  assert.ok(responses[1].startsWith('200') && responses[1].endsWith('OK'), answer);
});

test('an ambiguous Content-Length is refused with 400 and the connection closed (no request smuggling)', async () => {
  for (const lengths of [['abc'], ['5', '50'], ['-1']]) {
    const headers = lengths.map((l) => `Content-Length: ${l}\r\n`).join('');
    const { answer, closed } = await exchange(
      `POST /apps/1001/events HTTP/1.1\r\nHost: x\r\n${headers}\r\nGET /ready HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    assert.match(answer, /^HTTP\/1\.1 400/, `Content-Length ${lengths}: ${answer.slice(0, 60)}`);
    assert.equal((answer.match(/HTTP\/1\.1 /g) || []).length, 1, `the smuggled request was answered: ${answer}`);
    assert.ok(closed, 'the connection is closed');
  }
  await stillServing();
});

test('a protocol value too long for a small buffer is still checked: 4007 (10.1 #7)', async () => {
  for (const protocol of ['9'.repeat(70), 'x'.repeat(300)]) {
    const c = await connect(server, { query: `protocol=${protocol}` });
    assert.equal(c.error?.code, 4007, `protocol=${protocol.slice(0, 8)}…`);
    const closed = await c.closed;
    assert.equal(closed.code, 4007);
  }
});
