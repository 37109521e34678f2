#!/bin/bash
# record_conntrack.sh - nft-record --conntrack in tracepoint mode, per packet
# against the kernel's own conntrack table (conntrack -L).  Client A (10.98.1.1)
# connects to server B (10.98.2.2:80) through router R, which masquerades to
# 10.98.2.1.  While the connection is open, conntrack -L in R gives the entry
# (original and reply tuple, ASSURED, mark, zone).  Checked per packet of the
# connection in the log: every CT record names the same nf_conn with exactly
# those tuples; the SYN's states are new (→ its NAT set up: SRC_NAT_DONE);
# every later packet shows established, in the right direction (client →
# server original, server → client reply); journeys name the masquerade
# with both tuples; text journeys print "ct: new"; without --conntrack the
# log has no CT record.  The recording also has --stack=all (checked below).
. "$(dirname "$0")/lib_netns.sh"
nt_lib_init record_conntrack
command -v conntrack > /dev/null || nt_skip "conntrack (Debian package conntrack) not installed"
NSA=${NT_PFX}a NSR=${NT_PFX}r NSB=${NT_PFX}b
for ns in $NSA $NSR $NSB; do ip netns add $ns && NT_NSLIST+=($ns); ip -n $ns link set lo up; done
ip link add vA netns $NSA type veth peer name vR1 netns $NSR || { nt_fail "veth"; exit 1; }
ip link add vB netns $NSB type veth peer name vR2 netns $NSR || { nt_fail "veth"; exit 1; }
ip -n $NSA addr add 10.98.1.1/24 dev vA; ip -n $NSA link set vA up
ip -n $NSR addr add 10.98.1.2/24 dev vR1; ip -n $NSR link set vR1 up
ip -n $NSR addr add 10.98.2.1/24 dev vR2; ip -n $NSR link set vR2 up
ip -n $NSB addr add 10.98.2.2/24 dev vB; ip -n $NSB link set vB up
ip -n $NSA route add default via 10.98.1.2
ip netns exec $NSR sysctl -qw net.ipv4.ip_forward=1
ip netns exec $NSR nft -f - <<'NFT' || { nt_fail "router ruleset"; exit 1; }
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "vR2" masquerade
	}
}
NFT
ip netns exec $NSA ping -c1 -W1 10.98.2.2 > /dev/null || { nt_fail "no route A -> B"; exit 1; }
ip netns exec $NSR conntrack -F 2>/dev/null
ip netns exec $NSB python3 -c "
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', 80)); s.listen(1); c, _ = s.accept(); c.recv(10); c.sendall(b'ok')
import time; time.sleep(4)" &
NT_PIDS+=($!); sleep 0.3

nt_record_start "$NSR" -- --conntrack --stack=all --filter "tcp port 80"
ip netns exec $NSA python3 -c "
import socket, time
s = socket.create_connection(('10.98.2.2', 80), timeout=2); s.sendall(b'hello'); s.recv(10)
open('$NT_TMP/connected', 'w').close(); time.sleep(1.0); s.close()" &
CLIENT=$!
for i in $(seq 1 100); do [ -e "$NT_TMP/connected" ] && break; sleep 0.05; done
ip netns exec $NSR conntrack -L -p tcp --dport 80 > "$NT_TMP/conntrack.txt" 2> /dev/null
wait $CLIENT
sleep 0.3
nt_record_stop INT
[ "$NT_REC_RC" = 0 ] || nt_fail "recorder exit $NT_REC_RC: $(cat "$NT_TMP/rec.err")"
"$NT_ANA" journeys --json "$NT_LOG" > "$NT_TMP/journeys.json" 2> "$NT_TMP/ana.err" || nt_fail "journeys: $(cat "$NT_TMP/ana.err")"
"$NT_ANA" journeys "$NT_LOG" > "$NT_TMP/journeys.txt" 2>> "$NT_TMP/ana.err"
python3 - "$NT_TMP" <<'PY' || nt_fail "conntrack (above)"
import json, re, sys
tmp = sys.argv[1]
errors = []
lines = [l for l in open(tmp + '/conntrack.txt') if 'dport=80' in l]
if len(lines) != 1:
    print('  conntrack -L: expected 1 entry, got %r' % lines); sys.exit(1)
ct = lines[0]
kv = re.findall(r'(src|dst|sport|dport)=(\S+)', ct)
if len(kv) != 8:
    print('  cannot parse %r' % ct); sys.exit(1)
v = [x[1] for x in kv]
want_orig = {'src': v[0], 'dst': v[1], 'sport': int(v[2]), 'dport': int(v[3])}
want_reply = {'src': v[4], 'dst': v[5], 'sport': int(v[6]), 'dport': int(v[7])}
mark = int(re.search(r'mark=(\d+)', ct).group(1)) if 'mark=' in ct else None
zone = int(re.search(r'zone=(\d+)', ct).group(1)) if 'zone=' in ct else 0
if want_orig['src'] != '10.98.1.1' or want_reply['dst'] != '10.98.2.1':
    errors.append('conntrack -L is not the masqueraded connection: %r' % ct)
cport = want_orig['sport']
js = json.load(open(tmp + '/journeys.json'))['journeys']
conn = set()
pk = []
for j in js:
    fwd = j.get('src') == '10.98.1.1' and j.get('sport') == cport and j.get('dport') == 80
    # a reply is first seen at B, before R undoes the masquerade
    back = ((j.get('dst'), j.get('dport')) in (('10.98.1.1', cport), (want_reply['dst'], want_reply['dport']))
            and j.get('src') == '10.98.2.2' and j.get('sport') == 80)
    if j.get('proto') != 'TCP' or not (fwd or back):
        continue
    pk.append(j)
    who = 'packet %s (%s)' % (j['packet'], j['flow'])
    cts = j.get('ct') or []
    if not cts:
        errors.append(who + ': no conntrack'); continue
    for c in cts:
        if c.get('source', 'kernel') != 'kernel':
            continue
        conn.add(c.get('conn'))
        o = {k: c.get('orig', {}).get(k) for k in ('src', 'dst', 'sport', 'dport')}
        r = {k: c.get('reply', {}).get(k) for k in ('src', 'dst', 'sport', 'dport')}
        if o != want_orig or r != want_reply:
            errors.append('%s: tuples %s / %s, conntrack -L %s / %s' % (who, o, r, want_orig, want_reply))
        if c.get('dir') != ('original' if fwd else 'reply'):
            errors.append('%s: dir %s' % (who, c.get('dir')))
        if mark is not None and c.get('mark') != mark:
            errors.append('%s: mark %s, conntrack -L %s' % (who, c.get('mark'), mark))
        if c.get('zone') != zone:
            errors.append('%s: zone %s, expected %s' % (who, c.get('zone'), zone))
    states = j.get('ct_states')
    is_syn = fwd and not pk[:-1]
    want = ['new'] if is_syn else ['established']
    if states != want:
        errors.append('%s: ct_states %s, expected %s' % (who, states, want))
    last = [c for c in cts if 'status' in c][-1]
    if not is_syn and ('SRC_NAT_DONE' not in last['status'] or 'CONFIRMED' not in last['status']):
        errors.append('%s: status %s lacks SRC_NAT_DONE / CONFIRMED' % (who, last['status']))
    if is_syn and 'SRC_NAT_DONE' not in last['status']:
        errors.append('%s: the SYN leaves R without SRC_NAT_DONE: %s' % (who, last['status']))
    nat = j.get('ct_nat')
    if not nat or 'source' not in json.dumps(nat):
        errors.append('%s: ct_nat %s (expected the source NAT)' % (who, nat))
if len(pk) < 6:
    errors.append('%d packets of the connection, expected at least 6 (handshake, data, reply, close)' % len(pk))
if len(conn) != 1:
    errors.append('CT records name %d entries (%s), expected 1' % (len(conn), conn))
if 'ASSURED' in ct and not any('ASSURED' in c.get('status', []) for j in pk for c in j.get('ct') or []):
    errors.append('conntrack -L says ASSURED, no CT record does')
for e in errors:
    print('  ' + e)
print('  checked %d packets against conntrack -L: %s' % (len(pk), ct.strip()))
sys.exit(1 if errors else 0)
PY
grep -q 'ct: new' "$NT_TMP/journeys.txt" || nt_fail "journeys text has no 'ct: new'"
# the same recording's --stack=all (issue #18): every traced hit has its stack
# too (a STACKREF after its FUNC), stored once per distinct stack (packets on
# the same path share ids); a stack the map could not store (its bucket held
# another one: 4096 buckets) is counted, exactly: hits + drops = stacks
# referred to + LOSS stack + unreadable + ring losses
"$NT_ANA" events --json "$NT_LOG" > "$NT_TMP/all.json" 2> "$NT_TMP/ana.err" || nt_fail "events: $(cat "$NT_TMP/ana.err")"
"$NT_ANA" stats --json "$NT_LOG" > "$NT_TMP/all-stats.json" 2>> "$NT_TMP/ana.err"
python3 - "$NT_TMP" <<'PY' || nt_fail "--stack=all (above)"
import json, re, sys
tmp = sys.argv[1]
ev = json.load(open(tmp + '/all.json'))['events']
loss = json.load(open(tmp + '/all-stats.json'))['stats']['loss']
err = open(tmp + '/rec.err').read()
m = re.search(r'kernel stacks: (\d+) distinct, lost (\d+), unreadable (\d+)', err)
errors = []
if not m:
    print('  no "kernel stacks:" summary line'); sys.exit(1)
distinct, lost, unreadable = map(int, m.groups())
hits = sum(1 for e in ev if e['type'] == 'FUNC' and e.get('func') != 'net:net_dev_xmit')
drops = [e for e in ev if e['type'] == 'DROP']
refs = [e for e in ev if e['type'] == 'STACKREF']
ids = set(e['stack_id'] for e in refs)
js = json.load(open(tmp + '/journeys.json'))['journeys']
if sum(1 for j in js if j.get('dropped')) != len(drops):
    errors.append('%d DROP records, %d dropped journeys' % (len(drops), sum(1 for j in js if j.get('dropped'))))
with_stack = sum(1 for j in js if j.get('dropped') and j.get('drop_stack_id'))
if loss.get('stack', 0) != lost:
    errors.append('stats loss.stack %s, recorder says lost %d' % (loss.get('stack'), lost))
if hits + len(drops) != len(refs) + with_stack + lost + unreadable + loss.get('ringbuf', 0):
    errors.append('%d hits + %d drops != %d stack references + %d drop stacks + %d lost + %d unreadable + %d ring losses' % (
        hits, len(drops), len(refs), with_stack, lost, unreadable, loss.get('ringbuf', 0)))
if not refs or len(ids) >= len(refs):
    errors.append('%d stack references to %d distinct stacks (packets on one path: fewer distinct)' % (len(refs), len(ids)))
for e in refs:
    if not e.get('frames') or any(f.startswith('0x') for f in e['frames']):
        errors.append('STACKREF at %s: frames %s' % (e.get('t_ns'), e.get('frames')))
        break
for e in errors:
    print('  ' + e)
print('  --stack=all: %d hits, %d drops, %d stack references to %d distinct stacks, %d lost' % (hits, len(drops), len(refs), len(ids), lost))
sys.exit(1 if errors else 0)
PY
# without --conntrack: no CT record
nt_record_start "$NSR" -- -q --force --filter "tcp port 80"
ip netns exec $NSA python3 -c "
import socket
try: socket.create_connection(('10.98.2.2', 80), timeout=1)
except OSError: pass"
nt_record_stop INT
n=$("$NT_ANA" events --json "$NT_LOG" 2>/dev/null | python3 -c "import json,sys; e=json.load(sys.stdin)['events']; print(sum(x['type']=='CT' for x in e), sum(x['type']=='META' for x in e))")
case "$n" in "0 "[1-9]*) ;; *) nt_fail "without --conntrack: CT / META records $n (expected 0 CT, some META)";; esac
nt_assert_clean
[ "$NT_FAILED" = 0 ] && nt_pass
exit $NT_FAILED
