#!/bin/bash
# lib_router.sh - the three-namespace router topology of the per-packet truth
# test (tests/e2e/truth_router.sh; the VM twin tests/vm/guest/truth.sh builds
# the same topology with the same rulesets and traffic).
#
#   . tests/e2e/lib_router.sh        # also sources lib_netns.sh
#   nt_lib_init truth_router
#   nt_router_topo                   # namespaces c1, c2, r, s (names nt<pid><role>)
#   nt_router_record_start DIR [nft-record options]   # monitors in every namespace
#   nt_router_traffic DIR            # the deterministic per-packet traffic
#   nt_router_record_stop
#   nt_router_snapshot DIR TAG       # counters (nft -j) and ip -s link of every namespace
#
#   c1 (c1r 10.71.1.2 fd71:1::2) --- rc1 \
#                                          r (10.71.1.1 10.71.3.1 10.71.2.1) --- rs --- sr (10.71.2.2 fd71:2::2) s
#   c2 (c2r 10.71.3.2 fd71:3::2) --- rc2 /
#
# Rulesets: samples/rulesets/truth-{client1,client2,router,server}.nft; every
# namespace has its own nftrace-marking table (mark_<role>) at all five hooks,
# so nft monitor trace sees every packet whatever the recorder does.
. "$(dirname "${BASH_SOURCE[0]}")/lib_netns.sh"

NT_TRAFFIC=$NT_ROOT/$NT_O/tests/tools/nt-traffic
NT_ROLES="c1 c2 r s"

# namespace name of a role
nt_ns() { echo "${NT_PFX}$1"; }

nt_router_link() { # NS_A DEV_A NS_B DEV_B
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
}

nt_router_quiet() { # NS DEV: no IPv6 autoconf / RS noise on DEV
	ip netns exec "$1" sysctl -qw net.ipv6.conf."$2".router_solicitations=0 \
		net.ipv6.conf."$2".accept_ra=0 net.ipv6.conf."$2".autoconf=0 2>/dev/null
}

# nt_router_topo: fresh namespaces, addresses, routes, static neighbours,
# rulesets.  Returns non-zero on failure.
nt_router_topo() {
	local c1 c2 r s role ns
	c1=$(nt_ns c1) c2=$(nt_ns c2) r=$(nt_ns r) s=$(nt_ns s)
	for role in $NT_ROLES; do
		ns=$(nt_ns $role)
		ip netns add "$ns" && NT_NSLIST+=("$ns") || return 1
		ip -n "$ns" link set lo up
		# no IPv6 autoconf, DAD, router solicitations, link-local addresses;
		# MLD reports of the joins at link up are sent at once (1 ms), not
		# spread over a second: nothing but the scenario's traffic is recorded
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
			net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.addr_gen_mode=1 \
			net.ipv6.conf.default.mldv1_unsolicited_report_interval=1 \
			net.ipv6.conf.default.mldv2_unsolicited_report_interval=1 >/dev/null 2>&1
	done
	nt_router_link "$c1" c1r "$r" rc1 && nt_router_link "$c2" c2r "$r" rc2 &&
		nt_router_link "$s" sr "$r" rs || return 1
	ip -n "$c1" addr add 10.71.1.2/24 dev c1r && ip -n "$c1" addr add fd71:1::2/64 dev c1r nodad &&
	ip -n "$c2" addr add 10.71.3.2/24 dev c2r && ip -n "$c2" addr add fd71:3::2/64 dev c2r nodad &&
	ip -n "$s" addr add 10.71.2.2/24 dev sr && ip -n "$s" addr add fd71:2::2/64 dev sr nodad &&
	ip -n "$r" addr add 10.71.1.1/24 dev rc1 && ip -n "$r" addr add fd71:1::1/64 dev rc1 nodad &&
	ip -n "$r" addr add 10.71.3.1/24 dev rc2 && ip -n "$r" addr add fd71:3::1/64 dev rc2 nodad &&
	ip -n "$r" addr add 10.71.2.1/24 dev rs && ip -n "$r" addr add fd71:2::1/64 dev rs nodad || return 1
	nt_router_quiet "$c1" c1r; nt_router_quiet "$c2" c2r; nt_router_quiet "$s" sr
	nt_router_quiet "$r" rc1; nt_router_quiet "$r" rc2; nt_router_quiet "$r" rs
	ip -n "$c1" link set c1r up && ip -n "$c2" link set c2r up && ip -n "$s" link set sr up &&
	ip -n "$r" link set rc1 up && ip -n "$r" link set rc2 up && ip -n "$r" link set rs up || return 1
	ip -n "$c1" route add default via 10.71.1.1 && ip -n "$c1" -6 route add default via fd71:1::1 &&
	ip -n "$c2" route add default via 10.71.3.1 && ip -n "$c2" -6 route add default via fd71:3::1 &&
	ip -n "$s" route add default via 10.71.2.1 && ip -n "$s" -6 route add default via fd71:2::1 || return 1
	ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 || return 1
	# static neighbours on both ends of every link: no ARP / NDP in the recordings
	nt_router_neigh "$c1" c1r "$r" rc1 10.71.1.2 fd71:1::2 10.71.1.1 fd71:1::1 &&
	nt_router_neigh "$c2" c2r "$r" rc2 10.71.3.2 fd71:3::2 10.71.3.1 fd71:3::1 &&
	nt_router_neigh "$s" sr "$r" rs 10.71.2.2 fd71:2::2 10.71.2.1 fd71:2::1 || return 1
	local rules=${NT_TRUTH_RULES:-$NT_ROOT/samples/rulesets}
	nt_ns_ruleset "$c1" "$rules/truth-client1.nft" &&
	nt_ns_ruleset "$c2" "$rules/truth-client2.nft" &&
	nt_ns_ruleset "$r" "$rules/truth-router.nft" &&
	nt_ns_ruleset "$s" "$rules/truth-server.nft" || return 1
	sleep 0.3  # the MLD reports of the link-up joins are out
	return 0
}

# nt_router_teardown: delete the scenario's namespaces (for a fresh topology)
nt_router_teardown() {
	local role ns keep=()
	for role in $NT_ROLES; do ip netns del "$(nt_ns $role)" 2>/dev/null; done
	for ns in "${NT_NSLIST[@]}"; do
		case " $(for role in $NT_ROLES; do printf '%s ' "$(nt_ns $role)"; done)" in
		*" $ns "*) ;;
		*) keep+=("$ns") ;;
		esac
	done
	NT_NSLIST=("${keep[@]}")
}

# nt_router_marker start|end: one ping of a marker size from each client to
# the server (IPv4 length 1139 = start, 1140 = end): they delimit, in every
# namespace's nft monitor output, the window the recorder was listening in
nt_router_marker() {
	local sz=1111
	[ "$1" = end ] && sz=1112
	ip netns exec "$(nt_ns c1)" ping -c 1 -s $sz -W 1 10.71.2.2 > /dev/null 2>&1
	ip netns exec "$(nt_ns c2)" ping -c 1 -s $sz -W 1 10.71.2.2 > /dev/null 2>&1
}

nt_router_neigh() { # NS_A DEV_A NS_B DEV_B A4 A6 B4 B6
	local ma mb
	ma=$(ip -n "$1" -br link show "$2" | awk '{print $3}')
	mb=$(ip -n "$3" -br link show "$4" | awk '{print $3}')
	ip -n "$1" neigh replace "$7" lladdr "$mb" dev "$2" nud permanent &&
	ip -n "$1" neigh replace "$8" lladdr "$mb" dev "$2" nud permanent &&
	ip -n "$3" neigh replace "$5" lladdr "$ma" dev "$4" nud permanent &&
	ip -n "$3" neigh replace "$6" lladdr "$ma" dev "$4" nud permanent
}

# nt_router_record_start DIR [OPTIONS]: nft -a monitor trace in every namespace
# (DIR/mon.<role>), the recorder in the router namespace with --netns c1,c2,s
# (DIR/rec.ntl); returns when the recorder's table is in every namespace.
nt_router_record_start() {
	local dir=$1 role ns i ok; shift
	mkdir -p "$dir"
	NT_MON_PIDS=()
	[ "${NT_ROUTER_MONITOR:-1}" = 1 ] && for role in $NT_ROLES; do
		ip netns exec "$(nt_ns $role)" nft -a monitor trace > "$dir/mon.$role" 2>&1 &
		NT_MON_PIDS+=($!); NT_PIDS+=($!)
	done
	ip netns exec "$(nt_ns r)" $NT_WRAP "$NT_REC" --netns "$(nt_ns c1),$(nt_ns c2),$(nt_ns s)" \
		--output "$dir/rec.ntl" "$@" > "$dir/rec.out" 2> "$dir/rec.err" &
	NT_REC_PID=$!
	NT_PIDS+=($NT_REC_PID)
	for i in $(seq 1 150); do
		ok=1
		for role in $NT_ROLES; do
			ip netns exec "$(nt_ns $role)" nft list tables 2>/dev/null | grep -q "nft_record_$NT_REC_PID" || ok=0
		done
		[ $ok = 1 ] && break
		kill -0 $NT_REC_PID 2>/dev/null || break
		sleep 0.1
	done
	sleep 0.5
	NT_PROG_IDS=$(grep -hs '^prog_id:' /proc/$NT_REC_PID/fdinfo/* | awk '{print $2}' | sort -u | tr '\n' ' ')
	NT_LINK_IDS=$(grep -hs '^link_id:' /proc/$NT_REC_PID/fdinfo/* | awk '{print $2}' | sort -u | tr '\n' ' ')
	[ $ok = 1 ]
}

# nt_router_record_stop: SIGINT the recorder (NT_REC_RC), then the monitors
nt_router_record_stop() {
	local p
	sleep 0.5
	kill -INT "$NT_REC_PID" 2>/dev/null
	wait "$NT_REC_PID" 2>/dev/null
	NT_REC_RC=$?
	for p in "${NT_MON_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	NT_MON_PIDS=()
}

# nt_router_snapshot DIR TAG: counters of every namespace (nft -j list ruleset)
# and interface statistics (ip -s -j link), plus the namespace inode numbers
nt_router_snapshot() {
	local dir=$1 tag=$2 role ns
	for role in $NT_ROLES; do
		ns=$(nt_ns $role)
		ip netns exec "$ns" nft -j list ruleset > "$dir/ruleset.$role.$tag.json" 2>/dev/null
		ip -n "$ns" -s -j link show > "$dir/link.$role.$tag.json" 2>/dev/null
	done
	{
		printf '{'
		local sep=""
		for role in $NT_ROLES; do
			printf '%s"%s": %s' "$sep" "$role" "$(ip netns exec "$(nt_ns $role)" stat -L -c %i /proc/self/ns/net)"
			sep=", "
		done
		printf '}\n'
	} > "$dir/netns.json"
}

# nt_router_traffic DIR: the deterministic per-packet traffic; every outcome is
# written to DIR/traffic.txt ("<step> <outcome>") for the checker.  Fixed
# source ports everywhere (ICMP echo ids are chosen by the kernel).
nt_router_traffic() {
	local dir=$1 c1 c2 s T=$NT_TRAFFIC out=$1/traffic.txt
	c1=$(nt_ns c1) c2=$(nt_ns c2) s=$(nt_ns s)
	: > "$out"
	ip netns exec "$s" "$T" tcp-serve 80 2 5000 > "$dir/srv.tcp" 2>&1 &
	NT_PIDS+=($!); local tcpsrv=$!
	ip netns exec "$s" "$T" udp-recv 5001 30000 reply > "$dir/srv.udp" 2>&1 &
	NT_PIDS+=($!); local udpsrv=$!
	sleep 0.3
	step() { # NAME CMD...: run, record the last output line
		local name=$1; shift
		echo "$name $("$@" 2>&1 | tail -n1)" >> "$out"
		sleep 0.05
	}
	pingres() { "$@" > /dev/null 2>&1 && echo reply || echo noreply; }
	step ping4 pingres ip netns exec "$c1" ping -c 2 -i 0.2 -W 1 10.71.2.2
	step ping6 pingres ip netns exec "$c1" ping -6 -c 2 -i 0.2 -W 1 fd71:2::2
	step ping4_c2 pingres ip netns exec "$c2" ping -c 1 -W 1 10.71.2.2
	step ping6_c2 pingres ip netns exec "$c2" ping -6 -c 1 -W 1 fd71:2::2
	step ping4_router pingres ip netns exec "$c1" ping -c 1 -W 1 10.71.1.1
	step tcp4_accept ip netns exec "$c1" "$T" tcp-connect 40080 10.71.2.2 80 hello4 2000
	step tcp6_accept ip netns exec "$c1" "$T" tcp-connect 40081 fd71:2::2 80 hello6 2000
	step tcp4_router_rst ip netns exec "$c1" "$T" tcp-connect 40007 10.71.2.2 7 x 2000
	step tcp6_router_rst ip netns exec "$c1" "$T" tcp-connect 40017 fd71:2::2 7 x 2000
	step tcp4_server_rst ip netns exec "$c2" "$T" tcp-connect 40181 10.71.2.2 81 x 2000
	step udp4_accept ip netns exec "$c1" "$T" udp-send 41001 10.71.2.2 5001 1 64 0 500
	step udp6_accept ip netns exec "$c1" "$T" udp-send 41002 fd71:2::2 5001 1 64 0 500
	step udp4_server_drop ip netns exec "$c1" "$T" udp-send 41003 10.71.2.2 5002 1
	step udp4_router_drop ip netns exec "$c1" "$T" udp-send 41004 10.71.2.2 9 1
	step udp4_policy_drop ip netns exec "$c2" "$T" udp-send 41005 10.71.2.2 5004 1
	step udp4_server_reject ip netns exec "$c1" "$T" udp-send 41006 10.71.2.2 5003 1
	step udp6_server_reject ip netns exec "$c1" "$T" udp-send 41007 fd71:2::2 5003 1
	step frag4 pingres ip netns exec "$c1" ping -c 1 -s 3000 -W 1 10.71.2.2
	step frag6 pingres ip netns exec "$c1" ping -6 -c 1 -s 3000 -W 1 fd71:2::2
	step udp4_server_output_drop ip netns exec "$s" "$T" udp-send 42000 10.71.1.2 6000 1
	step udp6_server_output_drop ip netns exec "$s" "$T" udp-send 42001 fd71:1::2 6000 1
	step udp4_client_output_drop ip netns exec "$c1" "$T" udp-send 41008 10.71.2.2 6001 1
	kill -TERM $udpsrv 2>/dev/null
	wait $tcpsrv $udpsrv 2>/dev/null
	echo "server_tcp $(tail -n1 "$dir/srv.tcp")" >> "$out"
	echo "server_udp $(tail -n1 "$dir/srv.udp")" >> "$out"
}

# nt_router_flood DIR COUNT PPS: COUNT UDP datagrams c1:41100 -> s:5001 paced
# at PPS; the sender's and the receiver's own counts go to DIR/flood.txt
nt_router_flood() {
	local dir=$1 n=$2 pps=$3 rcv
	ip netns exec "$(nt_ns s)" "$NT_TRAFFIC" udp-recv 5001 2000 > "$dir/flood.recv" 2>&1 &
	rcv=$!; NT_PIDS+=($rcv)
	sleep 0.2
	ip netns exec "$(nt_ns c1)" "$NT_TRAFFIC" udp-send 41100 10.71.2.2 5001 "$n" 64 "$pps" > "$dir/flood.send" 2>&1
	wait $rcv
	{
		echo "ports 41100 5001"
		echo "sender $(tail -n1 "$dir/flood.send")"
		echo "receiver $(tail -n1 "$dir/flood.recv")"
	} > "$dir/flood.txt"
}
