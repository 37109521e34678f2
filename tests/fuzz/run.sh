#!/bin/bash
# tests/fuzz/run.sh - build the libFuzzer targets (clang-14, ASan + UBSan, see
# fuzz.mk) and run each for FUZZ_SECONDS (default 60).
#   FUZZ_SECONDS=600 tests/fuzz/run.sh            every target, 10 min each
#   FUZZ_TARGETS="logr model" tests/fuzz/run.sh   a subset
#   FO=build-fuzz                                  build / work directory
# Corpus: the committed seeds tests/fuzz/corpus/<target>/ (kept small), the
# generated seeds (mkseeds.c) and the regressions tests/fuzz/regressions/<target>/
# are read; new inputs go to $FO/corpus/<target>/ (not committed).  A crash,
# leak, timeout or out-of-memory leaves its reproducer in $FO/artifacts/<target>/:
# copy it to tests/fuzz/regressions/<target>/ once fixed (replayed by
# tests/golden/fuzz_regressions.sh).  Prints PASS/FAIL lines (tests/run.sh protocol).
set -u
cd "$(dirname "$0")/../.."
FO=${FO:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
ALL="logr model kallsyms trace_config btf analyze pcapf"
TARGETS=${FUZZ_TARGETS:-$ALL}
NICE=${FUZZ_NICE:-10}

if ! command -v clang-14 >/dev/null; then
	echo "SKIP: fuzz: clang-14 not installed (scripts/deps.sh installs it)"
	exit 0
fi
mkdir -p "$FO"
if ! make -s -f tests/fuzz/fuzz.mk FO="$FO" -j2 $(for t in $TARGETS; do echo "$FO/fuzz_$t"; done) \
	"$FO/mkseeds" >"$FO/build.log" 2>&1; then
	cat "$FO/build.log" >&2
	echo "FAIL: fuzz: build failed"
	exit 1
fi
rm -rf "$FO/seeds"
"$FO/mkseeds" "$FO/seeds" || { echo "FAIL: fuzz: seed generation failed"; exit 1; }

rc=0
for t in $TARGETS; do
	work=$FO/corpus/$t; art=$FO/artifacts/$t
	mkdir -p "$work" "$art" "$FO/seeds/$t"
	dirs=("$work" "$FO/seeds/$t")
	for d in tests/fuzz/corpus/$t tests/fuzz/regressions/$t; do
		[ -d "$d" ] && dirs+=("$d")
	done
	dict=()
	case $t in model|trace_config) dict=(-dict=tests/fuzz/json.dict) ;; pcapf) dict=(-dict=tests/fuzz/pcapf.dict) ;; esac
	log=$FO/fuzz_$t.log
	echo "fuzz_$t: ${FUZZ_SECONDS}s, log $log" >&2
	# -rss_limit_mb: the reader may hold a 64 MiB block (+ its decompressed copy)
	nice -n "$NICE" "$FO/fuzz_$t" -max_total_time="$FUZZ_SECONDS" -timeout=30 \
		-rss_limit_mb=1024 -max_len=65536 -print_final_stats=1 \
		-artifact_prefix="$art/" "${dict[@]}" "${dirs[@]}" >"$log" 2>&1
	r=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1)
	if [ $r = 0 ]; then
		echo "PASS: fuzz_$t: ${execs:-?} executions in ${FUZZ_SECONDS}s, ${cov:-cov ?}"
	else
		echo "FAIL: fuzz_$t: exit $r after ${execs:-?} executions: $(grep -m1 -E 'ERROR|SUMMARY' "$log")" \
			"(reproducer in $art/)"
		rc=1
	fi
done
exit $rc
