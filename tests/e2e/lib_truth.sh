# lib_truth.sh - the per-packet truth scenario of issue #15, in POSIX sh: the
# host test (tests/e2e/lib_router.sh, bash) and its VM twin
# (tests/vm/guest/truth.sh, dash + busybox) source this same file, so both run
# the same topology, rulesets and traffic.
#
#   c1 (c1r 10.71.1.2 fd71:1::2) --- rc1 \
#                                          r (10.71.1.1 10.71.3.1 10.71.2.1) --- rs --- sr (10.71.2.2 fd71:2::2) s
#   c2 (c2r 10.71.3.2 fd71:3::2) --- rc2 /
#
# Set before use: TRUTH_PFX (namespace name prefix), TRUTH_RULES (directory of
# truth-{client1,client2,router,server}.nft), TRUTH_TRAFFIC (nt-traffic).
# Optional hooks the caller defines: truth_on_ns NAME (a namespace was
# created), truth_on_pid PID (a background process was started).
TRUTH_ROLES="c1 c2 r s"
command -v truth_on_ns >/dev/null 2>&1 || truth_on_ns() { :; }
command -v truth_on_pid >/dev/null 2>&1 || truth_on_pid() { :; }

truth_ns() { echo "${TRUTH_PFX}$1"; }

truth_link() { # NS_A DEV_A NS_B DEV_B
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
}

truth_quiet() { # NS DEV...: no IPv6 autoconf / RS / DAD on the DEVs
	local ns=$1 d cmd=""
	shift
	for d in "$@"; do
		for k in router_solicitations accept_ra autoconf accept_dad; do
			cmd="$cmd echo 0 > /proc/sys/net/ipv6/conf/$d/$k;"
		done
	done
	ip netns exec "$ns" sh -c "$cmd" 2>/dev/null
}

truth_neigh() { # NS_A DEV_A NS_B DEV_B A4 A6 B4 B6: static neighbours both ways
	local ma mb
	ma=$(ip -n "$1" -br link show "$2" | awk '{print $3}')
	mb=$(ip -n "$3" -br link show "$4" | awk '{print $3}')
	printf '%s\n' "neigh replace $7 lladdr $mb dev $2 nud permanent" \
		"neigh replace $8 lladdr $mb dev $2 nud permanent" | ip -n "$1" -batch - &&
	printf '%s\n' "neigh replace $5 lladdr $ma dev $4 nud permanent" \
		"neigh replace $6 lladdr $ma dev $4 nud permanent" | ip -n "$3" -batch -
}

# truth_nft NS FILE: load $TRUTH_RULES/FILE in NS; on failure TRUTH_ERR holds
# the file and nft's error in one line (its message and the rejected input)
truth_nft() {
	local e
	e=$(ip netns exec "$1" nft -f "$TRUTH_RULES/$2" 2>&1) && return 0
	TRUTH_ERR="nft -f $2 in $1: $(printf '%s\n' "$e" | awk 'NR <= 2 { sub(/^[ \t]+/, ""); printf "%s%s", (NR > 1 ? " | " : ""), $0 }' | tr -d '\000-\037')"
	return 1
}

# truth_topo: fresh namespaces, addresses, routes, static neighbours, rulesets
truth_topo() {
	local c1 c2 r s role ns k
	c1=$(truth_ns c1) c2=$(truth_ns c2) r=$(truth_ns r) s=$(truth_ns s)
	TRUTH_ERR=""
	truth_teardown  # what a failed set-up left behind
	for role in $TRUTH_ROLES; do
		ns=$(truth_ns $role)
		ip netns add "$ns" || return 1
		truth_on_ns "$ns"
		ip -n "$ns" link set lo up
		# no IPv6 autoconf, DAD, router solicitations, link-local addresses;
		# the MLD reports of the joins at link up go out at once (1 ms), not
		# spread over a second: only the scenario's traffic is recorded.
		# (One shell per namespace: every exec costs ~0.2 s in a TCG guest.)
		ip netns exec "$ns" sh -c 'c=/proc/sys/net/ipv6/conf
			for k in all default; do
				echo 0 > $c/$k/accept_ra; echo 0 > $c/$k/accept_dad; echo 0 > $c/$k/router_solicitations
			done
			echo 1 > $c/default/addr_gen_mode
			echo 1 > $c/default/mldv1_unsolicited_report_interval
			echo 1 > $c/default/mldv2_unsolicited_report_interval' 2>/dev/null
	done
	truth_link "$c1" c1r "$r" rc1 && truth_link "$c2" c2r "$r" rc2 && truth_link "$s" sr "$r" rs || return 1
	truth_quiet "$c1" c1r; truth_quiet "$c2" c2r; truth_quiet "$s" sr
	truth_quiet "$r" rc1 rc2 rs
	# one `ip -batch` per namespace (execs are slow in a TCG guest)
	printf '%s\n' "addr add 10.71.1.2/24 dev c1r" "addr add fd71:1::2/64 dev c1r nodad" "link set c1r up" \
		"route add default via 10.71.1.1" "route add default via fd71:1::1" | ip -n "$c1" -batch - &&
	printf '%s\n' "addr add 10.71.3.2/24 dev c2r" "addr add fd71:3::2/64 dev c2r nodad" "link set c2r up" \
		"route add default via 10.71.3.1" "route add default via fd71:3::1" | ip -n "$c2" -batch - &&
	printf '%s\n' "addr add 10.71.2.2/24 dev sr" "addr add fd71:2::2/64 dev sr nodad" "link set sr up" \
		"route add default via 10.71.2.1" "route add default via fd71:2::1" | ip -n "$s" -batch - &&
	printf '%s\n' "addr add 10.71.1.1/24 dev rc1" "addr add fd71:1::1/64 dev rc1 nodad" \
		"addr add 10.71.3.1/24 dev rc2" "addr add fd71:3::1/64 dev rc2 nodad" \
		"addr add 10.71.2.1/24 dev rs" "addr add fd71:2::1/64 dev rs nodad" \
		"link set rc1 up" "link set rc2 up" "link set rs up" | ip -n "$r" -batch - || return 1
	ip netns exec "$r" sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward; echo 1 > /proc/sys/net/ipv6/conf/all/forwarding' ||
		return 1
	# static neighbours on both ends of every link: no ARP / NDP in the recordings
	truth_neigh "$c1" c1r "$r" rc1 10.71.1.2 fd71:1::2 10.71.1.1 fd71:1::1 &&
	truth_neigh "$c2" c2r "$r" rc2 10.71.3.2 fd71:3::2 10.71.3.1 fd71:3::1 &&
	truth_neigh "$s" sr "$r" rs 10.71.2.2 fd71:2::2 10.71.2.1 fd71:2::1 || return 1
	truth_nft "$c1" truth-client1.nft && truth_nft "$c2" truth-client2.nft &&
	truth_nft "$r" truth-router.nft && truth_nft "$s" truth-server.nft || return 1
	sleep 0.3  # the MLD reports of the link-up joins are out
	return 0
}

# truth_teardown: delete the scenario's namespaces (the next run starts fresh)
truth_teardown() {
	local role
	for role in $TRUTH_ROLES; do ip netns del "$(truth_ns $role)" 2>/dev/null; done
	return 0
}

# truth_monitors DIR: nft -a monitor trace in every namespace -> DIR/mon.<role>;
# their PIDs in TRUTH_MON_PIDS
truth_monitors() {
	local role
	TRUTH_MON_PIDS=""
	for role in $TRUTH_ROLES; do
		ip netns exec "$(truth_ns $role)" nft -a monitor trace > "$1/mon.$role" 2>&1 &
		TRUTH_MON_PIDS="$TRUTH_MON_PIDS $!"
		truth_on_pid $!
	done
}

truth_monitors_stop() {
	local p
	for p in $TRUTH_MON_PIDS; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	TRUTH_MON_PIDS=""
}

# truth_wait_table PID: until nft-record PID's table is in every namespace
truth_wait_table() {
	local i ok role
	for i in $(seq 1 600); do
		ok=1
		for role in $TRUTH_ROLES; do
			ip netns exec "$(truth_ns $role)" nft list tables 2>/dev/null | grep -q "nft_record_$1" || ok=0
		done
		[ $ok = 1 ] && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# truth_snapshot DIR TAG: counters of every namespace (nft -j list ruleset),
# interface statistics (ip -s -j link) and the namespace inode numbers
truth_snapshot() {
	local dir=$1 tag=$2 role ns sep="" ino
	for role in $TRUTH_ROLES; do
		ns=$(truth_ns $role)
		ip netns exec "$ns" nft -j list ruleset > "$dir/ruleset.$role.$tag.json" 2>/dev/null
		ip -n "$ns" -s -j link show > "$dir/link.$role.$tag.json" 2>/dev/null
	done
	{
		printf '{'
		for role in $TRUTH_ROLES; do
			ino=$(ip netns exec "$(truth_ns $role)" readlink /proc/self/ns/net | tr -dc 0-9)
			printf '%s"%s": %s' "$sep" "$role" "${ino:-0}"
			sep=", "
		done
		printf '}\n'
	} > "$dir/netns.json"
}

# truth_marker start|end: one ping of a marker size from each client to the
# server (IPv4 length 1139 = start, 1140 = end): in every namespace's nft
# monitor output they delimit the window the recorder was listening in
truth_marker() {
	local sz=1111
	[ "$1" = end ] && sz=1112
	ip netns exec "$(truth_ns c1)" ping -c 1 -s $sz -W 2 10.71.2.2 > /dev/null 2>&1
	ip netns exec "$(truth_ns c2)" ping -c 1 -s $sz -W 2 10.71.2.2 > /dev/null 2>&1
}

# one traffic step: NAME CMD... -> "NAME <last output line>" in $TRUTH_OUT
truth_step() {
	local name=$1
	shift
	echo "$name $("$@" 2>&1 | tail -n 1)" >> "$TRUTH_OUT"
	sleep 0.05
}
truth_pingres() { "$@" > /dev/null 2>&1 && echo reply || echo noreply; }

# truth_traffic DIR: the deterministic per-packet traffic; every outcome goes
# to DIR/traffic.txt ("<step> <outcome>").  Fixed source ports everywhere
# (ICMP echo ids are the kernel's).
truth_traffic() {
	local dir=$1 c1 c2 s T=$TRUTH_TRAFFIC tcpsrv udpsrv
	c1=$(truth_ns c1) c2=$(truth_ns c2) s=$(truth_ns s)
	TRUTH_OUT=$dir/traffic.txt
	: > "$TRUTH_OUT"
	ip netns exec "$s" "$T" tcp-serve 80 2 10000 > "$dir/srv.tcp" 2>&1 &
	tcpsrv=$!; truth_on_pid $tcpsrv
	ip netns exec "$s" "$T" udp-recv 5001 60000 reply > "$dir/srv.udp" 2>&1 &
	udpsrv=$!; truth_on_pid $udpsrv
	sleep 0.3
	truth_step ping4 truth_pingres ip netns exec "$c1" ping -c 2 -i 0.2 -W 2 10.71.2.2
	truth_step ping6 truth_pingres ip netns exec "$c1" ping -6 -c 2 -i 0.2 -W 2 fd71:2::2
	truth_step ping4_c2 truth_pingres ip netns exec "$c2" ping -c 1 -W 2 10.71.2.2
	truth_step ping6_c2 truth_pingres ip netns exec "$c2" ping -6 -c 1 -W 2 fd71:2::2
	truth_step ping4_router truth_pingres ip netns exec "$c1" ping -c 1 -W 2 10.71.1.1
	truth_step tcp4_accept ip netns exec "$c1" "$T" tcp-connect 40080 10.71.2.2 80 hello4 3000
	truth_step tcp6_accept ip netns exec "$c1" "$T" tcp-connect 40081 fd71:2::2 80 hello6 3000
	truth_step tcp4_router_rst ip netns exec "$c1" "$T" tcp-connect 40007 10.71.2.2 7 x 3000
	truth_step tcp6_router_rst ip netns exec "$c1" "$T" tcp-connect 40017 fd71:2::2 7 x 3000
	truth_step tcp4_server_rst ip netns exec "$c2" "$T" tcp-connect 40181 10.71.2.2 81 x 3000
	truth_step udp4_accept ip netns exec "$c1" "$T" udp-send 41001 10.71.2.2 5001 1 64 0 1000
	truth_step udp6_accept ip netns exec "$c1" "$T" udp-send 41002 fd71:2::2 5001 1 64 0 1000
	truth_step udp4_server_drop ip netns exec "$c1" "$T" udp-send 41003 10.71.2.2 5002 1
	truth_step udp4_router_drop ip netns exec "$c1" "$T" udp-send 41004 10.71.2.2 9 1
	truth_step udp4_policy_drop ip netns exec "$c2" "$T" udp-send 41005 10.71.2.2 5004 1
	truth_step udp4_server_reject ip netns exec "$c1" "$T" udp-send 41006 10.71.2.2 5003 1
	truth_step udp6_server_reject ip netns exec "$c1" "$T" udp-send 41007 fd71:2::2 5003 1
	truth_step frag4 truth_pingres ip netns exec "$c1" ping -c 1 -s 3000 -W 2 10.71.2.2
	truth_step frag6 truth_pingres ip netns exec "$c1" ping -6 -c 1 -s 3000 -W 2 fd71:2::2
	truth_step udp4_server_output_drop ip netns exec "$s" "$T" udp-send 42000 10.71.1.2 6000 1
	truth_step udp6_server_output_drop ip netns exec "$s" "$T" udp-send 42001 fd71:1::2 6000 1
	truth_step udp4_client_output_drop ip netns exec "$c1" "$T" udp-send 41008 10.71.2.2 6001 1
	kill -TERM $udpsrv 2>/dev/null
	wait $tcpsrv $udpsrv 2>/dev/null
	echo "server_tcp $(tail -n 1 "$dir/srv.tcp")" >> "$TRUTH_OUT"
	echo "server_udp $(tail -n 1 "$dir/srv.udp")" >> "$TRUTH_OUT"
}

# what truth_traffic must do (else the scenario, not the recorder, is broken)
TRUTH_EXPECT="ping4 reply
ping6 reply
ping4_c2 reply
ping6_c2 reply
ping4_router reply
tcp4_accept reply ok 6
tcp6_accept reply ok 6
tcp4_router_rst refused
tcp6_router_rst refused
tcp4_server_rst refused
udp4_accept sent 1 failed 0 replies 1
udp6_accept sent 1 failed 0 replies 1
udp4_server_drop sent 1 failed 0 replies 0
udp4_router_drop sent 1 failed 0 replies 0
udp4_policy_drop sent 1 failed 0 replies 0
udp4_server_reject sent 1 failed 0 replies 0
udp6_server_reject sent 1 failed 0 replies 0
frag4 reply
frag6 reply
udp4_server_output_drop sent 0 failed 1 replies 0 errno EPERM
udp6_server_output_drop sent 0 failed 1 replies 0 errno EPERM
udp4_client_output_drop sent 0 failed 1 replies 0 errno EPERM
server_tcp served 2
server_udp received 2 replied 2"

# truth_traffic_check DIR: prints every step whose outcome is not the expected one
truth_traffic_check() {
	echo "$TRUTH_EXPECT" | while read -r name want; do
		got=$(sed -n "s/^$name //p" "$1/traffic.txt")
		case "$got" in "$want"*) ;; *) echo "$name: '$got' (want '$want')" ;; esac
	done
}

# truth_flood DIR COUNT PPS: COUNT UDP datagrams c1:41100 -> s:5001 paced at
# PPS; the sender's and the receiver's own counts go to DIR/flood.txt
truth_flood() {
	local dir=$1 rcv
	ip netns exec "$(truth_ns s)" "$TRUTH_TRAFFIC" udp-recv 5001 3000 > "$dir/flood.recv" 2>&1 &
	rcv=$!; truth_on_pid $rcv
	sleep 0.3
	ip netns exec "$(truth_ns c1)" "$TRUTH_TRAFFIC" udp-send 41100 10.71.2.2 5001 "$2" 64 "$3" > "$dir/flood.send" 2>&1
	wait $rcv
	{
		echo "ports 41100 5001"
		echo "sender $(tail -n 1 "$dir/flood.send")"
		echo "receiver $(tail -n 1 "$dir/flood.recv")"
	} > "$dir/flood.txt"
}
