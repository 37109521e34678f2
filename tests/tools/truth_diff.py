#!/usr/bin/env python3
"""truth_diff.py - diff mode of tests/tools/truth_check.py: `nft-analyze diff` of a
log against itself, of two runs of identical traffic, and with one rule changed."""
import collections
import ipaddress
import json
import os
import re

from truth_oracle import (die, Ruleset, hdr_family, parse_monitor, build_packets, analyze, emit)


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


_journeys = {}


def drops_foreign(a, d, reason, ours):
    """every journey of DIR/rec.ntl dropped with REASON has a flow and none is the scenario's"""
    import subprocess
    if d not in _journeys:  # one nft-analyze run per log, not per difference
        r = subprocess.run([a.analyzer, "journeys", "--json", os.path.join(d, "rec.ntl")],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            _journeys[d] = json.loads(r.stdout).get("journeys", [])
        except ValueError:
            _journeys[d] = None
    js = _journeys[d]
    if js is None:
        return False
    fl = [j.get("flow") for j in js if j.get("dropped") and j.get("drop_reason") == reason]
    return bool(fl) and all(f and not ours({"flow": f}) for f in fl)


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
    # a drop class names no flow: one whose every dropped packet with that
    # reason is of other traffic of the host (a socket of another test or
    # session purging its queue: QUEUE_PURGE) is not the scenario's
    hd = [x for x in other if x.get("class") == "drop" and
          drops_foreign(a, changed if x.get("change") == "appeared" else base, x.get("reason"), ours)]
    if hd:
        print("# %s: changed rule: %d drop differences only of other traffic of the host ignored, e.g. %s" %
              (a.name, len(hd), json.dumps(hd[0], ensure_ascii=False)[:160]))
        other = [x for x in other if x not in hd]
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
