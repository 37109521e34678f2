#!/bin/bash
# bench/soak.sh - the long soaks (make test runs soak_keep_rotate for 90 s only):
#   tests/e2e/soak_record.sh       SOAK_SECONDS=BENCH_SOAK_S (default 600; BENCH_QUICK=1: 60):
#                                  full recording of ping + TCP, RSS growth after warm-up
#   tests/e2e/soak_keep_rotate.sh  NT_SOAK_S=BENCH_SOAK_S (BENCH_QUICK=1: 90): --keep drop
#                                  --rotate --max-files 3 beside a full recording (issue #19)
# Rows: each soak's checks passed / run, RSS growth of the full recorder after the
# warm-up against its bound.  Needs root; hold the e2e lock (tests/e2e).
set -u
cd "$(dirname "$0")/.."
export O=${O:-build}
S=${BENCH_SOAK_S:-600}
[ "${BENCH_QUICK:-0}" = 1 ] && S=${BENCH_SOAK_S:-60}
mkdir -p bench/results
W=$(mktemp -d /tmp/nt-bench-soak.XXXXXX)
trap 'rm -rf "$W"' EXIT
SOAK_KEEP=$W SOAK_SECONDS=$S bash tests/e2e/soak_record.sh > "$W/record.out" 2>&1
NT_SOAK_S=$((S < 90 ? 90 : S)) bash tests/e2e/soak_keep_rotate.sh > "$W/keep.out" 2>&1
cat "$W/record.out" "$W/keep.out"
python3 - "$W" "$S" "$(cat /proc/loadavg)" <<'PY' | python3 bench/lib/bench.py emit soak
import json, re, sys
w, s, load = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows, runs = [], {}
for name, secs in (("record", s), ("keep", max(s, 90))):
    out = open(f"{w}/{name}.out", errors="replace").read()
    p, f = len(re.findall(r"^PASS: ", out, re.M)), len(re.findall(r"^FAIL: ", out, re.M))
    runs[name] = {"seconds": secs, "passed": p, "failed": f, "fails": re.findall(r"^FAIL: .*", out, re.M)}
    rows.append({"name": f"soak_{name} {secs} s: checks passed", "value": p, "unit": "",
                 "baseline": "checks run", "baseline_value": p + f, "target": "all", "met": f == 0 and p > 0})
m = re.search(r"growth after warm-up (\d+) KiB \(bound (\d+)\)", open(f"{w}/record.out").read())
if m:
    rows.append({"name": f"soak_record {s} s: RSS growth after warm-up", "value": int(m.group(1)), "unit": "KiB",
                 "baseline": "bound", "baseline_value": int(m.group(2)), "baseline_unit": "KiB",
                 "target": "<= 4096 KiB", "met": int(m.group(1)) <= int(m.group(2))})
print(json.dumps({"table": rows, "runs": runs, "load": load}))
PY
