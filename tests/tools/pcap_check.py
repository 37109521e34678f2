#!/usr/bin/env python3
"""pcap_check.py - the oracle checks of `nft-analyze pcap` (tests/golden/pcap.sh,
the VM and host e2e tests): tshark's decoding of the capture against the log.

  pcap_check.py EVENTS.json JOURNEYS.json TSHARK.json [--headers-only]
                [--packets ID,ID,...] [--nat]

EVENTS.json: `nft-analyze events --json LOG` (every record, with its packet);
JOURNEYS.json: `nft-analyze journeys --json LOG`; TSHARK.json: `tshark -r F -T json`.
Expected captures: the captures of every journey (all of them, or --packets),
each with the addresses / ports of its skb's last META at or before it (the
journey's flow at that version).  Per frame (matched by the comment's
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


def headers_len(b):
    """Bytes from the network header to the end of the transport header of a
    BYTES record (its hex data), as far as the capture has them."""
    d = bytes.fromhex(b["data"])
    o = 14 if b["link"] == "mac" else 0
    if len(d) <= o:
        return len(d) - o
    v = d[o] >> 4
    if v == 4:
        ihl = (d[o] & 15) * 4
        proto, l4 = d[o + 9], o + ihl
        if (int.from_bytes(d[o + 6:o + 8], "big") & 0x1fff) != 0:
            return ihl
    elif v == 6:
        proto, l4 = d[o + 6], o + 40
    else:
        return len(d) - o
    if proto == 6:
        doff = (d[l4 + 12] >> 4) * 4 if len(d) > l4 + 12 else 20
        return l4 - o + max(doff, 20)
    return l4 - o + {17: 8, 1: 8, 58: 8, 132: 12}.get(proto, 0)


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

    # expected captures, by (packet, version): the journeys' captures (their
    # final packets), each with the skb's last META at or before it (events)
    metas = {}
    for e in events:
        if e["type"] == "META":
            metas.setdefault(e["skb"], []).append(e)
    versions, expect = {}, {}
    for pid, j in journeys.items():
        caps = j.get("captures", [])
        if not caps or (only is not None and pid not in only):
            continue
        versions[pid] = len(caps)
        for v, c in enumerate(caps, 1):
            ts = j["first_ts_ns"] + c["t_ns"]
            cand = [m for m in metas.get(c["skb"], []) if m["ts_ns"] <= ts]
            expect[(pid, v)] = (c, cand[-1] if cand else None)
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
        fam = "ipv6" if meta and meta.get("family") == "ipv6" else "ip"
        ipl = layer(f, fam)
        src, dst = ipl.get(f"{fam}.src"), ipl.get(f"{fam}.dst")
        check(f"{name}_addresses", meta is not None and src == meta.get("src") and dst == meta.get("dst"),
              f"tshark {src} -> {dst}, journey {meta and meta.get('src')} -> {meta and meta.get('dst')}")
        proto = meta.get("proto", "?").lower() if meta else "?"
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
            want = min(14 + headers_len(b), b["caplen"] + made_up)
            check(f"{name}_headers_only_caplen", caplen == want, f"cap_len {caplen}, headers end at {want}")
        else:
            check(f"{name}_caplen", caplen == b["caplen"] + made_up, f"cap_len {caplen}, BYTES caplen {b['caplen']} + {made_up}")
        ifname = fr.get("frame.interface_id_tree", {}).get("frame.interface_name")
        check(f"{name}_interface", ifname == (b.get("ifname") or (f"if{b['ifindex']}" if b["ifindex"] else "none")),
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
