// Publishing to pws from Node.js with the official `pusher` server SDK,
// unchanged: only host, port and useTLS point it at pws instead of Pusher.
//
//   npm install pusher
//   PUSHER_APP_ID=1001 PUSHER_APP_KEY=example-key PUSHER_APP_SECRET=example-secret-change-me \
//     node node-trigger.mjs [channel] [event] [json-data]
//
// The credentials are the ones `pws serve` printed on first start (or an
// [[apps]] entry of your pws.toml). PUSHER_HOST, PUSHER_PORT and
// PUSHER_SCHEME default to a local pws: 127.0.0.1, 6001, http.
import Pusher from 'pusher';

const env = (name, fallback) => {
  const value = process.env[name];
  if (value) return value;
  if (fallback !== undefined) return fallback;
  console.error(`node-trigger: set ${name} (see the comment at the top of this file)`);
  process.exit(2);
};

const scheme = env('PUSHER_SCHEME', 'http');
const pusher = new Pusher({
  appId: env('PUSHER_APP_ID'),
  key: env('PUSHER_APP_KEY'),
  secret: env('PUSHER_APP_SECRET'),
  host: env('PUSHER_HOST', '127.0.0.1'),
  port: env('PUSHER_PORT', '6001'),
  useTLS: scheme === 'https',
});

const [channel = 'my-channel', event = 'my-event', data = '{"message":"hello from node"}'] =
  process.argv.slice(2);

try {
  // POST /apps/{id}/events; `info` asks pws for the channel's subscription count.
  const triggered = await pusher.trigger(channel, event, JSON.parse(data), { info: 'subscription_count' });
  console.log(`triggered ${event} on ${channel}:`, await triggered.json());

  // GET /apps/{id}/channels: the occupied channels.
  const channels = await pusher.get({ path: '/channels' });
  console.log('occupied channels:', await channels.json());
} catch (error) {
  // The SDK rejects with a RequestError carrying the HTTP status and body.
  console.error('node-trigger: request failed:', error.status ?? '', error.body ?? error.message);
  process.exit(1);
}
