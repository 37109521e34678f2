#!/usr/bin/env python3
"""pcap_check.py - the oracle checks of `nft-analyze pcap` (tests/golden/pcap.sh,
the VM and host e2e tests): tshark's decoding of the capture against the log.

  pcap_check.py EVENTS.json JOURNEYS.json TSHARK.json [--headers-only]
                [--packets ID,ID,...] [--nat]

EVENTS.json: `nft-analyze events --json LOG` (every record, with its packet);
JOURNEYS.json: `nft-analyze journeys --json LOG`; TSHARK.json: `tshark -r F -T json`.
Expected captures: every BYTES record of the selected packets (all of them, or
--packets), each with the addresses / ports of the packet's last META before
it (the journey's flow at that version).  Per frame (matched by the comment's
"packet N version i/n"): addresses, ports, protocol, lengths (captured length =
caplen, + 14 for a made-up Ethernet header; --headers-only: up to the end of the
transport header), verdict and deciding rule handle in the comment, interface
name.  --nat: some packet must show two versions with different addresses.
Prints PASS / FAIL lines (tests/run.sh protocol); exit 1 on a failure.
"""
import json
import re
import sys

fails = 0


def check(name, ok, why=""):
    global fails
    if ok:
        print(f"PASS: {name}")
    else:
        fails += 1
        print(f"FAIL: {name}: {why}")


def layer(frame, name):
    return frame["_source"]["layers"].get(name) or {}


def main():
    args = sys.argv[1:]
    headers_only = "--headers-only" in args
    want_nat = "--nat" in args
    only = None
    if "--packets" in args:
        only = {int(x) for x in args[args.index("--packets") + 1].split(",") if x}
    files = [a for a in args if not a.startswith("--") and not re.fullmatch(r"[0-9,]+", a)]
    events = json.load(open(files[0]))["events"]
    journeys = {j["packet"]: j for j in json.load(open(files[1]))["journeys"]}
    frames = json.load(open(files[2]))

    # expected captures, by (packet, version)
    last_meta, versions, expect = {}, {}, {}
    for e in events:
        pid = e.get("packet")
        if pid is None:
            continue
        if e["type"] == "META":
            last_meta[pid] = e
        elif e["type"] == "BYTES":
            versions[pid] = versions.get(pid, 0) + 1
            expect[(pid, versions[pid])] = (e, last_meta.get(pid))
    if only is not None:
        expect = {k: v for k, v in expect.items() if k[0] in only}
    check("frame_count_equals_captured_versions", len(frames) == len(expect),
          f"{len(frames)} frames, the log has {len(expect)} header versions")

    seen = set()
    for f in frames:
        lay = f["_source"]["layers"]
        num = layer(f, "frame").get("frame.number")
        comment = (lay.get("pkt_comment") or {}).get("frame.comment", "")
        m = re.match(r"nft-tracer packet (\d+) version (\d+)/(\d+) ", comment)
        if not m:
            check(f"frame{num}_comment", False, f"no packet / version in comment {comment!r}")
            continue
        pid, vi, vn = int(m[1]), int(m[2]), int(m[3])
        key = (pid, vi)
        if key not in expect:
            check(f"frame{num}_expected", False, f"packet {pid} version {vi} is not a capture of the log")
            continue
        seen.add(key)
        b, meta = expect[key]
        name = f"packet{pid}_v{vi}"
        check(f"{name}_version_count", vn == versions[pid], f"comment says {vn} versions, log has {versions[pid]}")
        fam = "ipv6" if meta and meta["family"] == "ipv6" else "ip"
        ipl = layer(f, fam)
        src, dst = ipl.get(f"{fam}.src"), ipl.get(f"{fam}.dst")
        check(f"{name}_addresses", meta is not None and src == meta["src"] and dst == meta["dst"],
              f"tshark {src} -> {dst}, journey {meta and meta['src']} -> {meta and meta['dst']}")
        proto = meta["proto"].lower() if meta else "?"
        if proto in ("tcp", "udp"):
            l4 = layer(f, proto)
            sp, dp = l4.get(f"{proto}.srcport"), l4.get(f"{proto}.dstport")
            check(f"{name}_ports", sp == str(meta["sport"]) and dp == str(meta["dport"]),
                  f"tshark {proto} {sp} -> {dp}, journey {meta['sport']} -> {meta['dport']}")
        fr = layer(f, "frame")
        made_up = 14 if b["link"] == "network" else 0
        caplen, flen = int(fr["frame.cap_len"]), int(fr["frame.len"])
        check(f"{name}_origlen", flen == b["origlen"] + made_up, f"frame.len {flen}, BYTES origlen {b['origlen']} + {made_up}")
        if headers_only:
            ip_hl = 40 if fam == "ipv6" else 20
            l4_hl = {"tcp": 20, "udp": 8, "icmp": 8, "icmpv6": 8}.get(proto, 0)
            want = min(14 + ip_hl + l4_hl, b["caplen"] + made_up)
            check(f"{name}_headers_only_caplen", caplen == want, f"cap_len {caplen}, headers end at {want}")
        else:
            check(f"{name}_caplen", caplen == b["caplen"] + made_up, f"cap_len {caplen}, BYTES caplen {b['caplen']} + {made_up}")
        ifname = fr.get("frame.interface_id_tree", {}).get("frame.interface_name")
        check(f"{name}_interface", ifname == (b.get("ifname") or f"if{b['ifindex']}"),
              f"interface {ifname}, BYTES on {b.get('ifname')}")
        j = journeys.get(pid)
        if j:
            check(f"{name}_comment_verdict", f"| verdict {j['verdict']}" in comment,
                  f"verdict {j['verdict']} not in {comment!r}")
            deciding = [r for r in j.get("nft", []) if r.get("kind") == "rule" and r.get("verdict") == j["verdict"]]
            if deciding:
                h = deciding[-1]["handle"]
                check(f"{name}_comment_rule_handle", f" #{h} " in comment, f"rule #{h} not in {comment!r}")
            if j.get("dropped"):
                check(f"{name}_comment_drop", f"fate dropped: {j.get('drop_reason')}" in comment,
                      f"drop reason {j.get('drop_reason')} not in {comment!r}")
        else:
            check(f"{name}_journey", False, f"packet {pid} has no journey")
    missing = sorted(set(expect) - seen)
    check("every_captured_version_in_the_file", not missing, f"missing {missing}")
    if want_nat:
        nat = []
        for pid in {k[0] for k in expect}:
            addrs = {(expect[(pid, v)][1]["src"], expect[(pid, v)][1]["dst"])
                     for v in range(1, versions[pid] + 1) if (pid, v) in seen and expect[(pid, v)][1]}
            if len(addrs) > 1:
                nat.append(pid)
        check("a_natted_flow_shows_both_versions", bool(nat), "no packet with two header versions of different addresses")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
