// WebSocket clients on a raw TCP socket, for tests that must control when (and whether)
// the client reads: slow readers, watchers that never drain their socket. Plus a parser
// for the unmasked frames a server sends, and masked text frames to send.
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes } from 'node:crypto';

/**
 * Connects to 127.0.0.1:port and sends a WebSocket upgrade for `path`. Resolves with the
 * socket once the 101 answer arrived; `socket.received` holds whatever came after it
 * until the caller takes over the 'data' events (call `socket.stopCollecting()`).
 */
export async function rawUpgrade(port, path, { timeoutMs = 5000 } = {}) {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const key = randomBytes(16).toString('base64');
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n` +
      `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  let buffer = Buffer.alloc(0);
  const onData = (chunk) => (buffer = Buffer.concat([buffer, chunk]));
  socket.on('data', onData);
  const deadline = Date.now() + timeoutMs;
  let end;
  while ((end = buffer.indexOf('\r\n\r\n')) < 0) {
    if (Date.now() > deadline) throw new Error(`no upgrade answer for ${path}: ${buffer}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const head = buffer.subarray(0, end).toString();
  assert.match(head, /^HTTP\/1\.1 101 /, `upgrade of ${path} refused: ${head}`);
  Object.defineProperty(socket, 'received', { get: () => buffer.subarray(end + 4) });
  socket.stopCollecting = () => socket.off('data', onData);
  return socket;
}

/** A promise that rejects after `ms` without keeping the process alive. */
export function failAfter(ms, message) {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(message())), ms).unref());
}

/** A masked text frame (client to server) of a payload under 126 bytes. */
export function maskedText(text) {
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
export function parseFrames(buffer) {
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

/** Resumes a paused socket and resolves with every byte it receives until it closes. */
export async function drainUntilClosed(socket, ms, what) {
  let buffer = Buffer.alloc(0);
  socket.on('data', (chunk) => (buffer = Buffer.concat([buffer, chunk])));
  const ended = new Promise((resolve) => socket.once('close', resolve));
  socket.resume();
  await Promise.race([ended, failAfter(ms, () => `${what} was not closed`)]);
  return buffer;
}

/**
 * Resolves once `count()` reaches `target`, polling every few milliseconds; rejects after
 * `timeoutMs`. Publishers in the slow-reader tests use it to stay a little ahead of the
 * healthy reader, so only the reader that does not read falls behind, however slow the
 * server binary is (the sanitizer build is several times slower).
 */
export async function keepUp(count, target, timeoutMs, label) {
  const deadline = Date.now() + timeoutMs;
  while (count() < target) {
    if (Date.now() > deadline) throw new Error(`${label}: ${count()} of ${target} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/**
 * A raw-socket Pusher client of the app with `key`, subscribed to the public `channel`, its
 * 'data' events no longer collected: the caller decides when (and whether) it reads.
 */
export async function rawSubscriber(port, key, channel, { timeoutMs = 5000 } = {}) {
  const socket = await rawUpgrade(port, `/app/${key}?protocol=7`, { timeoutMs });
  const deadline = Date.now() + timeoutMs;
  while (!socket.received.includes('subscription_succeeded')) {
    if (socket.received.includes('connection_established') && !socket.subscribed) {
      socket.subscribed = true;
      socket.write(maskedText(JSON.stringify({ event: 'pusher:subscribe', data: { channel } })));
    }
    if (Date.now() > deadline) throw new Error(`no subscription to ${channel}: ${socket.received}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  socket.stopCollecting();
  return socket;
}
