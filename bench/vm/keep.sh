#!/bin/sh
# bench/vm/keep.sh - issue #19's cost table in function mode, inside a test VM
# (becomes /guest/run.sh of an initramfs built by tests/vm/libvm.sh; started
# by bench/keep.sh with BENCH_VM=SPEC).  The traffic of bench/keep.sh (iperf3
# TCP a -> b, -P 2, and 64-byte UDP to port 9999 of which a rule drops 1 %:
# iperf3 -u at 2000 datagrams/s) three ways: untraced, a full recording,
# --keep drop --keep-kernel, with the backend --backend auto picks and 40 functions of
# nft-discover.  One "BENCH keep ..." line per way on the result channel:
#   mbps     iperf3 TCP throughput     cpu_s   recorder utime + stime
#   bytes    log size                  secs    recording length
#   seen / kept / disc (--keep summary), kdisc (discarded in the kernel)
#   cpu_t    recorder utime + stime during the traffic only (attach excluded)
#   bytes_t  bytes the log grew by during the traffic (BT s; the log is
#            flushed each second): without its fixed part (snapshots)
#   bpf_ms / bpf_runs  run time and runs of the nt_* BPF programs during the
#            traffic (kernel.bpf_stats_enabled: ns per run per program)
# and "BENCH keepline ..." lines: the recorder's --keep summary lines.
# Knobs on the kernel command line: nt.bt=SECONDS per way (default 8),
# nt.br=ROUNDS (default 1): the ways run in turn ROUNDS times (TCG runs all
# vCPUs in one host thread: the host's load changes what a way gets, rounds
# spread that over the ways).  With an nft-record-old in the image (bench/keep.sh
# BENCH_KEEP_OLD=path): a fourth way, "keepold", --keep drop --keep-kernel with
# that build (before / after a change, side by side).  nt.bw=WAY,WAY...
# (bench/keep.sh BENCH_KEEP_WAYS) adds floors after those ways, each a full
# recording whose programs do less and record nothing (nft-record's
# NT_BENCH_FLOOR, bpf/keep.bpf.h nt_floor): floor-attach (every program
# returns at once: the probes' own cost), floor-lookup (the skb's state looked
# up, nothing more), floor-track (the whole tracking, --keep-kernel, records
# built but neither kept nor sent).  "BENCH keepprog ..." lines: per way and
# program name (clones summed) the BPF run time and runs during the traffic.
. /guest/lib.sh
. /guest/blib.sh # bench/vm/lib.sh: W, B, bench_pair
BT=8 BR=1 BW=""
for w in $(cat /proc/cmdline); do
	case $w in nt.bt=*) BT=${w#nt.bt=} ;; nt.br=*) BR=${w#nt.br=} ;; nt.bw=*) BW=$(echo ${w#nt.bw=} | tr , ' ') ;; esac
done

bench_pair
ip netns exec b nft -f - <<'EOF' || { res FAIL bench/ruleset "nft"; exit 1; }
table inet bench {
	chain input {
		type filter hook input priority filter; policy accept;
		udp dport 9999 numgen random mod 100 0 counter drop
		udp dport 9999 counter accept
		tcp dport { 5201, 9999 } counter accept
	}
}
EOF
ip netns exec b iperf3 -s -D
ip netns exec b iperf3 -s -p 9999 -D
sleep 1
BE=""
for be in kprobe-multi fentry kprobe; do nt-vmprobe $be probe > /dev/null 2>&1 && { BE=$be; break; }; done
command -v nt-vmprobe > /dev/null || BE=kprobe-multi
nft-discover -q -m 40 -c $W/cfg.json -o $W/all.json || { res FAIL bench/discover "nft-discover"; exit 1; }
B "kernel=$(uname -r) backend=$BE bt=$BT clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)"

echo 1 > /proc/sys/kernel/bpf_stats_enabled 2>/dev/null
# the nt_* programs' run time (ns) and runs, summed: "NS RUNS"
bpfrt() {
	bpftool prog show 2>/dev/null | awk '/ name nt_/ { for (i = 1; i < NF; i++) { if ($i == "run_time_ns") t += $(i + 1); if ($i == "run_cnt") c += $(i + 1) } }
		END { printf "%.0f %.0f\n", t, c }'
}
# the same per program name: "NAME NS RUNS" lines
bpfprogs() {
	bpftool prog show 2>/dev/null | awk '/ name nt_/ { n = ""; for (i = 1; i < NF; i++) { if ($i == "name") n = $(i + 1); if ($i == "run_time_ns") t[n] += $(i + 1); if ($i == "run_cnt") c[n] += $(i + 1) } }
		END { for (n in t) printf "%s %.0f %.0f\n", n, t[n], c[n] }' | sort
}
pcpu() { # PID -> utime + stime in clock ticks
	cut -d' ' -f14,15 /proc/$1/stat 2>/dev/null | awk '{ print $1 + $2 }'
}
way() { # NAME ROUND RECORDER [recorder options]
	name=$1 round=$2 rec=$3; shift 3
	rp=""
	if [ $name != none ]; then
		rm -f $W/$name.ntl
		$rec -b $BE -c $W/cfg.json -n a -n b -o $W/$name.ntl "$@" > $W/$name.out 2> $W/$name.err &
		rp=$!
		k=0
		while ! grep -q 'recording to' $W/$name.err && kill -0 $rp 2>/dev/null && [ $k -lt 1500 ]; do
			sleep 0.2; k=$((k + 1))
		done
		sleep 1
	fi
	set -- $(bpfrt); rt0=$1 rc0=$2
	bpfprogs > $W/progs0
	c0=0; [ -n "$rp" ] && c0=$(pcpu $rp)
	b0=0; [ -n "$rp" ] && b0=$(wc -c < $W/$name.ntl) # the log's fixed part (snapshots), flushed each second
	ip netns exec a iperf3 -c 10.98.0.2 -p 9999 -u -b 600k -l 36 -t $BT > /dev/null 2>&1 &
	up=$!
	mbps=$(ip netns exec a iperf3 -c 10.98.0.2 -t $BT -P 2 -f m 2> /dev/null | awk '/SUM.*receiver/ {print $(NF-2)}')
	wait $up
	set -- $(bpfrt); bms=$(awk -v a=$rt0 -v b=$1 'BEGIN { printf "%.1f", (b - a) / 1e6 }'); bruns=$(($2 - rc0))
	bpfprogs | awk 'NR == FNR { t[$1] = $2; c[$1] = $3; next } $3 > c[$1] { printf "%s %.0f %d\n", $1, $2 - t[$1], $3 - c[$1] }' $W/progs0 - |
		while read -r pn pt pc; do B "keepprog way=$name round=$round prog=$pn ns=$pt runs=$pc"; done
	ctk=0; [ -n "$rp" ] && ctk=$(( $(pcpu $rp) - c0 ))
	bt=0; [ -n "$rp" ] && bt=$(( $(wc -c < $W/$name.ntl) - b0 ))
	cput=$(awk -v u=$ctk -v t=$(getconf CLK_TCK 2>/dev/null || echo 100) 'BEGIN { printf "%.2f", u / t }')
	cpu=0 bytes=0 secs=$BT seen=- kept=- disc=- kdisc=-
	if [ -n "$rp" ]; then
		sleep 1
		set -- $(cut -d' ' -f14,15 /proc/$rp/stat)
		cpu=$(awk -v u=$1 -v s=$2 -v t=$(getconf CLK_TCK 2>/dev/null || echo 100) 'BEGIN { printf "%.2f", (u + s) / t }')
		kill -INT $rp; wait $rp
		bytes=$(wc -c < $W/$name.ntl)
		secs=$(sed -n 's/.* bytes, \([0-9.]*\) s -> .*/\1/p' $W/$name.err)
		set -- $(sed -n 's/.*--keep [^:]*: \([0-9]*\) packets ended, \([0-9]*\) kept, \([0-9]*\) discarded.*/\1 \2 \3/p' $W/$name.err) - - -
		seen=$1 kept=$2 disc=$3
		kdisc=$(sed -n 's/.*--keep in the kernel: \([0-9]*\) packets discarded there.*/\1/p' $W/$name.err)
		grep -- '--keep' $W/$name.err | cut -c1-400 | while read -r l; do B "keepline $name: $l"; done
	fi
	B "keep way=$name round=$round mbps=${mbps:-0} cpu_s=$cpu cpu_t=$cput bpf_ms=$bms bpf_runs=$bruns bytes_t=$bt bytes=$bytes secs=${secs:-$BT} seen=$seen kept=$kept disc=$disc kdisc=${kdisc:--}"
}
r=1
while [ $r -le $BR ]; do
	way none $r nft-record
	way full $r nft-record
	way keep $r nft-record --keep drop --keep-kernel
	command -v nft-record-old > /dev/null && way keepold $r nft-record-old --keep drop --keep-kernel
	for f in $BW; do
		case $f in
		floor-attach) way $f $r "env NT_BENCH_FLOOR=attach nft-record" ;;
		floor-lookup) way $f $r "env NT_BENCH_FLOOR=lookup nft-record" ;;
		floor-track) way $f $r "env NT_BENCH_FLOOR=track nft-record" --keep drop --keep-kernel ;;
		esac
	done
	r=$((r + 1))
done
res PASS bench/keep
