#!/usr/bin/env python3
"""bench/lib/bench.py - the common table of every bench script.

A bench script builds a results dict with a "table" list of rows
    {"name", "value", "unit", "baseline", "baseline_value", "ratio", "target", "met"}
and calls `python3 bench/lib/bench.py emit NAME < results.json`, which prints
the table and writes bench/results/NAME.json (temp + rename).
`python3 bench/lib/bench.py summary` prints every row of bench/results/*.json
(the rows of results written without a "table" are derived for discover and
analyze), which `make bench` shows at the end.
ratio is value / baseline_value unless the row gives its own; "met" is
true / false, or null when the row has no target.
"""
import glob
import json
import os
import sys

COLS = ("name", "value", "baseline", "baseline value", "ratio", "target", "met?")


def fmt(v, unit=""):
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "NO"
    if isinstance(v, float):
        if abs(v) >= 1e6:
            s = "%.2fM" % (v / 1e6)
        elif abs(v) >= 1000:
            s = "%.0f" % v
        elif abs(v) >= 10:
            s = "%.1f" % v
        else:
            s = "%.3g" % v
    elif isinstance(v, int) and abs(v) >= 1000000:
        s = "%.2fM" % (v / 1e6)
    else:
        s = str(v)
    return s + (" " + unit if unit else "")


def norm_row(r):
    r = dict(r)
    if "ratio" not in r and isinstance(r.get("value"), (int, float)) \
            and isinstance(r.get("baseline_value"), (int, float)) and r["baseline_value"]:
        r["ratio"] = round(r["value"] / r["baseline_value"], 3)
    r.setdefault("met", None)
    r.setdefault("target", None)
    return r


def print_table(title, rows, out=sys.stdout):
    lines = [[r["name"], fmt(r.get("value"), r.get("unit", "")), r.get("baseline") or "-",
              fmt(r.get("baseline_value"), r.get("baseline_unit", r.get("unit", ""))),
              fmt(r.get("ratio")), r.get("target") or "-",
              "-" if r.get("met") is None else ("yes" if r["met"] else "NO")] for r in rows]
    w = [max([len(COLS[i])] + [len(str(l[i])) for l in lines]) for i in range(len(COLS))]
    w = [min(x, 60) for x in w]
    if title:
        print(title, file=out)
    print("  " + "  ".join(COLS[i].ljust(w[i]) for i in range(len(COLS))), file=out)
    for l in lines:
        print("  " + "  ".join(str(l[i]).ljust(w[i]) for i in range(len(COLS))), file=out)


def emit(name):
    res = json.load(sys.stdin)
    res["table"] = [norm_row(r) for r in res.get("table", [])]
    res.setdefault("load_average", open("/proc/loadavg").read().split()[:3])
    os.makedirs("bench/results", exist_ok=True)
    path = "bench/results/%s.json" % name
    with open(path + ".tmp", "w") as f:
        json.dump(res, f, indent=2)
    os.replace(path + ".tmp", path)
    print_table("%s (load average %s)" % (name, " ".join(res["load_average"])), res["table"])
    for n in res.get("notes", []):
        print("  note: " + n)
    print("wrote " + path)


def derived(name, d):
    """rows for results written by scripts that predate the common table"""
    if name == "discover" and "nft_discover_scan_ms" in d:
        return [norm_row({"name": "discover scan (%d skb funcs)" % d.get("functions", 0),
                          "value": d["nft_discover_scan_ms"]["median"], "unit": "ms",
                          "baseline": "bpftool btf dump | grep FUNC",
                          "baseline_value": d["baseline_wall_ms"]["median"]}),
                norm_row({"name": "discover whole process",
                          "value": d["nft_discover_wall_ms"]["median"], "unit": "ms",
                          "baseline": "bpftool btf dump | grep FUNC",
                          "baseline_value": d["baseline_wall_ms"]["median"]})]
    if name == "analyze" and "stats" in d:
        rows = []
        tg = d.get("targets_x_floor", {"stats": 0.5, "journeys_text": 0.5})
        for k, label in (("stats", "analyze stats"), ("journeys_text", "analyze journeys"),
                         ("journeys_ndjson", "analyze journeys --ndjson")):
            if k not in d or k not in tg:
                continue
            r, t = d[k], tg[k]
            rows.append(norm_row({"name": label + " events/s", "value": float(r["events_per_s"]),
                                  "baseline": "zstdcat same frames",
                                  "baseline_value": float(d["zstdcat_floor"]["events_per_s"]),
                                  "target": ">= %g x floor" % t,
                                  "met": r["events_per_s"] >= t * d["zstdcat_floor"]["events_per_s"]}))
            rows.append(norm_row({"name": label + " events/CPU-s", "value": float(r["events_per_cpu_s"]),
                                  "baseline": "zstdcat same frames",
                                  "baseline_value": float(d["zstdcat_floor"]["events_per_cpu_s"]),
                                  "target": ">= %g x CPU floor" % t,
                                  "met": r["events_per_cpu_s"] >= t * d["zstdcat_floor"]["events_per_cpu_s"]}))
            rows.append(norm_row({"name": label + " peak RSS", "value": r["peak_rss_kb"] / 1024.0,
                                  "unit": "MiB", "baseline": "zstdcat",
                                  "baseline_value": d["zstdcat_floor"]["peak_rss_kb"] / 1024.0}))
        for c, cd in sorted(d.get("codings", {}).items()):
            # the floor of the old and the new format: each coding's, one thread
            rows.append(norm_row({"name": "zstdcat floor, EVENTS coding %s (format %s) CPU/record" % (c, cd["format"]),
                                  "value": cd["floor_cpu_ns_per_record"], "unit": "ns",
                                  "baseline": "floor, coding 3",
                                  "baseline_value": d["codings"]["3"]["floor_cpu_ns_per_record"]}))
            rows.append(norm_row({"name": "reader + packet lookup, coding %s CPU/record" % c,
                                  "value": cd["reader_group_ns"], "unit": "ns",
                                  "baseline": "zstdcat floor, coding %s" % c,
                                  "baseline_value": cd["floor_cpu_ns_per_record"]}))
        return rows
    return []


def summary():
    allrows = []
    for f in sorted(glob.glob("bench/results/*.json")):
        name = os.path.basename(f)[:-5]
        try:
            d = json.load(open(f))
        except Exception as e:  # noqa: BLE001
            print("%s: unreadable (%s)" % (f, e))
            continue
        rows = d.get("table") or derived(name, d)
        for r in rows:
            r = dict(r)
            r["name"] = name + ": " + r["name"]
            allrows.append(r)
    print_table("summary of bench/results/*.json (load average now %s)"
                % " ".join(open("/proc/loadavg").read().split()[:3]), allrows)
    try:  # issue #23's analyzer targets: met / missed and the measured reason
        for k, v in json.load(open("bench/results/analyze.json")).get("verdicts", {}).items():
            print("  analyze %s: %s: %s" % (k, "met" if v["met"] else "MISSED", v["reason"]))
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "emit":
        emit(sys.argv[2])
    elif len(sys.argv) == 2 and sys.argv[1] == "summary":
        summary()
    else:
        sys.exit("usage: bench.py emit NAME < results.json | bench.py summary")
