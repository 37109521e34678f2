#!/bin/bash
# http_record.sh - nft-record --serve: a recording driven over HTTP with curl.
# Server in namespace A (loopback), nftrace also in B (request field netns),
# B drops ICMP echo from A by rule handle 2 (samples/rulesets/drop.nft, own subnet).
# Asserts: start answers id 1, the output path in the serve dir, backend
# tracepoint; status while running; a second start is 409; live stats; 3 pings;
# stop answers the final status (exit 0, log complete, events = records in the
# log); /stats equals `nft-analyze stats --json` of the finished log exactly and
# has the 3 drops of rule 2; the event stream (Last-Event-ID: 0) carries exactly
# the lines of `nft-analyze events`, ?format=json exactly the objects of
# `events --ndjson`, a live client connected before the pings got the 3 DROP
# lines and an "end" event; log 0600; nft table and BPF programs gone while the
# server still runs; SIGTERM ends the server with exit 0 and the port closed.
. "$(dirname "$0")/lib_http.sh"
nt_http_init http_record
# a subnet of our own: tracepoints are global and other tests may run pings
nt_ns_pair 83 || { nt_fail "netns setup failed"; exit 1; }
sed "s/10\.99\.0\.1/$A4/" "$NT_ROOT/samples/rulesets/drop.nft" > "$NT_TMP/drop.nft"
nt_ns_ruleset "$NSB" "$NT_TMP/drop.nft" || { nt_fail "ruleset"; exit 1; }
nt_http_server "$NSA" "127.0.0.1:$NT_PORT" || { nt_fail "server did not start: $(cat "$NT_TMP/srv.err")"; exit 1; }

nt_req "$NSA" GET $API/status
nt_expect 200 "status before start" "j['running'] is False and j['state'] == 'idle'"
nt_req "$NSA" GET $API/stats
nt_expect 409 "stats before any recording" "'no recording' in j['error']"

nt_req "$NSA" POST $API/start "{\"max_functions\": 50, \"filter\": \"host $A4 and icmp\", \"netns\": [\"$NSB\"], \"output\": \"api.ntl\"}"
nt_expect 200 "start" "j['id'] == 1 and j['output'] == '$NT_DIR/api.ntl' and j['backend'] == 'tracepoint'" || {
	cat "$NT_TMP/srv.err"; exit 1; }
LOG=$NT_DIR/api.ntl
nt_http_note_bpf
# event streams: everything from the first event (text), objects (json), live
ip netns exec "$NSA" curl -sN -m 30 -H 'Last-Event-ID: 0' "$NT_BASE$API/events" > "$NT_TMP/sse.txt" &
SSE1=$!
ip netns exec "$NSA" curl -sN -m 30 -H 'Last-Event-ID: 0' "$NT_BASE$API/events?format=json" > "$NT_TMP/sse.json" &
SSE2=$!
ip netns exec "$NSA" curl -sN -m 30 "$NT_BASE$API/events" > "$NT_TMP/sse.live" &
SSE3=$!
nt_sse_wait "$NT_TMP/sse.txt" "$NT_TMP/sse.json" "$NT_TMP/sse.live"

nt_req "$NSA" GET $API/status
nt_expect 200 "status while recording" "j['running'] is True and j['state'] == 'running' and j['id'] == 1 and j['backend'] == 'tracepoint' and j['filter'] == 'host $A4 and icmp' and j['output'] == '$LOG' and j['exit_code'] is None and j['output_bytes'] > 0"
nt_req "$NSA" POST $API/start '{"max_functions": 10}'
nt_expect 409 "second start" "j['id'] == 1 and 'already running' in j['error']"

ip netns exec "$NSA" ping -c3 -i0.2 -W1 "$B4" > /dev/null
sleep 0.6
nt_req "$NSA" GET $API/stats
nt_expect 200 "live stats" "j['running'] is True and j['stats']['totals']['events'] > 0 and j['stats']['totals']['log_complete'] is False"

sleep 0.5
nt_req "$NSA" POST $API/stop
nt_expect 200 "stop" "j['running'] is False and j['state'] == 'finished' and j['exit_code'] == 0 and j['log_complete'] is True and j['output'] == '$LOG' and j['lost'] == 0"
cp "$NT_TMP/body" "$NT_TMP/stop.json"
nt_req "$NSA" POST $API/stop
nt_expect 409 "stop when nothing runs" "'no recording running' in j['error']"
for p in $SSE1 $SSE2 $SSE3; do wait $p; done

[ "$(stat -c %a "$LOG")" = 600 ] || nt_fail "log mode $(stat -c %a "$LOG"), expected 600"
"$NT_ANA" stats --json "$LOG" > "$NT_TMP/ana_stats.json" || nt_fail "nft-analyze stats exit $?"
"$NT_ANA" events "$LOG" > "$NT_TMP/ana_events.txt"
"$NT_ANA" events --ndjson "$LOG" > "$NT_TMP/ana_events.ndjson"
nt_req "$NSA" GET $API/stats
nt_expect 200 "stats after stop" "j['running'] is False"
cp "$NT_TMP/body" "$NT_TMP/api_stats.json"

python3 - "$NT_TMP" <<'PY' || nt_fail "comparison with nft-analyze (above)"
import json, sys
tmp = sys.argv[1]
err = []
api = json.load(open(tmp + '/api_stats.json'))
ana = json.load(open(tmp + '/ana_stats.json'))
if api['stats'] != ana['stats']:
    for k in ana['stats']:
        if api['stats'].get(k) != ana['stats'][k]:
            err.append('stats.%s: api %s != nft-analyze %s' % (k, json.dumps(api['stats'].get(k))[:300], json.dumps(ana['stats'][k])[:300]))
t = api['stats']['totals']
rules = [(r['table'], r['chain'], r['handle'], r['verdict'], r['packets']) for r in api['stats']['by_rule']]
if ('filter', 'input', 2, 'DROP', 3) not in rules:
    err.append('by_rule lacks [filter input 2 DROP] x3: %s' % rules)
drops = {d['reason']: d['packets'] for d in api['stats']['drops_by_reason']}
if drops.get('NETFILTER_DROP') != 3:
    err.append('drops_by_reason: %s, expected NETFILTER_DROP 3' % drops)
if not t['log_complete'] or t['log_error'] is not None:
    err.append('totals: log_complete %s log_error %s' % (t['log_complete'], t['log_error']))
stop = json.load(open(tmp + '/stop.json'))
if stop['events'] != t['events'] + 0 and stop['events'] < t['events']:
    err.append('stop events %d < stats events %d' % (stop['events'], t['events']))

def sse(path):
    evs, cur = [], {}
    for line in open(path).read().split('\n'):
        if line == '':
            if cur:
                evs.append(cur)
            cur = {}
        elif line.startswith(':'):
            continue
        else:
            k, _, v = line.partition(': ')
            if k == 'data' and 'data' in cur:
                cur['data'] += '\n' + v
            else:
                cur[k] = v
    return evs
text = sse(tmp + '/sse.txt')
lines = [e['data'] for e in text if 'event' not in e]
want = open(tmp + '/ana_events.txt').read().rstrip('\n').split('\n')
if lines != want:
    n = next((i for i, (a, b) in enumerate(zip(lines, want)) if a != b), min(len(lines), len(want)))
    err.append('stream (text): %d lines, nft-analyze events %d; first difference at %d: %r != %r' %
               (len(lines), len(want), n, lines[n] if n < len(lines) else None, want[n] if n < len(want) else None))
ids = [int(e['id']) for e in text if 'event' not in e]
if ids != list(range(1, len(ids) + 1)):
    err.append('stream ids not 1..N: %s' % ids[:10])
if not text or text[-1].get('event') != 'end' or json.loads(text[-1]['data'])['exit_code'] != 0:
    err.append('stream (text) did not end with an end event: %s' % (text[-1:] if text else 'empty'))
# a drop location is symbolized from the log's KSYMS blocks, which the recorder
# writes up to a second after the drop: the live stream can have only the
# address ("address" is compared exactly, "location" only when both have a symbol)
def unsym(o):
    if o.get('type') == 'DROP' and str(o.get('location', '')).startswith('0x'):
        o = dict(o); o.pop('location')
    return o
objs = [unsym(json.loads(e['data'])) for e in sse(tmp + '/sse.json') if 'event' not in e]
want_objs = [json.loads(l) for l in open(tmp + '/ana_events.ndjson') if l.strip()]
want_objs = [dict((k, v) for k, v in w.items() if not (k == 'location' and any(
    o.get('seq') == w.get('seq') and 'location' not in o for o in objs))) for w in want_objs]
if objs != want_objs:
    err.append('stream (json): %d objects != nft-analyze events --ndjson %d objects' % (len(objs), len(want_objs)))
live = sse(tmp + '/sse.live')
live_lines = [e['data'] for e in live if 'event' not in e]
ndrop = sum(1 for l in live_lines if 'NFT_RULE' in l and '[DROP]' in l)
if ndrop != 3:
    err.append('live stream: %d NFT_RULE [DROP] lines, expected 3' % ndrop)
if live_lines != want[len(want) - len(live_lines):]:
    err.append('live stream is not the tail of nft-analyze events')
if not live or live[-1].get('event') != 'end':
    err.append('live stream did not end with an end event')
for e in err:
    print('  ' + e)
print('  %d events, %d stream lines, %d live lines, %d packets' % (t['events'], len(lines), len(live_lines), t['packets']))
sys.exit(1 if err else 0)
PY

nt_assert_clean   # while the server still runs
kill -0 "$NT_SRV_PID" 2>/dev/null || nt_fail "server died: $(tail -3 "$NT_TMP/srv.err")"
nt_http_stop_server TERM
[ "$NT_SRV_RC" = 0 ] || nt_fail "server exit $NT_SRV_RC after SIGTERM: $(tail -3 "$NT_TMP/srv.err")"
nt_req "$NSA" GET $API/status
[ "$HTTP_CODE" = 000 ] || nt_fail "port still answers after SIGTERM (HTTP $HTTP_CODE)"
[ "$(ls "$NT_DIR")" = api.ntl ] || nt_fail "serve dir holds $(ls "$NT_DIR" | tr '\n' ' '), expected api.ntl only"
[ "$NT_FAILED" = 0 ] && nt_pass
exit $NT_FAILED
