#!/bin/sh
. /guest/lib.sh
res PASS "boot: $(uname -r)"
ip netns add a; ip netns add b
ip link add va type veth peer name vb
ip link set va netns a; ip link set vb netns b
ip -n a addr add 10.0.0.1/24 dev va; ip -n b addr add 10.0.0.2/24 dev vb
ip -n a link set va up; ip -n b link set vb up; ip -n a link set lo up; ip -n b link set lo up
ip netns exec b nft -f - <<'NFT'
table inet t {
  chain in { type filter hook input priority 0; policy accept;
    meta nftrace set 1
    ip saddr 10.0.0.1 icmp type echo-request jump c1
  }
  chain c1 { icmp type echo-request counter; ip ttl 1 drop; }
}
NFT
ip netns exec b nft -a list ruleset
ip netns exec b nft monitor trace > /tmp/trace.txt 2>&1 &
mon=$!
for be in kprobe-multi fentry kprobe; do
  max=2000; [ $be = kprobe ] && max=200
  t0=$(date +%s)
  nt-vmprobe $be $max 6 > /tmp/p.$be 2>/tmp/e.$be &
  pid=$!
  i=0; while ! grep -q -E 'READY|UNAVAILABLE' /tmp/p.$be && [ $i -lt 600 ]; do sleep 0.2; i=$((i+1)); done
  ip netns exec a ping -c2 -i0.2 -W1 10.0.0.2 >/dev/null
  wait $pid
  echo "== $be ($(( $(date +%s) - t0 )) s)"; cat /tmp/e.$be | tail -5
  grep -E 'ATTACH|UNAVAIL|STATS|DETACH' /tmp/p.$be
  grep -E '^(RULE|CHAIN|LINK)' /tmp/p.$be | head -20
  grep -c '^FUNC' /tmp/p.$be
  sk=$(grep '^RULE' /tmp/p.$be | head -1 | cut -d' ' -f2)
  [ -n "$sk" ] && grep " $sk " /tmp/p.$be | grep FUNC | cut -d' ' -f3 | tr '\n' ' '; echo
done
kill $mon; cat /tmp/trace.txt | head -20
exit 0
