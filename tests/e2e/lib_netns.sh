#!/bin/bash
# lib_netns.sh - shared setup / teardown of the nft-record e2e scenarios.
#
#   . tests/e2e/lib_netns.sh
#   nt_lib_init record_drop          # names, trap, skip when not root
#   nt_ns_pair                       # $NSA <-veth-> $NSB, 10.99.X.1/.2, fd99:X::1/::2
#   nt_ns_ruleset $NSB samples/rulesets/drop.nft
#   nt_record_start $NSA $NSB -- [nft-record options]   # + nft monitor trace per ns
#   ... traffic ...
#   nt_record_stop                   # SIGINT, wait; $NT_LOG, $NT_MON_<ns>
#   nt_assert_clean                  # no nft_record_* table, no BPF program of ours
# Every namespace / process created here is removed by the EXIT trap.

NT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NT_O=${O:-build}
NT_REC=$NT_ROOT/$NT_O/nft-record
NT_ANA=$NT_ROOT/$NT_O/nft-analyze
NT_PIDS=()
NT_NSLIST=()

nt_pass() { echo "PASS: $NT_TEST${1:+: $1}"; }
nt_fail() { echo "FAIL: $NT_TEST: $*"; NT_FAILED=1; }
nt_skip() { echo "SKIP: $NT_TEST: $*"; exit 0; }

nt_cleanup() {
	local p ns
	for p in "${NT_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.2
	for p in "${NT_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	for ns in "${NT_NSLIST[@]}"; do ip netns del "$ns" 2>/dev/null; done
	[ -n "$NT_TMP" ] && [ -z "$NT_KEEP" ] && rm -rf "$NT_TMP"
	return 0
}

# nt_lib_init NAME: test name, temp dir, namespace prefix, trap
nt_lib_init() {
	NT_TEST=$1
	NT_FAILED=0
	[ "$(id -u)" = 0 ] || nt_skip "needs root"
	[ -x "$NT_REC" ] || nt_skip "$NT_REC not built"
	#[ -x "$NT_ANA" ] || nt_skip "$NT_ANA not built"
	command -v nft >/dev/null || nt_skip "nft not installed"
	NT_TMP=$(mktemp -d /tmp/nt-e2e.XXXXXX)
	NT_PFX="nt$$"
	trap nt_cleanup EXIT
	trap 'exit 1' INT TERM
}

# nt_ns_pair [SUBNET_OCTET]: NSA, NSB joined by veth; IPv4 + IPv6 addresses
nt_ns_pair() {
	local x=${1:-99}
	NSA=${NT_PFX}a NSB=${NT_PFX}b
	A4=10.$x.0.1 B4=10.$x.0.2 A6=fd$x::1 B6=fd$x::2
	ip netns add "$NSA" && NT_NSLIST+=("$NSA")
	ip netns add "$NSB" && NT_NSLIST+=("$NSB")
	ip link add vA netns "$NSA" type veth peer name vB netns "$NSB" || return 1
	ip -n "$NSA" link set lo up; ip -n "$NSB" link set lo up
	ip -n "$NSA" addr add "$A4/24" dev vA
	ip -n "$NSB" addr add "$B4/24" dev vB
	ip -n "$NSA" addr add "$A6/64" dev vA nodad
	ip -n "$NSB" addr add "$B6/64" dev vB nodad
	ip -n "$NSA" link set vA up; ip -n "$NSB" link set vB up
	# no router solicitations / MLD noise from IPv6 autoconf
	ip netns exec "$NSA" sysctl -qw net.ipv6.conf.vA.router_solicitations=0 2>/dev/null
	ip netns exec "$NSB" sysctl -qw net.ipv6.conf.vB.router_solicitations=0 2>/dev/null
	# resolve neighbours before recording so ARP / NDP do not interleave
	ip netns exec "$NSA" ping -c1 -W1 "$B4" >/dev/null 2>&1
	ip netns exec "$NSA" ping -6 -c1 -W1 "$B6" >/dev/null 2>&1
	ip -n "$NSA" neigh replace "$B4" lladdr "$(ip -n "$NSB" -br link show vB | awk '{print $3}')" dev vA nud permanent
	ip -n "$NSB" neigh replace "$A4" lladdr "$(ip -n "$NSA" -br link show vA | awk '{print $3}')" dev vB nud permanent
	ip -n "$NSA" neigh replace "$B6" lladdr "$(ip -n "$NSB" -br link show vB | awk '{print $3}')" dev vA nud permanent
	ip -n "$NSB" neigh replace "$A6" lladdr "$(ip -n "$NSA" -br link show vA | awk '{print $3}')" dev vB nud permanent
	return 0
}

# nt_ns_ruleset NS FILE: load a sample ruleset into NS
nt_ns_ruleset() {
	ip netns exec "$1" nft -f "$2"
}

# nt_record_start NS... -- OPTIONS: start nft monitor trace in each NS and the recorder
nt_record_start() {
	local nss=() ns
	while [ $# -gt 0 ] && [ "$1" != -- ]; do nss+=("$1"); shift; done
	[ "$1" = -- ] && shift
	NT_LOG=$NT_TMP/rec.ntl
	for ns in "${nss[@]}"; do
		ip netns exec "$ns" nft -a monitor trace > "$NT_TMP/mon.$ns" 2>&1 &
		NT_PIDS+=($!)
	done
	local nsopt
	nsopt=$(IFS=,; echo "${nss[*]}")
	$NT_WRAP "$NT_REC" -q --netns "$nsopt" --output "$NT_LOG" "$@" > "$NT_TMP/rec.out" 2> "$NT_TMP/rec.err" &
	NT_REC_PID=$!
	NT_PIDS+=($NT_REC_PID)
	# ready when the trace table exists in every namespace
	local i
	for i in $(seq 1 100); do
		local ok=1
		for ns in "${nss[@]}"; do
			ip netns exec "$ns" nft list tables 2>/dev/null | grep -q "nft_record_$NT_REC_PID" || ok=0
		done
		[ $ok = 1 ] && break
		kill -0 $NT_REC_PID 2>/dev/null || break
		sleep 0.1
	done
	sleep 0.3
}

# nt_record_stop [SIGNAL]: stop the recorder (default INT) and the monitors
nt_record_stop() {
	local sig=${1:-INT} p
	sleep 0.5
	kill -"$sig" "$NT_REC_PID" 2>/dev/null
	wait "$NT_REC_PID"
	NT_REC_RC=$?
	for p in "${NT_PIDS[@]}"; do
		[ "$p" = "$NT_REC_PID" ] && continue
		kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null
	done
	NT_PIDS=()
}

# nt_assert_clean: no recorder table in any namespace, no BPF program of ours loaded
nt_assert_clean() {
	local ns left
	for ns in "" "${NT_NSLIST[@]}"; do
		if [ -z "$ns" ]; then left=$(nft list tables 2>/dev/null | grep nft_record_)
		else left=$(ip netns exec "$ns" nft list tables 2>/dev/null | grep nft_record_); fi
		[ -z "$left" ] || { nt_fail "table left behind in netns '${ns:-host}': $left"; return 1; }
	done
	if command -v bpftool >/dev/null; then
		left=$(bpftool prog list 2>/dev/null | grep -E "nt_tp_|nt_nl_stamp|nt_fn_|nt_kp" )
		[ -z "$left" ] || { nt_fail "BPF programs left behind: $left"; return 1; }
	fi
	return 0
}
