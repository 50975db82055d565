/* funnelstream browser tracker, served as /v1/t.js (docs/tracker.md). */
(function (w, d) {
  'use strict';
  var pre = w.funnel;
  if (pre && pre.__fs) return;
  var me = d.currentScript, ss = d.getElementsByTagName('script'), i;
  for (i = ss.length - 1; !me && i >= 0; i--) if (/\/v1\/t\.js([?#]|$)/.test(ss[i].src)) me = ss[i];
  if (!me) return;
  var BASE = me.src.replace(/\/v1\/t\.js([?#].*)?$/, ''), KEY = me.getAttribute('data-write-key') || '';
  var URL_EV = BASE + '/v1/events' + (KEY ? '?write_key=' + encodeURIComponent(KEY) : '');
  var MAX_BATCH = 20, FLUSH_MS = 1000, MAX_QUEUE = 500, STALE_MS = 30000, TEXT_MAX = 128;
  var nav = w.navigator, loc = w.location;
  var off = me.hasAttribute('data-respect-dnt') &&
    (nav.doNotTrack == '1' || w.doNotTrack == '1' || nav.msDoNotTrack == '1' || nav.globalPrivacyControl === true);
  var api = { __fs: 1 };
  ['page', 'track', 'identify', 'reset', 'flush'].forEach(function (m) { api[m] = function () { return false; }; });
  w.funnel = api;
  if (off) return;

  function warn(m) { if (w.console) w.console.warn('funnel: ' + m); }
  function store(s, k, v) {
    try {
      if (v === undefined) { var t = s.getItem(k); return t === null ? null : JSON.parse(t); }
      if (v === null) s.removeItem(k); else s.setItem(k, JSON.stringify(v));
    } catch (e) { /* storage full, disabled, or corrupt: tracking goes on in memory */ }
    return null;
  }
  var LS, SS;
  try { LS = w.localStorage; SS = w.sessionStorage; } catch (e) { LS = SS = null; }
  function L(k, v) { return LS ? store(LS, k, v) : null; }
  function S(k, v) { return SS ? store(SS, k, v) : null; }

  function uuid() {
    var b = new Uint8Array(16), h = [], j;
    w.crypto.getRandomValues(b);
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    for (j = 0; j < 16; j++) h.push((b[j] + 256).toString(16).slice(1));
    h = h.join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }
  /* A text field the collector accepts: no control characters, at most 128 characters. */
  function text(v) {
    if (v === undefined || v === null) return null;
    v = String(v).replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim();
    v = Array.from(v).slice(0, TEXT_MAX).join('').trim();
    return v || null;
  }
  function hostOf(u) { try { return new URL(u).hostname.replace(/^www\./, ''); } catch (e) { return ''; } }

  /* Anonymous id: first-party cookie fs_aid, one year, SameSite=Lax. */
  function readAid() {
    var m = d.cookie.match(/(?:^|;\s*)fs_aid=([^;]*)/);
    return m && /^[A-Za-z0-9._:-]{1,64}$/.test(m[1]) ? m[1] : null;
  }
  function writeAid(v) {
    d.cookie = 'fs_aid=' + v + '; Max-Age=31536000; Path=/; SameSite=Lax' + (loc.protocol == 'https:' ? '; Secure' : '');
  }
  var aid = readAid();
  if (!aid) writeAid(aid = uuid());
  var uid = text(L('fs_uid'));

  /* The visit: utm_* of the landing URL and the external referrer it came from,
   * kept in sessionStorage so every event of the visit carries them. */
  var UTM = ['source', 'medium', 'campaign', 'term', 'content'];
  var visit = S('fs_visit') || {}, q = new URLSearchParams(loc.search), utm = {}, any = 0;
  UTM.forEach(function (k) { var v = text(q.get('utm_' + k)); if (v) { utm[k] = v; any = 1; } });
  var ref = d.referrer && hostOf(d.referrer) != hostOf(loc.href) ? d.referrer : '';
  if (any || ref || !visit.t) visit = { t: 1, utm: any || ref ? utm : visit.utm || {}, ref: ref };
  S('fs_visit', visit);

  /* The queue: this tab's unsent events, mirrored to localStorage so a reload
   * or the next page of the visit sends what this one could not. */
  var tab = S('fs_tab');
  if (!tab) S('fs_tab', tab = uuid());
  var QKEY = 'fs_q:' + tab, queue = (L(QKEY) || {}).e || [];
  try { /* adopt the queues of tabs closed before they could send */
    for (i = LS ? LS.length - 1 : -1; i >= 0; i--) {
      var k = LS.key(i), o = k && k.indexOf('fs_q:') === 0 && k != QKEY ? L(k) : null;
      if (o && !(Date.now() - o.t < STALE_MS)) { L(k, null); queue = queue.concat(o.e || []); }
    }
  } catch (e) { /* another tab changed the storage meanwhile: try next time */ }
  function save() { L(QKEY, queue.length ? { t: Date.now(), e: queue } : null); }

  var types = null, timer = 0, sending = null, failures = 0, healthy = 1, notBefore = 0;
  /* Nothing is sent before notBefore: a 429/503's Retry-After or the back-off holds
   * whatever track() calls arrive meanwhile. */
  function schedule(ms) { if (!timer) timer = w.setTimeout(function () { timer = 0; send(); }, Math.max(ms, notBefore - Date.now())); }
  function enqueue(e) {
    queue.push(e);
    if (queue.length > MAX_QUEUE) { queue.splice(0, queue.length - MAX_QUEUE); warn('queue full: oldest events dropped'); }
    save();
    if (queue.length >= MAX_BATCH && !failures && Date.now() >= notBefore) { w.clearTimeout(timer); timer = 0; send(); } else schedule(FLUSH_MS);
  }
  function drop(ids) { queue = queue.filter(function (e) { return !ids[e.event_id]; }); save(); }
  function send() {
    if (sending || !queue.length) return;
    var batch = queue.slice(0, MAX_BATCH), ids = {};
    batch.forEach(function (e) { ids[e.event_id] = 1; });
    sending = ids;
    function mine() { var m = sending === ids; if (m) sending = null; return m; }
    function retry(after) {
      if (!mine()) { drop(ids); queue = batch.concat(queue); save(); } /* a page hide let it go */
      healthy = 0; failures++;
      var ms = after > 0 ? after * 1000 : Math.min(30000, 1000 * Math.pow(2, failures - 1)) * (0.5 + Math.random() / 2);
      notBefore = Date.now() + ms; w.clearTimeout(timer); timer = 0; schedule(ms);
    }
    w.fetch(URL_EV, { method: 'POST', body: JSON.stringify(batch), headers: { 'Content-Type': 'text/plain' },
      credentials: 'omit', keepalive: true }).then(function (r) {
      if (r.status == 429 || r.status >= 500) return retry(+r.headers.get('Retry-After') || 0);
      if (r.status >= 400) r.text().then(function (t) { warn(r.status + ' ' + t); });
      mine(); failures = 0; healthy = 1; notBefore = 0;
      drop(ids);
      if (queue.length) schedule(queue.length >= MAX_BATCH ? 0 : FLUSH_MS);
    }, function () { retry(0); });
  }
  /* Page hide: hand what is queued to sendBeacon, unless the collector was
   * failing (a beacon's fate is unknown: the events then stay queued for the
   * next page).  A request in flight is a keepalive fetch, which outlives the
   * page like a beacon: its events leave the queue too. */
  function beacon() {
    if (!healthy || !nav.sendBeacon) return;
    if (sending) { drop(sending); sending = null; }
    while (queue.length) {
      var batch = queue.slice(0, MAX_BATCH), ids = {};
      if (!nav.sendBeacon(URL_EV, new Blob([JSON.stringify(batch)], { type: 'text/plain' }))) break;
      batch.forEach(function (e) { ids[e.event_id] = 1; });
      drop(ids);
    }
  }
  d.addEventListener('visibilitychange', function () { if (d.visibilityState == 'hidden') beacon(); });
  w.addEventListener('pagehide', beacon);

  function event(type, props) {
    var e = { event_id: uuid(), type: type, anonymous_id: aid, occurred_at: new Date().toISOString() }, p = {}, k, v, n = 0;
    if (uid) e.user_id = uid;
    UTM.forEach(function (k) { if (visit.utm[k]) e[k] = visit.utm[k]; });
    for (k in props || {}) {
      v = props[k];
      if (k == 'channel' || k == 'campaign' || k == 'currency') { if (text(v)) e[k] = text(v); }
      else if (k == 'revenue') e.revenue = v;
      else if (v !== null && (typeof v == 'string' || typeof v == 'boolean' || (typeof v == 'number' && isFinite(v))) && n < 45) { p[k] = v; n++; }
      else warn('property ' + k + ' dropped: only strings, numbers and booleans are kept');
    }
    p.url = loc.href;
    if (visit.ref) p.referrer = visit.ref;
    e.properties = p;
    return e;
  }
  api.page = function (props) {
    var p = { path: loc.pathname, title: d.title };
    for (var k in props || {}) p[k] = props[k];
    enqueue(event('page_view', p));
    return true;
  };
  api.track = function (type, props) {
    type = text(type);
    if (!type || (types && !types[type])) { warn('unknown event type ' + type + ': not sent'); return false; }
    enqueue(event(type, props));
    return true;
  };
  api.identify = function (userId) {
    userId = text(userId);
    if (!userId) return false;
    L('fs_uid', uid = userId);
    enqueue(event('identify'));
    return true;
  };
  api.reset = function () {
    uid = null; L('fs_uid', null);
    writeAid(aid = uuid());
    return true;
  };
  api.flush = function () { w.clearTimeout(timer); timer = 0; schedule(0); return true; };

  w.fetch(BASE + '/v1/definition', { credentials: 'omit' }).then(function (r) { return r.ok ? r.json() : null; })
    .then(function (j) { if (j && j.types) { types = {}; j.types.forEach(function (t) { types[t.name] = 1; }); } }, function () {});
  if (queue.length) schedule(0);
  api.page();
  /* Calls made before the script loaded: window.funnel = [['track', 'x', {...}], ...]. */
  if (pre && pre.forEach) pre.forEach(function (c) { if (api[c[0]]) api[c[0]].apply(api, [].slice.call(c, 1)); });
})(window, document);
