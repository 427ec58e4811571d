// A subscriber that stops reading must not grow the server's memory or slow
// the others down: its bounded output queue overflows and it is closed with
// pusher:error 4100 + close 4100 (issue #2 scope 8; protocol reference 2.10),
// while a healthy subscriber on the same channel keeps receiving everything.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, connectOk, defaultApp } from './lib/harness.mjs';
import { rawUpgrade, maskedText, parseFrames, failAfter, drainUntilClosed } from './lib/raw_socket.mjs';
import { signedRequest } from './lib/trigger.mjs';

let server;
before(async () => {
  // A small queue bound so the test needs little traffic to overflow it.
  server = await startServer({ server: { max_outbound_messages: 50, max_outbound_bytes_in_kb: 256 } });
});
after(async () => server && (await server.stop()));

/** A raw-socket subscriber of `channel`, so the test controls when it reads. */
async function rawSubscriber(port, channel) {
  const socket = await rawUpgrade(port, `/app/${defaultApp.key}?protocol=7`);
  const deadline = Date.now() + 5000;
  while (!socket.received.includes('subscription_succeeded')) {
    if (socket.received.includes('connection_established') && !socket.subscribed) {
      socket.subscribed = true;
      socket.write(maskedText(JSON.stringify({ event: 'pusher:subscribe', data: { channel } })));
    }
    if (Date.now() > deadline) throw new Error(`no subscription: ${socket.received}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  socket.stopCollecting();
  return socket;
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
  const frames = parseFrames(await drainUntilClosed(slow, 15000, 'the slow client'));
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
