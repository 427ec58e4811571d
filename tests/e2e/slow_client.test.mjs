// A subscriber that stops reading must not grow the server's memory or slow
// the others down: its bounded output queue overflows and it is closed with
// pusher:error 4100 + close 4100 (issue #2 scope 8; protocol reference 2.10),
// while a healthy subscriber on the same channel keeps receiving everything.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes } from 'node:crypto';

import { startServer, connectOk, defaultApp } from './lib/harness.mjs';
import { signedRequest } from './lib/trigger.mjs';

let server;
before(async () => {
  // A small queue bound so the test needs little traffic to overflow it.
  server = await startServer({ server: { max_outbound_messages: 50, max_outbound_bytes_in_kb: 256 } });
});
after(async () => server && (await server.stop()));

/** A WebSocket client on a raw TCP socket, so the test controls when it reads. */
async function rawSubscriber(port, channel) {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const key = randomBytes(16).toString('base64');
  socket.write(
    `GET /app/${defaultApp.key}?protocol=7 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n` +
      `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  let buffer = Buffer.alloc(0);
  const onData = (chunk) => (buffer = Buffer.concat([buffer, chunk]));
  socket.on('data', onData);
  const deadline = Date.now() + 5000;
  while (!buffer.includes('subscription_succeeded')) {
    if (buffer.includes('connection_established') && !socket.subscribed) {
      socket.subscribed = true;
      socket.write(maskedText(JSON.stringify({ event: 'pusher:subscribe', data: { channel } })));
    }
    if (Date.now() > deadline) throw new Error(`no subscription: ${buffer}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  socket.off('data', onData);
  return socket;
}

/** A promise that rejects after `ms` without keeping the process alive. */
function failAfter(ms, message) {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(message())), ms).unref());
}

function maskedText(text) {
  const payload = Buffer.from(text);
  assert.ok(payload.length < 126);
  const mask = randomBytes(4);
  const frame = Buffer.alloc(6 + payload.length);
  frame[0] = 0x81;
  frame[1] = 0x80 | payload.length;
  mask.copy(frame, 2);
  for (let i = 0; i < payload.length; i++) frame[6 + i] = payload[i] ^ mask[i % 4];
  return frame;
}

/** Parses unmasked server frames: [{opcode, payload}]. */
function parseFrames(buffer) {
  const frames = [];
  let offset = 0;
  while (offset + 2 <= buffer.length) {
    const opcode = buffer[offset] & 0x0f;
    let length = buffer[offset + 1] & 0x7f;
    let header = 2;
    if (length === 126) {
      if (offset + 4 > buffer.length) break;
      length = buffer.readUInt16BE(offset + 2);
      header = 4;
    } else if (length === 127) {
      if (offset + 10 > buffer.length) break;
      length = Number(buffer.readBigUInt64BE(offset + 2));
      header = 10;
    }
    if (offset + header + length > buffer.length) break;
    frames.push({ opcode, payload: buffer.subarray(offset + header, offset + header + length) });
    offset += header + length;
  }
  return frames;
}

test('a subscriber that stops reading is closed with 4100 while others keep receiving (issue 2, 2.10)', async () => {
  const channel = 'firehose';
  const healthy = await connectOk(server);
  await healthy.subscribe(channel);
  const slow = await rawSubscriber(server.port, channel);
  slow.pause(); // stops reading: the kernel buffers fill, then the server's queue

  const data = 'x'.repeat(8 * 1024);
  const batches = 300; // 3,000 events of 8 KB: far beyond socket buffers + 256 KB
  let received = 0;
  const allReceived = new Promise((resolve) => {
    healthy.ws.on('message', () => {
      if (++received >= batches * 10) resolve();
    });
  });
  for (let i = 0; i < batches; i++) {
    const batch = Array.from({ length: 10 }, (_, j) => ({ channel, name: 'tick', data: `${i * 10 + j}:${data}` }));
    const res = await signedRequest(server, defaultApp, 'POST', '/batch_events', {
      body: JSON.stringify({ batch }),
    });
    assert.equal(res.status, 200);
  }
  await Promise.race([
    allReceived,
    failAfter(20000, () => `healthy client got ${received} of ${batches * 10}`),
  ]);

  // Now read what the slow client was sent: events, then the 4100 error and close.
  let buffer = Buffer.alloc(0);
  slow.on('data', (chunk) => (buffer = Buffer.concat([buffer, chunk])));
  const ended = new Promise((resolve) => slow.once('close', resolve));
  slow.resume();
  await Promise.race([ended, failAfter(15000, () => 'slow client was not closed')]);

  const frames = parseFrames(buffer);
  const texts = frames.filter((f) => f.opcode === 1).map((f) => f.payload.toString());
  const events = texts.filter((t) => t.includes('"tick"')).length;
  assert.ok(events < batches * 10, `the slow client should not have received every event (${events})`);
  const error = texts.map((t) => JSON.parse(t)).find((m) => m.event === 'pusher:error');
  assert.ok(error, 'a pusher:error precedes the close');
  assert.equal(error.data.code, 4100);
  const close = frames.find((f) => f.opcode === 8);
  assert.ok(close, 'a close frame was sent');
  assert.equal(close.payload.readUInt16BE(0), 4100);

  // The server is still serving.
  const again = await connectOk(server);
  again.close();
  healthy.close();
});
