#!/bin/bash
# bench/reader.sh - the log reader alone (formats/logr.c, ntl_reader_next()):
# CPU ns a record, no analysis, against the zstdcat floor of the same zstd
# frames (issue #23: the reader is what every nft-analyze command pays first).
# The driver is tests/tools/ntl_readbench (least CPU time of its rounds and a
# checksum of every item returned).
#   BENCH_REPEAT=N        iterations of bench/analyze.scn (51 records each;
#                         default 200000 = 10.2 M records, BENCH_QUICK=1: 20000)
#   BENCH_READER_BASE=REV also build the reader of git revision REV (e.g. main,
#                         with this tree's driver) and measure it side by side,
#                         rounds interleaved: the "before" column; both must
#                         return the same items (checksums), else the bench fails
#   BENCH_READER_LOGS="A.ntl B.ntl"  more logs (e.g. real recordings), same table
set -u
cd "$(dirname "$0")/.."
O=${O:-build}
RB=$O/tests/tools/ntl_readbench
MKLOG=$O/tests/tools/mklog
REPEAT=${BENCH_REPEAT:-200000}
[ "${BENCH_QUICK:-0}" = 1 ] && REPEAT=${BENCH_REPEAT:-20000}
[ -x "$RB" ] && [ -x "$MKLOG" ] || { echo "bench/reader.sh: build first (make unit)" >&2; exit 1; }
command -v zstdcat >/dev/null || { echo "bench/reader.sh: zstdcat (package zstd) not installed: no floor to compare with" >&2; exit 1; }
W=$(mktemp -d /tmp/nt-bench-reader.XXXXXX)
trap 'rm -rf "$W"' EXIT

"$MKLOG" -o "$W/generated.ntl" --repeat "$REPEAT" bench/analyze.scn || exit 1
LOGS=("$W/generated.ntl")
for l in ${BENCH_READER_LOGS:-}; do
	[ -r "$l" ] || { echo "bench/reader.sh: BENCH_READER_LOGS: cannot read $l" >&2; exit 1; }
	LOGS+=("$l")
done

BASE=${BENCH_READER_BASE:-}
BASEBIN=
if [ -n "$BASE" ]; then
	mkdir -p "$W/base"
	git archive "$BASE" | tar -x -C "$W/base" || { echo "bench/reader.sh: git archive $BASE failed" >&2; exit 1; }
	cp tests/tools/ntl_readbench.c "$W/base/tests/tools/"
	make -s -C "$W/base" -j2 O=build build/tests/tools/ntl_readbench > "$W/base.log" 2>&1 ||
		{ echo "bench/reader.sh: building the reader of $BASE failed:" >&2; tail -5 "$W/base.log" >&2; exit 1; }
	BASEBIN=$W/base/build/tests/tools/ntl_readbench
fi

# CPU seconds of one zstdcat of FILE: the least of 3 measures of K runs each,
# K such that a measure reads >= 200 MB of frames (/usr/bin/time counts in 10 ms)
floor_cpu() {
	local best=999999 i c k
	k=$(( 200000000 / ($(stat -c %s "$1") + 1) ))
	[ "$k" -ge 5 ] || k=5
	for i in 1 2 3; do
		/usr/bin/time -f "%U %S" -o "$W/time" sh -c 'k=$2; while [ "$k" -gt 0 ]; do zstdcat "$1" > /dev/null || exit 1; k=$((k - 1)); done' sh "$1" "$k" || exit 1
		c=$(awk -v k="$k" '{print ($1 + $2) / k}' "$W/time")
		best=$(awk -v a="$c" -v b="$best" 'BEGIN{print (a < b) ? a : b}')
	done
	awk -v b="$best" 'BEGIN{exit !(b > 0)}' || { echo "bench/reader.sh: zstdcat of $1 measured 0 s of CPU: no floor" >&2; exit 1; }
	echo "$best"
}

load0=$(cut -d' ' -f1-3 /proc/loadavg)
: > "$W/runs"
for round in 1 2 3; do
	for bin in "$RB" $BASEBIN; do
		tag=new
		[ "$bin" = "$RB" ] || tag=base
		# one process a log: what one log costs does not depend on
		# the heap an earlier, larger one left behind
		for l in "${LOGS[@]}"; do
			"$bin" -r 3 "$l" > "$W/out" || { echo "bench/reader.sh: $bin $l failed" >&2; exit 1; }
			sed "s/^/$tag /" "$W/out" >> "$W/runs"
		done
	done
done
for i in "${!LOGS[@]}"; do
	python3 bench/lib/ntl_frames.py "${LOGS[$i]}" "$W/frames.$i.zst" || exit 1
	echo "${LOGS[$i]} $(floor_cpu "$W/frames.$i.zst") $(stat -c %s "${LOGS[$i]}")" >> "$W/floors"
done
load=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$W" "$load0" "$load" "$BASE" <<'PY' | python3 bench/lib/bench.py emit reader
import json, os, sys
w, load0, load, base = sys.argv[1:]
runs = {}
for line in open(os.path.join(w, "runs")):
    tag, path, *kv = line.split()
    d = dict(x.split("=", 1) for x in kv)
    r = runs.setdefault((tag, path), {"ns": [], "sum": set(), "records": int(d["records"])})
    r["ns"].append(float(d["ns_per_record"]))
    r["sum"].add(d["sum"])
floors = {}
for line in open(os.path.join(w, "floors")):
    path, cpu, size = line.split()
    floors[path] = (float(cpu), int(size))
table, logs, notes = [], {}, []
for path, (fcpu, size) in floors.items():
    name = "generated" if path.endswith("/generated.ntl") else os.path.basename(path)
    new = runs[("new", path)]
    floor_ns = fcpu * 1e9 / new["records"]
    e = {"records": new["records"], "bytes": size, "new_ns_per_record": min(new["ns"]),
         "new_ns_all_rounds": new["ns"], "zstdcat_floor_ns_per_record": round(floor_ns, 2)}
    table.append({"name": "reader %s ns/record (CPU)" % name, "value": min(new["ns"]), "unit": "ns",
                  "baseline": "zstdcat same frames", "baseline_value": round(floor_ns, 2),
                  "ratio": round(floor_ns / min(new["ns"]), 3)})
    if ("base", path) in runs:
        b = runs[("base", path)]
        if b["sum"] != new["sum"]:
            sys.exit("bench/reader.sh: %s: the reader of %s returned other items (checksums %s vs %s)"
                     % (name, base, sorted(b["sum"]), sorted(new["sum"])))
        e.update({"base_ns_per_record": min(b["ns"]), "base_ns_all_rounds": b["ns"]})
        table.append({"name": "reader %s ns/record, %s (before)" % (name, base), "value": min(b["ns"]),
                      "unit": "ns", "baseline": "this tree's reader", "baseline_value": min(new["ns"]),
                      "ratio": round(min(b["ns"]) / min(new["ns"]), 3)})
    logs[name] = e
notes.append("ns a record: least CPU time a pass of 3 rounds x 3 passes (one process a log); zstdcat "
             "floor: least CPU of 3 measures of runs reading >= 200 MB of the EVENTS frames alone (no metadata blocks; a run includes zstdcat's start, ~1 ms, which weighs on small logs); ratio of a reader row = floor / reader "
             "(1 = as fast as the floor)")
notes.append("load average %s at the start, %s at the end" % (load0, load))
json.dump({"logs": logs, "base_revision": base or None, "load_average_start": load0,
           "load_average_end": load, "table": table, "notes": notes}, sys.stdout)
PY
