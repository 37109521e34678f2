#!/bin/bash
# fuzz_regressions.sh - replay every fuzz reproducer (tests/fuzz/regressions/<target>/)
# and the committed corpora (tests/fuzz/corpus/<target>/) through the fuzz
# targets built without libFuzzer ($O/tests/fuzz/fuzz_<target>, tests/fuzz/replay_main.c).
# Under O=build-san (ASan + UBSan, tests/run.sh group san) any memory error,
# undefined behaviour or leak fails the test; in the plain build a crash does.
set -u
cd "$(dirname "$0")/../.."
O=${O:-build}
for src in tests/fuzz/fuzz_*.c; do
	t=$(basename "$src" .c); t=${t#fuzz_}
	bin=$O/tests/fuzz/fuzz_$t
	if [ ! -x "$bin" ]; then echo "FAIL: fuzz_regressions/$t: $bin not built (make unit)"; continue; fi
	nreg=$(find tests/fuzz/regressions/$t -type f ! -name '.*' 2>/dev/null | wc -l)
	dirs=()
	for d in tests/fuzz/regressions/$t tests/fuzz/corpus/$t; do [ -d "$d" ] && dirs+=("$d"); done
	out=$("$bin" "${dirs[@]}" 2>&1); rc=$?
	n=$(echo "$out" | sed -n 's/^replayed \([0-9]*\) inputs$/\1/p')
	if [ $rc = 0 ] && [ -n "$n" ] && [ "$n" -gt 0 ]; then
		echo "PASS: fuzz_regressions/$t: $n inputs ($nreg reproducers)"
	else
		echo "FAIL: fuzz_regressions/$t: exit $rc: $(echo "$out" | grep -m1 -E 'ERROR|runtime error|SUMMARY|replayed' )"
		echo "$out" | tail -n 20
	fi
done
