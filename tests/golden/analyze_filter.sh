#!/bin/bash
# tests/golden/analyze_filter.sh - nft-analyze --filter EXPR (pcap-filter +
# netns / iface / mark on the recorded packet metadata, nft-analyze/pcapsel.c)
# on samples/basic.ntl (format 2) and samples/v1/basic.ntl (format 1): the
# packets selected per expression, exactly; what the log cannot answer is
# left out with one line naming the field; bad expressions exit 2, one line;
# a log with packet bytes against tcpdump -r of nft-analyze pcap's export.
set -u
cd "${NT_TOP:-$(dirname "$0")/../..}"
O=${O:-build}
AN=$O/nft-analyze
[ -x "$AN" ] || { echo "FAIL: analyze_filter: $AN missing (make nft-analyze)"; exit 1; }
fails=0

# journeys --filter EXPR LOG -> the flow column of the selected packets
flows() {
	"$AN" journeys --filter "$1" "$2" 2>/dev/null | sed -n 's/^\[\([A-Z0-9]*\)\] \(.*\) | Functions.*/\1 \2/p' | tr '\n' ';'
}

check() { # NAME LOG EXPR WANT
	local got
	got=$(flows "$3" "$2")
	if [ "$got" = "$4" ]; then
		echo "PASS: analyze_filter_$1"
	else
		echo "FAIL: analyze_filter_$1: --filter '$3' on $2 selected '$got', want '$4'"
		fails=$((fails + 1))
	fi
}

for log in samples/basic.ntl samples/v1/basic.ntl; do
	v=$(basename "$(dirname "$log")"); [ "$v" = samples ] && v=v2
	check "${v}_tcp_dport_22" "$log" 'tcp dst port 22' \
		'TCP 10.0.0.1:54321 → 10.0.0.2:22;TCP 10.0.0.9:1000 → 10.0.0.2:22;TCP 10.0.0.1:54322 → 10.0.0.2:22;'
	check "${v}_or_not_parens" "$log" 'udp or (icmp and not host 10.0.0.9)' \
		'UDP 10.0.0.3:5353 → 10.0.0.2:53;ICMP 10.0.0.1 → 10.0.0.2 echo-request id 4242;UDP 10.0.0.5:7000 → 10.0.0.2:7001;'
	check "${v}_ip6" "$log" 'ip6 and tcp port 80' 'TCP [2001:db8::1]:5555 → [2001:db8::2]:80;'
	check "${v}_net_portrange" "$log" 'src net 10.0.0.0/29 and portrange 7000-7001' 'UDP 10.0.0.5:7000 → 10.0.0.2:7001;'
	check "${v}_icmptype" "$log" 'icmp[icmptype] = icmp-echo' 'ICMP 10.0.0.1 → 10.0.0.2 echo-request id 4242;'
	check "${v}_service_name" "$log" 'udp port domain' 'UDP 10.0.0.3:5353 → 10.0.0.2:53;'
	check "${v}_iface_extra" "$log" 'udp and iface veth1' 'UDP 10.0.0.3:5353 → 10.0.0.2:53;'
	check "${v}_mark_extra" "$log" 'tcp port 23 and mark 0/0xffffffff' 'TCP 10.0.0.1:40000 → 10.0.0.2:23;'
done

# undecided: the TTL is not in the log
err=$("$AN" journeys --filter 'tcp or ip[8] > 1' samples/basic.ntl 2>&1 >/dev/null)
got=$(flows 'tcp or ip[8] > 1' samples/basic.ntl | tr ';' '\n' | grep -c .)
if [ "$got" = 5 ] && [ "$(echo "$err" | wc -l)" = 1 ] &&
   echo "$err" | grep -q "3 packets left out undecided: the expression reads the IPv4 TTL"; then
	echo "PASS: analyze_filter_undecided_named"
else
	echo "FAIL: analyze_filter_undecided_named: $got packets, stderr '$err'"
	fails=$((fails + 1))
fi

# bad expressions: exit 2, one line naming the expression
for e in 'tcp port' 'sport 22' 'ip6 protochain 6' 'netns x and tcp or udp'; do
	err=$("$AN" journeys --filter "$e" samples/basic.ntl 2>&1 >/dev/null); rc=$?
	if [ "$rc" = 2 ] && [ "$(echo "$err" | wc -l)" = 1 ] && echo "$err" | grep -q -- "--filter"; then
		echo "PASS: analyze_filter_bad_expression_exit_2 ($e)"
	else
		echo "FAIL: analyze_filter_bad_expression_exit_2 ($e): rc $rc, stderr '$err'"
		fails=$((fails + 1))
	fi
done
# recorded packet bytes (tests/golden/bytes.scn): what META lacks (TTL, TOS,
# window, IPv6 hop limit, payload, length) is answered from the first capture
# of each packet; tcpdump -r of `nft-analyze pcap`'s export is the oracle
# (its packets of first sight, matched by time); a packet without bytes or
# read past its capture is left out undecided, as before.
MKLOG=$O/tests/tools/mklog
T=$(mktemp -d /tmp/nt-afilt.XXXXXX)
trap 'rm -rf "$T"' EXIT
if ! command -v tcpdump >/dev/null || [ ! -x "$MKLOG" ]; then
	echo "SKIP: analyze_filter_bytes: tcpdump or $MKLOG missing (scripts/deps.sh, make unit)"
elif ! "$MKLOG" -o "$T/b.ntl" tests/golden/bytes.scn || ! "$AN" pcap "$T/b.ntl" -o "$T/b.pcapng" 2>/dev/null ||
	! "$AN" journeys --json "$T/b.ntl" > "$T/all.json"; then
	echo "FAIL: analyze_filter_bytes: mklog / nft-analyze pcap / journeys failed"
	fails=$((fails + 1))
else
	for e in 'ip[8] = 64' 'ip[8] != 64 or udp' 'ip[1] = 0 and tcp[14:2] = 64240' 'ip6 and ip6[7] = 64' \
		'tcp[tcpflags] & tcp-syn != 0 and ip[6:2] & 0x1fff = 0' 'udp and udp[4:2] > 60' 'ether src 02:00:00:00:00:01'; do
		"$AN" journeys --json --filter "$e" "$T/b.ntl" > "$T/sel.json" 2> "$T/sel.err"
		tcpdump -tt -nn -r "$T/b.pcapng" "$e" 2>/dev/null | cut -d' ' -f1 > "$T/td"
		res=$(python3 - "$T/all.json" "$T/sel.json" "$T/td" "$T/sel.err" <<'PY'
import json, sys
def js(f):
    d = json.load(open(f))
    return d['journeys'] if isinstance(d, dict) else d
# first capture of each packet with bytes: its time in µs within the second
first = {j['packet']: ((j['first_ts_ns'] + j['captures'][0]['t_ns']) // 1000) % 1000000
         for j in js(sys.argv[1]) if j.get('captures')}
kept = {int(round(float(l) * 1e6)) % 1000000 for l in open(sys.argv[3]) if l.strip()}
want = sorted(p for p, t in first.items() if t in kept)
got = sorted(j['packet'] for j in js(sys.argv[2]))
und = open(sys.argv[4]).read()
nob = sorted(p for p in (j['packet'] for j in js(sys.argv[1])) if p not in first)
# packets with bytes: exactly tcpdump's; without: selected by META or undecided
got_b = [p for p in got if p in first]
if got_b == want and want:
    print('ok', want, 'with bytes;', nob, 'without')
else:
    print('bad', want, got, und.strip()[:120], nob)
PY
)
		case $res in
		ok*) echo "PASS: analyze_filter_bytes '$e': packets ${res#ok } (= tcpdump -r on the export)" ;;
		*) echo "FAIL: analyze_filter_bytes '$e': want / got / stderr / no bytes: ${res#bad }"; fails=$((fails + 1)) ;;
		esac
	done
fi
[ "$fails" = 0 ]
