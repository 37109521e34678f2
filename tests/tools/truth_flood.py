#!/usr/bin/env python3
"""truth_flood.py - flood mode of tests/tools/truth_check.py: counts the recorder and
nft monitor do not produce (nft counters, sender / receiver counts, ip -s link),
and --valve (recorded + shed = delivered)."""
import collections
import json
import os

from truth_oracle import (ROLES, load_json, Ruleset, analyze, load_log, step_key, jflow, has_steps, nft_verdict, emit)


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
            # the end of a base chain (the policy step follows; no rule
            # counter counts it): traced by BPF at __nft_trace_packet, and
            # sent as a RETURN-type netlink message by 6.1 (6.12: a RULE-type
            # message without handle, which the recorder does not log)
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
