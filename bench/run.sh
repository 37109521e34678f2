#!/bin/bash
# bench/run.sh - run every bench/*.sh (except run.sh) and merge their results.
# Each bench script prints a table of ratios against a named baseline and
# writes bench/results/<name>.json; this script merges them into bench/results.json.
# attach.sh runs in its quick mode (100 functions) unless BENCH_ATTACH_FULL=1.
set -u
cd "$(dirname "$0")/.."
export O=${O:-build}
mkdir -p bench/results
rc=0
for b in bench/*.sh; do
	[ "$(basename "$b")" = run.sh ] && continue
	echo "=== $(basename "$b" .sh) ==="
	if [ "$(basename "$b")" = attach.sh ] && [ "${BENCH_ATTACH_FULL:-0}" != 1 ]; then
		# 100 functions per backend and kernel (~3 min a kernel); the full
		# 100 / 1,000 / all run takes ~20 min a kernel: BENCH_ATTACH_FULL=1
		BENCH_QUICK=1 bash "$b" || rc=1
	else
		bash "$b" || rc=1
	fi
	echo
done
python3 - <<'PY'
import json, glob, os
out = {}
for f in sorted(glob.glob("bench/results/*.json")):
    try:
        out[os.path.basename(f)[:-5]] = json.load(open(f))
    except Exception as e:
        out[os.path.basename(f)[:-5]] = {"error": str(e)}
json.dump(out, open("bench/results.json", "w"), indent=2)
print("wrote bench/results.json")
PY
echo
python3 bench/lib/bench.py summary
exit $rc
