#!/bin/sh
# bench/vm/lib.sh - what the benchmark guests share (/guest/blib.sh, sourced
# after /guest/lib.sh by bench/vm/guest.sh and bench/vm/keep.sh; copied in by
# bench/overhead.sh and bench/keep.sh): the work directory, the result line
# helper and the two namespaces the traffic runs between.
W=/tmp/b; mkdir -p $W
# B KEY=VALUE...: one "BENCH ..." line on the result channel (and the console)
B() { echo "BENCH $*" > "${NT_RES:-/dev/stdout}"; echo "BENCH $*"; }
# namespaces a (v0, 10.98.0.1) and b (v1, 10.98.0.2) over a veth pair, the
# neighbour resolved; the guest stops (a FAIL line) when that fails
bench_pair() {
	ip netns add a && ip netns add b || { res FAIL bench/topology "ip netns"; exit 1; }
	ip link add v0 netns a type veth peer name v1 netns b
	ip -n a addr add 10.98.0.1/24 dev v0; ip -n b addr add 10.98.0.2/24 dev v1
	for n in a b; do ip -n $n link set lo up; done
	ip -n a link set v0 up; ip -n b link set v1 up
	ip netns exec a ping -c1 -W2 10.98.0.2 > /dev/null || { res FAIL bench/topology "no ping"; exit 1; }
}
