#!/bin/sh
# bench/vm/guest.sh - the benchmark run inside the test VM (becomes /guest/run.sh
# of an initramfs built by tests/vm/libvm.sh; started by tests/vm/guest/init.sh).
# Results go to the result channel as "BENCH key=value ..." lines, parsed by
# bench/overhead.sh.  Knobs on the kernel command line:
#   nt.bt=SECONDS      length of each throughput run (default 8)
#   nt.bcounts="..."   function counts for the attach-time runs (default "100 1000 all")
#   nt.bparts="..."    parts to run (default "overhead ramp attach")
#   nt.bbackends="..." backends of the attach part (default: fentry,kprobe on 6.1, all three on newer)
. /guest/lib.sh
. /guest/blib.sh # bench/vm/lib.sh: W, B, bench_pair
BT=8; COUNTS="100 1000 all"; PARTS="overhead ramp attach"
for w in $(cat /proc/cmdline); do
	case $w in
	nt.bt=*) BT=${w#nt.bt=} ;;
	nt.bcounts=*) COUNTS=$(echo "${w#nt.bcounts=}" | tr , ' ') ;;
	nt.bparts=*) PARTS=$(echo "${w#nt.bparts=}" | tr , ' ') ;;
	nt.bbackends=*) BES=$(echo "${w#nt.bbackends=}" | tr , ' ') ;;
	esac
done
ms() { awk '{printf "%d\n", $1 * 1000}' /proc/uptime; }
load() { cut -d' ' -f1-3 /proc/loadavg | tr ' ' /; }

bench_pair
cat > $W/rules.nft <<'EOF'
table inet bench {
	chain input {
		type filter hook input priority filter; policy accept;
		icmp type echo-request counter accept
		udp dport 5201 counter accept
		tcp dport 5201 counter accept
	}
}
EOF
ip netns exec b nft -f $W/rules.nft
ip netns exec b iperf3 -s -D
sleep 1
B "kernel=$(uname -r) ncpu=$(grep -c ^processor /proc/cpuinfo)"

# the 50 functions nft-record traces by default, as a config (same set for bpftrace)
nft-discover -q -m 50 -c $W/cfg50.json -o $W/all.json || { res FAIL bench/discover "nft-discover"; exit 1; }
# bpftrace program: one probe list per argument position, printing what an
# nft-record FUNC record holds (time, cpu, function, skb pointer)
awk '/"name":/ { gsub(/[",\t ]/, ""); sub(/name:/, ""); n = $0 }
     /"enabled":/ { e = ($0 ~ /true/) }
     /"arg":/ { gsub(/[",\t ]/, ""); sub(/arg:/, ""); if (!e) next
		if (n ~ /:/) tp = tp (tp == "" ? "" : ",") "tracepoint:" n
		else l[$0] = l[$0] (l[$0] == "" ? "" : ",") "kprobe:" n }
     END { for (a in l) printf "%s { printf(\"%%llu %%d %%s %%llx\\n\", nsecs, cpu, func, arg%d); }\n", l[a], a - 1
	   if (tp != "") printf "%s { printf(\"%%llu %%d %%s %%llx\\n\", nsecs, cpu, probe, args->skbaddr); }\n", tp }' \
	$W/cfg50.json > $W/p50.bt
NF50=$(grep -o -E '(kprobe|tracepoint):' $W/p50.bt | wc -l)

# start_tracer MODE -> pid in TPID, ready when it returns
start_tracer() {
	TPID=""; : > $W/t.out; : > $W/t.err
	case $1 in
	none) return 0 ;;
	nft-record) nft-record -c $W/cfg50.json -m 50 -n a,b -o $W/r.ntl --force > $W/t.out 2> $W/t.err & ;;
	nft-record-nonft) nft-record -c $W/cfg50.json -m 50 --no-nftrace -o $W/r.ntl --force > $W/t.out 2> $W/t.err & ;;
	bpftrace) bpftrace $W/p50.bt > $W/t.out 2> $W/t.err & ;;
	esac
	TPID=$!
	n=0
	while [ $n -lt 1200 ] && kill -0 $TPID 2> /dev/null; do
		grep -q -E '^Attaching|recording to' $W/t.out $W/t.err 2> /dev/null && break
		sleep 0.25; n=$((n + 1))
	done
	sleep 1
	kill -0 $TPID 2> /dev/null
}
stop_tracer() { # -> "events lost rss_kb" in TSTAT
	TSTAT="0 0 0"
	[ -z "$TPID" ] && return 0
	rss=$(awk '/^VmRSS/ {print $2}' /proc/$TPID/status 2> /dev/null)
	anon=$(awk '/^RssAnon/ {print $2}' /proc/$TPID/status 2> /dev/null)
	kill -INT $TPID; wait $TPID
	case $1 in
	bpftrace) ev=$(grep -c '^[0-9]' $W/t.out); lo=$(sed -n 's/.*Lost \([0-9]*\) events.*/\1/p' $W/t.out $W/t.err | awk '{s += $1} END {print s + 0}') ;;
	*) ev=$(sed -n 's/^nft-record: \([0-9]*\) events.*/\1/p' $W/t.err); lo=$(sed -n 's/.* lost \([0-9]*\) .*/\1/p' $W/t.err) ;;
	esac
	TSTAT="${ev:-0} ${lo:-0} ${rss:-0} ${anon:-0}"
}

# ---- overhead: iperf3 TCP throughput and UDP 64-byte packet rate, per tracer
if echo "$PARTS" | grep -q overhead; then
	info "overhead: $NF50 functions for bpftrace, ${BT}s per run"
	for rep in 1 2 3; do
		for mode in none nft-record nft-record-nonft bpftrace; do
			if ! start_tracer $mode; then
				B "overhead mode=$mode error=$(tail -n 2 $W/t.err | tr ' \n' '_ ')"; continue
			fi
			att=$(sed -n 's/.*: \([0-9]*\)\/[0-9]* functions attached.*/\1/p' $W/t.err)
			[ $mode = bpftrace ] && att=$(sed -n 's/^Attaching \([0-9]*\) probes.*/\1/p' $W/t.out)
			t0=$(ms)
			tcp=$(ip netns exec a iperf3 -c 10.98.0.2 -t $BT -f m 2> /dev/null | awk '/receiver/ {print $(NF-2)}')
			udp=$(ip netns exec a iperf3 -c 10.98.0.2 -u -b 0 -l 64 -t $BT 2> /dev/null |
				awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\/[0-9]+$/) { split($i, x, "/"); print x[2] - x[1] } }')
			t1=$(ms)
			stop_tracer $mode
			set -- $TSTAT
			B "overhead rep=$rep mode=$mode tcp_mbps=${tcp:-0} udp_pkts=${udp:-0} secs=$BT events=$1 lost=$2 rss_kb=$3 anon_kb=$4 attached=${att:-0} wall_ms=$((t1 - t0)) load=$(load)"
		done
	done
fi

# ---- ramp: 64-byte UDP at increasing packet rates, 50 functions + nftrace
if echo "$PARTS" | grep -q ramp; then
	for pps in 2000 5000 10000 20000 40000 0; do
		bw=$((pps * 64 * 8)); [ $pps = 0 ] && bw=0
		start_tracer nft-record || { B "ramp pps=$pps error=start"; continue; }
		udp=$(ip netns exec a iperf3 -c 10.98.0.2 -u -b $bw -l 64 -t 4 2> /dev/null |
			awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\/[0-9]+$/) { split($i, x, "/"); print x[2] - x[1] } }')
		stop_tracer nft-record
		set -- $TSTAT
		rb=$(sed -n 's/.*(ring \([0-9]*\), nftrace ring \([0-9]*\)).*/\1 \2/p' $W/t.err)
		B "ramp pps=$pps udp_pkts=${udp:-0} secs=4 events=$1 lost=$2 rss_kb=$3 anon_kb=$4 rb_nl=$(echo $rb | tr ' ' /) load=$(load)"
	done
fi

# ---- attach time per backend and function count
if echo "$PARTS" | grep -q attach; then
	[ -n "${BES:-}" ] || case $(uname -r) in 6.1.*) BES="fentry kprobe" ;; *) BES="kprobe-multi fentry kprobe" ;; esac
	for be in $BES; do
		for n in $COUNTS; do
			m=$n; [ $n = all ] && m=0
			nft-discover -q -m $m -c $W/cfg.json -o $W/all2.json
			t0=$(ms)
			nft-record -b $be -c $W/cfg.json -m 100000 --no-nftrace -d 1 -o $W/a.ntl --force > /dev/null 2> $W/a.err
			rc=$?
			t1=$(ms)
			a=$(sed -n "s/.*$be: \([0-9]*\)\/\([0-9]*\) functions attached in \([0-9.]*\) ms.*/\1 \2 \3/p" $W/a.err)
			tp=$(sed -n 's/.*attach \([0-9.]*\) ms).*/\1/p' $W/a.err)
			set -- ${a:-0 0 0}
			B "attach backend=$be count=$n rc=$rc attached=$1 requested=$2 attach_ms=$3 tp_attach_ms=${tp:-0} total_ms=$((t1 - t0)) load=$(load)"
			[ $rc = 0 ] || { tail -n 3 $W/a.err; break; }
		done
	done
fi
res PASS "bench"
exit 0
