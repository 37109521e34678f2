#!/bin/bash
# lib_router.sh - host side of the per-packet truth scenario (tests/e2e/truth_router.sh):
# lib_netns.sh's set-up / teardown plus lib_truth.sh's topology, rulesets and
# traffic (the VM twin tests/vm/guest/truth.sh sources the same lib_truth.sh).
#
#   . tests/e2e/lib_router.sh
#   nt_lib_init truth_router
#   nt_router_topo                   # namespaces c1, c2, r, s (names nt<pid><role>)
#   nt_router_record_start DIR [nft-record options]   # + nft monitor trace in every namespace
#   truth_marker start; truth_traffic DIR; truth_marker end
#   nt_router_record_stop
#   truth_snapshot DIR TAG           # counters (nft -j) and ip -s link of every namespace
#   nt_router_teardown
#
# Rulesets: samples/rulesets/truth-{client1,client2,router,server}.nft (or
# NT_TRUTH_RULES); every namespace has its own nftrace-marking table
# (mark_<role>) at all five hooks, so nft monitor trace sees every packet
# whatever the recorder does.
. "$(dirname "${BASH_SOURCE[0]}")/lib_netns.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib_truth.sh"

NT_TRAFFIC=$NT_ROOT/$NT_O/tests/tools/nt-traffic
TRUTH_TRAFFIC=$NT_TRAFFIC
truth_on_ns() { NT_NSLIST+=("$1"); }
truth_on_pid() { NT_PIDS+=("$1"); }

nt_ns() { truth_ns "$1"; }

# nt_router_topo: fresh topology (after nt_lib_init: names from nt<pid>)
nt_router_topo() {
	TRUTH_PFX=$NT_PFX
	TRUTH_RULES=${NT_TRUTH_RULES:-$NT_ROOT/samples/rulesets}
	truth_topo
}

# nt_router_teardown: delete the scenario's namespaces (for a fresh topology)
nt_router_teardown() {
	local ns keep=() role mine=" "
	truth_teardown
	for role in $TRUTH_ROLES; do mine+="$(truth_ns $role) "; done
	for ns in "${NT_NSLIST[@]}"; do
		case "$mine" in *" $ns "*) ;; *) keep+=("$ns") ;; esac
	done
	NT_NSLIST=("${keep[@]}")
}

# nt_router_record_start DIR [OPTIONS]: nft -a monitor trace in every namespace
# (DIR/mon.<role>; NT_ROUTER_MONITOR=0: none), the recorder in the router
# namespace with --netns c1,c2,s (DIR/rec.ntl); returns when the recorder's
# table is in every namespace.
nt_router_record_start() {
	local dir=$1; shift
	mkdir -p "$dir"
	TRUTH_MON_PIDS=""
	[ "${NT_ROUTER_MONITOR:-1}" = 1 ] && truth_monitors "$dir"
	ip netns exec "$(nt_ns r)" $NT_WRAP "$NT_REC" --netns "$(nt_ns c1),$(nt_ns c2),$(nt_ns s)" \
		--output "$dir/rec.ntl" "$@" > "$dir/rec.out" 2> "$dir/rec.err" &
	NT_REC_PID=$!
	NT_PIDS+=($NT_REC_PID)
	truth_wait_table $NT_REC_PID || return 1
	sleep 0.5
	NT_PROG_IDS=$(grep -hs '^prog_id:' /proc/$NT_REC_PID/fdinfo/* | awk '{print $2}' | sort -u | tr '\n' ' ')
	NT_LINK_IDS=$(grep -hs '^link_id:' /proc/$NT_REC_PID/fdinfo/* | awk '{print $2}' | sort -u | tr '\n' ' ')
	return 0
}

# nt_router_record_stop: SIGINT the recorder (exit code in NT_REC_RC), then the monitors
nt_router_record_stop() {
	sleep 0.5
	kill -INT "$NT_REC_PID" 2>/dev/null
	wait "$NT_REC_PID" 2>/dev/null
	NT_REC_RC=$?
	truth_monitors_stop
}
