#!/bin/bash
# tests/run.sh - run every test group and print "N passed, N failed".
# Protocol: every test program prints lines "PASS: name", "FAIL: name: why" or
# "SKIP: name: why" on stdout; a program that exits non-zero without printing a
# FAIL line counts as one failure.  Groups: unit, golden, e2e, vm.
#   NT_TESTS="unit golden"   run only these groups
#   O=build                  build directory
set -u
cd "$(dirname "$0")/.."
export O=${O:-build}
export NT_TOP=$PWD
GROUPS_TO_RUN=${NT_TESTS:-"unit golden e2e vm"}
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

for g in $GROUPS_TO_RUN; do
	case $g in
	unit)
		for t in "$O"/tests/test_*; do
			[ -x "$t" ] && run_one "unit/$(basename "$t")" "$t"
		done ;;
	golden|e2e|vm)
		for t in tests/$g/*.sh; do
			[ -f "$t" ] || continue
			case $(basename "$t") in lib*.sh) continue ;; esac
			run_one "$g/$(basename "$t" .sh)" bash "$t"
		done ;;
	*) echo "unknown test group $g" >&2; fail=$((fail + 1)) ;;
	esac
done
echo
if [ "$skip" != 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" = 0 ]
