#!/bin/bash
# record_rules.sh - rule text follows the rules in force during a recording
# (nft-record/record_rules.c, model/model_meta.c).  B's input drops UDP to
# 9999 by rule T1.  A sends 3 datagrams (source port 40001); T1 is replaced by
# T2 in one transaction (delete + add: a new handle); 3 datagrams (40002); T2's
# text is changed in place by `nft replace rule` (same handle, text T3); 3
# datagrams (40003); then an element is added to a set of B.  Checks, per
# packet: the nft step of each datagram names the handle and the text of the
# rule in force when it was sent (as `nft -a list` printed it then); the log
# holds exactly 3 RULESET blocks (start + 2 changes: the set element add wrote
# none), each with "mono_ns" and "generation"; the summary counts them.
. "$(dirname "$0")/lib_netns.sh"
nt_lib_init record_rules
TRAFFIC=$NT_ROOT/$NT_O/tests/tools/nt-traffic
EDIT=$NT_ROOT/$NT_O/tests/tools/ntl_edit
[ -x "$TRAFFIC" ] && [ -x "$EDIT" ] || nt_skip "test tools not built"
nt_ns_pair 94 || { nt_fail "netns setup failed"; exit 1; }
cat > "$NT_TMP/b.nft" <<NFT
table inet filter {
	set blk { type ipv4_addr; }
	chain input {
		type filter hook input priority filter; policy accept;
		udp dport 9999 drop
	}
}
NFT
nt_ns_ruleset "$NSB" "$NT_TMP/b.nft" || { nt_fail "ruleset"; exit 1; }
rule_of() { # the input chain's one rule: "HANDLE TEXT"
	ip netns exec "$NSB" nft -a list chain inet filter input |
		sed -n 's/^[[:space:]]*\(.*dport 9999.*\) # handle \([0-9]*\)$/\2 \1/p'
}
R1=$(rule_of)
nt_record_start "$NSA" "$NSB" -- -b tracepoint --filter "host $A4 and udp"
send() { ip netns exec "$NSA" "$TRAFFIC" udp-send "$1" "$B4" 9999 3 64 0 50 > /dev/null; }
send 40001
sleep 0.2
H1=${R1%% *}
ip netns exec "$NSB" nft -f - <<NFT
add rule inet filter input udp dport 9999 ip saddr $A4 drop
delete rule inet filter input handle $H1
NFT
R2=$(rule_of)
sleep 0.3
send 40002
sleep 1.0 # past the re-snapshot rate limit (1 s)
H2=${R2%% *}
ip netns exec "$NSB" nft replace rule inet filter input handle "$H2" ip saddr "$A4" udp dport 9999 drop
R3=$(rule_of)
sleep 0.3
send 40003
sleep 0.2
ip netns exec "$NSB" nft add element inet filter blk "{ 10.1.1.1 }"
sleep 1.3 # a snapshot would be due now
nt_record_stop INT
[ "$NT_REC_RC" = 0 ] || nt_fail "recorder exit $NT_REC_RC: $(cat "$NT_TMP/rec.err")"
"$NT_ANA" journeys --json "$NT_LOG" > "$NT_TMP/j.json" 2> "$NT_TMP/ana.err" || nt_fail "journeys: $(cat "$NT_TMP/ana.err")"
"$NT_ANA" journeys "$NT_LOG" > "$NT_TMP/j.txt" 2>> "$NT_TMP/ana.err"
"$EDIT" "$NT_LOG" > "$NT_TMP/meta.txt" || nt_fail "ntl_edit"
python3 - "$NT_TMP" "$A4" "$R1" "$R2" "$R3" <<'PY' || NT_FAILED=1
import json, sys
tmp, a4 = sys.argv[1], sys.argv[2]
rules = {40001: sys.argv[3], 40002: sys.argv[4], 40003: sys.argv[5]}
test = "record_rules"
bad = 0
def check(ok, name, why=""):
    global bad
    print(("PASS: " if ok else "FAIL: ") + test + "/" + name + ("" if ok else ": " + why))
    bad += not ok
h = {p: int(r.split(" ", 1)[0]) for p, r in rules.items()}
t = {p: r.split(" ", 1)[1] for p, r in rules.items()}
check(h[40001] != h[40002] and h[40002] == h[40003] and len(set(t.values())) == 3,
      "rules_changed_as_planned", str(rules))
js = [j for j in json.load(open(tmp + "/j.json"))["journeys"] if j["proto"] == "UDP" and j["src"] == a4]
txt = open(tmp + "/j.txt").read()
for port in (40001, 40002, 40003):
    mine = [j for j in js if j["sport"] == port]
    steps = [[(s["handle"], s.get("text")) for s in j["nft"] if s["kind"] == "rule" and s["table"] == "filter"]
             for j in mine]
    check(len(mine) == 3 and all(s == [(h[port], t[port])] for s in steps),
          "sport_%d_names_rule_in_force" % port,
          "%d journeys, steps %s, expected [(%d, %r)]" % (len(mine), steps, h[port], t[port]))
    check(('"%s"' % t[port]) in txt, "sport_%d_text_in_journeys_output" % port, "")
blocks = [l.split(" ", 1) for l in open(tmp + "/meta.txt").read().splitlines()]
rs = [json.loads(b[1]) for b in blocks if len(b) == 2 and b[0] in ("RULESET", "4")]
check(len(rs) == 3, "three_ruleset_blocks_set_element_none",
      "%d RULESET blocks: %s" % (len(rs), [(r.get("mono_ns"), r.get("generation")) for r in rs]))
mono = [int(r.get("mono_ns", "0")) for r in rs]
check(all(m > 0 for m in mono) and mono == sorted(mono) and
      [r.get("generation") for r in rs] == sorted(r.get("generation") for r in rs),
      "blocks_stamped_in_order", str([(r.get("mono_ns"), r.get("generation")) for r in rs]))
err = open(tmp + "/rec.err").read()
check("2 new snapshots" in err and "1 set element updates not snapshotted" in err, "summary", err[-500:])
sys.exit(1 if bad else 0)
PY
nt_assert_clean
[ "$NT_FAILED" = 0 ] && nt_pass
exit $NT_FAILED
