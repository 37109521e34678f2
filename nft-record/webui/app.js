// nft-record --serve: the page's script (served as /app.js; no inline script,
// no other origin: see the Content-Security-Policy of GET /).
//
// Reads the recorder's API with fetch() only, so the token (--token) can go
// in a header: the event stream with a stream reader (EventSource cannot send
// headers), downloads with fetch() + Blob.  The token is kept in this
// closure's memory, never in storage, never in a URL.  Everything shown is
// put in the DOM as text (textContent), never parsed as HTML.
'use strict';
(() => {
  const API = '/api/multi-function/';
  const POLL_MS = 1000;
  const MAX_LINES = 5000;      // event lines kept in memory
  const SHOW_LINES = 500;      // event lines shown
  const MAX_PACKETS = 500;     // dropped packets listed
  const $ = (id) => document.getElementById(id);

  let token = '';
  let authWanted = false;
  const view = {
    id: null,              // recording shown
    running: false,
    state: 'idle',
    prevEvents: null, prevElapsed: null,
    statsFinal: false,
    pktAfter: 0, pktFinal: false, pktShown: 0, pktDropped: 0, pktMissed: 0,
    streamFor: null, streamEnded: false, streamCtl: null, lastEventId: 0,
    lines: [], received: 0, missed: 0, paused: false, pendingRender: false, newWhilePaused: 0,
  };

  class AuthError extends Error {}

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'cls') e.className = v;
      else if (v !== undefined && v !== null) e.setAttribute(k, v);
    }
    for (const k of kids) {
      if (k === null || k === undefined) continue;
      e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    }
    return e;
  }

  const fmtInt = (n) => (typeof n === 'number' ? n.toLocaleString('en-US') : '-');

  function message(text, isError) {
    const m = $('msg');
    m.textContent = text;
    m.className = isError ? 'err' : '';
  }

  // ---- the API --------------------------------------------------------
  function headers(extra) {
    const h = Object.assign({}, extra || {});
    if (token) h.Authorization = 'Bearer ' + token;
    return h;
  }

  async function api(path, opts) {
    opts = opts || {};
    const init = { method: opts.method || 'GET', headers: headers(opts.headers), cache: 'no-store',
      credentials: 'omit', redirect: 'error' };
    if (opts.body !== undefined) {
      init.body = JSON.stringify(opts.body);
      init.headers['Content-Type'] = 'application/json';
    }
    if (opts.signal) init.signal = opts.signal;
    const r = await fetch(API + path, init);
    if (r.status === 401) {
      askToken(token ? 'The server refused this token.' : '');
      throw new AuthError('token');
    }
    return r;
  }

  async function apiJson(path, opts) {
    const r = await api(path, opts);
    let j = null;
    try { j = await r.json(); } catch (e) { j = null; }
    return { ok: r.ok, status: r.status, j };
  }

  function askToken(why) {
    authWanted = true;
    $('auth').hidden = false;
    if (why) message(why, true);
    else message('This server needs its token before it shows anything.', false);
    if (view.streamCtl) view.streamCtl.abort();
    $('token').focus();
  }

  $('auth-form').addEventListener('submit', (e) => {
    e.preventDefault();
    token = $('token').value.trim();
    $('token').value = '';
    authWanted = false;
    $('auth').hidden = true;
    message('');
    schedule(0);
  });

  // ---- status ---------------------------------------------------------
  function showStatus(s) {
    const stEl = $('st-state');
    stEl.textContent = s.state;
    stEl.className = 'state ' + s.state;
    const el2 = (id, text, raw) => { const e = $(id); e.textContent = text; e.dataset.v = raw === undefined ? '' : String(raw); };
    if (s.id === null || s.id === undefined) {
      for (const id of ['st-elapsed', 'st-events', 'st-rate', 'st-packets', 'st-lost', 'st-output']) el2(id, '-');
      return;
    }
    el2('st-elapsed', s.elapsed_s.toFixed(1) + ' s', s.elapsed_s);
    el2('st-events', fmtInt(s.events), s.events);
    let rate = null;
    if (s.running && view.prevEvents !== null && s.elapsed_s > view.prevElapsed)
      rate = (s.events - view.prevEvents) / (s.elapsed_s - view.prevElapsed);
    else if (!s.running && s.elapsed_s > 0)
      rate = s.events / s.elapsed_s;
    view.prevEvents = s.events;
    view.prevElapsed = s.elapsed_s;
    if (rate !== null) el2('st-rate', fmtInt(Math.round(rate)) + (s.running ? '' : ' (mean)'), Math.round(rate));
    el2('st-packets', fmtInt(s.packets), s.packets);
    el2('st-lost', `${fmtInt(s.lost)} (ring ${fmtInt(s.lost_ringbuf)}, netlink ${fmtInt(s.lost_netlink)})`, s.lost);
    let out = s.output + ' · ' + fmtInt(s.output_bytes) + ' bytes · backend ' + s.backend;
    if (s.filter) out += ' · filter ' + s.filter;
    if (!s.running && s.exit_code !== null) out += ` · exit ${s.exit_code}` + (s.log_complete ? ', log complete' : ', log NOT complete');
    el2('st-output', out, s.output);
  }

  function newRecording(id) {
    view.id = id;
    view.prevEvents = view.prevElapsed = null;
    view.statsFinal = false;
    view.pktAfter = 0; view.pktFinal = false; view.pktShown = 0; view.pktDropped = 0; view.pktMissed = 0;
    if (view.streamCtl) view.streamCtl.abort();
    view.streamFor = null; view.streamEnded = false; view.streamCtl = null; view.lastEventId = 0;
    view.lines = []; view.received = 0; view.missed = 0; view.newWhilePaused = 0;
    for (const t of ['c-verdict', 'c-reason', 'c-layer', 'c-rule']) $(t).tBodies[0].replaceChildren();
    $('drops').replaceChildren();
    $('d-note').textContent = '';
    $('c-note').textContent = '';
    renderEvents();
  }

  // ---- counters (GET stats: the document of nft-analyze stats --json) --
  function fillTable(id, rows, cells, key) {
    const tb = $(id).tBodies[0];
    tb.replaceChildren(...rows.map((r) => {
      const tr = el('tr', { 'data-key': key(r) });
      for (const c of cells(r)) tr.append(c);
      return tr;
    }));
    if (!rows.length) tb.append(el('tr', {}, el('td', { cls: 'note', colspan: 5 }, 'none yet')));
  }
  const td = (v, cls) => el('td', { cls }, v);
  const tag = (v) => el('span', { cls: 'tag ' + v }, v);

  function showStats(doc) {
    const s = doc.stats;
    const byPackets = (a, b) => b.packets - a.packets;
    fillTable('c-verdict', (s.by_verdict || []).slice().sort(byPackets),
      (r) => [el('td', {}, tag(r.verdict)), td(r.packets, 'n')], (r) => r.verdict);
    fillTable('c-reason', (s.drops_by_reason || []).slice().sort(byPackets),
      (r) => [td(r.reason || 'reason ' + r.value), td(r.packets, 'n')], (r) => r.reason || String(r.value));
    fillTable('c-layer', (s.by_layer || []),
      (r) => [td(r.layer), td(r.events, 'n')], (r) => r.layer);
    fillTable('c-rule', (s.by_rule || []),
      (r) => [td(r.table ? `${r.family} ${r.table} ${r.chain}` : r.chain_key),
        td(r.kind === 'rule' ? '#' + r.handle : r.kind),
        el('td', { cls: 'long' }, r.text ? el('code', {}, r.text) : ''),
        el('td', {}, tag(r.verdict)), td(r.packets, 'n')],
      (r) => `${r.family || ''} ${r.table || ''} ${r.chain || r.chain_key} ${r.kind === 'rule' ? r.handle : r.kind}`);
    const t = s.totals;
    $('c-note').textContent = `${fmtInt(t.packets)} packets, ${fmtInt(t.events)} events` +
      (doc.running ? `; ${fmtInt(doc.open_packets)} still in flight (counted when they complete)` : '; final');
  }

  // ---- dropped / rejected packets (GET packets?after=SEQ) --------------
  // nftables' verdict on the packet (REJECT for a reject rule's DROP) and,
  // apart, the packet's fate: a packet nftables accepted can still be
  // dropped by the stack (NO_SOCKET), which is not an nftables DROP.
  function outcome(pk) {
    const d = pk.deciding;
    if (!d || !d.verdict) return 'NONE';
    if (d.verdict === 'DROP' && d.text && /\breject\b/.test(d.text)) return 'REJECT';
    return d.verdict;
  }

  function fateText(j) {
    if (!j.fate) return '';
    const where = [j.fate_dev, j.fate_function].filter(Boolean).join(' ');
    return 'fate ' + j.fate + (where ? ' (' + where + ')' : '');
  }

  function decidingText(d) {
    if (!d) return 'no nftables verdict';
    const what = d.kind === 'rule' ? '#' + d.handle : d.kind;
    return `${d.chain} ${what}` + (d.text ? ': ' + d.text : '') + ` → ${d.verdict}`;
  }

  // "first_ts_ns" -> "first ts (µs)": times are shown in µs
  const label = (k) => (/(^t|_)ns$/.test(k) ? k.replace(/_?ns$/, '') + ' (µs)' : k).replace(/_/g, ' ');

  function cell(k, v) {
    if (v === null || v === undefined) return '';
    if (typeof v === 'object') return JSON.stringify(v);
    if (/(^t|_)ns$/.test(k) && typeof v === 'number') return (v / 1000).toFixed(3);
    return String(v);
  }

  // A list of objects as a table, columns = every key seen (generic: the
  // journey's lists may gain fields).
  function objTable(rows) {
    const cols = [];
    for (const r of rows)
      if (r && typeof r === 'object') for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
    const head = el('tr', {}, ...cols.map((c) => el('th', { scope: 'col', cls: /ns$/.test(c) ? 'n' : '' }, label(c))));
    const body = rows.map((r) => {
      if (!r || typeof r !== 'object') return el('tr', {}, el('td', {}, cell('', r)));
      const hit = r.type === 'drop' || r.verdict === 'DROP';
      return el('tr', { cls: hit ? 'hit' : '' }, ...cols.map((c) => {
        const v = cell(c, r[c]);
        return el('td', { cls: /ns$/.test(c) ? 'n' : v.length > 40 || c === 'text' ? 'long' : '' }, v);
      }));
    });
    return el('div', { cls: 'tw' }, el('table', {}, el('thead', {}, head), el('tbody', {}, ...body)));
  }

  function renderJourney(pk) {
    const j = pk.journey || {};
    const box = el('div', { cls: 'jr' });
    const kv = el('dl', { cls: 'kv' });
    const add = (k, v) => { kv.append(el('dt', {}, k), el('dd', {}, v)); };
    add('deciding rule', decidingText(pk.deciding));
    for (const [k, v] of Object.entries(j)) {
      if (v === null || Array.isArray(v)) continue;
      add(label(k), typeof v === 'object' ? Object.entries(v).map(([a, b]) => `${label(a)} ${cell(a, b)}`).join(', ') : cell(k, v));
    }
    box.append(kv);
    const order = (k) => ['hops', 'path', 'nft', 'layers', 'branches'].indexOf(k);
    const lists = Object.entries(j).filter(([, v]) => Array.isArray(v) && v.length)
      .sort((a, b) => (order(a[0]) + 100) % 100 - (order(b[0]) + 100) % 100);
    for (const [k, v] of lists) box.append(el('h4', {}, label(k)), objTable(v));
    if (pk.records_cut) box.append(el('p', { cls: 'note' }, 'records cut: only the first 64 KiB of this packet\'s records are kept live; nft-analyze shows all of them.'));
    return box;
  }

  function addPacket(pk) {
    const j = pk.journey || {};
    const out = outcome(pk);
    const id = 'pk-' + view.id + '-' + pk.seq;
    const flow = [j.proto, j.flow || [j.src, j.dst].filter(Boolean).join(' → ')].filter(Boolean).join(' ');
    const btn = el('button', { type: 'button', cls: 'pk-h', 'aria-expanded': 'false', 'aria-controls': id,
      'data-packet': j.packet },
    el('span', {}, tag(out)),
    el('span', { cls: 'mono' }, '#' + (j.packet ?? '?')),
    el('span', { cls: 'ft' }, fateText(j)),
    el('span', {}, flow || '(no addresses)'),
    el('span', { cls: 'rt' }, decidingText(pk.deciding)),
    el('span', { cls: 'rs' }, j.drop_reason || (j.dropped ? 'reason ' + j.drop_reason_value : '')),
    el('span', { cls: 'note' }, (j.drop_location || j.drop_function) ? 'at ' + (j.drop_location || j.drop_function) : ''));
    const body = el('div', { id, hidden: '' });
    btn.addEventListener('click', () => {
      const open = btn.getAttribute('aria-expanded') !== 'true';
      btn.setAttribute('aria-expanded', String(open));
      if (open && !body.firstChild) body.append(renderJourney(pk));
      body.hidden = !open;
    });
    const list = $('drops');
    list.append(el('li', {}, btn, body));
    view.pktShown++;
    while (list.children.length > MAX_PACKETS) {
      list.firstElementChild.remove();
      view.pktDropped++;
    }
  }

  function packetNote(running) {
    let t = `${fmtInt(view.pktShown)} so far`;
    if (view.pktDropped) t += `, the oldest ${fmtInt(view.pktDropped)} no longer listed`;
    if (view.pktMissed) t += `, ${fmtInt(view.pktMissed)} missed (the server keeps the last 1024)`;
    if (!running) t += ' (recording ended)';
    $('d-note').textContent = t;
  }

  async function pollPackets(id) {
    for (let round = 0; round < 5; round++) {
      const r = await apiJson(`packets?after=${view.pktAfter}&limit=200`);
      if (!r.ok || !r.j || view.id !== id || r.j.id !== id) return;
      view.pktMissed += r.j.missed;
      for (const pk of r.j.packets) addPacket(pk);
      view.pktAfter = r.j.last;
      packetNote(r.j.running);
      if (!r.j.running && r.j.last + 1 >= r.j.next) view.pktFinal = true;
      if (r.j.last + 1 >= r.j.next) return;
    }
  }

  // ---- live events: fetch() + stream reader of text/event-stream --------
  function sseBlock(block) {
    let ev = 'message', data = null, id = null;
    for (const line of block.split('\n')) {
      if (!line || line[0] === ':') continue;
      const i = line.indexOf(':');
      const k = i < 0 ? line : line.slice(0, i);
      let v = i < 0 ? '' : line.slice(i + 1);
      if (v[0] === ' ') v = v.slice(1);
      if (k === 'event') ev = v;
      else if (k === 'id') id = v;
      else if (k === 'data') data = data === null ? v : data + '\n' + v;
    }
    if (ev === 'end') { view.streamEnded = true; return; }
    if (ev === 'lost') { try { view.missed += JSON.parse(data).missed; } catch (e) { /* ignore */ } return; }
    if (data === null) return;
    if (id !== null) view.lastEventId = Number(id);
    view.lines.push(data);
    view.received++;
    if (view.paused) view.newWhilePaused++;
  }

  async function openStream(id) {
    const ctl = new AbortController();
    view.streamFor = id;
    view.streamCtl = ctl;
    try {
      // resume after the last event seen (0 = from the first one the server still holds)
      const r = await api('events', { headers: { 'Last-Event-ID': String(view.lastEventId) }, signal: ctl.signal });
      if (!r.ok || !r.body) throw new Error('HTTP ' + r.status);
      const rd = r.body.getReader();
      const dec = new TextDecoder();
      let buf = '';
      for (;;) {
        const { value, done } = await rd.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        const parts = buf.split('\n\n');
        buf = parts.pop();
        if (view.id !== id) break; // a newer recording is shown
        for (const p of parts) sseBlock(p);
        if (view.lines.length > MAX_LINES + 1000) view.lines.splice(0, view.lines.length - MAX_LINES);
        if (view.id !== id) break;
        queueRender();
      }
    } catch (e) {
      if (!(e instanceof AuthError) && e.name !== 'AbortError') $('ev-note').textContent = 'stream interrupted, reconnecting';
    }
    if (view.streamCtl === ctl) view.streamCtl = null;
    if (view.id === id && !view.streamEnded) view.streamFor = null; // reconnect at the next poll
    queueRender();
  }

  function queueRender() {
    if (view.pendingRender) return;
    view.pendingRender = true;
    setTimeout(() => { view.pendingRender = false; renderEvents(); }, 250);
  }

  function renderEvents() {
    const note = $('ev-note');
    let n = `${fmtInt(view.received)} received`;
    if (view.missed) n += `, ${fmtInt(view.missed)} missed (too far behind)`;
    if (view.paused) {
      note.textContent = `${n}; paused, ${fmtInt(view.newWhilePaused)} new`;
      return;
    }
    const words = $('ev-filter').value.toLowerCase().split(/\s+/).filter(Boolean);
    const out = [];
    for (let i = view.lines.length - 1; i >= 0 && out.length < SHOW_LINES; i--) {
      const l = view.lines[i];
      if (!words.length || words.every((w) => l.toLowerCase().includes(w))) out.push(l);
    }
    out.reverse();
    const pre = $('events');
    const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 30;
    pre.textContent = out.join('\n');
    if (atEnd) pre.scrollTop = pre.scrollHeight;
    note.textContent = `${n}; showing ${fmtInt(out.length)}` + (words.length ? ' matching' : '') +
      (view.streamEnded ? '; recording ended' : '');
  }

  $('ev-filter').addEventListener('input', renderEvents);
  $('ev-pause').addEventListener('click', () => {
    view.paused = !view.paused;
    view.newWhilePaused = 0;
    $('ev-pause').setAttribute('aria-pressed', String(view.paused));
    $('ev-pause').textContent = view.paused ? 'Resume' : 'Pause';
    renderEvents();
  });

  // ---- start / stop / downloads ------------------------------------------
  $('start-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {};
    const v = (id) => $(id).value.trim();
    if (v('f-max') !== '') body.max_functions = Number(v('f-max'));
    if (v('f-filter') !== '') body.filter = v('f-filter');
    if (v('f-duration') !== '') body.duration = Number(v('f-duration'));
    if (v('f-backend') !== '') body.backend = v('f-backend');
    if (v('f-netns') !== '') body.netns = v('f-netns').split(',').map((s) => s.trim()).filter(Boolean);
    if (v('f-output') !== '') body.output = v('f-output');
    $('b-start').disabled = true;
    message('starting…');
    try {
      const r = await apiJson('start', { method: 'POST', body });
      if (r.ok) {
        message(`recording ${r.j.id} started: ${r.j.output} (backend ${r.j.backend})`);
      } else {
        message(`start refused (HTTP ${r.status}): ${r.j ? r.j.error : 'no answer'}`, true);
        const f = r.j && r.j.field && document.querySelector(`[name="${CSS.escape(r.j.field)}"]`);
        if (f) f.focus();
      }
    } catch (err) {
      if (!(err instanceof AuthError)) message('start: ' + err.message, true);
    }
    schedule(0);
  });

  $('b-stop').addEventListener('click', async () => {
    $('b-stop').disabled = true;
    message('stopping…');
    try {
      const r = await apiJson('stop', { method: 'POST', body: {} });
      message(r.ok ? `recording ${r.j.id} stopped (exit ${r.j.exit_code}${r.j.log_complete ? ', log complete' : ''})`
        : `stop refused (HTTP ${r.status}): ${r.j ? r.j.error : 'no answer'}`, !r.ok);
    } catch (err) {
      if (!(err instanceof AuthError)) message('stop: ' + err.message, true);
    }
    schedule(0);
  });

  async function download(path, fallback) {
    message(`downloading ${fallback}…`);
    try {
      const r = await api(path);
      if (!r.ok) {
        let why = '';
        try { why = (await r.json()).error; } catch (e) { /* not JSON */ }
        message(`download refused (HTTP ${r.status}): ${why}`, true);
        return;
      }
      const m = /filename="([^"]+)"/.exec(r.headers.get('Content-Disposition') || '');
      const name = m ? m[1] : fallback;
      const blob = await r.blob();
      const url = URL.createObjectURL(blob);
      const a = el('a', { href: url, download: name, hidden: '' });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      message(`downloaded ${name} (${fmtInt(blob.size)} bytes)`);
    } catch (err) {
      if (!(err instanceof AuthError)) message('download: ' + err.message, true);
    }
  }
  $('b-log').addEventListener('click', () => download('log', 'recording.ntl'));
  $('b-report').addEventListener('click', () => download('report', 'report.html'));

  // ---- the poll loop --------------------------------------------------
  let timer = null;
  function schedule(ms) {
    if (timer) clearTimeout(timer);
    timer = setTimeout(tick, ms);
  }

  async function tick() {
    timer = null;
    if (authWanted) return;
    try {
      const r = await apiJson('status');
      if (!r.ok || !r.j) throw new Error('status: HTTP ' + r.status);
      const s = r.j;
      if (s.id !== null && s.id !== view.id) newRecording(s.id);
      view.running = s.running;
      view.state = s.state;
      showStatus(s);
      $('b-start').disabled = s.running;
      $('b-stop').disabled = !s.running;
      $('files').hidden = !(s.state === 'finished');
      if (s.id !== null && s.state !== 'failed') {
        if (!view.statsFinal) {
          const st = await apiJson('stats?top=50');
          if (st.ok && st.j && st.j.id === view.id) {
            showStats(st.j);
            if (!st.j.running) view.statsFinal = true;
          }
        }
        if (!view.pktFinal) await pollPackets(view.id);
        if (!view.streamEnded && view.streamFor !== view.id) openStream(view.id);
      }
      document.body.dataset.ready = '1';
    } catch (e) {
      if (e instanceof AuthError) return;
      message('cannot reach the recorder: ' + e.message, true);
    }
    schedule(POLL_MS);
  }

  tick();
})();
