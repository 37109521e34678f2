#!/usr/bin/env python3
"""truth_check.py - per-packet oracle of issue #15 ("Per-packet truth").

Compares an nft-record log (through `nft-analyze journeys --json` and
`nft-analyze events --ndjson`) with nftables' own trace (`nft -a monitor trace`
run in every namespace of the scenario at the same time) and, for floods, with
counts that neither the recorder nor nft monitor produce (nft rule counters,
the sender's and receiver's own counts, `ip -s link`).

    truth_check.py packets DIR [--analyzer NFT_ANALYZE] [--report] [--name NAME] [--examples N] [--json OUT] [--dump]
    truth_check.py flood DIR [--analyzer NFT_ANALYZE] [--report] [--name NAME] [--json OUT]
    truth_check.py diff BASE SAME CHANGED --analyzer NFT_ANALYZE --changed-rule TEXT --changed-port N
        (directories of three recordings: SAME has the same traffic and
        ruleset as BASE, CHANGED one rule changed: `nft-analyze diff BASE
        SAME` must exit 0, `diff BASE CHANGED` 1 naming TEXT and nothing
        about flows without port N)

DIR holds (written by tests/e2e/truth_router.sh or the VM twin):
    mon.<role>                  nft -a monitor trace of namespace <role> (c1 c2 r s)
    rec.ntl                     the log; with --analyzer the checker writes:
    events.ndjson, journeys.json, stats.json   nft-analyze output for the log
    ruleset.<role>.<tag>.json   nft -j list ruleset (tags before / after)
    link.<role>.<tag>.json      ip -s -j link (flood)
    netns.json                  {"<role>": netns inode}
    traffic.txt / flood.txt     the traffic's own outcomes and counts

Output: "# ..." metric lines, then "PASS: NAME/property" or "FAIL: NAME/property:
why" per property (tests/run.sh protocol).  --report prints the same metrics and
examples but every property as "INFO:" and exits 0 (for engineers iterating).
Exit 1 when a property fails (not with --report), 2 on unusable input.

DEFINITIONS (the oracle; everything below comes from nft monitor output and
the rulesets, never from the recorder)

chain run:  one evaluation of one base chain, as nft monitor prints it: the
    "packet:" line of a trace id in a namespace and the steps (rule / policy /
    verdict lines) of that trace id that follow it up to the next "packet:"
    line of the same trace id in that namespace.  Steps in regular chains
    reached by jump / goto belong to the run of their base chain.  Runs of the
    recorder's own tables (nft_record_*) are ignored (the recorder never logs
    them).  A step line without a preceding "packet:" line is an orphan monitor
    step (counted; would mean nft monitor lost a message).

skb traversal (one namespace):  consecutive runs of one trace id in one
    namespace whose (hook, priority) strictly increase (prerouting/output <
    input/forward < postrouting; ties broken by chain priority) and whose IP
    identity agrees (IPv4 id; IPv6 flow label).  The trace id is nftables'
    hash of (skb address, skb hash, input interface), so it stays the same
    while one skb moves through the hooks of one namespace, and the runs of a
    reused skb address start again at a first hook.

packet:  the union of the traversals of one datagram across namespaces:
  - veth hop: a traversal that leaves namespace A (its last run is at
    postrouting with no drop) through device D joins the traversal that
    enters the peer namespace B (first run at prerouting, input device = the
    peer of D) when their headers are equal except TTL / hop limit, devices
    and MAC addresses: addresses, IPv4 id or IPv6 flow label, length,
    transport header fields and the raw transport bytes nft prints (@th: TCP
    sequence/ack, ICMP payload start).  The last postrouting run (priority
    300, after srcnat) shows the header after NAT, the peer's first
    prerouting run (-450, before de-NAT) the same bytes, so NAT never breaks
    the link.  Equal headers (a retransmission) pair first with first.
  - fragments: a datagram that leaves A longer than the link MTU (1500) is
    fragmented after postrouting; the traversals in B at prerouting (the
    marking chain runs at -450, before conntrack's defrag at -400) of its
    fragments join it: IPv4 by (source, destination, id) with length <= 1500;
    IPv6 by flow label + source prefix (nft prints no fragment id: the first
    fragment shows "nexthdr ipv6-frag", the others only the raw IPv6 header
    "@th,0,160", decoded here).  The reassembled datagram continues as the
    skb of the last fragment (same trace id, next hook), so it is in the
    same packet; a refragmented datagram joins the next namespace the same
    way.  One fragmented ping is thus ONE packet (per direction).
  - every other skb (echo reply, TCP reset sent by a reject rule, ICMP error,
    SYN-ACK) is its own packet.

nftables' verdict of a packet:  DROP if any run of the packet ends with drop
    (a rule with verdict drop, e.g. reject, or policy drop); ACCEPT otherwise.

Mapping to the log:  the log's NFT_RULE records of the scenario's tables
    (table names are unique per namespace) are grouped per (namespace, trace
    id) and aligned in order with the monitor's steps of the same (namespace,
    trace id) (difflib; equal sequences map one to one).  The end of a regular
    chain (kind return, handle 0, CONTINUE) is not printed by nft monitor and
    is not compared.  A log record is "in a journey" when `journeys --json`
    lists it: same absolute time (first_ts_ns + t_ns), table, chain, handle,
    verdict.

Properties (each one line PASS / FAIL):
  steps        every monitor step is in the log and vice versa (missing steps
               must be counted as lost: "loss")
  runs         every chain run's steps are in exactly one journey
  packets      every packet's steps are in exactly one journey (split = 0)
  mixed        no journey holds steps of two packets, or steps of a packet
               whose addresses are not the journey's flow
  phantom      no journey with nft steps and no flow (no META)
  verdicts     every journey holding steps of one packet (and of no other):
               its nft verdict (`nft_verdict`, else `verdict`) equals
               nftables' verdict of that packet
  order        the log's records are in non-decreasing time order
  fragments    each fragmented datagram is one journey with nftables' verdict
  loss         steps missing from the log <= counted lost (netlink + probe runs the kernel skipped); none
               counted when none is missing
"""
import argparse
import collections
import difflib
import ipaddress
import json
import os
import re
import sys

ROLES = ["c1", "c2", "r", "s"]
# (namespace, output device) -> (peer namespace, its input device)
LINKS = {("c1", "c1r"): ("r", "rc1"), ("c2", "c2r"): ("r", "rc2"), ("s", "sr"): ("r", "rs"),
         ("r", "rc1"): ("c1", "c1r"), ("r", "rc2"): ("c2", "c2r"), ("r", "rs"): ("s", "sr")}
MTU = 1500
START_LEN, END_LEN = "1139", "1140"   # IPv4 length of the marker pings (ping -s 1111 / 1112)
HOOK_RANK = {"prerouting": 0, "output": 0, "input": 1, "forward": 1, "postrouting": 2}
MON_RE = re.compile(r'^trace id ([0-9a-f]+) (\w+) (\S+) (\S+) (.*)$')


def die(msg):
    print("truth_check: " + msg, file=sys.stderr)
    sys.exit(2)


def load_json(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        if default is not None:
            return default
        die("%s: missing" % path)
    except ValueError as e:
        die("%s: not JSON (%s)" % (path, e))


# ---------------------------------------------------------------- rulesets

class Ruleset:
    """tables / chains / rules of every namespace (nft -j list ruleset)"""

    def __init__(self, d, tag):
        self.table_ns = {}      # (family, table) -> role
        self.chain = {}         # (role, family, table, chain) -> {hook, prio, base}
        self.rules = {}         # (role, family, table, chain) -> [rule dicts in order]
        self.counters = {}      # (role, family, table, chain, handle) -> packets
        for role in ROLES:
            p = os.path.join(d, "ruleset.%s.%s.json" % (role, tag))
            if not os.path.exists(p):
                continue
            for o in load_json(p).get("nftables", []):
                if "table" in o:
                    t = o["table"]
                    if not t["name"].startswith("nft_record_"):
                        self.table_ns[(t["family"], t["name"])] = role
                elif "chain" in o:
                    c = o["chain"]
                    k = (role, c["family"], c["table"], c["name"])
                    self.chain[k] = {"hook": c.get("hook"), "prio": c.get("prio", 0),
                                     "base": "hook" in c, "policy": c.get("policy")}
                    self.rules.setdefault(k, [])
                elif "rule" in o:
                    r = o["rule"]
                    k = (role, r["family"], r["table"], r["chain"])
                    self.rules.setdefault(k, []).append(r)
                    for e in r.get("expr", []):
                        if isinstance(e, dict) and "counter" in e and isinstance(e["counter"], dict):
                            self.counters[k + (r["handle"],)] = e["counter"].get("packets", 0)

    def ns_of(self, family, table):
        return self.table_ns.get((family, table))

    def order(self, role, family, table, chain):
        """(hook rank, priority) of a base chain, None if unknown"""
        c = self.chain.get((role, family, table, chain))
        if not c or not c["base"]:
            return None
        return (HOOK_RANK.get(c["hook"], 9), c["prio"])


# ---------------------------------------------------------------- monitor

def parse_hdr(text):
    """nft monitor 'packet:' text -> dict of header fields"""
    h = {}
    toks = text.split()
    i = 0
    l4 = []
    in_l4 = False
    while i < len(toks):
        t = toks[i]
        if t in ("iif", "oif") and i + 1 < len(toks):
            h[t] = toks[i + 1].strip('"')
            i += 2
            continue
        if t in ("ether", "ip", "ip6") and i + 2 < len(toks) and not in_l4:
            f = toks[i + 1]
            v = toks[i + 2]
            h[t + " " + f] = v
            i += 3
            continue
        if t in ("tcp", "udp", "icmp", "icmpv6", "udplite", "sctp") or t.startswith("@th"):
            in_l4 = True
        if in_l4:
            l4.append(t)
        i += 1
    h["l4"] = " ".join(l4)
    raw = re.search(r'@th,0,160 0x([0-9a-f]{40})', text)
    if "ip6 saddr" not in h and "ip saddr" not in h and raw and h.get("ether type") == "ip6":
        # IPv6 non-first fragment: nft could not decode the network header
        # and prints its first 20 bytes raw
        b = bytes.fromhex(raw.group(1))
        if b[0] >> 4 == 6:
            h["ip6 flowlabel"] = str(((b[1] & 0x0f) << 16) | (b[2] << 8) | b[3])
            h["ip6 length"] = str((b[4] << 8) | b[5])
            h["ip6 nexthdr"] = "ipv6-frag" if b[6] == 44 else str(b[6])
            h["src_prefix"] = b[8:16].hex()
            h["raw6"] = True
    if "ip6 saddr" in h:
        try:
            h["src_prefix"] = ipaddress.IPv6Address(h["ip6 saddr"]).packed[:8].hex()
        except ValueError:
            pass
    return h


def hdr_family(h):
    if "ip saddr" in h:
        return "ip"
    if "ip6 saddr" in h or h.get("raw6"):
        return "ip6"
    return None


def hop_key(h):
    """fields that a veth hop keeps (not TTL, devices, MACs)"""
    fam = hdr_family(h)
    if fam == "ip":
        return ("ip", h.get("ip saddr"), h.get("ip daddr"), h.get("ip id"), h.get("ip length"), h["l4"])
    if fam == "ip6" and not h.get("raw6"):
        return ("ip6", h.get("ip6 saddr"), h.get("ip6 daddr"), h.get("ip6 flowlabel"),
                h.get("ip6 length"), h.get("ip6 nexthdr"), h["l4"])
    return None


def ident(h):
    """IPv4 id / IPv6 flow label (stays with the datagram, fragments included)"""
    if "ip id" in h:
        return ("ip", h["ip id"])
    if "ip6 flowlabel" in h:
        return ("ip6", h["ip6 flowlabel"])
    return None


def is_fragment(h):
    fam = hdr_family(h)
    if fam == "ip":
        return None  # IPv4 fragments look like packets; decided against the datagram
    return h.get("ip6 nexthdr") == "ipv6-frag"


def datagram_len(h):
    fam = hdr_family(h)
    try:
        if fam == "ip":
            return int(h.get("ip length", 0))
        if fam == "ip6":
            return int(h.get("ip6 length", 0)) + 40
    except ValueError:
        pass
    return 0


class Run:
    __slots__ = ("id", "ns", "idx", "tid", "family", "table", "chain", "hdr", "line",
                 "steps", "order", "trav")

    def __init__(self, rid, ns, idx, tid, family, table, chain, hdr, line):
        self.id, self.ns, self.idx, self.tid = rid, ns, idx, tid
        self.family, self.table, self.chain, self.hdr, self.line = family, table, chain, hdr, line
        self.steps = []   # [(table, chain, handle, VERDICT, line)]
        self.order = None
        self.trav = None

    def final(self):
        v = None
        for s in self.steps:
            if s[3] in ("ACCEPT", "DROP"):
                v = s[3]
        return v


def window(runs, orphans, notes):
    """keep what nft monitor printed between the first start marker and the
    last end marker of each namespace (IPv4 pings of length 1139 / 1140 sent
    after the recorder was ready and before it was stopped)"""
    win = {}
    for ns in ROLES:
        st = [r.idx for r in runs if r.ns == ns and r.hdr.get("ip length") == START_LEN]
        en = [r.idx for r in runs if r.ns == ns and r.hdr.get("ip length") == END_LEN]
        if not any(r.ns == ns for r in runs):
            continue
        if not st or not en:
            notes.append("namespace %s: no %s marker in nft monitor output: whole output compared" %
                         (ns, "start" if not st else "end"))
            win[ns] = (0, 1 << 60)
        else:
            win[ns] = (min(st), max(en))
    keep = []
    for r in runs:
        w = win.get(r.ns)
        if w and w[0] <= r.idx <= w[1]:
            r.id = len(keep)
            keep.append(r)
    orphans = [o for o in orphans if win.get(o[0]) and win[o[0]][0] <= o[3] <= win[o[0]][1]]
    return keep, orphans, win


def parse_monitor(d, rs, stats):
    runs = []
    orphans = []
    for role in ROLES:
        p = os.path.join(d, "mon." + role)
        if not os.path.exists(p):
            continue
        cur = {}  # tid -> Run (or None for the recorder's own table)
        with open(p, errors="replace") as f:
            for n, line in enumerate(f):
                line = line.rstrip("\n")
                m = MON_RE.match(line)
                if not m:
                    continue
                tid, fam, table, chain, rest = m.groups()
                tid = int(tid, 16)
                own = table.startswith("nft_record_")
                if rest.startswith("packet:"):
                    if own:
                        cur[tid] = None
                        continue
                    r = Run(len(runs), role, n, tid, fam, table, chain, parse_hdr(rest[7:]), line)
                    r.order = rs.order(role, fam, table, chain)
                    runs.append(r)
                    cur[tid] = r
                    continue
                if own:
                    continue
                step = None
                if rest.startswith("rule "):
                    h = re.search(r'# handle (\d+) \(verdict (\w+)', rest)
                    if h:
                        step = (table, chain, int(h.group(1)), h.group(2).upper(), line)
                elif rest.startswith("policy "):
                    step = (table, chain, 0, rest.split()[1].upper(), line)
                elif rest.startswith("verdict "):
                    step = (table, chain, 0, rest.split()[1].upper(), line)
                if step is None:
                    stats["monitor_unparsed"] += 1
                    continue
                r = cur.get(tid)
                if r is None or (r.family != fam) or (r.table != table):
                    orphans.append((role, tid, step, n))
                    continue
                r.steps.append(step)
    return runs, orphans


# ---------------------------------------------------------------- packets (union-find)

class UF:
    def __init__(self, n):
        self.p = list(range(n))

    def find(self, a):
        while self.p[a] != a:
            self.p[a] = self.p[self.p[a]]
            a = self.p[a]
        return a

    def union(self, a, b):
        a, b = self.find(a), self.find(b)
        if a != b:
            self.p[max(a, b)] = min(a, b)


def build_packets(runs, stats, notes):
    # 1. traversals: per (ns, tid) runs with increasing (hook, prio) and equal identity
    travs = []   # list of [runs]
    by_nt = collections.defaultdict(list)
    for r in runs:
        by_nt[(r.ns, r.tid)].append(r)
    for (ns, tid), rl in by_nt.items():
        cur = None
        for r in rl:
            o = r.order or (9, 0)
            new = cur is None
            if not new:
                last = cur[-1]
                lo = last.order or (9, 0)
                if o <= lo:
                    new = True
                else:
                    a, b = ident(last.hdr), ident(r.hdr)
                    if a and b and a != b:
                        new = True
            if new:
                cur = [r]
                travs.append(cur)
            else:
                cur.append(r)
            r.trav = len(travs) - 1
    uf = UF(len(travs))

    def exits(t):
        last = t[-1]
        c_ok = all(x.final() != "DROP" for x in t)
        return (last.order or (9,))[0] == 2 and c_ok

    # 2. veth hops: exit (A, oif) == entry (B, iif) with equal hop keys, FIFO per key
    exq = collections.defaultdict(list)   # (B, iif, key) -> [trav idx] in A's order
    big = []                               # fragmented datagrams: (A trav idx, B, iif, hdr)
    for i, t in enumerate(travs):
        last = t[-1]
        if not exits(t):
            continue
        oif = last.hdr.get("oif")
        peer = LINKS.get((last.ns, oif))
        if not peer:
            continue
        k = hop_key(last.hdr)
        if k is None:
            continue
        exq[(peer[0], peer[1], k)].append((last.idx, i))
        if datagram_len(last.hdr) > MTU:
            big.append((i, peer[0], peer[1], last.hdr))
    enq = collections.defaultdict(list)
    for i, t in enumerate(travs):
        first = t[0]
        if (first.order or (9,))[0] != 0 or "iif" not in first.hdr:
            continue
        k = hop_key(first.hdr)
        if k is None:
            continue
        enq[(first.ns, first.hdr["iif"], k)].append((first.idx, i))
    for key, el in enq.items():
        xl = sorted(exq.get(key, []))
        el = sorted(el)
        for (ix, a), (ie, b) in zip(xl, el):
            uf.union(a, b)
        if len(el) > len(xl):
            stats["entries_without_exit"] += len(el) - len(xl)
    # 3. fragments of datagrams longer than the MTU
    for (a, ns, iif, h) in big:
        fam = hdr_family(h)
        cands = []
        for i, t in enumerate(travs):
            first = t[0]
            if first.ns != ns or first.hdr.get("iif") != iif or (first.order or (9,))[0] != 0:
                continue
            fh = first.hdr
            if fam == "ip" and hdr_family(fh) == "ip":
                if (fh.get("ip saddr"), fh.get("ip daddr"), fh.get("ip id")) == \
                        (h.get("ip saddr"), h.get("ip daddr"), h.get("ip id")) and datagram_len(fh) <= MTU:
                    cands.append(i)
            elif fam == "ip6" and hdr_family(fh) == "ip6":
                if is_fragment(fh) and fh.get("ip6 flowlabel") == h.get("ip6 flowlabel") and \
                        fh.get("src_prefix") == h.get("src_prefix"):
                    cands.append(i)
        if len(cands) < 2:
            notes.append("fragmented datagram %s in %s: %d fragment traversals found in %s" %
                         (hop_key(h), travs[a][-1].ns, len(cands), ns))
        for i in cands:
            uf.union(a, i)
        stats["fragment_traversals"] += len(cands)
    packets = collections.defaultdict(list)   # root -> [trav idx]
    for i in range(len(travs)):
        packets[uf.find(i)].append(i)
    return travs, packets, big


# ---------------------------------------------------------------- log

def analyze(a, d):
    """nft-analyze events / journeys / stats of DIR/rec.ntl (when --analyzer)"""
    if not a.analyzer:
        return
    import subprocess
    for cmd, out in (("events", "events.ndjson"), ("journeys", "journeys.json"), ("stats", "stats.json")):
        fmt = "--ndjson" if cmd == "events" else "--json"
        with open(os.path.join(d, out), "w") as f:
            r = subprocess.run([a.analyzer, cmd, fmt, os.path.join(d, "rec.ntl")], stdout=f,
                               stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            print("# %s: nft-analyze %s %s: exit %d: %s" % (a.name, cmd, os.path.join(d, "rec.ntl"),
                                                            r.returncode, r.stderr.strip()[:300]))


def load_log(d):
    ev = []
    with open(os.path.join(d, "events.ndjson"), errors="replace") as f:
        for line in f:
            line = line.strip()
            if line:
                try:
                    ev.append(json.loads(line))
                except ValueError:
                    die("events.ndjson: bad line %r" % line[:80])
    js = load_json(os.path.join(d, "journeys.json"))
    return ev, js.get("journeys", [])


def step_key(e):
    return (e["table"], e["chain"], e.get("handle") or 0, (e.get("verdict") or "").upper().split()[0]
            if e.get("verdict") else "")


def is_implicit_return(e):
    return e.get("kind") == "return" and not e.get("handle") and (e.get("verdict") or "").upper() == "CONTINUE"


def jflow(j):
    """the journey's IP flow, None without one (no META, or not an IPv4/IPv6 packet)"""
    if not j.get("src") or not j.get("dst"):
        return None
    return (j.get("src"), j.get("dst"))


def has_steps(j, t0=0, t1=1 << 62):
    base = j.get("first_ts_ns") or 0
    return any(n.get("kind") in ("rule", "policy", "return") and t0 <= base + n.get("t_ns", 0) <= t1
               for n in j.get("nft", []))


def nft_verdict(j):
    return j.get("nft_verdict", j.get("verdict"))


def short_journey(j, nft_max=12):
    o = {k: j.get(k) for k in ("packet", "skb", "flow", "verdict", "nft_verdict", "fate", "dropped",
                               "drop_reason", "netns", "first_ts_ns", "incomplete") if k in j}
    o["nft"] = ["%s %s %s #%s %s" % (n.get("family"), n.get("table"), n.get("chain"), n.get("handle", "-"),
                                     n.get("verdict", n.get("kind"))) for n in j.get("nft", [])
                if n.get("kind") in ("rule", "policy", "return")][:nft_max]
    return json.dumps(o, ensure_ascii=False)


def mon_line(r, width=260):
    return "%s: %s" % (r.ns, r.line[:width])


# ---------------------------------------------------------------- packets mode

def check_packets(a):
    d = a.dir
    analyze(a, d)
    stats = collections.Counter()
    notes = []
    rs = Ruleset(d, "after") if os.path.exists(os.path.join(d, "ruleset.r.after.json")) else Ruleset(d, "before")
    if not rs.table_ns:
        die("%s: no ruleset.<role>.{before,after}.json" % d)
    runs, mon_orphans = parse_monitor(d, rs, stats)
    if not runs:
        die("%s: nft monitor trace printed no chain run" % d)
    runs, mon_orphans, windows = window(runs, mon_orphans, notes)
    travs, packets, big = build_packets(runs, stats, notes)
    run_pkt = {}
    for root, tl in packets.items():
        for ti in tl:
            for r in travs[ti]:
                run_pkt[r.id] = root
    pkt_verdict = {}
    for root, tl in packets.items():
        v = "ACCEPT"
        for ti in tl:
            for r in travs[ti]:
                if r.final() == "DROP":
                    v = "DROP"
        pkt_verdict[root] = v
    frag_pkts = set()
    for (ai, ns, iif, h) in big:
        frag_pkts.add(packets_root(packets, ai))
    # oracle self-check: one datagram keeps its IPv4 id / IPv6 flow label
    # through NAT, forwarding and fragmentation
    incons = []
    for root, tl in packets.items():
        ids = set(ident(r.hdr) for ti in tl for r in travs[ti] if ident(r.hdr))
        if len(ids) > 1:
            incons.append((root, ids))

    ev, journeys = load_log(d)
    # --- time order of the log's records
    order_bad = []
    maxts = None
    late_by = collections.Counter()
    for e in ev:
        ts = e.get("ts_ns")
        if ts is None:
            continue
        if maxts is not None and ts < maxts:
            order_bad.append((e, maxts - ts))
            src = "netlink" if e.get("cpu") == 65535 else "bpf"
            if e.get("type") == "NFT_RULE":
                src += " ns " + str(rs.ns_of(e.get("family"), e.get("table")))
            late_by[(e.get("type"), src)] += 1
        else:
            maxts = ts
    # --- log steps per (ns, tid)
    log_steps = collections.defaultdict(list)
    foreign = collections.Counter()
    impl_returns = 0
    for e in ev:
        if e.get("type") != "NFT_RULE":
            continue
        ns = rs.ns_of(e.get("family"), e.get("table"))
        if ns is None:
            foreign[(e.get("family"), e.get("table"))] += 1
            continue
        if is_implicit_return(e):
            impl_returns += 1
            continue
        log_steps[(ns, e.get("trace_id") or 0)].append(e)
    mon_steps = collections.defaultdict(list)
    for r in runs:
        for i, s in enumerate(r.steps):
            mon_steps[(r.ns, r.tid)].append((r, i, s))
    match = {}            # (run id, step idx) -> event
    missing = []          # monitor steps without a log record
    extra = []            # log records without a monitor step
    for k in set(mon_steps) | set(log_steps):
        ml = mon_steps.get(k, [])
        ll = log_steps.get(k, [])
        mk = [s[:4] for (_, _, s) in ml]
        lk = [step_key(e) for e in ll]
        if mk == lk:
            for (r, i, s), e in zip(ml, ll):
                match[(r.id, i)] = e
            continue
        sm = difflib.SequenceMatcher(a=mk, b=lk, autojunk=False)
        mm, lm = set(), set()
        for blk in sm.get_matching_blocks():
            for x in range(blk.size):
                r, i, s = ml[blk.a + x]
                match[(r.id, i)] = ll[blk.b + x]
                mm.add(blk.a + x)
                lm.add(blk.b + x)
        missing += [ml[x] for x in range(len(ml)) if x not in mm]
        extra += [ll[x] for x in range(len(ll)) if x not in lm]
    # the log's window: from the first step of a start marker to the last of an end marker
    mk_ts = {START_LEN: [], END_LEN: []}
    for r in runs:
        ln = r.hdr.get("ip length")
        if ln in mk_ts:
            mk_ts[ln] += [match[(r.id, i)]["ts_ns"] for i in range(len(r.steps)) if (r.id, i) in match]
    t0 = min(mk_ts[START_LEN]) if mk_ts[START_LEN] else 0
    t1 = max(mk_ts[END_LEN]) if mk_ts[END_LEN] else 1 << 62
    if not mk_ts[START_LEN] or not mk_ts[END_LEN]:
        notes.append("no marker step found in the log: every log step compared")
    extra = [e for e in extra if t0 <= e["ts_ns"] <= t1]
    # --- journeys: which journey holds which record
    where = collections.defaultdict(list)     # (ts, table, chain, handle, verdict) -> [journey idx]
    for ji, j in enumerate(journeys):
        base = j.get("first_ts_ns") or 0
        for n in j.get("nft", []):
            if n.get("kind") not in ("rule", "policy", "return"):
                continue
            where[(base + n.get("t_ns", 0), n.get("table"), n.get("chain"), n.get("handle") or 0,
                   (n.get("verdict") or "").upper())].append(ji)

    def journeys_of(e):
        return where.get((e["ts_ns"], e["table"], e["chain"], e.get("handle") or 0,
                          (e.get("verdict") or "").upper()), [])

    # --- per run / per packet
    run_js = {}
    orphan_steps = []
    for r in runs:
        js = set()
        none = 0
        for i in range(len(r.steps)):
            e = match.get((r.id, i))
            if e is None:
                continue
            jl = journeys_of(e)
            if not jl:
                none += 1
                orphan_steps.append((r, i, e))
            js.update(jl)
        run_js[r.id] = (js, none)
    split_runs = [r for r in runs if len(run_js[r.id][0]) > 1 or (run_js[r.id][0] and run_js[r.id][1])]
    unjourneyed_runs = [r for r in runs if r.steps and not run_js[r.id][0] and run_js[r.id][1]]
    pkt_js = {}
    for root, tl in packets.items():
        js = set()
        none = 0
        for ti in tl:
            for r in travs[ti]:
                js |= run_js[r.id][0]
                none += run_js[r.id][1]
        pkt_js[root] = (js, none)
    split_pkts = [p for p in packets if len(pkt_js[p][0]) > 1 or (pkt_js[p][0] and pkt_js[p][1])]
    lost_pkts = [p for p in packets if not pkt_js[p][0]]
    # journeys -> packets
    j_pkts = collections.defaultdict(set)
    for r in runs:
        for ji in run_js[r.id][0]:
            j_pkts[ji].add(run_pkt[r.id])
    # the addresses each packet was seen with (before / after NAT)
    pkt_addrs = collections.defaultdict(set)
    for r in runs:
        h = r.hdr
        if "ip saddr" in h:
            pkt_addrs[run_pkt[r.id]].add((h["ip saddr"], h["ip daddr"]))
        elif "ip6 saddr" in h:
            pkt_addrs[run_pkt[r.id]].add((norm6(h["ip6 saddr"]), norm6(h["ip6 daddr"])))
    mixed = []
    for ji, ps in j_pkts.items():
        j = journeys[ji]
        if len(ps) > 1:
            mixed.append((ji, ps, "steps of %d packets" % len(ps)))
            continue
        f = jflow(j)
        p = next(iter(ps))
        if f and (norm6(f[0]), norm6(f[1])) not in pkt_addrs[p] and pkt_addrs[p]:
            mixed.append((ji, ps, "journey flow %s -> %s is not the packet's (%s)" %
                          (f[0], f[1], ", ".join("%s -> %s" % x for x in sorted(pkt_addrs[p])))))
    phantom = [ji for ji, j in enumerate(journeys) if jflow(j) is None and has_steps(j, t0, t1)]
    non_ip = sum(1 for j in journeys if j.get("family") not in (None, "ipv4", "ipv6"))
    phantom_ours = [ji for ji in phantom if ji in j_pkts]
    mixed_j = set(ji for ji, _, _ in mixed)
    # every journey that holds steps of exactly one packet must show that
    # packet's nftables verdict (a split packet's partial journeys too)
    wrong = []
    checked = 0
    for p, (js, none) in pkt_js.items():
        for ji in sorted(js):
            if ji in mixed_j:
                continue
            checked += 1
            got = nft_verdict(journeys[ji])
            if got != pkt_verdict[p]:
                wrong.append((p, ji, got))
    # NFT Chains (informational): chains evaluated = the packet's chain runs in the journey
    chains_wrong = []
    j_runs = collections.Counter()
    for r in runs:
        if len(run_js[r.id][0]) == 1:
            j_runs[next(iter(run_js[r.id][0]))] += 1
    for ji, n in j_runs.items():
        if ji in mixed_j or len(j_pkts[ji]) != 1:
            continue
        if journeys[ji].get("nft_chains") != n:
            chains_wrong.append((ji, n, journeys[ji].get("nft_chains")))
    # a journey leaves only the base chains it entered: a chain's exit with no
    # enter of that chain before it in the journey is another packet's (6.12:
    # the exit of a chain that freed the dropped skb, given to the next packet
    # on the address)
    stray_exits = []
    for ji in j_pkts:
        depth = collections.Counter()
        for n in journeys[ji].get("nft", []):
            c = (n.get("family"), n.get("table"), n.get("chain"), n.get("chain_key"))
            if n.get("kind") == "chain_enter":
                depth[c] += 1
            elif n.get("kind") == "chain_exit":
                if depth[c] == 0:
                    stray_exits.append((ji, n))
                    break
                depth[c] -= 1
    # fragments
    frag_res = []
    for p in sorted(frag_pkts):
        js, none = pkt_js[p]
        jv = sorted(set(nft_verdict(journeys[ji]) for ji in js))
        frag_res.append((p, len(js), none, jv))
    frag_bad = [x for x in frag_res if x[1] != 1 or x[2] or x[3] != [pkt_verdict[x[0]]]]
    # losses counted in the log
    st = load_json(os.path.join(d, "stats.json"), {}).get("stats", {})
    loss = st.get("loss", {})
    lost_nl = loss.get("netlink", 0) or 0
    lost_rb = loss.get("ringbuf", 0) or 0
    lost_pr = loss.get("probe", 0) or 0  # probe runs the kernel skipped: an upper bound
    nm = len(missing)

    # ------------------------------------------------------------ output
    nrun = len(runs)
    nsteps = sum(len(r.steps) for r in runs)
    print("# %s: monitor: %d chain runs (%s), %d steps, %d packets (%d fragmented datagrams, %d fragment "
          "traversals), %d orphan monitor steps, %d unparsed lines" %
          (a.name, nrun, " ".join("%s %d" % (ns, sum(1 for r in runs if r.ns == ns)) for ns in ROLES),
           nsteps, len(packets), len(frag_pkts), stats["fragment_traversals"], len(mon_orphans),
           stats["monitor_unparsed"]))
    print("# %s: log: %d records, %d journeys (%d with steps of the scenario), %d NFT_RULE of the scenario "
          "(+%d end-of-chain returns), %d of other tables %s; lost: netlink %d, ringbuf %d, user %d; "
          "uncorrelated %s" %
          (a.name, len(ev), len(journeys), len(j_pkts), sum(len(v) for v in log_steps.values()), impl_returns,
           sum(foreign.values()), dict(foreign) if foreign else "", lost_nl, lost_rb, loss.get("user", 0) or 0,
           loss.get("uncorrelated_nft_records")))
    metrics = collections.OrderedDict([
        ("packets", len(packets)), ("runs", nrun), ("steps", nsteps),
        ("missing_steps", nm), ("extra_steps", len(extra)),
        ("split_runs", len(split_runs)), ("unjourneyed_runs", len(unjourneyed_runs)),
        ("split_packets", len(split_pkts)), ("packets_in_no_journey", len(lost_pkts)),
        ("orphan_steps", len(orphan_steps)),
        ("mixed_journeys", len(mixed)), ("phantom_journeys", len(phantom)),
        ("phantom_journeys_with_scenario_steps", len(phantom_ours)),
        ("wrong_verdicts", len(wrong)), ("verdicts_checked", checked),
        ("out_of_order", len(order_bad)),
        ("out_of_order_max_ms", round(max([x[1] for x in order_bad], default=0) / 1e6, 3)),
        ("fragmented_datagrams", len(frag_res)),
        ("fragment_journeys", [x[1] for x in frag_res]),
        ("lost_netlink", lost_nl), ("lost_ringbuf", lost_rb), ("lost_probe", lost_pr),
        ("foreign_table_steps", sum(foreign.values())),
        ("nft_chains_wrong", len(chains_wrong)),
        ("stray_chain_exits", len(stray_exits)),
        ("non_ip_journeys", non_ip),
    ])
    print("# %s: metrics %s" % (a.name, json.dumps(metrics)))
    if late_by:
        print("# %s: out of order by (type, source): %s" % (a.name, ", ".join(
            "%s/%s %d" % (k[0], k[1], v) for k, v in late_by.most_common())))
    for n in notes:
        print("# %s: note: %s" % (a.name, n))
    if chains_wrong:
        ji, n, got = chains_wrong[0]
        print("# %s: (info) %d journeys give another \"nft_chains\" than the chain runs nft monitor saw, e.g. "
              "journey %s: %s, monitor %d" % (a.name, len(chains_wrong), journeys[ji].get("packet"), got, n))
    for root, ids in incons[:5]:
        print("# %s: ORACLE WARNING: packet %s joins different datagrams %s" % (a.name, root, sorted(ids)))
    metrics["oracle_inconsistent_packets"] = len(incons)
    ex = a.examples

    def pkt_desc(p):
        tl = packets[p]
        r0 = travs[tl[0]][0]
        tids = sorted(set("%s:%08x" % (r.ns, r.tid) for ti in tl for r in travs[ti]))
        return "packet [%s] %s" % (" ".join(tids[:8]) + (" ..." if len(tids) > 8 else ""),
                                   pkt_summary(r0.hdr))

    if a.dump:
        for p in sorted(packets, key=lambda p: min(travs[ti][0].id for ti in packets[p])):
            js, none = pkt_js[p]
            print("# packet %s: nftables %s, journeys %s%s" % (
                p, pkt_verdict[p], sorted(journeys[ji].get("packet") for ji in js),
                " +%d steps in none" % none if none else ""))
            for ti in packets[p]:
                for r in travs[ti]:
                    print("#     %s %08x %-6s %-12s %s -> %s" % (
                        r.ns, r.tid, r.table, r.chain, pkt_summary(r.hdr),
                        " ".join("%s#%d:%s" % (s_[1], s_[2], s_[3]) for s_ in r.steps)))
    details = collections.OrderedDict()
    details["steps"] = []
    for (r, i, s) in missing[:ex]:
        details["steps"].append("missing in log: %s trace %08x %s %s #%d %s | %s" %
                                (r.ns, r.tid, s[0], s[1], s[2], s[3], s[4][:200]))
    for e in extra[:ex]:
        details["steps"].append("extra in log (no monitor step): seq %s trace %08x %s %s %s #%s %s packet %s" %
                                (e.get("seq"), e.get("trace_id") or 0, rs.ns_of(e["family"], e["table"]),
                                 e["table"], e["chain"], e.get("handle"), e.get("verdict"), e.get("packet")))
    details["runs"] = []
    for r in split_runs[:ex]:
        js, none = run_js[r.id]
        details["runs"].append("run %s trace %08x %s %s: steps in journeys %s%s | %s" % (
            r.ns, r.tid, r.table, r.chain, sorted(journeys[ji]["packet"] for ji in js),
            " and %d in none" % none if none else "", mon_line(r)))
    details["packets"] = []
    for p in split_pkts[:ex]:
        js, none = pkt_js[p]
        details["packets"].append("%s: in %d journeys%s" % (pkt_desc(p), len(js),
                                                            " (+%d steps in none)" % none if none else ""))
        for ji in sorted(js)[:4]:
            details["packets"].append("    journey %s" % short_journey(journeys[ji]))
    for p in lost_pkts[:ex]:
        details["packets"].append("%s: in no journey (%d steps matched, %d missing)" % (
            pkt_desc(p), sum(1 for ti in packets[p] for r in travs[ti] for i in range(len(r.steps))
                             if (r.id, i) in match),
            sum(1 for ti in packets[p] for r in travs[ti] for i in range(len(r.steps)) if (r.id, i) not in match)))
    details["mixed"] = []
    for ji, ps, why in mixed[:ex]:
        details["mixed"].append("journey %s: %s" % (journeys[ji].get("packet"), why))
        details["mixed"].append("    journey %s" % short_journey(journeys[ji]))
        for p in sorted(ps)[:3]:
            details["mixed"].append("    %s" % pkt_desc(p))
            r0 = travs[packets[p][0]][0]
            details["mixed"].append("      %s" % mon_line(r0, 220))
    details["phantom"] = []
    for ji in phantom[:ex]:
        ps = j_pkts.get(ji, set())
        details["phantom"].append("journey %s (no flow): %s%s" % (
            journeys[ji].get("packet"), short_journey(journeys[ji], 6),
            "; steps of " + "; ".join(pkt_desc(p) for p in sorted(ps)[:2]) if ps else ""))
    details["verdicts"] = []
    for p, ji, got in wrong[:ex]:
        details["verdicts"].append("%s: nftables %s, journey %s says %s" % (pkt_desc(p), pkt_verdict[p],
                                                                          journeys[ji].get("packet"), got))
        details["verdicts"].append("    journey %s" % short_journey(journeys[ji]))
    details["order"] = []
    for e, late in order_bad[:ex]:
        details["order"].append("seq %s %s ts %d is %.3f ms before an earlier record (cpu %s, packet %s%s)" % (
            e.get("seq"), e.get("type"), e.get("ts_ns"), late / 1e6, e.get("cpu"), e.get("packet"),
            ", %s %s #%s" % (e.get("table"), e.get("chain"), e.get("handle")) if e.get("type") == "NFT_RULE" else ""))
    details["fragments"] = []
    for p, nj, none, jv in frag_res:
        details["fragments"].append("%s: %d journeys %s, nftables %s%s" % (
            pkt_desc(p), nj, jv, pkt_verdict[p], ", %d steps in none" % none if none else ""))
    details["loss"] = []
    details["chain_exits"] = []
    for ji, n in stray_exits[:ex]:
        details["chain_exits"].append("journey %s: exit of %s %s %s (%s) at +%s ns with no enter before it" % (
            journeys[ji].get("packet"), n.get("family"), n.get("table"), n.get("chain"), n.get("verdict"),
            n.get("t_ns")))
        details["chain_exits"].append("    journey %s" % short_journey(journeys[ji]))

    results = collections.OrderedDict()
    results["steps"] = (nm == 0 and not extra,
                        "%d monitor steps missing from the log, %d log steps nft monitor did not print" % (nm, len(extra)))
    results["runs"] = (not split_runs and not unjourneyed_runs,
                       "%d of %d chain runs split over journeys, %d in no journey" %
                       (len(split_runs), nrun, len(unjourneyed_runs)))
    results["packets"] = (not split_pkts and not lost_pkts,
                          "%d of %d packets split over several journeys, %d in no journey (%d steps in none)" %
                          (len(split_pkts), len(packets), len(lost_pkts), len(orphan_steps)))
    results["mixed"] = (not mixed, "%d journeys hold another packet's steps" % len(mixed))
    results["phantom"] = (not phantom, "%d journeys with nft steps and no flow (%d with the scenario's steps)" %
                          (len(phantom), len(phantom_ours)))
    results["verdicts"] = (not wrong and checked > 0,
                           "%d of %d journeys holding one packet's steps show another nft verdict than nftables' "
                           "for that packet" % (len(wrong), checked))
    results["chain_exits"] = (not stray_exits, "%d journeys leave a base chain they did not enter (another "
                              "packet's chain exit)" % len(stray_exits))
    results["order"] = (not order_bad, "%d records out of time order (up to %.3f ms)" %
                        (len(order_bad), metrics["out_of_order_max_ms"]))
    results["fragments"] = (bool(frag_res) and not frag_bad,
                            "%d fragmented datagrams: journeys per datagram %s (want 1 each, nftables' verdict)" %
                            (len(frag_res), [x[1] for x in frag_res]) if frag_res else
                            "no fragmented datagram found in the monitor output")
    # netlink losses are exact; skipped probe runs (function mode) an upper bound
    loss_ok = (nm <= lost_nl + lost_pr) and (nm > 0 or lost_nl == 0)
    results["loss"] = (loss_ok, "%d steps missing from the log, %d counted lost (netlink), %d probe runs "
                       "skipped by the kernel" % (nm, lost_nl, lost_pr))
    return emit(a, results, details, metrics)


def norm6(a):
    try:
        return str(ipaddress.ip_address(a))
    except ValueError:
        return a


def pkt_summary(h):
    if "ip saddr" in h:
        return "%s -> %s id %s len %s %s" % (h["ip saddr"], h["ip daddr"], h.get("ip id"), h.get("ip length"),
                                           " ".join(h["l4"].split()[:8]))
    if "ip6 saddr" in h:
        return "%s -> %s flowlabel %s len %s %s" % (h["ip6 saddr"], h["ip6 daddr"], h.get("ip6 flowlabel"),
                                                  h.get("ip6 length"), " ".join(h["l4"].split()[:8]))
    if h.get("raw6"):
        return "IPv6 fragment flowlabel %s len %s" % (h.get("ip6 flowlabel"), h.get("ip6 length"))
    return "?"


def packets_root(packets, ti):
    for root, tl in packets.items():
        if ti in tl:
            return root
    return None


def emit(a, results, details, metrics):
    failed = False
    for prop, (ok, why) in results.items():
        for line in details.get(prop, [])[:4 * a.examples]:
            print("#   %s/%s: %s" % (a.name, prop, line))
        if a.report:
            print("INFO: %s/%s: %s: %s" % (a.name, prop, "ok" if ok else "FAILS", why))
        elif ok:
            print("PASS: %s/%s" % (a.name, prop))
        else:
            print("FAIL: %s/%s: %s" % (a.name, prop, why))
            failed = True
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"name": a.name, "metrics": metrics,
                       "results": {k: {"ok": v[0], "why": v[1]} for k, v in results.items()},
                       "examples": details}, f, indent=1)
    return 1 if failed and not a.report else 0


# ---------------------------------------------------------------- flood mode

def counter_sum(before, after):
    """per namespace: messages nftables emits for the traffic between two
    snapshots, from the rule counters (see the ruleset conventions)"""
    out = collections.defaultdict(collections.Counter)
    for k, rules in after.rules.items():
        role, fam, table, chain = k
        if (fam, table) not in after.table_ns:
            continue
        c = after.chain.get(k, {})
        for i, r in enumerate(rules):
            h = r["handle"]
            n = after.counters.get(k + (h,), None)
            if n is None:
                out[role]["rules_without_counter"] += 1
                continue
            dn = n - before.counters.get(k + (h,), 0)
            out[role]["rule"] += dn
            last = (i == len(rules) - 1)
            if last and not any(isinstance(e, dict) and "match" in e for e in r.get("expr", [])):
                # end of chain reached dn times: policy (base chain) or end-of-chain return
                out[role]["policy" if c.get("base") else "return"] += dn
            if c.get("base") and table.startswith("mark_") and last:
                out[role]["hook_runs"] += dn
    return out


def link_stats(d, role, tag, dev):
    for o in load_json(os.path.join(d, "link.%s.%s.json" % (role, tag)), []):
        if o.get("ifname") == dev:
            s = o.get("stats64", o.get("stats", {}))
            return s
    return {}


def check_flood(a):
    d = a.dir
    analyze(a, d)
    before, after = Ruleset(d, "before"), Ruleset(d, "after")
    ev, journeys = load_log(d)
    st = load_json(os.path.join(d, "stats.json"), {}).get("stats", {})
    loss = st.get("loss", {})
    fl = {}
    with open(os.path.join(d, "flood.txt")) as f:
        for line in f:
            w = line.split()
            if len(w) >= 2:
                fl[w[0]] = w[1:]
    sent = int(fl["sender"][1]) if "sender" in fl else -1
    recv = int(fl["receiver"][1]) if "receiver" in fl else -1
    sport, dport = int(fl.get("ports", ["41100", "5001"])[0]), int(fl.get("ports", ["41100", "5001"])[1])
    cs = counter_sum(before, after)
    # independent packet counts
    tx_c1 = link_stats(d, "c1", "after", "c1r").get("tx", {}).get("packets", 0) - \
        link_stats(d, "c1", "before", "c1r").get("tx", {}).get("packets", 0)
    rx_s = link_stats(d, "s", "after", "sr").get("rx", {}).get("packets", 0) - \
        link_stats(d, "s", "before", "sr").get("rx", {}).get("packets", 0)

    def cdelta(role, fam, table, chain, pred):
        k = (role, fam, table, chain)
        for r in after.rules.get(k, []):
            if pred(r):
                return after.counters.get(k + (r["handle"],), 0) - before.counters.get(k + (r["handle"],), 0)
        return None

    def has_port(r, port):
        return ('"right": %d' % port) in json.dumps(r.get("expr")) or \
            (str(port) in json.dumps(r.get("expr")) and "set" in json.dumps(r.get("expr")))

    fwd_acc = cdelta("r", "inet", "rfw", "udp_in", lambda r: "accept" in json.dumps(r.get("expr")))
    srv_acc = cdelta("s", "inet", "sfw", "input", lambda r: '"right": 5001' in json.dumps(r.get("expr")))
    # the log
    steps = collections.defaultdict(collections.Counter)
    foreign = 0
    base_end = 0
    for e in ev:
        if e.get("type") != "NFT_RULE":
            continue
        ns = after.ns_of(e.get("family"), e.get("table"))
        if ns is None:
            foreign += 1
            continue
        if e.get("kind") == "return" and after.chain.get((ns, e.get("family"), e.get("table"), e.get("chain")),
                                                         {}).get("base"):
            # the end of a base chain: traced by BPF at __nft_trace_packet,
            # never sent as a netlink message (the policy step follows)
            base_end += 1
            continue
        steps[ns][e.get("kind")] += 1
    fj = [j for j in journeys if j.get("proto") == "UDP" and
          ((j.get("sport") == sport and j.get("dport") == dport) or (j.get("sport") == dport and j.get("dport") == sport))]
    fj_acc = sum(1 for j in fj if nft_verdict(j) == "ACCEPT")
    fj_none = sum(1 for j in fj if nft_verdict(j) in (None, "NONE"))
    fj_inc = sum(1 for j in fj if j.get("incomplete"))
    phantom = sum(1 for j in journeys if jflow(j) is None and has_steps(j))
    lost_nl = loss.get("netlink", 0) or 0
    lost_rb = loss.get("ringbuf", 0) or 0
    lost_user = loss.get("user", 0) or 0
    # per namespace: produced (counters) vs recorded
    rows = []
    miss_total = 0
    own_total = 0
    extra_total = 0
    for role in ROLES:
        c = cs.get(role, collections.Counter())
        s = steps.get(role, collections.Counter())
        prod = c["rule"] + c["policy"] + c["return"]
        rec = s["rule"] + s["policy"] + s["return"]
        own = 2 * c["hook_runs"]
        miss = max(0, prod - rec)
        extra_total += max(0, rec - prod)
        miss_total += miss
        own_total += own
        rows.append((role, c["rule"], c["policy"], c["return"], prod, s["rule"], s["policy"], s["return"], rec,
                     miss, own, c["rules_without_counter"]))
    print("# %s: flood %s: sender %s, receiver %s, ip -s link: c1r tx %d, sr rx %d; counters: router udp accept %s, "
          "server udp 5001 accept %s" % (a.name, "%d -> %d" % (sport, dport), fl.get("sender"), fl.get("receiver"),
                                         tx_c1, rx_s, fwd_acc, srv_acc))
    print("# %s: nft steps per namespace (truth = rule counters: rules + chain ends), log, missing, and the "
          "recorder's own-table messages (2 per hook run, never logged):" % a.name)
    print("#   ns  counters:rule policy return = total | log:rule policy return = total | missing | own msgs")
    for r in rows:
        print("#   %-2s  %6d %6d %6d = %6d | %6d %6d %6d = %6d | %6d | %6d%s" % (
            r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10],
            " (%d rules without counter!)" % r[11] if r[11] else ""))
    print("# %s: journeys of the flood flow %d (ACCEPT %d, NONE %d, incomplete %d), phantom journeys %d; "
          "lost: ringbuf %d, netlink %d, user %d; other tables' steps %d; base chain end records %d (not counted)" % (
              a.name, len(fj), fj_acc, fj_none, fj_inc, phantom, lost_rb, lost_nl, lost_user, foreign, base_end))
    metrics = collections.OrderedDict([
        ("sent", sent), ("received", recv), ("tx_c1", tx_c1), ("rx_s", rx_s), ("router_accept", fwd_acc),
        ("server_accept", srv_acc), ("flood_journeys", len(fj)), ("flood_accept", fj_acc),
        ("flood_none", fj_none), ("phantom_journeys", phantom),
        ("steps_produced", sum(r[4] for r in rows)), ("steps_logged", sum(r[8] for r in rows)),
        ("steps_missing", miss_total), ("steps_extra", extra_total), ("own_messages", own_total),
        ("lost_netlink", lost_nl), ("lost_ringbuf", lost_rb), ("lost_user", lost_user),
        ("per_ns", {r[0]: {"produced": r[4], "logged": r[8], "missing": r[9]} for r in rows}),
    ])
    print("# %s: metrics %s" % (a.name, json.dumps(metrics)))
    results = collections.OrderedDict()
    truth_ok = sent > 0 and sent == tx_c1 and recv == sent and fwd_acc == sent and srv_acc == sent
    results["truth"] = (truth_ok, "traffic counts: sent %d, c1r tx %d, router accept %s, server accept %s, "
                        "received %d (all equal unless the flood itself lost packets: then the scenario, "
                        "not the recorder, is at fault)" % (sent, tx_c1, fwd_acc, srv_acc, recv))
    n = recv if recv >= 0 else sent
    if a.valve:
        return check_valve(a, results, metrics, fj, fj_acc, phantom, n, loss)
    rb_lost = lost_rb + lost_user
    results["journeys"] = (len(fj) == n or (rb_lost > 0 and n - rb_lost <= len(fj) <= n),
                           "%d journeys of the flood flow for %d packets delivered (ringbuf + user lost %d)" %
                           (len(fj), n, rb_lost))
    results["verdicts"] = (fj_acc == len(fj) and fj_acc > 0,
                           "%d of %d flood journeys ACCEPT (nftables accepted all %s: counters), %d NONE" %
                           (fj_acc, len(fj), fwd_acc, fj_none))
    results["phantom"] = (phantom == 0, "%d journeys with nft steps and no flow" % phantom)
    # netlink: what the log lacks must be counted.  The recorder's own-table
    # messages are never logged, so a count can only be bounded: missing <=
    # lost <= missing + own messages; nothing counted when nothing is missing.
    nl_ok = (miss_total <= lost_nl <= miss_total + own_total) and (miss_total > 0 or lost_nl == 0) and not extra_total
    results["loss_netlink"] = (nl_ok, "%d nft steps missing from the log (%d extra), %d counted lost (netlink); "
                               "must be missing <= lost <= missing + %d own-table messages" %
                               (miss_total, extra_total, lost_nl, own_total))
    return emit(a, results, {}, metrics)


def check_valve(a, results, metrics, fj, fj_acc, phantom, n, loss):
    """flood recorded with --max-events-per-s: the valve sheds whole packets in
    the kernel and counts them; nothing else of the log may be missing"""
    shed, shed_ev = loss.get("shed_packets", 0) or 0, loss.get("shed_events", 0) or 0

    def shape(j):  # the nft steps and namespaces of a journey
        return (tuple(step_key(s) for s in j.get("nft", []) if s.get("kind") in ("rule", "policy", "return")),
                len({p.get("netns") for p in j.get("path", [])}))
    shapes = collections.Counter(shape(j) for j in fj)
    ref = collections.Counter()
    if a.ref and os.path.exists(os.path.join(a.ref, "journeys.json")):
        ref = collections.Counter(shape(j) for j in load_log(a.ref)[1] if j.get("proto") == "UDP" and
                                  j.get("dport") == 5001)
    odd = [s for s in shapes if s not in ref] if ref else [s for s in shapes if s != shapes.most_common(1)[0][0]]
    inc = sum(1 for j in fj if j.get("incomplete"))
    print("# %s: valve: %d journeys recorded + %d packets shed (%d events) = %d of %d delivered; journey shapes "
          "(nft steps, namespaces) %s; in the full recording %s; incomplete %d" % (
              a.name, len(fj), shed, shed_ev, len(fj) + shed, n, sorted((len(s[0]), s[1], c) for s, c in shapes.items()),
              sorted((len(s[0]), s[1], c) for s, c in ref.items()), inc))
    metrics["shed_packets"], metrics["shed_events"] = shed, shed_ev
    results["journeys"] = (len(fj) + shed == n and len(fj) > 0,
                           "%d journeys recorded + %d shed = %d, %d delivered" % (len(fj), shed, len(fj) + shed, n))
    results["shed_counted"] = (shed > 0 and shed_ev >= shed,
                               "%d packets shed, %d events shed (the valve must have shed under this flood)" %
                               (shed, shed_ev))
    results["verdicts"] = (fj_acc == len(fj) and fj_acc > 0,
                           "%d of %d recorded flood journeys ACCEPT" % (fj_acc, len(fj)))
    results["whole"] = (not odd and not inc,
                        "%d recorded journeys of a shape (nft steps, namespaces) the full recording of the same "
                        "flood does not have: %s; incomplete %d (a packet is recorded whole or shed whole)" %
                        (sum(shapes[s] for s in odd), [(len(s[0]), s[1]) for s in odd], inc))
    results["phantom"] = (phantom == 0, "%d journeys with nft steps and no flow" % phantom)
    print("# %s: metrics %s" % (a.name, json.dumps(metrics)))
    return emit(a, results, {}, metrics)


# ---------------------------------------------------------------- diff mode

FLOW_RE = re.compile(r'^(\w+) \[?([0-9a-fA-F.:]+?)\]?(?::(\*|\d+))? → \[?([0-9a-fA-F.:]+?)\]?(?::(\*|\d+))?(?: (.*))?$')


def mon_flow_packets(d, flow):
    """packets (per namespace: traversals of the namespace's hooks, as
    build_packets splits them) of the diff's FLOW ("TCP 10.71.1.2:* →
    10.71.2.2:7", "ICMP a → b echo-request") that nft monitor printed in DIR's
    namespaces, untranslated headers only; None when FLOW is not understood.
    Not distinct trace ids: nftables derives a trace id from the skb's address,
    so two packets of a flow on one reused skb share it (truth_router: a TCP
    flow's data and its FIN in one trace id, counted once)"""
    m = FLOW_RE.match(flow or "")
    if not m:
        return None
    proto, src, sport, dst, dport, rest = m.groups()
    proto = proto.lower()
    l4p = {"icmpv6": "icmpv6", "icmp6": "icmpv6"}.get(proto, proto)
    try:
        src, dst = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    except ValueError:
        return None

    def match(h):
        fam = hdr_family(h)
        if fam is None or h.get("raw6"):
            return False
        try:
            hs, hd = ipaddress.ip_address(h[fam + " saddr"]), ipaddress.ip_address(h[fam + " daddr"])
        except (KeyError, ValueError):
            return False
        l4 = h["l4"].split()
        if (hs, hd) != (src, dst) or not l4 or l4[0] != l4p:
            return False
        if dport and dport != "*" and not re.search(r'\b%s dport %s\b' % (l4p, dport), h["l4"]):
            return False
        if sport and sport != "*" and not re.search(r'\b%s sport %s\b' % (l4p, sport), h["l4"]):
            return False
        if rest and proto.startswith("icmp") and "type " + rest.split()[0] not in h["l4"]:
            return False
        return True

    rs = Ruleset(d, "after") if os.path.exists(os.path.join(d, "ruleset.r.after.json")) else Ruleset(d, "before")
    stats = collections.Counter()
    runs, _ = parse_monitor(d, rs, stats)
    travs, _, _ = build_packets(runs, stats, [])
    return sum(1 for t in travs if any(match(r.hdr) for r in t))


def traffic_confirmed(x, d_base, d_new):
    """a diff's flow difference that nft monitor saw too (the runs' traffic
    itself differed: a TCP retransmission under emulation), not the recorder's"""
    if x.get("class") != "flow":
        return False
    cb, cn = mon_flow_packets(d_base, x.get("flow")), mon_flow_packets(d_new, x.get("flow"))
    if cb is None or cn is None:
        return False
    db = (x.get("base_packets") or 0) - (x.get("new_packets") or 0)
    return cb != cn and (cb - cn > 0) == (db > 0)


def check_diff(a):
    import subprocess
    if not a.analyzer:
        die("diff needs --analyzer")
    base, same, changed = a.dir, a.more[0], a.more[1]
    results = collections.OrderedDict()
    details = collections.OrderedDict()

    def run(x, y, js=False):
        cmd = [a.analyzer, "diff"] + (["--json"] if js else []) + [os.path.join(x, "rec.ntl"), os.path.join(y, "rec.ntl")]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        return r.returncode, r.stdout

    rc, out = run(base, base)
    print("# %s: diff of a log against itself: exit %d" % (a.name, rc))
    # BPF probes are global: packets of other namespaces of the host (loopback,
    # other tests) can be in a log; only the scenario's flows are compared
    def ours(x):
        f = x.get("flow")
        return f is None or "10.71." in f or "fd71:" in f

    def foreign(js):
        try:
            d = json.loads(js).get("differences", [])
        except ValueError:
            return None
        return [x for x in d if not ours(x)], [x for x in d if ours(x)]

    rc, out = run(base, same)
    last = out.strip().splitlines()[-1] if out.strip() else ""
    print("# %s: diff of two runs of identical traffic: exit %d: %s" % (a.name, rc, last))
    details["identical"] = [l for l in out.splitlines() if l and not l.startswith(("result", "  "))][:8]
    ok = rc == 0
    if rc == 1:
        fo = foreign(run(base, same, True)[1])
        if fo is not None and fo[0] and not fo[1]:
            print("# %s: identical runs: %d differences only about other traffic of the host (not the scenario's addresses), e.g. %s" %
                  (a.name, len(fo[0]), json.dumps(fo[0][0], ensure_ascii=False)[:160]))
            ok = True
        elif fo is not None and fo[1] and all(traffic_confirmed(x, base, same) for x in fo[1]):
            # every difference of the scenario's flows is one nft monitor saw
            # too: the two runs' traffic differed, the logs say so rightly
            print("# %s: identical runs: %d flow differences that nft monitor saw too (the traffic differed), e.g. %s" %
                  (a.name, len(fo[1]), json.dumps(fo[1][0], ensure_ascii=False)[:160]))
            ok = True
    results["identical"] = (ok, "nft-analyze diff of two identical runs exits %d: %s" % (rc, last))
    rc, out = run(base, changed)
    last = out.strip().splitlines()[-1] if out.strip() else ""
    print("# %s: diff with one rule changed: exit %d: %s" % (a.name, rc, last))
    rcj, js = run(base, changed, True)
    why = []
    try:
        diffs = json.loads(js).get("differences", [])
    except ValueError as e:
        diffs = []
        why.append("diff --json unreadable (%s)" % e)
    port = ":%d" % a.changed_port
    named = [x for x in diffs if x.get("class") == "rule" and
             any(a.changed_rule in str(v) for v in x.values())]
    host = [x for x in diffs if not ours(x)]
    if host:
        print("# %s: changed rule: %d differences about other traffic of the host ignored, e.g. %s" %
              (a.name, len(host), json.dumps(host[0], ensure_ascii=False)[:160]))
    other = [x for x in diffs if ours(x) and
             not (x.get("class") in ("rule", "verdict", "flow") and port in (x.get("flow") or ""))]
    seen = [x for x in other if traffic_confirmed(x, base, changed)]
    if seen:
        print("# %s: changed rule: %d flow differences that nft monitor saw too (the traffic differed) ignored, e.g. %s" %
              (a.name, len(seen), json.dumps(seen[0], ensure_ascii=False)[:160]))
        other = [x for x in other if x not in seen]
    if not named:
        why.append("the changed rule (%s) is not named" % a.changed_rule)
    if other:
        why.append("%d differences about something else, e.g. %s" % (len(other), json.dumps(other[0], ensure_ascii=False)[:200]))
    details["changed_rule"] = [json.dumps(x, ensure_ascii=False)[:300] for x in other[:4]]
    results["changed_rule"] = (rc == 1 and not why, "exit %d (want 1)%s" % (rc, "; " + "; ".join(why) if why else ""))
    return emit(a, results, details, {"identical_exit": results["identical"][0], "changed": rc})


def main():
    ap = argparse.ArgumentParser(description="per-packet oracle of issue #15")
    ap.add_argument("mode", choices=["packets", "flood", "diff"])
    ap.add_argument("dir")
    ap.add_argument("more", nargs="*", help="diff: SAME CHANGED")
    ap.add_argument("--analyzer", help="nft-analyze binary: (re)write events.ndjson, journeys.json, stats.json")
    ap.add_argument("--changed-rule", default='udp dport 5002 counter log prefix "changed " drop')
    ap.add_argument("--changed-port", type=int, default=5002)
    ap.add_argument("--valve", action="store_true",
                    help="flood: recorded with --max-events-per-s: recorded + shed = delivered, no step accounting")
    ap.add_argument("--ref", help="flood --valve: the full recording of the same flood (its journeys' shapes)")
    ap.add_argument("--report", action="store_true", help="print metrics, never fail")
    ap.add_argument("--name", default="truth")
    ap.add_argument("--examples", type=int, default=5)
    ap.add_argument("--json", help="write metrics + examples to this file")
    ap.add_argument("--dump", action="store_true", help="list every packet: its runs and journeys")
    a = ap.parse_args()
    if not os.path.isdir(a.dir):
        die("%s: not a directory" % a.dir)
    if a.mode == "diff" and len(a.more) != 2:
        die("diff: BASE SAME CHANGED")
    sys.exit({"packets": check_packets, "flood": check_flood, "diff": check_diff}[a.mode](a))


if __name__ == "__main__":
    main()
