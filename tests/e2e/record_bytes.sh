#!/bin/bash
# record_bytes.sh - nft-record --capture-bytes 128 in tracepoint mode, per
# packet against tcpdump of the same traffic: A pings B three times (B's input
# rule drops them: drop.nft) and sends three 300-byte UDP datagrams to a
# closed port of B (ICMP port unreachable back); tcpdump -w runs on B's veth
# meanwhile.  nft-analyze pcap exports the log; tshark reads it without
# malformed packets or expert errors, and every exported packet's bytes are
# exactly the first bytes of one packet tcpdump captured (the MAC header on),
# with tcpdump's length as the original length and min(128, length) captured;
# every packet tcpdump saw is in the export exactly twice (first sight in the
# sender's namespace, again in the receiver's: a version per namespace,
# not per hop); tcpdump -r
# reads the export too.  A recording without --capture-bytes exports nothing
# (exit 2, one line).
. "$(dirname "$0")/lib_netns.sh"
nt_lib_init record_bytes
command -v tshark > /dev/null || nt_skip "tshark not installed"
command -v tcpdump > /dev/null || nt_skip "tcpdump not installed"
for bad in 257 -1 x; do
	out=$("$NT_REC" --capture-bytes=$bad -o "$NT_TMP/no.ntl" 2>&1); rc=$?
	[ "$rc" = 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || nt_fail "--capture-bytes=$bad: exit $rc, '$out'"
done
nt_ns_pair 99 || { nt_fail "netns setup failed"; exit 1; }
nt_ns_ruleset "$NSB" "$NT_ROOT/samples/rulesets/drop.nft" || { nt_fail "ruleset"; exit 1; }
ip netns exec "$NSB" tcpdump -i vB -w "$NT_TMP/tcpdump.pcap" -U -s 0 "host $A4 and host $B4" 2> "$NT_TMP/tcpdump.err" &
NT_PIDS+=($!)
nt_record_start "$NSA" "$NSB" -- -q --capture-bytes 128 --filter "host $B4"
ip netns exec "$NSA" ping -c3 -i0.2 -W1 -s 100 "$B4" > /dev/null
for i in 1 2 3; do
	ip netns exec "$NSA" python3 -c "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'nt-bytes-%d' % $i + bytes(290), ('$B4', 9))"
	sleep 0.1
done
sleep 0.5
nt_record_stop INT
[ "$NT_REC_RC" = 0 ] || nt_fail "recorder exit $NT_REC_RC: $(cat "$NT_TMP/rec.err")"
"$NT_ANA" pcap "$NT_LOG" -o "$NT_TMP/out.pcapng" 2> "$NT_TMP/pcap.err" || nt_fail "nft-analyze pcap: $(cat "$NT_TMP/pcap.err")"
tshark -r "$NT_TMP/out.pcapng" -T json -x > "$NT_TMP/ours.json" 2> "$NT_TMP/tshark.err" || nt_fail "tshark: $(head -3 "$NT_TMP/tshark.err")"
tshark -r "$NT_TMP/tcpdump.pcap" -T json -x > "$NT_TMP/theirs.json" 2>> "$NT_TMP/tshark.err" || nt_fail "tshark on tcpdump's capture"
n_exp=$(tshark -r "$NT_TMP/out.pcapng" -z expert,error -q 2>/dev/null | grep -ciE 'malformed|error' )
[ "${n_exp:-0}" = 0 ] || nt_fail "tshark expert errors / malformed packets in the export ($n_exp lines)"
tcpdump -r "$NT_TMP/out.pcapng" -nn > "$NT_TMP/tcpdump-r.txt" 2> "$NT_TMP/tcpdump-r.err" || nt_fail "tcpdump -r the export: $(cat "$NT_TMP/tcpdump-r.err")"
python3 - "$NT_TMP" "$A4" "$B4" <<'PY' || nt_fail "bytes (above)"
import json, sys
tmp, a4, b4 = sys.argv[1:]
def frames(f):
    out = []
    for p in json.load(open(f)):
        l = p['_source']['layers']
        raw = l['frame_raw'][0] if isinstance(l['frame_raw'], list) else l['frame_raw']
        fr = l['frame']
        out.append({'raw': raw.lower(), 'len': int(fr['frame.len']), 'cap': int(fr['frame.cap_len']),
                    'comment': json.dumps(l.get('pkt_comment', l.get('frame', {}).get('frame.comment', '')))})
    return out
ours, theirs = frames(tmp + '/ours.json'), frames(tmp + '/theirs.json')
errors = []
used = [0] * len(theirs)
for i, o in enumerate(ours):
    m = [j for j, t in enumerate(theirs) if t['raw'].startswith(o['raw']) and t['len'] == o['len']]
    if not m:
        errors.append('exported packet %d (%d of %d bytes) is no packet tcpdump saw: %s' % (i + 1, o['cap'], o['len'], o['raw'][:80]))
        continue
    if o['cap'] != min(128, o['len']):
        errors.append('exported packet %d: %d bytes captured of %d, expected %d' % (i + 1, o['cap'], o['len'], min(128, o['len'])))
    for j in m:
        used[j] += 1
# every packet tcpdump saw on B's veth was recorded (first sight in A: the same frame)
# and exported twice: its first sight in the sender's namespace, then the
# same headers in the receiver's (a version per namespace)
bad = [j for j in range(len(theirs)) if used[j] != 2]
if bad:
    errors.append('%d of %d tcpdump packets not exported exactly twice (%s), e.g. %s' % (
        len(bad), len(theirs), [used[j] for j in bad], theirs[bad[0]]['raw'][:80]))
if len(theirs) != 9:
    errors.append('tcpdump saw %d packets, expected 9 (3 echo requests, 3 datagrams, 3 port unreachables)' % len(theirs))
if len(ours) != 2 * len(theirs):
    errors.append('%d exported packets, expected %d' % (len(ours), 2 * len(theirs)))
for e in errors:
    print('  ' + e)
print('  %d exported packets against %d tcpdump packets' % (len(ours), len(theirs)))
sys.exit(1 if errors else 0)
PY
# no bytes recorded: pcap exits 2 with one line, no file
nt_record_start "$NSA" "$NSB" -- -q --force --filter "host $B4"
ip netns exec "$NSA" ping -c1 -W1 "$B4" > /dev/null
nt_record_stop INT
"$NT_ANA" pcap "$NT_LOG" -o "$NT_TMP/none.pcapng" 2> "$NT_TMP/none.err"; rc=$?
[ "$rc" = 2 ] && [ "$(wc -l < "$NT_TMP/none.err")" = 1 ] && grep -q -- --capture-bytes "$NT_TMP/none.err" && [ ! -e "$NT_TMP/none.pcapng" ] ||
	nt_fail "pcap of a log without bytes: exit $rc, $(cat "$NT_TMP/none.err")"
nt_assert_clean
[ "$NT_FAILED" = 0 ] && nt_pass
exit $NT_FAILED
