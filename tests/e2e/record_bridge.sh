#!/bin/bash
# record_bridge.sh - e2e: --nftrace-family inet,bridge traces bridge-family rules.
# A (10.95.0.1) and B (10.95.0.2) are joined by a bridge in namespace C whose
# bridge-family forward chain drops ICMP echo requests from A (rule handle 2).
# Only C is recorded, and C does not pass bridged frames to the inet hooks
# (bridge-nf-call-iptables=0): with br_netfilter on, the recorder's inet table
# already marks bridged IP packets before the bridge forward chain.
# 1. Without the option: 3 pings are dropped, but no rule step of the bridge
#    table is recorded (nftables traces a bridge-family rule only when nftrace
#    was set in a bridge-family chain) and C holds only the inet table.
# 2. With --nftrace-family inet,bridge: C holds "inet" and "bridge"
#    nft_record_<pid>; every trace id equals nft monitor trace; 3 echo requests
#    with nft [filter forward 2 DROP] each, verdict DROP; both tables are gone
#    after the exit.
# 3. --nftrace-family inet,netdev: exit 2 with one line naming the family.
. "$(dirname "$0")/lib_netns.sh"
nt_lib_init record_bridge
# bad family: one line, exit 2, nothing created
msg=$("$NT_REC" --nftrace-family inet,netdev -o "$NT_TMP/bad.ntl" 2>&1); rc=$?
[ "$rc" = 2 ] && [ "$msg" = "nft-record: --nftrace-family: unknown family 'netdev' (use inet, bridge or inet,bridge)" ] &&
	[ ! -e "$NT_TMP/bad.ntl" ] || nt_fail "--nftrace-family inet,netdev: exit $rc, '$msg'"
NSA=${NT_PFX}a NSB=${NT_PFX}b NSC=${NT_PFX}c
A4=10.95.0.1 B4=10.95.0.2
for ns in $NSA $NSB $NSC; do ip netns add $ns && NT_NSLIST+=($ns) || { nt_fail "netns"; exit 1; }; done
ip -n $NSC link add br0 type bridge && ip -n $NSC link set br0 up &&
ip link add vA netns $NSA type veth peer name pA netns $NSC &&
ip link add vB netns $NSB type veth peer name pB netns $NSC || { nt_fail "links"; exit 1; }
for p in pA pB; do ip -n $NSC link set $p master br0; ip -n $NSC link set $p up; done
# br_netfilter (when loaded) passes bridged IP frames through the inet hooks,
# where the recorder's inet table sets nftrace: switch that off in C
ip netns exec $NSC sysctl -qw net.bridge.bridge-nf-call-iptables=0 2>/dev/null
ip netns exec $NSC sysctl -qw net.bridge.bridge-nf-call-ip6tables=0 2>/dev/null
ip -n $NSA addr add $A4/24 dev vA; ip -n $NSB addr add $B4/24 dev vB
for ns in $NSA $NSB $NSC; do ip -n $ns link set lo up; done
ip -n $NSA link set vA up; ip -n $NSB link set vB up
ip -n $NSA neigh replace $B4 lladdr "$(ip -n $NSB -br link show vB | awk '{print $3}')" dev vA nud permanent
ip -n $NSB neigh replace $A4 lladdr "$(ip -n $NSA -br link show vA | awk '{print $3}')" dev vB nud permanent
ip netns exec $NSA ping -c1 -W1 $B4 > /dev/null || { nt_fail "no connectivity across the bridge"; exit 1; }
ip netns exec $NSC nft -f - <<'NFT' || { nt_fail "ruleset"; exit 1; }
table bridge filter {
	chain forward {
		type filter hook forward priority 0; policy accept;
		ip saddr 10.95.0.1 icmp type echo-request drop
	}
}
NFT
ip netns exec $NSC nft -a list chain bridge filter forward | grep -q 'icmp type echo-request drop # handle 2' ||
	{ nt_fail "unexpected rule handle: $(ip netns exec $NSC nft -a list ruleset)"; exit 1; }

# 1. inet only (default)
nt_record_start "$NSC" -- -q
tables=$(ip netns exec $NSC nft list tables | grep -c "nft_record_$NT_REC_PID\$")
ip netns exec "$NSA" ping -c3 -i0.2 -W1 "$B4" > /dev/null && nt_fail "pings went through the bridge"
nt_record_stop INT
[ "$NT_REC_RC" = 0 ] || nt_fail "recorder exit $NT_REC_RC: $(cat "$NT_TMP/rec.err")"
[ "$tables" = 1 ] || nt_fail "without --nftrace-family: $tables tables in C, expected 1 (inet)"
n=$("$NT_ANA" events --json "$NT_LOG" | python3 -c 'import json,sys; print(sum(e["type"] == "NFT_RULE" and e["table"] == "filter" for e in json.load(sys.stdin)["events"]))')
[ "$n" = 0 ] || nt_fail "without --nftrace-family: $n bridge rule steps recorded, expected 0"
nt_assert_clean

# 2. inet + bridge
nt_record_start "$NSC" -- -q --force --nftrace-family inet,bridge
fams=$(ip netns exec $NSC nft list tables | grep "nft_record_$NT_REC_PID\$" | awk '{print $2}' | sort | tr '\n' ' ')
ip netns exec "$NSA" ping -c3 -i0.2 -W1 "$B4" > /dev/null && nt_fail "pings went through the bridge"
nt_record_stop INT
[ "$NT_REC_RC" = 0 ] || nt_fail "recorder exit $NT_REC_RC: $(cat "$NT_TMP/rec.err")"
[ "$fams" = "bridge inet " ] || nt_fail "tables of the recorder in C: '$fams', expected 'bridge inet '"
nt_check '{"flows": [{"match": {"proto": "ICMP", "src": "10.95.0.1", "dst": "10.95.0.2", "icmp_type": 8},
  "count": 3, "nft": [["filter", "forward", 2, "DROP"]], "verdict": "DROP",
  "text": {"2": "ip saddr 10.95.0.1 icmp type echo-request drop"}}]}' || nt_fail "log does not match (above)"
nt_assert_clean
[ "$NT_FAILED" = 0 ] && nt_pass
exit $NT_FAILED
