#!/bin/bash
# bench/run.sh - run every bench/*.sh (except run.sh) and merge their results.
# Each bench script prints a table of ratios against a named baseline and
# writes bench/results/<name>.json; this script merges them into bench/results.json.
set -u
cd "$(dirname "$0")/.."
export O=${O:-build}
mkdir -p bench/results
rc=0
for b in bench/*.sh; do
	[ "$(basename "$b")" = run.sh ] && continue
	echo "=== $(basename "$b" .sh) ==="
	bash "$b" || rc=1
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
