#!/bin/bash
# lib_netns.sh - shared setup / teardown of the nft-record e2e scenarios.
#
#   . tests/e2e/lib_netns.sh
#   nt_lib_init record_drop          # names, trap, skip when not root
#   nt_ns_pair                       # $NSA <-veth-> $NSB, 10.99.X.1/.2, fd99:X::1/::2
#   nt_ns_ruleset $NSB samples/rulesets/drop.nft
#   nt_record_start $NSA $NSB -- [nft-record options]   # + nft monitor trace per ns
#   ... traffic ...
#   nt_record_stop                   # SIGINT, wait; $NT_LOG, $NT_MON_<ns>
#   nt_assert_clean                  # no nft_record_* table, no BPF program of ours
# Every namespace / process created here is removed by the EXIT trap.

NT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NT_O=${O:-build}
NT_REC=$NT_ROOT/$NT_O/nft-record
NT_ANA=$NT_ROOT/$NT_O/nft-analyze
NT_PIDS=()
NT_NSLIST=()

nt_pass() { echo "PASS: $NT_TEST${1:+: $1}"; }
nt_fail() { echo "FAIL: $NT_TEST: $*"; NT_FAILED=1; }
nt_skip() { echo "SKIP: $NT_TEST: $*"; exit 0; }

nt_cleanup() {
	local p ns
	for p in "${NT_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.2
	for p in "${NT_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	for ns in "${NT_NSLIST[@]}"; do ip netns del "$ns" 2>/dev/null; done
	[ -n "$NT_TMP" ] && [ -z "$NT_KEEP" ] && rm -rf "$NT_TMP"
	return 0
}

# nt_lib_init NAME: test name, temp dir, namespace prefix, trap
nt_lib_init() {
	NT_TEST=$1
	NT_FAILED=0
	[ "$(id -u)" = 0 ] || nt_skip "needs root"
	[ -x "$NT_REC" ] || nt_skip "$NT_REC not built"
	[ -x "$NT_ANA" ] || nt_skip "$NT_ANA not built"
	command -v nft >/dev/null || nt_skip "nft not installed"
	NT_TMP=$(mktemp -d /tmp/nt-e2e.XXXXXX)
	NT_PFX="nt$$"
	trap nt_cleanup EXIT
	trap 'exit 1' INT TERM
}

# nt_ns_pair [SUBNET_OCTET]: NSA, NSB joined by veth; IPv4 + IPv6 addresses
nt_ns_pair() {
	local x=${1:-99}
	NSA=${NT_PFX}a NSB=${NT_PFX}b
	A4=10.$x.0.1 B4=10.$x.0.2 A6=fd$x::1 B6=fd$x::2
	ip netns add "$NSA" && NT_NSLIST+=("$NSA")
	ip netns add "$NSB" && NT_NSLIST+=("$NSB")
	ip link add vA netns "$NSA" type veth peer name vB netns "$NSB" || return 1
	ip -n "$NSA" link set lo up; ip -n "$NSB" link set lo up
	ip -n "$NSA" addr add "$A4/24" dev vA
	ip -n "$NSB" addr add "$B4/24" dev vB
	ip -n "$NSA" addr add "$A6/64" dev vA nodad
	ip -n "$NSB" addr add "$B6/64" dev vB nodad
	ip -n "$NSA" link set vA up; ip -n "$NSB" link set vB up
	# no router solicitations / MLD noise from IPv6 autoconf
	ip netns exec "$NSA" sysctl -qw net.ipv6.conf.vA.router_solicitations=0 2>/dev/null
	ip netns exec "$NSB" sysctl -qw net.ipv6.conf.vB.router_solicitations=0 2>/dev/null
	# resolve neighbours before recording so ARP / NDP do not interleave
	ip netns exec "$NSA" ping -c1 -W1 "$B4" >/dev/null 2>&1
	ip netns exec "$NSA" ping -6 -c1 -W1 "$B6" >/dev/null 2>&1
	ip -n "$NSA" neigh replace "$B4" lladdr "$(ip -n "$NSB" -br link show vB | awk '{print $3}')" dev vA nud permanent
	ip -n "$NSB" neigh replace "$A4" lladdr "$(ip -n "$NSA" -br link show vA | awk '{print $3}')" dev vB nud permanent
	ip -n "$NSA" neigh replace "$B6" lladdr "$(ip -n "$NSB" -br link show vB | awk '{print $3}')" dev vA nud permanent
	ip -n "$NSB" neigh replace "$A6" lladdr "$(ip -n "$NSA" -br link show vA | awk '{print $3}')" dev vB nud permanent
	return 0
}

# nt_ns_ruleset NS FILE: load a sample ruleset into NS
nt_ns_ruleset() {
	ip netns exec "$1" nft -f "$2"
}

# nt_record_start NS... -- OPTIONS: start nft monitor trace in each NS and the recorder
nt_record_start() {
	local nss=() ns
	while [ $# -gt 0 ] && [ "$1" != -- ]; do nss+=("$1"); shift; done
	[ "$1" = -- ] && shift
	NT_LOG=$NT_TMP/rec.ntl
	for ns in "${nss[@]}"; do
		ip netns exec "$ns" nft -a monitor trace > "$NT_TMP/mon.$ns" 2>&1 &
		NT_PIDS+=($!)
	done
	# the recorder runs in the first namespace ("current" one) and adds the
	# others with --netns: the host's own namespace is left alone
	local nsopt=()
	[ ${#nss[@]} -gt 1 ] && nsopt=(--netns "$(IFS=,; echo "${nss[*]:1}")")
	ip netns exec "${nss[0]}" $NT_WRAP "$NT_REC" "${nsopt[@]}" --output "$NT_LOG" "$@" \
		> "$NT_TMP/rec.out" 2> "$NT_TMP/rec.err" &
	NT_REC_PID=$!
	NT_PIDS+=($NT_REC_PID)
	# ready when the trace table exists in every namespace
	local i
	for i in $(seq 1 100); do
		local ok=1
		for ns in "${nss[@]}"; do
			ip netns exec "$ns" nft list tables 2>/dev/null | grep -q "nft_record_$NT_REC_PID" || ok=0
		done
		[ $ok = 1 ] && break
		kill -0 $NT_REC_PID 2>/dev/null || break
		sleep 0.1
	done
	sleep 0.3
	# BPF programs / links held by the recorder, to check they are gone at the end
	NT_PROG_IDS=$(grep -hs '^prog_id:' /proc/$NT_REC_PID/fdinfo/* | awk '{print $2}' | sort -u | tr '\n' ' ')
	NT_LINK_IDS=$(grep -hs '^link_id:' /proc/$NT_REC_PID/fdinfo/* | awk '{print $2}' | sort -u | tr '\n' ' ')
}

# nt_record_stop [SIGNAL]: stop the recorder (default INT) and the monitors
nt_record_stop() {
	local sig=${1:-INT} p
	sleep 0.5
	kill -"$sig" "$NT_REC_PID" 2>/dev/null
	wait "$NT_REC_PID" 2>/dev/null
	NT_REC_RC=$?
	for p in "${NT_PIDS[@]}"; do
		[ "$p" = "$NT_REC_PID" ] && continue
		kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null
	done
	NT_PIDS=()
}

# nt_assert_clean: the recorder's table is gone from every namespace and none of
# the BPF programs / links it held (ids read from /proc/PID/fdinfo while it ran)
# exists any more; nothing of ours is pinned.  (Other recorders may run on the
# host at the same time: only our own objects are checked.)
nt_assert_clean() {
	local ns left id i
	for ns in "" "${NT_NSLIST[@]}"; do
		if [ -z "$ns" ]; then left=$(nft list tables 2>/dev/null | grep "nft_record_$NT_REC_PID\$")
		else left=$(ip netns exec "$ns" nft list tables 2>/dev/null | grep "nft_record_$NT_REC_PID\$"); fi
		[ -z "$left" ] || { nt_fail "table left behind in netns '${ns:-host}': $left"; return 1; }
	done
	[ -n "$NT_PROG_IDS" ] || { nt_fail "no BPF program ids seen while recording"; return 1; }
	for i in $(seq 1 30); do  # programs are freed after an RCU grace period
		left=""
		for id in $NT_PROG_IDS; do bpftool prog show id "$id" >/dev/null 2>&1 && left="$left prog:$id"; done
		for id in $NT_LINK_IDS; do bpftool link show id "$id" >/dev/null 2>&1 && left="$left link:$id"; done
		[ -z "$left" ] && break
		sleep 0.1
	done
	[ -z "$left" ] || { nt_fail "BPF objects left behind:$left"; return 1; }
	left=$(ls /sys/fs/bpf 2>/dev/null | grep -i '^nt_')
	[ -z "$left" ] || { nt_fail "pinned objects: $left"; return 1; }
	return 0
}

# nt_check SPEC_JSON: assert on the recording ($NT_LOG) against the ground truth
# (nft monitor trace of every namespace) and the scenario's expectations.
#  1. every trace id printed by `nft monitor trace` (the recorder's own table left
#     out) has exactly the same (table, chain, rule handle, verdict) sequence in the
#     log's NFT_RULE records (nft-analyze events --json), and vice versa;
#  2. every NFT_RULE record of the expected flows is tied to a packet (skb);
#  3. per expected flow (SPEC "flows"): number of packets, and per packet the exact
#     nft sequence [table, chain, handle, verdict], final verdict, drop reason, and
#     the exact tracepoint path ("path") or required functions ("path_has").
# Prints PASS / FAIL lines for "$NT_TEST"; returns non-zero on failure.
nt_check() {
	"$NT_ANA" events --json "$NT_LOG" > "$NT_TMP/events.json" 2> "$NT_TMP/ana.err"
	local rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 3 ]; then nt_fail "nft-analyze events exit $rc: $(head -c 300 "$NT_TMP/ana.err")"; return 1; fi
	"$NT_ANA" journeys --json "$NT_LOG" > "$NT_TMP/journeys.json" 2>> "$NT_TMP/ana.err"
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 3 ]; then nt_fail "nft-analyze journeys exit $rc"; return 1; fi
	python3 - "$NT_TMP" "$1" <<'PY'
import glob, json, re, sys
tmp, spec = sys.argv[1], json.loads(sys.argv[2])
errors = []
# ---- ground truth: nft monitor trace ----
mon = {}
line_re = re.compile(r'^trace id (\w+) (\w+) (\S+) (\S+) (.*)$')
for f in sorted(glob.glob(tmp + '/mon.*')):
    for line in open(f, errors='replace'):
        m = line_re.match(line.rstrip('\n'))
        if not m:
            continue
        tid, fam, table, chain, rest = m.groups()
        if table.startswith('nft_record_'):
            continue
        seq = mon.setdefault(int(tid, 16), [])
        if rest.startswith('packet:'):
            continue
        if rest.startswith('rule '):
            h = re.search(r'# handle (\d+) \(verdict (\w+)', rest)
            if not h:
                errors.append('cannot parse monitor line: ' + line.strip()); continue
            seq.append((table, chain, int(h.group(1)), h.group(2).upper()))
        elif rest.startswith('policy '):
            seq.append((table, chain, 0, rest.split()[1].upper()))
        elif rest.startswith('verdict '):
            seq.append((table, chain, 0, rest.split()[1].upper()))
mon = {k: v for k, v in mon.items() if v}
# ---- the recording ----
ev = json.load(open(tmp + '/events.json'))['events']
rec, uncorr = {}, []
for e in ev:
    if e['type'] != 'NFT_RULE':
        continue
    seq = rec.setdefault(e['trace_id'], [])
    # end of a regular chain (implicit return): the kernel sends it without a
    # rule handle and nft monitor trace does not print it
    if not (e['kind'] == 'return' and e['handle'] == 0 and e['verdict'] == 'CONTINUE'):
        seq.append((e['table'], e['chain'], e['handle'], e['verdict']))
    if not e.get('skb') or e['skb'] in ('0x0', '0'):
        uncorr.append(e)
if not mon:
    errors.append('nft monitor trace saw no trace at all')
for tid in sorted(set(mon) | set(rec)):
    if mon.get(tid) != rec.get(tid):
        errors.append('trace id %08x: nft monitor %s != recorded %s' % (tid, mon.get(tid), rec.get(tid)))
# ---- expectations per flow ----
js = json.load(open(tmp + '/journeys.json'))['journeys']
def match(j, m):
    for k, v in m.items():
        if k == 'tcp_flags_has':
            continue
        if j.get(k) != v:
            return False
    return True
for fl in spec.get('flows', []):
    sel = sorted([j for j in js if match(j, fl['match'])], key=lambda j: j['first_ts_ns'])
    if 'count' in fl and len(sel) != fl['count']:
        errors.append('flow %s: %d packets, expected %d' % (fl['match'], len(sel), fl['count']))
    if 'min_count' in fl and len(sel) < fl['min_count']:
        errors.append('flow %s: %d packets, expected at least %d' % (fl['match'], len(sel), fl['min_count']))
    if not sel:
        if fl.get('count', 1) != 0:
            errors.append('flow %s: no packet recorded' % fl['match'])
        continue
    if 'first_nft' in fl:  # first packet of the flow (e.g. a SYN that NAT rules see)
        got = [[n['table'], n['chain'], n['handle'], n['verdict']] for n in sel[0]['nft']]
        if got != fl['first_nft']:
            errors.append('first packet of %s: nft %s, expected %s' % (fl['match'], got, fl['first_nft']))
        sel = sel[1:]
    for j in sel[:fl.get('check', len(sel))]:
        who = 'packet %s (%s)' % (j['packet'], j['flow'])
        got = [[n['table'], n['chain'], n['handle'], n['verdict']] for n in j['nft']]
        if 'nft' in fl and got != fl['nft']:
            errors.append('%s: nft %s, expected %s' % (who, got, fl['nft']))
        if 'depths' in fl and [n['depth'] for n in j['nft']] != fl['depths']:
            errors.append('%s: depths %s, expected %s' % (who, [n['depth'] for n in j['nft']], fl['depths']))
        if 'verdict' in fl and j['verdict'] != fl['verdict']:
            errors.append('%s: verdict %s, expected %s' % (who, j['verdict'], fl['verdict']))
        if 'fate' in fl and j.get('fate') != fl['fate']:
            errors.append('%s: fate %s, expected %s' % (who, j.get('fate'), fl['fate']))
        if 'drop_reason' in fl and j.get('drop_reason') != fl['drop_reason']:
            errors.append('%s: drop reason %s, expected %s' % (who, j.get('drop_reason'), fl['drop_reason']))
        path = [p['func'] for p in j['path']]
        if 'path' in fl and path != fl['path']:
            errors.append('%s: path %s, expected %s' % (who, path, fl['path']))
        for f in fl.get('path_has', []):
            if f not in path:
                errors.append('%s: path %s lacks %s' % (who, path, f))
        for n in j['nft']:
            h = str(n['handle'])
            if 'text' in fl and h in fl['text'] and n.get('text') != fl['text'][h]:
                errors.append('%s: rule %s text %r, expected %r' % (who, h, n.get('text'), fl['text'][h]))
# NFT records not tied to a packet (only those of the expected flows matter;
# others - e.g. IPv6 multicast listener reports - are counted)
if uncorr and spec.get('all_correlated', True):
    errors.append('%d NFT_RULE records without skb, e.g. %s' % (len(uncorr), uncorr[0]))
for e in errors:
    print('  ' + e)
print('  checked %d trace ids against nft monitor trace, %d journeys' % (len(mon), len(js)))
sys.exit(1 if errors else 0)
PY
}
