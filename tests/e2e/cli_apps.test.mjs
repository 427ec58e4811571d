// `pws apps add|list|show|remove` (CLI spec, issue 3): the registry in pws.toml edited in place
// under a lock, 0600, comments kept, secrets masked unless asked for, --env / --json output,
// exit statuses (1 failure, 2 usage), 8 concurrent `apps add` runs losing nothing, and a
// running `pws serve` picking up an added app (hot reload) without dropping other connections.
//
// Every process runs in a temporary HOME / XDG_CONFIG_HOME / cwd with PWS_CONFIG and
// PUSHER_APP_* removed from its environment, so nothing here reads or writes the real home.

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { startServer, connect, connectOk, defaultApp } from './lib/harness.mjs';
import {
  sandbox, removeSandboxes, runPws, runOk, parseEnvLines, parseFields, parseTable, modeOf,
} from './lib/apps.mjs';

after(removeSandboxes);

const ELLIPSIS = '\u2026';
const APP_KEYS = ['id', 'key', 'secret', 'name', 'enabled', 'enable_client_messages', 'enable_statistics'];

/** The apps of the registry as `pws apps list --json --show-secrets` reports them (also proves the file parses). */
async function listApps(box, args = [], env = {}) {
  const r = await runOk(['apps', 'list', '--json', '--show-secrets', ...args], { box, env });
  return JSON.parse(r.stdout);
}

function masked(secret) {
  return secret.slice(0, 4) + ELLIPSIS;
}

describe('pws apps: round trip on the user config', () => {
  test('add creates $XDG_CONFIG_HOME/pws/pws.toml (0600); list, show and remove find the app', async () => {
    const box = sandbox();
    assert.ok(!existsSync(box.userConfig));

    const add = await runOk(['apps', 'add', '--name', 'My blog'], { box });
    assert.ok(existsSync(box.userConfig), add.describe());
    assert.equal(modeOf(box.userConfig), 0o600, 'config file mode');
    assert.equal(modeOf(path.dirname(box.userConfig)), 0o700, 'config directory mode');
    assert.match(add.stdout, /created/, add.describe());
    assert.ok(add.stdout.includes(box.userConfig), `the file written is named\n${add.describe()}`);
    const fields = parseFields(add.stdout);
    assert.match(fields.id, /^\d+$/, add.describe());
    assert.match(fields.key, /^[0-9a-f]{20}$/, add.describe());
    assert.match(fields.secret, /^[0-9a-f]{40}$/, add.describe());
    assert.equal(fields.name, 'My blog');

    // A second add does not say "created".
    const add2 = await runOk(['apps', 'add', '--name', 'shop', '--id', '777', '--key', 'shop-key', '--secret', 'shop-secret-123'], { box });
    assert.doesNotMatch(add2.stdout, /created/, add2.describe());
    assert.equal(modeOf(box.userConfig), 0o600);

    const list = await runOk(['apps', 'list'], { box });
    const rows = parseTable(list.stdout);
    assert.deepEqual(Object.keys(rows[0] ?? {}), ['ID', 'NAME', 'KEY', 'SECRET', 'ENABLED', 'CLIENT_MESSAGES', 'STATISTICS'], list.describe());
    assert.equal(rows.length, 2, list.describe());
    assert.deepEqual(rows.map((r) => r.ID), [fields.id, '777']);
    assert.deepEqual(rows.map((r) => r.NAME), ['My blog', 'shop']);
    assert.deepEqual(rows.map((r) => r.KEY), [fields.key, 'shop-key']);
    // Secrets are masked: first 4 characters and an ellipsis, never the whole secret.
    assert.deepEqual(rows.map((r) => r.SECRET), [masked(fields.secret), masked('shop-secret-123')]);
    assert.ok(!list.stdout.includes(fields.secret) && !list.stdout.includes('shop-secret-123'), list.describe());

    const shown = await runOk(['apps', 'list', '--show-secrets'], { box });
    assert.deepEqual(parseTable(shown.stdout).map((r) => r.SECRET), [fields.secret, 'shop-secret-123'], shown.describe());

    // show by id and by name
    for (const which of [fields.id, 'My blog']) {
      const show = await runOk(['apps', 'show', which], { box });
      const f = parseFields(show.stdout);
      assert.equal(f.id, fields.id, show.describe());
      assert.equal(f.key, fields.key);
      assert.equal(f.name, 'My blog');
      assert.equal(f.secret, masked(fields.secret));
      assert.ok(!show.stdout.includes(fields.secret), show.describe());
    }
    const showSecret = await runOk(['apps', 'show', '777', '--show-secrets'], { box });
    assert.equal(parseFields(showSecret.stdout).secret, 'shop-secret-123', showSecret.describe());

    const remove = await runOk(['apps', 'remove', 'My blog'], { box });
    assert.equal(remove.stdout.trim(), `removed app ${fields.id} (My blog) from ${box.userConfig}`, remove.describe());
    assert.equal(modeOf(box.userConfig), 0o600);

    const after1 = await listApps(box);
    assert.deepEqual(after1.map((a) => a.id), ['777']);

    const gone = await runPws(['apps', 'show', fields.id], { box });
    assert.equal(gone.code, 1, gone.describe());
    assert.match(gone.stderr, new RegExp(`no app "${fields.id}" in ${box.userConfig.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), gone.describe());

    await runOk(['apps', 'remove', '777'], { box });
    const empty = await runOk(['apps', 'list'], { box });
    assert.equal(empty.stdout, '', empty.describe());
    assert.deepEqual(await listApps(box), []);
  });

  test('--env prints exactly PUSHER_APP_ID/KEY/SECRET lines (add and show)', async () => {
    const box = sandbox();
    const add = await runOk(['apps', 'add', '--name', 'env app', '--env'], { box });
    const env = parseEnvLines(add.stdout);
    assert.deepEqual(Object.keys(env), ['PUSHER_APP_ID', 'PUSHER_APP_KEY', 'PUSHER_APP_SECRET'], add.describe());
    assert.match(env.PUSHER_APP_ID, /^\d+$/);
    assert.match(env.PUSHER_APP_KEY, /^[0-9a-f]{20}$/);
    assert.match(env.PUSHER_APP_SECRET, /^[0-9a-f]{40}$/);

    // The secret is in clear with --env, even without --show-secrets.
    for (const which of [env.PUSHER_APP_ID, 'env app']) {
      const show = await runOk(['apps', 'show', which, '--env'], { box });
      assert.deepEqual(parseEnvLines(show.stdout), env, show.describe());
    }
    const [app] = await listApps(box);
    assert.deepEqual([app.id, app.key, app.secret], [env.PUSHER_APP_ID, env.PUSHER_APP_KEY, env.PUSHER_APP_SECRET]);
  });

  test('--json: add prints the app with its secret; list and show mask it unless --show-secrets', async () => {
    const box = sandbox();
    const add = await runOk(['apps', 'add', '--json', '--name', 'json app', '--client-messages', '--no-statistics'], { box });
    const app = JSON.parse(add.stdout);
    assert.deepEqual(Object.keys(app), APP_KEYS, add.describe());
    assert.equal(app.name, 'json app');
    assert.match(app.secret, /^[0-9a-f]{40}$/);
    assert.equal(app.enabled, true);
    assert.equal(app.enable_client_messages, true);
    assert.equal(app.enable_statistics, false);

    const list = JSON.parse((await runOk(['apps', 'list', '--json'], { box })).stdout);
    assert.equal(list.length, 1);
    assert.deepEqual(list[0], { ...app, secret: masked(app.secret) });
    assert.deepEqual(await listApps(box), [app]);

    const show = JSON.parse((await runOk(['apps', 'show', app.id, '--json'], { box })).stdout);
    assert.deepEqual(show, { ...app, secret: masked(app.secret) });
    const showSecret = JSON.parse((await runOk(['--json', 'apps', 'show', 'json app', '--show-secrets'], { box })).stdout);
    assert.deepEqual(showSecret, app);
  });

  test('--id, --key, --secret are used as given; ids of digits are fine', async () => {
    const box = sandbox();
    const r = await runOk(['apps', 'add', '--name', 'given', '--id', '123456', '--key', 'my-key', '--secret', 'my-secret', '--json'], { box });
    assert.deepEqual(JSON.parse(r.stdout), {
      id: '123456', key: 'my-key', secret: 'my-secret', name: 'given', enabled: true, enable_client_messages: false, enable_statistics: true,
    });
    const text = readFileSync(box.userConfig, 'utf8');
    assert.match(text, /^id = "123456"$/m);
  });

  test('--quiet prints nothing on success', async () => {
    const box = sandbox();
    const r = await runOk(['apps', 'add', '--name', 'q', '-q'], { box });
    assert.equal(r.stdout, '', r.describe());
    assert.equal((await listApps(box)).length, 1);
  });
});

describe('pws apps: which file', () => {
  test('without any config file: list prints nothing ([] with --json), show and remove exit 1', async () => {
    const box = sandbox();
    const list = await runOk(['apps', 'list'], { box });
    assert.equal(list.stdout, '', list.describe());
    assert.deepEqual(JSON.parse((await runOk(['apps', 'list', '--json'], { box })).stdout), []);
    for (const args of [['apps', 'show', 'x'], ['apps', 'remove', 'x']]) {
      const r = await runPws(args, { box });
      assert.equal(r.code, 1, r.describe());
      assert.match(r.stderr, /^pws: error: no config file found/m, r.describe());
    }
    assert.ok(!existsSync(box.userConfig), 'list/show/remove create nothing');
  });

  test('--config and $PWS_CONFIG name the file (created by add when missing); ./pws.toml is discovered', async () => {
    const box = sandbox();
    const named = path.join(box.root, 'etc', 'named.toml');
    await runOk(['apps', 'add', '--config', named, '--name', 'flag'], { box });
    assert.equal(modeOf(named), 0o600);
    const viaEnv = path.join(box.root, 'env.toml');
    await runOk(['apps', 'add', '--name', 'env'], { box, env: { PWS_CONFIG: viaEnv } });
    const local = path.join(box.cwd, 'pws.toml');
    writeFileSync(local, '[server]\nport = 6001\n', { mode: 0o600 });
    await runOk(['apps', 'add', '--name', 'local'], { box });

    assert.deepEqual((await listApps(box, ['--config', named])).map((a) => a.name), ['flag']);
    assert.deepEqual((await listApps(box, [], { PWS_CONFIG: viaEnv })).map((a) => a.name), ['env']);
    assert.deepEqual((await listApps(box)).map((a) => a.name), ['local']);
    assert.ok(!existsSync(box.userConfig), 'the user config is only created when nothing else exists');
  });
});

describe('every command: --config, --json with --quiet', () => {
  const COMMANDS = [['apps', 'list'], ['apps', 'show', 'x'], ['apps', 'remove', 'x'], ['stats', 'show'], ['stats', 'clean']];

  test('a --config or $PWS_CONFIG that does not exist is exit 2 (apps add creates it); an invalid one exit 1', async () => {
    const box = sandbox();
    const missing = path.join(box.root, 'missing.toml');
    const invalid = path.join(box.root, 'invalid.toml');
    writeFileSync(invalid, '[server]\nprot = 6001\n', { mode: 0o600 });
    for (const args of COMMANDS) {
      const named = await runPws([...args, '--config', missing], { box });
      assert.equal(named.code, 2, named.describe());
      assert.ok(named.stderr.includes(`pws: error: config file ${missing} does not exist`), named.describe());
      assert.match(named.stderr, /^pws: hint: .*--config/m, named.describe());
      const fromEnv = await runPws(args, { box, env: { PWS_CONFIG: missing } });
      assert.equal(fromEnv.code, 2, fromEnv.describe());
      assert.match(fromEnv.stderr, /\(from \$PWS_CONFIG\)/, fromEnv.describe());
      const broken = await runPws([...args, '--config', invalid], { box });
      assert.equal(broken.code, 1, broken.describe());
      assert.match(broken.stderr, /prot/, broken.describe());
    }
    assert.ok(!existsSync(missing), 'only apps add creates a named file');
    await runOk(['apps', 'add', '--name', 'made', '--config', missing], { box });
    assert.ok(existsSync(missing));
  });

  test('--json (and --env) output is printed even with --quiet; --quiet silences only human output', async () => {
    const box = sandbox();
    const added = await runOk(['apps', 'add', '--name', 'jq', '--id', '42', '--json', '--quiet'], { box });
    assert.equal(JSON.parse(added.stdout).id, '42', added.describe());
    assert.doesNotMatch(added.stderr, /created/, 'the "created" note is human output');
    const env = await runOk(['apps', 'add', '--name', 'envq', '--id', '43', '--env', '-q'], { box });
    assert.equal(parseEnvLines(env.stdout).PUSHER_APP_ID, '43', env.describe());
    for (const [args, check] of [
      [['apps', 'list'], (v) => assert.deepEqual(v.map((a) => a.id), ['42', '43'])],
      [['apps', 'show', 'jq'], (v) => assert.equal(v.name, 'jq')],
      [['stats', 'show'], (v) => assert.deepEqual(v, { apps: [] })],
      [['stats', 'clean', '--dry-run'], (v) => assert.equal(v.removed, 0)],
      [['apps', 'remove', '43'], (v) => assert.equal(v.id, '43')],
    ]) {
      const r = await runOk([...args, '--json', '--quiet'], { box });
      check(JSON.parse(r.stdout));
    }
    assert.equal((await runOk(['apps', 'show', 'jq', '--env', '--quiet'], { box })).stdout.split('\n')[0], 'PUSHER_APP_ID=42');
    for (const args of [['apps', 'list'], ['apps', 'show', 'jq'], ['stats', 'show'], ['stats', 'clean']]) {
      const r = await runOk([...args, '--quiet'], { box });
      assert.equal(r.stdout, '', r.describe());
    }
  });

  test('a duration reaching before 1970 gives a 1970 cutoff, not a negative year', async () => {
    const box = sandbox();
    const r = await runOk(['stats', 'clean', '--older-than', '15000000000w', '--json'], { box });
    assert.equal(JSON.parse(r.stdout).cutoff, '1970-01-01T00:00:00Z', r.describe());
    const tooLong = await runPws(['stats', 'clean', '--older-than', '99999999999w'], { box });
    assert.equal(tooLong.code, 2, tooLong.describe());
    assert.match(tooLong.stderr, /too long/, tooLong.describe());
  });

  test('usage errors read "pws: error:" with a hint naming the --help to read', async () => {
    const box = sandbox();
    const r = await runPws(['apps', 'add'], { box });
    assert.equal(r.code, 2, r.describe());
    assert.match(r.stderr, /^pws: error: --name is required$/m, r.describe());
    assert.match(r.stderr, /^pws: hint: see `pws apps add --help`$/m, r.describe());
  });
});

describe('pws apps: names in any script', () => {
  test('wide and combining characters keep the table aligned; show finds the app by that name', async () => {
    const box = sandbox();
    const names = ['東京 ☕', 'cafe\u0301', 'plain'];
    for (const [i, name] of names.entries()) await runOk(['apps', 'add', '--name', name, '--id', String(i + 1)], { box });
    const list = await runOk(['apps', 'list'], { box });
    // Terminal columns: CJK and emoji take 2, a combining accent 0.
    const columns = (text) => [...text].reduce((n, ch) => {
      const cp = ch.codePointAt(0);
      if (cp >= 0x300 && cp <= 0x36f) return n;
      return n + ((cp >= 0x4e00 && cp <= 0x9fff) || cp === 0x2615 ? 2 : 1);
    }, 0);
    const lines = list.stdout.trimEnd().split('\n');
    const keyColumn = (line) => columns(line.slice(0, line.search(/[0-9a-f]{20}|KEY/)));
    const at = keyColumn(lines[0]);
    for (const line of lines.slice(1)) assert.equal(keyColumn(line), at, `KEY column misaligned in\n${list.stdout}`);
    const shown = await runOk(['apps', 'show', '東京 ☕', '--json'], { box });
    assert.equal(JSON.parse(shown.stdout).id, '1');
  });
});

describe('pws apps: errors', () => {
  test('duplicate id or key: exit 1 naming the existing app; nothing written', async () => {
    const box = sandbox();
    await runOk(['apps', 'add', '--name', 'first', '--id', '500', '--key', 'k500'], { box });
    const before = readFileSync(box.userConfig, 'utf8');

    const sameId = await runPws(['apps', 'add', '--name', 'second', '--id', '500'], { box });
    assert.equal(sameId.code, 1, sameId.describe());
    assert.match(sameId.stderr, /pws: error: .*app id "500".*"first"/, sameId.describe());

    const sameKey = await runPws(['apps', 'add', '--name', 'second', '--key', 'k500'], { box });
    assert.equal(sameKey.code, 1, sameKey.describe());
    assert.match(sameKey.stderr, /pws: error: .*app key "k500".*"first"/, sameKey.describe());

    assert.equal(readFileSync(box.userConfig, 'utf8'), before);
  });

  test('usage errors exit 2: bad flag, missing --name, bad values; nothing is created', async () => {
    const box = sandbox();
    const cases = [
      ['apps', 'list', '--bogus'],
      ['apps', 'add'],
      ['apps', 'add', '--name', 'x', '--frobnicate'],
      ['apps', 'add', '--name', ''],
      ['apps', 'add', '--name', 'tab\there'],
      ['apps', 'add', '--name', 'x', '--id', 'a/b'],
      ['apps', 'add', '--name', 'x', '--id', 'a b'],
      ['apps', 'add', '--name', 'x', '--id', ''],
      ['apps', 'add', '--name', 'x', '--key', 'k/ey'],
      ['apps', 'add', '--name', 'x', '--secret', ''],
      ['apps', 'add', '--name', 'x', '--secret', 'a\nb'],
      ['apps', 'add', '--name', 'x', '--env', '--json'],
      ['apps', 'show'],
      ['apps', 'remove'],
      ['apps'],
      ['apps', 'frob'],
    ];
    for (const args of cases) {
      const r = await runPws(args, { box });
      assert.equal(r.code, 2, r.describe());
      assert.equal(r.stdout, '', r.describe());
    }
    assert.ok(!existsSync(box.userConfig));
  });

  test('unknown app: show and remove exit 1 with no app "x" in FILE', async () => {
    const box = sandbox();
    await runOk(['apps', 'add', '--name', 'only'], { box });
    const before = readFileSync(box.userConfig, 'utf8');
    for (const verb of ['show', 'remove']) {
      const r = await runPws(['apps', verb, 'nope'], { box });
      assert.equal(r.code, 1, r.describe());
      assert.ok(r.stderr.includes(`pws: error: no app "nope" in ${box.userConfig}`), r.describe());
    }
    assert.equal(readFileSync(box.userConfig, 'utf8'), before);
  });

  test('a name shared by two apps is ambiguous (exit 2); the id still works', async () => {
    const box = sandbox();
    await runOk(['apps', 'add', '--name', 'twin', '--id', '1'], { box });
    await runOk(['apps', 'add', '--name', 'twin', '--id', '2'], { box });
    const r = await runPws(['apps', 'remove', 'twin'], { box });
    assert.equal(r.code, 2, r.describe());
    assert.match(r.stderr, /ambiguous/, r.describe());
    await runOk(['apps', 'remove', '2'], { box });
    assert.deepEqual((await listApps(box)).map((a) => a.id), ['1']);
  });

  test('an invalid config file is reported (exit 1) and left untouched', async () => {
    const box = sandbox();
    mkdirSync(path.dirname(box.userConfig), { recursive: true });
    const broken = '[server]\nprot = 6001\n';
    writeFileSync(box.userConfig, broken, { mode: 0o600 });
    for (const args of [['apps', 'add', '--name', 'x'], ['apps', 'list'], ['apps', 'remove', 'x']]) {
      const r = await runPws(args, { box });
      assert.equal(r.code, 1, r.describe());
      assert.match(r.stderr, /prot/, r.describe());
    }
    assert.equal(readFileSync(box.userConfig, 'utf8'), broken);
  });
});

describe('pws apps: editing keeps the file intact', () => {
  test('8 concurrent `pws apps add` processes: all 8 apps present, the file parses, mode 0600', async () => {
    const box = sandbox();
    const runs = await Promise.all(Array.from({ length: 8 }, (_, i) =>
      runPws(['apps', 'add', '--name', `concurrent-${i}`, '--json'], { box })));
    for (const r of runs) assert.equal(r.code, 0, r.describe());
    const added = runs.map((r) => JSON.parse(r.stdout));
    // Exactly one of them created the file.
    assert.equal(runs.filter((r) => /created/.test(r.stderr)).length, 1, runs.map((r) => r.describe()).join('\n'));

    const apps = await listApps(box);
    assert.equal(apps.length, 8, JSON.stringify(apps));
    assert.deepEqual(new Set(apps.map((a) => a.id)), new Set(added.map((a) => a.id)));
    assert.deepEqual(new Set(apps.map((a) => a.name)), new Set(added.map((a) => a.name)));
    assert.equal(modeOf(box.userConfig), 0o600);
  });

  test('remove keeps the other apps and every comment outside the removed table', async () => {
    const box = sandbox();
    mkdirSync(path.dirname(box.userConfig), { recursive: true });
    const head = '# my hand-written config\n[server]\nport = 6001   # the usual port\n\n# apps below\n';
    const appA = '[[apps]]\nid = "1"\nkey = "key-a"\nsecret = "secret-a"\nname = "alpha"\n';
    const appB = '\n# beta is the shop\n[[apps]]\nid = 2\nkey = "key-b"\nsecret = "secret-b"\nname = "beta"   # shop\n';
    const appC = '\n[[apps]]\nid = "3"\nkey = "key-c"\nsecret = "secret-c"\nname = "gamma"\n';
    const tail = '\n# limits for all\n[limits]\nmax_client_events_per_sec = 20\n';
    writeFileSync(box.userConfig, head + appA + appB + appC + tail, { mode: 0o644 });

    // Added apps go at the end; removing one of them and one written by hand keeps the rest.
    const added = JSON.parse((await runOk(['apps', 'add', '--name', 'delta', '--json'], { box })).stdout);
    assert.equal(modeOf(box.userConfig), 0o600);
    const r = await runOk(['apps', 'remove', 'gamma'], { box });
    assert.equal(r.stdout.trim(), `removed app 3 (gamma) from ${box.userConfig}`);
    await runOk(['apps', 'remove', added.id], { box });

    assert.equal(readFileSync(box.userConfig, 'utf8'), head + appA + appB + tail);
    assert.deepEqual((await listApps(box)).map((a) => a.name), ['alpha', 'beta']);

    await runOk(['apps', 'remove', 'alpha'], { box });
    const text = readFileSync(box.userConfig, 'utf8');
    assert.equal(text, head + appB + tail);
    assert.deepEqual((await listApps(box)).map((a) => a.name), ['beta']);
  });
});

describe('pws apps with a running server', () => {
  test('an app added to the served file is usable within 5 s; an existing connection stays open (hot reload)', async () => {
    const srv = await startServer({ apps: [defaultApp] });
    try {
      const existing = await connectOk(srv);
      const box = sandbox();
      const add = await runOk(['apps', 'add', '--config', srv.configPath, '--name', 'hot', '--json'], { box });
      const app = JSON.parse(add.stdout);
      assert.equal(modeOf(srv.configPath), 0o600);

      // Until the server reloads, the new key is refused (4001); retry for up to 5 s.
      const deadline = Date.now() + 5000;
      let fresh;
      let lastError;
      while (!fresh && Date.now() < deadline) {
        try {
          const c = await connect(srv, { key: app.key, timeoutMs: 2000 });
          if (c.socketId) fresh = c;
          else {
            lastError = new Error(`refused: ${JSON.stringify(c.first)}`);
            c.terminate();
          }
        } catch (e) {
          lastError = e;
        }
        if (!fresh) await new Promise((r) => setTimeout(r, 200));
      }
      assert.ok(fresh, `the new key ${app.key} was not accepted within 5 s after \`pws apps add\`` +
        ` (does \`pws serve\` reload its config?): ${lastError?.message}\nserver output:\n${srv.output()}`);
      assert.ok(fresh.socketId);

      // The connection of the unchanged app was not dropped by the reload.
      assert.ok(existing.isOpen, `existing connection closed: ${JSON.stringify(existing.closeInfo)}`);
      assert.deepEqual(await existing.sync(), []);
    } finally {
      await srv.stop();
    }
  });
});
