#!/bin/bash
# tests/golden/model_rules.sh - the per-packet rules of the model (issue #15)
# on tests/golden/truth.scn, a synthetic recording of c1 -> r (masquerade) ->
# s: every packet checked exactly (ids, nft verdicts, fates, devices and
# namespaces of hops, NAT, fragments, replies, what is not a journey), the
# outputs byte-compared with samples/golden/truth-*, and the same log with
# its records shuffled within 400 µs analyzed identically.
#   UPDATE_GOLDEN=1 bash tests/golden/model_rules.sh   rewrites the golden files
set -u
. "$(dirname "$0")/lib_golden.sh"
golden_init model_rules/ model_rules/build
G=samples/golden
"$MKLOG" -o "$T/truth.ntl" tests/golden/truth.scn || { echo "FAIL: model_rules/mklog: exit $?"; exit 1; }

# golden outputs
for c in "journeys" "journeys --json" "stats" "stats --json" "events"; do
	n="truth-$(echo "$c" | sed 's/ --/./')"
	"$AN" $c "$T/truth.ntl" > "$T/$n.out" 2>&1
	[ "${UPDATE_GOLDEN:-0}" = 1 ] && cp "$T/$n.out" "$G/$n.out"
	if cmp -s "$T/$n.out" "$G/$n.out"; then
		pass "golden_$n"
	else
		fail "golden_$n" "differs from $G/$n.out: $(diff "$G/$n.out" "$T/$n.out" | head -4 | tr '\n' ' ')"
	fi
done

# every packet, exactly
python3 - "$T/truth-journeys.json.out" "$T/truth-stats.json.out" "$T/truth-events.out" <<'PY' || fails=$((fails + 1))
import json, sys
j = json.load(open(sys.argv[1]))["journeys"]
st = json.load(open(sys.argv[2]))["stats"]
bad = 0
def check(name, ok, why=""):
    global bad
    if ok:
        print("PASS: model_rules/" + name)
    else:
        print("FAIL: model_rules/%s: %s" % (name, why))
        bad += 1
by = {p["packet"]: p for p in j}
# id: (flow, nft verdict, fate, fate function, drop reason)
want = {
    1: ("10.71.1.2 → 10.71.2.2 echo-request id 7", "ACCEPT", "consumed", "icmp_rcv", None),
    2: ("10.71.2.2 → 10.71.2.1 echo-reply id 7", "ACCEPT", "delivered", "skb:skb_copy_datagram_iovec", None),
    3: ("10.71.1.2:40000 → 10.71.2.2:81", "DROP", "dropped", "skb:kfree_skb", "NETFILTER_DROP"),
    4: ("10.71.1.2:5555 → 10.71.2.2:5001", "ACCEPT", "dropped", "skb:kfree_skb", "SOCKET_RCVBUFF"),
    5: ("10.71.1.2 → 10.71.2.2 echo-request id 9", "ACCEPT", "consumed", "icmp_rcv", None),
    6: ("[fd71:1::2]:6000 → [fd71:2::2]:5001", "ACCEPT", "delivered", "__udp_enqueue_schedule_skb", None),
    7: ("10.71.2.1:40000 → 10.71.2.2:80", "ACCEPT", "consumed", "net:netif_receive_skb", None),
    8: ("10.71.2.2:80 → 10.71.2.1:40000", "ACCEPT", "consumed", "net:net_dev_queue", None),
    9: ("10.71.2.2:7000 → 10.71.1.2:7001", "NONE", "consumed", "net:net_dev_queue", None),
    10: ("10.71.2.2:7000 → 10.71.1.2:7002", "NONE", "consumed", "net:net_dev_queue", None),
    11: ("fd71:1::2 → fd71:2::2 echo-request id 21", "ACCEPT", "consumed", "net:netif_receive_skb", None),
}
check("journeys_are_the_ip_packets", sorted(by) == sorted(want), "ids %s" % sorted(by))
for i, (flow, v, fate, ff, reason) in want.items():
    p = by.get(i, {})
    got = (p.get("flow"), p.get("verdict"), p.get("fate"), p.get("fate_function"), p.get("drop_reason"))
    check("packet_%d_verdict_and_fate" % i, got == (flow, v, fate, ff, reason), "%s, want %s" % (got, (flow, v, fate, ff, reason)))
# verdict and fate apart: nftables accepted packet 4, the stack dropped it
p4 = by.get(4, {})
check("accepted_then_dropped_shows_both", p4.get("verdict") == "ACCEPT" and p4.get("dropped") is True and
      p4.get("drop_location") == "__udp_enqueue_schedule_skb+0x42", str(p4.get("drop_location")))
check("drop_location_symbolized", by.get(3, {}).get("drop_location") == "nft_do_chain+0x71" and
      by.get(3, {}).get("drop_address") == "0xffffffff81fb5e21", str(by.get(3, {}).get("drop_location")))
# the ping's reply: delivered through the raw socket's clone (head link), not dropped by ping_rcv
p2 = by.get(2, {})
check("reply_delivered_via_clone", p2.get("fate") == "delivered" and p2.get("dropped") is False and
      [b["kind"] for b in p2.get("branches", [])] == ["head"], str(p2.get("branches")))
# hops name device and namespace
hops = [(h["func"], h["dev"], h["ns"]) for h in by.get(1, {}).get("path", [])]
check("hops_name_device_and_namespace", hops == [
    ("net:net_dev_queue", "c1r", "nt1c1"), ("net:net_dev_start_xmit", "c1r", "nt1c1"),
    ("net:netif_rx", "rc1", "nt1r"), ("net:net_dev_xmit", "rc1", "nt1r"),
    ("net:netif_receive_skb", "rc1", "nt1r"), ("net:net_dev_queue", "rs", "nt1r"),
    ("net:net_dev_start_xmit", "rs", "nt1r"), ("net:netif_rx", "sr", "nt1s"),
    ("net:netif_receive_skb", "sr", "nt1s"), ("icmp_rcv", "sr", "nt1s"),
    ("skb:consume_skb", "sr", "nt1s")], str(hops))
# NAT where it happened
nat = by.get(1, {}).get("nat", [])
check("nat_before_after_where", len(nat) == 1 and
      (nat[0]["before"], nat[0]["after"], nat[0]["func"], nat[0]["dev"], nat[0]["ns"], nat[0].get("rule")) ==
      ("10.71.1.2 → 10.71.2.2 echo-request id 7", "10.71.2.1 → 10.71.2.2 echo-request id 7",
       "net:net_dev_queue", "rs", "nt1r", 'oifname "rs" ip saddr 10.71.0.0/16 masquerade'), str(nat))
check("reply_denat_shown", [(n["before"], n["after"]) for n in by.get(2, {}).get("nat", [])] ==
      [("10.71.2.2 → 10.71.2.1 echo-reply id 7", "10.71.2.2 → 10.71.1.2 echo-reply id 7")], str(by.get(2, {}).get("nat")))
# replies tied to their flow
check("replies_tied_to_flow", (p2.get("flow_packet"), p2.get("direction")) == (1, "reply") and
      (by.get(8, {}).get("flow_packet"), by.get(8, {}).get("direction")) == (7, "reply") and
      (by.get(1, {}).get("flow_packet"), by.get(1, {}).get("direction")) == (1, "original"))
# fragments: one packet per datagram, fragments as branches, one verdict
p5 = by.get(5, {})
fr = [(f.get("offset"), f.get("more"), f.get("reassembled", False), f["ns"]) for f in p5.get("fragments", [])]
check("ipv4_fragments_one_packet", p5.get("fragment_skbs") == 4 and p5.get("reassembled") is True and
      fr == [(0, True, False, "nt1c1"), (1480, True, False, "nt1c1"), (2960, False, False, "nt1c1"),
             (None, None, True, "nt1r"), (0, True, False, "nt1r"), (1480, False, False, "nt1r"),
             (None, None, True, "nt1s")] and p5.get("nft_rules") == 4, "%s %s" % (p5.get("fragment_skbs"), fr))
check("fragment_freed_with_head_is_no_drop", p5.get("fate") == "consumed" and p5.get("dropped") is False)
p6 = by.get(6, {})
check("ipv6_fragments_one_packet", p6.get("fragment_skbs") == 2 and p6.get("reassembled") is True and
      [f.get("id") for f in p6.get("fragments", []) if "id" in f] == [0x12345678, 0x12345678])
p11 = by.get(11, {})
check("ipv6_refragmented_new_id_one_packet", p11.get("fragment_skbs") == 3 and
      [f.get("id") for f in p11.get("fragments", [])] == [0x1111, 0x1111, 0x2222, 0x2222] and
      [(n["before"], n["after"]) for n in p11.get("nat", [])] ==
      [("fd71:1::2 → fd71:2::2 ICMPv6 fragment", "fd71:2::1 → fd71:2::2 echo-request id 21")],
      "%s %s" % (p11.get("fragments"), p11.get("nat")))
# address reuse: the new life's output step went to the new packet
check("inferred_free_hands_steps_to_new_packet",
      [n["chain"] for n in by.get(7, {}).get("nft", [])] == ["input"] and
      [n["chain"] for n in by.get(8, {}).get("nft", [])] == ["output"])
check("alloc_starts_a_packet", by.get(9, {}).get("events") == 2 and by.get(10, {}).get("functions") == 2)
# NFT chains from nftables' trace steps (no chain records in this log)
check("nft_chains_from_trace_steps", [by[i]["nft_chains"] for i in range(1, 7)] == [4, 3, 4, 4, 4, 1],
      str([by[i]["nft_chains"] for i in range(1, 7)]))
# socket queue time is its own layer
l6 = {l["layer"]: l["time_ns"] for l in p6.get("layers", [])}
check("socket_queue_time_apart", l6.get("Socket queue") == 2000 and l6.get("UDP") == 0 and
      l6.get("Socket") == 0, str(l6))
loss = st["loss"]
check("not_journeys_counted", (loss["not_ip"], loss["discarded_packets"], loss["uncorrelated_nft_records"]) == (1, 1, 1),
      str(loss))
check("late_record_put_in_order", loss["reordered_records"] == 1 and loss["late_records"] == 0, str(loss))
# the events come out in time order
ts = []
for line in open(sys.argv[3]):
    pass
sys.exit(1 if bad else 0)
PY
# events in time order (the one late record of the scenario included)
"$AN" events --ndjson "$T/truth.ntl" > "$T/ev.ndjson"
if python3 -c 'import json,sys
t=[json.loads(l)["ts_ns"] for l in open(sys.argv[1])]
sys.exit(0 if t == sorted(t) and len(t) > 100 else 1)' "$T/ev.ndjson"; then
	pass "events_in_time_order"
else
	fail "events_in_time_order" "events --ndjson is not sorted by ts_ns"
fi

# the same records written out of order (each group of equal time up to
# 400 µs late): the same journeys, statistics and events
python3 - tests/golden/truth.scn "$T/shuffled.scn" <<'PY'
import random, sys
rnd = random.Random(15)
out, recs, delay, addr = [], [], {}, {}
def skb(name):  # the address mklog gives a name at its first use in file order
    if name == "-" or name.startswith("0x"):
        return name
    if name not in addr:
        addr[name] = "0x%x" % (0xffff888100000000 + 0x100 * len(addr))
    return addr[name]
for line in open(sys.argv[1]):
    t = line.split("#")[0].split()
    try:
        ts = float(t[0])
    except (ValueError, IndexError):
        out.append(line)
        continue
    if t[1] not in ("loss", "count"):
        t[2] = skb(t[2])
    if t[1] == "link":
        t[3] = skb(t[3])
    line = " ".join(t) + "\n"
    if ts not in delay:
        delay[ts] = rnd.uniform(0, 400)
    recs.append((ts + delay[ts], len(recs), line))
recs.sort()
open(sys.argv[2], "w").write("".join(out) + "".join(r[2] for r in recs))
PY
"$MKLOG" -o "$T/shuffled.ntl" "$T/shuffled.scn" || { echo "FAIL: model_rules/mklog shuffled"; exit 1; }
for c in "journeys --json" "events"; do
	"$AN" $c "$T/truth.ntl" > "$T/a.out" 2>&1
	"$AN" $c "$T/shuffled.ntl" > "$T/b.out" 2>&1
	n="shuffled_log_same_$(echo "$c" | tr ' -' '__')"
	if cmp -s "$T/a.out" "$T/b.out"; then
		pass "$n"
	else
		fail "$n" "$(diff "$T/a.out" "$T/b.out" | head -3 | cut -c1-200 | tr '\n' ' ')"
	fi
done
"$AN" stats --json "$T/shuffled.ntl" | python3 -c 'import json,sys
l=json.load(sys.stdin)["stats"]["loss"]
sys.exit(0 if l["reordered_records"] > 20 and l["late_records"] == 0 else 1)' &&
	pass "shuffled_log_reordered_counted" || fail "shuffled_log_reordered_counted" "reorder counts"
# without the window (--reorder 0) the shuffled log is analyzed in file order
# and its journeys differ: the window is what makes them right
if "$AN" journeys --json --reorder 0 "$T/shuffled.ntl" > "$T/c.out" 2>/dev/null &&
   ! cmp -s "$T/c.out" "$T/a.out"; then
	pass "window_is_what_orders"
else
	fail "window_is_what_orders" "--reorder 0 gave the same journeys (or failed)"
fi
[ "$fails" = 0 ]
