#!/bin/bash
# record_clock.sh - issue #20: a long recording's clock reference is refreshed
# (CLOCK blocks), and nft-analyze maps each record's time with the newest one.
# A short recording stands in for a long one: the hidden test knob
# NT_CLOCK_REFRESH_MS=500 (nft-record/hostid.c) asks for a reference every
# 500 ms instead of a minute; the recorder looks once a second, so one a second.
# Traffic: 12 pings 0.25 s apart (ping -D prints each reply's wall time).
# Checked:
#   - the log has the HEADER clock_ref and at least 3 CLOCK blocks, monotonic
#     instants ascending, 0.5 .. 2.5 s apart (the first after the HEADER's
#     may be later, the last one at the end closer), each one's realtime - monotonic equal to the HEADER's within
#     1 ms (the clock was not stepped);
#   - per packet, the wall time nft-analyze exports (ts_ns, ClickHouse rows)
#     is exactly realtime + (ts - mono) of the newest reference at or before
#     the packet's first record (its ts from journeys --json), and lies
#     between `date` taken before and after the traffic; each echo reply's
#     wall time is within 0 .. 500 ms before ping printed it;
#   - the same log with every CLOCK block k moved by k hours on the wall clock
#     (tests/tools/ntl_edit --step-each: as if the clock had stepped before
#     each block): every packet moves by exactly k hours, k the newest block
#     at or before it (0 before the first) - the newest reference is used,
#     not the HEADER's nor the first.
# About 6 s.
. "$(dirname "$0")/lib_netns.sh"
nt_lib_init record_clock
EDIT=$NT_ROOT/$NT_O/tests/tools/ntl_edit
[ -x "$EDIT" ] || nt_skip "$EDIT not built (make unit)"
command -v ping > /dev/null || nt_skip "ping not installed"
nt_ns_pair 74 || { nt_fail "namespaces"; exit 1; }
export NT_CLOCK_REFRESH_MS=500
nt_record_start "$NSA" -- -q --filter "host $B4"
unset NT_CLOCK_REFRESH_MS
T0=$(date +%s%N)
ip netns exec "$NSA" ping -D -c 12 -i 0.25 -W 1 "$B4" > "$NT_TMP/ping.out" 2>&1 ||
	nt_fail "ping: $(head -c 300 "$NT_TMP/ping.out")"
T1=$(date +%s%N)
nt_record_stop
[ "$NT_REC_RC" = 0 ] || nt_fail "recorder exit $NT_REC_RC: $(head -c 300 "$NT_TMP/rec.err")"
L=$NT_LOG
"$EDIT" "$L" > "$NT_TMP/meta" || nt_fail "ntl_edit (metadata)"
"$EDIT" "$L" -o "$NT_TMP/stepped.ntl" --step-each 3600000000000 || nt_fail "ntl_edit --step-each"
"$NT_ANA" journeys --json "$L" > "$NT_TMP/j.json" &&
"$NT_ANA" export --format clickhouse --table packets -q "$L" > "$NT_TMP/p.json" &&
"$NT_ANA" export --format clickhouse --table packets -q "$NT_TMP/stepped.ntl" > "$NT_TMP/p2.json" ||
	nt_fail "nft-analyze journeys / export"
python3 - "$NT_TMP" "$T0" "$T1" "$A4" "$B4" <<'PY' || nt_fail "clock references (above)"
import json, re, sys
d, t0, t1, a4, b4 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
H = 3600 * 10**9
err = []
blocks = [l.rstrip('\n').split(' ', 1) for l in open(d + '/meta')]
hdr = json.loads(blocks[0][1])
ref0 = (int(hdr['clock_ref']['mono_ns']), int(hdr['clock_ref']['realtime_ns']))
clocks = [json.loads(t) for ty, t in blocks if ty == '8']
clocks = [(int(c['mono_ns']), int(c['realtime_ns'])) for c in clocks]
if len(clocks) < 3:
    err.append('%d CLOCK blocks, expected at least 3 (NT_CLOCK_REFRESH_MS=500)' % len(clocks))
refs = [ref0] + clocks
for i in range(1, len(refs)):
    gap = refs[i][0] - refs[i - 1][0]
    last = i == len(refs) - 1
    # the HEADER's reference is taken before the probes attach (slow on a
    # busy machine): only the refresh period bounds the first gap
    if gap <= 0 or (not last and gap < 0.5e9) or (i > 1 and gap > 2.5e9) or gap > 10e9:
        err.append('CLOCK block %d: %.3f s after the previous reference' % (i, gap / 1e9))
    if abs((refs[i][1] - refs[i][0]) - (ref0[1] - ref0[0])) > 10**6:
        err.append('CLOCK block %d: offset moved by %d ns' % (i, (refs[i][1] - refs[i][0]) - (ref0[1] - ref0[0])))
def newest(ts):
    k = 0
    for i, r in enumerate(refs):
        if r[0] <= ts:
            k = i
    return k
mono = {j['packet']: j['first_ts_ns'] for j in json.load(open(d + '/j.json'))['journeys']}
rows = {}
for f in ('p', 'p2'):
    for l in open('%s/%s.json' % (d, f)):
        r = json.loads(l)
        rows.setdefault(r['packet'], {})[f] = r
checked = moved = 0
for pk, r in sorted(rows.items()):
    if pk not in mono or 'p' not in r or 'p2' not in r:
        err.append('packet %s: not in every output' % pk)
        continue
    ts, k = mono[pk], newest(mono[pk])
    want = refs[k][1] + (ts - refs[k][0])
    if int(r['p']['ts_ns']) != want:
        err.append('packet %s: wall %s, expected %d (reference %d)' % (pk, r['p']['ts_ns'], want, k))
    if not t0 <= int(r['p']['ts_ns']) <= t1:
        err.append('packet %s: wall %s not between date before %d and after %d' % (pk, r['p']['ts_ns'], t0, t1))
    if int(r['p2']['ts_ns']) - int(r['p']['ts_ns']) != k * H:
        err.append('packet %s: stepped log moved it by %d ns, expected %d h (newest reference %d)' %
                   (pk, int(r['p2']['ts_ns']) - int(r['p']['ts_ns']), k, k))
    checked += 1
    moved += k > 0
# each echo reply: its wall time before ping printed it
replies = sorted((r['p']['icmp_seq'], int(r['p']['ts_ns'])) for r in rows.values()
                 if 'p' in r and r['p']['icmp_type'] == 0 and r['p']['src'] == b4)
printed = {}
for l in open(d + '/ping.out'):
    m = re.match(r'\[(\d+)\.(\d+)\].*icmp_seq=(\d+)', l)
    if m:
        printed[int(m.group(3))] = int(m.group(1)) * 10**9 + int(m.group(2).ljust(9, '0')[:9])
for seq, wall in replies:
    if seq in printed and not 0 <= printed[seq] - wall <= 500 * 10**6:
        err.append('echo reply %d: recorded at %d, ping printed it at %d' % (seq, wall, printed[seq]))
if len(printed) < 12 or len(replies) < 12:
    err.append('%d replies printed by ping, %d recorded (12 sent)' % (len(printed), len(replies)))
if checked < 24 or moved < 12:
    err.append('only %d packets checked, %d after a CLOCK block' % (checked, moved))
for e in err[:20]:
    print('  ' + e)
print('  %d CLOCK blocks (%s s apart); %d packets, %d after a CLOCK block; %d replies against ping -D' %
      (len(clocks), ' '.join('%.2f' % ((refs[i][0] - refs[i - 1][0]) / 1e9) for i in range(1, len(refs))),
       checked, moved, len(replies)))
sys.exit(1 if err else 0)
PY
nt_assert_clean
[ "$NT_FAILED" = 0 ] && nt_pass
exit $NT_FAILED
