#!/bin/bash
# fleet.sh - several hosts' logs (issue #20) on synthetic logs of three hosts
# (tests/tools/mkfleet: client -> router -> server, every clock different):
# stitching (per journey: hosts and parts in order, TCP ranges, ambiguity,
# clock offsets; the same whatever the clocks and the order of the files),
# merged stats = each log's own stats per host, old logs without identity,
# export columns = formats/clickhouse.sql, export of hostile strings (JSON
# and TSV), diff of two sets.
set -u
cd "$(dirname "$0")/../.."
O=${O:-build}
A=$O/nft-analyze
MK=$O/tests/tools/mkfleet
ED=$O/tests/tools/ntl_edit
T=$(mktemp -d /tmp/nt-fleet.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
ok() { echo "PASS: fleet/$1"; }
bad() { echo "FAIL: fleet/$1: $2"; fail=1; }

mkdir -p "$T/a" "$T/b" "$T/c" "$T/day2"
"$MK" -n 3 "$T/a" || { bad mkfleet "exit $?"; exit 1; }
"$MK" -n 3 --router-skew-ns 86400000000000 --server-skew-ns -3600000000000 "$T/b"
"$MK" -n 3 --day 1 --router-drops-icmp "$T/day2"

# ---- stitching (delays: 20 us a wire, jitter at the router and the server) ----
check_journeys() { # NAME JSON ROUTER_OFF SERVER_OFF
	python3 - "$2" "$3" "$4" <<'PY' && ok "$1" || bad "$1" "see above"
import json, sys
d = json.load(open(sys.argv[1]))
s, js = d['summary'], d['journeys']
want = {'shown': 27, 'shown_across_hosts': 12, 'stitched_journeys': 12, 'stitched_parts': 39,
        'matched': 27, 'matched_by_range': 3, 'ambiguous': 6, 'hosts': 3, 'logs': 3}
err = ['summary %s = %s, want %s' % (k, s.get(k), v) for k, v in want.items() if s.get(k) != v]
off = {(o['host'], o['relative_to']): o['offset_ns'] for o in s['clock_offsets']}
# exact where delays are symmetric, within the jitter (10 us) client -> server
if abs(off.get(('router', 'client'), 0) - int(sys.argv[2])) > 0:
    err.append('router - client offset %s' % off.get(('router', 'client')))
if abs(off.get(('server', 'client'), 0) - int(sys.argv[3])) > 10000:
    err.append('server - client offset %s' % off.get(('server', 'client')))
seen = {}
for j in js:
    hosts = [p['host'] for p in j['parts']]
    pk = j['parts'][0]['packet']
    if not j['stitched']:
        if len(hosts) != 1:
            err.append('journey %d: not stitched but %d parts' % (j['journey'], len(hosts)))
        seen['single ' + pk['proto']] = seen.get('single ' + pk['proto'], 0) + 1
        continue
    kind = pk['proto'] + ' ' + pk['dst']
    seen[kind] = seen.get(kind, 0) + 1
    exp = {'ICMP 10.0.2.2': (['client', 'router', 'server'], 'ACCEPT'),
           'ICMP 10.0.1.2': (['server', 'router', 'client'], 'ACCEPT'),
           'TCP 10.0.1.1': (['client', 'router', 'router', 'server', 'server'], 'ACCEPT'),
           'UDP 10.0.2.2': (['client', 'router'], 'DROP')}.get(kind)
    if not exp:
        err.append('journey %d: unexpected %s' % (j['journey'], kind))
    elif (hosts, j['verdict']) != exp:
        err.append('journey %d %s: parts %s verdict %s, want %s' % (j['journey'], kind, hosts,
                                                                  j['verdict'], exp))
    ts = [p['t_ns'] for p in j['parts']]
    if ts != sorted(ts) or ts[0] != 0 or ts[-1] > 100000:
        err.append('journey %d: part times %s' % (j['journey'], ts))
want_seen = {'ICMP 10.0.2.2': 3, 'ICMP 10.0.1.2': 3, 'TCP 10.0.1.1': 3, 'UDP 10.0.2.2': 3,
             'single UDP': 15}
if seen != want_seen:
    err.append('journeys %s, want %s' % (seen, want_seen))
for e in err:
    print(e)
sys.exit(1 if err else 0)
PY
}
"$A" journeys --json "$T"/a/*.ntl > "$T/a.json" || bad journeys_exit "exit $?"
check_journeys stitch_three_hosts "$T/a.json" 5000000000 -2500000000
"$A" journeys --json "$T"/b/*.ntl > "$T/b.json"
check_journeys stitch_clocks_a_day_apart "$T/b.json" 86400000000000 -3600000000000
"$A" journeys --json "$T/a/server.ntl" "$T/a/client.ntl" "$T/a/router.ntl" > "$T/a2.json"
python3 - "$T/a.json" "$T/a2.json" <<'PY' && ok stitch_order_of_files || bad stitch_order_of_files "journeys differ"
import json, sys
def view(f):
    d = json.load(open(f))
    return sorted(tuple((p['host'], p['packet']['packet'], p['t_ns']) for p in j['parts'])
                  for j in d['journeys'])
sys.exit(0 if view(sys.argv[1]) == view(sys.argv[2]) else 1)
PY
# the router's monotonic clock moved too: nothing changes
"$ED" "$T/a/router.ntl" -o "$T/c/router.ntl" --shift-mono 987654321000 && cp "$T/a/client.ntl" "$T/a/server.ntl" "$T/c/"
"$A" journeys --json "$T"/c/*.ntl > "$T/c.json"
check_journeys stitch_monotonic_clock_moved "$T/c.json" 5000000000 -2500000000
"$A" journeys "$T"/a/*.ntl > "$T/a.txt"
grep -q '^JOURNEY [0-9]*: \[ICMP\] 10.0.1.2 → 10.0.2.2 echo-request id 16384 across 3 hosts in 3 parts: client → router → server | Verdict: ACCEPT | [0-9.]* µs$' "$T/a.txt" &&
grep -q '^--- host router: part 2 of 3, packet 1, at +23.000 µs ---$' "$T/a.txt" &&
grep -q '^27 journeys shown (12 across hosts) from 3 logs of 3 hosts; stitched: 12 journeys of 39 parts (27 hops matched, 3 of them by TCP segment range); ambiguous: 6 (left as journeys of one host)$' "$T/a.txt" &&
grep -q '^clock offset router - client: +5000.000000 ms (anchors 9 / 3' "$T/a.txt" &&
	ok journeys_text || bad journeys_text "$(grep -E '^(JOURNEY 1|clock)' "$T/a.txt")"

# ---- stats: merged, and per host = each log alone ----
"$A" stats --json "$T"/a/*.ntl > "$T/st.json" || bad stats_exit "exit $?"
for h in client router server; do "$A" stats --json "$T/a/$h.ntl" > "$T/st.$h.json"; done
python3 - "$T" <<'PY' && ok stats_per_host_equals_each_log || bad stats_per_host_equals_each_log "see above"
import json, sys
t = sys.argv[1]
m = json.load(open(t + '/st.json'))['stats']
err = []
tot = 0
for h in m['hosts']:
    one = json.load(open('%s/st.%s.json' % (t, h['host'])))['stats']
    tot += one['totals']['packets']
    for k in ('events', 'packets', 'nft_rules', 'dropped_packets', 'incomplete_packets'):
        if h['totals'][k] != one['totals'][k]:
            err.append('%s %s: %s vs %s' % (h['host'], k, h['totals'][k], one['totals'][k]))
    if sorted((v['verdict'], v['packets']) for v in h['by_verdict']) != \
       sorted((v['verdict'], v['packets']) for v in one['by_verdict']):
        err.append('%s verdicts %s vs %s' % (h['host'], h['by_verdict'], one['by_verdict']))
    lt = lambda x: sorted((r['layer'], r['packets'], r['p50_ns'], r['p99_ns'], r['max_ns'])
                          for r in x)
    if lt(h['layer_time']) != lt(one['layer_time']):
        err.append('%s layer_time %s vs %s' % (h['host'], h['layer_time'], one['layer_time']))
if m['totals']['packets'] != tot or tot != 54:
    err.append('merged packets %d, sum %d (54)' % (m['totals']['packets'], tot))
router = [h for h in m['hosts'] if h['host'] == 'router'][0]
if router['drops'] != [{'rule': 'ip filter forward #7 DROP', 'reason': 'NOT_SPECIFIED',
                        'packets': 3}]:
    err.append('router drops %s' % router['drops'])
for e in err:
    print(e)
sys.exit(1 if err else 0)
PY

# ---- logs without identity, a file given twice ----
"$ED" "$T/a/client.ntl" -o "$T/old1.ntl" --strip-host && "$ED" "$T/a/router.ntl" -o "$T/old2.ntl" --strip-host
"$A" stats "$T/old1.ntl" "$T/old2.ntl" > "$T/old.txt" 2>&1
grep -q "^  unknown:$T/old1.ntl " "$T/old.txt" && grep -q "^  unknown:$T/old2.ntl " "$T/old.txt" &&
	ok old_logs_unknown_hosts || bad old_logs_unknown_hosts "$(grep unknown "$T/old.txt" | head -3)"
"$A" journeys "$T/a/client.ntl" "$T/a/../a/client.ntl" > /dev/null 2> "$T/twice.err"
rc=$?
[ $rc = 2 ] && grep -qx "nft-analyze: $T/a/../a/client.ntl: given twice (also as $T/a/client.ntl)" "$T/twice.err" &&
	ok log_given_twice || bad log_given_twice "exit $rc: $(cat "$T/twice.err")"

# ---- bad input: one line, an exit code ----
badin() { # NAME EXIT EXPECTED-LINE CMD...
	local name=$1 want=$2 line=$3 rc; shift 3
	"$@" > /dev/null 2> "$T/bad.err" < "$T/a/client.ntl"; rc=$?
	[ $rc = "$want" ] && [ "$(cat "$T/bad.err")" = "$line" ] && ok "$name" ||
		bad "$name" "exit $rc: $(cat "$T/bad.err")"
}
badin stdin_among_several 2 "nft-analyze: -: stdin can only be the one LOG, not one of several" \
	"$A" stats - "$T/a/client.ntl"
badin events_several_logs 2 "nft-analyze events: 2 logs: events reads one log (journeys, stats, diff and export take the logs of several hosts)" \
	"$A" events "$T/a/client.ntl" "$T/a/router.ntl"
badin export_to_refused 1 "nft-analyze export: http://127.0.0.1:1/: 127.0.0.1:1: Connection refused" \
	"$A" export --format clickhouse --to http://127.0.0.1:1/ "$T/a/client.ntl"
badin export_to_https 2 "nft-analyze export: --to https://ch/: not an http:// URL (https: use a local proxy, or pipe the rows to clickhouse-client)" \
	"$A" export --format clickhouse --to https://ch/ "$T/a/client.ntl"
[ -x "$O/nft-record" ] && badin record_bad_host_label 2 "nft-record: --host-label: use 1..63 characters of A-Z a-z 0-9 . _ - :, not 'a b'" \
	"$O/nft-record" --host-label 'a b'

# ---- export: every row's columns are formats/clickhouse.sql's, in order ----
python3 - "$A" "$T/a" <<'PY' && ok export_columns_equal_schema || bad export_columns_equal_schema "see above"
import json, re, subprocess, sys, glob
a, d = sys.argv[1], sys.argv[2]
sql = open('formats/clickhouse.sql').read()
err = []
for t in ('packets', 'hops', 'nft_steps', 'drops'):
    body = re.search(r'CREATE TABLE IF NOT EXISTS nft\.%s \((.*?)\n\) ENGINE' % t, sql, re.S).group(1)
    cols = [l.split()[0] for l in body.split('\n') if l.strip() and not l.strip().startswith('--')]
    js = subprocess.run([a, 'export', '-q', '--format', 'clickhouse', '--table', t] +
                        sorted(glob.glob(d + '/*.ntl')), capture_output=True, text=True, check=True)
    rows = [json.loads(l) for l in js.stdout.splitlines()]
    tsv = subprocess.run([a, 'export', '-q', '--format', 'clickhouse-tsv', '--table', t] +
                         sorted(glob.glob(d + '/*.ntl')), capture_output=True, text=True, check=True)
    if not rows:
        err.append('%s: no rows' % t)
    for r in rows:
        if list(r) != cols:
            err.append('%s: row columns %s != schema %s' % (t, list(r), cols)); break
    for l in tsv.stdout.splitlines():
        if len(l.split('\t')) != len(cols):
            err.append('%s: TSV row of %d fields, schema %d' % (t, len(l.split('\t')), len(cols))); break
    if len(tsv.stdout.splitlines()) != len(rows):
        err.append('%s: %d TSV rows, %d JSON rows' % (t, len(tsv.stdout.splitlines()), len(rows)))
for e in err:
    print(e)
sys.exit(1 if err else 0)
PY

# ---- export of anyone's bytes: a rule text with controls and invalid UTF-8 ----
# JSON rows are valid UTF-8 JSON, and JSON and TSV (ClickHouse's escapes
# undone) give the same string: the rule text with every maximal ill-formed
# subpart replaced by U+FFFD (as Python's decode(errors="replace")); nothing
# else in the rows changes.
mkdir -p "$T/hostile"
"$MK" -n 3 --hostile-rule "$T/hostile"
python3 - "$A" "$T/a" "$T/hostile" <<'PY' && ok export_hostile_strings || bad export_hostile_strings "see above"
import json, re, subprocess, sys, glob
a, plain, hostile = sys.argv[1:4]
text = (b'udp dport 53 drop comment "a\tb\nc\\d\'e\x1b[31mf\x7fg\xff\xc0\xafh\xc3\xa9\xe2\x86\x92'
        b'\xed\xa0\x80i\r"')
want = text.decode('utf-8', 'replace')
def run(fmt, d, t='drops'):
    return subprocess.run([a, 'export', '-q', '--format', fmt, '--table', t] + sorted(glob.glob(d + '/*.ntl')),
                          capture_output=True, check=True).stdout
def untsv(v):  # ClickHouse's TabSeparated escapes
    m = {'t': '\t', 'n': '\n', 'r': '\r', 'b': '\b', 'f': '\f', '0': '\0', "'": "'", '\\': '\\'}
    return re.sub(r'\\(x[0-9a-fA-F]{2}|.)', lambda g: chr(int(g.group(1)[1:], 16)) if g.group(1)[0] == 'x'
                  else m.get(g.group(1), g.group(1)), v)
err = []
js = [json.loads(l) for l in run('clickhouse', hostile).decode('utf-8', 'strict').splitlines()]
tsv = [l.split('\t') for l in run('clickhouse-tsv', hostile).decode('utf-8', 'strict').splitlines()]
r7 = [r for r in js if r['rule'].startswith('ip filter forward #7')]
if len(r7) != 3 or any(r['rule_text'] != want for r in r7):
    err.append('JSON rule_text %r, want %r (3 rows)' % ([r['rule_text'] for r in r7], want))
i = list(js[0]).index('rule_text')
t7 = [untsv(l[i]) for l, r in zip(tsv, js) if r['rule'].startswith('ip filter forward #7')]
if t7 != [want] * 3:
    err.append('TSV rule_text %r, want %r' % (t7, want))
for t in ('packets', 'hops', 'nft_steps', 'drops'):
    x = [json.loads(l) for l in run('clickhouse', hostile, t).decode('utf-8', 'strict').splitlines()]
    y = [json.loads(l) for l in run('clickhouse', plain, t).decode().splitlines()]
    for r in x + y:
        for k in ('rule_text', 'text'):
            if k in r and r[k] in (want, 'udp dport 53 drop'):
                r[k] = '#7'
    if x != y:
        err.append('%s: rows differ beyond the rule text' % t)
for e in err:
    print(e)
sys.exit(1 if err else 0)
PY

# ---- diff of two sets (day 2: the router drops ICMP echo requests) ----
"$A" diff --json "$T"/a/*.ntl -- "$T"/day2/*.ntl > "$T/diff.json"
rc=$?
python3 - "$T/diff.json" <<'PY' && [ $rc = 1 ] && ok diff_sets_per_host || bad diff_sets_per_host "exit $rc"
import json, sys
d = json.load(open(sys.argv[1]))
v = [(x['host'], x['flow'], x['base'], x['new']) for x in d['differences'] if x['class'] == 'verdict']
want = [('router', 'host router: ICMP 10.0.1.2 → 10.0.2.2 echo-request', 'ACCEPT', 'DROP')]
if v != want:
    print('verdict differences %s, want %s' % (v, want))
    sys.exit(1)
PY
"$A" diff "$T"/a/*.ntl -- "$T"/b/*.ntl > /dev/null; rc=$?
[ $rc = 0 ] && ok diff_sets_equal || bad diff_sets_equal "exit $rc (same traffic, other clocks)"
"$A" diff "$T/a/client.ntl" -- > /dev/null 2> "$T/d.err"; rc=$?
[ $rc = 2 ] && grep -q 'need logs on both sides of --' "$T/d.err" && ok diff_sets_usage ||
	bad diff_sets_usage "exit $rc: $(cat "$T/d.err")"
exit $fail
