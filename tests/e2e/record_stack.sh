#!/bin/bash
# record_stack.sh - nft-record --stack drop in tracepoint mode, checked per
# packet against independent truths:
#  - three pings from A to B dropped by B's input rule (drop.nft, handle 2):
#    each drop stack is in the log's STACKS block and, symbolized from the
#    log's own KSYMS snapshot, contains nf_hook_slow (the netfilter hook that
#    frees the packet nftables dropped);
#  - three UDP datagrams to a closed port of B (NO_SOCKET): the stack contains
#    the UDP receive function that dropped it;
#  - for every drop, the kernel's own drop location (the skb:kfree_skb
#    tracepoint's `location` argument, recorded apart) is one of the stack's
#    frames, byte for byte: the stack is the drop's own;
#  - the nftables steps still equal nft monitor trace; TRAILER counts the
#    distinct stacks, none lost.
# (--stack=all is checked in record_conntrack.sh's recording.)
. "$(dirname "$0")/lib_netns.sh"
nt_lib_init record_stack
# a mode that does not exist: refused with one line, exit 2 (usage)
for bad in foo all,drop; do
	out=$("$NT_REC" --stack=$bad -o "$NT_TMP/no.ntl" 2>&1); rc=$?
	[ "$rc" = 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && [ ! -e "$NT_TMP/no.ntl" ] ||
		nt_fail "--stack=$bad: exit $rc, output '$out' (expected exit 2, one line, no file)"
done
nt_ns_pair 99 || { nt_fail "netns setup failed"; exit 1; }
nt_ns_ruleset "$NSB" "$NT_ROOT/samples/rulesets/drop.nft" || { nt_fail "ruleset"; exit 1; }
nt_record_start "$NSA" "$NSB" -- --stack --filter "host $B4"
ip netns exec "$NSA" ping -c3 -i0.2 -W1 "$B4" > /dev/null
for i in 1 2 3; do
	ip netns exec "$NSA" python3 -c "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'nt-stack', ('$B4', 9))"
	sleep 0.1
done
sleep 0.3
nt_record_stop INT
[ "$NT_REC_RC" = 0 ] || nt_fail "recorder exit $NT_REC_RC: $(cat "$NT_TMP/rec.err")"
nt_check '{"all_correlated": false, "flows": [
  {"match": {"proto": "ICMP", "src": "10.99.0.1", "dst": "10.99.0.2", "icmp_type": 8}, "count": 3,
   "nft": [["filter", "input", 2, "DROP"]], "verdict": "DROP", "drop_reason": "NETFILTER_DROP"},
  {"match": {"proto": "UDP", "src": "10.99.0.1", "dst": "10.99.0.2", "dport": 9}, "count": 3,
   "drop_reason": "NO_SOCKET"}]}' || nt_fail "log does not match (above)"
"$NT_ANA" journeys "$NT_LOG" > "$NT_TMP/journeys.txt" 2>> "$NT_TMP/ana.err"
python3 - "$NT_TMP" <<'PY' || nt_fail "stacks (above)"
import json, sys
tmp = sys.argv[1]
js = json.load(open(tmp + '/journeys.json'))['journeys']
ev = json.load(open(tmp + '/events.json'))['events']
errors = []
want = {'ICMP': ('nf_hook_slow', 'NETFILTER_DROP'), 'UDP': ('udp', 'NO_SOCKET')}
seen = {}
for j in js:
    if j.get('proto') not in want or j.get('dst') != '10.99.0.2':
        continue
    fn, reason = want[j['proto']]
    who = 'packet %s (%s %s)' % (j['packet'], j['proto'], j.get('drop_reason'))
    st = j.get('drop_stack')
    seen[j['proto']] = seen.get(j['proto'], 0) + 1
    if not st:
        errors.append(who + ': no drop_stack'); continue
    names = [f.split('+')[0] for f in st]
    if any(f.startswith('0x') for f in st):
        errors.append(who + ': unnamed frames %s' % st)
    if not any(n == fn or (fn == 'udp' and n.startswith('__udp') and 'rcv' in n) for n in names):
        errors.append(who + ': stack lacks %s: %s' % (fn, names))
    # the drop location the tracepoint gave is a frame of the stack, exactly
    loc = j.get('drop_location')
    if loc not in st:
        errors.append(who + ': drop location %s not a frame of %s' % (loc, st))
for p, n in (('ICMP', 3), ('UDP', 3)):
    if seen.get(p, 0) != n:
        errors.append('%s drops: %d journeys, expected %d' % (p, seen.get(p, 0), n))
for e in errors:
    print('  ' + e)
print('  checked the drop stacks of %d journeys' % sum(seen.values()))
sys.exit(1 if errors else 0)
PY
# the text journey prints the stack under the drop line
grep -q '^ *nf_hook_slow+0x' "$NT_TMP/journeys.txt" || nt_fail "journeys text shows no nf_hook_slow frame"
# TRAILER: stacks counted, none lost
python3 - "$NT_TMP/rec.err" <<'PY' || nt_fail "summary (above)"
import re, sys
s = open(sys.argv[1]).read()
m = re.search(r'kernel stacks: (\d+) distinct, lost (\d+), unreadable (\d+)', s)
if not m:
    print('  no "kernel stacks:" summary line in %r' % s[-300:]); sys.exit(1)
d, l, u = map(int, m.groups())
if d < 2 or l or u:
    print('  kernel stacks: %d distinct (expected >= 2), lost %d, unreadable %d (expected 0)' % (d, l, u)); sys.exit(1)
PY
[ -n "$NT_KEEP" ] && cp "$NT_TMP/journeys.txt" "$NT_KEEP"
nt_assert_clean
[ "$NT_FAILED" = 0 ] && nt_pass
exit $NT_FAILED
