#!/bin/bash
# tests/golden/return_steps.sh - a return rule's step looks the same whichever
# way the kernel reported it: 6.1 sends a chain left by an explicit `return`
# as a RETURN-type trace message carrying the rule's handle (logged as kind
# return + handle), 6.12 as the rule's own RULE-type message (kind rule).
# The same packet (tests/golden/return_steps.scn) written both ways must give
# byte-identical journeys (text, JSON, NDJSON), events, stats, timeline, flame
# and export rows, diff EQUIVALENT, and the step must read
# `inet rfw icmp_in #22: RETURN "icmp type echo-request counter return"`;
# the end of a chain (kind return, no handle) still reads `return: CONTINUE`.
set -u
. "$(dirname "$0")/lib_golden.sh"
golden_init return_steps/ return_steps/build
for s in 61:return/22 612:22; do
	k=${s%%:*}
	sed "s|RETSTYLE|${s#*:}|" tests/golden/return_steps.scn > "$T/$k.scn"
	"$MKLOG" -o "$T/$k.ntl" "$T/$k.scn" || { fail "mklog_$k" "exit $?"; exit 1; }
done
# the two logs differ (the step's kind: what the kernels sent)
cmp -s "$T/61.ntl" "$T/612.ntl" && fail "logs_differ" "mklog wrote the same bytes for return/22 and 22"
for c in "journeys" "journeys --json" "journeys --ndjson" "events" "events --json" "stats" "stats --json" \
	"timeline" "flame" "report --html" "export -q --format clickhouse --table nft_steps"; do
	n=$(echo "$c" | tr ' ' '_')
	# (timeline names its log file: the path is taken out)
	"$AN" $c "$T/61.ntl" 2>&1 | sed "s|$T/61.ntl|LOG|g" > "$T/61.$n"; r1=${PIPESTATUS[0]}
	"$AN" $c "$T/612.ntl" 2>&1 | sed "s|$T/612.ntl|LOG|g" > "$T/612.$n"; r2=${PIPESTATUS[0]}
	if [ $r1 = 0 ] && [ $r2 = 0 ] && cmp -s "$T/61.$n" "$T/612.$n"; then
		pass "same_$n"
	else
		fail "same_$n" "exit $r1 / $r2; $(diff "$T/61.$n" "$T/612.$n" | head -4 | tr '\n' ' ')"
	fi
done
want='inet rfw icmp_in #22: RETURN  "icmp type echo-request counter return"'
if grep -qF "$want" "$T/61.journeys"; then pass "return_rule_step_text"; else
	fail "return_rule_step_text" "no line '$want' in: $(grep -F icmp_in "$T/61.journeys" | tr '\n' ' ')"
fi
want='inet rfw log_in return: CONTINUE'
if grep -qF "$want" "$T/61.journeys"; then pass "chain_end_text"; else
	fail "chain_end_text" "no line '$want' in: $(grep -F log_in "$T/61.journeys" | tr '\n' ' ')"
fi
python3 - "$T/61.journeys_--json" <<'PY' || fails=$((fails + 1))
import json, sys
j = json.load(open(sys.argv[1]))["journeys"]
steps = [(n["chain"], n["kind"], n.get("handle"), n.get("verdict")) for n in j[0]["nft"] if n["kind"] != "chain"]
want = [("forward", "rule", 16, "JUMP"), ("icmp_in", "rule", 22, "RETURN"), ("forward", "rule", 17, "JUMP"),
        ("log_in", "return", 0, "CONTINUE"), ("forward", "rule", 18, "ACCEPT")]
ok = len(j) == 1 and steps == want and j[0]["verdict"] == "ACCEPT"
print(("PASS: " if ok else "FAIL: ") + "return_steps/json_steps" + ("" if ok else ": %s (want %s)" % (steps, want)))
sys.exit(0 if ok else 1)
PY
out=$("$AN" diff "$T/61.ntl" "$T/612.ntl" 2>&1); rc=$?
[ $rc = 0 ] && pass "diff_equivalent" || fail "diff_equivalent" "exit $rc: $(echo "$out" | head -3 | tr '\n' ' ')"
exit $((fails != 0))
