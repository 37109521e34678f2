#!/usr/bin/env python3
"""bench/lib/analyze_report.py W RECORDS EVENTS BYTES T0 T1 LOAD0 LOAD BASE C1_BYTES C2_BYTES

bench/analyze.sh's tables from its work directory W: the commands x the
zstdcat floor (best.LABEL: "elapsed max_rss_kb cpu"), the floor of the old and
the new format side by side (EVENTS coding 1 / 2 / 3 of the same records), the
budget a record (budget: ntl_readbench lines; output: journeys' bytes a record
and `cat`'s CPU for them) and, per issue #23 target, met / missed with the
measured reason.  Writes bench/results/analyze.json."""
import json
import os
import sys

(w, records, events, nbytes, t0, t1, load0, load, base, c1_bytes, c2_bytes) = sys.argv[1:]
records, events, nbytes = int(records), int(events), int(nbytes)
TARGETS = {"stats": 0.8, "journeys_text": 0.5, "journeys_ndjson": 0.3}
CODING_FORMAT = {1: "2.0", 2: "2.1", 3: "2.2"}


def fail(msg):
    sys.exit("bench/analyze.sh: " + msg)


def row(label):
    s, rss, c = open(os.path.join(w, "best." + label)).read().split()
    s, c = float(s), float(c)
    if s <= 0 or c <= 0:
        fail("%s measured %.3f s elapsed / %.3f s CPU: no time to compare with" % (label, s, c))
    return {"seconds": s, "cpu_seconds": c, "events_per_s": round(records / s),
            "events_per_cpu_s": round(records / c), "peak_rss_kb": int(rss),
            "cpu_ns_per_record": round(c * 1e9 / records, 2)}


labels = ["zstdcat_floor"] + [k + sfx for sfx in ("", "_1thread") for k in TARGETS]
for c in (1, 2):
    labels += ["zstdcat_floor_c%d" % c] + [k + "_1thread_c%d" % c for k in TARGETS]
if base:
    labels += ["base_" + k + sfx for sfx in ("", "_1thread") for k in TARGETS]
load_end = float(load.split()[0])
res = {
    "scenario": "bench/analyze.scn",
    "records": records, "events_counted_by_stats": events,
    "log_bytes": nbytes, "bytes_per_record": round(nbytes / records, 3),
    "mklog_seconds": round(float(t1) - float(t0), 2),
    "load_average_1min": load_end,
    "load_average_start": load0, "load_average_end": load,
    "base_binary": base or None,
    "targets_x_floor": TARGETS,
}
for k in labels:
    res[k] = row(k)


def floor_of(k):
    for c in (1, 2):
        if k.endswith("_c%d" % c):
            return res["zstdcat_floor_c%d" % c]
    return res["zstdcat_floor"]


for k in labels:
    r, fl = res[k], floor_of(k)
    r["x_floor"] = round(fl["seconds"] / r["seconds"], 3)
    r["x_floor_cpu"] = round(fl["cpu_seconds"] / r["cpu_seconds"], 3)
    if k in TARGETS:
        r["target_x_floor"] = TARGETS[k]
res["stats_vs_zstdcat_time_ratio"] = round(res["stats"]["seconds"] / res["zstdcat_floor"]["seconds"], 2)
res["journeys_vs_zstdcat_time_ratio"] = round(res["journeys_text"]["seconds"] / res["zstdcat_floor"]["seconds"], 2)

# the budget a record, per coding
budget, counts = {}, set()
for line in open(os.path.join(w, "budget")):
    c, m, _path, n, ns, sm = line.split()
    n = int(n.split("=")[1])
    counts.add(n)
    if len(counts) != 1:  # the same records in every coding and mode
        fail("ntl_readbench -m %s read %d records of coding %s, other passes %s" % (m, n, c, sorted(counts)))
    v = float(ns.split("=")[1])
    if v <= 0:
        fail("ntl_readbench -m %s measured 0 ns a record (coding %s)" % (m, c))
    budget.setdefault(int(c), {})[m] = v
    if m == "zstd":
        budget[int(c)]["raw_bytes_per_record"] = round(int(sm.split("=")[1], 16) / n, 2)
output = {}
for line in open(os.path.join(w, "output")):
    o, n, b, cpu = line.split()
    output[o] = {"bytes_per_record": round(int(b) / int(n), 1),
                 "move_ns_per_record": round(float(cpu) * 1e9 / int(n), 2)}
sizes = {1: int(c1_bytes), 2: int(c2_bytes), 3: nbytes}
codings = {}
for c in (1, 2, 3):
    sfx = "" if c == 3 else "_c%d" % c
    fl = res["zstdcat_floor" + sfx]
    b = budget[c]
    codings[c] = {
        "format": CODING_FORMAT[c], "log_bytes": sizes[c], "bytes_per_record": round(sizes[c] / records, 3),
        "floor_cpu_ns_per_record": fl["cpu_ns_per_record"],
        "floor_seconds": fl["seconds"], "floor_cpu_seconds": fl["cpu_seconds"],
        "decompress_ns": b["zstd"], "decode_ns": round(b["read"] - b["zstd"], 2),
        "reader_ns": b["read"], "group_ns": round(b["group"] - b["read"], 2),
        "reader_group_ns": b["group"], "raw_bytes_per_record": b["raw_bytes_per_record"],
    }
    for k in TARGETS:
        r = res[k + "_1thread" + sfx]
        codings[c][k + "_1thread_cpu_ns"] = r["cpu_ns_per_record"]
        codings[c][k + "_1thread_x_floor"] = r["x_floor"]
        codings[c][k + "_1thread_x_floor_cpu"] = r["x_floor_cpu"]
res["codings"] = codings
res["output"] = output

# per target: met / missed on the current format (coding 3) and the reason;
# the same against coding 1's floor (format 2.0, what issue #23 was filed on)
calm = load_end < 1


def verdict(k, t, c):
    d = codings[c]
    sfx = "" if c == 3 else "_c%d" % c
    if calm and c == 3:
        x, how = res[k]["x_floor"], "elapsed, 2 threads (load < 1)"
    elif calm:
        x, how = res[k + "_1thread" + sfx]["x_floor"], "elapsed, one thread (load < 1)"
    else:
        x, how = res[k + "_1thread" + sfx]["x_floor_cpu"], "CPU time, one thread (load %.2f >= 1)" % load_end
    allowed = d["floor_cpu_ns_per_record"] / t
    parts = [("decompress", d["decompress_ns"]), ("decode", d["decode_ns"]), ("packet lookup", d["group_ns"])]
    if k != "stats":
        o = output["text" if k == "journeys_text" else "ndjson"]
        parts.append(("%g B of output moved" % o["bytes_per_record"], o["move_ns_per_record"]))
    least = sum(v for _, v in parts)
    spent = d[k + "_1thread_cpu_ns"]
    spell = " + ".join("%s %.1f" % (n, v) for n, v in parts)
    if x >= t:
        reason = "%.3fx >= %g (%s)" % (x, t, how)
    elif least > allowed:
        reason = ("%.3fx < %g (%s); unreachable by any per-record reader of this format: its least a "
                  "record, %s = %.1f ns of CPU, exceeds the %.1f ns that %gx the floor (%.2f ns) allows; "
                  "the analyzer spends %.1f ns" %
                  (x, t, how, spell, least, allowed, t, d["floor_cpu_ns_per_record"], spent))
    else:
        reason = ("%.3fx < %g (%s); reachable in principle: the least a record, %s = %.1f ns, fits the "
                  "%.1f ns that %gx the floor (%.2f ns) allows; the analyzer spends %.1f ns (window, model, "
                  "formatting: %.1f ns above the least)" %
                  (x, t, how, spell, least, allowed, t, d["floor_cpu_ns_per_record"], spent, spent - least))
    return {"met": x >= t, "x_floor": x, "measured_as": how, "allowed_ns": round(allowed, 2),
            "least_ns": round(least, 2), "spent_ns": spent, "reason": reason}


verdicts, verdicts_c1 = {}, {}
for k, t in TARGETS.items():
    verdicts[k] = verdict(k, t, 3)
    verdicts_c1[k] = verdict(k, t, 1)
    res[k]["met"] = verdicts[k]["met"]
res["verdicts_coding1_floor"] = verdicts_c1
res["verdicts"] = verdicts
json.dump(res, open("bench/results/analyze.json", "w"), indent=2)

print(f"log: {records} records, {nbytes} bytes = {res['bytes_per_record']} bytes/record (coding 3)")
print(f"{'what':<32}{'seconds':>9}{'cpu s':>8}{'Mev/s':>8}{'Mev/cpu-s':>11}{'peak RSS':>11}{'x floor':>9}{'(cpu)':>7}{'target':>8}")
for k in labels:
    r = res[k]
    tg = f">= {r['target_x_floor']}" if "target_x_floor" in r else ""
    print(f"{k:<32}{r['seconds']:>9.2f}{r['cpu_seconds']:>8.2f}{r['events_per_s']/1e6:>8.2f}{r['events_per_cpu_s']/1e6:>11.2f}"
          f"{r['peak_rss_kb']/1024:>9.1f}MB{r['x_floor']:>9.3f}{r['x_floor_cpu']:>7.3f}{tg:>8}")
print("(x floor = the floor's time / the command's: higher is better; a row ending _cN against the "
      "floor of coding N; the floor is zstdcat run K times in a row for >= 200 MB, divided by K)")
print()
print("The floor of the old and the new format, the same records (one thread, CPU ns a record; x floor in CPU time):")
print(f"{'EVENTS coding':<18}{'B/rec':>7}{'raw B/rec':>10}{'floor ns':>9}{'stats':>14}{'text':>14}{'NDJSON':>14}")
for c in (1, 2, 3):
    d = codings[c]
    cell = lambda k: "%.0f ns %.3fx" % (d[k + "_1thread_cpu_ns"], d[k + "_1thread_x_floor_cpu"])
    print(f"{'%d (format %s)' % (c, d['format']):<18}{d['bytes_per_record']:>7.3f}{d['raw_bytes_per_record']:>10.2f}"
          f"{d['floor_cpu_ns_per_record']:>9.2f}{cell('stats'):>14}{cell('journeys_text'):>14}{cell('journeys_ndjson'):>14}")
print()
print("The budget a record (CPU ns, tests/tools/ntl_readbench, least of 3 passes): our reader's zstd alone; "
      "+ decoding = the reader; + the packet lookup `stats` needs:")
print(f"{'EVENTS coding':<18}{'floor':>8}{'decompress':>11}{'decode':>8}{'reader':>8}{'+lookup':>8}{'stats':>8}"
      f"{'reader/floor':>13}")
for c in (1, 2, 3):
    d = codings[c]
    print(f"{'%d (format %s)' % (c, d['format']):<18}{d['floor_cpu_ns_per_record']:>8.2f}{d['decompress_ns']:>11.2f}"
          f"{d['decode_ns']:>8.2f}{d['reader_ns']:>8.2f}{d['reader_group_ns']:>8.2f}{d['stats_1thread_cpu_ns']:>8.1f}"
          f"{d['reader_ns'] / d['floor_cpu_ns_per_record']:>12.2f}x")
print("output a record: journeys text %.1f B (moved once, dd to /dev/null: %.2f ns), NDJSON %.1f B (%.2f ns); "
      "the floor writes %.2f B (coding 3's raw columns)" %
      (output["text"]["bytes_per_record"], output["text"]["move_ns_per_record"],
       output["ndjson"]["bytes_per_record"], output["ndjson"]["move_ns_per_record"],
       codings[3]["raw_bytes_per_record"]))
print()
print("issue #23 targets on the current format (coding 3), each with its baseline from this run:")
for k, v in verdicts.items():
    print(f"  {k:<16} {'MET' if v['met'] else 'MISSED'}: {v['reason']}")
print("the same against the old format's floor (coding 1, format 2.0: the issue's 0.60x stats was measured on it):")
for k, v in verdicts_c1.items():
    print(f"  {k:<16} {'met' if v['met'] else 'missed'}: {v['reason']}")
print(f"(1/5/15-minute load {load0} at the start, {load} at the end; elapsed includes waiting for a core)")
print("wrote bench/results/analyze.json")
