#!/bin/bash
# bench/analyze.sh - nft-analyze speed on a generated log of >= 50 M events.
# Generates the log with tests/tools/mklog from bench/analyze.scn (typical
# traffic: two interleaved packets on two CPUs, 24 function hits each), then
# measures `stats` and `journeys` (events/s, peak RSS) against the I/O floor
# `zstdcat` of the same zstd frames (the log's EVENTS payloads concatenated
# into one .zst), and writes bench/results/analyze.json.
#   BENCH_REPEAT=N  iterations of the scenario (51 records each; default 1000000 = 51 M records)
#   BENCH_QUICK=1   100000 iterations (5.1 M records) unless BENCH_REPEAT is set
#   BENCH_ANALYZE_BASE=BIN  also measure another nft-analyze build (e.g. main's)
#                   side by side, interleaved with this one: the "before" rows
#                   (two threads and one, as the new binary's)
# Targets (issue #23), as the floor's time over the command's (x floor, higher
# is better): stats >= 0.8, journeys text >= 0.5, journeys --ndjson >= 0.3;
# elapsed on a machine at load < 1, CPU time beside it (and the load).
# nft-analyze reads on a second thread (model/walkpipe.c): the "1 thread"
# rows (NT_WALK_THREADS=0) show what one core does.
set -u
cd "$(dirname "$0")/.."
O=${O:-build}
AN=$O/nft-analyze
MKLOG=$O/tests/tools/mklog
REPEAT=${BENCH_REPEAT:-1000000}
[ "${BENCH_QUICK:-0}" = 1 ] && REPEAT=${BENCH_REPEAT:-100000}
W=$(mktemp -d /tmp/nt-bench-analyze.XXXXXX)
trap 'rm -rf "$W"' EXIT
mkdir -p bench/results
[ -x "$AN" ] && [ -x "$MKLOG" ] || { echo "bench/analyze.sh: build first (make nft-analyze unit)" >&2; exit 1; }

t0=$(date +%s.%N)
"$MKLOG" -o "$W/bench.ntl" --repeat "$REPEAT" bench/analyze.scn || exit 1
t1=$(date +%s.%N)
# the zstd frames of the log, concatenated: what zstdcat must decompress
python3 bench/lib/ntl_frames.py "$W/bench.ntl" "$W/frames.zst" || exit 1

# one run of CMD... -> "elapsed_seconds max_rss_kb cpu_seconds"
run1() {
	/usr/bin/time -f "%e %M %U %S" -o "$W/time" "$@" > /dev/null 2> "$W/err"
	local rc=$?
	[ "$rc" = 0 ] || { echo "bench/analyze.sh: '$*' failed ($rc): $(head -3 "$W/err")" >&2; exit 1; }
	tail -1 "$W/time" | awk '{printf "%s %s %.2f", $1, $2, $3 + $4}'
}

# Every (label, command) of the list, 3 rounds interleaved (so that a change in
# the machine's load hits all alike); per label the fastest elapsed run and the
# least CPU time of its runs -> "$W/best.LABEL": "elapsed max_rss_kb cpu".
CASES=()
add_case() { CASES+=("$*"); }
measure_all() {
	local round c label s
	for round in 1 2 3; do
		for c in "${CASES[@]}"; do
			label=${c%% *}
			s=$(eval "run1 ${c#* }") || exit 1
			if [ ! -f "$W/best.$label" ]; then
				echo "$s" > "$W/best.$label"
			else
				read -r be br bc < "$W/best.$label"
				read -r e r cpu <<< "$s"
				awk -v a="$e" -v b="$be" 'BEGIN{exit !(a<b)}' && { be=$e; br=$r; }
				awk -v a="$cpu" -v b="$bc" 'BEGIN{exit !(a<b)}' && bc=$cpu
				echo "$be $br $bc" > "$W/best.$label"
			fi
		done
	done
}

events=$("$AN" stats --json "$W/bench.ntl" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["stats"]["totals"]["events"] + 0)')
records=$(python3 -c "print($REPEAT * 51 + 3)")
bytes=$(stat -c %s "$W/bench.ntl")
L="$W/bench.ntl"
add_case zstdcat_floor zstdcat "$W/frames.zst"
add_case stats '"$AN"' stats "$L"
add_case journeys_text '"$AN"' journeys "$L"
add_case journeys_ndjson '"$AN"' journeys --ndjson "$L"
add_case stats_1thread env NT_WALK_THREADS=0 '"$AN"' stats "$L"
add_case journeys_text_1thread env NT_WALK_THREADS=0 '"$AN"' journeys "$L"
add_case journeys_ndjson_1thread env NT_WALK_THREADS=0 '"$AN"' journeys --ndjson "$L"
BASE=${BENCH_ANALYZE_BASE:-}
if [ -n "$BASE" ]; then
	[ -x "$BASE" ] || { echo "bench/analyze.sh: BENCH_ANALYZE_BASE=$BASE is not an executable" >&2; exit 1; }
	add_case base_stats '"$BASE"' stats "$L"
	add_case base_journeys_text '"$BASE"' journeys "$L"
	add_case base_journeys_ndjson '"$BASE"' journeys --ndjson "$L"
	add_case base_stats_1thread env NT_WALK_THREADS=0 '"$BASE"' stats "$L"
	add_case base_journeys_text_1thread env NT_WALK_THREADS=0 '"$BASE"' journeys "$L"
	add_case base_journeys_ndjson_1thread env NT_WALK_THREADS=0 '"$BASE"' journeys --ndjson "$L"
fi
load0=$(cut -d' ' -f1-3 /proc/loadavg)
measure_all
load=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$W" "$records" "$events" "$bytes" "$t0" "$t1" "$load0" "$load" "$BASE" <<'PY'
import json, os, sys
(w, records, events, nbytes, t0, t1, load0, load, base) = sys.argv[1:]
records, events, nbytes = int(records), int(events), int(nbytes)
f = lambda x: max(float(x), 0.001)
def row(label):
    s, rss, c = open(os.path.join(w, "best." + label)).read().split()
    return {"seconds": f(s), "cpu_seconds": f(c), "events_per_s": round(records / f(s)),
            "events_per_cpu_s": round(records / f(c)), "peak_rss_kb": int(rss)}
targets = {"stats": 0.8, "journeys_text": 0.5, "journeys_ndjson": 0.3}
labels = ["zstdcat_floor"] + [k + sfx for sfx in ("", "_1thread") for k in targets]
if base:
    labels += ["base_" + k + sfx for sfx in ("", "_1thread") for k in targets]
res = {
    "scenario": "bench/analyze.scn",
    "records": records, "events_counted_by_stats": events,
    "log_bytes": nbytes, "bytes_per_record": round(nbytes / records, 3),
    "mklog_seconds": round(float(t1) - float(t0), 2),
    "load_average_1min": float(load.split()[0]),
    "load_average_start": load0, "load_average_end": load,
    "base_binary": base or None,
    "targets_x_floor": targets,
}
fl = None
for k in labels:
    res[k] = row(k)
fl = res["zstdcat_floor"]
for k in labels:
    r = res[k]
    r["x_floor"] = round(fl["seconds"] / r["seconds"], 3)
    r["x_floor_cpu"] = round(fl["cpu_seconds"] / r["cpu_seconds"], 3)
    t = targets.get(k.replace("base_", "").replace("_1thread", ""))
    if t and k in targets:
        r["target_x_floor"] = t
        r["met"] = r["x_floor"] >= t
res["stats_vs_zstdcat_time_ratio"] = round(res["stats"]["seconds"] / fl["seconds"], 2)
res["journeys_vs_zstdcat_time_ratio"] = round(res["journeys_text"]["seconds"] / fl["seconds"], 2)
json.dump(res, open("bench/results/analyze.json", "w"), indent=2)
print(f"log: {records} records, {nbytes} bytes = {res['bytes_per_record']} bytes/record")
print(f"{'what':<26}{'seconds':>9}{'cpu s':>8}{'Mev/s':>8}{'Mev/cpu-s':>11}{'peak RSS':>11}{'x floor':>9}{'(cpu)':>7}{'target':>8}")
for k in labels:
    r = res[k]
    tg = f">= {r['target_x_floor']}" if "target_x_floor" in r else ""
    print(f"{k:<26}{r['seconds']:>9.2f}{r['cpu_seconds']:>8.2f}{r['events_per_s']/1e6:>8.2f}{r['events_per_cpu_s']/1e6:>11.2f}"
          f"{r['peak_rss_kb']/1024:>9.1f}MB{r['x_floor']:>9.3f}{r['x_floor_cpu']:>7.3f}{tg:>8}")
print(f"(x floor = the floor's time / the command's: higher is better.  1/5/15-minute load "
      f"{load0} at the start, {load} at the end; elapsed includes waiting for a core)")
print("wrote bench/results/analyze.json")
PY
