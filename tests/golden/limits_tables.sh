#!/bin/bash
# tests/golden/limits_tables.sh - the limits of issue #16 past the per-packet
# ones, each exactly at its bound and one past it (common/limits.h): kernel
# stacks (--max-stacks) and conntrack histories (--max-ct-conns) on
# tests/golden/bytes.scn (4 stacks, 2 connections with a history), wire
# observations of `journeys` over several logs (--max-observations) on
# tests/tools/mkfleet's three hosts (63 observations), and a log's own limits
# in journeys of several logs (summed).  At the bound: output identical to the
# run without the flag, exit 0, no "limits_hit"; one past it: exit 3, ONE
# stderr line naming the limit and its flag, "limits_hit" exact in JSON and
# as NDJSON's last line.
set -u
. "$(dirname "$0")/lib_golden.sh"
golden_init limits_tables/ limits_tables/build tests/tools/mkfleet
MKFLEET=$O/tests/tools/mkfleet
"$MKLOG" -o "$T/b.ntl" tests/golden/bytes.scn || { echo "FAIL: limits_tables/mklog: exit $?"; exit 1; }
mkdir -p "$T/f"
"$MKFLEET" -n 3 "$T/f" || { echo "FAIL: limits_tables/mkfleet: exit $?"; exit 1; }
FLEET=("$T/f/client.ntl" "$T/f/router.ntl" "$T/f/server.ntl")

# at NAME CMD FLAG VALUE FILES...: at the bound, the same output as without the flag
at() {
	local name=$1 cmd=$2 flag=$3 val=$4; shift 4
	for mode in --json ""; do
		"$AN" $cmd $mode "$@" > "$T/ref" 2> "$T/ref.err"
		"$AN" $cmd $mode "$flag" "$val" "$@" > "$T/out" 2> "$T/err"; local rc=$?
		if [ $rc != 0 ] || [ -s "$T/err" ] || ! cmp -s "$T/ref" "$T/out"; then
			fail "$name${mode:+_json}" "exit $rc, stderr '$(head -c 300 "$T/err")', output $(cmp -s "$T/ref" "$T/out" && echo same || echo differs)"
		else
			pass "$name${mode:+_json}"
		fi
	done
}

# past NAME CMD FLAG VALUE LINE JSON FILES...: exit 3, one stderr line, limits_hit
past() {
	local name=$1 cmd=$2 flag=$3 val=$4 line=$5 json=$6; shift 6
	local mode rc
	for mode in --json --ndjson ""; do
		"$AN" $cmd $mode "$flag" "$val" "$@" > "$T/out" 2> "$T/err"; rc=$?
		local err=() got
		[ $rc = 3 ] || err+=("exit $rc, want 3")
		[ "$(wc -l < "$T/err")" = 1 ] || err+=("$(wc -l < "$T/err") stderr lines, want 1")
		[ "$(cat "$T/err")" = "$line" ] || err+=("stderr '$(head -c 400 "$T/err")', want '$line'")
		case $mode in
		--json) got=$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])).get("limits_hit"), separators=(",", ":")))' "$T/out" 2>&1) ;;
		--ndjson) got=$(tail -n 1 "$T/out" | python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(list(d) == ["limits_hit"] and json.dumps(d["limits_hit"], separators=(",", ":")))' 2>&1) ;;
		*) got=$json ;;
		esac
		[ "$got" = "$json" ] || err+=("limits_hit $got, want $json")
		if [ ${#err[@]} = 0 ]; then pass "$name${mode:+_${mode#--}}"; else fail "$name${mode:+_${mode#--}}" "${err[*]}"; fi
	done
}

# ---- kernel stacks: 4 distinct in bytes.scn ----
at stacks_at_bound journeys --max-stacks 4 "$T/b.ntl"
past stacks_one_past journeys --max-stacks 3 \
	"nft-analyze: $T/b.ntl: limit reached: kernel stacks (3): 1 kernel stacks not kept; raise it with --max-stacks N" \
	'[{"limit":"stacks","max":3,"count":1,"flag":"--max-stacks"}]' "$T/b.ntl"
past stacks_events events --max-stacks 1 \
	"nft-analyze: $T/b.ntl: limit reached: kernel stacks (1): 3 kernel stacks not kept; raise it with --max-stacks N" \
	'[{"limit":"stacks","max":1,"count":3,"flag":"--max-stacks"}]' "$T/b.ntl"

# ---- conntrack: connection 0xffff888200a0c000 (4 records), then id 0x1a2b3c4d ----
at ct_conns_at_bound journeys --max-ct-conns 2 "$T/b.ntl"
past ct_conns_one_past journeys --max-ct-conns 1 \
	"nft-analyze: $T/b.ntl: limit reached: conntrack connections followed (1): 1 conntrack records of connections not followed; raise it with --max-ct-conns N" \
	'[{"limit":"ct_conns","max":1,"count":1,"flag":"--max-ct-conns"}]' "$T/b.ntl"
# the connection not followed: its packet shows no history, the others are unchanged
"$AN" journeys --json "$T/b.ntl" > "$T/ref.json"
"$AN" journeys --json --max-ct-conns 1 "$T/b.ntl" > "$T/ct1.json" 2>/dev/null
python3 - "$T/ref.json" "$T/ct1.json" <<'PY' && pass ct_conns_what_is_lost || fail ct_conns_what_is_lost "see above"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
a.pop('limits_hit', None); b.pop('limits_hit', None)
def hist(d):
    out = []
    def walk(x, path):
        if isinstance(x, dict):
            for k, v in x.items():
                if k in ('ct_history', 'history'):
                    out.append((path, json.dumps(v, sort_keys=True)))
                walk(v, path + '/' + k)
        elif isinstance(x, list):
            for i, v in enumerate(x):
                walk(v, path + '/%d' % i)
    walk(d, '')
    return out
ha, hb = hist(a), hist(b)
diff = [(x, y) for x, y in zip(ha, hb) if x != y]
# exactly one conntrack history (the ctnl connection's) differs, or none is printed at all
if len(ha) != len(hb) or len(diff) > 1:
    print('ct histories: %d / %d, %d differ' % (len(ha), len(hb), len(diff)))
    sys.exit(1)
PY
# both at once: one line, the second as "also reached"
"$AN" journeys --max-stacks 3 --max-ct-conns 1 "$T/b.ntl" > /dev/null 2> "$T/err"; rc=$?
want="nft-analyze: $T/b.ntl: limit reached: kernel stacks (3): 1 kernel stacks not kept; raise it with --max-stacks N; also reached: conntrack connections followed (--max-ct-conns)"
if [ $rc = 3 ] && [ "$(cat "$T/err")" = "$want" ]; then pass two_tables_one_line; else fail two_tables_one_line "exit $rc, stderr '$(cat "$T/err")'"; fi

# ---- journeys of several logs: 33 ingress + 30 egress observations ----
at observations_at_bound journeys --max-observations 63 "${FLEET[@]}"
past observations_one_past journeys --max-observations 62 \
	"nft-analyze: journeys of 3 logs: limit reached: wire observations of all logs (62): 1 packets not stitched; raise it with --max-observations N" \
	'[{"limit":"observations","max":62,"count":1,"flag":"--max-observations"}]' "${FLEET[@]}"
# what is lost: the last packet observed (the server's last) is a journey of its own
"$AN" journeys --json --max-observations 62 "${FLEET[@]}" > "$T/o62.json" 2>/dev/null
python3 - "$T/o62.json" <<'PY' && pass observations_what_is_lost || fail observations_what_is_lost "see above"
import json, sys
s = json.load(open(sys.argv[1]))['summary']
want = {'shown': 28, 'shown_across_hosts': 12, 'stitched_journeys': 12, 'stitched_parts': 38,
        'matched': 26, 'ingress': 32, 'egress': 30}
err = ['%s = %s, want %s' % (k, s.get(k), v) for k, v in want.items() if s.get(k) != v]
if err:
    print('\n'.join(err))
sys.exit(1 if err else 0)
PY
# max 1: only the first packet (the client's first echo request, 1 egress);
# every later one is counted: 17 packets with observations per iteration
# (mkfleet: 3 + 3 + 5 + 2 parts, 4 IPv6 ones; the lo packet has none) x 3 - 1
past observations_none journeys --max-observations 1 \
	"nft-analyze: journeys of 3 logs: limit reached: wire observations of all logs (1): 50 packets not stitched; raise it with --max-observations N" \
	'[{"limit":"observations","max":1,"count":50,"flag":"--max-observations"}]' "${FLEET[@]}"

# a log's own limit in journeys of several logs: the --max-* flag applies to
# each log, the counts are the sum of each log's own (the single-log runs)
sum=0
for f in "${FLEET[@]}"; do
	n=$("$AN" journeys --json --max-packet-records 3 "$f" 2>/dev/null |
		python3 -c 'import json,sys; print(sum(l["count"] for l in json.load(sys.stdin).get("limits_hit", []) if l["limit"] == "packet_records"))')
	sum=$((sum + n))
done
past fleet_log_limits_summed journeys --max-packet-records 3 \
	"nft-analyze: journeys of 3 logs: limit reached: records per packet (3): $sum records not kept for output; raise it with --max-packet-records N" \
	"[{\"limit\":\"packet_records\",\"max\":3,\"count\":$sum,\"flag\":\"--max-packet-records\"}]" "${FLEET[@]}"
[ "$sum" -gt 0 ] && pass fleet_log_limits_nonzero || fail fleet_log_limits_nonzero "sum $sum"

exit $((fails > 0))
