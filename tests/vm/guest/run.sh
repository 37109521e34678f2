#!/bin/sh
# Guest entry (run by /init): the function-tracing scenarios, once per backend
# the kernel offers.  Topology: client netns c -- router r -- server s (veth),
# rulesets server.nft (s) and router.nft (r).  For each backend one recording
# (tests/vm/nt_vmprobe.c) covers every scenario; scenarios are separated by a
# "marker" ping that hits a marker rule in both namespaces.  Then per scenario:
#   - the nft steps from BPF (table chain handle verdict [target], trace id)
#     equal those of `nft -a monitor trace` in s and r for the same segment;
#   - the expected rule / policy steps are there;
#   - the function journey of the scenario's packet has the expected functions
#     in order (those of them the recording attached).
. /guest/lib.sh
. /guest/whatwhy.sh # record_whatwhy: issue #18 (bytes, stacks, conntrack)
. /guest/keep.sh # issue #19: record_keep_vm

MAXF=${NT_MAXF:-2000}        # functions for kprobe-multi (one link, fast)
# fentry: one trampoline per function; under TCG ~25-80 ms to attach and
# ~150 ms to detach each (serialised RCU-tasks grace periods in ftrace): 300
# for the scenarios; record_default (auto picks fentry on 6.1) takes all of
# nft-discover's default config (>= 1000 attach)
MAXF_FE=${NT_MAXF_FE:-300}
MAXF_KP=${NT_MAXF_KP:-150}   # classic kprobes: one registration each (slow under TCG)
BACKENDS=${NT_BACKENDS:-"kprobe-multi fentry kprobe"}
[ "$BACKENDS" = none ] && BACKENDS="" # nt.backends=none: only record-default
W=/tmp/w
mkdir -p $W
# BPF nftables verdicts (bpf/nft.bpf.h) need nf_tables' BTF (module BTF: 5.11+);
# without it the verdicts come from nftables' netlink trace (nft-record), and
# the scenarios run through nft-record instead of nt-vmprobe (run_backend_rec)
NFT_BPF=0
[ -e /sys/kernel/btf/nf_tables ] && NFT_BPF=1

topo() {
	for n in c r s; do ip netns add $n; ip -n $n link set lo up; done
	# no router solicitations: IPv6 hosts repeat them without end (RFC 7559
	# backoff: 4, 8, 16 ... s), and one reaching s's input chain in a
	# scenario's segment was taken for its packet ("policy: journey: missing
	# ip_rcv": an ICMPv6 from fe80::); set before the links exist so every
	# interface inherits it
	for n in c r s; do
		ip netns exec $n sh -c 'for f in all default; do echo 0 > /proc/sys/net/ipv6/conf/$f/router_solicitations; done'
	done
	ip link add c0 netns c type veth peer name r0 netns r
	ip link add s0 netns s type veth peer name r1 netns r
	ip -n c addr add 10.0.1.1/24 dev c0
	ip -n c addr add fd00:1::1/64 dev c0 nodad
	ip -n r addr add 10.0.1.254/24 dev r0
	ip -n r addr add fd00:1::fe/64 dev r0 nodad
	ip -n r addr add 10.0.2.254/24 dev r1
	ip -n r addr add fd00:2::fe/64 dev r1 nodad
	for a in 1 2 3 4 5 99; do ip -n s addr add 10.0.2.$a/24 dev s0; done
	ip -n s addr add fd00:2::1/64 dev s0 nodad
	for l in "c c0" "r r0" "r r1" "s s0"; do set -- $l; ip -n $1 link set $2 up; done
	ip -n c route add default via 10.0.1.254
	ip -n c -6 route add default via fd00:1::fe
	ip -n s route add default via 10.0.2.254
	ip -n s -6 route add default via fd00:2::fe
	ip netns exec r sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward; echo 1 > /proc/sys/net/ipv6/conf/all/forwarding'
	# neighbours resolved before the recording
	for a in 1 2 3 4 5 99; do ip netns exec c ping -c1 -W2 10.0.2.$a >/dev/null 2>&1; done
	ip netns exec c ping -6 -c1 -W2 fd00:2::1 >/dev/null 2>&1
	ip netns exec s nft -f /guest/server.nft && ip netns exec r nft -f /guest/router.nft
}

# b1 -- bb (bridge br0, bridge-family ruleset bridge.nft) -- b2, IPv4 only
topo_bridge() {
	for n in b1 b2 bb; do ip netns add $n && ip -n $n link set lo up || return 1; done
	for n in b1 b2 bb; do ip netns exec $n sh -c 'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6'; done
	ip link add e0 netns b1 type veth peer name p1 netns bb &&
	ip link add e0 netns b2 type veth peer name p2 netns bb &&
	ip -n bb link add br0 type bridge || return 1
	ip -n bb link set p1 master br0 && ip -n bb link set p2 master br0 || return 1
	ip -n b1 addr add 10.0.5.1/24 dev e0 && ip -n b2 addr add 10.0.5.2/24 dev e0 || return 1
	for l in "bb p1" "bb p2" "bb br0" "b1 e0" "b2 e0"; do set -- $l; ip -n $1 link set $2 up; done
	ip netns exec b1 ping -c1 -W2 10.0.5.2 >/dev/null 2>&1 # neighbours, before the drop rule
	ip netns exec bb nft -f /guest/bridge.nft
}

# handle of the rule with comment $2 in netns $1
handle() { ip netns exec "$1" nft -a list ruleset | sed -n "s/.*comment \"$2\" # handle \([0-9]*\).*/\1/p" | head -n1; }

marker() { sleep 0.3; ip netns exec c ping -c1 -W2 10.0.2.99 >/dev/null 2>&1; sleep 0.3; }

# scenario traffic, in order; each followed by a marker
SCENARIOS="policy drop jump goto ipv6 nat reject forward tcp"
traffic() {
	case $1 in
	policy|forward) ip netns exec c ping -c1 -W2 10.0.2.1 ;;
	drop) ! ip netns exec c ping -c1 -W1 10.0.2.2 ;;
	jump) ip netns exec c ping -c1 -W2 10.0.2.3 ;;
	goto) ip netns exec c ping -c1 -W2 10.0.2.4 ;;
	ipv6) ip netns exec c ping -6 -c1 -W2 fd00:2::1 ;;
	nat) ip netns exec c ping -c1 -W2 10.0.9.9 ;;
	reject) ! ip netns exec c ping -c1 -W2 10.0.2.5 ;;
	tcp)
		ip netns exec s nc -l -p 8080 > $W/tcp.out &
		sleep 0.5
		echo hello-nft | ip netns exec c nc -w 2 10.0.2.1 8080
		sleep 0.5
		grep -q hello-nft $W/tcp.out ;;
	esac > /dev/null 2>&1
}

# BPF output -> "group seg key" lines; monitor output -> same.  Groups: S
# (table t, netns s), R (tables nat and fw, netns r).  seg = number of
# markers seen before in that group.
bpf_keys() { # FILE HM_T HM_R
	awk -v hmt="$2" -v hmr="$3" '
	function vw(v) { return v==0?"drop":v==1?"accept":v==-1?"continue":v==-2?"break":v==-3?"jump":v==-4?"goto":v==-5?"return":v }
	$1=="RULE" {
		split($3, tc, "/"); t=tc[1]; c=tc[2]
		g = (t=="t") ? "S" : "R"
		if ($6==1) key = t " " c " policy " vw($5)
		else if ($4>0) { key = t " " c " " $4 " " vw($5); if ($8!="-") { split($8, x, "/"); key = key " " x[2] } }
		else next
		print g, seg[g]+0, $9, key
		if ((g=="S" && key=="t in " hmt " accept") || (g=="R" && key=="fw forward " hmr " accept")) seg[g]++
	}' "$1"
}

mon_keys() { # FILE GROUP HM
	awk -v g="$2" -v hm="$3" '
	$1=="trace" && $2=="id" {
		t=$5; c=$6
		if (t != "t" && t != "nat" && t != "fw" && t != "br") next # not nft-record'"'"'s own table
		if ($7=="policy") key = t " " c " policy " $8
		else if ($7=="rule" && match($0, /# handle [0-9]+ \(verdict [a-z]+( [^)]*)?\)/)) {
			s = substr($0, RSTART, RLENGTH); gsub(/[#()]/, "", s); split(s, w, " ")
			key = t " " c " " w[2] " " w[4]; if (w[5]!="") key = key " " w[5]
		} else next
		print g, seg+0, $3, key
		if ((g=="S" && key=="t in " hm " accept") || (g=="R" && key=="fw forward " hm " accept")) seg++
	}' "$1"
}

# journey of the packet whose first nft step in segment SEG matches KEY:
# the FUNC names of its skb between the META before and the META after.
journey() { # BPFFILE GROUP SEG KEY HM_T HM_R
	awk -v g="$2" -v sg="$3" -v k="$4" -v hmt="$5" -v hmr="$6" '
	function vw(v) { return v==0?"drop":v==1?"accept":v==-1?"continue":v==-2?"break":v==-3?"jump":v==-4?"goto":v==-5?"return":v }
	{ line[NR]=$0 }
	$1=="RULE" && !found {
		split($3, tc, "/"); t=tc[1]; c=tc[2]; gg = (t=="t") ? "S" : "R"
		if ($6==1) key = t " " c " policy " vw($5)
		else if ($4>0) { key = t " " c " " $4 " " vw($5); if ($8!="-") { split($8, x, "/"); key = key " " x[2] } }
		else next
		if (gg==g && (seg[gg]+0)==sg && key==k) { found=NR; skb=$2 }
		if ((gg=="S" && key=="t in " hmt " accept") || (gg=="R" && key=="fw forward " hmr " accept")) seg[gg]++
	}
	END {
		if (!found) exit 1
		# the packet: from the previous free of this skb address to the next one
		for (i=found; i>1; i--) if (line[i-1] ~ "^(FREE|DROP) " skb) break
		for (j=i; j<=NR; j++) {
			split(line[j], f, " ")
			if (f[2]!=skb) continue
			if (f[1]=="FUNC") printf "%s ", f[3]
			if (f[1]=="META") printf "META:%s ", f[5]
			if (f[1]=="DROP") { printf "DROP "; break }
			if (f[1]=="FREE" && j>found) break
		}
		print ""
	}' "$1"
}

# ordered subsequence check of the wanted names that were attached
in_order() { # "JOURNEY" "WANTED..." "FUNCS" -> prints missing, returns 1
	echo "$1" | awk -v want="$2" -v funcs="$3" '
	BEGIN { n=split(funcs, fl, " "); for (i=1;i<=n;i++) have[fl[i]]=1; have["DROP"]=1 }
	{ m=split($0, j, " ") }
	END {
		w=split(want, wl, " "); p=1; used=0
		for (i=1;i<=w;i++) {
			if (!have[wl[i]]) continue
			used++
			while (p<=m && j[p]!=wl[i]) p++
			if (p>m) { print "missing " wl[i] " (in order)"; exit 1 }
			p++
		}
		if (used < 2) { print "fewer than 2 of the wanted functions attached"; exit 1 }
	}'
}

check_backend() { # BACKEND
	be=$1; B=$W/bpf.$be; MS=$W/mon_s.$be; MR=$W/mon_r.$be
	hmt=$(handle s marker); hmr=$(handle r marker)
	funcs=$(sed -n 's/^FUNCS //p' $B)
	bpf_keys $B "$hmt" "$hmr" | sort > $W/kb
	{ mon_keys $MS S "$hmt"; mon_keys $MR R "$hmr"; } | sort > $W/km
	i=1 # segment 0: before the first marker
	for sc in $SCENARIOS; do
		why=""
		eval "tok=\$ok_$sc"
		[ "$tok" = 1 ] || why="traffic did not behave as expected; "
		for g in S R; do
			grep "^$g $i " $W/kb | cut -d' ' -f3- | sort > $W/a
			grep "^$g $i " $W/km | cut -d' ' -f3- | sort > $W/b
			if ! cmp -s $W/a $W/b; then
				why="${why}group $g: BPF nft steps differ from nft monitor trace ($(wc -l < $W/a) vs $(wc -l < $W/b)); "
				diff $W/a $W/b | head -8
			fi
		done
		# expected steps and journey (group, key, functions in order)
		case $sc in
		policy) exp="S|t in policy accept"; jg=S; jk="t in policy accept"; jf="ip_rcv ip_local_deliver nft_do_chain icmp_rcv" ;;
		drop) h=$(handle s drop); exp="S|t in $h drop"; jg=S; jk="t in $h drop"; jf="ip_rcv ip_local_deliver nft_do_chain DROP" ;;
		jump) h=$(handle s jump); h2=$(handle s sub_count)
			exp="S|t in $h jump sub;S|t sub $h2 continue;S|t in policy accept"; jg=S; jk="t in $h jump sub"; jf="ip_rcv nft_do_chain icmp_rcv" ;;
		goto) h=$(handle s goto); h2=$(handle s gsub_accept)
			exp="S|t in $h goto gsub;S|t gsub $h2 accept"; jg=S; jk="t in $h goto gsub"; jf="ip_rcv nft_do_chain icmp_rcv" ;;
		ipv6) h=$(handle s ipv6); exp="S|t in $h accept;R|fw forward policy accept"; jg=S; jk="t in $h accept"; jf="ipv6_rcv ip6_forward ipv6_rcv nft_do_chain icmpv6_rcv" ;;
		nat) h=$(handle r dnat); exp="R|nat pre $h accept;S|t in policy accept"; jg=R; jk="nat pre $h accept"; jf="ip_rcv nft_do_chain ip_forward ip_output" ;;
		reject) h=$(handle s reject); exp="S|t in $h drop"; jg=S; jk="t in $h drop"; jf="ip_rcv ip_local_deliver nft_do_chain" ;;
		forward) h=$(handle r fwd_v4); exp="R|fw forward $h accept;S|t in policy accept"; jg=R; jk="fw forward $h accept"; jf="ip_rcv ip_forward nft_do_chain ip_output ip_rcv ip_local_deliver icmp_rcv" ;;
		tcp) h=$(handle r fwd_v4); h2=$(handle s tcp); exp="R|fw forward $h accept;S|t in $h2 continue;S|t in policy accept"
			jg=S; jk="t in $h2 continue"; jf="ip_rcv ip_forward ip_output ip_rcv ip_local_deliver nft_do_chain tcp_v4_rcv" ;;
		esac
		IFS=';'; for e in $exp; do
			g=${e%%|*}; k=${e#*|}
			grep "^$g $i " $W/kb | cut -d' ' -f4- | grep -qx "$k" || why="${why}BPF lacks '$k'; "
		done; unset IFS
		j=$(journey $B $jg $i "$jk" "$hmt" "$hmr")
		if [ -z "$j" ]; then
			why="${why}no packet with '$jk'; "
		else
			m=$(in_order "$j" "$jf" "$funcs") || why="${why}journey: $m; "
			[ $sc = nat ] && { echo "$j" | grep -q 'META:10.0.9.9 .*META:10.0.2.1' || why="${why}no META showing the DNAT rewrite; "; }
		fi
		[ $sc = tcp ] && { grep -q '^LINK [0-9a-f]* [0-9a-f]* 1$' $B || why="${why}no skb_clone lineage (LINK) recorded; "; }
		[ $sc = jump ] && { awk -v h="$h2" '$1=="RULE" && $3=="t/sub" && $4==h && $7!=1 {bad=1} END {exit bad}' $B || why="${why}depth in sub != 1; "; }
		echo "journey $sc: $j" | cut -c1-600
		if [ -z "$why" ]; then res PASS "$sc/$be"; else res FAIL "$sc/$be" "$why"; fi
		i=$((i + 1))
	done
}

# nft -a monitor trace in s and r (pids m1 m2), every scenario between markers
scenario_traffic() {
	ip netns exec s nft -a monitor trace > $W/mon_s.$be 2>&1 &
	m1=$!
	ip netns exec r nft -a monitor trace > $W/mon_r.$be 2>&1 &
	m2=$!
	sleep 1
	marker
	for sc in $SCENARIOS; do
		if traffic $sc; then eval ok_$sc=1; else eval ok_$sc=0; fi
		marker
	done
}

# nft-analyze events --ndjson of LOG -> nt-vmprobe's line format (FUNC, META,
# RULE, LINK, DROP, FREE) for check_backend; trace ids as nft prints them
log_lines() { # LOG
	nft-analyze events --ndjson "$1" | awk '
	function f(k,   r) {
		if (!match($0, "\"" k "\":(\"[^\"]*\"|-?[0-9]+)")) return ""
		r = substr($0, RSTART + length(k) + 3, RLENGTH - length(k) - 3); gsub(/"/, "", r); return r
	}
	function hex8(n,   s, i) { s = ""; for (i = 0; i < 8; i++) { s = substr("0123456789abcdef", n % 16 + 1, 1) s; n = int(n / 16) } return s }
	function vn(v) { return v=="drop"?0:v=="accept"?1:v=="continue"?-1:v=="break"?-2:v=="jump"?-3:v=="goto"?-4:v=="return"?-5:v }
	{ t = f("type"); s = f("skb"); sub(/^0x/, "", s) }
	t == "FUNC" { print "FUNC", s, f("func") }
	t == "DROP" { print "DROP", s, f("reason_value") }
	t == "FREE" { print "FREE", s }
	t == "META" { print "META", s, (f("family") == "ipv6" ? 2 : 1), f("src"), f("dst"), f("proto"), f("sport"), f("dport") }
	t == "LINK" { k = f("kind"); p = f("parent"); sub(/^0x/, "", p)
		print "LINK", s, p, (k == "clone" ? 1 : k == "copy" ? 2 : k == "realloc" ? 3 : 4) }
	t == "NFT_RULE" {
		tb = f("table"); if (tb != "t" && tb != "nat" && tb != "fw" && tb != "br") next
		k = f("kind"); tg = f("target")
		print "RULE", s, tb "/" f("chain"), f("handle"), vn(tolower(f("verdict"))), (k == "policy" ? 1 : k == "return" ? 2 : 3),
			f("depth"), (tg == "" ? "-" : tb "/" tg), hex8(f("trace_id") + 0)
	}'
}

# run_backend on a kernel without BPF nftables verdicts: the recording is
# nft-record's (this backend, MAX functions of nft-discover, verdicts from the
# netlink trace), converted by log_lines
run_backend_rec() { # BACKEND MAX
	be=$1; B=$W/bpf.$be; L=$W/scen.$be.ntl
	: > $B
	nft-discover -q -m $2 -c $W/scfg.$be.json -o $W/sall.$be.json ||
		{ res FAIL "attach/$be" "nft-discover failed"; return; }
	nft-record -b $be -c $W/scfg.$be.json -d 900 -n s -n r -o $L > $W/srec.$be.out 2> $W/err.$be &
	pid=$!
	n=0
	while ! grep -q -E 'recording to|error|cannot|unavailable' $W/err.$be && kill -0 $pid 2>/dev/null &&
		[ $n -lt 3000 ]; do sleep 0.2; n=$((n + 1)); done
	if ! kill -0 $pid 2>/dev/null; then
		wait $pid; rc=$?
		why=$(sed -n 's/^nft-record: backend [a-z-]* unavailable: //p' $W/err.$be | head -n1)
		if [ $rc = 4 ] && [ -n "$why" ]; then
			echo "UNAVAILABLE $why" > $B
			res SKIP "$be" "$why"
		else
			res FAIL "attach/$be" "nft-record exit code $rc: $(tail -n 2 $W/err.$be | tr '\n' ' ')"
		fi
		return
	fi
	scenario_traffic
	# no flood here: its events would only slow the conversion below under TCG
	kill -INT $pid; wait $pid; rc=$?
	sleep 0.5; kill $m1 $m2
	tail -n 6 $W/err.$be | cut -c1-300
	att=$(sed -n "s/^nft-record: $be: \([0-9]*\)\/\([0-9]*\) functions attached in \([0-9.]*\) ms.*/\1 of \2 in \3 ms/p" $W/err.$be)
	det=$(sed -n 's/^nft-record: detached in \([0-9.]*\) s/\1 s/p' $W/err.$be)
	grep -q 'detach in the background' $W/err.$be && det="in the background"
	sumline=$(grep '^nft-record: [0-9]* events' $W/err.$be | cut -d, -f1-3,5)
	info "$be (nft-record, verdicts from the netlink trace: no nf_tables BTF): attached $att; detach ${det:-fast}; ${sumline#nft-record: }"
	[ $rc = 0 ] && [ -n "$att" ] && res PASS "attach/$be" || res FAIL "attach/$be" "nft-record exit code $rc, attach line: ${att:-none}"
	{ printf 'FUNCS'; sed -n 's/.*"name":[[:space:]]*"\([^"]*\)".*/ \1/p' $W/scfg.$be.json | tr -d '\n'; echo; log_lines $L; } >> $B
	check_backend $be
}

run_backend() { # BACKEND MAX
	[ "$NFT_BPF" = 1 ] || { run_backend_rec "$@"; return; }
	be=$1
	B=$W/bpf.$be
	nt-vmprobe $be $2 900 > $B 2> $W/err.$be &
	pid=$!
	n=0
	while ! grep -q -E '^(READY|UNAVAILABLE)' $B && kill -0 $pid 2>/dev/null && [ $n -lt 3000 ]; do
		sleep 0.2; n=$((n + 1))
	done
	if grep -q '^UNAVAILABLE' $B; then
		wait $pid
		res SKIP "$be" "$(sed -n 's/^UNAVAILABLE //p' $B)"
		return
	fi
	if ! grep -q '^READY' $B; then
		kill $pid 2>/dev/null
		res FAIL "attach/$be" "nt-vmprobe did not start: $(tail -n 3 $W/err.$be | tr '\n' ' ')"
		return
	fi
	grep '^ATTACH' $B
	scenario_traffic
	# flood: events/s and losses (event printing off between the marks)
	kill -USR1 $pid; sleep 0.5
	ip netns exec c ping -f -w 3 10.0.2.1 > $W/flood.$be 2>&1
	kill -USR1 $pid; sleep 1
	kill -TERM $pid; wait $pid
	sleep 0.5; kill $m1 $m2
	tail -n 4 $W/err.$be
	grep -E '^(STATS|DETACH|MARK)' $B
	att=$(sed -n 's/^ATTACH backend=[^ ]* requested=\([0-9]*\) attached=\([0-9]*\) failed=\([0-9]*\) ms=\([0-9.]*\).*/\2 of \1 (\3 failed) in \4 ms/p' $B)
	fl=$(grep '^MARK' $B | awk '{split($2,e,"="); split($3,l,"="); split($4,t,"="); ev[NR]=e[2]; lo[NR]=l[2]; ts[NR]=t[2]}
		END { if (NR>=2) printf "%d events in %.1f s = %.0f ev/s, %d lost", ev[2]-ev[1], ts[2]-ts[1], (ev[2]-ev[1])/(ts[2]-ts[1]), lo[2]-lo[1] }')
	pk=$(grep -o '[0-9]* packets transmitted' $W/flood.$be | cut -d' ' -f1)
	det=$(sed -n 's/^DETACH ms=//p' $B)
	info "$be: attached $att; detach $det ms; flood (ping -f 3 s, $pk requests): $fl"
	[ -n "$att" ] && res PASS "attach/$be" || res FAIL "attach/$be" "no ATTACH line"
	check_backend $be
}


# rule verdicts: from BPF with nf_tables BTF, else from the netlink trace
verdict_source() { # NFT_RECORD_STDERR
	if [ "$NFT_BPF" = 1 ]; then
		grep -q 'rule verdicts from BPF' $1 || why="${why}recorder did not take verdicts from BPF; "
	else
		grep -q 'rule verdicts from BPF' $1 && why="${why}verdicts from BPF without nf_tables BTF; "
		grep -q -E '[1-9][0-9]* nft trace steps \(0 from BPF, 0 (uncorrelated|unmatched)\)' $1 ||
			why="${why}netlink trace steps missing or uncorrelated; "
	fi
}

# The whole pipeline: nft-record (recorder core + this backend) then
# nft-analyze --json on the log: the dropped ping's journey must carry the drop
# rule's handle and verdict from nftables and the expected functions.
record_backend() { # BACKEND MAX
	be=$1; L=$W/rec.$be.ntl
	command -v nft-record >/dev/null && command -v nft-analyze >/dev/null ||
		{ res SKIP "record/$be" "nft-record / nft-analyze not in the image"; return; }
	# trace config from nft-discover: MAX functions (0 = every probe-able one)
	nft-discover -q -m $2 -c $W/cfg.$be.json -o $W/all.$be.json ||
		{ res FAIL "record/$be" "nft-discover failed"; return; }
	nft-record -b $be -c $W/cfg.$be.json -d 600 -n s -n r -o $L > $W/rec.$be.out 2> $W/rec.$be.err &
	pid=$!
	n=0
	while ! grep -q -E 'functions attached|attached no function|error|cannot' $W/rec.$be.err &&
		kill -0 $pid 2>/dev/null && [ $n -lt 3000 ]; do sleep 0.2; n=$((n + 1)); done
	sleep 1
	ip netns exec c ping -c1 -W1 10.0.2.2 > /dev/null 2>&1
	ip netns exec c ping -c1 -W2 10.0.2.3 > /dev/null 2>&1
	traffic tcp
	sleep 1
	kill -INT $pid; wait $pid; rc=$?
	cat $W/rec.$be.err | cut -c1-300
	why=""
	[ $rc = 0 ] || why="nft-record exit code $rc; "
	att=$(grep -o "$be: [0-9]*/[0-9]* functions attached in [0-9.]* ms" $W/rec.$be.err)
	[ -n "$att" ] || why="${why}no attach report; "
	natt=$(echo "$att" | sed -n 's/^[^:]*: \([0-9]*\)\/.*/\1/p')
	if [ "$2" = 0 ] || [ "$2" -ge 1000 ]; then
		[ "${natt:-0}" -ge 1000 ] || why="${why}only ${natt:-0} functions attached (< 1000); "
	fi
	j=$(nft-analyze journeys --json --dst 10.0.2.2 --proto icmp $L 2>$W/an.err)
	h=$(handle s drop)
	echo "$j" | tr -d ' \n' > $W/j.$be
	# exactly once: verdicts come from BPF only (no netlink duplicate)
	nrule=$(grep -oi "\"table\":\"t\",\"chain\":\"in\",\"kind\":\"rule\"[^}]*\"handle\":$h,\"verdict\":\"drop\"" $W/j.$be | wc -l)
	[ "$nrule" = 1 ] || why="${why}journey has rule t/in handle $h verdict drop $nrule times (want 1); "
	verdict_source $W/rec.$be.err
	for f in ip_rcv nft_do_chain; do
		grep -q "\"func\":\"$f\"" $W/j.$be || why="${why}journey lacks $f; "
	done
	grep -q '"dropped":true' $W/j.$be || why="${why}not dropped; "
	info "nft-record $be: $att"
	if [ -z "$why" ]; then res PASS "record/$be"; else res FAIL "record/$be" "$why"; head -c 1500 $W/j.$be; echo; cat $W/an.err; fi
}

# nft steps of an nft-record log (nft-analyze events --ndjson) -> the same
# "group seg id key" lines as bpf_keys (trace id as nft prints it: %08x)
log_keys() { # NDJSON HM_T HM_R
	awk -v hmt="$2" -v hmr="$3" '
	function f(k,   r) {
		if (!match($0, "\"" k "\":(\"[^\"]*\"|-?[0-9]+)")) return ""
		r = substr($0, RSTART + length(k) + 3, RLENGTH - length(k) - 3); gsub(/"/, "", r); return r
	}
	function hex8(n,   s, i) { s = ""; for (i = 0; i < 8; i++) { s = substr("0123456789abcdef", n % 16 + 1, 1) s; n = int(n / 16) } return s }
	/"type":"NFT_RULE"/ {
		t = f("table"); c = f("chain"); k = f("kind"); h = f("handle"); v = tolower(f("verdict")); tg = f("target")
		if (t != "t" && t != "nat" && t != "fw" && t != "br") next
		g = (t == "t") ? "S" : (t == "br") ? "B" : "R"
		if (k == "policy") key = t " " c " policy " v
		else if (k == "rule" && h > 0) { key = t " " c " " h " " v; if (tg != "") key = key " " tg }
		else next
		print g, seg[g] + 0, hex8(f("trace_id") + 0), key
		if ((g == "S" && key == "t in " hmt " accept") || (g == "R" && key == "fw forward " hmr " accept")) seg[g]++
	}' "$1"
}

# Issue #6's "done": nft-discover with its defaults, then nft-record with that
# trace_config.json (every probe-able function: >= 1000), backend auto,
# --duration DEF_DUR (10 s), while nftables' own trace (`nft monitor trace`) runs in s and
# r.  Between two markers: drop, jump, goto, IPv6, NAT, reject, TCP; then the
# monitors stop and a ping flood runs until 0.3 s before the end (the detach
# then patches kernel text on an idle guest).  Every nft step of the
# log between the markers (table chain handle/policy verdict [target] trace-id)
# must equal the monitor's, both ways; attach time, events/s and losses printed.
AUTO_BE=""
# 10 s: under TCG on a loaded host the traffic between the markers took up
# to 7 s with 1,781 fentry functions (a 5 s window cut the second marker)
DEF_DUR=${NT_DEF_DUR:-10}
record_default() {
	L=$W/default.ntl
	command -v nft-record >/dev/null && command -v nft-analyze >/dev/null && command -v nft-discover >/dev/null ||
		{ res SKIP "record-default" "nft-discover / nft-record / nft-analyze not in the image"; return; }
	mkdir -p $W/def && cd $W/def
	# one link per function (fentry, kprobe): 1,050 of the default config's
	# functions (all of them: 5.10 ~4.5 min, 6.1 ~3 min of attach under TCG;
	# bench/attach.sh measures those); kprobe-multi: all
	dm=""; case $DEF_BE in fentry|kprobe) dm="-m ${NT_DEF_MAXF:-1050}" ;; esac
	nft-discover -q $dm || { res FAIL "record-default" "nft-discover failed"; cd /; return; }
	nfun=$(grep -o '"name"' trace_config.json | wc -l)
	ip netns exec s nc -l -p 8080 > $W/def/tcp.out 2>/dev/null &
	ip netns exec s nft -a monitor trace > $W/def/mon_s 2>&1 &
	m1=$!
	ip netns exec r nft -a monitor trace > $W/def/mon_r 2>&1 &
	m2=$!
	m3=""; nsb=""
	if [ "$BRIDGE" = 1 ]; then
		ip netns exec bb nft -a monitor trace > $W/def/mon_b 2>&1 &
		m3=$!; nsb="-n bb"
	fi
	nft-record -c trace_config.json --duration $DEF_DUR -n s -n r $nsb -o $L > $W/def/out 2> $W/def/err &
	pid=$!
	n=0
	while ! grep -q -E 'recording to|error|cannot' $W/def/err && kill -0 $pid 2>/dev/null && [ $n -lt 3000 ]; do
		sleep 0.1; n=$((n + 1))
	done
	t0=$(date +%s); u0=$(cut -d' ' -f1 /proc/uptime)
	marker
	tp=""
	for a in 10.0.2.2 10.0.2.3 10.0.2.4 fd00:2::1 10.0.9.9 10.0.2.5; do
		case $a in *:*) v=-6 ;; *) v=-4 ;; esac
		ip netns exec c ping $v -c1 -W1 $a >/dev/null 2>&1 &
		tp="$tp $!"
	done
	echo hello-nft | ip netns exec c nc -w 1 10.0.2.1 8080 >/dev/null 2>&1 &
	tp="$tp $!"
	[ "$BRIDGE" = 1 ] && { ip netns exec b1 ping -c1 -W1 10.0.5.2 >/dev/null 2>&1 & tp="$tp $!"; }
	wait $tp
	marker
	t1=$(date +%s)
	sleep 0.3; kill $m1 $m2 2>/dev/null
	# the flood ends before the recording does: the detach then patches
	# kernel text on an idle guest (once in ~7 runs a 6.12 TCG guest took a
	# #UD in the middle of an ftrace NOP while detaching under a flood)
	fs=$(awk -v u0="$u0" -v d="$DEF_DUR" '{ s = int(d - 0.3 - ($1 - u0)); print (s < 0 ? 0 : s) }' /proc/uptime)
	if [ "$fs" -ge 1 ]; then ip netns exec c ping -f -w $fs 10.0.2.1 > $W/def/flood 2>&1; else : > $W/def/flood; fi
	wait $pid; rc=$?
	# exit to prompt: from the end of --duration (counted from the attach)
	e2p=$(awk -v u0="$u0" -v d="$DEF_DUR" '{ printf "%.1f", $1 - u0 - d }' /proc/uptime)
	# the bridge monitor to the end: its steps have no markers (compared all),
	# and a 10 s recording sees the bridge's ARP re-probes too
	sleep 0.3; [ -n "$m3" ] && kill $m3 2>/dev/null
	cd /
	cut -c1-300 $W/def/err
	why=""
	[ $rc = 0 ] || why="nft-record exit code $rc; "
	AUTO_BE=$(sed -n 's/^nft-record: \([a-z-]*\): [0-9]*\/[0-9]* functions attached.*/\1/p' $W/def/err | head -n1)
	# one link per function (fentry, kprobe): a helper detaches, the CLI returns
	HELPER=$(sed -n 's/^nft-record: [0-9]* [a-z-]* probes detach in the background (helper pid \([0-9]*\);.*/\1/p' $W/def/err)
	case $AUTO_BE in
	fentry|kprobe)
		[ -n "$HELPER" ] || why="${why}no background detach line; "
		awk -v e="$e2p" 'BEGIN { exit !(e <= 30) }' || why="${why}exit to prompt ${e2p} s (> 30 s); " ;;
	esac
	att=$(grep -o "[a-z-]*: [0-9]*/[0-9]* functions attached in [0-9.]* ms" $W/def/err)
	natt=$(echo "$att" | sed -n 's/^[^:]*: \([0-9]*\)\/.*/\1/p')
	[ "${natt:-0}" -ge 1000 ] || why="${why}only ${natt:-0} functions attached (< 1000; trace_config.json has $nfun); "
	verdict_source $W/def/err
	grep -q hello-nft $W/def/tcp.out || why="${why}TCP payload not received; "
	hmt=$(handle s marker); hmr=$(handle r marker)
	nft-analyze events --ndjson $L 2> $W/def/an.err | grep '"type":"NFT_RULE"' > $W/def/ev
	[ -s $W/def/an.err ] && why="${why}nft-analyze events: $(head -c 200 $W/def/an.err); "
	# S, R: between the markers; B (bridge namespace: no other traffic): all
	log_keys $W/def/ev "$hmt" "$hmr" | grep -E '^([SR] 1|B 0) ' | sort > $W/def/kl
	{ mon_keys $W/def/mon_s S "$hmt"; mon_keys $W/def/mon_r R "$hmr"
	  [ "$BRIDGE" = 1 ] && mon_keys $W/def/mon_b B ""; } |
		grep -E '^([SR] 1 [0-9a-f]* (t|nat|fw)|B 0 [0-9a-f]* br) ' | sort > $W/def/km
	nl=$(wc -l < $W/def/kl); nm=$(wc -l < $W/def/km)
	if ! cmp -s $W/def/kl $W/def/km; then
		why="${why}log nft steps differ from nft monitor trace ($nl vs $nm lines); "
		diff $W/def/kl $W/def/km | head -12
	fi
	# every scenario's deciding step is among them (so the window held the traffic)
	for k in "S t in $(handle s drop) drop" "S t in $(handle s jump) jump sub" "S t in $(handle s goto) goto gsub" \
		"S t in $(handle s ipv6) accept" "R nat pre $(handle r dnat) accept" "S t in $(handle s reject) drop" \
		"S t in $(handle s tcp) continue" "R fw forward $(handle r fwd_v4) accept" "S t in $(handle s marker) accept"; do
		set -- $k; g=$1; shift
		grep "^$g 1 " $W/def/kl | cut -d' ' -f4- | grep -qx "$*" || why="${why}log lacks '$*'; "
	done
	if [ "$BRIDGE" = 1 ]; then
		# bridge family: the rule that dropped the bridged ping, and the bridge path
		k="br forward $(handle bb brdrop) drop"
		grep "^B 0 " $W/def/kl | cut -d' ' -f4- | grep -qx "$k" || why="${why}log lacks '$k'; "
		jb=$(nft-analyze journeys --json --dst 10.0.5.2 --proto icmp $L 2>/dev/null | tr -d ' \n')
		fb=$(echo "$jb" | grep -o '"func":"[^"]*"' | cut -d'"' -f4 | tr '\n' ' ')
		haveb="nft_do_chain $(grep -o -E '"(br_handle_frame|br_forward)"' $W/def/trace_config.json | tr -d '"' | tr '\n' ' ')"
		m=$(in_order "$fb" "br_handle_frame nft_do_chain" "$haveb") || why="${why}bridge journey: $m; "
		echo "$jb" | grep -q '"dropped":true' || why="${why}bridged ping not dropped; "
		brinfo="; bridge: $(grep -c '^B' $W/def/kl) steps, journey: $(echo $fb | cut -c1-200)"
	fi
	# the dropped ping: one journey with the drop rule (once) and the functions in order
	j=$(nft-analyze journeys --json --dst 10.0.2.2 --proto icmp $L 2>/dev/null | tr -d ' \n')
	h=$(handle s drop)
	nrule=$(echo "$j" | grep -oi "\"table\":\"t\",\"chain\":\"in\",\"kind\":\"rule\"[^}]*\"handle\":$h,\"verdict\":\"drop\"" | wc -l)
	[ "$nrule" = 1 ] || why="${why}drop journey has rule t/in $h drop $nrule times (want 1); "
	fl=$(echo "$j" | grep -o '"func":"[^"]*"' | cut -d'"' -f4 | tr '\n' ' ')
	# in order: those of them in the config (all but __netif_receive_skb_core are mandatory)
	have="ip_rcv ip_local_deliver nft_do_chain $(grep -o '"__netif_receive_skb_core"' $W/def/trace_config.json | tr -d '"')"
	m=$(in_order "$fl" "__netif_receive_skb_core ip_rcv ip_local_deliver nft_do_chain" "$have") ||
		why="${why}drop journey: $m; "
	echo "$j" | grep -q '"dropped":true' || why="${why}ping to the drop rule not dropped; "
	sumline=$(grep '^nft-record: [0-9]* events' $W/def/err)
	pk=$(grep -o '[0-9]* packets transmitted' $W/def/flood | cut -d' ' -f1)
	det=$(sed -n 's/^nft-record: detached in \([0-9.]*\) s/\1 s/p' $W/def/err)
	[ -n "$HELPER" ] && det="in the background (helper pid $HELPER)"
	info "record-default: nft-discover: $nfun functions in trace_config.json; nft-record backend $AUTO_BE: $att; traffic window $((t1 - t0)) s; $nl nft steps compared with nft monitor trace; flood ping -f ${fs} s (${pk:-0} requests); ${sumline#nft-record: }; exit to prompt ${e2p} s, detach ${det:-fast}${brinfo:-}"
	if [ -z "$why" ]; then res PASS "record-default/$AUTO_BE"; else res FAIL "record-default/${AUTO_BE:-none}" "$why"; fi
}

# --filter (pcap-filter) in function mode, tcpdump as the oracle: for each of
# five expressions one recording (backend AUTO_BE, 40 functions, --no-nftrace;
# one at a time: several recorders patching kernel text at once under TCG
# invite the text-patching races the other scenarios avoid) while tcpdump
# captures on c0 and c pings s (small and large, IPv4 and IPv6) and sends it a
# TCP message.  Per expression the packets of the log first seen in c, r or s
# (addresses, protocol, ports / ICMP type, IPv4 id, TCP sequence / ICMP id and
# sequence) equal those `tcpdump -r` keeps (as sets: the ping socket's clone
# of an echo reply is an skb of its own in function mode, same headers).
record_pcapfilter() {
	for t in nft-discover nft-record tcpdump pcap_ids ntl_packets; do
		command -v $t >/dev/null || { res SKIP "pcapfilter" "$t not in the image"; return; }
	done
	[ -n "$AUTO_BE" ] || { res SKIP "pcapfilter" "no function backend"; return; }
	be=$AUTO_BE
	nft-discover -q -m 40 -c $W/pf.cfg.json -o $W/pf.all.json || { res FAIL "pcapfilter/$be" "nft-discover failed"; return; }
	inums=""
	for ns in c r s; do inums="$inums $(ip netns exec $ns stat -L -c %i /proc/self/ns/net)"; done
	why=""; sum=""; i=0
	# every expression on the full kernel; elsewhere the compound IPv4 one and
	# the IPv6 one (pcapf-xlate, above, checks every expression's verdicts on
	# every kernel; each live run here costs ~30 s of TCG: CI time)
	set -- "host 10.0.1.1 and (tcp port 8080 or icmp[icmptype] = icmp-echo)" "ip6 and icmp6[icmp6type] = icmp6-echo"
	[ "${NT_FULL:-1}" = 1 ] && set -- "icmp" "tcp[tcpflags] & tcp-syn != 0" "icmp and greater 500" "$@"
	for e in "$@"; do
		i=$((i + 1))
		nft-record -b $be -c $W/pf.cfg.json --no-nftrace -d 900 -n c -n r -n s --filter "$e" \
			-o $W/pf.$i.ntl > $W/pf.$i.out 2> $W/pf.$i.err &
		pid=$!
		ip netns exec c tcpdump -Z root -i c0 -U -s 256 -w $W/pf.$i.pcap 2> $W/pf.td.err &
		tdpid=$!
		k=0
		while [ $k -lt 1500 ] && kill -0 $pid 2>/dev/null; do
			grep -q 'recording to' $W/pf.$i.err && grep -q listening $W/pf.td.err && break
			sleep 0.2; k=$((k + 1))
		done
		sleep 1
		ip netns exec c ping -c 2 -i 0.2 -W 2 10.0.2.1 > /dev/null 2>&1
		ip netns exec c ping -c 2 -i 0.2 -s 700 -W 2 10.0.2.1 > /dev/null 2>&1
		ip netns exec c ping -6 -c 2 -i 0.2 -W 2 fd00:2::1 > /dev/null 2>&1
		traffic tcp
		sleep 1
		kill -INT $tdpid; wait $tdpid
		kill -INT $pid; wait $pid || why="${why}'$e': nft-record exit $?; "
		tcpdump -Z root -r $W/pf.$i.pcap -w $W/pf.sel.pcap "$e" 2>$W/pf.tdr.err || head -c 300 $W/pf.tdr.err
		# identities as sets: a clone delivered to a (ping) socket is first seen
		# in function mode as an skb of its own, with the same headers
		pcap_ids $W/pf.sel.pcap | sort -u > $W/pf.want
		ntl_packets $W/pf.$i.ntl | awk -v ns="$inums" 'BEGIN { split(ns, a, " "); for (k in a) ok[a[k]] = 1 }
			ok[$1] && $5 !~ /^(ff|22[4-9]\.|23[0-9]\.)/ { print $2, $3, $4, $5, $6, $7, $8, $9 }' | sort -u > $W/pf.got
		w=$(wc -l < $W/pf.want); g=$(wc -l < $W/pf.got)
		if [ "$w" = 0 ]; then
			why="${why}'$e': tcpdump kept no packet; "
			head -c 300 $W/pf.td.err
		elif ! cmp -s $W/pf.want $W/pf.got; then
			why="${why}'$e': the log's $g packets differ from tcpdump's $w; "
			diff $W/pf.want $W/pf.got | grep '^[-+][0-9]' | head -8
			ntl_packets $W/pf.$i.ntl | head -20
		fi
		sum="$sum '$e' $w;"
	done
	info "pcapfilter/$be: packets per expression (equal to tcpdump -r):$sum $(grep -o "$be: [0-9]*/[0-9]* functions attached" $W/pf.1.err)"
	if [ -z "$why" ]; then res PASS "pcapfilter/$be"; else res FAIL "pcapfilter/$be" "$why"; head -5 $W/pf.1.err; fi
}

# the --filter translator on this kernel: every verdict of the eBPF it makes
# (verifier, BPF_PROG_TEST_RUN of raw tracepoint programs) equals libpcap's
pcapf_xlate() {
	command -v test_pcapf_xlate >/dev/null || { res SKIP "pcapf-xlate" "test_pcapf_xlate not in the image"; return; }
	test_pcapf_xlate > $W/xlate.out 2>&1
	rc=$?
	np=$(grep -c '^PASS: ' $W/xlate.out); nf=$(grep -c '^FAIL: ' $W/xlate.out)
	info "pcapf-xlate: $np passed, $nf failed; $(grep '^# [0-9]* frames' $W/xlate.out | cut -c3-)"
	if [ $rc = 0 ] && [ $nf = 0 ] && ! grep -q '^SKIP: xlate_kernel_runs' $W/xlate.out; then
		res PASS "pcapf-xlate"
	else
		res FAIL "pcapf-xlate" "exit $rc: $(grep -E '^(FAIL|SKIP): ' $W/xlate.out | head -3 | tr '\n' ' ')"
	fi
}

# While record-default's helper still detaches its probes (fentry, kprobe):
# a second recording attaches and records (a dropped ping, its journey with
# the drop rule once), its CLI returns too; kill -9 of its own helper leaves
# none of its BPF programs.
procstate() { sed -n 's/^[0-9]* ([^)]*) \([A-Z]\).*/\1/p' /proc/$1/stat 2>/dev/null; }
record_meanwhile() {
	[ -n "$HELPER" ] || return 0
	why=""; L=$W/meanwhile.ntl
	st=$(procstate $HELPER)
	busy="record-default's helper still detaching"
	[ -n "$st" ] && [ "$st" != Z ] || busy="record-default's helper already done: not concurrent"
	base=$(bpftool prog show 2>/dev/null | sed -n 's/^\([0-9]*\): .*/\1/p' | sort -n | tail -n1)
	u0=$(cut -d' ' -f1 /proc/uptime)
	nft-record -b $AUTO_BE -c $W/def/trace_config.json -m 30 --duration 4 -n s -n r -o $L > $W/mw.out 2> $W/mw.err &
	pid=$!
	n=0
	while ! grep -q -E 'recording to|error|cannot' $W/mw.err && kill -0 $pid 2>/dev/null && [ $n -lt 3000 ]; do
		sleep 0.1; n=$((n + 1))
	done
	u1=$(cut -d' ' -f1 /proc/uptime)
	ip netns exec c ping -c1 -W1 10.0.2.2 > /dev/null 2>&1
	progs=$(bpftool prog show 2>/dev/null | sed -n 's/^\([0-9]*\): .*/\1/p' | awk -v b="${base:-0}" '$1 > b' | tr '\n' ' ')
	wait $pid; rc=$?
	e2p=$(awk -v u1="$u1" '{ printf "%.1f", $1 - u1 - 4 }' /proc/uptime)
	cut -c1-300 $W/mw.err
	[ $rc = 0 ] || why="${why}nft-record exit code $rc; "
	att=$(grep -o "$AUTO_BE: [0-9]*/[0-9]* functions attached in [0-9.]* ms" $W/mw.err)
	[ -n "$att" ] || why="${why}no attach report; "
	h2=$(sed -n 's/^nft-record: [0-9]* [a-z-]* probes detach in the background (helper pid \([0-9]*\);.*/\1/p' $W/mw.err)
	[ -n "$h2" ] || why="${why}no background detach line; "
	awk -v e="$e2p" 'BEGIN { exit !(e <= 30) }' || why="${why}exit to prompt ${e2p} s (> 30 s); "
	j=$(nft-analyze journeys --json --dst 10.0.2.2 --proto icmp $L 2>/dev/null | tr -d ' \n')
	h=$(handle s drop)
	nrule=$(echo "$j" | grep -oi "\"table\":\"t\",\"chain\":\"in\",\"kind\":\"rule\"[^}]*\"handle\":$h,\"verdict\":\"drop\"" | wc -l)
	[ "$nrule" = 1 ] || why="${why}journey has rule t/in $h drop $nrule times (want 1); "
	for f in ip_rcv nft_do_chain; do
		echo "$j" | grep -q "\"func\":\"$f\"" || why="${why}journey lacks $f; "
	done
	echo "$j" | grep -q '"dropped":true' || why="${why}not dropped; "
	# kill -9 of this recording's helper: its programs go with it
	kst=""
	if [ -n "$h2" ]; then
		kill -9 $h2
		n=0
		while st=$(procstate $h2) && [ -n "$st" ] && [ "$st" != Z ] && [ $n -lt 1800 ]; do sleep 0.1; n=$((n + 1)); done
		# the killed helper's last references go with its exit; files its
		# exit could not release itself go to the kernel's delayed fput
		# worker, so its programs may outlive the process by a while
		k=0
		while :; do
			left=0
			for id in $progs; do bpftool prog show id $id > /dev/null 2>&1 && left=$((left + 1)); done
			[ $left = 0 ] || [ $k -ge 1800 ] && break
			sleep 0.1; k=$((k + 1))
		done
		[ $left = 0 ] || why="${why}$left of its $(echo $progs | wc -w) BPF programs left 180 s after kill -9 of helper $h2; "
		kst="kill -9 of its helper: process gone after $((n / 10)) s, its $(echo $progs | wc -w) programs after $(((n + k) / 10)) s; "
	fi
	hst=$(procstate $HELPER)
	info "meanwhile ($AUTO_BE, $busy): attach after $(awk -v a=$u0 -v b=$u1 'BEGIN{printf "%.1f", b-a}') s ($att); exit to prompt ${e2p} s; ${kst}record-default's helper now: ${hst:-gone}"
	if [ -z "$why" ]; then res PASS "meanwhile/$AUTO_BE"; else res FAIL "meanwhile/$AUTO_BE" "$why"; fi
}

# kill -9 of nft-record leaves nothing: no nft table nft_record_* in its
# namespaces, no BPF program.  Kernels without owner tables (< 5.12): a guard
# process per namespace removes them; when the guards are killed too, the next
# recording removes the tables of recorders that are gone.
ntables() { n=0; for ns in s r; do n=$((n + $(ip netns exec $ns nft list tables | grep -c nft_record_))); done; echo $n; }
nprogs() { bpftool prog show 2>/dev/null | grep -c -E ' name nt_'; }
start_rec() { # LOG -> pid in RPID once recording
	nft-record -b tracepoint -n s -n r -o $1 --force > /dev/null 2> $1.err &
	RPID=$!
	n=0
	while ! grep -q -E 'recording to|error|cannot' $1.err && kill -0 $RPID 2>/dev/null && [ $n -lt 600 ]; do
		sleep 0.1; n=$((n + 1))
	done
}
record_kill9() {
	command -v nft-record >/dev/null || { res SKIP "kill9" "nft-record not in the image"; return; }
	why=""
	start_rec $W/k9.ntl
	t=$(ntables); p=$(nprogs)
	[ "$t" = 2 ] || why="${why}$t tables while recording (want 2); "
	unowned=0; grep -q 'no owner-flagged nft tables' $W/k9.ntl.err && unowned=1
	kill -9 $RPID; wait $RPID 2>/dev/null
	# the process's last file references go with its exit, but the kernel
	# frees programs asynchronously (delayed fput, RCU): on 5.10 under TCG
	# 43 of 70 were still listed 1 s after the kill; wait up to 60 s
	k=0
	while t=$(ntables); p2=$(nprogs); { [ "$t" != 0 ] || [ "$p2" != 0 ]; } && [ $k -lt 600 ]; do
		sleep 0.1; k=$((k + 1))
	done
	info "kill9: tables and programs gone $((k / 10)).$((k % 10)) s after kill -9"
	[ "$t" = 0 ] || why="${why}$t nft_record tables left 60 s after kill -9; "
	[ "$p2" = 0 ] || why="${why}$p2 BPF programs left 60 s after kill -9 (were $p); "
	if [ $unowned = 1 ]; then
		# recorder and guards killed at once: the next recording cleans up
		start_rec $W/k9b.ntl
		for c in $(awk -v p=$RPID '$4 == p {print $1}' /proc/[0-9]*/stat 2>/dev/null); do kill -9 $c; done
		kill -9 $RPID; wait $RPID 2>/dev/null
		sleep 0.5
		t=$(ntables)
		[ "$t" = 2 ] || why="${why}$t tables after killing recorder and guards (want 2: both left); "
		nft-record -b tracepoint -n s -n r -d 1 -o $W/k9c.ntl --force > /dev/null 2> $W/k9c.err
		grep -q 'removed tables of recorders gone before' $W/k9c.err || why="${why}stale tables not reported removed; "
		t=$(ntables)
		[ "$t" = 0 ] || why="${why}$t stale tables left after the next recording; "
	fi
	info "kill9: owner tables $([ $unowned = 1 ] && echo 'unsupported: guard processes' || echo yes); $p BPF programs while recording"
	if [ -z "$why" ]; then res PASS "kill9"; else res FAIL "kill9" "$why"; cat $W/k9*.err | cut -c1-300; fi
}

# timed NAME CMD...: run CMD, then "# <kernel>: NAME took N s" (guest uptime).
# With NT_ONLY (nt.only=a,b:N; run_vm.sh NT_VM_ONLY): only the scenarios named
# there (NAME or its part before "/"), ":N" N times (a flake hunt)
timed() {
	tn=$1; shift
	nrep=1
	if [ -n "${NT_ONLY:-}" ]; then
		nrep=0
		for o in $NT_ONLY; do
			case ${o%%:*} in "$tn"|"${tn%%/*}") nrep=1; case $o in *:*) nrep=${o#*:} ;; esac ;; esac
		done
	fi
	rep=0
	while [ $rep -lt "$nrep" ]; do
		ts0=$(cut -d. -f1 /proc/uptime)
		"$@"
		info "$tn took $(($(cut -d. -f1 /proc/uptime) - ts0)) s"
		rep=$((rep + 1))
	done
}

res PASS "boot: $(uname -r)"
pcapf_xlate
[ "$NFT_BPF" = 1 ] || info "no nf_tables BTF (kernel < 5.11): nft verdicts from the netlink trace; scenarios through nft-record"
topo || { res FAIL "topology" "netns / ruleset setup failed"; exit 1; }
if topo_bridge; then BRIDGE=1; else BRIDGE=0; res FAIL "topology-bridge" "bridge namespace / ruleset setup failed"; fi
ip netns exec s nft -a list ruleset
ip netns exec r nft -a list ruleset
# the function backends of this kernel, in the order --backend auto tries them
AVAIL=""; NOTED=""
for be in kprobe-multi fentry kprobe; do
	if out=$(nt-vmprobe $be probe); then
		AVAIL="$AVAIL $be"
		# a note: the backend runs its own way on this kernel (no cookies ...)
		[ "$out" = AVAILABLE ] || NOTED="$NOTED $be"
		info "$be: available${out#AVAILABLE}"
	else
		res SKIP "$be" "${out#UNAVAILABLE $be: }"
	fi
done
DEF_BE=$(echo $AVAIL | cut -d' ' -f1)
# the module function table of kernels without module BTF (from 5.10's DWARF)
# against this kernel's module BTF: informational (prototypes change)
[ "$NFT_BPF" = 1 ] && info "module function table vs module BTF: $(nt-vmprobe modfuncs | cut -c1-400)"
# Scenario runs (one recording, every scenario): every backend on the kernel
# that runs the full set (nt.full=1, run_vm.sh), else only the backend
# --backend auto picks (what users get); the other backends then run the
# nft-record pipeline (record/<backend>) and record-default comes last (on
# fentry kernels its thousand trampolines take minutes to go).  The reduced
# set runs record/<backend> only for the backends that run their own way on
# this kernel (a note from the probe: no cookies ...); the others run as on
# the full kernel, which tests them (CI time: about 2 min per kernel saved)
if [ -n "${NT_BACKENDS+x}" ]; then
	SCEN=""; for be in $BACKENDS; do case " $AVAIL " in *" $be "*) SCEN="$SCEN $be" ;; esac; done
	PIPE=$SCEN
elif [ "${NT_FULL:-1}" = 1 ]; then
	# record/<backend> only where the backend runs its own way (a note): the
	# nft-record pipeline of the others is record-default's (kprobe-multi
	# here, fentry on 6.1 / 5.10) and 5.10's record/kprobe
	# minus the backends another kernel of this run covers (nt.elsewhere,
	# run_vm.sh: fentry on 6.1, the same code path as here since 6.0)
	SCEN=""; for be in $AVAIL; do case " ${NT_ELSEWHERE:-} " in *" $be "*) ;; *) SCEN="$SCEN $be" ;; esac; done
	PIPE=$NOTED
	[ -n "${NT_ELSEWHERE:-}" ] && info "full set: scenarios with$SCEN; run on another kernel of this suite: $NT_ELSEWHERE"
else
	SCEN=$DEF_BE; PIPE=$NOTED
fi
if [ "${NT_FULL:-1}" != 1 ] && [ -z "${NT_BACKENDS+x}" ]; then
	left=""; for be in $AVAIL; do case " $DEF_BE $PIPE " in *" $be "*) ;; *) left="$left $be" ;; esac; done
	info "reduced set: scenario runs only with $DEF_BE (--backend auto); record/<backend> with:${PIPE:- none}${left:+; left to the full kernel (they run as there):$left}"
fi
for be in $SCEN; do
	case $be in kprobe) max=$MAXF_KP ;; fentry) max=$MAXF_FE ;; *) max=$MAXF ;; esac
	timed "scenarios/$be" run_backend $be $max
done
timed kill9 record_kill9
for be in $PIPE; do
	[ "$be" = "$DEF_BE" ] && continue
	grep -q "^UNAVAILABLE" $W/bpf.$be 2>/dev/null && continue
	case $be in kprobe) max=$MAXF_KP ;; fentry) max=$MAXF_FE ;; *) max=0 ;; esac
	timed "record/$be" record_backend $be $max
done
case $NT_KTAG in 6.1|6.12) timed whatwhy record_whatwhy ;; *) info "whatwhy: run on 6.1 and 6.12 only" ;; esac
# --filter with the backend auto picks, before record-default: on fentry
# kernels its helper's detach would slow every attach (6.1: 203 s instead of ~60)
AUTO_BE=$DEF_BE
timed pcapfilter record_pcapfilter
# issue #19: the kernel-side keep beside a full recording (every kernel)
timed keep record_keep_vm
# the default pipeline (backend auto)
timed record-default record_default
timed meanwhile record_meanwhile
exit 0
