#!/bin/bash
# record_keep.sh - nft-record --keep in tracepoint mode, per packet, against a
# full recording of the same traffic made at the same time (the oracle) and
# nft monitor trace.  B's input drops UDP to port 9999 (rule D) and accepts
# echo requests by a counting rule (rule A).  Traffic from A: 6 pings, 4 UDP
# datagrams to 9999.  Three recorders run at once, all --filter 'host A':
#   full   every packet
#   drop   --keep drop: exactly the journeys of the full log's dropped packets
#          (the 4 UDP; the 6 echo replies too: freed with reason NO_SOCKET),
#          whole (same records as in the full log), nothing else; counters:
#          seen = the full log's 16 packets, kept = its dropped, discarded the rest
#   rule   --keep rule=NSB:inet/filter/input/A: exactly the 6 echo requests
#   own    the same, by a recorder started inside NSB (ip netns exec, no
#          --netns): the namespace it runs in goes by its name NSB (in --keep
#          rule=NSB:... and in the log), not "(host)"
. "$(dirname "$0")/lib_netns.sh"
nt_lib_init record_keep
nt_ns_pair 97 || { nt_fail "netns setup failed"; exit 1; }
cat > "$NT_TMP/keep.nft" <<NFT
table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		udp dport 9999 drop
		icmp type echo-request counter accept
	}
}
NFT
nt_ns_ruleset "$NSB" "$NT_TMP/keep.nft" || { nt_fail "ruleset"; exit 1; }
HD=$(ip netns exec "$NSB" nft -a list chain inet filter input | awk '/udp dport 9999 drop/ {print $NF}')
HA=$(ip netns exec "$NSB" nft -a list chain inet filter input | awk '/echo-request counter/ {print $NF}')
[ -n "$HD" ] && [ -n "$HA" ] || { nt_fail "rule handles ($HD, $HA)"; exit 1; }

# bad input: one line, exit 2
out=$("$NT_REC" --keep 'slow=5' -o "$NT_TMP/x.ntl" 2>&1); rc=$?
[ $rc = 2 ] && [ "$(echo "$out" | wc -l)" = 1 ] && echo "$out" | grep -q "expected a duration" &&
	echo "PASS: $NT_TEST/bad_keep_exit_2" || nt_fail "--keep slow=5: exit $rc, '$out'"
out=$("$NT_REC" --keep 'rule=nosuchns:inet/filter/input/2' -o "$NT_TMP/x.ntl" 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q "namespace 'nosuchns' is not recorded" &&
	echo "PASS: $NT_TEST/keep_rule_unknown_netns_exit_2" || nt_fail "--keep rule=nosuchns: exit $rc, '$out'"
[ -e "$NT_TMP/x.ntl" ] && nt_fail "a log was left by a refused --keep"

start_rec() { # NAME OPTIONS...: a recorder in NSA recording NSB too
	local name=$1; shift
	ip netns exec "$NSA" "$NT_REC" --netns "$NSB" --filter "host $A4" -o "$NT_TMP/$name.ntl" "$@" \
		> "$NT_TMP/$name.out" 2> "$NT_TMP/$name.err" &
	NT_PIDS+=($!)
	eval "PID_$name=$!"
}
ip netns exec "$NSB" nft -a monitor trace > "$NT_TMP/mon.$NSB" 2>&1 &
NT_PIDS+=($!)
start_rec full
start_rec drop --keep drop
start_rec rule --keep "rule=$NSB:inet/filter/input/$HA"
ip netns exec "$NSB" "$NT_REC" --filter "host $A4" -o "$NT_TMP/own.ntl" --keep "rule=$NSB:inet/filter/input/$HA" \
	> "$NT_TMP/own.out" 2> "$NT_TMP/own.err" &
NT_PIDS+=($!)
PID_own=$!
for i in $(seq 1 100); do
	n=$(ip netns exec "$NSB" nft list tables | grep -c "nft_record_\($PID_full\|$PID_drop\|$PID_rule\|$PID_own\)$")
	[ "$n" = 4 ] && break
	sleep 0.1
done
[ "$n" = 4 ] || { nt_fail "recorders did not start: $(cat "$NT_TMP"/*.err)"; exit 1; }
sleep 0.5
ip netns exec "$NSA" ping -c6 -i0.1 -W1 "$B4" > /dev/null
for i in 1 2 3 4; do ip netns exec "$NSA" bash -c "echo keep$i > /dev/udp/$B4/9999"; sleep 0.05; done
sleep 0.5
for p in $PID_full $PID_drop $PID_rule $PID_own; do kill -INT "$p"; done
for name in full drop rule own; do
	eval "wait \$PID_$name"; rc=$?
	[ $rc = 0 ] || nt_fail "recorder $name exit $rc: $(cat "$NT_TMP/$name.err")"
done
for name in full drop rule own; do
	"$NT_ANA" journeys --json "$NT_TMP/$name.ntl" > "$NT_TMP/$name.j.json" 2> "$NT_TMP/$name.ana.err" ||
		nt_fail "nft-analyze journeys $name: $(cat "$NT_TMP/$name.ana.err")"
	"$NT_ANA" events --json "$NT_TMP/$name.ntl" > "$NT_TMP/$name.e.json" 2>> "$NT_TMP/$name.ana.err" ||
		nt_fail "nft-analyze events $name: $(cat "$NT_TMP/$name.ana.err")"
done
python3 - "$NT_TMP" "$HD" "$HA" "$A4" "$B4" "$NSB" <<'PY' || NT_FAILED=1
import json, sys
tmp, hd, ha, a4, b4, nsb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
test = "record_keep"
bad = 0
def check(ok, name, why=""):
    global bad
    print(("PASS: " if ok else "FAIL: ") + test + "/" + name + ("" if ok else ": " + why))
    bad += not ok
def journeys(name):
    return json.load(open(f"{tmp}/{name}.j.json"))["journeys"]
def events(name):
    out = []
    for e in json.load(open(f"{tmp}/{name}.e.json"))["events"]:
        out.extend(e["events"] if "events" in e else [e])
    return out
def counters(name):
    c = {}
    for e in events(name):
        if e["type"] == "COUNT":
            c[e["counter"]] = max(c.get(e["counter"], 0), e["value"])
    return c
def shape(j):  # what must be the same in the full and the keep log (the
    # recorders' own nftrace tables, nft_record_PID, differ between recorders)
    return ([p["func"] for p in j["path"]],
            [(n["table"], n["chain"], n["kind"], n.get("handle"), n.get("verdict")) for n in j["nft"]
             if not n["table"].startswith("nft_record_")],
            j["verdict"], j["dropped"], j.get("drop_reason"), j["incomplete"])
full, drop, rule = journeys("full"), journeys("drop"), journeys("rule")
is_udp = lambda j: j["proto"] == "UDP" and j["src"] == a4 and j["dst"] == b4 and j["dport"] == 9999
is_req = lambda j: j["proto"] == "ICMP" and j["src"] == a4 and j["dst"] == b4 and j.get("icmp_type") == 8
key = lambda j: (j["flow"], shape(j))
full_drop = [j for j in full if j["dropped"] or j["verdict"] == "DROP"]
# the oracle: the full log's dropped packets (the analyzer's definition: nft DROP,
# or freed by kfree_skb with a reason: here also the echo replies, NO_SOCKET: ping
# reads them on a raw socket) hold the 4 UDP datagrams, dropped by rule D
udp = [j for j in full_drop if is_udp(j)]
check(len(udp) == 4 and len(full) == 16, "full_log_16_packets_4_udp_dropped",
      f"{len(full)} packets, dropped: {[(j['flow'], j['verdict']) for j in full_drop]}")
for j in udp:
    steps = [(n["table"], n.get("handle"), n.get("verdict")) for n in j["nft"]
             if n["kind"] == "rule" and not n["table"].startswith("nft_record_")]
    check(steps == [("filter", hd, "DROP")], "full_drop_rule_" + str(j["sport"]), str(steps))
# --keep drop: exactly those packets, each journey whole (same path, nft steps,
# verdict, drop reason, number of records as in the full log)
check(sorted(map(key, drop)) == sorted(map(key, full_drop)), "keep_drop_exactly_the_dropped_whole",
      f"kept {sorted(j['flow'] for j in drop)}, full log dropped {sorted(j['flow'] for j in full_drop)}")
stray = [(e["seq"], e["type"]) for n in ("drop", "rule") for e in events(n)
         if e.get("packet") is None and e["type"] not in ("COUNT", "LOSS")]
check(not stray, "keep_logs_hold_nothing_but_the_kept_journeys", str(stray[:10]))
c = counters("drop")
check(c.get("keep_kept") == len(full_drop) == len(drop) and c.get("keep_seen") == len(full) and
      c.get("keep_discarded") == len(full) - len(full_drop) and c.get("keep_cut") == 0,
      "keep_drop_counters", f"{c}, full log packets {len(full)}, dropped {len(full_drop)}")
# --keep rule=NSB:inet/filter/input/A: the 6 echo requests, nothing else
reqs = [j for j in full if is_req(j)]
check(len(reqs) == 6 and len(rule) == 6 and all(is_req(j) for j in rule) and
      sorted(map(key, rule)) == sorted(map(key, reqs)), "keep_rule_exactly_the_6_requests",
      f"full {len(reqs)} requests, kept {[(j['flow'], j['verdict']) for j in rule]}")
c = counters("rule")
check(c.get("keep_kept") == 6 and c.get("keep_seen") == len(full) and c.get("keep_discarded") == len(full) - 6,
      "keep_rule_counters", f"{c}, full log packets {len(full)}")
# the recorder inside NSB (no --netns): the same 6 requests, its namespace named NSB
own = journeys("own")
names = sorted(({p.get("ns") for j in own for p in j["path"]} | {j.get("ns") for j in own}) - {None})
check(len(own) == 6 and all(is_req(j) for j in own), "keep_rule_own_namespace_by_name",
      f"kept {[(j['flow'], j['verdict']) for j in own]}")
check(names == [nsb], "own_namespace_label_is_its_name", f"namespace names in its journeys: {names}, want ['{nsb}']")
sys.exit(bad != 0)
PY
# the keep log says so (HEADER mode keep) and the summary line gives the counters
# (the 4 dropped UDP datagrams; echo replies that ping got through a raw
# socket's clone are delivered, not dropped)
grep -q -- "--keep drop: 16 packets ended, 4 kept, 12 discarded, 0 records cut" "$NT_TMP/drop.err" && echo "PASS: $NT_TEST/summary_line" ||
	nt_fail "summary line: $(grep -- --keep "$NT_TMP/drop.err")"
[ "$NT_FAILED" = 0 ] && nt_pass
exit $NT_FAILED
