#!/bin/sh
# whatwhy.sh - issue #18 ("what and why": packet bytes, kernel stacks,
# conntrack) in function mode, sourced by run.sh (record_whatwhy, called once
# per kernel with the backend --backend auto picks).  ONE recording with
# --capture-bytes 128 --stack drop --conntrack of c, r and s while c
#   - pings 10.0.9.9 (r's DNAT to 10.0.2.1: a packet with two header versions),
#   - pings 10.0.2.2 (s's rule "drop": a drop decided by nftables),
#   - connects to the closed TCP port 9 of s (dropped by tcp_v4_rcv: no socket),
#   - sends a message to TCP port 8081 of s through r, which masquerades it
#     (table ip ww, this scenario's own, removed after), while tcpdump captures
#     the connection on c0 (before the NAT) and on s0 (after it),
#   - sends a message to TCP port 8082 of s, whose client-side packets r does
#     not track (notrack): s's SYN-ACK is invalid to r's conntrack (a SYN-ACK
#     without a connection), counted by r's rule "ww_inv" (ct state invalid).
# The config is nft-discover's top 40 plus nf_conntrack_in (the function that
# marks a packet conntrack looked at: --conntrack's invalid state).
# The log and both captures leave the guest base64-encoded on the result
# channel ("NT_WW <backend> <name> <line>"); tests/tools/whatwhy_check.sh checks
# them on the host (tshark, python3: tests/tools/whatwhy_check.py) and prints
# PASS/FAIL/SKIP: <kernel>/whatwhy/<backend>/<check>.
WW_PORT=8081
WW_INV=8082

ww_emit() { # BACKEND NAME FILE: FILE on the result channel
	base64 "$3" | sed "s|^|NT_WW $1 $2 |" > "${NT_RES:-/dev/stdout}"
}

record_whatwhy() {
	for t in nft-discover nft-record nft-analyze tcpdump base64; do
		command -v $t >/dev/null || { res SKIP "whatwhy" "$t not in the image"; return; }
	done
	be=$DEF_BE
	[ -n "$be" ] || { res SKIP "whatwhy" "no function backend on this kernel"; return; }
	why=""
	flags="--capture-bytes 128 --stack=drop"
	# struct nf_conn: in vmlinux's BTF (built in) or the nf_conntrack
	# module's (module BTF: 5.11+)
	if [ -e /sys/kernel/btf/nf_conntrack ] || ! grep -q '^nf_conntrack ' /proc/modules 2>/dev/null; then
		flags="$flags --conntrack"; ctwhy=""
	else
		ctwhy="no BTF for the nf_conntrack module (module BTF needs kernel 5.11+): --conntrack cannot read struct nf_conn"
	fi
	ip netns exec r nft -f - <<EOF || { res FAIL "whatwhy/$be" "masquerade table in r"; return; }
table ip ww {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "r1" tcp dport $WW_PORT masquerade comment "ww_masq"
	}
	chain raw {
		type filter hook prerouting priority raw; policy accept;
		iifname "r0" tcp dport $WW_INV notrack comment "ww_notrack"
	}
	chain inv {
		type filter hook forward priority 0; policy accept;
		tcp sport $WW_INV ct state invalid counter comment "ww_inv"
	}
}
EOF
	nft-discover -q -m 40 -c $W/ww.cfg.json -o $W/ww.all.json ||
		{ res FAIL "whatwhy/$be" "nft-discover failed"; ip netns exec r nft delete table ip ww; return; }
	# + nf_conntrack_in (its module from the full list): closes the functions array
	ctin=$(awk '/"name":[ \t]*"nf_conntrack_in"/ { getline; if (sub(/.*"module":[ \t]*"/, "") && sub(/".*/, "")) print; exit }' $W/ww.all.json)
	if [ -n "$ctin" ] && ! grep -q '"nf_conntrack_in"' $W/ww.cfg.json; then
		sed -i 's/^[[:space:]]*}][[:space:]]*$/}, { "name": "nf_conntrack_in", "layer": "Netfilter", "priority": 1, "enabled": true, "kind": "skb", "arg": 1, "module": "'"$ctin"'" }]/' $W/ww.cfg.json
	fi
	u0=$(cut -d' ' -f1 /proc/uptime)
	nft-record -b $be -c $W/ww.cfg.json -d 900 -n c -n r -n s $flags -o $W/ww.ntl > $W/ww.out 2> $W/ww.err &
	pid=$!
	ip netns exec c tcpdump -Z root -i c0 -U -s 256 -w $W/ww.c0.pcap "tcp port $WW_PORT" 2> $W/ww.td0.err &
	td0=$!
	ip netns exec s tcpdump -Z root -i s0 -U -s 256 -w $W/ww.s0.pcap "tcp port $WW_PORT" 2> $W/ww.td1.err &
	td1=$!
	ip netns exec s nc -l -p $WW_PORT > $W/ww.tcp 2>/dev/null &
	srv=$!
	ip netns exec s nc -l -p $WW_INV > $W/ww.inv 2>/dev/null &
	srv2=$!
	k=0
	while [ $k -lt 1500 ] && kill -0 $pid 2>/dev/null; do
		grep -q 'recording to' $W/ww.err && grep -q listening $W/ww.td0.err && grep -q listening $W/ww.td1.err && break
		sleep 0.2; k=$((k + 1))
	done
	u1=$(cut -d' ' -f1 /proc/uptime)
	sleep 0.5
	ip netns exec c ping -c1 -W2 10.0.9.9 > /dev/null 2>&1 || why="${why}ping through the DNAT not answered; "
	ip netns exec c ping -c1 -W1 10.0.2.2 > /dev/null 2>&1 && why="${why}ping to the drop rule answered; "
	ip netns exec c nc -w 1 10.0.2.1 9 < /dev/null > /dev/null 2>&1 && why="${why}TCP port 9 of s accepted a connection; "
	# (no busybox timeout here: its exec prefers busybox's own "ip" applet)
	echo hello-whatwhy | ip netns exec c nc -w 2 10.0.2.1 $WW_PORT > /dev/null 2>&1
	echo hello-invalid | ip netns exec c nc -w 1 10.0.2.1 $WW_INV > /dev/null 2>&1
	sleep 1
	grep -q hello-whatwhy $W/ww.tcp || why="${why}TCP message through the masquerade not received; "
	grep -q hello-invalid $W/ww.inv || why="${why}TCP message past the notrack rule not received; "
	inv=$(ip netns exec r nft list chain ip ww inv | sed -n 's/.*counter packets \([0-9]*\) .*ww_inv.*/\1/p')
	kill -INT $td0 $td1 2>/dev/null; wait $td0 $td1
	kill -INT $pid 2>/dev/null; wait $pid; rc=$?
	kill $srv $srv2 2>/dev/null
	ip netns exec r nft delete table ip ww
	cut -c1-300 $W/ww.err
	[ $rc = 0 ] || why="${why}nft-record exit code $rc: $(grep -v '^nft-record: [0-9]' $W/ww.err | tail -n 2 | tr '\n' ' '); "
	# fentry / kprobe: a helper detaches; the next scenarios attach on a quiet kernel
	helper=$(sed -n 's/^nft-record: [0-9]* [a-z-]* probes detach in the background (helper pid \([0-9]*\);.*/\1/p' $W/ww.err)
	n=0
	while [ -n "$helper" ] && [ -d /proc/$helper ] && [ "$(procstate $helper)" != Z ] && [ $n -lt 600 ]; do
		sleep 0.1; n=$((n + 1))
	done
	u2=$(cut -d' ' -f1 /proc/uptime)
	[ -s $W/ww.ntl ] || { res FAIL "whatwhy/$be/record" "${why}no log"; return; }
	# the host checks these (tests/tools/whatwhy_check.sh), also after a failure
	{
		echo "NT_WW $be env nft_bpf=$NFT_BPF"
		echo "NT_WW $be env port=$WW_PORT"
		echo "NT_WW $be env invport=$WW_INV"
		echo "NT_WW $be env invalid=$inv"
		echo "NT_WW $be env ctin=$(grep -c '"nf_conntrack_in"' $W/ww.cfg.json)"
		[ -n "$ctwhy" ] && echo "NT_WW $be env ctwhy=$ctwhy"
	} > "${NT_RES:-/dev/stdout}"
	ww_emit $be ntl $W/ww.ntl
	ww_emit $be c0 $W/ww.c0.pcap
	ww_emit $be s0 $W/ww.s0.pcap
	info "whatwhy/$be: attach $(awk -v a=$u0 -v b=$u1 'BEGIN{printf "%.1f", b-a}') s, traffic + detach $(awk -v a=$u1 -v b=$u2 'BEGIN{printf "%.1f", b-a}') s; log $(wc -c < $W/ww.ntl) bytes; $(grep -o 'kernel stacks: .*' $W/ww.err)"
	if [ -z "$why" ]; then res PASS "whatwhy/$be/record"; else res FAIL "whatwhy/$be/record" "$why"; fi
}
