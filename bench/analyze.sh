#!/bin/bash
# bench/analyze.sh - nft-analyze speed on a generated log of >= 50 M events.
# Generates the log with tests/tools/mklog from bench/analyze.scn (typical
# traffic: two interleaved packets on two CPUs, 24 function hits each), then
# measures `stats` and `journeys` (events/s, peak RSS) against the I/O floor
# `zstdcat` of the same zstd frames (the log's EVENTS payloads concatenated
# into one .zst), and writes bench/results/analyze.json.
#   BENCH_REPEAT=N  iterations of the scenario (51 records each; default 1000000 = 51 M records)
#   BENCH_QUICK=1   100000 iterations (5.1 M records) unless BENCH_REPEAT is set
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
python3 - "$W/bench.ntl" "$W/frames.zst" <<'PY' || exit 1
import struct, sys
src, dst = sys.argv[1], sys.argv[2]
with open(src, 'rb') as f, open(dst, 'wb') as o:
    f.read(16)
    while True:
        h = f.read(16)
        if len(h) < 16:
            break
        magic, typ, flags, stored, raw = struct.unpack('<IHHII', h)
        data = f.read(stored)
        if typ == 16:
            o.write(data)
PY

# measure CMD... -> prints "elapsed_seconds max_rss_kb cpu_seconds" of the fastest of 3 runs
measure() {
	local best=""
	for i in 1 2 3; do
		/usr/bin/time -f "%e %M %U %S" -o "$W/time" "$@" > /dev/null 2> "$W/err"
		local rc=$?
		[ "$rc" = 0 ] || { echo "bench/analyze.sh: '$*' failed ($rc): $(head -3 "$W/err")" >&2; exit 1; }
		local s
		s=$(tail -1 "$W/time" | awk '{printf "%s %s %.2f", $1, $2, $3 + $4}')
		if [ -z "$best" ] || awk -v a="${s%% *}" -v b="${best%% *}" 'BEGIN{exit !(a<b)}'; then best=$s; fi
	done
	echo "$best"
}

events=$("$AN" stats --json "$W/bench.ntl" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["stats"]["totals"]["events"] + 0)')
records=$(python3 -c "print($REPEAT * 51 + 3)")
bytes=$(stat -c %s "$W/bench.ntl")
read -r st_s st_rss st_c <<< "$(measure "$AN" stats "$W/bench.ntl")"
read -r jo_s jo_rss jo_c <<< "$(measure "$AN" journeys "$W/bench.ntl")"
read -r jj_s jj_rss jj_c <<< "$(measure "$AN" journeys --ndjson "$W/bench.ntl")"
read -r zc_s zc_rss zc_c <<< "$(measure zstdcat "$W/frames.zst")"
load=$(cut -d' ' -f1 /proc/loadavg)

python3 - "$records" "$events" "$bytes" "$st_s" "$st_rss" "$st_c" "$jo_s" "$jo_rss" "$jo_c" "$jj_s" "$jj_rss" "$jj_c" "$zc_s" "$zc_rss" "$zc_c" "$t0" "$t1" "$load" <<'PY'
import json, sys
(records, events, nbytes, st_s, st_rss, st_c, jo_s, jo_rss, jo_c, jj_s, jj_rss, jj_c, zc_s, zc_rss, zc_c, t0, t1, load) = sys.argv[1:]
records, events, nbytes = int(records), int(events), int(nbytes)
f = lambda x: max(float(x), 0.001)
def row(s, rss, c):
    return {"seconds": f(s), "cpu_seconds": f(c), "events_per_s": round(records / f(s)),
            "events_per_cpu_s": round(records / f(c)), "peak_rss_kb": int(rss)}
res = {
    "scenario": "bench/analyze.scn",
    "records": records, "events_counted_by_stats": events,
    "log_bytes": nbytes, "bytes_per_record": round(nbytes / records, 3),
    "mklog_seconds": round(float(t1) - float(t0), 2),
    "load_average_1min": float(load),
    "stats": row(st_s, st_rss, st_c),
    "journeys_text": row(jo_s, jo_rss, jo_c),
    "journeys_ndjson": row(jj_s, jj_rss, jj_c),
    "zstdcat_floor": row(zc_s, zc_rss, zc_c),
    "target_stats_events_per_s": 5000000,
}
res["stats_vs_zstdcat_time_ratio"] = round(f(st_s) / f(zc_s), 2)
res["journeys_vs_zstdcat_time_ratio"] = round(f(jo_s) / f(zc_s), 2)
res["stats_meets_target"] = res["stats"]["events_per_s"] >= 5000000
json.dump(res, open("bench/results/analyze.json", "w"), indent=2)
print(f"log: {records} records, {nbytes} bytes = {res['bytes_per_record']} bytes/record")
print(f"{'what':<18}{'seconds':>9}{'Mevents/s':>11}{'cpu s':>8}{'Mev/cpu-s':>11}{'peak RSS':>11}{'x zstdcat':>11}")
for k in ("zstdcat_floor", "stats", "journeys_text", "journeys_ndjson"):
    r = res[k]
    print(f"{k:<18}{r['seconds']:>9.2f}{r['events_per_s']/1e6:>11.2f}{r['cpu_seconds']:>8.2f}{r['events_per_cpu_s']/1e6:>11.2f}{r['peak_rss_kb']/1024:>9.1f}MB{r['seconds']/res['zstdcat_floor']['seconds']:>11.2f}")
print(f"(1-minute load average at the end: {load}; elapsed times include waiting for a core)")
print("stats target >= 5 M events/s:", "met" if res["stats_meets_target"] else "NOT met")
print("wrote bench/results/analyze.json")
PY
