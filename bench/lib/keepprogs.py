#!/usr/bin/env python3
# bench/lib/keepprogs.py - the "BENCH keepprog" lines of bench/vm/keep.sh
# (way=W round=R prog=P ns=NS runs=N: one BPF program name's run time during
# the traffic, clones summed) as a table: per program, runs and ns per run of
# each way, rounds summed; the programs ordered by the full recording's time.
import sys


def main(path):
    t = {}
    ways = []
    for line in open(path):
        d = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
        if not {"way", "prog", "ns", "runs"} <= d.keys():
            continue
        if d["way"] not in ways:
            ways.append(d["way"])
        v = t.setdefault((d["prog"], d["way"]), [0, 0])
        v[0] += int(d["ns"])
        v[1] += int(d["runs"])
    if not t:
        return
    progs = sorted({p for p, _ in t}, key=lambda p: -t.get((p, "full"), [0, 0])[0])
    print("bpf program        " + "".join("%22s" % w for w in ways))
    print("                   " + "".join("%22s" % "runs  ns/run" for _ in ways))
    for p in progs:
        row = ""
        for w in ways:
            ns, runs = t.get((p, w), [0, 0])
            row += "%22s" % ("%d %7.0f" % (runs, ns / runs) if runs else "-")
        print("%-19s%s" % (p, row))
    tot = ""
    for w in ways:
        ns = sum(v[0] for (p, x), v in t.items() if x == w)
        runs = sum(v[1] for (p, x), v in t.items() if x == w)
        tot += "%22s" % ("%d %7.0f" % (runs, ns / runs) if runs else "-")
    print("%-19s%s" % ("all", tot))


if __name__ == "__main__":
    main(sys.argv[1])
