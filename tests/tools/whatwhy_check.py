#!/usr/bin/env python3
"""whatwhy_check.py - issue #18's checks on a function-mode recording made in a
VM guest (tests/vm/guest/whatwhy.sh; run by tests/tools/whatwhy_check.sh).

usage: whatwhy_check.py --name KERNEL/whatwhy/BACKEND --log LOG --c0 PCAP --s0 PCAP
                        --ana NFT-ANALYZE [--env FILE] [--work DIR]

The guest recorded (--capture-bytes 128 --stack drop [--conntrack]) a ping
through r's DNAT (10.0.9.9 -> 10.0.2.1), a ping dropped by s's rule "drop"
(10.0.2.2), a TCP connection to the closed port 9 of s, and a TCP connection to
port PORT of s that r masquerades, with tcpdump on c0 (before the NAT) and s0
(after).  Prints one PASS / FAIL / SKIP line per check:
  pcap           `nft-analyze pcap` export: tshark reads it with no malformed
                 packet and no expert error, as many packets as the log has
                 packet versions (BYTES records), tcpdump -r reads it
  nat-versions   the DNAT ping's echo request exported in both header versions
                 (dst 10.0.9.9 and 10.0.2.1, one packet id in both comments),
                 the masqueraded SYN in both, equal to the headers tcpdump saw
                 on c0 and on s0
  stack-nft      the ping dropped by the rule: the stack at the deciding rule
                 step has nft_do_chain and nf_hook_slow, the drop stack
                 nf_hook_slow, the drop location is one of its frames
  stack-nosocket the SYN to the closed port: its drop stack has tcp_v4_rcv
  conntrack      the masqueraded connection: the SYN new, every later packet
                 established, in its direction; original tuple = c0's SYN;
                 the SYN's CT records first without NAT (reply = original
                 reversed: conntrack's entry at PREROUTING, before the
                 masquerade binds it at POSTROUTING), its last one with the
                 masquerade (reply from s0's SYN, SRC_NAT_DONE), every later
                 packet's with the masquerade; source NAT named; the text
                 journeys show "connection: new (packet N) → established"
  ct-invalid     r's rule "ww_inv" (ct state invalid) counted the SYN-ACK of
                 the connection to port INVPORT (r tracks only s's side: notrack
                 for the client's): exactly that many packets from s's port
                 show ct state invalid, the first of them among them; the
                 client's packets show untracked
"""
import argparse
import json
import os
import re
import subprocess
import sys

ap = argparse.ArgumentParser()
ap.add_argument('--name', required=True)
ap.add_argument('--log', required=True)
ap.add_argument('--c0', required=True)
ap.add_argument('--s0', required=True)
ap.add_argument('--ana', required=True)
ap.add_argument('--env', default='')
ap.add_argument('--work', default='.')
a = ap.parse_args()

env = {}
if a.env and os.path.exists(a.env):
    for line in open(a.env):
        k, _, v = line.rstrip('\n').partition('=')
        env[k] = v
PORT = int(env.get('port', '8081'))
failed = 0


def res(check, errors, skip=None):
    global failed
    if skip:
        print('SKIP: %s/%s: %s' % (a.name, check, skip))
    elif errors:
        failed += 1
        print('FAIL: %s/%s: %s' % (a.name, check, '; '.join(errors)[:1500]))
    else:
        print('PASS: %s/%s' % (a.name, check))


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, **kw)


def tshark_pkts(path, extra=()):
    """packets of PATH as dicts of the tshark fields below"""
    fields = ['frame.comment', 'ip.src', 'ip.dst', 'icmp.type', 'icmp.ident', 'icmp.seq',
              'tcp.srcport', 'tcp.dstport', 'tcp.flags.syn', 'tcp.flags.ack', 'frame.len', 'frame.cap_len']
    cmd = ['tshark', '-r', path, '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=f']
    for f in fields:
        cmd += ['-e', f]
    p = run(cmd)
    if p.returncode:
        return None, p.stderr.strip()[:300]
    out = []
    for line in p.stdout.splitlines():
        v = line.split('\t')
        v += [''] * (len(fields) - len(v))
        out.append(dict(zip(fields, v)))
    return out, ''


def name_of(frame):
    """'nft_do_chain [nf_tables]+0x12' -> 'nft_do_chain'"""
    return frame.split('+')[0].split(' ')[0]


js = run([a.ana, 'journeys', '--json', a.log])
ev = run([a.ana, 'events', '--json', a.log])
if js.returncode or ev.returncode:
    for c in ('pcap', 'nat-versions', 'stack-nft', 'stack-nosocket', 'conntrack', 'ct-invalid'):
        res(c, ['nft-analyze journeys / events: %s' % (js.stderr or ev.stderr).strip()[:300]])
    sys.exit(1)
journeys = json.loads(js.stdout)['journeys']
events = json.loads(ev.stdout)['events']
nbytes = sum(1 for e in events if e.get('type') == 'BYTES')

# ---- pcap: tshark reads the export, one packet per packet version ----
pcapng = os.path.join(a.work, 'whatwhy.pcapng')
errors = []
p = run([a.ana, 'pcap', a.log, '-o', pcapng])
ours = []
if p.returncode:
    errors.append('nft-analyze pcap exit %d: %s' % (p.returncode, p.stderr.strip()[:300]))
else:
    ours, why = tshark_pkts(pcapng)
    if ours is None:
        errors.append('tshark cannot read the export: ' + why)
        ours = []
    ex = run(['tshark', '-r', pcapng, '-q', '-z', 'expert,error'])
    bad = [l for l in ex.stdout.splitlines() if re.search(r'malformed|error', l, re.I)]
    if ex.returncode or bad:
        errors.append('tshark expert errors / malformed packets: %s' % ' | '.join(bad[:4]))
    if len(ours) != nbytes:
        errors.append('%d packets exported, the log has %d packet versions (BYTES records)' % (len(ours), nbytes))
    if not nbytes:
        errors.append('no BYTES record in the log')
    td = run(['tcpdump', '-nn', '-r', pcapng])
    if td.returncode or len(td.stdout.splitlines()) != len(ours):
        errors.append('tcpdump -r: exit %d, %d lines for %d packets: %s' % (
            td.returncode, len(td.stdout.splitlines()), len(ours), td.stderr.strip()[:200]))
res('pcap', errors)
print('# %s: %d packet versions exported, %d journeys' % (a.name, len(ours), len(journeys)))

# ---- nat-versions: both header versions of the NATed packets ----
errors = []


def pkt_id(c):
    m = re.match(r'nft-tracer packet (\d+) version', c or '')
    return int(m.group(1)) if m else None


req = [o for o in ours if o['icmp.type'] == '8' and o['ip.src'] == '10.0.1.1' and o['ip.dst'] in ('10.0.9.9', '10.0.2.1')]
by_pkt = {}
for o in req:
    by_pkt.setdefault((pkt_id(o['frame.comment']), o['icmp.ident'], o['icmp.seq']), set()).add(o['ip.dst'])
if not any(v == {'10.0.9.9', '10.0.2.1'} for v in by_pkt.values()):
    errors.append('no echo request exported with dst 10.0.9.9 and 10.0.2.1 under one packet id: %s' % by_pkt)
td_c0, w0 = tshark_pkts(a.c0)
td_s0, w1 = tshark_pkts(a.s0)
if td_c0 is None or td_s0 is None:
    errors.append('tshark cannot read the guest tcpdump captures: %s %s' % (w0, w1))
    td_c0, td_s0 = [], []


def syn_of(pk):
    s = [x for x in pk if x['tcp.flags.syn'] in ('1', 'True') and x['tcp.flags.ack'] in ('0', 'False')
         and x['tcp.dstport'] == str(PORT)]
    return s[0] if s else None


syn_c0, syn_s0 = syn_of(td_c0), syn_of(td_s0)
tup = lambda x: (x['ip.src'], x['tcp.srcport'], x['ip.dst'], x['tcp.dstport'])
if not syn_c0 or not syn_s0:
    errors.append('tcpdump saw no SYN to port %d on c0 / s0 (%d / %d packets)' % (PORT, len(td_c0), len(td_s0)))
else:
    if syn_s0['ip.src'] != '10.0.2.254':
        errors.append('s0 SYN not masqueraded: %s' % (tup(syn_s0),))
    ours_syn = {}
    for o in ours:
        if o['tcp.dstport'] == str(PORT) and o['tcp.flags.syn'] in ('1', 'True') and o['tcp.flags.ack'] in ('0', 'False'):
            ours_syn.setdefault(pkt_id(o['frame.comment']), set()).add(tup(o))
    want = {tup(syn_c0), tup(syn_s0)}
    if not any(v == want for v in ours_syn.values()):
        errors.append('the SYN is not exported in the versions tcpdump saw %s: %s' % (sorted(want), ours_syn))
res('nat-versions', errors)

# ---- stacks ----
errors = []
drop = [j for j in journeys if j.get('dst') == '10.0.2.2' and j.get('proto') == 'ICMP' and j.get('dropped')]
if len(drop) != 1:
    errors.append('%d dropped journeys of the ping to 10.0.2.2 (want 1)' % len(drop))
for j in drop:
    vs = [name_of(f) for f in j.get('verdict_stack') or []]
    ds = j.get('drop_stack') or []
    if env.get('nft_bpf') != '1':
        pass  # verdicts from the netlink trace: no stack at the rule step (checked below: SKIP)
    elif 'nft_do_chain' not in vs or 'nf_hook_slow' not in vs:
        errors.append('packet %s: verdict stack lacks nft_do_chain / nf_hook_slow: %s' % (j['packet'], j.get('verdict_stack')))
    if 'nf_hook_slow' not in [name_of(f) for f in ds]:
        errors.append('packet %s: drop stack lacks nf_hook_slow: %s' % (j['packet'], ds))
    if any(f.startswith('0x') for f in ds + (j.get('verdict_stack') or [])):
        errors.append('packet %s: unnamed frames' % j['packet'])
    if j.get('drop_location') not in ds:
        errors.append('packet %s: drop location %s not a frame of its stack' % (j['packet'], j.get('drop_location')))
if env.get('nft_bpf') != '1' and not errors:
    res('stack-nft', [], skip='no nf_tables BTF on this kernel (module BTF: 5.11+): nft verdicts come from the netlink '
        'trace, so no stack at the deciding rule (drop stack with nf_hook_slow: checked, fine)')
else:
    res('stack-nft', errors)
errors = []
ns = [j for j in journeys if j.get('dst') == '10.0.2.1' and j.get('proto') == 'TCP' and j.get('dport') == 9
      and j.get('dropped')]
if not ns:
    errors.append('no dropped SYN to 10.0.2.1:9')
for j in ns:
    names = [name_of(f) for f in j.get('drop_stack') or []]
    if 'tcp_v4_rcv' not in names:
        errors.append('packet %s: drop stack lacks tcp_v4_rcv: %s' % (j['packet'], j.get('drop_stack')))
    if j.get('drop_reason') not in (None, 'NO_SOCKET'):
        errors.append('packet %s: drop reason %s (want NO_SOCKET)' % (j['packet'], j.get('drop_reason')))
res('stack-nosocket', errors)

# ---- conntrack: the masqueraded connection ----
errors = []
if env.get('ctwhy'):
    res('conntrack', [], skip=env['ctwhy'])
elif not syn_c0 or not syn_s0:
    res('conntrack', ['no tcpdump oracle (see nat-versions)'])
else:
    want_orig = {'src': syn_c0['ip.src'], 'dst': syn_c0['ip.dst'], 'sport': int(syn_c0['tcp.srcport']), 'dport': PORT}
    want_reply = {'src': syn_s0['ip.dst'], 'dst': syn_s0['ip.src'], 'sport': PORT, 'dport': int(syn_s0['tcp.srcport'])}
    plain_reply = {'src': want_orig['dst'], 'dst': want_orig['src'], 'sport': PORT, 'dport': want_orig['sport']}
    cport, mport = want_orig['sport'], want_reply['dport']
    pk, conn, states = [], set(), []
    for j in sorted(journeys, key=lambda j: j.get('first_ts_ns', 0)):
        if j.get('proto') != 'TCP':
            continue
        fwd = j.get('src') == '10.0.1.1' and j.get('sport') == cport and j.get('dport') == PORT
        back = (j.get('src') == '10.0.2.1' and j.get('sport') == PORT and
                (j.get('dst'), j.get('dport')) in (('10.0.1.1', cport), ('10.0.2.254', mport)))
        if not (fwd or back):
            continue
        pk.append(j)
        syn = len(pk) == 1
        who = 'packet %s (%s)' % (j['packet'], j.get('flow'))
        cts = [c for c in j.get('ct') or [] if c.get('source', 'kernel') == 'kernel']
        if not cts:
            errors.append(who + ': no conntrack')
            continue
        seq = []
        for c in cts:
            conn.add(c.get('conn'))
            o = {k: c.get('orig', {}).get(k) for k in ('src', 'dst', 'sport', 'dport')}
            r = {k: c.get('reply', {}).get(k) for k in ('src', 'dst', 'sport', 'dport')}
            natted = 'SRC_NAT_DONE' in (c.get('status') or [])
            if o != want_orig or r not in (want_reply, plain_reply) or (r == want_reply) != natted:
                errors.append('%s at %s: tuples %s / %s status %s; tcpdump %s / %s' % (
                    who, c.get('func'), o, r, c.get('status'), want_orig, want_reply))
            seq.append('nat' if r == want_reply else 'plain')
            if c.get('dir') != ('original' if fwd else 'reply'):
                errors.append('%s: dir %s' % (who, c.get('dir')))
        # first seen before the masquerade, then when it changed; later packets: NATed
        want_seq = ['plain', 'nat'] if syn else ['nat']
        if [x for k, x in enumerate(seq) if not k or seq[k - 1] != x] != want_seq:
            errors.append('%s: CT records %s (want %s: %s)' % (
                who, seq, ' then '.join(want_seq), 'first seen at PREROUTING, NATed at POSTROUTING' if syn else 'NATed'))
        st = j.get('ct_states')
        states.append(st)
        want = ['new'] if syn else ['established']
        if st != want:
            errors.append('%s: ct_states %s, expected %s' % (who, st, want))
        nat = j.get('ct_nat')
        if not nat or not nat.get('source') or nat.get('reply', {}).get('dst') != want_reply['dst']:
            errors.append('%s: ct_nat %s (expected the source NAT to %s)' % (who, nat, want_reply['dst']))
    if len(pk) < 4:
        errors.append('%d packets of the connection, expected at least 4 (handshake, data)' % len(pk))
    elif pk[0].get('src') != '10.0.1.1' or pk[1].get('src') != '10.0.2.1':
        errors.append('the connection does not start with SYN, SYN-ACK: %s' % [j.get('flow') for j in pk[:2]])
    if len(conn) != 1:
        errors.append('CT records name %d entries (%s), expected 1' % (len(conn), conn))
    if pk:
        tx = run([a.ana, 'journeys', '--packet', str(pk[-1]['packet']), a.log])
        if not re.search(r'connection: new \(packet %s\) \S+ established' % pk[0]['packet'], tx.stdout):
            errors.append('text journey of packet %s lacks "connection: new (packet %s) -> established": %s' % (
                pk[-1]['packet'], pk[0]['packet'], tx.stdout[-400:] + tx.stderr[:200]))
    print('# %s: conntrack of %d packets: %s' % (a.name, len(pk), ' '.join('/'.join(s or ['-']) for s in states)))
    res('conntrack', errors)

# ---- ct-invalid: the SYN-ACK r's conntrack cannot place ----
errors = []
INV = int(env.get('invport', '0') or 0)
if env.get('ctwhy'):
    res('ct-invalid', [], skip=env['ctwhy'])
elif env.get('ctin', '0') in ('', '0'):
    res('ct-invalid', [], skip='nf_conntrack_in is not a traced function on this kernel (nft-discover): no invalid state')
else:
    kernel = int(env.get('invalid') or -1)
    srv = sorted([j for j in journeys if j.get('proto') == 'TCP' and j.get('src') == '10.0.2.1' and j.get('sport') == INV],
                 key=lambda j: j.get('first_ts_ns', 0))
    cli = [j for j in journeys if j.get('proto') == 'TCP' and j.get('dst') == '10.0.2.1' and j.get('dport') == INV]
    inv = [j for j in srv if 'invalid' in (j.get('ct_states') or [])]
    if kernel < 1:
        errors.append('r\'s ct state invalid rule counted %s packets (want >= 1: the SYN-ACK)' % env.get('invalid'))
    if len(inv) != kernel:
        errors.append('%d packets from port %d show invalid, r\'s rule counted %d: %s' % (
            len(inv), INV, kernel, [(j['packet'], j.get('ct_states')) for j in srv]))
    if not srv or srv[0] not in inv:
        errors.append('the SYN-ACK from port %d does not show invalid: %s' % (INV, srv[0].get('ct') if srv else 'no packet'))
    for j in inv:
        c = [c for c in j.get('ct') or [] if c.get('state') == 'invalid']
        if any(x.get('orig') or x.get('status') for x in c):
            errors.append('packet %s: invalid with tuples / status %s' % (j['packet'], c))
    bad = [(j['packet'], j.get('ct_states')) for j in cli if j.get('ct_states') != ['untracked']]
    if not cli or bad:
        errors.append('client packets to port %d not untracked (notrack in r): %s of %d' % (INV, bad, len(cli)))
    if inv:
        tx = run([a.ana, 'journeys', '--packet', str(inv[0]['packet']), a.log])
        if 'ct: invalid' not in tx.stdout:
            errors.append('text journey of packet %s lacks "ct: invalid"' % inv[0]['packet'])
    print('# %s: ct-invalid: rule counted %d, %d of %d server packets invalid, %d client packets untracked' % (
        a.name, kernel, len(inv), len(srv), len(cli) - len(bad)))
    res('ct-invalid', errors)
sys.exit(1 if failed else 0)
