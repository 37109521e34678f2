#!/bin/bash
# lib_badinput.sh - helpers of the badinput_*.sh tests (sourced; skipped by tests/run.sh).
# bi_expect NAME RC 'STDERR' CMD...   CMD (stdin /dev/null, stdout discarded) must exit
#                                     RC and print exactly the one line STDERR on stderr
# bi_as_nobody CMD...                 run CMD as nobody:nogroup without capabilities
# Counts failures in bi_fails.
bi_fails=0
BI_T=${BI_T:-$(mktemp -d /tmp/nt_badinput.XXXXXX)}

bi_pass() { echo "PASS: $1"; }
bi_fail() { echo "FAIL: $1: $2"; bi_fails=$((bi_fails + 1)); }

bi_expect() {
	local name=$1 want_rc=$2 want=$3 rc got
	shift 3
	"$@" </dev/null >"$BI_T/.out" 2>"$BI_T/.err"
	rc=$?
	got=$(cat "$BI_T/.err")
	if [ "$rc" != "$want_rc" ]; then
		bi_fail "$name" "exit code $rc, expected $want_rc (stderr: $got)"
	elif [ "$got" != "$want" ]; then
		bi_fail "$name" "stderr '$got', expected '$want'"
	else
		bi_pass "$name"
	fi
}

bi_as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-all -- "$@"
}
