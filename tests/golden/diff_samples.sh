#!/bin/bash
# tests/golden/diff_samples.sh - nft-analyze diff on the sample pairs of
# samples/diff/ (logs rebuilt from the .scn scenarios with mklog_diff): each
# difference class detected with its exact values, equal logs give exit 0,
# --ignore / thresholds, bad input gives exit 2 with one line on stderr.
# Text and JSON outputs are compared with samples/diff/golden/.
#   UPDATE_GOLDEN=1 bash tests/golden/diff_samples.sh   rewrites the golden files
set -u
cd "${NT_TOP:-$(dirname "$0")/../..}"
TOP=$PWD
O=${O:-build}
AN=$TOP/$O/nft-analyze
MK=$TOP/$O/tests/tools/mklog_diff
G=$TOP/samples/diff/golden
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

if [ ! -x "$AN" ] || [ ! -x "$MK" ]; then
	echo "FAIL: diff_build: $AN or $MK missing (make nft-analyze unit)"
	exit 1
fi
for s in base equal verdict rule func latency drop flow ports; do
	"$MK" samples/diff/$s.scn "$T/$s.ntl" || { echo "FAIL: diff_mklog_$s: exit $?"; exit 1; }
	if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then cp "$T/$s.ntl" samples/diff/$s.ntl; fi
	if cmp -s "$T/$s.ntl" samples/diff/$s.ntl; then
		echo "PASS: diff_sample_$s.ntl_matches_scenario"
	else
		echo "FAIL: diff_sample_$s.ntl_matches_scenario: samples/diff/$s.ntl differs from samples/diff/$s.scn"
	fi
done
cd "$T"

# run NAME WANT_RC ARGS...: exit code, stdout vs golden NAME.out
run() {
	local name=$1 want=$2; shift 2
	"$AN" diff "$@" > "$name.out" 2> "$name.err"
	local rc=$?
	if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then cp "$name.out" "$G/$name.out"; fi
	if [ "$rc" != "$want" ]; then
		echo "FAIL: diff_$name: exit $rc, want $want ($(head -c 300 "$name.err"))"
	elif ! cmp -s "$name.out" "$G/$name.out"; then
		echo "FAIL: diff_$name: output differs from samples/diff/golden/$name.out:"
		diff "$G/$name.out" "$name.out" | head -20
	else
		echo "PASS: diff_$name"
	fi
}

# jcheck NAME PYTHON-ASSERTIONS (d = the JSON document of NAME.out)
jcheck() {
	local name=$1 code=$2
	if python3 - "$name.out" <<PY
import json, sys
d = json.load(open(sys.argv[1]))
D = d["differences"]
def one(cls, **kw):
    m = [x for x in D if x["class"] == cls and all(x.get(k) == v for k, v in kw.items())]
    assert len(m) == 1, (cls, kw, D)
    return m[0]
$code
PY
	then echo "PASS: diff_json_$name"; else echo "FAIL: diff_json_$name: assertions failed"; fi
}

run equal_self 0 base.ntl base.ntl
run equal_otherhost 0 base.ntl equal.ntl
run equal_otherhost_json 0 --json base.ntl equal.ntl
jcheck equal_otherhost_json 'assert d["equivalent"] is True and d["total"] == 0 and D == []
assert d["matched_packets"] == 9 and d["base"]["flows"] == 5 and d["new"]["packets"] == 9'

run verdict 1 base.ntl verdict.ntl
run verdict_json 1 --json base.ntl verdict.ntl
jcheck verdict_json 'assert d["counts"] == {"verdict": 1, "rule": 1, "func": 0, "drop": 0, "flow": 0}
v = one("verdict")
assert (v["flow"], v["packets"], v["matched_packets"], v["base"], v["new"]) == ("TCP 10.0.0.1:* → 10.0.0.2:80", 2, 2, "ACCEPT", "DROP"), v
r = one("rule")
assert r["base"] == "inet filter input: tcp dport 80 accept [ACCEPT]" and r["new"] == "inet filter input: tcp dport 80 drop [DROP]", r
# the functions the dropped packets no longer reach follow from the rule change: not counted again
assert not [x for x in D if x["class"] == "func"], D'
run verdict_ndjson 1 --ndjson base.ntl verdict.ntl
if python3 - verdict_ndjson.out verdict_json.out <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
doc = json.load(open(sys.argv[2]))
summ = lines[-1]
assert lines[:-1] == doc["differences"], "difference lines != --json differences"
assert summ.pop("class") == "summary"
assert summ == {k: v for k, v in doc.items() if k != "differences"}, summ
PY
then echo "PASS: diff_ndjson_equals_json"; else echo "FAIL: diff_ndjson_equals_json"; fi
run verdict_ignore_rule_func 1 --ignore rule,func base.ntl verdict.ntl
run verdict_ignore_all 0 --ignore verdict --ignore rule,func base.ntl verdict.ntl
run verdict_reverse_json 1 --json verdict.ntl base.ntl
jcheck verdict_reverse_json 'v = one("verdict"); assert (v["base"], v["new"]) == ("DROP", "ACCEPT")
assert not [x for x in D if x["class"] == "func"], D'

run rule 1 base.ntl rule.ntl
run rule_json 1 --json base.ntl rule.ntl
jcheck rule_json 'assert d["counts"] == {"verdict": 0, "rule": 1, "func": 0, "drop": 0, "flow": 0}
r = one("rule")
assert (r["flow"], r["packets"]) == ("TCP 10.0.0.1:* → 10.0.0.2:22", 3)
assert r["base"] == "inet filter input: tcp dport 22 accept [ACCEPT]"
assert r["new"] == "inet filter input: ct state established,related accept [ACCEPT]"'

run func 1 base.ntl func.ntl
run func_json 1 --json base.ntl func.ntl
jcheck func_json 'assert d["counts"] == {"verdict": 0, "rule": 0, "func": 2, "drop": 0, "flow": 0}
a = one("func", change="appeared")
assert (a["function"], a["layer"], a["packets"], a["matched_packets"], a["first_flow"]) == ("nf_conntrack_in", "Netfilter", 3, 9, "TCP 10.0.0.1:* → 10.0.0.2:22"), a
v = one("func", change="vanished")
assert (v["function"], v["layer"], v["packets"]) == ("ip_local_deliver", "IPv4", 2), v'

run latency_not_compared_by_default 0 base.ntl latency.ntl
run latency 1 --latency-threshold 20 base.ntl latency.ntl
run latency_json 1 --latency-threshold 20% --json base.ntl latency.ntl
jcheck latency_json 'assert d["counts"] == {"verdict": 0, "rule": 0, "func": 0, "latency": 1, "drop": 0, "flow": 0}
l = one("latency")
assert (l["layer"], l["base_p50_ns"], l["new_p50_ns"], l["shift_pct"]) == ("IPv4", 2000, 3000, 50.0), l
assert d["latency_threshold_pct"] == 20.0 and d["latency_floor_ns"] == 1000'
run latency_threshold_60 0 --latency-threshold 60% base.ntl latency.ntl
run latency_threshold_49 1 --latency-threshold 49 base.ntl latency.ntl
run latency_floor_2000 0 --latency-floor 2000 base.ntl latency.ntl
run latency_ignored 0 --latency-threshold 20 --ignore latency base.ntl latency.ntl

run drop 1 base.ntl drop.ntl
run drop_json 1 --json base.ntl drop.ntl
jcheck drop_json 'assert d["counts"] == {"verdict": 0, "rule": 0, "func": 0, "drop": 1, "flow": 0}
x = one("drop"); assert (x["reason"], x["packets"], x["change"]) == ("SOCKET_RCVBUFF", 2, "appeared"), x'
run drop_ignored 0 --ignore drop base.ntl drop.ntl

run flow 1 base.ntl flow.ntl
run flow_json 1 --json base.ntl flow.ntl
jcheck flow_json 'assert d["counts"] == {"verdict": 0, "rule": 0, "func": 0, "drop": 0, "flow": 1}
x = one("flow"); assert (x["flow"], x["base_packets"], x["new_packets"]) == ("TCP 10.0.0.1:* → 10.0.0.2:22", 3, 4), x
assert d["matched_packets"] == 9'

run ports_strict 1 --exact-ports base.ntl ports.ntl
run ports_ephemeral 0 base.ntl ports.ntl
run ports_ephemeral_old_flag 0 --ignore-ephemeral-ports base.ntl ports.ntl

# bad input: exit 2 and exactly one line on stderr naming the file
bad() {
	local name=$1 want=$2 pat=$3; shift 3
	"$AN" diff "$@" > "$name.out" 2> "$name.err"
	local rc=$? n
	n=$(wc -l < "$name.err")
	if [ "$rc" != "$want" ]; then
		echo "FAIL: diff_bad_$name: exit $rc, want $want"
	elif [ "$n" != 1 ] || ! grep -q -- "$pat" "$name.err"; then
		echo "FAIL: diff_bad_$name: stderr ($n lines) lacks '$pat': $(cat "$name.err")"
	else
		echo "PASS: diff_bad_$name"
	fi
}
echo "not a log" > garbage.ntl
head -c 900 base.ntl > trunc.ntl
printf 'NTLOG\0\r\n\x09\0\0\0\0\0\0\0' > newer.ntl
bad garbage 2 "garbage.ntl: not an nft-tracer log" base.ntl garbage.ntl
bad missing 2 "missing.ntl" base.ntl missing.ntl
bad newer 2 "newer.ntl" newer.ntl base.ntl
bad truncated 2 "trunc.ntl: truncated" base.ntl trunc.ntl
bad partial_truncated 1 "comparing what was read" --partial base.ntl trunc.ntl
"$AN" diff base.ntl > /dev/null 2>&1; rc=$?
[ $rc = 2 ] && echo "PASS: diff_bad_one_log" || echo "FAIL: diff_bad_one_log: exit $rc"
"$AN" diff --ignore colour base.ntl base.ntl > /dev/null 2>&1; rc=$?
[ $rc = 2 ] && echo "PASS: diff_bad_ignore_class" || echo "FAIL: diff_bad_ignore_class: exit $rc"
"$AN" diff --latency-threshold x base.ntl base.ntl > /dev/null 2>&1; rc=$?
[ $rc = 2 ] && echo "PASS: diff_bad_threshold" || echo "FAIL: diff_bad_threshold: exit $rc"

# the committed sample logs give the same answer
"$AN" diff "$TOP/samples/diff/base.ntl" "$TOP/samples/diff/verdict.ntl" > /dev/null 2>&1; rc=$?
[ $rc = 1 ] && echo "PASS: diff_committed_samples" || echo "FAIL: diff_committed_samples: exit $rc"
exit 0
