#!/bin/bash
# tests/run.sh - run every test group and print "N passed, N failed".
# Protocol: every test program prints lines "PASS: name", "FAIL: name: why" or
# "SKIP: name: why" on stdout; a program that exits non-zero without printing a
# FAIL line counts as one failure.  Groups: unit, golden, e2e, vm, san (unit +
# golden + analyzer/discover e2e again on a make SAN=1 build in build-san/),
# fuzz (libFuzzer smoke, NT_FUZZ_SECONDS per target).
#   NT_TESTS="unit golden"   run only these groups
#   O=build                  build directory
set -u
cd "$(dirname "$0")/.."
export O=${O:-build}
export NT_TOP=$PWD
GROUPS_TO_RUN=${NT_TESTS:-"unit golden e2e vm san"}
pass=0; fail=0; skip=0
LOGDIR=$O/test-logs
mkdir -p "$LOGDIR"

run_one() { # NAME CMD...
	local name=$1; shift
	local log="$LOGDIR/$(echo "$name" | tr '/ ' '__').log"
	local t0=$(date +%s.%N)
	"$@" > "$log" 2>&1
	local rc=$?
	local p f s
	p=$(grep -c '^PASS: ' "$log"); f=$(grep -c '^FAIL: ' "$log"); s=$(grep -c '^SKIP: ' "$log")
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "FAIL: $name: exit code $rc" >> "$log"; f=1
	fi
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
	local dt=$(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t0}")
	if [ "$f" != 0 ]; then
		echo "[$name] $p passed, $f failed, $s skipped (${dt}s) -- log: $log"
		grep -E '^(FAIL|SKIP): ' "$log" | sed 's/^/    /'
		tail -n 15 "$log" | grep -vE '^(PASS|FAIL|SKIP): ' | sed 's/^/    | /'
	else
		echo "[$name] $p passed, $s skipped (${dt}s)"
		grep -E '^SKIP: ' "$log" | sed 's/^/    /'
	fi
}

run_group() { # GROUP [NAME-PREFIX]
	local g=$1 pfx=${2:-}
	case $g in
	unit)
		for t in "$O"/tests/test_*; do
			[ -x "$t" ] && run_one "${pfx}unit/$(basename "$t")" "$t"
		done ;;
	golden|e2e|vm)
		for t in tests/$g/*.sh; do
			[ -f "$t" ] || continue
			case $(basename "$t") in lib*.sh) continue ;; esac
			if [ -n "$pfx" ] && [ "$g" = e2e ]; then
				# under sanitizers: analyzer / discover tests only (the recorder's
				# BPF and netns scenarios run in the plain build)
				case $(basename "$t") in
				discover_*|analyze_*|badinput_discover*|badinput_analyze*) ;;
				*) continue ;;
				esac
			fi
			run_one "$pfx$g/$(basename "$t" .sh)" bash "$t"
		done ;;
	san)
		# ASan + UBSan + LeakSanitizer build (make SAN=1, into build-san/); the
		# unit, golden and analyzer/discover e2e tests again under it: any
		# sanitizer report aborts the program, which fails the test.
		local t0=$(date +%s)
		[ "$O" = build-san ] && return # make SAN=1 test: everything already sanitized
		if ! make -s SAN=1 O=build-san -j2 nft-discover nft-analyze unit >"$LOGDIR/san-build.log" 2>&1; then
			echo "FAIL: san/build: make SAN=1 failed (log: $LOGDIR/san-build.log)"
			tail -n 20 "$LOGDIR/san-build.log" | sed 's/^/    | /'
			fail=$((fail + 1))
			return
		fi
		echo "[san/build] make SAN=1 ($(( $(date +%s) - t0 ))s)"
		local saved_o=$O
		export O=build-san
		export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1
		export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
		export LSAN_OPTIONS=${LSAN_OPTIONS:-}
		# hostile logs under the sanitizers: the content and arithmetic classes
		# (every string field, wraps, kallsyms / config texts); the scale
		# classes (millions of packets: time / memory bounds) run on the plain
		# build in e2e (8 min under ASan for all; NT_HOSTILE_ONLY= for all here)
		local saved_only=${NT_HOSTILE_ONLY-unset}
		export NT_HOSTILE_ONLY=${NT_HOSTILE_ONLY-"names tswrap durwrap losswrap kallsyms config"}
		# the truncated-log walk: every 5th byte offset under ASan (odd offsets
		# too; 100 s for every 2nd), every 2nd on the plain build (golden)
		local saved_step=${NT_TRUNC_STEP-unset}
		export NT_TRUNC_STEP=${NT_TRUNC_STEP-5}
		for sg in unit golden e2e; do run_group $sg san/; done
		if [ "$saved_only" = unset ]; then unset NT_HOSTILE_ONLY; else export NT_HOSTILE_ONLY=$saved_only; fi
		if [ "$saved_step" = unset ]; then unset NT_TRUNC_STEP; else export NT_TRUNC_STEP=$saved_step; fi
		export O=$saved_o
		unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS ;;
	fuzz)
		# libFuzzer smoke (clang-14): every target NT_FUZZ_SECONDS (default 10)
		# from the committed corpora; reproducers are replayed in golden anyway
		run_one "fuzz/smoke" env FUZZ_SECONDS="${NT_FUZZ_SECONDS:-10}" tests/fuzz/run.sh ;;
	*) echo "unknown test group $g" >&2; fail=$((fail + 1)) ;;
	esac
}

for g in $GROUPS_TO_RUN; do
	run_group "$g"
done
echo
if [ "$skip" != 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" = 0 ]
