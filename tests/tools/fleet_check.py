#!/usr/bin/env python3
"""fleet_check.py - the oracle of tests/e2e/fleet_stitch.sh (issue #20).

fleet_check.py DIR client=INODE router=INODE server=INODE

DIR holds the rows of `nft-analyze export --table hops|nft_steps|packets` of the
reference log (all.*: one recorder in the three namespaces) and of each host's
log (client.*, router.*, server.*), stitched.json (`nft-analyze journeys
--json` of the three host logs) and mon.HOST (`nft -a monitor trace` in each
namespace).  Per packet of the reference: its function records cut into runs
of one namespace; a journey crossing namespaces must be exactly one stitched
journey whose parts, in order, hold the same function records (name, kind, in
order) as those runs; a journey in one namespace must be a journey of one host,
not stitched.  The nft steps of every part (table, chain, handle, verdict; the
recorders' own nft_record_* tables and CONTINUE left out) must be exactly those
nft monitor trace printed in that host's namespace for the packet (same IP id
and source).  Left out of the reference: the records of a run before the host's
recorder first saw the packet there (a packet-path tracepoint is where a
recorder first sees a packet; the reference recorder, tracking the skb
already, may record extra tracepoints before it, e.g. net:netif_rx_entry).
"""
import re
import collections, json, sys

d = sys.argv[1]
ns_of = {}
for a in sys.argv[2:]:
    h, i = a.split('=')
    ns_of[h] = int(i)
host_of_ns = {v: k for k, v in ns_of.items()}
errors = []


def rows(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def key(p):
    return (p['proto'], p['src'], p['dst'], p['sport'], p['dport'], p['ip_id'],
            p['tcp_seq'], p['icmp_type'], p['icmp_id'], p['icmp_seq'])


FIRST_SIGHT = {'net:netif_receive_skb', 'net:netif_rx', 'net:napi_gro_receive_entry',
               'net:net_dev_queue', 'net:net_dev_start_xmit', 'net:net_dev_xmit',
               'skb:kfree_skb', 'skb:consume_skb'}


def events(prefix):
    """packet -> {'f': [(seq, netns, (func, kind))], 'n': {netns: [step]}}, packets"""
    ev = collections.defaultdict(lambda: {'f': [], 'n': collections.defaultdict(list)})
    for r in rows(prefix + '.hops'):
        if r['kind'] == 'left':
            continue  # where a namespace-as-host's packet left it
        ev[r['packet']]['f'].append((r['seq'], r['netns'], (r['func'], r['kind'])))
    for r in sorted(rows(prefix + '.steps'), key=lambda r: r['seq']):
        if r['table'].startswith('nft_record_'):
            continue
        ev[r['packet']]['n'][r['netns']].append(
            (r['table'], r['chain'], r['handle'], r['kind'], r['verdict']))
    for v in ev.values():
        v['f'].sort()
    pk = {r['packet']: r for r in rows(prefix + '.packets')}
    return ev, pk


ref_ev, ref_pk = events(d + '/all')
host_ev, host_pk = {}, {}
for h in ns_of:
    host_ev[h], host_pk[h] = events(d + '/' + h)

# reference journeys: runs of one namespace (functions), nft steps by namespace
ref_runs = {}
for pid, evs in ref_ev.items():
    runs = []
    for _, ns, e in evs['f']:
        if ns not in host_of_ns:
            continue
        if not runs or runs[-1][0] != ns:
            runs.append((ns, []))
        runs[-1][1].append(e)
    if runs:
        ref_runs[pid] = runs
ref_by_key = collections.defaultdict(list)
for pid, p in ref_pk.items():
    if pid in ref_runs:
        ref_by_key[key(p)].append(pid)


def part_view(h, p):
    e = host_ev[h].get(p)
    if not e:
        return (h, [])
    return (h, [x for _, _, x in e['f']])


def part_steps(h, p):
    e = host_ev[h].get(p)
    return [(t, c, hd, v) for t, c, hd, k, v in (e['n'].get(ns_of[h], []) if e else [])
            if v != 'CONTINUE']


# the oracle of nft steps: nft monitor trace per namespace, by (ip id, source)
line_re = re.compile(r'^trace id (\w+) (\w+) (\S+) (\S+) (.*)$')
mon = {}
for h in ns_of:
    cur = {}
    by_key = collections.defaultdict(list)
    for line in open(d + '/mon.' + h, errors='replace'):
        m = line_re.match(line.rstrip('\n'))
        if not m:
            continue
        tid, fam, table, chain, rest = m.groups()
        if rest.startswith('packet:'):
            ipid = re.search(r' ip id (\d+)', rest)
            src = re.search(r' ip saddr (\S+)', rest)
            if ipid and src:
                k = (int(ipid.group(1)), src.group(1))
                if cur.get(tid) != k:
                    cur[tid] = k
                    by_key[k].append([])
            continue
        if table.startswith('nft_record_') or tid not in cur:
            continue
        steps = by_key[cur[tid]][-1]
        if rest.startswith('rule '):
            hm = re.search(r'# handle (\d+) \(verdict (\w+)', rest)
            if hm and hm.group(2).upper() != 'CONTINUE':
                steps.append((table, chain, int(hm.group(1)), hm.group(2).upper()))
        elif rest.startswith('policy '):
            steps.append((table, chain, 0, rest.split()[1].upper()))
    mon[h] = by_key


def ref_view(pid, parts):
    """the reference's runs cut like the host parts: leading records a host
    recorder cannot see dropped (only tracepoints before its first sight)"""
    out = []
    for i, (ns, evs) in enumerate(ref_runs[pid]):
        h = host_of_ns[ns]
        first = parts[i][1][0] if i < len(parts) and parts[i][1] else None
        k = 0
        while k < len(evs) and first is not None and evs[k] != first and \
                evs[k][0] not in FIRST_SIGHT:
            k += 1
        if k == len(evs):
            k = 0
        out.append((h, evs[k:]))
    return out


nsteps = 0


st = json.load(open(d + '/stitched.json'))
summ = st['summary']
covered = set()
nst = 0
for j in st['journeys']:
    parts = [(p['host'], p['packet']['packet']) for p in j['parts']]
    h0, p0 = parts[0]
    k = key(host_pk[h0][p0])
    cands = ref_by_key.get(k, [])
    # the reference packet whose first run is this part's
    cands = [c for c in cands if host_of_ns[ref_runs[c][0][0]] == h0]
    if len(cands) != 1:
        if j['stitched'] or len(cands) > 1:
            errors.append('journey %d (%s): %d reference packets with its first part\'s key %s'
                          % (j['journey'], parts, len(cands), k))
        continue
    ref = cands[0]
    runs = ref_runs[ref]
    got = [part_view(h, p) for h, p in parts]
    want = ref_view(ref, got)
    if got != want:
        errors.append('reference packet %d (%s) != journey %d:\n  reference: %s\n  stitched:  %s'
                      % (ref, k, j['journey'], want, got))
    for h, p in parts:
        hp = host_pk[h][p]
        traces = mon[h].get((hp['ip_id'], hp['src']), [])
        steps = part_steps(h, p)
        nsteps += len(steps)
        if (steps or traces) and steps not in traces:
            errors.append('journey %d, host %s packet %d (ip id %d): nft steps %s, nft monitor '
                          'trace: %s' % (j['journey'], h, p, hp['ip_id'], steps, traces))
    if j['stitched'] != (len(runs) > 1):
        errors.append('journey %d stitched=%s but the reference packet %d has %d runs'
                      % (j['journey'], j['stitched'], ref, len(runs)))
    if ref in covered:
        errors.append('reference packet %d matched twice' % ref)
    covered.add(ref)
    nst += j['stitched']
for pid, runs in ref_runs.items():
    if pid not in covered:
        errors.append('reference packet %d (%s, %d runs: %s) is in no journey of the host logs'
                      % (pid, key(ref_pk[pid]), len(runs), [host_of_ns[ns] for ns, _ in runs]))
off = [o for o in summ['clock_offsets'] if {o['host'], o['relative_to']} == {'router', 'client'}]
if not off:
    errors.append('no clock offset router - client')
else:
    o = off[0]['offset_ns'] * (1 if off[0]['host'] == 'router' else -1)
    if abs(o - 3600 * 10**9) > 10**6:
        errors.append('clock offset router - client %d ns, want 3600 s within 1 ms' % o)
if summ['ambiguous']:
    errors.append('%d ambiguous matches (none expected)' % summ['ambiguous'])
multi = sum(1 for r in ref_runs.values() if len(r) > 1)
print('# reference: %d packets (%d across namespaces); stitched journeys: %d (nft steps %d); '
      'offsets %s' % (len(ref_runs), multi, nst, nsteps,
                      [(o['host'], o['relative_to'], o['offset_ns']) for o in summ['clock_offsets']]))
if nsteps < 10:
    errors.append('only %d nft steps in the stitched journeys' % nsteps)
if nst < 10:
    errors.append('only %d stitched journeys (pings, TCP and UDP give more)' % nst)
for e in errors[:20]:
    print(e)
sys.exit(1 if errors else 0)
