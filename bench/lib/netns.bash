# bench/lib/netns.bash - a pair of network namespaces joined by veth for the
# host benches (sourced).  bench_netns_up PREFIX creates PREFIX_a (10.98.0.1)
# and PREFIX_b (10.98.0.2); bench_netns_down PREFIX removes them.
bench_netns_up() {
	local p=$1
	bench_netns_down "$p"
	ip netns add "${p}_a" && ip netns add "${p}_b" || return 1
	ip link add "${p}0" netns "${p}_a" type veth peer name "${p}1" netns "${p}_b" || return 1
	ip -n "${p}_a" addr add 10.98.0.1/24 dev "${p}0"
	ip -n "${p}_b" addr add 10.98.0.2/24 dev "${p}1"
	ip -n "${p}_a" link set "${p}0" up
	ip -n "${p}_b" link set "${p}1" up
	ip -n "${p}_a" link set lo up
	ip -n "${p}_b" link set lo up
	ip netns exec "${p}_a" ping -c1 -W2 10.98.0.2 > /dev/null
}
bench_netns_down() {
	ip netns del "${1}_a" 2> /dev/null
	ip netns del "${1}_b" 2> /dev/null
	return 0
}
# ruleset of the receiving side: a rule per protocol, so every packet gets
# nftables rule records (the nftrace steps the recorder writes)
BENCH_RULESET='table inet bench {
	chain input {
		type filter hook input priority filter; policy accept;
		icmp type echo-request counter accept
		udp dport 5201 counter accept
		tcp dport 5201 counter accept
	}
}'
