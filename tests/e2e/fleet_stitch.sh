#!/bin/bash
# fleet_stitch.sh - issue #20: journeys of several hosts' logs stitched into one.
# Three "hosts" as network namespaces, client -> router -> server (veth, the
# router forwards and DNATs 10.71.1.1:8080 to the server's port 80, drops UDP
# to port 53).  Four recorders at once on the same traffic:
#   - one per host: nft-record --host-netns NS --host-label client|router|server
#     (its filter keeps the packets first seen in its namespace, the analyzer
#     follows them while they are in it);
#   - one seeing all three namespaces (the reference): --netns C,R,S.
# The router's log then gets another clock: its wall clock moved by +1 h and its
# monotonic clock by +123 s (tests/tools/ntl_edit).  Checked, per packet:
#   - every journey of the reference log that crosses namespaces is one stitched
#     journey of the three host logs; its parts are the host logs' packets whose
#     function records equal the reference journey's records in that host's
#     namespace, in order; every part's nft steps (table / chain / handle /
#     verdict) equal what nft monitor trace printed for that packet in that
#     namespace (the oracle: the reference recorder of main ties some steps to
#     the wrong packet when one recorder listens in several namespaces, #15);
#   - the estimated clock offset router - client is +1 h within 1 ms;
#   - no stitched journey is left over, nothing ambiguous in this traffic;
#   - every log's HEADER names this machine (host name, kernel, boot id, the
#     machine id's hash, never the id) and its label; CLOCK blocks are written.
. "$(dirname "$0")/lib_netns.sh"
nt_lib_init fleet_stitch
EDIT=$NT_ROOT/$NT_O/tests/tools/ntl_edit
[ -x "$EDIT" ] || nt_skip "$EDIT not built (make unit)"
C=${NT_PFX}fc R=${NT_PFX}fr S=${NT_PFX}fs
for ns in $C $R $S; do ip netns add $ns && NT_NSLIST+=($ns) || { nt_fail "netns add"; exit 1; }; done
ip link add vc netns $C type veth peer name vrc netns $R || { nt_fail "veth"; exit 1; }
ip link add vs netns $S type veth peer name vrs netns $R || { nt_fail "veth"; exit 1; }
for ns in $C $R $S; do ip -n $ns link set lo up; done
ip -n $C addr add 10.71.1.2/24 dev vc; ip -n $C link set vc up
ip -n $R addr add 10.71.1.1/24 dev vrc; ip -n $R link set vrc up
ip -n $R addr add 10.71.2.1/24 dev vrs; ip -n $R link set vrs up
ip -n $S addr add 10.71.2.2/24 dev vs; ip -n $S link set vs up
ip -n $C route add default via 10.71.1.1
ip -n $S route add default via 10.71.2.1
ip netns exec $R sysctl -qw net.ipv4.ip_forward=1
ip netns exec $R nft -f - <<'EOF' || { nt_fail "router ruleset"; exit 1; }
table ip fleet {
	chain prerouting_ {
		type nat hook prerouting priority -100; policy accept;
		tcp dport 8080 dnat to 10.71.2.2:80
	}
	chain forward_ {
		type filter hook forward priority 0; policy accept;
		udp dport 53 counter drop
		counter accept
	}
}
EOF
ip netns exec $S nft -f - <<'EOF' || { nt_fail "server ruleset"; exit 1; }
table ip fleet {
	chain input_ {
		type filter hook input priority 0; policy accept;
		icmp type echo-request counter accept
		tcp dport 80 counter accept
	}
}
EOF
# neighbours resolved before recording (no ARP in the journeys)
ip netns exec $C ping -c1 -W1 10.71.2.2 >/dev/null 2>&1
ip netns exec $S ping -c1 -W1 10.71.1.2 >/dev/null 2>&1

D=$NT_TMP
start_rec() { # NAME OPTIONS...
	local name=$1; shift
	$NT_WRAP "$NT_REC" -q --output "$D/$name.ntl" "$@" > "$D/$name.out" 2> "$D/$name.err" &
	NT_PIDS+=($!)
	eval "PID_$name=$!"
}
start_rec all --netns $C,$R,$S --host-label all --filter 'net 10.71.0.0/16'
start_rec client --host-netns $C --host-label client --filter 'net 10.71.0.0/16'
start_rec router --host-netns $R --host-label router --filter 'net 10.71.0.0/16'
start_rec server --host-netns $S --host-label server --filter 'net 10.71.0.0/16'
# ready when every recorder's table is where it records
wait_table() { # PID NS...
	local pid=$1 i ok ns; shift
	for i in $(seq 1 150); do
		ok=1
		for ns in "$@"; do
			ip netns exec $ns nft list tables 2>/dev/null | grep -q "nft_record_$pid" || ok=0
		done
		[ $ok = 1 ] && return 0
		kill -0 $pid 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
wait_table $PID_all $C $R $S && wait_table $PID_client $C && wait_table $PID_router $R &&
	wait_table $PID_server $S || { nt_fail "recorders not ready: $(cat $D/*.err)"; exit 1; }
ip netns exec $R nft reset counters > /dev/null; ip netns exec $S nft reset counters > /dev/null
for n in client router server; do
	ns=$C; [ $n = router ] && ns=$R; [ $n = server ] && ns=$S
	ip netns exec $ns nft -a monitor trace > "$D/mon.$n" 2>&1 &
	NT_PIDS+=($!); eval "MON_$n=$!"
done
sleep 0.5

# traffic: pings, a TCP exchange through the DNAT, UDP to port 53 (dropped)
TRAFFIC=$NT_ROOT/$NT_O/tests/tools/nt-traffic
ip netns exec $S "$TRAFFIC" tcp-serve 80 1 5000 > "$D/serve.out" 2>&1 &
NT_PIDS+=($!)
sleep 0.3
ip netns exec $C ping -c 5 -i 0.1 -W 1 10.71.2.2 > /dev/null
ip netns exec $C "$TRAFFIC" tcp-connect 41234 10.71.1.1 8080 "hello through the router" 3000 > "$D/tcp.out"
grep -q '^reply ok' "$D/tcp.out" || nt_fail "TCP through the DNAT: $(cat "$D/tcp.out")"
ip netns exec $C "$TRAFFIC" udp-send 41235 10.71.2.2 53 3 64 20 100 > /dev/null
sleep 0.5
for n in all client router server; do
	eval "kill -INT \$PID_$n"
	eval "kill -TERM \$MON_$n" 2>/dev/null
done
for n in all client router server; do
	eval "wait \$PID_$n"; rc=$?
	[ $rc = 0 ] || nt_fail "recorder $n exit $rc: $(head -c 300 $D/$n.err)"
done
NT_PIDS=()

# every log says who recorded it: this machine's host name, kernel, boot id and
# the hash of its machine id (never the id: not in any metadata block, nor in
# the file's bytes), its label; a CLOCK block (at least the last one) whose
# offset agrees with the HEADER's within 1 ms (the clock was not stepped)
for n in all client router server; do
	"$EDIT" "$D/$n.ntl" > "$D/$n.meta" || nt_fail "ntl_edit $n"
done
python3 - "$D" "$(hostname)" "$(uname -r)" <<'PY' || nt_fail "identity in the HEADER (above)"
import hashlib, json, sys
d, hostname, kernel = sys.argv[1:4]
mid = open('/etc/machine-id').read().strip() if __import__('os').path.exists('/etc/machine-id') else ''
boot = open('/proc/sys/kernel/random/boot_id').read().strip()
want_hash = hashlib.sha256(('nft-tracer machine-id v1:' + mid).encode()).hexdigest()[:32] if mid else ''
err = []
for n in ('all', 'client', 'router', 'server'):
    blocks = [l.rstrip('\n').split(' ', 1) for l in open('%s/%s.meta' % (d, n))]
    hdr = json.loads(blocks[0][1])
    h = hdr.get('host', {})
    got = (h.get('label'), h.get('hostname'), h.get('machine_id_hash'), h.get('boot_id'), hdr.get('kernel'))
    if got != (n, hostname, want_hash, boot, kernel):
        err.append('%s: host %s, want %s' % (n, got, (n, hostname, want_hash, boot, kernel)))
    if mid and (any(mid in t for _, t in blocks) or mid.encode() in open('%s/%s.ntl' % (d, n), 'rb').read()):
        err.append('%s: the raw machine id is in the log' % n)
    clocks = [json.loads(t) for ty, t in blocks if ty == '8']
    ref = hdr['clock_ref']
    off0 = int(ref['realtime_ns']) - int(ref['mono_ns'])
    if not clocks or any(abs(int(c['realtime_ns']) - int(c['mono_ns']) - off0) > 1000000 or
                         int(c['mono_ns']) < int(ref['mono_ns']) for c in clocks):
        err.append('%s: CLOCK blocks %s, HEADER clock_ref %s' % (n, clocks, ref))
for e in err:
    print(e)
sys.exit(1 if err else 0)
PY

# the router's clocks moved
"$EDIT" "$D/router.ntl" -o "$D/router2.ntl" --shift-realtime 3600000000000 --shift-mono 123000000000 ||
	{ nt_fail "ntl_edit"; exit 1; }
A=$NT_ANA
"$A" journeys --json "$D/client.ntl" "$D/router2.ntl" "$D/server.ntl" > "$D/stitched.json" 2> "$D/stitched.err" ||
	nt_fail "journeys of three logs: exit $? $(head -c 300 $D/stitched.err)"
"$A" export --format clickhouse --table hops -q "$D/all.ntl" > "$D/all.hops" &&
"$A" export --format clickhouse --table nft_steps -q "$D/all.ntl" > "$D/all.steps" &&
"$A" export --format clickhouse --table packets -q "$D/all.ntl" > "$D/all.packets" ||
	nt_fail "export of the reference log"
for n in client router server; do
	f=$D/$n.ntl; [ $n = router ] && f=$D/router2.ntl
	"$A" export --format clickhouse --table hops -q "$f" > "$D/$n.hops" &&
	"$A" export --format clickhouse --table nft_steps -q "$f" > "$D/$n.steps" &&
	"$A" export --format clickhouse --table packets -q "$f" > "$D/$n.packets" || nt_fail "export of $n"
done
NSI_C=$(ip netns exec $C stat -L -c %i /proc/self/ns/net)
NSI_R=$(ip netns exec $R stat -L -c %i /proc/self/ns/net)
NSI_S=$(ip netns exec $S stat -L -c %i /proc/self/ns/net)
python3 "$NT_ROOT/tests/tools/fleet_check.py" "$D" "client=$NSI_C" "router=$NSI_R" "server=$NSI_S" ||
	nt_fail "stitched journeys differ from the reference (above)"
[ "$NT_FAILED" = 0 ] && nt_pass
exit $NT_FAILED
