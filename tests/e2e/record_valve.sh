#!/bin/bash
# record_valve.sh - nft-record --max-events-per-s (the safety valve), per
# packet.  A sends a UDP flood of known size to B (nt-traffic: its own count),
# B's input drops it by a counting rule (nft counter: the oracle), A's output
# counts it too.  Three recorders at once, all --filter 'host A and udp':
#   tp    tracepoint mode, --max-events-per-s far below the flood's event rate
#   auto  the default backend (function probes where the kernel has them), the same limit
#   full  tracepoint mode without the flag (nothing shed)
# Checks: recorded packets + shed packets (COUNT 7, nft-analyze stats) = the
# flood's packets exactly; shed > 0 and events shed (COUNT 8) > 0; every
# recorded packet's journey is whole: it starts in A (first sight in A's
# namespace, tracepoint mode: at net:net_dev_queue like the unlimited log's),
# crosses B, gets B's drop rule (handle, verdict) and ends in kfree_skb
# NETFILTER_DROP; the unlimited log has all packets and no shed counters.
# Bad values: one line, exit 2.
. "$(dirname "$0")/lib_netns.sh"
nt_lib_init record_valve
TRAFFIC=$NT_ROOT/$NT_O/tests/tools/nt-traffic
[ -x "$TRAFFIC" ] || nt_skip "$TRAFFIC not built"
N=${NT_VALVE_PACKETS:-3000}
LIMIT=2000

for v in 0 -5 abc 100000001 1e6; do
	out=$("$NT_REC" --max-events-per-s "$v" -o "$NT_TMP/x.ntl" 2>&1); rc=$?
	if [ $rc = 2 ] && [ "$(echo "$out" | wc -l)" = 1 ] && echo "$out" | grep -q "^nft-record: --max-events-per-s: expected"; then
		echo "PASS: $NT_TEST/bad_value_exit_2 ($v)"
	else
		nt_fail "--max-events-per-s $v: exit $rc, '$out'"
	fi
done
[ -e "$NT_TMP/x.ntl" ] && nt_fail "a log was left by a refused --max-events-per-s"

nt_ns_pair 95 || { nt_fail "netns setup failed"; exit 1; }
cat > "$NT_TMP/b.nft" <<NFT
table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		udp dport 9999 counter drop
	}
}
NFT
cat > "$NT_TMP/a.nft" <<NFT
table inet cnt {
	chain output {
		type filter hook output priority filter; policy accept;
		udp dport 9999 counter
	}
}
NFT
nt_ns_ruleset "$NSB" "$NT_TMP/b.nft" && nt_ns_ruleset "$NSA" "$NT_TMP/a.nft" || { nt_fail "ruleset"; exit 1; }
HD=$(ip netns exec "$NSB" nft -a list chain inet filter input | awk '/udp dport 9999 counter/ {print $NF}')

start_rec() { # NAME OPTIONS...: a recorder in NSA recording NSB too
	local name=$1; shift
	ip netns exec "$NSA" "$NT_REC" --netns "$NSB" --filter "host $A4 and udp" -o "$NT_TMP/$name.ntl" "$@" \
		> "$NT_TMP/$name.out" 2> "$NT_TMP/$name.err" &
	NT_PIDS+=($!)
	eval "PID_$name=$!"
}
start_rec tp -b tracepoint --max-events-per-s $LIMIT
start_rec auto --max-events-per-s $LIMIT
start_rec full -b tracepoint
for i in $(seq 1 150); do
	n=$(ip netns exec "$NSB" nft list tables | grep -c "nft_record_\($PID_tp\|$PID_auto\|$PID_full\)$")
	[ "$n" = 3 ] && break
	sleep 0.1
done
[ "$n" = 3 ] || { nt_fail "recorders did not start: $(cat "$NT_TMP"/*.err)"; exit 1; }
sleep 0.5
T0=$(date +%s.%N)
sent=$(ip netns exec "$NSA" "$TRAFFIC" udp-send 40000 "$B4" 9999 "$N" 64 0 100)
T1=$(date +%s.%N)
sleep 0.5
for p in $PID_tp $PID_auto $PID_full; do kill -INT "$p"; done
for name in tp auto full; do
	eval "wait \$PID_$name"; rc=$?
	[ $rc = 0 ] || nt_fail "recorder $name exit $rc: $(cat "$NT_TMP/$name.err")"
done
cnt_a=$(ip netns exec "$NSA" nft list chain inet cnt output | awk '/counter packets/ {for (i=1;i<NF;i++) if ($i=="packets") print $(i+1)}')
cnt_b=$(ip netns exec "$NSB" nft list chain inet filter input | awk '/counter packets/ {for (i=1;i<NF;i++) if ($i=="packets") print $(i+1)}')
echo "# flood: $sent in $(echo "$T1 - $T0" | bc) s; nft counters: A output $cnt_a, B input $cnt_b"
for name in tp auto full; do
	echo "# $name: $(grep -h 'events (' "$NT_TMP/$name.err" | sed 's/ -> .*//')"
	grep -h "max-events-per-s" "$NT_TMP/$name.err" | sed 's/^/# /'
	"$NT_ANA" journeys --json "$NT_TMP/$name.ntl" > "$NT_TMP/$name.j.json" 2> "$NT_TMP/$name.ana.err" ||
		nt_fail "nft-analyze journeys $name: $(cat "$NT_TMP/$name.ana.err")"
	"$NT_ANA" stats --json "$NT_TMP/$name.ntl" > "$NT_TMP/$name.s.json" 2>> "$NT_TMP/$name.ana.err" ||
		nt_fail "nft-analyze stats $name: $(cat "$NT_TMP/$name.ana.err")"
	"$NT_ANA" stats "$NT_TMP/$name.ntl" > "$NT_TMP/$name.s.txt" 2>> "$NT_TMP/$name.ana.err"
done
NSA_INO=$(ip netns exec "$NSA" stat -Lc %i /proc/self/ns/net)
NSB_INO=$(ip netns exec "$NSB" stat -Lc %i /proc/self/ns/net)
python3 - "$NT_TMP" "$N" "$sent" "$cnt_a" "$cnt_b" "$HD" "$A4" "$B4" "$NSA_INO" "$NSB_INO" "$LIMIT" <<'PY' || NT_FAILED=1
import json, sys
tmp, n, sent, cnt_a, cnt_b, hd, a4, b4, nsa, nsb, limit = sys.argv[1:]
n, hd, nsa, nsb, limit = int(n), int(hd), int(nsa), int(nsb), int(limit)
test = "record_valve"
bad = 0
def check(ok, name, why=""):
    global bad
    print(("PASS: " if ok else "FAIL: ") + test + "/" + name + ("" if ok else ": " + why))
    bad += not ok

check(sent.split()[:4] == ["sent", str(n), "failed", "0"] and cnt_a == str(n) and cnt_b == str(n),
      "flood_counted", "sender '%s', A output counter %s, B input counter %s, expected %d" % (sent, cnt_a, cnt_b, n))

def flood(name):
    d = json.load(open("%s/%s.j.json" % (tmp, name)))
    return [j for j in d["journeys"] if j["proto"] == "UDP" and j["src"] == a4 and j["dst"] == b4
            and j["dport"] == 9999 and j["sport"] == 40000]

def loss(name):
    return json.load(open("%s/%s.s.json" % (tmp, name)))["stats"]["loss"]

def whole(j, ref_path):
    """why journey J is not whole, or None"""
    path = j["path"]
    if j["incomplete"]:
        return "incomplete"
    if not path or path[0]["netns"] != nsa:
        return "first sight not in A (%s)" % (path[0] if path else None)
    if not any(p["netns"] == nsb for p in path):
        return "never in B"
    if ref_path is not None and [p["func"] for p in path] != ref_path:
        return "path %s, unlimited log's %s" % ([p["func"] for p in path], ref_path)
    if "net:net_dev_queue" not in [p["func"] for p in path]:
        return "no net:net_dev_queue"
    # tracepoint mode: the drop is the last hop (and ref_path is exact);
    # function probes may see the skb's memory freed after it
    drops = [p for p in path if p["func"] == "skb:kfree_skb" and p["type"] == "drop"]
    if len(drops) != 1 or (ref_path is not None and path[-1] is not drops[0]):
        return "drop hops %s, last %s" % (drops, path[-1])
    steps = [(s["table"], s["chain"], s["handle"], s["verdict"]) for s in j["nft"] if s["kind"] == "rule"
             and s["table"] == "filter"]
    if steps != [("filter", "input", hd, "DROP")]:
        return "nft steps %s" % steps
    if not j["dropped"] or j["verdict"] != "DROP":
        return "verdict %s dropped %s" % (j["verdict"], j["dropped"])
    return None

full = flood("full")
check(len(full) == n, "unlimited_all_recorded", "%d journeys, expected %d" % (len(full), n))
check("shed_packets" not in loss("full") and "shed packets" not in open(tmp + "/full.s.txt").read(),
      "unlimited_nothing_shed", str(loss("full")))
refs = {}
for j in full:
    p = tuple(x["func"] for x in j["path"])
    refs[p] = refs.get(p, 0) + 1
ref = list(max(refs, key=refs.get)) if refs else None
whys = [w for w in (whole(j, ref) for j in full) if w]
check(not whys, "unlimited_journeys_whole", "%d of %d: %s" % (len(whys), len(full), whys[:2]))

for name, rp in (("tp", ref), ("auto", None)):
    js, l = flood(name), loss(name)
    shed, shed_ev = l.get("shed_packets", 0), l.get("shed_events", 0)
    print("# %s: %d recorded + %d shed (%d events shed) = %d of %d" % (name, len(js), shed, shed_ev,
                                                                       len(js) + shed, n))
    check(len(js) + shed == n, name + "/recorded_plus_shed_exact",
          "%d recorded + %d shed != %d" % (len(js), shed, n))
    check(shed > 0 and shed_ev >= shed and len(js) > 0, name + "/shed_counted",
          "recorded %d, shed %d packets, %d events" % (len(js), shed, shed_ev))
    whys = [w for w in (whole(j, rp) for j in js) if w]
    check(not whys, name + "/recorded_journeys_whole", "%d of %d: %s" % (len(whys), len(js), whys[:2]))
    # the rate: the hops recorded (a part of the records charged) within the
    # limit over the recording, plus each CPU's initial 100 ms, plus slack
    import re
    summ = open("%s/%s.err" % (tmp, name)).read()
    m = re.search(r"events \(.*?, ([0-9.]+) s ->", summ)
    secs = float(m.group(1)) if m else 0
    hops = sum(len(j["path"]) for j in json.load(open("%s/%s.j.json" % (tmp, name)))["journeys"])
    bound = limit * secs + limit * 0.1 * 2 + 100
    print("# %s: %d hops recorded in %.1f s (limit %d/s: bound %d)" % (name, hops, secs, limit, bound))
    check(0 < hops <= bound, name + "/rate_within_limit", "%d hops > %d" % (hops, bound))
    txt = open("%s/%s.s.txt" % (tmp, name)).read()
    check("shed packets (valve)" in txt and str(shed) in txt, name + "/stats_text_shows_shed", txt[-600:])
    summ = open("%s/%s.err" % (tmp, name)).read()
    check(("shed %d packets" % shed) in summ, name + "/summary_shows_shed", summ[-400:])
sys.exit(1 if bad else 0)
PY
[ "$NT_FAILED" = 0 ] && nt_pass
exit $NT_FAILED
