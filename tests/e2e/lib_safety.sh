#!/bin/bash
# lib_safety.sh - helpers of the recorder safety / soak tests (sourced; skipped by tests/run.sh).
# Only objects of THIS test's recorder process are checked (other recorders may run
# at the same time): its table "inet nft_record_<pid>" in the host and in every
# namespace, and the BPF programs / links it held (ids from /proc/PID/fdinfo).
#   sf_init NAME                 root, recorder, nft, bpftool; temp dir $SF_T; EXIT trap
#   sf_ns_pair                   $SF_A <-veth-> $SF_B (10.123.X.1 / .2), cleaned up on exit
#   sf_start ARGS...             nft-record -q --netns $SF_A,$SF_B ARGS... in the background;
#                                waits until its table exists in both namespaces; records
#                                the ids of its BPF programs and links ($SF_PROGS, $SF_LINKS)
#   sf_stop SIGNAL               send SIGNAL, wait; exit status in $SF_RC
#   sf_left                      prints what the recorder left behind (empty = clean)
SF_O=${O:-build}
SF_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SF_REC=$SF_ROOT/$SF_O/nft-record
SF_ANA=$SF_ROOT/$SF_O/nft-analyze
SF_NS=()
SF_PID=
SF_MOUNTS=()
SF_EXTRA_PIDS=()   # helper processes (traffic) killed on exit

sf_cleanup() {
	[ -n "$SF_PID" ] && kill -KILL "$SF_PID" 2>/dev/null
	local ns m p
	for p in "${SF_EXTRA_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for m in "${SF_MOUNTS[@]}"; do umount "$m" 2>/dev/null; done
	for ns in "${SF_NS[@]}"; do ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null; ip netns del "$ns" 2>/dev/null; done
	[ -n "${SF_T:-}" ] && rm -rf "$SF_T"
	return 0
}

sf_init() {
	SF_TEST=$1
	[ "$(id -u)" = 0 ] || { echo "SKIP: $SF_TEST: needs root"; exit 0; }
	[ -x "$SF_REC" ] || { echo "SKIP: $SF_TEST: $SF_REC not built (make nft-record)"; exit 0; }
	command -v nft >/dev/null || { echo "SKIP: $SF_TEST: nft not installed"; exit 0; }
	command -v bpftool >/dev/null || { echo "SKIP: $SF_TEST: bpftool not installed"; exit 0; }
	SF_T=$(mktemp -d /tmp/nt_safety.XXXXXX)
	chmod 755 "$SF_T"
	trap sf_cleanup EXIT
	trap 'exit 1' INT TERM
}

sf_ns_pair() {
	local x=$(( ($$ % 200) + 20 ))
	SF_A=ntsf$$a SF_B=ntsf$$b
	SF_A4=10.123.$x.1 SF_B4=10.123.$x.2
	ip netns add "$SF_A" && SF_NS+=("$SF_A")
	ip netns add "$SF_B" && SF_NS+=("$SF_B")
	ip link add vA netns "$SF_A" type veth peer name vB netns "$SF_B" || return 1
	ip -n "$SF_A" link set lo up; ip -n "$SF_B" link set lo up
	ip -n "$SF_A" addr add "$SF_A4/24" dev vA; ip -n "$SF_B" addr add "$SF_B4/24" dev vB
	ip -n "$SF_A" link set vA up; ip -n "$SF_B" link set vB up
	ip netns exec "$SF_A" ping -c1 -W2 "$SF_B4" >/dev/null 2>&1
}

# ids of BPF programs / links held by a process: its fds' fdinfo (prog_id:, link_id:)
# (bpftool's "pids" column needs a bpftool built with its BPF skeletons: not Debian's)
sf_bpf_ids() { # prog|link PID
	cat /proc/"$2"/fdinfo/* 2>/dev/null | awk -v k="$1_id:" '$1 == k { print $2 }' | sort -un | tr '\n' ' '
}

sf_tables_of() { # PID: "host:table ns:table" for every table nft_record_PID
	local ns out=
	nft list tables 2>/dev/null | grep -qw "nft_record_$1" && out="host"
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		ip netns exec "$ns" nft list tables 2>/dev/null | grep -qw "nft_record_$1" && out="$out $ns"
	done
	echo $out
}

sf_start() {
	SF_LOG=${SF_LOG:-$SF_T/rec.ntl}
	"$SF_REC" -q --netns "$SF_A,$SF_B" "$@" >"$SF_T/rec.out" 2>"$SF_T/rec.err" &
	SF_PID=$!
	local i
	for i in $(seq 1 150); do
		if ! kill -0 "$SF_PID" 2>/dev/null; then break; fi
		ip netns exec "$SF_A" nft list tables 2>/dev/null | grep -qw "nft_record_$SF_PID" &&
			ip netns exec "$SF_B" nft list tables 2>/dev/null | grep -qw "nft_record_$SF_PID" && break
		sleep 0.1
	done
	sleep 0.3
	SF_PROGS=$(sf_bpf_ids prog "$SF_PID")
	SF_LINKS=$(sf_bpf_ids link "$SF_PID")
	SF_TABLES=$(sf_tables_of "$SF_PID")
}

sf_stop() {
	kill -"$1" "$SF_PID" 2>/dev/null
	wait "$SF_PID" 2>/dev/null
	SF_RC=$?
	SF_DONE_PID=$SF_PID
	SF_PID=
}

# what the stopped recorder left: its tables, its programs and links (freed
# asynchronously after the last fd closes: allow 3 s)
sf_left() {
	local pid=${SF_DONE_PID:-$SF_PID} i id left
	for i in $(seq 1 30); do
		left=
		t=$(sf_tables_of "$pid"); [ -n "$t" ] && left="tables nft_record_$pid in: $t;"
		for id in $SF_PROGS; do bpftool prog show id "$id" >/dev/null 2>&1 && left="$left prog $id"; done
		for id in $SF_LINKS; do bpftool link show id "$id" >/dev/null 2>&1 && left="$left link $id"; done
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	echo "$left"
}

sf_traffic() { # SECONDS: ping flood-ish traffic A -> B
	ip netns exec "$SF_A" ping -q -i 0.01 -w "$1" "$SF_B4" >/dev/null 2>&1
}
