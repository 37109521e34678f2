#!/bin/sh
# keep.sh - issue #19's kernel-side keep (bpf/keep.bpf.h, --keep-kernel) in
# function mode, sourced by run.sh (record_keep_vm: on every kernel of the
# suite; the backend --backend auto picks, 40 functions of nft-discover).
# Three recordings of c, r and s (four on the full kernel) at the same time,
# the oracle being the first:
#   full   every packet
#   drop   --keep drop
#   rule   --keep rule=s:inet/t/in/<jump>   (the "jump" pings)
#   rulef  the same with the nftables probes' attach made to fail
#          (NT_TEST_NFT_ATTACH_FAIL): the recorder says in one line that
#          user space decides (nft steps from netlink), and the same journeys
#          come out (the kernel alone would keep none: no nft steps there);
#          on the kernel that runs the full set only (6.12): the nftables
#          probes are kprobes attached right after the load, apart from the
#          function backend (attach_common.c), and the fallback loads again
#          without them as any recording does: the same path for fentry and
#          kprobe-multi (5.10's drop and rule take it with fentry: no
#          nf_tables BTF there, where rulef was rule twice); a fourth
#          recorder's load cost 78 s more on 6.1 (318 s vs 240 s)
# Traffic: 3 pings to 10.0.2.2 (s drops them: rule "drop"), 2 to 10.0.2.5
# (rejected), 2 to 10.0.2.3 (rule "jump"), 3 to 10.0.2.1 (accepted), a TCP
# message through r (clones: LINK, linked skbs go to user space), a UDP
# datagram to a closed port of s (dropped: no socket).  Checks, per packet:
#   - the keep recorders say the kernel decides (function mode), rulef that
#     user space does, the nftables probes failed;
#   - the drop log's journeys = the full log's dropped ones (nft verdict drop
#     or a drop reason), each whole: every field of `nft-analyze journeys
#     --ndjson` equal (path, nft steps, verdict, fate, drop reason, devices,
#     headers, record counts ...) but packet numbers and times (keep_norm);
#   - the rule log's journeys = the full log's journeys with rule t/in jump;
#   - counters: seen = the full log's packets, kept = its dropped ones,
#     discarded = the rest; some packets were discarded in the kernel.
# Fair to all three: the traffic starts 12.5 s after every recorder said it
# records (buffers of skbs seen while attaching are aged out and counted), and the comparison is on the packets every recorder could see:
# the full log's journeys that end after the keep log's last counters
# before the traffic (COUNT records, cumulative, written each second; a
# recorder that attached earlier saw more, e.g. IPv6 router solicitations),
# its counters taken from those.
# 100-320 s under TCG, most of it until every recorder records (their loads
# and attaches at once; the "times" line says where it goes).
# LOG -> its journeys, one per line, sorted, without what differs between two
# recorders of the same packets: packet numbers, times (each recorder's
# probes take their own), the drop location's symbol (KSYMS blocks are
# written per recorder), the recorders' own nftrace tables' names, and what
# depends on the flow's other packets, which a keep log does not hold: the
# packet's number in its flow and its direction (relative to the flow's
# first packet in the log: a kept TCP reply whose SYN was not kept is
# "original" there)
# (with W0: only the journeys that end after W0, ns)
keep_norm() {
	nft-analyze journeys --ndjson "$1" 2>/dev/null |
		awk -v w0="${2:-0}" '{ f = $0; d = $0; sub(/.*"first_ts_ns":/, "", f); sub(/.*"duration_ns":/, "", d)
			if (f + 0 + d > w0 + 0) print }' |
		sed -E -e 's/"(packet|flow_packet|t_ns|first_ts_ns|duration_ns|time_ns)":[0-9-]*,?//g' -e 's/"direction":"[a-z]*",?//' \
			-e 's/"(drop_location|drop_address)":"[^"]*",?//g' -e 's/nft_record_[0-9]*/nft_record_X/g' | sort
}

# LOG T -> "W0 SEEN DISCARDED": the keep counters LOG wrote last before time
# T (ns), W0 the time they were written ("T-1 0 0": none, it saw nothing
# before: compare from T on)
kp_base() {
	nft-analyze events --ndjson "$1" 2>/dev/null |
		sed -n 's/.*"type":"COUNT","ts_ns":\([0-9]*\),.*"counter":"keep_\(seen\|discarded\)","value":\([0-9]*\).*/\1 \2 \3/p' |
		awk -v t="$2" '$1 + 0 < t + 0 { if ($2 == "seen") { w = $1; s = $3 } else d = $3 } END { printf "%.0f %d %d\n", w == "" ? t - 1 : w, s, d }'
}

# keep_norm's journeys without their nft steps and what counts them (a
# recorder whose nft steps come from netlink sees other steps: no chain
# entries and exits, its own table's), sorted
kp_nonft() {
	sed -E -e 's/"nft":\[[^]]*\],?//' -e 's/"(nft_chains|nft_rules|events)":[0-9]*,?//g' "$1" | sort
}

# kp_diff A B LOGA LOGB: the first journey of A that B lacks and the first of
# B that A lacks, field by field (on the result channel, so CI shows it), and
# that skb's records in both logs (console)
kp_diff() {
	j=$(grep -v -x -F -f "$2" "$1" | head -n 1)
	k=$(grep -v -x -F -f "$1" "$2" | head -n 1)
	echo "$j" | tr ',' '\n' > $W/kp.da
	echo "$k" | tr ',' '\n' > $W/kp.db
	info "keep diff ${1##*/} vs ${2##*/}: $(diff $W/kp.da $W/kp.db | grep '^[-+][^-+]' | head -n 12 | tr '\n' ' ' | cut -c1-700)"
	echo "only in $1: $(echo "$j" | cut -c1-400)"
	skb=$(echo "$j" | sed -n 's/^{"skb":"\(0x[0-9a-f]*\)".*/\1/p')
	for l in $3 $4; do
		echo "records of skb $skb in $l:"
		nft-analyze events --ndjson $l 2>/dev/null | grep "\"skb\":\"$skb\"" |
			sed -E 's/^\{"seq":[0-9]*,"type":"([A-Z_]*)","ts_ns":([0-9]*),"cpu":([0-9]*),.*"(func|table|chain|kind|counter|parent)":"?([^",]*).*$/\1 \2 cpu\3 \5/' | cut -c1-100 | tr '\n' ';'
		echo
	done
}

kp_up() { cut -d' ' -f1 /proc/uptime; }

record_keep_vm() {
	for t in nft-discover nft-record nft-analyze; do
		command -v $t >/dev/null || { res SKIP "keep" "$t not in the image"; return; }
	done
	be=$DEF_BE
	[ -n "$be" ] || { res SKIP "keep" "no function backend on this kernel"; return; }
	# every kernel of the suite (~90 s each under TCG): the kernel keep's
	# programs must load and decide as the model does on each of them
	why=""
	rm -f $W/kp.* # a repeated run (nt.repeat=) starts afresh
	hj=$(handle s jump)
	kt0=$(kp_up)
	nft-discover -q -m 40 -c $W/kp.cfg.json -o $W/kp.all.json || { res FAIL "keep/$be" "nft-discover failed"; return; }
	# no packets of their own before the traffic: IPv6 hosts repeat router
	# solicitations without end, one that ends near a keep recorder's
	# counters before the traffic is counted there or not depending on the
	# recorder's lag (CI flake: "27 ended, want 26"); topo() turns them off
	# for new interfaces, this for any that came before
	for n in c r s; do
		ip netns exec $n sh -c 'for f in /proc/sys/net/ipv6/conf/*/router_solicitations; do echo 0 > $f; done'
	done
	pids=""
	kf=""; [ "${NT_FULL:-1}" = 1 ] && kf=rulef
	for n in full drop rule $kf; do
		fail=""
		case $n in
		full) set -- ;;
		drop) set -- --keep drop --keep-kernel ;;
		rule) set -- --keep "rule=s:inet/t/in/$hj" --keep-kernel ;;
		rulef) set -- --keep "rule=s:inet/t/in/$hj" --keep-kernel; fail=1 ;;
		esac
		NT_TEST_NFT_ATTACH_FAIL=$fail nft-record -b $be -c $W/kp.cfg.json -d 900 -n c -n r -n s -o $W/kp.$n.ntl "$@" > $W/kp.$n.out 2> $W/kp.$n.err &
		pids="$pids $!"
	done
	k=0
	while [ $k -lt 1500 ]; do
		n=0; for f in full drop rule $kf; do grep -q 'recording to' $W/kp.$f.err && n=$((n + 1)); done
		[ $n -eq $(echo full drop rule $kf | wc -w) ] && break
		for p in $pids; do kill -0 $p 2>/dev/null || k=1500; done
		sleep 0.2; k=$((k + 1))
	done
	kt1=$(kp_up)
	# quiet until what the keep recorders saw while they attached is
	# counted before the traffic: a buffer whose skb's end the kernel did
	# not see (its probe was not attached yet) goes to user space after 10 s
	# idle (record_keep.c), then the reorder window (1 s), then the counters
	# (each second)
	sleep 12.5
	ip netns exec s nc -l -p 8080 > $W/kp.tcp 2>/dev/null &
	srv=$!
	ip netns exec c ping -c3 -i0.2 -W1 10.0.2.2 > /dev/null 2>&1
	ip netns exec c ping -c2 -i0.2 -W1 10.0.2.5 > /dev/null 2>&1
	ip netns exec c ping -c2 -i0.2 -W1 10.0.2.3 > /dev/null 2>&1
	ip netns exec c ping -c3 -i0.2 -W1 10.0.2.1 > /dev/null 2>&1
	sleep 0.3
	echo hello-keep | ip netns exec c nc -w 1 10.0.2.1 8080 > /dev/null 2>&1
	echo x | ip netns exec c nc -u -w 1 10.0.2.1 9 > /dev/null 2>&1
	sleep 1
	kill $srv 2>/dev/null
	kt2=$(kp_up)
	for p in $pids; do kill -INT $p; done
	for p in $pids; do wait $p || why="${why}a recorder exited $?; "; done
	kt3=$(kp_up)
	if grep -q 'refused the programs of the kernel-side keep' $W/kp.drop.err; then
		# the recorder fell back to user space (said in one line)
		res SKIP "keep/$be" "$(grep -h 'refused the programs' $W/kp.drop.err | head -n1 | cut -c14-200)"
		return
	fi
	# where nft steps come from netlink (no nf_tables BTF: 5.10) the kernel
	# cannot see them: the recorder says so and decides in user space,
	# where the same journeys must come out
	kuser=""
	if grep -q 'decided in user space (nf_tables has no BTF' $W/kp.drop.err; then
		kuser=1
		info "keep/$be: $(grep -h -- 'decided in user space' $W/kp.drop.err | head -n1 | cut -c14-200)"
	fi
	for n in drop rule; do
		[ -n "$kuser" ] && break
		grep -q 'decided in the kernel' $W/kp.$n.err || why="${why}$n: not decided in the kernel ($(grep -- '--keep' $W/kp.$n.err | head -n1)); "
	done
	# the nftables probes' attach failed: one line, user space decides
	# (the kernel would judge rule= on no nft steps)
	if [ -z "$kuser" ] && [ -n "$kf" ]; then
		grep -q -- '--keep rule=.*: decided in user space (the nftables probes failed: nt_nft_do_chain not attached: .*(NT_TEST_NFT_ATTACH_FAIL); nft steps come from netlink)' $W/kp.rulef.err &&
			! grep -q 'decided in the kernel' $W/kp.rulef.err ||
			why="${why}rulef: not the one line of the fallback ($(grep -- '--keep' $W/kp.rulef.err | head -n1 | cut -c1-200)); "
		info "keep/$be: rulef: $(grep -h -- 'decided in user space' $W/kp.rulef.err | head -n1 | cut -c14-240)"
	fi
	# the traffic's first packet: the first ping (dropped) of the full log
	t1=$(nft-analyze journeys --ndjson $W/kp.full.ntl 2>/dev/null | grep '"dropped":true' | head -n 1 |
		sed -n 's/.*"first_ts_ns":\([0-9]*\),.*/\1/p')
	set -- $(kp_base $W/kp.drop.ntl "${t1:-0}"); w0d=$1 bsd=$2 bdd=$3
	set -- $(kp_base $W/kp.rule.ntl "${t1:-0}"); w0r=$1 bsr=$2 bdr=$3
	w0=$w0d; [ "$(awk -v a=$w0r -v b=$w0d 'BEGIN { print (a > b) }')" = 1 ] && w0=$w0r
	if [ -n "$kf" ]; then
		set -- $(kp_base $W/kp.rulef.ntl "${t1:-0}"); w0f=$1 bsf=$2 bdf=$3
		[ "$(awk -v a=$w0f -v b=$w0 'BEGIN { print (a > b) }')" = 1 ] && w0=$w0f
	fi
	keep_norm $W/kp.full.ntl $w0 > $W/kp.full.j
	nall=$(keep_norm $W/kp.full.ntl | wc -l)
	keep_norm $W/kp.drop.ntl > $W/kp.drop.j
	keep_norm $W/kp.rule.ntl > $W/kp.rule.j
	[ -z "$kf" ] || keep_norm $W/kp.rulef.ntl > $W/kp.rulef.j
	grep -E '"dropped":true|"verdict":"DROP"' $W/kp.full.j > $W/kp.fdrop.j
	grep "\"table\":\"t\",\"chain\":\"in\",\"kind\":\"rule\",\"handle\":$hj," $W/kp.full.j > $W/kp.frule.j
	nd=$(wc -l < $W/kp.fdrop.j); nr=$(wc -l < $W/kp.frule.j)
	[ "$nd" -ge 5 ] || why="${why}full log: only $nd dropped packets (want >= 5: 3 drop, 2 reject); "
	[ "$nr" -ge 2 ] || why="${why}full log: $nr packets with rule t/in $hj (want >= 2); "
	if ! cmp -s $W/kp.fdrop.j $W/kp.drop.j; then
		why="${why}--keep drop: $(wc -l < $W/kp.drop.j) journeys differ from the full log's $nd dropped; "
		kp_diff $W/kp.fdrop.j $W/kp.drop.j $W/kp.full.ntl $W/kp.drop.ntl
	fi
	if ! cmp -s $W/kp.frule.j $W/kp.rule.j; then
		why="${why}--keep rule: $(wc -l < $W/kp.rule.j) journeys differ from the full log's $nr with the rule; "
		kp_diff $W/kp.frule.j $W/kp.rule.j $W/kp.full.ntl $W/kp.rule.ntl
	fi
	# rulef's nft steps come from netlink, the full log's from BPF (chain
	# entries and exits too, the recorder's own table's steps not): the
	# same packets with the rule's step, equal but for their nft steps
	if [ -n "$kf" ]; then
		kp_nonft $W/kp.frule.j > $W/kp.frule.n
		kp_nonft $W/kp.rulef.j > $W/kp.rulef.n
		nrf=$(grep -c "\"table\":\"t\",\"chain\":\"in\",\"kind\":\"rule\",\"handle\":$hj," $W/kp.rulef.j)
		if ! cmp -s $W/kp.frule.n $W/kp.rulef.n || [ "$nrf" != "$(wc -l < $W/kp.rulef.j)" ]; then
			why="${why}--keep rule, nftables probes failed: $(wc -l < $W/kp.rulef.j) journeys ($nrf with the rule's step) differ from the full log's $nr with the rule (but for nft steps); "
			kp_diff $W/kp.frule.n $W/kp.rulef.n $W/kp.full.ntl $W/kp.rulef.ntl
		fi
	fi
	for n in drop rule $kf; do
		case $n in
		drop) want=$nd w=$w0d bs=$bsd bd=$bdd ;;
		rule) want=$nr w=$w0r bs=$bsr bd=$bdr ;;
		rulef) want=$nr w=$w0f bs=$bsf bd=$bdf ;;
		esac
		# the full log's packets this recorder could see too
		nfull=$(keep_norm $W/kp.full.ntl $w | wc -l)
		set -- $(sed -n 's/.*: \([0-9]*\) packets ended, \([0-9]*\) kept, \([0-9]*\) discarded.*/\1 \2 \3/p' $W/kp.$n.err) 0 0 0
		# records cut: the kernel's 4 KiB per skb may cut discarded packets
		# with many hops (counted); the kept ones are whole (compared above)
		got="$(($1 - bs)) ended, $2 kept, $(($3 - bd)) discarded"
		exp="$nfull ended, $want kept, $((nfull - want)) discarded"
		if [ "$got" != "$exp" ]; then
			why="${why}$n: since its counters at $w ns: $got, want $exp (summary: $1 $2 $3; full log: $nall packets); "
			# the full log's packets that ended in the 15 s before those counters
			info "keep: $n: full log's packets ending in the 15 s before $w: $(nft-analyze journeys --ndjson $W/kp.full.ntl 2>/dev/null |
				awk -v w=$w '{ f = $0; d = $0; sub(/.*"first_ts_ns":/, "", f); sub(/.*"duration_ns":/, "", d); e = f + d
					if (e > w - 15e9 && e <= w) { p = "non-IP"; if (index($0, "\"proto\":\"")) { p = $0; sub(/.*"proto":"/, "", p); sub(/".*/, "", p) } u = $0; sub(/.*"fate":"/, "", u); sub(/".*/, "", u)
						printf "%s/%s ended %.2f s before; ", p, u, (w - e) / 1e9 } }')"
		fi
		kd=$(sed -n 's/.*--keep in the kernel: \([0-9]*\) packets discarded there.*/\1/p' $W/kp.$n.err)
		[ -n "$kuser" ] || [ $n = rulef ] || [ "${kd:-0}" -gt 0 ] || why="${why}$n: no packet discarded in the kernel; "
	done
	info "keep/$be: full log $nall packets, $nfull of them after the keep recorder's counters before the traffic ($bsd seen then), $nd dropped, $nr with rule $hj; $(grep -h -- '--keep in the kernel' $W/kp.drop.err | cut -c14-300); bytes full $(wc -c < $W/kp.full.ntl), drop $(wc -c < $W/kp.drop.ntl)"
	# where the time goes (CI minutes): each recorder's attach report
	info "keep/$be: times: $(awk -v a=$kt0 -v b=$kt1 -v c=$kt2 -v d=$kt3 -v e=$(kp_up) 'BEGIN { printf "attach (all recording) %.1f s, quiet + traffic %.1f s, stop %.1f s, checks %.1f s", b - a, c - b, d - c, e - d }'); $(for n in full drop rule $kf; do printf '%s: %s; ' $n "$(grep -o -E '[0-9]*/[0-9]* functions attached in [0-9.]* ms|detach in the background' $W/kp.$n.err | tr '\n' ' ')"; done)"
	if [ -z "$why" ]; then res PASS "keep/$be"; else res FAIL "keep/$be" "$why"; cut -c1-300 $W/kp.drop.err; fi
	return 0
}
