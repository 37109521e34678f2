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
    trace id) (difflib; equal sequences map one to one).  The end of a chain
    (kind return, handle 0, CONTINUE) is compared when nft monitor prints
    chain ends ("verdict continue" lines: 6.1 sends it as a RETURN-type trace
    message, base and regular chains alike), else not (6.12 sends a
    RULE-type message without handle, which nft monitor does not print).  A
    return rule's RETURN-type step ("verdict return": nft monitor prints no
    handle, the kernel sends the rule's) takes the handle of the one return
    rule of the chain that the packet's printed header can have matched
    (truth_oracle.return_handle); none derivable: the step pairs with
    nothing (missing).  A log record is "in a journey" when `journeys --json`
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
import json
import os
import sys

from truth_oracle import (START_LEN, END_LEN, ROLES, die, load_json, Ruleset, ident, window, parse_monitor, build_packets, analyze, load_log, step_key, is_implicit_return, jflow, has_steps, nft_verdict, short_journey, mon_line, norm6, pkt_summary, packets_root, emit)
from truth_flood import check_flood
from truth_diff import check_diff


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
    # a chain's end (falls off its last rule): kernels that send it as a
    # RETURN-type message (6.1) make nft monitor print "verdict continue";
    # those whose __nft_trace_verdict masks the verdict (6.12) send it as a
    # RULE-type message without handle, which nft monitor does not print
    ends_printed = stats["monitor_chain_ends"] > 0
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
            if not ends_printed:
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
    print("# %s: monitor: %d chain ends printed (\"verdict continue\": %s), %d returns printed without "
          "handle (\"verdict return\"), %d of them with no return rule derivable from the ruleset and "
          "the packet" % (a.name, stats["monitor_chain_ends"], "compared with the log's end-of-chain returns"
                          if ends_printed else "none: the log's end-of-chain returns are not compared",
                          stats["monitor_returns"], stats["monitor_returns_underived"]))
    print("# %s: log: %d records, %d journeys (%d with steps of the scenario), %d NFT_RULE of the scenario "
          "(%s %d end-of-chain returns), %d of other tables %s; lost: netlink %d, ringbuf %d, user %d; "
          "uncorrelated %s" %
          (a.name, len(ev), len(journeys), len(j_pkts), sum(len(v) for v in log_steps.values()),
           "with" if ends_printed else "+", impl_returns,
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
