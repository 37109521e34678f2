#!/bin/bash
# record_pcapfilter.sh - nft-record --filter with pcap-filter expressions, tcpdump
# as the oracle (tracepoint mode).  A and B exchange ICMP / ICMPv6 echoes, TCP
# connections to B:8080 (DNATed to :80 in B) and to a closed port, UDP
# datagrams of several sizes and payloads (those to :5002 get mark 0x42 in A).  While
# tcpdump -w captures on vA, one recorder per expression runs (all at once,
# same traffic).  Per expression, the packets of the log that were first seen
# in A or B - their addresses, protocol, ports, IPv4 id, TCP sequence / ICMP id
# and sequence - must equal, as a multiset, the packets `tcpdump -r cap EXPR`
# keeps (every packet crosses vA, where tcpdump sees it once).  Also:
#   - the DNATed connection stays traced: with 'tcp dst port 8080' every packet
#     A sends to B:8080 carries the nft step of B's input rule for port 80 (after
#     DNAT); the replies are not traced (their first sight has sport 8080);
#   - extras: 'icmp and netns B' / 'icmp and iface vB' = tcpdump on vB (a
#     request becomes traced where it enters B); 'udp and mark 0x42/0xff' =
#     tcpdump's 'udp dst port 5002';
#   - with a non-conjunctive expression the recorder says that nftrace covers
#     every packet, and no uncorrelated nft step is written.
. "$(dirname "$0")/lib_netns.sh"
nt_lib_init record_pcapfilter
command -v tcpdump >/dev/null || nt_skip "tcpdump not installed (scripts/deps.sh)"
PK=$NT_ROOT/$NT_O/tests/tools/ntl_packets
PI=$NT_ROOT/$NT_O/tests/tools/pcap_ids
[ -x "$PK" ] && [ -x "$PI" ] || nt_skip "$PK / $PI not built (make unit)"
nt_ns_pair 97 || { nt_fail "netns setup failed"; exit 1; }
ip netns exec "$NSB" nft -f - <<EOF || { nt_fail "nat ruleset"; exit 1; }
table ip nat {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		tcp dport 8080 dnat to $B4:80
	}
}
table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport 80 accept
	}
}
EOF
ip netns exec "$NSA" nft -f - <<'EOF' || { nt_fail "mark ruleset"; exit 1; }
table inet ntmark {
	chain out {
		type filter hook output priority 0;
		udp dport 5002 meta mark set 0x42
	}
}
EOF
INUM_A=$(ip netns exec "$NSA" stat -L -c %i /proc/self/ns/net)
INUM_B=$(ip netns exec "$NSB" stat -L -c %i /proc/self/ns/net)

EXPRS=(
	"icmp"
	"tcp[tcpflags] & tcp-syn != 0"
	"udp and dst port 5001"
	"host $A4 and (tcp port 8080 or udp)"
	"greater 500"
	"ip6 and icmp6"
	"not tcp and not icmp6"
	"udp[8:4] = 0x78787878"
)
# name|recorder filter|tcpdump interface|tcpdump filter
EXTRAS=(
	"nat|tcp dst port 8080|vA|tcp dst port 8080"
	"netns|icmp and netns $NSB|vB|icmp"
	"iface|icmp and iface vB|vB|icmp"
	"mark|udp and mark 0x42/0xff|vA|udp dst port 5002"
)

# ---- recorders (one per expression, in A with --netns B), tcpdump on vA and vB ----
declare -a RPID RLOG RFILT
# packet sets only (--no-nftrace): twelve recorders on two cores delay the
# trace messages past the recorder's merge window; the nftrace side (NAT,
# every packet) is checked afterwards with one recorder at a time
start_rec() { # INDEX FILTER
	RLOG[$1]=$NT_TMP/r$1.ntl
	RFILT[$1]=$2
	ip netns exec "$NSA" "$NT_REC" -b tracepoint --netns "$NSB" --no-nftrace --filter "$2" -o "${RLOG[$1]}" \
	> "$NT_TMP/r$1.out" 2> "$NT_TMP/r$1.err" &
	RPID[$1]=$!
	NT_PIDS+=($!)
}
n=0
for e in "${EXPRS[@]}"; do start_rec $n "$e"; n=$((n + 1)); done
for x in "${EXTRAS[@]}"; do IFS='|' read -r _ f _ _ <<< "$x"; start_rec $n "$f"; n=$((n + 1)); done
ip netns exec "$NSA" tcpdump -i vA -U -w "$NT_TMP/vA.pcap" -s 256 2> "$NT_TMP/tdA.err" &
NT_PIDS+=($!); TD_A=$!
ip netns exec "$NSB" tcpdump -i vB -U -w "$NT_TMP/vB.pcap" -s 256 2> "$NT_TMP/tdB.err" &
NT_PIDS+=($!); TD_B=$!
# ready: every recorder says it records, tcpdump listens
for i in $(seq 1 150); do
	ok=1
	for j in "${!RPID[@]}"; do
		grep -q "recording to" "$NT_TMP/r$j.err" 2>/dev/null || ok=0
	done
	grep -q listening "$NT_TMP/tdA.err" "$NT_TMP/tdB.err" 2>/dev/null || ok=0
	[ $ok = 1 ] && break
	sleep 0.2
done
[ $ok = 1 ] || { nt_fail "recorders / tcpdump not ready: $(cat "$NT_TMP"/r*.err | head -3)"; exit 1; }
sleep 1

# ---- traffic ----
ip netns exec "$NSB" bash -c 'while :; do echo served | timeout 2 nc -l 80 >/dev/null 2>&1; done' &
NT_PIDS+=($!)
sleep 0.3
ip netns exec "$NSA" ping -c 3 -i 0.2 -W 1 "$B4" > /dev/null
ip netns exec "$NSA" ping -6 -c 2 -i 0.2 -W 1 "$B6" > /dev/null
for i in 1 2; do
	ip netns exec "$NSA" bash -c "exec 3<>/dev/tcp/$B4/8080 && printf 'hello %s\n' $i >&3 && timeout 2 cat <&3 >/dev/null; exec 3>&-" 2>/dev/null
	sleep 0.3
done
ip netns exec "$NSA" bash -c "exec 3<>/dev/tcp/$B4/9" 2>/dev/null # closed: RST
ip netns exec "$NSA" python3 - "$B4" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for port, size, c in ((5001, 20, b"x"), (5001, 700, b"y"), (5002, 40, b"x"), (5002, 900, b"y"), (5003, 10, b"z")):
    s.sendto(c * size, (sys.argv[1], port)); time.sleep(0.05)
PY
sleep 1

# ---- stop ----
for p in "${RPID[@]}"; do kill -INT "$p" 2>/dev/null; done
for i in "${!RPID[@]}"; do
	wait "${RPID[$i]}"; rc=$?
	[ "$rc" = 0 ] || nt_fail "recorder '${RFILT[$i]}' exit $rc: $(head -c 300 "$NT_TMP/r$i.err")"
done
sleep 0.3
kill -INT "$TD_A" "$TD_B" 2>/dev/null; wait "$TD_A" "$TD_B" 2>/dev/null

# ---- compare ----
# identity lines: "L3 PROTO SRC DST SPORT DPORT IPID EXTRA" per packet
pcap_ids() { # PCAP FILTER: tcpdump filters, tests/tools/pcap_ids prints
	tcpdump -r "$1" -w "$NT_TMP/sel.pcap" "$2" 2>/dev/null
	"$PI" "$NT_TMP/sel.pcap"
}
log_ids() { # LOG: packets first seen in A or B
	"$PK" "$1" | awk -v a="$INUM_A" -v b="$INUM_B" '($1 == a || $1 == b) && $5 !~ /^(ff|224\.)/ { print $2, $3, $4, $5, $6, $7, $8, $9 }'
}
compare() { # NAME LOG PCAP FILTER
	local want got
	want=$(pcap_ids "$3" "$4" | sort)
	got=$(log_ids "$2" | sort)
	if [ -z "$want" ]; then
		nt_fail "$1: tcpdump kept no packet for '$4' (traffic missing?)"
	elif [ "$want" = "$got" ]; then
		echo "PASS: $NT_TEST: '$1': $(echo "$want" | wc -l) packets, the same as tcpdump -r"
	else
		nt_fail "$1: the log's packets differ from tcpdump -r '$4': $(diff <(echo "$want") <(echo "$got") | grep '^[<>]' | head -6 | tr '\n' ';')"
	fi
}
for i in "${!EXPRS[@]}"; do
	compare "${EXPRS[$i]}" "${RLOG[$i]}" "$NT_TMP/vA.pcap" "${EXPRS[$i]}"
done
n=${#EXPRS[@]}
for x in "${EXTRAS[@]}"; do
	IFS='|' read -r name f td tf <<< "$x"
	compare "$name: $f" "${RLOG[$n]}" "$NT_TMP/$td.pcap" "$tf"
	n=$((n + 1))
done

# the DNATed connection stays traced: every A -> B:8080 packet (DNATed to :80
# in B's prerouting) carries the step of B's input rule 'tcp dport 80 accept',
# which sees the translated header, tied to it (NAT-invariant correlation)
# (without A's mark table: a step in A's output chain comes before the
# packet's first BPF record, which the recorder does not yet order well)
ip netns exec "$NSA" nft delete table inet ntmark
NT_LOG=
nt_record_start "$NSA" "$NSB" -- -b tracepoint --force --filter "tcp dst port 8080"
for i in 1 2; do
	ip netns exec "$NSA" bash -c "exec 3<>/dev/tcp/$B4/8080 && printf 'hello %s\n' $i >&3 && timeout 2 cat <&3 >/dev/null; exec 3>&-" 2>/dev/null
	sleep 0.3
done
nt_record_stop INT
grep -q "nftrace rules: a superset of --filter (1 rule" "$NT_TMP/rec.err" ||
	nt_fail "'tcp dst port 8080': the recorder does not say it uses a superset nft match: $(grep nftrace "$NT_TMP/rec.err")"
"$NT_ANA" journeys --json "$NT_LOG" > "$NT_TMP/nat.json" 2>/dev/null
res=$(python3 - "$NT_TMP/nat.json" "$A4" <<'PY'
import json, sys
js = json.load(open(sys.argv[1]))["journeys"]
to = [j for j in js if j.get("src") == sys.argv[2] and j.get("dport") == 8080]
bad = [j["packet"] for j in to if not any(n.get("kind") == "rule" and n.get("table") == "filter" and
        n.get("chain") == "input" and n.get("verdict") == "ACCEPT" for n in j.get("nft", []))]
back = [j["packet"] for j in js if j.get("sport") == 8080]
print(len(to), len(bad), len(back))
PY
)
read -r cnt bad back <<< "$res"
unc=$("$NT_ANA" stats --json "$NT_LOG" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["stats"]["loss"]["uncorrelated_nft_records"])' 2>/dev/null)
if [ "${cnt:-0}" -ge 6 ] && [ "$bad" = 0 ] && [ "$back" = 0 ] && [ "$unc" = 0 ]; then
	echo "PASS: $NT_TEST: the DNATed flow stays traced ($cnt packets to :8080, each with B's input rule for :80 after DNAT; no reply, no uncorrelated step)"
else
	nt_fail "DNATed flow: $cnt packets to :8080, $bad without the input rule step after DNAT, $back replies, $unc uncorrelated steps"
fi

# a non-conjunctive expression: nftrace on every packet, only the kept packets' steps written
NT_LOG=
nt_record_start "$NSA" "$NSB" -- -b tracepoint --force --filter "not tcp and not icmp6 and host $A4"
ip netns exec "$NSA" ping -c 2 -i 0.2 -W 1 "$B4" > /dev/null
ip netns exec "$NSA" bash -c "exec 3<>/dev/tcp/$B4/8080 && printf 'hello\n' >&3 && timeout 2 cat <&3 >/dev/null; exec 3>&-" 2>/dev/null
nt_record_stop INT
grep -q "nftrace rules: every packet (.*no simple nft equivalent" "$NT_TMP/rec.err" ||
	nt_fail "the recorder does not say nftrace covers every packet: $(grep nftrace "$NT_TMP/rec.err")"
unc=$("$NT_ANA" stats --json "$NT_LOG" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["stats"]["loss"]["uncorrelated_nft_records"])' 2>/dev/null)
tcp=$("$PK" "$NT_LOG" | awk '$3 == 6' | wc -l)
steps=$(grep -o "[0-9]* of packets --filter left out" "$NT_TMP/rec.err" | awk '{print $1}')
if [ "$unc" = 0 ] && [ "$tcp" = 0 ] && [ "${steps:-0}" -gt 0 ]; then
	echo "PASS: $NT_TEST: nftrace on every packet: $steps steps of TCP packets the filter left out dropped, none written, no uncorrelated step"
else
	nt_fail "nftrace on every packet: uncorrelated $unc, TCP packets $tcp, dropped steps '${steps}'"
fi
nt_assert_clean
[ "$NT_FAILED" = 0 ] && nt_pass
exit $NT_FAILED
