#!/usr/bin/env python3
"""truth_oracle.py - the oracle of tests/tools/truth_check.py: nft monitor's chain runs
and the scenario's rulesets made into packets (never from the recorder), the
log's records and journeys read through nft-analyze, and the result protocol.
Definitions: truth_check.py's docstring."""
import collections
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


def match_holds(m, hdr):
    """a rule's "match" expression against the transport fields nft monitor
    printed: True / False, None when it cannot be told from them"""
    left, right = m.get("left"), m.get("right")
    if m.get("op") not in ("==", None) or not isinstance(left, dict) or "payload" not in left \
            or not isinstance(right, str):
        return None
    pl = left["payload"]
    proto, field = pl.get("protocol"), pl.get("field")
    if proto in ("ip", "ip6"):
        fam = hdr_family(hdr)
        if fam and fam != proto:
            return False   # the match's implicit network protocol dependency fails
        v = hdr.get(proto + " " + field) if field else None
        if v is None or hdr.get("raw6"):
            return None
        return norm6(v) == norm6(right) if proto == "ip6" else v == right
    toks = hdr.get("l4", "").split()
    if not proto or not field or not toks:
        return None
    if toks[0] != proto:
        return False   # the match's implicit transport protocol dependency fails
    for i in range(len(toks) - 2):
        if toks[i] == proto and toks[i + 1] == field:
            return toks[i + 2] == right
    return None


def return_handle(rules, hdr):
    """the handle of the rule that issued a return in a chain, from the
    ruleset and the packet nft monitor printed (nft monitor prints none for a
    RETURN-type trace message): the first rule with a return verdict whose
    matches hold; None unless exactly that one rule is possible"""
    cands = []
    for rule in rules:
        ex = rule.get("expr", [])
        if not any(isinstance(e, dict) and "return" in e for e in ex):
            continue
        res = True
        for e in ex:
            if not isinstance(e, dict):
                res = None
            elif "match" in e:
                v = match_holds(e["match"], hdr)
                res = False if v is False or res is False else (None if v is None else res)
            elif not any(k in e for k in ("counter", "return", "log")):
                res = None if res is not False else res
        if res is False:
            continue
        cands.append(rule.get("handle"))
        if res is True:
            break
    return cands[0] if len(cands) == 1 else None


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
                    # a RETURN-type message (kernels < 6.4 ... 6.1: nft_trace_verdict
                    # of a chain left by continue / return): nft monitor prints no
                    # handle; the kernel sends none for the chain's end (continue)
                    # and the handle of the return rule for a return (derived below)
                    step = (table, chain, 0, rest.split()[1].upper(), line)
                    if step[3] == "CONTINUE":
                        stats["monitor_chain_ends"] += 1
                if step is None:
                    stats["monitor_unparsed"] += 1
                    continue
                r = cur.get(tid)
                if r is None or (r.family != fam) or (r.table != table):
                    orphans.append((role, tid, step, n))
                    continue
                if rest.startswith("verdict ") and step[3] == "RETURN":
                    h = return_handle(rs.rules.get((role, fam, table, chain), []), r.hdr)
                    stats["monitor_returns"] += 1
                    if h is None:
                        stats["monitor_returns_underived"] += 1
                        h = -1   # pairs with no log step: reported missing
                    step = (table, chain, h, "RETURN", line)
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
