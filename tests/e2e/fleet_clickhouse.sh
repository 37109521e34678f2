#!/bin/bash
# fleet_clickhouse.sh - issue #20: ClickHouse as the oracle of the export.
# Debian's clickhouse-server (installed here with apt-get when missing; SKIP
# when it cannot be) runs on loopback with a private data directory; the logs
# of three hosts on two days (tests/tools/mkfleet: day 2, the router drops ICMP
# echo requests) are loaded with `nft-analyze export --to` (JSONEachRow), and
# once more piped as TabSeparated into clickhouse-client (another database);
# the queries of samples/clickhouse/ must give:
#   - packets by verdict per host: exactly nft-analyze stats' per host rows;
#   - drops by rule and reason per host: exactly stats' "drops", for all time
#     and since the start of day 2 (= stats of the day 2 logs alone);
#   - p50 / p99 per layer per host: the packet counts exactly; quantileExact is
#     the value of rank floor(q n) + 1 (checked against the sorted values), the
#     analyzer's percentile is in the histogram bucket of rank ceil(q n): that
#     value x <= it < x * (1 + 1/32) (equal below 64 ns);
#   - hosts whose verdict for a flow changed between the days: exactly the
#     verdict differences of nft-analyze diff day1/*.ntl -- day2/*.ntl;
#   - the TSV load holds the same rows as the JSON one;
#   - a rule text of control characters and invalid UTF-8 (mkfleet
#     --hostile-rule) is, in both loads, the log's bytes with U+FFFD for every
#     maximal ill-formed subpart.

. "$(dirname "$0")/lib_netns.sh"
NT_TEST=fleet_clickhouse
NT_FAILED=0
[ "$(id -u)" = 0 ] || nt_skip "needs root (apt-get, a private server)"
A=$NT_ROOT/$NT_O/nft-analyze
MK=$NT_ROOT/$NT_O/tests/tools/mkfleet
[ -x "$MK" ] || nt_skip "$MK not built (make unit)"
if ! command -v clickhouse-server >/dev/null || ! command -v clickhouse-client >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		clickhouse-server clickhouse-client > /tmp/nt-ch-apt.$$ 2>&1 ||
		nt_skip "clickhouse-server cannot be installed: $(tail -1 /tmp/nt-ch-apt.$$)"
	rm -f /tmp/nt-ch-apt.$$
fi
NT_TMP=$(mktemp -d /tmp/nt-ch.XXXXXX)
CH=$NT_TMP/ch
trap 'bash "$NT_ROOT/tests/tools/chserver.sh" stop "$CH"; nt_cleanup' EXIT
trap 'exit 1' INT TERM
read HP TP CHPID < <(bash "$NT_ROOT/tests/tools/chserver.sh" start "$CH" 2> "$NT_TMP/chserver.err")
[ -n "${TP:-}" ] || { nt_fail "clickhouse-server did not start: $(cat "$NT_TMP/chserver.err")"; exit 1; }
q() { clickhouse-client --host 127.0.0.1 --port "$TP" "$@"; }
q --version | sed 's/^/# /'

# schema (twice: it is idempotent), logs, load
q --multiquery < "$NT_ROOT/formats/clickhouse.sql" && q --multiquery < "$NT_ROOT/formats/clickhouse.sql" ||
	{ nt_fail "formats/clickhouse.sql does not load"; exit 1; }
sed 's/nft\./nft_tsv./g; s/EXISTS nft;/EXISTS nft_tsv;/' "$NT_ROOT/formats/clickhouse.sql" | q --multiquery ||
	{ nt_fail "schema (nft_tsv)"; exit 1; }
D=$NT_TMP
mkdir -p "$D/day1" "$D/day2"
"$MK" -n 200 --hostile-rule "$D/day1" && "$MK" -n 200 --hostile-rule --day 1 --router-drops-icmp "$D/day2" ||
	{ nt_fail mkfleet; exit 1; }
LOGS=("$D"/day1/*.ntl "$D"/day2/*.ntl)
"$A" export --format clickhouse --to "http://127.0.0.1:$HP/" --batch-mb 1 "${LOGS[@]}" 2> "$D/export.err" ||
	{ nt_fail "export --to: $(cat "$D/export.err")"; exit 1; }
sed 's/^/# /' "$D/export.err"
for t in packets hops nft_steps drops; do
	"$A" export -q --format clickhouse-tsv --table $t "${LOGS[@]}" |
		q -q "INSERT INTO nft_tsv.$t FORMAT TabSeparated" || nt_fail "TSV pipe into $t"
done
same=1
for t in packets hops nft_steps drops; do
	a=$(q -q "SELECT count(), sum(cityHash64(*)) FROM nft.$t")
	b=$(q -q "SELECT count(), sum(cityHash64(*)) FROM nft_tsv.$t")
	[ "$a" = "$b" ] || { nt_fail "$t: JSON load '$a', TSV load '$b'"; same=0; }
done
[ $same = 1 ] && echo "PASS: $NT_TEST: tsv_load_equals_json_load"
# rule #7's text (mkfleet --hostile-rule: controls, invalid UTF-8) as ClickHouse
# holds it, from both loads: the log's bytes with U+FFFD for the invalid ones
want=$(python3 -c 'print((b"udp dport 53 drop comment \"a\tb\nc\\d\x27e\x1b[31mf\x7fg\xff\xc0\xafh\xc3\xa9"
	b"\xe2\x86\x92\xed\xa0\x80i\r\"").decode("utf-8", "replace").encode().hex().upper())')
for db in nft nft_tsv; do
	got=$(q -q "SELECT groupUniqArray(hex(rule_text)) FROM $db.drops WHERE rule LIKE 'ip filter forward #7 %'")
	[ "$got" = "['$want']" ] && echo "PASS: $NT_TEST: hostile_rule_text_$db" ||
		nt_fail "$db.drops rule_text: $got, want ['$want']"
done

# the sample queries
S=$NT_ROOT/samples/clickhouse
q --format JSONEachRow --multiquery < "$S/verdicts_by_host.sql" > "$D/q_verdicts" &&
q --format JSONEachRow --multiquery < "$S/drops_by_rule_reason.sql" > "$D/q_drops" &&
sed "s/toUInt64(0) AS since_ns/toUInt64($(q -q "SELECT toUInt64(toDateTime('2026-12-07 00:00:00', 'UTC')) * 1000000000")) AS since_ns/" \
	"$S/drops_by_rule_reason.sql" | q --format JSONEachRow --multiquery > "$D/q_drops_day2" &&
q --format JSONEachRow --multiquery < "$S/layer_time_by_host.sql" > "$D/q_layers" &&
sed "s/2026-12-05/2026-12-06/; s/'2026-12-06') AS day2/'2026-12-07') AS day2/" "$S/verdict_changed.sql" |
	q --format JSONEachRow --multiquery > "$D/q_changed" || { nt_fail "sample queries"; exit 1; }
# ranks: the sorted values of every (host, layer), for the definitions
q --format JSONEachRow -q "SELECT host, layer, arraySort(groupArray(ns)) AS v FROM nft.packets
	ARRAY JOIN layers AS layer, layer_ns AS ns GROUP BY host, layer" > "$D/q_sorted"
"$A" stats --json "${LOGS[@]}" > "$D/stats.json" && "$A" stats --json "$D"/day2/*.ntl > "$D/stats2.json" ||
	nt_fail "nft-analyze stats"
"$A" diff --json "$D"/day1/*.ntl -- "$D"/day2/*.ntl > "$D/diff.json"
python3 - "$D" <<'PY' || nt_fail "sample queries differ from nft-analyze (above)"
import json, math, sys
d = sys.argv[1]
rows = lambda f: [json.loads(l) for l in open(d + '/' + f) if l.strip()]
err = []
# (nft-analyze's own JSON passes a log's invalid UTF-8 through until issue #16's escaping)
st = json.load(open(d + '/stats.json', errors='replace'))['stats']['hosts']
st2 = json.load(open(d + '/stats2.json', errors='replace'))['stats']['hosts']
# verdicts
a = sorted((r['host'], r['verdict'], int(r['packets'])) for r in rows('q_verdicts'))
b = sorted((h['host'], v['verdict'], v['packets']) for h in st for v in h['by_verdict'])
if a != b:
    err.append('verdicts: clickhouse %s\n  nft-analyze %s' % (a, b))
# drops, all time and since day 2
def drops(hosts):
    return sorted((h['host'], x['rule'] or '', x['reason'] or '', x['packets'])
                  for h in hosts for x in h['drops'])
for f, hosts in (('q_drops', st), ('q_drops_day2', st2)):
    a = sorted((r['host'], r['rule'], r['reason'], int(r['packets'])) for r in rows(f))
    if a != drops(hosts) or not a:
        err.append('%s: clickhouse %s\n  nft-analyze %s' % (f, a, drops(hosts)))
# layers: counts exact, percentiles by their rank definitions
sv = {(r['host'], r['layer']): [int(x) for x in r['v']] for r in rows('q_sorted')}
ql = {(r['host'], r['layer']): r for r in rows('q_layers')}
al = {(h['host'], r['layer']): r for h in st for r in h['layer_time']}
if set(ql) != set(al):
    err.append('layers: clickhouse %s, nft-analyze %s' % (sorted(ql), sorted(al)))
checked = 0
for k in sorted(set(ql) & set(al)):
    c, an, v = ql[k], al[k], sv[k]
    n = len(v)
    if int(c['packets']) != an['packets'] or n != an['packets']:
        err.append('%s: packets clickhouse %s, nft-analyze %s' % (k, c['packets'], an['packets']))
        continue
    for q, cf, af in ((0.5, 'p50_ns', 'p50_ns'), (0.99, 'p99_ns', 'p99_ns')):
        ch = int(c[cf])
        if ch != v[min(n - 1, int(math.floor(q * n)))]:
            err.append('%s q%s: quantileExact %d is not the value of rank floor(q n) + 1' % (k, q, ch))
        x = v[max(1, math.ceil(q * n - 1e-9)) - 1]
        a_ = an[af]
        ok = a_ == x if x < 64 else x <= a_ < x * (1 + 1 / 32)
        if not ok:
            err.append('%s q%s: nft-analyze %d not in the bucket of rank ceil(q n) = %d '
                       '(clickhouse %d)' % (k, q, a_, x, ch))
        checked += 1
# verdict changed between the days = diff's verdict differences
a = sorted((r['host'], int(r['proto']), r['src'], r['dst'], int(r['dport']), tuple(r['before']),
            tuple(r['after'])) for r in rows('q_changed'))
df = json.load(open(d + '/diff.json', errors='replace'))
b = sorted((x['host'], x['base'], x['new']) for x in df['differences'] if x['class'] == 'verdict')
if [(h, bf[0], af[0]) for h, _, _, _, _, bf, af in a] != b or \
   a != [('router', 1, '10.0.1.2', '10.0.2.2', 0, ('ACCEPT',), ('DROP',))]:
    err.append('verdict changed: clickhouse %s, nft-analyze diff %s' % (a, b))
print('# %d layer percentiles checked; hosts %d' % (checked, len(st)))
for e in err:
    print(e)
sys.exit(1 if err else 0)
PY
[ "$NT_FAILED" = 0 ] && echo "PASS: $NT_TEST: sample_queries_equal_analyzer"
exit $NT_FAILED
