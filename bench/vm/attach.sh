#!/bin/sh
# bench/vm/attach.sh - attach and exit-to-prompt times of nft-record per
# function backend and function count, inside a test VM (becomes /guest/run.sh
# of an initramfs built by tests/vm/libvm.sh; run by bench/attach.sh).
# One "BENCH attach ..." line per run on the result channel:
#   attach_ms   the backend's own attach time (its report line)
#   ready_ms    nft-record start -> "recording to" (discovery, load, attach, nftrace)
#   exit_ms     SIGINT -> the process has exited (what the operator waits for)
#   gone_ms     SIGINT -> no BPF program of the recording left (the kernel's
#               detach done, possibly after the exit: the background helper
#               has exited, then bpftool shows no nt_* program; at most 30 min)
# Knobs on the kernel command line:
#   nt.bcounts="100,1000,all"   function counts (default)
#   nt.bbackends="fentry,..."   backends (default: every one the kernel has)
#   nt.bskip="fentry:all,..."   backend:count pairs left out (too long under TCG)
. /guest/lib.sh
COUNTS="100 1000 all"; BES=""; SKIP=""
for w in $(cat /proc/cmdline); do
	case $w in
	nt.bcounts=*) COUNTS=$(echo "${w#nt.bcounts=}" | tr , ' ') ;;
	nt.bbackends=*) BES=$(echo "${w#nt.bbackends=}" | tr , ' ') ;;
	nt.bskip=*) SKIP=" $(echo "${w#nt.bskip=}" | tr , ' ') " ;;
	esac
done
W=/tmp/b; mkdir -p $W
B() { echo "BENCH $*" > "${NT_RES:-/dev/stdout}"; echo "BENCH $*"; }
ms() { awk '{printf "%d\n", $1 * 1000}' /proc/uptime; }
load() { cut -d' ' -f1-3 /proc/loadavg | tr ' ' /; }
nprogs() { bpftool prog show 2>/dev/null | grep -c -E ' name nt_'; }

B "kernel=$(uname -r) ncpu=$(grep -c ^processor /proc/cpuinfo)"
if [ -z "$BES" ]; then
	for be in kprobe-multi fentry kprobe; do
		nt-vmprobe $be probe > /dev/null && BES="$BES $be"
	done
fi
info "backends:$BES; counts: $COUNTS"
nft-discover -q -o $W/all.json -c $W/cfg-all.json || { res FAIL bench/discover "nft-discover"; exit 1; }
# what --backend auto picks here, and why (its report line; one function, 1 s)
nft-discover -q -m 1 -c $W/cfg1.json -o $W/all1.json
nft-record -c $W/cfg1.json -d 1 -o $W/auto.ntl --force > /dev/null 2> $W/auto.err
k=0
while [ "$(nprogs)" != 0 ] && [ $k -lt 600 ]; do sleep 0.1; k=$((k + 1)); done
info "auto: $(grep -m1 'nftrace mode' $W/auto.err | sed 's/^nft-record: //')"
for be in $BES; do
	for n in $COUNTS; do
		case "$SKIP" in *" $be:$n "*) info "skipped: $be $n (nt.bskip)"; continue ;; esac
		m=$n; [ $n = all ] && m=0
		nft-discover -q -m $m -c $W/cfg.json -o $W/all2.json
		t0=$(ms)
		nft-record -b $be -c $W/cfg.json -m 100000 -o $W/a.ntl --force > /dev/null 2> $W/a.err &
		pid=$!
		k=0
		while ! grep -q -E 'recording to|error|cannot' $W/a.err && kill -0 $pid 2> /dev/null && [ $k -lt 18000 ]; do
			sleep 0.1; k=$((k + 1))
		done
		t1=$(ms)
		sleep 1
		t2=$(ms)
		kill -INT $pid; wait $pid
		rc=$?
		t3=$(ms)
		# the background helper exits when its detach is done (waiting for
		# it costs nothing; bpftool over ~2,000 programs every 0.1 s would
		# take CPU from the detach), then the programs must be gone
		hp=$(sed -n 's/.*(helper pid \([0-9]*\);.*/\1/p' $W/a.err)
		k=0
		while [ -n "$hp" ] && [ -d /proc/$hp ] && ! grep -q '^State:.*Z' /proc/$hp/status 2> /dev/null &&
			[ $k -lt 18000 ]; do sleep 0.1; k=$((k + 1)); done
		k=0
		while [ "$(nprogs)" != 0 ] && [ $k -lt 3000 ]; do sleep 0.2; k=$((k + 1)); done
		t4=$(ms)
		a=$(sed -n "s/.*$be: \([0-9]*\)\/\([0-9]*\) functions attached in \([0-9.]*\) ms.*/\1 \2 \3/p" $W/a.err)
		bg=$(grep -c 'in the background' $W/a.err)
		set -- ${a:-0 0 0}
		B "attach backend=$be count=$n rc=$rc attached=$1 requested=$2 attach_ms=$3 ready_ms=$((t1 - t0)) exit_ms=$((t3 - t2)) gone_ms=$((t4 - t2)) background=$bg load=$(load)"
		[ $rc = 0 ] || { tail -n 3 $W/a.err; break; }
	done
done
res PASS "bench-attach"
exit 0
