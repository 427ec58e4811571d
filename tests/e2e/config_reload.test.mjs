// A running `pws serve` follows its registry file (issue 3; semantics of protocol reference 1.4
// and Hub::set_apps): a new app connects without a restart, unchanged apps keep their
// connections, a removed app's clients get 4001, a disabled app's 4003, and a broken file is
// reported while the previous apps keep being served. Changes are picked up on their own
// (the file is polled every second) and at once on SIGHUP.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { startServer, connect, connectOk, renderConfig } from './lib/harness.mjs';

const first = { id: '2001', key: 'first-key', secret: 'first-secret' };
const second = { id: '2002', key: 'second-key', secret: 'second-secret' };
const third = { id: '2003', key: 'third-key', secret: 'third-secret' };

/** Replaces the config the way `pws apps add` does: a new file renamed over the old one. */
function replaceConfig(srv, apps) {
  const temp = `${srv.configPath}.new`;
  writeFileSync(temp, renderConfig({ apps }), { mode: 0o600 });
  renameSync(temp, srv.configPath);
}

/** Connects with `key` until the handshake succeeds or `ms` pass. */
async function connectWithin(srv, key, ms = 5000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const c = await connect(srv, { key });
    if (c.socketId) return c;
    c.terminate();
    if (Date.now() > deadline) throw new Error(`key ${key} still refused after ${ms} ms: ${JSON.stringify(c.first)}\n${srv.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Resolves with the output once `pattern` appears in the server's output. */
async function outputMatching(srv, pattern, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!pattern.test(srv.output())) {
    if (Date.now() > deadline) throw new Error(`server output never matched ${pattern}:\n${srv.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return srv.output();
}

describe('the registry file is reloaded while serving', () => {
  test('added, removed and disabled apps; unchanged apps keep their connections', async () => {
    const srv = await startServer({ apps: [first, second] });
    try {
      const keeper = await connectOk(srv, { key: first.key });
      await keeper.subscribe('news');
      const doomed = await connectOk(srv, { key: second.key });
      assert.equal((await connect(srv, { key: third.key })).error?.code, 4001, 'not known yet');

      // second removed, third added (renamed into place, as `pws apps add` writes).
      replaceConfig(srv, [first, third]);
      const removed = await doomed.nextEvent('pusher:error');
      assert.equal(removed.data.code, 4001);
      assert.equal((await doomed.closedWithin()).code, 4001);
      const newcomer = await connectWithin(srv, third.key);
      assert.deepEqual(await keeper.sync(), [], 'the unchanged app kept its connection');
      await outputMatching(srv, /reloaded .*2 apps, 1 added, 1 removed/);

      // third disabled, written in place this time (as an editor may).
      writeFileSync(srv.configPath, renderConfig({ apps: [first, { ...third, enabled: false }] }));
      const disabled = await newcomer.nextEvent('pusher:error');
      assert.equal(disabled.data.code, 4003);
      assert.equal((await newcomer.closedWithin()).code, 4003);
      assert.deepEqual(await keeper.sync(), []);
    } finally {
      await srv.stop();
    }
  });

  test('a broken file is reported and the running apps keep being served', async () => {
    const srv = await startServer({ apps: [first] });
    try {
      const keeper = await connectOk(srv, { key: first.key });
      writeFileSync(srv.configPath, '[[apps]]\nid = "2001"\nkey = \n');
      await outputMatching(srv, /cannot reload .*still serving the previous apps/);
      assert.deepEqual(await keeper.sync(), []);
      const another = await connectOk(srv, { key: first.key });
      another.close();
      // Fixed again: picked up as usual.
      replaceConfig(srv, [first, second]);
      await connectWithin(srv, second.key);
      assert.deepEqual(await keeper.sync(), []);
    } finally {
      await srv.stop();
    }
  });

  test('SIGHUP reloads at once', async () => {
    const srv = await startServer({ apps: [first] });
    try {
      replaceConfig(srv, [first, second]);
      srv.proc.kill('SIGHUP');
      await outputMatching(srv, /reloaded .*\((SIGHUP|changed on disk)\): 2 apps, 1 added, 0 removed/);
      await connectWithin(srv, second.key, 1000);
      assert.equal(srv.exited(), null, 'SIGHUP must not stop the server');
    } finally {
      await srv.stop();
    }
  });
});
