// The debug dashboard (issue 5; notes/dashboard-spec.md) in a real headless Chromium (Debian's
// `chromium`, driven by playwright-core): the page served by the real binary loads without
// console errors or CSP violations, watches an app's feed live, filters it, sends events that a
// pusher-js client receives (after validating them), charts the statistics, and asks for a token
// or an app's credentials when it is not opened on loopback.
//
// Every wait is bounded (Playwright's waitFor / waitForFunction with explicit timeouts, or the
// pusher-js helpers of lib/pusher_clients.mjs); nothing sleeps to synchronise. Screenshots go to
// <build dir>/screenshots/dashboard-*.png.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Pusher from 'pusher-js';
import { chromium } from 'playwright-core';
import { startServer, freePort, connectOk, renderConfig, PWS_BIN } from './lib/harness.mjs';
import {
  nextEvent, sdkFor, pusherOptions, pusherClient, subscribe as subscribeWithData, waitForConnection, trackPusherClients,
} from './lib/pusher_clients.mjs';
import { rawRequest } from './lib/http.mjs';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const UI_TIMEOUT_MS = 10000; // page-side waits (a statistics poll is every 5 s)
const SCREENSHOT_DIR = path.join(path.dirname(PWS_BIN), 'screenshots');
const TOKEN = 'dashboard-token-for-e2e-0123456789';

const mainApp = { id: '1001', key: 'dash-key', secret: 'dash-secret', name: 'Main app', enable_client_messages: true };
const otherApp = { id: '1002', key: 'other-key', secret: 'other-secret', name: 'Other app', enable_statistics: false };

/** The server's config: statistics every second, a dashboard token, the apps. */
function configText(apps = [mainApp, otherApp]) {
  return [
    '[statistics]',
    'interval_in_seconds = 1',
    '',
    '[dashboard]',
    `token = ${JSON.stringify(TOKEN)}`,
    '',
    renderConfig({ apps }),
  ].join('\n');
}

let seq = 0;
const fresh = (base) => `${base}-${++seq}`;

// ---- browser helpers ----------------------------------------------------------------------------

/** A persistent Chromium context with a fresh temporary profile; `close()` removes it. */
async function launchBrowser(extraArgs = []) {
  assert.ok(existsSync(CHROMIUM),
    `${CHROMIUM} is not installed: the dashboard tests need Debian's chromium package ` +
    '(`make e2e-deps` installs it, or `sudo apt-get install chromium`)');
  const profile = mkdtempSync(path.join(tmpdir(), 'pws-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_ARGS, ...extraArgs],
      viewport: { width: 1440, height: 900 },
      timeout: 30000,
    });
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * A new page that records console errors, uncaught exceptions, CSP violations and every request
 * that leaves the server's origin. `problems()` lists them; `allow` filters expected messages.
 */
async function newPage(browser, origin) {
  const page = await browser.context.newPage();
  const errors = [];
  const foreign = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(origin) && !url.startsWith(origin.replace(/^http/, 'ws')) && !url.startsWith('data:')) foreign.push(url);
  });
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  page.problems = async ({ allow = [] } = {}) => {
    const csp = await page.evaluate(() => window.__cspViolations ?? []).catch(() => []);
    return [
      ...errors.filter((t) => !allow.some((re) => re.test(t))),
      ...csp.map((v) => `CSP violation: ${v}`),
      ...foreign.map((u) => `request outside the server: ${u}`),
    ];
  };
  page.assertClean = async (opts) => assert.deepEqual(await page.problems(opts), [], 'console errors, CSP violations or foreign requests');
  return page;
}

function screenshot(page, name) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return page.screenshot({ path: path.join(SCREENSHOT_DIR, `dashboard-${name}.png`), fullPage: false });
}

const statusState = (page) => page.locator('#status').getAttribute('data-state');

/** Waits until #status has data-state `state`; the message names what it was instead. */
async function waitStatus(page, state, timeout = UI_TIMEOUT_MS) {
  try {
    await page.waitForFunction((s) => document.querySelector('#status')?.dataset.state === s, state, { timeout });
  } catch (e) {
    const text = await page.locator('#status').textContent().catch(() => '?');
    throw new Error(`status never became "${state}" within ${timeout} ms; it shows "${text}" (${await statusState(page).catch(() => '?')})\n${e.message}`);
  }
}

/** Opens the dashboard at `url`, picks `appId` and connects; resolves once the feed is live. */
async function openConnected(browser, url, appId = mainApp.id) {
  const origin = new URL(url).origin;
  const page = await newPage(browser, origin);
  await page.goto(url);
  await page.locator('#app-select').waitFor({ state: 'visible' });
  await page.waitForFunction((id) => [...document.querySelectorAll('#app-select option')].some((o) => o.value === id), appId);
  await page.selectOption('#app-select', appId);
  await page.click('#connect');
  await waitStatus(page, 'live');
  return page;
}

/** The table row of `type` whose text contains every string of `texts`. */
function row(page, type, ...texts) {
  let loc = page.locator(`#events tbody tr[data-type="${type}"]`);
  for (const t of texts) loc = loc.filter({ hasText: t });
  return loc;
}

/** Text of the cells of a row, by column class. */
async function rowCells(loc) {
  return loc.evaluate((tr) => Object.fromEntries([...tr.cells].map((td) => [td.className.replace(/^col-/, ''), td.textContent])));
}

/** Visible (not filtered out) rows' text. */
const visibleRows = (page) => page.$$eval('#events tbody tr', (trs) => trs.filter((tr) => !tr.hidden).map((tr) => tr.textContent));

// ---- the suite ------------------------------------------------------------------------------------

describe('debug dashboard in headless Chromium', () => {
  let srv;
  let sdk;
  let base;
  let browser;
  trackPusherClients();

  before(async () => {
    assert.ok(existsSync(CHROMIUM),
      `${CHROMIUM} is not installed: the dashboard tests need Debian's chromium package ` +
      '(`make e2e-deps` installs it, or `sudo apt-get install chromium`)');
    srv = await startServer({ apps: [mainApp, otherApp], config: configText() });
    base = `${srv.httpUrl}/dashboard/`;
    sdk = sdkFor(srv, mainApp);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await srv?.stop();
  });

  /** A connected pusher-js client of `app` (public channels only: no authorizers). */
  async function connectClient(app = mainApp) {
    return pusherClient(srv, app);
  }

  /** Subscribes and resolves with the channel once subscription_succeeded arrived. */
  async function subscribe(pusher, name) {
    return (await subscribeWithData(pusher, name)).channel;
  }

  test('GET /dashboard redirects to /dashboard/; the page loads clean and goes live', async () => {
    const redirect = await rawRequest(`${srv.httpUrl}/dashboard`);
    assert.equal(redirect.status, 308);
    assert.equal(redirect.headers.location, '/dashboard/');
    const html = await rawRequest(base);
    assert.equal(html.status, 200);
    assert.match(html.headers['content-security-policy'] ?? '', /script-src 'self'/);
    assert.doesNotMatch(html.text, /<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|<style/i, 'no inline script or style in index.html');
    for (const asset of ['app.js', 'app.css', 'favicon.svg']) {
      assert.equal((await rawRequest(`${base}${asset}`)).status, 200, asset);
    }

    const page = await newPage(browser, srv.httpUrl);
    const response = await page.goto(`${srv.httpUrl}/dashboard`);
    assert.equal(new URL(page.url()).pathname, '/dashboard/', 'redirected to the slash URL');
    assert.equal(response.status(), 200);
    await page.locator('#app-select').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#login').isVisible(), false, 'no login on loopback');
    assert.match(await page.locator('#access').textContent(), /loopback/);
    const options = await page.$$eval('#app-select option', (os) => os.map((o) => [o.value, o.textContent]));
    assert.deepEqual(options.map(([v]) => v), [mainApp.id, otherApp.id]);
    assert.match(options[0][1], /Main app/);
    await page.selectOption('#app-select', mainApp.id);
    assert.equal(await statusState(page), 'idle');
    await page.click('#connect');
    await waitStatus(page, 'live');
    assert.equal(await page.locator('#connect').textContent(), 'Disconnect');
    assert.match(await page.locator('#status').textContent(), /live/);
    // Disconnect and connect again: a fresh feed path each time.
    await page.click('#connect');
    await waitStatus(page, 'closed');
    assert.equal(await page.locator('#connect').textContent(), 'Connect');
    await page.click('#connect');
    await waitStatus(page, 'live');
    await page.assertClean();
    await page.close();
  });

  test('pusher-js traffic and an HTTP API event appear live in the table, newest first', async () => {
    const page = await openConnected(browser, base);
    const ch = fresh('orders');
    const pusher = await connectClient();
    const socketId = pusher.connection.socket_id;
    await row(page, 'connected', socketId).waitFor();
    await subscribe(pusher, ch);
    await row(page, 'subscribed', socketId, ch).waitFor();
    await row(page, 'occupied', ch).waitFor();

    const payload = { id: 42, note: '<img src=x onerror="window.__xss=1">' };
    const received = nextEvent(pusher.channel(ch), 'order-shipped');
    const res = await sdk.trigger(ch, 'order-shipped', payload);
    assert.equal(res.status, 200);
    assert.deepEqual((await received).data, payload);

    const apiRow = row(page, 'api_message', ch, 'order-shipped');
    await apiRow.waitFor();
    const first = page.locator('#events tbody tr').first();
    assert.equal(await first.getAttribute('data-type'), 'api_message', 'the newest event is on top');
    const cells = await rowCells(first);
    assert.equal(cells.channel, ch);
    assert.equal(cells.event, 'order-shipped');
    assert.equal(cells.details, JSON.stringify(payload));
    assert.match(cells.time, /^\d\d:\d\d:\d\d\.\d\d\d$/);
    assert.match(cells.type, /api.message/);
    // Event data is text, never markup.
    assert.equal(await page.locator('#events tbody img').count(), 0);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    // Click expands the data (pretty-printed).
    await first.locator('.data').click();
    await page.waitForFunction(() => document.querySelector('#events tbody tr .data.expanded')?.textContent.includes('\n'));

    // The connection rows are below, in reverse order of arrival.
    const types = await page.$$eval('#events tbody tr', (trs) => trs.map((tr) => tr.dataset.type));
    const at = (t) => types.indexOf(t);
    assert.ok(at('api_message') < at('subscribed') && at('subscribed') < at('connected'), `order: ${types.join(', ')}`);
    assert.match(await page.locator('#event-count').textContent(), /^\d+ events?/);

    // Data the server cut is marked; errors sent to clients show code and message.
    const long = 'x'.repeat(3000);
    await sdk.trigger(ch, 'long-one', long);
    const longRow = row(page, 'api_message', 'long-one');
    await longRow.waitFor();
    assert.equal(await longRow.locator('.tag-truncated').textContent(), 'truncated');
    const raw = await connectOk(srv, { key: mainApp.key });
    const refusedSub = await raw.subscribe('private-secret', { auth: `${mainApp.key}:${'0'.repeat(64)}` });
    assert.equal(refusedSub.event, 'pusher:subscription_error');
    const errRow = row(page, 'error', raw.socketId);
    await errRow.waitFor();
    assert.match((await rowCells(errRow)).details, /^\d+ \S/, 'code and message');
    raw.close();

    // Disconnecting shows up too.
    pusher.disconnect();
    await row(page, 'disconnected', socketId).waitFor();
    await screenshot(page, 'events');
    await page.assertClean();
    await page.close();
  });

  test('the filter box and the type checkboxes hide non-matching rows; Pause buffers, Clear empties', async () => {
    const page = await openConnected(browser, base);
    const a = fresh('alpha');
    const b = fresh('beta');
    const pusher = await connectClient();
    await subscribe(pusher, a);
    await subscribe(pusher, b);
    await sdk.trigger(a, 'ping-a', { n: 1 });
    await sdk.trigger(b, 'ping-b', { n: 2 });
    await row(page, 'api_message', b, 'ping-b').waitFor();
    await row(page, 'api_message', a, 'ping-a').waitFor();

    await page.fill('#filter', a.toUpperCase()); // case-insensitive
    await page.waitForFunction(([want, other]) => {
      const rows = [...document.querySelectorAll('#events tbody tr')];
      const shown = rows.filter((tr) => !tr.hidden);
      return shown.length > 0 && shown.every((tr) => tr.textContent.includes(want)) &&
        rows.some((tr) => tr.hidden && tr.textContent.includes(other));
    }, [a, b], { timeout: UI_TIMEOUT_MS });
    const shown = await visibleRows(page);
    assert.ok(shown.some((t) => t.includes('ping-a')), shown.join('\n'));
    assert.ok(!shown.some((t) => t.includes(b)), shown.join('\n'));
    assert.match(await page.locator('#event-count').textContent(), /shown/);

    // Data is searchable too.
    await page.fill('#filter', '"n":2');
    await page.waitForFunction(() => {
      const shown = [...document.querySelectorAll('#events tbody tr')].filter((tr) => !tr.hidden);
      return shown.length === 1 && shown[0].textContent.includes('ping-b');
    }, null, { timeout: UI_TIMEOUT_MS });

    // Type checkboxes: only api_message rows.
    await page.fill('#filter', '');
    await page.click('#type-filter summary');
    await page.click('#types-none');
    await page.check('#type-api_message');
    await page.waitForFunction(() => {
      const shown = [...document.querySelectorAll('#events tbody tr')].filter((tr) => !tr.hidden);
      return shown.length >= 2 && shown.every((tr) => tr.dataset.type === 'api_message');
    }, null, { timeout: UI_TIMEOUT_MS });
    await page.click('#types-all');
    await page.click('#type-filter summary');
    await page.waitForFunction(() => [...document.querySelectorAll('#events tbody tr')].every((tr) => !tr.hidden), null, { timeout: UI_TIMEOUT_MS });

    // Pause: new events are buffered, then shown on Resume.
    await page.click('#pause');
    await sdk.trigger(a, 'while-paused', { n: 3 });
    await page.waitForFunction(() => /buffered/.test(document.querySelector('#event-count').textContent), null, { timeout: UI_TIMEOUT_MS });
    assert.equal(await row(page, 'api_message', 'while-paused').count(), 0, 'not shown while paused');
    await page.click('#pause');
    await row(page, 'api_message', 'while-paused').waitFor();

    await page.click('#clear');
    await page.waitForFunction(() => document.querySelectorAll('#events tbody tr').length === 0, null, { timeout: UI_TIMEOUT_MS });
    assert.match(await page.locator('#event-count').textContent(), /^0 events/);
    await page.assertClean();
    await page.close();
  });

  test('the send form sends what a pusher-js client receives; invalid input is refused before sending', async () => {
    const page = await openConnected(browser, base);
    const posts = [];
    page.on('request', (r) => { if (r.method() === 'POST') posts.push(r.url()); });
    const ch = fresh('chat');
    const ch2 = fresh('chat');
    const pusher = await connectClient();
    const channel = await subscribe(pusher, ch);
    const channel2 = await subscribe(pusher, ch2);
    const seen = [];
    channel.bind_global((event, data) => { if (!event.startsWith('pusher:')) seen.push({ event, data }); });

    // A valid object, to two channels.
    const data = { text: 'hi from the dashboard', n: [1, 2], nested: { ok: true } };
    let got = nextEvent(channel, 'greeting');
    let got2 = nextEvent(channel2, 'greeting');
    await page.fill('#send-channel', `${ch}, ${ch2}`);
    await page.fill('#send-event', 'greeting');
    await page.fill('#send-data', JSON.stringify(data, null, 2));
    await page.click('#send-submit');
    assert.deepEqual((await got).data, data);
    assert.deepEqual((await got2).data, data);
    await page.waitForFunction(() => document.querySelector('#send-result')?.dataset.state === 'ok', null, { timeout: UI_TIMEOUT_MS });
    assert.match(await page.locator('#send-result').textContent(), /Sent "greeting" to 2 channels/);
    await row(page, 'api_message', ch, 'greeting').waitFor();
    assert.equal(posts.length, 1);
    assert.ok(posts[0].endsWith(`/dashboard/api/apps/${mainApp.id}/events`), posts[0]);

    // A JSON string is sent as that string.
    got = nextEvent(channel, 'note');
    await page.fill('#send-channel', ch);
    await page.fill('#send-event', 'note');
    await page.fill('#send-data', '"plain text, not an object"');
    await page.click('#send-submit');
    assert.equal((await got).data, 'plain text, not an object');
    assert.equal(posts.length, 2);

    // Invalid JSON: an error next to the field, nothing sent.
    await page.fill('#send-event', 'never');
    await page.fill('#send-data', '{"a": ');
    await page.click('#send-submit');
    await page.locator('#send-data-error').waitFor({ state: 'visible' });
    assert.match(await page.locator('#send-data-error').textContent(), /JSON/);
    assert.equal(await page.locator('#send-data').getAttribute('aria-invalid'), 'true');

    // Invalid channel names: refused, nothing sent.
    await page.fill('#send-data', '{}');
    for (const bad of ['bad channel!', 'x'.repeat(165), 'ok-channel, naïve']) {
      await page.fill('#send-channel', bad);
      await page.click('#send-submit');
      await page.locator('#send-channel-error').waitFor({ state: 'visible' });
      assert.match(await page.locator('#send-channel-error').textContent(), /channel/i);
    }
    // No event name.
    await page.fill('#send-channel', ch);
    await page.fill('#send-event', '');
    await page.click('#send-submit');
    await page.locator('#send-event-error').waitFor({ state: 'visible' });
    assert.equal(posts.length, 2, `nothing sent for invalid input: ${posts.join(', ')}`);

    // The server's own refusal is shown: data over the app's 10 KB limit -> 413.
    await page.fill('#send-event', 'too-big');
    await page.fill('#send-data', JSON.stringify('x'.repeat(20 * 1024)));
    await page.click('#send-submit');
    await page.waitForFunction(() => document.querySelector('#send-result')?.dataset.state === 'error', null, { timeout: UI_TIMEOUT_MS });
    const refusal = await page.locator('#send-result').textContent();
    assert.match(refusal, /413/, refusal);
    assert.equal(await page.locator('#send-submit').isDisabled(), false, 'the button is enabled again');

    // A marker proves nothing else reached the client in between (events arrive in order).
    got = nextEvent(channel, 'marker');
    await page.fill('#send-event', 'marker');
    await page.fill('#send-data', '{"last":true}');
    await page.click('#send-submit');
    await got;
    assert.deepEqual(seen.map((e) => e.event), ['greeting', 'note', 'marker']);
    await screenshot(page, 'send');
    // The 413 answer is logged by Chromium as a failed resource load.
    await page.assertClean({ allow: [/status of 413/] });
    await page.close();
  });

  test('the chart shows the statistics and the current connections', async () => {
    const page = await openConnected(browser, base);
    const n = 3;
    const ps = [];
    for (let i = 0; i < n; i++) ps.push(await connectClient());
    await subscribe(ps[0], fresh('stats'));
    const figures = () => page.$$eval('.figure-value', (els) => els.map((e) => `${e.id}=${e.textContent}`).join(' '));
    const want = `current-connections=${n} current-channels=1 current-subscriptions=1`;
    await page.waitForFunction((w) => [...document.querySelectorAll('.figure-value')].map((e) => `${e.id}=${e.textContent}`).join(' ') === w,
      want, { timeout: 15000 })
      .catch(async (e) => { throw new Error(`the figures show "${await figures()}", want "${want}"\n${e.message}`); });
    assert.equal(await page.locator('#stats-off').isVisible(), false);
    // Snapshots (every second) and the live series are drawn. The page polls
    // every 5 s and the snapshots come from the writer thread's SQLite file:
    // on a loaded machine (the whole suite at -j2) 15 s was seen to fall short
    // twice in a day, so a slow disk gets 30 s.
    await page.waitForFunction(() => Number(document.querySelector('#chart')?.dataset.snapshots) > 0 &&
      document.querySelector('#chart svg .series-peak circle') !== null &&
      document.querySelector('#chart svg .series-live circle') !== null, null, { timeout: 30000 });
    assert.ok(await page.locator('#chart svg').isVisible());
    assert.ok((await page.locator('#chart svg text.axis-label').count()) > 4, 'axis labels');
    const legend = await page.locator('#chart-legend').textContent();
    assert.match(legend, /peak connections/);
    assert.match(legend, /connections now/);
    assert.match(legend, /messages/);
    await row(page, 'subscribed').first().waitFor();
    await screenshot(page, 'chart');

    // One client leaves: the figure follows.
    ps[1].disconnect();
    await page.waitForFunction((want) => document.querySelector('#current-connections')?.textContent === String(want), n - 1, { timeout: 15000 });

    // The channels list.
    await page.locator('#channels tbody tr').first().waitFor();
    assert.equal(await page.locator('#channels tbody tr').count(), 1);

    // An app with statistics off says so.
    await page.selectOption('#app-select', otherApp.id);
    await page.locator('#stats-off').waitFor({ state: 'visible' });
    await waitStatus(page, 'live'); // it was connected: it follows the new app
    await page.waitForFunction(() => document.querySelector('#current-connections')?.textContent === '0', null, { timeout: UI_TIMEOUT_MS });
    await page.assertClean();
    await page.close();
  });

  test('the feed stops for good when the app is disabled (4003): no reconnect', async () => {
    const page = await openConnected(browser, base, otherApp.id);
    const temp = `${srv.configPath}.new`;
    try {
      writeFileSync(temp, configText([mainApp, { ...otherApp, enabled: false }]), { mode: 0o600 });
      renameSync(temp, srv.configPath);
      srv.proc.kill('SIGHUP');
      await waitStatus(page, 'closed');
      assert.match(await page.locator('#status').textContent(), /4003/);
      assert.equal(await page.locator('#connect').textContent(), 'Connect');
    } finally {
      writeFileSync(temp, configText(), { mode: 0o600 });
      renameSync(temp, srv.configPath);
      srv.proc.kill('SIGHUP');
    }
    // Re-enabled: connecting works again (until the reload is seen, the page retries with backoff).
    await page.click('#connect');
    await waitStatus(page, 'live', 15000);
    await page.assertClean({ allow: [/WebSocket connection .* failed/] });
    await page.close();
  });

  test('not on loopback: the page asks for the token or an app key + secret', async () => {
    // The API refuses without credentials when the Host is not loopback; the page itself is public.
    const refused = await rawRequest(`${base}api/apps`, { headers: { Host: `example.com:${srv.port}` } });
    assert.equal(refused.status, 401);
    assert.equal(refused.json?.code, 401);
    assert.equal(typeof refused.json?.error, 'string');
    assert.equal(refused.headers['www-authenticate'], undefined, 'no native browser dialog');
    assert.equal((await rawRequest(base, { headers: { Host: `example.com:${srv.port}` } })).status, 200);

    // localhost is loopback: open.
    const local = await newPage(browser, `http://localhost:${srv.port}`);
    await local.goto(`http://localhost:${srv.port}/dashboard/`);
    await local.locator('#app-select').waitFor({ state: 'visible' });
    assert.match(await local.locator('#access').textContent(), /loopback/);
    await local.assertClean();
    await local.close();

    // A name that is not loopback, resolved to 127.0.0.1 by Chromium itself.
    const remote = await launchBrowser(['--host-resolver-rules=MAP pws.test 127.0.0.1']);
    try {
      const origin = `http://pws.test:${srv.port}`;
      const url = `${origin}/dashboard/`;
      const page = await newPage(remote, origin);
      await page.goto(url);
      await page.locator('#login').waitFor({ state: 'visible' });
      assert.equal(await page.locator('#dashboard').isVisible(), false);
      assert.equal(await page.locator('#login-error').isVisible(), false, 'no error before trying');
      await screenshot(page, 'login');

      // Wrong token: the server's message.
      await page.fill('#login-token', 'not-the-token-at-all');
      await page.click('#login-submit');
      await page.locator('#login-error').waitFor({ state: 'visible' });
      assert.match(await page.locator('#login-error').textContent(), /Not accepted: .+/);
      assert.equal(await page.locator('#dashboard').isVisible(), false);

      // The configured token: every app, the feed works.
      await page.fill('#login-token', TOKEN);
      await page.click('#login-submit');
      await page.locator('#app-select').waitFor({ state: 'visible' });
      assert.deepEqual(await page.$$eval('#app-select option', (os) => os.map((o) => o.value)), [mainApp.id, otherApp.id]);
      assert.match(await page.locator('#access').textContent(), /token/);
      await page.selectOption('#app-select', mainApp.id);
      await page.click('#connect');
      await waitStatus(page, 'live');
      const pusher = await connectClient();
      await row(page, 'connected', pusher.connection.socket_id).waitFor();
      // Sending works through a non-loopback Host too (Origin matches Host).
      const ch = fresh('remote');
      const channel = await subscribe(pusher, ch);
      const got = nextEvent(channel, 'from-remote');
      await page.fill('#send-channel', ch);
      await page.fill('#send-event', 'from-remote');
      await page.fill('#send-data', '{"via":"pws.test"}');
      await page.click('#send-submit');
      assert.deepEqual((await got).data, { via: 'pws.test' });

      // A reload keeps the session (sessionStorage); sign out forgets it.
      await page.reload();
      await page.locator('#app-select').waitFor({ state: 'visible' });
      assert.equal(await page.locator('#login').isVisible(), false);
      await page.click('#sign-out');
      await page.locator('#login').waitFor({ state: 'visible' });
      await page.reload();
      await page.locator('#login').waitFor({ state: 'visible' });

      // Wrong secret refused; the right key + secret opens only that app.
      await page.fill('#login-key', otherApp.key);
      await page.fill('#login-secret', 'wrong-secret');
      await page.click('#login-app-submit');
      await page.waitForFunction(() => /Not accepted/.test(document.querySelector('#login-error')?.textContent ?? ''), null, { timeout: UI_TIMEOUT_MS });
      await page.fill('#login-secret', otherApp.secret);
      await page.click('#login-app-submit');
      await page.locator('#app-select').waitFor({ state: 'visible' });
      assert.deepEqual(await page.$$eval('#app-select option', (os) => os.map((o) => o.value)), [otherApp.id]);
      assert.match(await page.locator('#access').textContent(), /app key/);
      await page.click('#connect');
      await waitStatus(page, 'live');
      // The other app's API is closed to these credentials.
      const status = await page.evaluate(async ([id, key, secret]) => {
        const r = await fetch(`api/apps/${id}/statistics`, { headers: { Authorization: `Basic ${btoa(`${key}:${secret}`)}` } });
        return r.status;
      }, [mainApp.id, otherApp.key, otherApp.secret]);
      assert.equal(status, 403);
      await screenshot(page, 'app-login');
      // 401s (wrong token / secret, no credentials) and the deliberate 403 are logged as failed loads.
      await page.assertClean({ allow: [/status of 40[13]/] });
      await page.close();
    } finally {
      await remote.close();
    }
  });

  test('under a path prefix and a custom dashboard path, the relative URLs still work', async () => {
    const config = ['[server]', 'path_prefix = "/realtime"', '', '[dashboard]', 'path = "/debug/console"', '',
      renderConfig({ apps: [mainApp] })].join('\n');
    const other = await startServer({ apps: [mainApp], server: { path_prefix: '/realtime' }, config });
    try {
      const page = await newPage(browser, other.httpUrl);
      await page.goto(`${other.httpUrl}/realtime/debug/console`);
      assert.equal(new URL(page.url()).pathname, '/realtime/debug/console/');
      await page.locator('#app-select').waitFor({ state: 'visible' });
      await page.click('#connect');
      await waitStatus(page, 'live');
      const ch = fresh('prefixed');
      await page.fill('#send-channel', ch);
      await page.fill('#send-event', 'through-prefix');
      await page.fill('#send-data', '{"ok":1}');
      await page.click('#send-submit');
      await row(page, 'api_message', ch, 'through-prefix').waitFor();
      await page.assertClean();
      await page.close();
    } finally {
      await other.stop();
    }
  });

  test('dark colour scheme renders (screenshot)', async () => {
    const page = await openConnected(browser, base);
    await page.emulateMedia({ colorScheme: 'dark' });
    const pusher = await connectClient();
    const ch = fresh('dark');
    await subscribe(pusher, ch);
    await sdk.trigger(ch, 'shade', { dark: true });
    await row(page, 'api_message', 'shade').waitFor();
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.notEqual(bg, 'rgb(244, 246, 249)', 'dark background');
    await screenshot(page, 'dark');
    await page.assertClean();
    await page.close();
  });
});

// ---- reconnecting ----------------------------------------------------------------------------------

/** `pws serve` on a fixed port with configText(); resolves once it listens. */
function serveOnPort(port) {
  return startServer({ port, apps: [mainApp, otherApp], config: configText() });
}

describe('debug dashboard: the feed survives a server restart', () => {
  test('closed with 4200 on shutdown, the page reconnects with backoff once the server is back', async () => {
    const port = await freePort();
    let first = await serveOnPort(port);
    let second;
    const browser = await launchBrowser();
    try {
      const page = await openConnected(browser, `http://127.0.0.1:${port}/dashboard/`);
      await first.stop();
      first = undefined;
      await waitStatus(page, 'reconnecting');
      assert.match(await page.locator('#status').textContent(), /^reconnecting in \d+(\.\d)? s$/);
      assert.match(await page.locator('#status').getAttribute('title'), /4200/, 'the close code is kept in the title');
      second = await serveOnPort(port);
      await waitStatus(page, 'live', 15000);
      // The new server's events arrive.
      const pusher = new Pusher(mainApp.key, pusherOptions(port));
      try {
        await waitForConnection(pusher);
        await row(page, 'connected', pusher.connection.socket_id).waitFor();
      } finally {
        pusher.disconnect();
      }
      // While the server was away, loads failed: Chromium logs those.
      await page.assertClean({ allow: [/ERR_CONNECTION_REFUSED/, /WebSocket connection .* failed/] });
      await page.close();
    } finally {
      await browser.close();
      await first?.stop();
      await second?.stop();
    }
  });
});
