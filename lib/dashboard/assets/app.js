// pws debug dashboard: the page behind {prefix}{dashboard path}/ (see notes/dashboard-spec.md).
// Plain ES2020, no dependencies, no build step. Everything it fetches is relative to the page,
// and every piece of event data is put into the DOM with textContent (never as HTML).
'use strict';

(() => {
  const MAX_ROWS = 500;
  const STATS_POLL_MS = 5000;
  const BACKOFF_MIN_MS = 500;
  const BACKOFF_MAX_MS = 10000;
  const NO_RECONNECT_CODES = new Set([4001, 4003]);
  const MAX_LIVE_POINTS = 720;
  const MAX_SEND_CHANNELS = 100;
  const CHANNEL_RE = /^[A-Za-z0-9_\-=@,.;]+$/;
  const MAX_CHANNEL_LENGTH = 164;
  const MAX_EVENT_LENGTH = 200;
  const CRED_KEY = 'pws-dashboard-credentials';
  const TYPES = ['connected', 'disconnected', 'subscribed', 'unsubscribed', 'occupied', 'vacated',
    'member_added', 'member_removed', 'client_event', 'api_message', 'error'];
  const CLOSE_REASONS = {
    1000: 'normal closure', 1001: 'going away', 1006: 'connection lost', 1011: 'server error',
    4001: 'app removed', 4003: 'app disabled', 4100: 'too slow to keep up', 4200: 'server shutting down',
  };
  const SVG_NS = 'http://www.w3.org/2000/svg';

  const $ = (id) => document.getElementById(id);
  const el = (tag, className, text) => {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  };
  const svg = (tag, attrs = {}, text) => {
    const e = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = String(text);
    return e;
  };
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  const clockTime = (ms, withMs = true) => {
    const d = new Date(ms);
    const base = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    return withMs ? `${base}.${pad(d.getMilliseconds(), 3)}` : base;
  };
  const show = (node, on) => { node.hidden = !on; };

  // ---- state --------------------------------------------------------------------------------

  const state = {
    credentials: null, // { kind: 'token', token } | { kind: 'app', key, secret }
    access: null,
    apps: [],
    appId: null,
    // feed
    want: false, // the user asked to be connected
    ws: null,
    generation: 0,
    backoff: BACKOFF_MIN_MS,
    reconnectTimer: null,
    countdownTimer: null,
    // events
    records: [], // { ev, tr, text } oldest first
    pending: [], // received, not yet in the table (batched, or paused)
    flushTimer: null,
    paused: false,
    filterText: '',
    types: new Set(TYPES),
    // statistics
    statsTimer: null,
    statsSoon: null,
    statsSeq: 0,
    stats: null,
    live: [], // { t (s), v }
  };

  // ---- credentials and API calls --------------------------------------------------------------

  function loadCredentials() {
    try {
      const c = JSON.parse(sessionStorage.getItem(CRED_KEY) || 'null');
      if (c && (c.kind === 'token' || c.kind === 'app')) return c;
    } catch { /* ignore */ }
    return null;
  }

  function saveCredentials(c) {
    try {
      if (c) sessionStorage.setItem(CRED_KEY, JSON.stringify(c));
      else sessionStorage.removeItem(CRED_KEY);
    } catch { /* storage unavailable: keep them in memory only */ }
  }

  function base64Utf8(text) {
    const bytes = new TextEncoder().encode(text);
    let bin = '';
    for (const b of bytes) bin += String.fromCharCode(b);
    return btoa(bin);
  }

  function authHeader(c) {
    if (!c) return null;
    if (c.kind === 'token') return `Bearer ${c.token}`;
    return `Basic ${base64Utf8(`${c.key}:${c.secret}`)}`;
  }

  class ApiError extends Error {
    constructor(status, message, body) {
      super(message);
      this.status = status;
      this.body = body;
    }
  }

  /** fetch relative to the page; resolves with the parsed JSON body, throws ApiError otherwise. */
  async function api(path, { method = 'GET', body, credentials = state.credentials } = {}) {
    const headers = { Accept: 'application/json' };
    const auth = authHeader(credentials);
    if (auth) headers.Authorization = auth;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await fetch(path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store', credentials: 'omit', redirect: 'error',
      });
    } catch (e) {
      throw new ApiError(0, `cannot reach the server (${e.message})`, null);
    }
    const text = await res.text().catch(() => '');
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
    if (!res.ok) {
      const msg = (json && typeof json.error === 'string' && json.error) ||
        (json && typeof json.message === 'string' && json.message) ||
        text.trim().slice(0, 200) || res.statusText || 'request failed';
      throw new ApiError(res.status, msg, json);
    }
    return json;
  }

  const appPath = (id, rest) => `api/apps/${encodeURIComponent(id)}/${rest}`;

  // ---- sign in / out ----------------------------------------------------------------------------

  function showLogin(message) {
    disconnect(false);
    stopStats();
    show($('dashboard'), false);
    show($('app-controls'), false);
    show($('login'), true);
    show($('sign-out'), false);
    $('access').textContent = '';
    loginError(message);
    (state.credentials?.kind === 'app' ? $('login-key') : $('login-token')).focus();
  }

  async function start() {
    show($('load-error'), false);
    let info;
    try {
      info = await api('api/apps');
    } catch (e) {
      if (e.status === 401) {
        // Stored credentials no longer work (or there are none): ask.
        const had = state.credentials;
        saveCredentials(null);
        showLogin(had ? e.message : '');
        state.credentials = null;
        return;
      }
      const banner = $('load-error');
      banner.textContent = `Cannot load the app list: ${e.message}`;
      show(banner, true);
      return;
    }
    enterDashboard(info);
  }

  async function submitLogin(ev, kind) {
    ev.preventDefault();
    let c;
    if (kind === 'token') {
      const token = $('login-token').value.trim();
      if (!token) { loginError('Enter the dashboard token.'); return; }
      c = { kind: 'token', token };
    } else {
      const key = $('login-key').value.trim();
      const secret = $('login-secret').value.trim();
      if (!key || !secret) { loginError('Enter the app key and the app secret.'); return; }
      c = { kind: 'app', key, secret };
    }
    const buttons = [$('login-submit'), $('login-app-submit')];
    for (const b of buttons) b.disabled = true;
    loginError('');
    try {
      const info = await api('api/apps', { credentials: c });
      state.credentials = c;
      saveCredentials(c);
      $('login-secret').value = '';
      $('login-token').value = '';
      enterDashboard(info);
    } catch (e) {
      loginError(e.status === 401 ? `Not accepted: ${e.message}` : e.message);
    } finally {
      for (const b of buttons) b.disabled = false;
    }
  }

  function loginError(message) {
    const err = $('login-error');
    err.textContent = message || '';
    show(err, Boolean(message));
  }

  function signOut(ev) {
    ev?.preventDefault();
    state.credentials = null;
    saveCredentials(null);
    state.apps = [];
    state.appId = null;
    clearEvents();
    showLogin('');
  }

  const ACCESS_TEXT = { loopback: 'open on loopback', token: 'signed in with the token', app: 'signed in with an app key' };

  function enterDashboard(info) {
    state.access = info?.access ?? null;
    state.apps = Array.isArray(info?.apps) ? info.apps : [];
    $('access').textContent = ACCESS_TEXT[state.access] ?? '';
    $('version').textContent = info?.version ? `pws ${info.version}` : '';
    show($('sign-out'), Boolean(state.credentials));
    show($('login'), false);
    show($('dashboard'), true);
    show($('app-controls'), true);

    const select = $('app-select');
    select.replaceChildren();
    if (state.apps.length === 0) {
      select.append(el('option', null, 'no apps'));
      select.disabled = true;
      $('connect').disabled = true;
      setStatus('idle', 'no apps configured');
      return;
    }
    select.disabled = false;
    for (const app of state.apps) {
      const label = app.name && app.name !== app.id ? `${app.name} (${app.id})` : String(app.id);
      const opt = el('option', null, app.enabled === false ? `${label} – disabled` : label);
      opt.value = app.id;
      select.append(opt);
    }
    const keep = state.apps.some((a) => a.id === state.appId) ? state.appId : null;
    const stored = (() => { try { return sessionStorage.getItem('pws-dashboard-app'); } catch { return null; } })();
    const pick = keep ?? (state.apps.some((a) => a.id === stored) ? stored : state.apps[0].id);
    select.value = pick;
    selectApp(pick);
  }

  function selectApp(id) {
    const changed = id !== state.appId;
    const wasWanted = state.want;
    if (changed) {
      disconnect(false);
      clearEvents();
      state.live = [];
      state.stats = null;
      renderStats();
    }
    state.appId = id;
    try { sessionStorage.setItem('pws-dashboard-app', id); } catch { /* ignore */ }
    $('connect').disabled = false;
    if (changed && wasWanted) connect();
    else if (!state.want) setStatus('idle', 'not connected');
    startStats();
  }

  // ---- the feed ---------------------------------------------------------------------------------

  function setStatus(kind, text) {
    const s = $('status');
    s.dataset.state = kind;
    s.textContent = text;
    $('connect').textContent = state.want ? 'Disconnect' : 'Connect';
    $('connect').classList.toggle('btn-primary', !state.want);
  }

  function clearTimers() {
    clearTimeout(state.reconnectTimer);
    clearInterval(state.countdownTimer);
    state.reconnectTimer = null;
    state.countdownTimer = null;
  }

  async function connect() {
    if (!state.appId) return;
    clearTimers();
    state.want = true;
    const gen = ++state.generation;
    const appId = state.appId;
    setStatus('connecting', 'connecting…');
    let path;
    try {
      const r = await api(appPath(appId, 'feed'));
      path = r?.path;
      if (typeof path !== 'string' || !path.startsWith('/')) throw new ApiError(0, 'the server sent no feed path', r);
    } catch (e) {
      if (gen !== state.generation) return;
      if (e.status === 401) { showLogin(e.message); return; }
      if (e.status === 403 || e.status === 404) {
        state.want = false;
        setStatus('closed', `closed: ${e.message}`);
        return;
      }
      scheduleReconnect(`cannot get the feed address: ${e.message}`);
      return;
    }
    if (gen !== state.generation) return;
    const url = `${location.protocol === 'https:' ? 'wss://' : 'ws://'}${location.host}${path}`;
    let ws;
    try {
      ws = new WebSocket(url);
    } catch (e) {
      scheduleReconnect(e.message);
      return;
    }
    state.ws = ws;
    ws.onmessage = (m) => {
      if (gen !== state.generation || typeof m.data !== 'string') return;
      let ev;
      try { ev = JSON.parse(m.data); } catch { return; }
      if (!ev || typeof ev !== 'object') return;
      if (ev.type === 'feed_started') {
        state.backoff = BACKOFF_MIN_MS;
        setStatus('live', `live since ${clockTime(ev.time_ms ?? Date.now(), false)}`);
        return;
      }
      onFeedEvent(ev);
    };
    ws.onclose = (c) => {
      if (gen !== state.generation) return;
      state.ws = null;
      const reason = c.reason || CLOSE_REASONS[c.code] || '';
      const text = `closed: ${c.code}${reason ? ` ${reason}` : ''}`;
      if (!state.want) { setStatus('closed', text); return; }
      if (NO_RECONNECT_CODES.has(c.code)) {
        state.want = false;
        setStatus('closed', text);
        return;
      }
      scheduleReconnect(text);
    };
  }

  function scheduleReconnect(why) {
    clearTimers();
    const delay = state.backoff;
    state.backoff = Math.min(state.backoff * 2, BACKOFF_MAX_MS);
    const due = Date.now() + delay;
    const tick = () => {
      const left = Math.max(0, (due - Date.now()) / 1000);
      setStatus('reconnecting', `reconnecting in ${left < 1 ? left.toFixed(1) : Math.ceil(left)} s`);
    };
    tick();
    $('status').title = why || '';
    state.countdownTimer = setInterval(tick, 250);
    state.reconnectTimer = setTimeout(() => { clearTimers(); connect(); }, delay);
  }

  function disconnect(updateStatus = true) {
    state.want = false;
    state.generation++;
    clearTimers();
    state.backoff = BACKOFF_MIN_MS;
    const ws = state.ws;
    state.ws = null;
    if (ws) {
      ws.onmessage = null;
      ws.onclose = null;
      try { ws.close(1000, 'bye'); } catch { /* ignore */ }
    }
    $('status').title = '';
    if (updateStatus) setStatus('closed', 'disconnected');
    else setStatus('idle', 'not connected');
  }

  // ---- the event table ----------------------------------------------------------------------------

  function onFeedEvent(ev) {
    state.pending.push(ev);
    if (state.pending.length > MAX_ROWS) state.pending.splice(0, state.pending.length - MAX_ROWS);
    if (ev.type === 'connected' || ev.type === 'disconnected' || ev.type === 'subscribed' ||
        ev.type === 'unsubscribed') statsSoon();
    if (state.paused) { updateCount(); return; }
    if (!state.flushTimer) state.flushTimer = setTimeout(flush, 30);
  }

  function flush() {
    state.flushTimer = null;
    if (state.paused) return;
    const batch = state.pending;
    state.pending = [];
    if (batch.length === 0) return;
    const tbody = $('events').tBodies[0];
    const frag = document.createDocumentFragment();
    for (let i = batch.length - 1; i >= 0; i--) { // newest first
      const rec = makeRecord(batch[i]);
      rec.tr.hidden = !matches(rec);
      frag.append(rec.tr);
      state.records.push(rec);
    }
    tbody.prepend(frag);
    const excess = state.records.length - MAX_ROWS;
    if (excess > 0) for (const rec of state.records.splice(0, excess)) rec.tr.remove();
    updateCount();
  }

  function detailText(ev) {
    const parts = [];
    if (ev.type === 'error') {
      if (ev.code !== undefined) parts.push(String(ev.code));
      if (ev.message) parts.push(ev.message);
    }
    if (ev.origin) parts.push(`origin ${ev.origin}`);
    return parts.join(' ');
  }

  function prettyData(data) {
    try {
      const v = JSON.parse(data);
      if (v !== null && typeof v === 'object') return JSON.stringify(v, null, 2);
    } catch { /* not JSON, or cut */ }
    return data;
  }

  function makeRecord(ev) {
    const type = typeof ev.type === 'string' ? ev.type : 'unknown';
    const tr = el('tr');
    tr.dataset.type = type;
    const time = typeof ev.time_ms === 'number' ? ev.time_ms : Date.now();
    const tdTime = el('td', 'col-time', clockTime(time));
    tdTime.title = new Date(time).toISOString();
    const tdType = el('td', 'col-type');
    tdType.append(el('span', `badge badge-${TYPES.includes(type) ? type : 'unknown'}`, type.replace('_', ' ')));
    const cell = (cls, v) => {
      const td = el('td', cls, v ?? '');
      if (v) td.title = String(v);
      return td;
    };
    const tdDetails = el('td', 'col-details');
    const extra = detailText(ev);
    if (extra) tdDetails.append(el('span', ev.type === 'error' ? 'detail-error' : 'detail-meta', extra));
    if (typeof ev.data === 'string') {
      const data = el('span', 'data', ev.data);
      data.title = ev.truncated ? `${ev.data}… (truncated by the server)` : ev.data;
      data.tabIndex = 0;
      data.setAttribute('role', 'button');
      data.setAttribute('aria-expanded', 'false');
      tdDetails.append(data);
      if (ev.truncated) tdDetails.append(el('span', 'tag-truncated', 'truncated'));
    }
    tr.append(tdTime, tdType, cell('col-socket', ev.socket_id), cell('col-channel', ev.channel),
      cell('col-event', ev.event), cell('col-user', ev.user_id), tdDetails);
    const text = [type, ev.socket_id, ev.channel, ev.event, ev.user_id, ev.data, extra]
      .filter((x) => x !== undefined && x !== null).join('\n').toLowerCase();
    return { ev, tr, text, type };
  }

  function toggleData(span) {
    const rec = state.records.find((r) => r.tr.contains(span));
    const open = span.getAttribute('aria-expanded') !== 'true';
    span.setAttribute('aria-expanded', open ? 'true' : 'false');
    span.classList.toggle('expanded', open);
    if (rec) span.textContent = open ? prettyData(rec.ev.data) : rec.ev.data;
  }

  function matches(rec) {
    if (!state.types.has(rec.type) && TYPES.includes(rec.type)) return false;
    return !state.filterText || rec.text.includes(state.filterText);
  }

  function applyFilter() {
    for (const rec of state.records) rec.tr.hidden = !matches(rec);
    updateCount();
  }

  function updateCount() {
    const total = state.records.length;
    const shown = state.records.reduce((n, r) => n + (r.tr.hidden ? 0 : 1), 0);
    let text = `${total} event${total === 1 ? '' : 's'}`;
    if (shown !== total) text += ` (${shown} shown)`;
    if (total >= MAX_ROWS) text += `, newest ${MAX_ROWS} kept`;
    if (state.paused && state.pending.length) text += ` · ${state.pending.length} buffered`;
    $('event-count').textContent = text;
    const empty = $('events-empty');
    show(empty, total === 0 || shown === 0);
    empty.textContent = total === 0
      ? (state.want ? 'Waiting for events…' : 'No events yet. Connect to watch the app\u2019s traffic live.')
      : 'No event matches the filter.';
    $('events').dataset.count = String(total);
    $('events').dataset.shown = String(shown);
  }

  function clearEvents() {
    for (const rec of state.records) rec.tr.remove();
    state.records = [];
    state.pending = [];
    updateCount();
  }

  function setPaused(p) {
    state.paused = p;
    const b = $('pause');
    b.textContent = p ? 'Resume' : 'Pause';
    b.setAttribute('aria-pressed', p ? 'true' : 'false');
    b.classList.toggle('btn-active', p);
    if (!p) flush();
    updateCount();
  }

  function buildTypeFilter() {
    const list = $('type-list');
    for (const t of TYPES) {
      const label = el('label', 'type-option');
      const box = el('input');
      box.type = 'checkbox';
      box.checked = true;
      box.value = t;
      box.id = `type-${t}`;
      box.dataset.testid = `type-${t}`;
      label.append(box, el('span', `badge badge-${t}`, t.replace('_', ' ')));
      list.append(label);
    }
    list.addEventListener('change', readTypes);
    $('types-all').addEventListener('click', () => setAllTypes(true));
    $('types-none').addEventListener('click', () => setAllTypes(false));
  }

  function setAllTypes(on) {
    for (const box of $('type-list').querySelectorAll('input')) box.checked = on;
    readTypes();
  }

  function readTypes() {
    state.types = new Set([...$('type-list').querySelectorAll('input')].filter((b) => b.checked).map((b) => b.value));
    const n = state.types.size;
    $('type-filter-summary').textContent = n === TYPES.length ? 'Types: all' : `Types: ${n} of ${TYPES.length}`;
    applyFilter();
  }

  // ---- send an event -----------------------------------------------------------------------------

  function fieldError(id, message) {
    const p = $(`${id}-error`);
    p.textContent = message || '';
    show(p, Boolean(message));
    $(id).setAttribute('aria-invalid', message ? 'true' : 'false');
    return !message;
  }

  function validateSend() {
    const raw = $('send-channel').value;
    const channels = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    let channelError = '';
    if (channels.length === 0) channelError = 'Enter a channel name.';
    else if (channels.length > MAX_SEND_CHANNELS) channelError = `At most ${MAX_SEND_CHANNELS} channels (got ${channels.length}).`;
    else {
      const bad = channels.find((c) => c.length > MAX_CHANNEL_LENGTH || !CHANNEL_RE.test(c));
      if (bad !== undefined) {
        const shown = bad.length > 40 ? `${bad.slice(0, 40)}…` : bad;
        channelError = bad.length > MAX_CHANNEL_LENGTH
          ? `Channel name too long (${bad.length} > ${MAX_CHANNEL_LENGTH}): ${shown}`
          : `Invalid channel name "${shown}": use only A-Z a-z 0-9 _ - = @ , . ;`;
      } else if (new Set(channels).size !== channels.length) channelError = 'A channel is listed twice.';
    }
    const name = $('send-event').value.trim();
    let eventError = '';
    if (!name) eventError = 'Enter an event name.';
    else if (name.length > MAX_EVENT_LENGTH) eventError = `Event name too long (${name.length} > ${MAX_EVENT_LENGTH}).`;
    const text = $('send-data').value;
    let dataError = '';
    let data;
    if (!text.trim()) dataError = 'Enter JSON data, e.g. {} or "text".';
    else {
      try {
        const parsed = JSON.parse(text);
        data = typeof parsed === 'string' ? parsed : JSON.stringify(parsed);
      } catch (e) {
        dataError = `Not valid JSON: ${e.message}`;
      }
    }
    const ok = [fieldError('send-channel', channelError), fieldError('send-event', eventError),
      fieldError('send-data', dataError)].every(Boolean);
    return ok ? { channels, name, data } : null;
  }

  function sendResult(kind, text) {
    const r = $('send-result');
    r.dataset.state = kind;
    r.textContent = text;
  }

  async function submitSend(ev) {
    ev.preventDefault();
    const msg = validateSend();
    if (!msg) { sendResult('invalid', 'Fix the fields above.'); return; }
    if (!state.appId) { sendResult('error', 'Pick an app first.'); return; }
    const button = $('send-submit');
    button.disabled = true;
    sendResult('sending', 'Sending…');
    try {
      const answer = await api(appPath(state.appId, 'events'), { method: 'POST', body: msg });
      const n = msg.channels.length;
      const extra = answer && typeof answer === 'object' && Object.keys(answer).length ? ` ${JSON.stringify(answer)}` : '';
      sendResult('ok', `Sent "${msg.name}" to ${n} channel${n === 1 ? '' : 's'} at ${clockTime(Date.now(), false)}.${extra}`);
    } catch (e) {
      if (e.status === 401) { showLogin(e.message); return; }
      sendResult('error', e.status ? `Refused (${e.status}): ${e.message}` : e.message);
    } finally {
      button.disabled = false;
    }
  }

  // ---- statistics, chart and channels ---------------------------------------------------------------

  function startStats() {
    stopStats();
    pollStats();
    state.statsTimer = setInterval(pollStats, STATS_POLL_MS);
  }

  function stopStats() {
    clearInterval(state.statsTimer);
    clearTimeout(state.statsSoon);
    state.statsTimer = null;
    state.statsSoon = null;
  }

  /** An extra poll shortly after connections change, so the figures follow the feed. */
  function statsSoon() {
    if (state.statsSoon || !state.statsTimer) return;
    state.statsSoon = setTimeout(() => { state.statsSoon = null; pollStats(); }, 400);
  }

  function chartWindowSeconds(interval) {
    return Math.min(86400, Math.max(1800, 60 * (interval || 60)));
  }

  async function pollStats() {
    const appId = state.appId;
    if (!appId) return;
    const seq = ++state.statsSeq;
    const now = state.stats?.time ?? Math.floor(Date.now() / 1000);
    const since = Math.max(0, now - chartWindowSeconds(state.stats?.interval_seconds));
    try {
      const [stats, channels] = await Promise.all([
        api(`${appPath(appId, 'statistics')}?since=${since}`),
        api(`${appPath(appId, 'channels')}?info=subscription_count`).catch((e) => ({ error: e })),
      ]);
      if (seq !== state.statsSeq || appId !== state.appId) return;
      show($('stats-error'), false);
      state.stats = stats;
      const t = typeof stats?.time === 'number' ? stats.time : Date.now() / 1000;
      const v = stats?.current?.connections;
      if (typeof v === 'number') {
        const last = state.live[state.live.length - 1];
        if (last && t <= last.t) last.v = v; // same second: keep the latest value
        else state.live.push({ t, v });
        if (state.live.length > MAX_LIVE_POINTS) state.live.splice(0, state.live.length - MAX_LIVE_POINTS);
      }
      renderStats();
      renderChannels(channels);
    } catch (e) {
      if (seq !== state.statsSeq) return;
      if (e.status === 401) { showLogin(e.message); return; }
      const p = $('stats-error');
      p.textContent = `Statistics unavailable: ${e.message}`;
      show(p, true);
    }
  }

  function renderStats() {
    const s = state.stats;
    const cur = s?.current ?? {};
    const num = (v) => (typeof v === 'number' ? v.toLocaleString() : '–');
    $('current-connections').textContent = num(cur.connections);
    $('current-channels').textContent = num(cur.channels);
    $('current-subscriptions').textContent = num(cur.subscriptions);
    $('current-connections').dataset.value = typeof cur.connections === 'number' ? String(cur.connections) : '';
    show($('stats-off'), Boolean(s) && s.enabled === false);
    $('stats-updated').textContent = s?.time ? `updated ${clockTime(s.time * 1000, false)}` : '';
    renderChart();
  }

  function niceMax(v) {
    if (v <= 4) return 4;
    const p = 10 ** Math.floor(Math.log10(v));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }

  function renderChart() {
    const box = $('chart');
    const legend = $('chart-legend');
    const s = state.stats;
    const snaps = Array.isArray(s?.snapshots) ? s.snapshots.filter((x) => typeof x.time === 'number') : [];
    const live = state.live;
    const interval = s?.interval_seconds || 60;
    const statsOn = s?.enabled !== false;

    const W = 380; const H = 200;
    const M = { l: 30, r: 34, t: 20, b: 24 };
    const iw = W - M.l - M.r; const ih = H - M.t - M.b;
    const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart-svg', preserveAspectRatio: 'xMidYMid meet' });
    root.append(svg('title', {}, 'Connections and messages over time'));

    const times = [...snaps.map((x) => x.time), ...live.map((p) => p.t)];
    const now = s?.time ?? Date.now() / 1000;
    let t1 = Math.max(now, ...times);
    let t0 = times.length ? Math.min(...times) : t1 - 300;
    const minSpan = Math.max(30, 10 * interval);
    if (t1 - t0 < minSpan) t0 = t1 - minSpan;
    const pad0 = (t1 - t0) * 0.02;
    t0 -= pad0; t1 += pad0;
    const x = (t) => M.l + ((t - t0) / (t1 - t0)) * iw;

    const connMax = niceMax(Math.max(1, ...snaps.map((q) => q.peak_connections || 0), ...live.map((p) => p.v)));
    const msgs = snaps.map((q) => (q.websocket_messages || 0) + (q.api_messages || 0));
    const msgMax = niceMax(Math.max(1, ...msgs));
    const yc = (v) => M.t + ih - (v / connMax) * ih;
    const ym = (v) => M.t + ih - (v / msgMax) * ih;

    // grid + axes
    const grid = svg('g', { class: 'chart-grid' });
    for (let i = 0; i <= 4; i++) {
      const yy = M.t + (ih * i) / 4;
      grid.append(svg('line', { x1: M.l, x2: M.l + iw, y1: yy, y2: yy }));
      grid.append(svg('text', { x: M.l - 6, y: yy + 4, class: 'axis-label axis-left' }, Math.round(connMax * (1 - i / 4))));
      if (statsOn) grid.append(svg('text', { x: M.l + iw + 6, y: yy + 4, class: 'axis-label axis-right' }, Math.round(msgMax * (1 - i / 4))));
    }
    const span = t1 - t0;
    const ticks = 5;
    for (let i = 0; i <= ticks; i++) {
      const t = t0 + (span * i) / ticks;
      const xx = x(t);
      grid.append(svg('line', { x1: xx, x2: xx, y1: M.t + ih, y2: M.t + ih + 4, class: 'tick' }));
      const d = new Date(t * 1000);
      const label = span > 600 ? `${pad(d.getHours())}:${pad(d.getMinutes())}` : clockTime(t * 1000, false);
      grid.append(svg('text', { x: xx, y: H - 8, class: 'axis-label axis-bottom' }, label));
    }
    grid.append(svg('text', { x: M.l, y: 10, class: 'axis-title axis-left' }, 'connections'));
    if (statsOn) grid.append(svg('text', { x: M.l + iw, y: 10, class: 'axis-title axis-right' }, 'messages / interval'));
    root.append(grid);
    root.append(svg('line', { x1: M.l, x2: M.l + iw, y1: M.t + ih, y2: M.t + ih, class: 'axis' }));

    // messages per snapshot interval: bars (right axis)
    const bars = svg('g', { class: 'series-messages' });
    const bw = Math.max(1.5, Math.min(18, (iw * interval) / (t1 - t0) * 0.7));
    snaps.forEach((q) => {
      const ws = q.websocket_messages || 0; const ap = q.api_messages || 0;
      const cx = x(q.time);
      if (ws > 0) {
        const r = svg('rect', { x: cx - bw / 2, y: ym(ws), width: bw, height: Math.max(0, M.t + ih - ym(ws)), class: 'bar-ws' });
        r.append(svg('title', {}, `${clockTime(q.time * 1000, false)}: ${ws} websocket messages`));
        bars.append(r);
      }
      if (ap > 0) {
        const top = ym(ws + ap);
        const r = svg('rect', { x: cx - bw / 2, y: top, width: bw, height: Math.max(0, ym(ws) - top), class: 'bar-api' });
        r.append(svg('title', {}, `${clockTime(q.time * 1000, false)}: ${ap} API messages`));
        bars.append(r);
      }
    });
    root.append(bars);

    const line = (points, cls, title) => {
      if (points.length === 0) return;
      const g = svg('g', { class: cls });
      if (points.length > 1) {
        const d = points.map(([px, py], i) => `${i ? 'L' : 'M'}${px.toFixed(1)},${py.toFixed(1)}`).join(' ');
        g.append(svg('path', { d, class: 'line' }));
      }
      if (points.length <= 120) {
        for (const [px, py, label] of points) {
          if (!label) continue;
          const c = svg('circle', { cx: px.toFixed(1), cy: py.toFixed(1), r: 2.5, class: 'dot' });
          c.append(svg('title', {}, label));
          g.append(c);
        }
      }
      g.dataset.points = String(points.length);
      g.setAttribute('aria-label', title);
      root.append(g);
    };
    // Idle intervals write no snapshot: a gap means nobody was connected.
    const peak = [];
    snaps.forEach((q, i) => {
      const prev = snaps[i - 1];
      if (prev && q.time - prev.time > 1.5 * interval) {
        peak.push([x(prev.time + interval), yc(0), '']);
        if (q.time - prev.time > 2.5 * interval) peak.push([x(q.time - interval), yc(0), '']);
      }
      peak.push([x(q.time), yc(q.peak_connections || 0), `${clockTime(q.time * 1000, false)}: peak ${q.peak_connections} connections`]);
    });
    line(peak, 'series-peak', 'peak connections');
    line(live.map((p) => [x(p.t), yc(p.v), `${clockTime(p.t * 1000, false)}: ${p.v} connections`]), 'series-live', 'live connections');

    if (!snaps.length && !live.length) {
      root.append(svg('text', { x: M.l + iw / 2, y: M.t + ih / 2, class: 'chart-empty' }, 'no data yet'));
    }
    box.replaceChildren(root);
    box.dataset.snapshots = String(snaps.length);
    box.dataset.live = String(live.length);

    legend.replaceChildren();
    const item = (cls, text) => {
      const i = el('span', 'legend-item');
      i.append(el('span', `swatch ${cls}`), el('span', null, text));
      legend.append(i);
    };
    if (statsOn) item('swatch-peak', `peak connections per ${interval} s (left)`);
    item('swatch-live', statsOn ? 'connections now (left)' : 'connections now');
    if (statsOn) {
      item('swatch-ws', 'websocket messages (right)');
      item('swatch-api', 'API messages (right)');
    }
  }

  function renderChannels(result) {
    const tbody = $('channels').tBodies[0];
    tbody.replaceChildren();
    if (!result || result.error) {
      $('channels-count').textContent = result?.error ? `unavailable: ${result.error.message}` : '';
      show($('channels-empty'), false);
      return;
    }
    const entries = Object.entries(result.channels || {});
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [name, info] of entries.slice(0, 200)) {
      const tr = el('tr');
      const td = el('td', 'channel-name', name);
      td.title = name;
      tr.append(td, el('td', 'num', info?.subscription_count ?? ''));
      tbody.append(tr);
    }
    $('channels-count').textContent = entries.length ? `${entries.length}${entries.length > 200 ? ' (first 200 shown)' : ''}` : '';
    show($('channels-empty'), entries.length === 0);
  }

  // ---- wiring --------------------------------------------------------------------------------------

  function init() {
    buildTypeFilter();
    $('login-token-form').addEventListener('submit', (e) => submitLogin(e, 'token'));
    $('login-app-form').addEventListener('submit', (e) => submitLogin(e, 'app'));
    $('sign-out').addEventListener('click', signOut);
    $('app-select').addEventListener('change', (e) => selectApp(e.target.value));
    $('connect').addEventListener('click', () => {
      if (state.want) disconnect(true);
      else { state.backoff = BACKOFF_MIN_MS; connect(); }
      updateCount();
    });
    let filterTimer = null;
    $('filter').addEventListener('input', (e) => {
      clearTimeout(filterTimer);
      const value = e.target.value;
      filterTimer = setTimeout(() => { state.filterText = value.trim().toLowerCase(); applyFilter(); }, 80);
    });
    $('pause').addEventListener('click', () => setPaused(!state.paused));
    $('clear').addEventListener('click', clearEvents);
    $('events').addEventListener('click', (e) => {
      const span = e.target.closest?.('.data');
      if (span) toggleData(span);
    });
    $('events').addEventListener('keydown', (e) => {
      const span = e.target.closest?.('.data');
      if (span && (e.key === 'Enter' || e.key === ' ')) { e.preventDefault(); toggleData(span); }
    });
    $('send-form').addEventListener('submit', submitSend);
    for (const id of ['send-channel', 'send-event', 'send-data']) {
      $(id).addEventListener('input', () => fieldError(id, ''));
    }
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && state.statsTimer) pollStats();
    });
    state.credentials = loadCredentials();
    updateCount();
    renderChart();
    start();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
