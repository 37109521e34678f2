#!/bin/bash
# bench/discover.sh - full nft-discover scan (vmlinux + module BTF + kallsyms,
# classification, both JSON files) against the baseline
#   bpftool btf dump file /sys/kernel/btf/vmlinux | grep FUNC
# (which only lists function names: no argument types, no kallsyms, no output).
# Prints a table with ratios; writes bench/results/discover.json.
#   RUNS=N (default 10)
set -u
cd "$(dirname "$0")/.."
O=${O:-build}
BIN=$PWD/$O/nft-discover
RUNS=${RUNS:-10}
mkdir -p bench/results
[ -x "$BIN" ] || { echo "bench/discover: $BIN not built (make nft-discover)" >&2; exit 1; }
[ -r /sys/kernel/btf/vmlinux ] || { echo "bench/discover: no /sys/kernel/btf/vmlinux" >&2; exit 1; }
command -v bpftool >/dev/null || { echo "bench/discover: bpftool missing" >&2; exit 1; }

BIN=$BIN RUNS=$RUNS python3 - <<'PY'
import json, os, platform, statistics, subprocess, tempfile, time
bin_, runs = os.environ["BIN"], int(os.environ["RUNS"])
tmp = tempfile.mkdtemp(prefix="nt_bench_discover.")
def run_discover(extra=()):
    t0 = time.perf_counter()
    p = subprocess.run([bin_, "--json", "-o", tmp + "/f.json", "-c", tmp + "/c.json", *extra],
                       capture_output=True, text=True, check=True)
    wall = (time.perf_counter() - t0) * 1e3
    return wall, json.loads(p.stdout)
def baseline():
    t0 = time.perf_counter()
    p = subprocess.run("bpftool btf dump file /sys/kernel/btf/vmlinux | grep -c \"^\\[[0-9]*\\] FUNC '\"",
                       shell=True, capture_output=True, text=True)
    return (time.perf_counter() - t0) * 1e3, int(p.stdout.strip() or 0)
def stats(v):
    return {"median": round(statistics.median(v), 2), "min": round(min(v), 2), "max": round(max(v), 2)}
run_discover(); baseline()  # warm caches
walls, scans = [], []
for _ in range(runs):
    w, s = run_discover()
    walls.append(w); scans.append(s["time_ms"]["scan"])
bl, nfuncs_bl = [], 0
for _ in range(runs):
    t, nfuncs_bl = baseline()
    bl.append(t)
ks_read = []
for _ in range(runs):
    t0 = time.perf_counter()
    with open("/proc/kallsyms", "rb") as f:
        while f.read(1 << 20):
            pass
    ks_read.append((time.perf_counter() - t0) * 1e3)
ow = []
host_ks = tmp + "/kallsyms"
with open(host_ks, "w") as f:
    f.write(open("/proc/kallsyms").read())
for _ in range(runs):
    w, so = run_discover(["--btf", "/sys/kernel/btf/vmlinux", "--kallsyms", host_ks])
    ow.append(w)
res = {
    "host_kernel": platform.release(), "runs": runs,
    "functions": s["functions"], "probeable": s["probeable"], "btf_functions": s["btf_functions"],
    "btf_modules": s["btf_modules"], "kallsyms": s["kallsyms"],
    "nft_discover_scan_ms": stats(scans),
    "nft_discover_wall_ms": stats(walls),
    "nft_discover_offline_wall_ms": stats(ow),
    "read_proc_kallsyms_ms": stats(ks_read),
    "baseline": "bpftool btf dump file /sys/kernel/btf/vmlinux | grep -c FUNC",
    "baseline_funcs": nfuncs_bl,
    "baseline_wall_ms": stats(bl),
    "ratio_baseline_over_scan": round(statistics.median(bl) / statistics.median(scans), 2),
    "ratio_baseline_over_wall": round(statistics.median(bl) / statistics.median(walls), 2),
}
json.dump(res, open("bench/results/discover.json", "w"), indent=2)
print("nft-discover: %d skb functions of %d BTF functions, %d kallsyms symbols (%s, %d runs, median)"
      % (res["functions"], res["btf_functions"], res["kallsyms"], res["host_kernel"], runs))
print("  %-52s %9s %8s" % ("what", "ms", "ratio"))
print("  %-52s %9.1f %8s" % ("nft-discover scan (BTF + kallsyms + classify)", res["nft_discover_scan_ms"]["median"], "1.00"))
print("  %-52s %9.1f %8.2f" % ("nft-discover whole process (+ both JSON files)", res["nft_discover_wall_ms"]["median"],
                               res["nft_discover_wall_ms"]["median"] / res["nft_discover_scan_ms"]["median"]))
print("  %-52s %9.1f %8.2f" % ("nft-discover offline (--btf FILE --kallsyms FILE)", res["nft_discover_offline_wall_ms"]["median"],
                               res["nft_discover_offline_wall_ms"]["median"] / res["nft_discover_scan_ms"]["median"]))
print("  %-52s %9.1f %8.2f" % ("baseline: bpftool btf dump | grep FUNC (%d)" % nfuncs_bl, res["baseline_wall_ms"]["median"],
                               res["ratio_baseline_over_scan"]))
print("  %-52s %9.1f %8.2f" % ("(part of the scan: reading /proc/kallsyms alone)", res["read_proc_kallsyms_ms"]["median"],
                               res["read_proc_kallsyms_ms"]["median"] / res["nft_discover_scan_ms"]["median"]))
print("wrote bench/results/discover.json")
subprocess.run(["rm", "-rf", tmp])
PY
