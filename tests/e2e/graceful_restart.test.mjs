// Graceful restarts (issue 9; protocol reference 8.5): on SIGTERM pusher-js receives
// pusher:error 4200 and the close 4200, reconnects by itself to the server restarted on the
// same port, resubscribes, and receives what is published there; and the drain never takes
// longer than [server] shutdown_grace_in_seconds, even with a client that stops reading.

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, freePort, defaultApp, DEFAULT_TIMEOUT_MS } from './lib/harness.mjs';
import { rawSubscriber } from './lib/raw_socket.mjs';
import { signedRequest } from './lib/trigger.mjs';
import { TIME_FACTOR } from './lib/timing.mjs';
import {
  nextEvent, sdkFor, pusherClient, subscribe, trackPusherClients, waitForConnection,
} from './lib/pusher_clients.mjs';

const app = defaultApp;
trackPusherClients();

describe('graceful restart', () => {
  const servers = [];
  after(async () => { for (const s of servers) await s.stop(); });

  test('SIGTERM: pusher-js gets 4200, reconnects to the restarted server and resubscribes (8.5, 10.11 #157)', async () => {
    const port = await freePort();
    const first = await startServer({ apps: [app], port });
    servers.push(first);
    const pusher = await pusherClient(first, app, sdkFor(first, app));
    const { channel } = await subscribe(pusher, 'deploys');
    const before = nextEvent(channel, 'tick', { label: 'tick before the restart' });
    await sdkFor(first, app).trigger('deploys', 'tick', { n: 1 });
    assert.deepEqual((await before).data, { n: 1 });

    const error = nextEvent(pusher.connection, 'error', { label: 'pusher:error 4200' });
    const dropped = nextEvent(pusher.connection, 'state_change', {
      filter: (s) => s.current !== 'connected', label: 'pusher-js leaving connected',
    });
    first.proc.kill('SIGTERM');
    const { data: err } = await error;
    assert.equal(err.data?.code ?? err.error?.data?.code, 4200, JSON.stringify(err));
    await dropped;
    await first.stop();

    const second = await startServer({ apps: [app], port });
    servers.push(second);
    // pusher-js retries on its own (4200 means "reconnect at once"); give it its backoff.
    await waitForConnection(pusher, { failOn: [], timeoutMs: 20000 * TIME_FACTOR });
    // pusher-js resubscribes right after connecting; its subscription may land just after this
    // point, so publish until the event arrives (a trigger before it reaches nobody).
    const afterRestart = nextEvent(channel, 'tick', { timeoutMs: DEFAULT_TIMEOUT_MS * TIME_FACTOR, label: 'tick after the restart' });
    const sdk = sdkFor(second, app);
    const deadline = Date.now() + 10000 * TIME_FACTOR;
    let delivered = false;
    afterRestart.then(() => { delivered = true; }, () => {});
    while (!delivered && Date.now() < deadline) {
      await sdk.trigger('deploys', 'tick', { n: 2 });
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual((await afterRestart).data, { n: 2 });
  });

  test('the drain ends within shutdown_grace_in_seconds even when a client cannot be flushed (issue 9)', async () => {
    // A subscriber that stops reading with megabytes queued (bounds raised so that it is not
    // closed as too slow first) keeps its session, and so the drain, open until the grace ends.
    const bigApp = { ...app, max_event_payload_in_kb: 1024 };
    const server = await startServer({
      apps: [bigApp],
      server: { shutdown_grace_in_seconds: 1, max_outbound_messages: 100000, max_outbound_bytes_in_kb: 262144,
        max_request_size_in_kb: 2048 },
    });
    servers.push(server);
    const stuck = await rawSubscriber(server.port, bigApp.key, 'firehose');
    stuck.pause();
    const data = 'x'.repeat(1000 * 1024);
    for (let i = 0; i < 16; i++) {
      const res = await signedRequest(server, bigApp, 'POST', '/events', { body: { name: 'tick', data, channel: 'firehose' } });
      assert.equal(res.status, 200, res.text);
    }
    const exited = new Promise((resolve) => server.proc.once('exit', (code, signal) => resolve({ code, signal })));
    const started = Date.now();
    server.proc.kill('SIGTERM');
    const { code } = await exited;
    const took = Date.now() - started;
    assert.equal(code, 0);
    assert.ok(took >= 900, `exited after ${took} ms, before the 1 s grace although a client was still being flushed`);
    assert.ok(took < 1000 + 2000 * TIME_FACTOR, `exited after ${took} ms; the grace is 1 s`);
    stuck.destroy();
  });
});
