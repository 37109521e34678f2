#!/usr/bin/env python3
# webui_browser.py - the browser half of tests/e2e/webui_browser.sh (read it
# first): drives the page of nft-record --serve in headless Chromium over the
# DevTools protocol (tests/tools/cdp.py) and prints PASS / FAIL lines.
import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import cdp  # noqa: E402

ap = argparse.ArgumentParser()
for a in ('chrome', 'srvpid', 'ns', 'nsb', 'base', 'base2', 'other', 'token', 'a4', 'b4', 'b6', 'dir', 'ana', 'art', 'tmp'):
    ap.add_argument('--' + a, required=True)
o = ap.parse_args()
failed = 0
T0 = time.monotonic()


def check(name, cond, why=''):
    global failed
    print(('PASS: ' if cond else 'FAIL: ') + 'webui_' + name + ('' if cond else ': ' + str(why)[:900]))
    if not cond:
        failed = 1
    return cond


def sh(*cmd):
    return subprocess.run(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def netns(ns, *cmd):
    return sh('ip', 'netns', 'exec', ns, *cmd)


# every element's right edge inside the viewport, but those inside a scroll box
OVERFLOW_JS = r'''(() => {
  const w = document.documentElement.clientWidth, bad = [];
  const scroller = (e) => { for (let p = e.parentElement; p; p = p.parentElement) {
      const ox = getComputedStyle(p).overflowX; if (ox === 'auto' || ox === 'scroll' || ox === 'hidden') return true; }
    return false; };
  for (const e of document.body.querySelectorAll('*')) {
    const r = e.getBoundingClientRect();
    if (r.width && (r.right > w + 0.5 || r.left < -0.5) && !scroller(e) && !e.closest('[hidden]') && !e.matches('a.skip'))
      bad.push(`${e.tagName}#${e.id}.${e.className} ${Math.round(r.left)}..${Math.round(r.right)}`);
  }
  return {scrollWidth: document.documentElement.scrollWidth, width: w, innerWidth: innerWidth, bad: bad.slice(0, 5)};
})()'''

COUNTERS_JS = r'''(() => {
  const rows = (id) => [...document.querySelectorAll('#' + id + ' tbody tr[data-key]')].map(
    (tr) => [...tr.cells].map((c) => c.textContent));
  return {verdict: rows('c-verdict'), reason: rows('c-reason'), layer: rows('c-layer'), rule: rows('c-rule'),
          note: document.getElementById('c-note').textContent,
          evnote: document.getElementById('ev-note').textContent};
})()'''


def shot_and_overflow(p, width, height, name, mobile=False):
    p.viewport(width, height, mobile)
    p.b.pump(0.4)
    ov = p.js(OVERFLOW_JS)
    path = os.path.join(o.art, 'webui-%d.png' % width)
    p.screenshot(path)
    ok = os.path.getsize(path) > 5000
    check('screenshot_%d' % width, ok, path)
    check('no_horizontal_overflow_%d' % width, ov['scrollWidth'] <= ov['width'] and not ov['bad'], ov)


def stats_json(log):
    r = sh(o.ana, 'stats', '--json', '--top', '50', log)
    return json.loads(r.stdout)['stats'] if r.returncode == 0 else None


b = cdp.Browser(o.chrome, netns=o.ns)
try:
    p = b.page(1280, 900)
    # ---- load, start a recording by keyboard ----
    p.goto(o.base + '/')
    p.wait("document.body.dataset.ready === '1'", what='the page to read the status')
    check('loaded_idle', p.js("document.getElementById('st-state').textContent") == 'idle')
    p.js("""(() => { const set = (id, v) => { document.getElementById(id).value = v; };
      set('f-max', '0'); set('f-filter', 'host %s'); set('f-backend', 'tracepoint');
      set('f-netns', '%s'); set('f-output', 'webui.ntl'); document.getElementById('b-start').focus(); })()"""
         % (o.a4, o.nsb))
    p.key('Enter')
    p.wait("document.getElementById('st-state').textContent === 'running'", 20, 'state running')
    check('started_by_keyboard', 'recording 1 started' in p.js("document.getElementById('msg').textContent"))
    # the server's BPF programs / links while it records (the shell checks they are gone after)
    ids = {'prog_id': set(), 'link_id': set()}
    fdd = '/proc/%s/fdinfo' % o.srvpid
    for fd in os.listdir(fdd):
        try:
            for line in open(os.path.join(fdd, fd)):
                k, _, v = line.partition(':')
                if k in ids:
                    ids[k].add(v.strip())
        except OSError:
            pass
    with open(os.path.join(o.tmp, 'bpf_ids'), 'w') as f:
        f.write(' '.join(sorted(ids['prog_id'])) + '\n' + ' '.join(sorted(ids['link_id'])) + '\n')
    p.wait("document.getElementById('ev-note').textContent.includes('received')", 10, 'the event stream')

    # ---- traffic in the namespaces ----
    netns(o.ns, 'ping', '-c3', '-i0.2', '-W1', o.b4)                      # dropped by rule
    netns(o.ns, 'bash', '-c', 'echo hi > /dev/udp/%s/9' % o.b4)           # rejected
    netns(o.ns, 'ping', '-6', '-c2', '-i0.2', '-W1', o.b6)                # accepted (not in the filter)
    netns(o.ns, 'bash', '-c', 'echo hi > /dev/udp/%s/7' % o.b4)           # no socket: kernel drop
    t = time.monotonic()
    p.wait("document.querySelectorAll('#drops li').length >= 5", 15, 'five dropped packets in the list')
    check('drops_listed_in_%.1fs' % (time.monotonic() - t), True)
    items = p.js("""[...document.querySelectorAll('#drops .pk-h')].map((b) => b.textContent)""")
    icmp = [i for i, s in enumerate(items) if 'ICMP' in s and 'echo-request drop' in s]
    rej = [s for s in items if 'REJECT' in s and 'udp dport 9 reject' in s]
    nosock = [s for s in items if 'NO_SOCKET' in s]
    check('list_3_icmp_drops_1_reject_1_no_socket', len(icmp) == 3 and len(rej) == 1 and len(nosock) == 1, items)
    # verdict and fate apart: the rule drops are nftables' DROP with fate dropped;
    # the datagram to port 7 was accepted by nftables and dropped by the stack
    check('list_verdict_and_fate', all(items[i].startswith('DROP') and 'fate dropped' in items[i] for i in icmp)
          and len(nosock) == 1 and not nosock[0].startswith('DROP') and 'fate dropped' in nosock[0], items)

    # ---- expand one ICMP drop by keyboard: rule text and drop reason ----
    if icmp:
        p.js("document.querySelectorAll('#drops .pk-h')[%d].focus()" % icmp[0])
        p.key('Enter')
        p.wait("document.querySelectorAll('#drops .pk-h')[%d].getAttribute('aria-expanded') === 'true'" % icmp[0], 5)
        j = p.js("""(() => { const b = document.querySelectorAll('#drops .pk-h')[%d];
          const d = document.getElementById(b.getAttribute('aria-controls'));
          const kv = {}; const dts = d.querySelectorAll('dl.kv dt');
          for (const dt of dts) kv[dt.textContent] = dt.nextElementSibling.textContent;
          const hits = [...d.querySelectorAll('tr.hit')].map((tr) => tr.textContent);
          const lists = [...d.querySelectorAll('h4')].map((h) => h.textContent);
          return {kv, hits, lists, hidden: d.hidden}; })()""" % icmp[0])
        kv = j['kv']
        rule = 'ip saddr %s icmp type echo-request drop' % o.a4
        check('journey_rule_text', kv.get('deciding rule') == 'inet filter input #2: %s → DROP' % rule, kv)
        check('journey_drop_reason', kv.get('drop reason') == 'NETFILTER_DROP' and kv.get('verdict') == 'DROP', kv)
        check('journey_fate_device_netns', kv.get('fate') == 'dropped' and kv.get('fate dev', '') != ''
              and kv.get('fate netns', '') != '', kv)
        check('journey_lists_path_nft', not j['hidden'] and 'path' in j['lists'] and 'nft' in j['lists']
              and any(rule in h for h in j['hits']), j)
    shot_and_overflow(p, 1280, 900, 'wide')
    p.screenshot(os.path.join(o.art, 'webui-readme.jpg'), height=1250, quality=55)  # the README's picture
    shot_and_overflow(p, 390, 844, 'phone', mobile=True)
    p.js("document.querySelector('#drops .pk-h[aria-expanded=\"true\"]').scrollIntoView()")
    p.screenshot(os.path.join(o.art, 'webui-390-journey.png'), full=False)
    p.viewport(1280, 900)

    # ---- filter and pause the event stream ----
    p.js("(() => { const f = document.getElementById('ev-filter'); f.value = 'nft_rule drop'; f.dispatchEvent(new Event('input')); })()")
    lines = p.js("document.getElementById('events').textContent").split('\n')
    check('event_filter', len(lines) == 4 and all('NFT_RULE' in l and 'DROP' in l for l in lines), lines)
    p.js("document.getElementById('ev-pause').focus()")
    p.key('Enter')
    check('event_pause', p.js("document.getElementById('ev-pause').getAttribute('aria-pressed')") == 'true'
          and 'paused' in p.js("document.getElementById('ev-note').textContent"))
    p.js("document.getElementById('ev-pause').click()")

    # ---- stop, final counters, downloads ----
    p.js("document.getElementById('b-stop').click()")
    p.wait("document.getElementById('st-state').textContent === 'finished'", 20, 'state finished')
    p.wait("!document.getElementById('files').hidden && document.getElementById('c-note').textContent.endsWith('final')",
           5, 'final counters and the download buttons')
    p.wait("document.getElementById('ev-note').textContent.includes('recording ended')", 5, 'the stream end')
    dl = os.path.join(o.tmp, 'dl')
    b.allow_downloads(dl)
    p.js("document.getElementById('b-log').click()")
    g1, name = b.wait_download(15)
    log = os.path.join(o.dir, 'webui.ntl')
    got = os.path.join(dl, name)
    same = name == 'webui.ntl' and os.path.exists(got) and \
        hashlib.sha256(open(got, 'rb').read()).digest() == hashlib.sha256(open(log, 'rb').read()).digest()
    check('download_log_equals_server_file', same, (name, os.listdir(dl)))
    S = stats_json(got)
    c = p.js(COUNTERS_JS)
    if check('stats_json_of_download', S is not None):
        want_v = sorted([[v['verdict'], str(v['packets'])] for v in S['by_verdict']])
        check('counters_by_verdict_equal_stats_json', sorted(c['verdict']) == want_v, (c['verdict'], want_v))
        want_r = sorted([[d['reason'] or 'reason %d' % d['value'], str(d['packets'])] for d in S['drops_by_reason']])
        check('counters_by_reason_equal_stats_json', sorted(c['reason']) == want_r, (c['reason'], want_r))
        want_l = [[l['layer'], str(l['events'])] for l in S['by_layer']]
        check('counters_by_layer_equal_stats_json', c['layer'] == want_l, (c['layer'], want_l))
        want_ru = [['%s %s %s' % (r['family'], r['table'], r['chain']), '#%d' % r['handle'] if r['kind'] == 'rule' else r['kind'],
                    r['text'] or '', r['verdict'], str(r['packets'])] for r in S['by_rule']]
        check('counters_by_rule_equal_stats_json', c['rule'] == want_ru, (c['rule'], want_ru))
        check('counters_rule_drop_x3', ['inet filter input', '#2', 'ip saddr %s icmp type echo-request drop' % o.a4,
                                        'DROP', '3'] in c['rule'], c['rule'])
        t = S['totals']
        check('counters_totals', c['note'] == '%s packets, %s events; final' % (format(t['packets'], ','), format(t['events'], ',')),
              (c['note'], t))
        # the stream the page read: every line of nft-analyze events
        ev = sh(o.ana, 'events', got).stdout.rstrip('\n').split('\n')
        m = re.match(r'([\d,]+) received', c['evnote'])
        check('stream_received_every_event', m and int(m.group(1).replace(',', '')) == len(ev), (c['evnote'], len(ev)))
    p.js("document.getElementById('b-report').click()")
    g2, rname = b.wait_download(30, known=(g1,))
    rep = open(os.path.join(dl, rname)).read() if os.path.exists(os.path.join(dl, rname)) else ''
    mm = re.search(r'<script type="application/json" id="nt-stats">(.*?)</script>', rep, re.S)
    ana = sh(o.ana, 'stats', '--json', got)
    emb = json.loads(mm.group(1)) if mm else None
    check('download_report_embeds_stats_json', rname == 'webui.ntl.html' and ana.returncode == 0 and
          emb == json.loads(ana.stdout), (rname, mm is not None))
    check('no_script_errors_or_csp_violations', not p.errors, p.errors)

    # ---- --token: the page alone gets no data ----
    q = b.page(1280, 900)
    q.goto(o.base2 + '/')
    q.wait("!document.getElementById('auth').hidden", 10, 'the token prompt')
    q.b.pump(0.3)
    q._collect()
    res = [r for r in q.responses if '/api/' in r[0]]
    shown = q.js("[...document.querySelectorAll('.status dd')].map((d) => d.textContent)")
    check('token_page_without_token_no_data', res and all(s == 401 for _, s in res) and
          shown[0] == '…' and all(s == '-' for s in shown[1:]), (res, shown))
    q.js("document.getElementById('token').focus()")
    q.type_text('wrong-' + o.token)
    q.key('Enter')
    q.wait("!document.getElementById('auth').hidden && document.getElementById('msg').textContent.includes('refused')", 5,
           'the wrong token refused')
    q.js("document.getElementById('token').focus()")
    q.type_text(o.token)
    q.key('Enter')
    q.wait("document.getElementById('st-state').textContent === 'idle'", 5, 'status with the token')
    check('token_accepted', q.js("document.getElementById('auth').hidden") is True)
    q.errors = [e for e in q.errors if '401' not in e]
    check('token_page_no_other_errors', not q.errors, q.errors)

    # ---- a page of another origin cannot start a recording ----
    x = b.page(800, 600)
    x.goto(o.other + '/')
    for name, base, auth in (('no_token', o.base, ''), ('token', o.base2, o.token)):
        r = x.js("""(async () => { const out = {};
          try { const r = await fetch('%s/api/multi-function/start', {method: 'POST',
              headers: Object.assign({'Content-Type': 'application/json'}, %s), body: '{}'});
            out.cors = 'answered ' + r.status; } catch (e) { out.cors = 'failed'; }
          try { const r = await fetch('%s/api/multi-function/start', {method: 'POST', mode: 'no-cors',
              headers: {'Content-Type': 'text/plain'}, body: '{}'}); out.nocors = r.type; } catch (e) { out.nocors = 'failed'; }
          return out; })()""" % (base, json.dumps({'Authorization': 'Bearer ' + auth} if auth else {}), base))
        check('cross_origin_fetch_%s_blocked' % name, r['cors'] == 'failed' and r['nocors'] in ('opaque', 'failed'), r)
    check('elapsed_%.0fs' % (time.monotonic() - T0), True)
except cdp.CDPError as e:
    check('browser', False, '%s; chromium: %s' % (e, b.stderr_tail()))
finally:
    b.close()
sys.exit(failed)
