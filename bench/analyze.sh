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
# The floor of the old and the new format side by side: the same log
# re-encoded by tests/tools/ntl_edit in EVENTS coding 1 (format 2.0, what
# issue #23 was filed against) and coding 2 (format 2.1); per coding the
# floor and the three commands on one thread.  The budget a record (the
# measured reason when a target is missed), per coding, by
# tests/tools/ntl_readbench: our reader's zstd decompression alone, the whole
# reader (+ decoding), the reader + the per-packet grouping `stats` needs;
# and the bytes a record that journeys text / NDJSON write (saved from a log
# of a tenth of the iterations) with what `cat` of them to /dev/null costs.
# A baseline that fails or measures 0 fails the bench.
set -u
cd "$(dirname "$0")/.."
O=${O:-build}
AN=$O/nft-analyze
MKLOG=$O/tests/tools/mklog
EDIT=$O/tests/tools/ntl_edit
RB=$O/tests/tools/ntl_readbench
REPEAT=${BENCH_REPEAT:-1000000}
[ "${BENCH_QUICK:-0}" = 1 ] && REPEAT=${BENCH_REPEAT:-100000}
W=$(mktemp -d /tmp/nt-bench-analyze.XXXXXX)
trap '[ -n "${BENCH_KEEP:-}" ] && cp -r "$W" "$BENCH_KEEP"; rm -rf "$W"' EXIT
mkdir -p bench/results
command -v zstdcat >/dev/null || { echo "bench/analyze.sh: zstdcat (package zstd) not installed: no floor to compare with" >&2; exit 1; }
[ -x "$AN" ] && [ -x "$MKLOG" ] && [ -x "$EDIT" ] && [ -x "$RB" ] || { echo "bench/analyze.sh: build first (make nft-analyze unit)" >&2; exit 1; }

t0=$(date +%s.%N)
"$MKLOG" -o "$W/bench.ntl" --repeat "$REPEAT" bench/analyze.scn || exit 1
t1=$(date +%s.%N)
# the same records in the older codings (the writer's blocks, as mklog's)
for c in 1 2; do
	"$EDIT" "$W/bench.ntl" -o "$W/bench.c$c.ntl" --coding "$c" > /dev/null ||
		{ echo "bench/analyze.sh: ntl_edit --coding $c failed" >&2; exit 1; }
done
ln -s bench.ntl "$W/bench.c3.ntl"
# the zstd frames of each log, concatenated: what zstdcat must decompress
for c in 1 2 3; do
	python3 bench/lib/ntl_frames.py "$W/bench.c$c.ntl" "$W/frames.c$c.zst" || exit 1
done

# one run of CMD... -> "elapsed_seconds max_rss_kb cpu_seconds"
run1() {
	/usr/bin/time -f "%e %M %U %S" -o "$W/time" "$@" > /dev/null 2> "$W/err"
	local rc=$?
	[ "$rc" = 0 ] || { echo "bench/analyze.sh: '$*' failed ($rc): $(head -3 "$W/err")" >&2; exit 1; }
	tail -1 "$W/time" | awk '{printf "%s %s %.3f", $1, $2, $3 + $4}'
}
# the floor: zstdcat of FRAMES run K times in a row (K: >= 200 MB of frames a
# run, /usr/bin/time counts in 10 ms), its time divided by K
floor1() {
	local k=$(( 200000000 / ($(stat -c %s "$1") + 1) ))
	[ "$k" -ge 1 ] || k=1
	/usr/bin/time -f "%e %M %U %S" -o "$W/time" sh -c 'k=$2; while [ "$k" -gt 0 ]; do zstdcat "$1" || exit 1; k=$((k - 1)); done' sh "$1" "$k" > /dev/null 2> "$W/err" ||
		{ echo "bench/analyze.sh: zstdcat $1 failed: $(head -3 "$W/err")" >&2; exit 1; }
	tail -1 "$W/time" | awk -v k="$k" '{printf "%.4f %s %.4f", $1 / k, $2, ($3 + $4) / k}'
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
			s=$(eval "${c#* }") || exit 1
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
add_cmds() { # PREFIX SUFFIX BIN LOG [ENV...]: stats, journeys text and NDJSON
	local p=$1 x=$2 b=$3 l=$4
	shift 4
	add_case "${p}stats$x" run1 "$@" "$b" stats "$l"
	add_case "${p}journeys_text$x" run1 "$@" "$b" journeys "$l"
	add_case "${p}journeys_ndjson$x" run1 "$@" "$b" journeys --ndjson "$l"
}
add_case zstdcat_floor floor1 "$W/frames.c3.zst"
add_cmds "" "" '"$AN"' "$L"
add_cmds "" _1thread '"$AN"' "$L" env NT_WALK_THREADS=0
for c in 1 2; do
	add_case zstdcat_floor_c$c floor1 "$W/frames.c$c.zst"
	add_cmds "" _1thread_c$c '"$AN"' "$W/bench.c$c.ntl" env NT_WALK_THREADS=0
done
BASE=${BENCH_ANALYZE_BASE:-}
if [ -n "$BASE" ]; then
	[ -x "$BASE" ] || { echo "bench/analyze.sh: BENCH_ANALYZE_BASE=$BASE is not an executable" >&2; exit 1; }
	add_cmds base_ "" '"$BASE"' "$L"
	add_cmds base_ _1thread '"$BASE"' "$L" env NT_WALK_THREADS=0
fi
load0=$(cut -d' ' -f1-3 /proc/loadavg)
measure_all

# The budget a record, per coding (least CPU a pass of 3 rounds, one process)
for c in 1 2 3; do
	for m in zstd read group; do
		"$RB" -r 3 -m "$m" "$W/bench.c$c.ntl" > "$W/out" ||
			{ echo "bench/analyze.sh: ntl_readbench -m $m coding $c failed" >&2; exit 1; }
		echo "$c $m $(cat "$W/out")" >> "$W/budget"
	done
done
# The output a record: journeys text / NDJSON of a tenth of the iterations
# saved, their bytes and the least CPU of 3 measures of moving them once
# (dd of the file, in page cache, to /dev/null: one copy out of the kernel;
# run K times for >= 1 GB a measure)
R10=$(( REPEAT / 10 > 1000 ? REPEAT / 10 : 1000 ))
"$MKLOG" -o "$W/small.ntl" --repeat "$R10" bench/analyze.scn || exit 1
for o in text ndjson; do
	f=; [ "$o" = ndjson ] && f=--ndjson
	"$AN" journeys $f "$W/small.ntl" > "$W/small.$o" || { echo "bench/analyze.sh: journeys $f of the small log failed" >&2; exit 1; }
	k=$(( 1000000000 / ($(stat -c %s "$W/small.$o") + 1) ))
	[ "$k" -ge 1 ] || k=1
	best=
	for i in 1 2 3; do
		s=$(run1 sh -c 'k=$2; while [ "$k" -gt 0 ]; do dd if="$1" of=/dev/null bs=128K status=none || exit 1; k=$((k - 1)); done' sh "$W/small.$o" "$k") || exit 1
		c=$(awk -v c="${s##* }" -v k="$k" 'BEGIN{printf "%.5f", c / k}')
		[ -z "$best" ] || awk -v a="$c" -v b="$best" 'BEGIN{exit !(a<b)}' && best=$c
	done
	awk -v b="$best" 'BEGIN{exit !(b > 0)}' || { echo "bench/analyze.sh: moving the $o output measured 0 s of CPU" >&2; exit 1; }
	echo "$o $(( R10 * 51 + 2 )) $(stat -c %s "$W/small.$o") $best" >> "$W/output"
	rm -f "$W/small.$o"
done
load=$(cut -d' ' -f1-3 /proc/loadavg)

python3 bench/lib/analyze_report.py "$W" "$records" "$events" "$bytes" "$t0" "$t1" "$load0" "$load" "$BASE" \
	"$(stat -c %s "$W/bench.c1.ntl")" "$(stat -c %s "$W/bench.c2.ntl")"
