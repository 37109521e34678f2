#!/bin/bash
# safety_exit_paths.sh - nft-record leaves nothing behind on any exit path:
# normal end (--duration), SIGINT, SIGTERM, SIGKILL, runtime error (disk full)
# and a usage error after the first namespace was set up.  "Nothing" = no
# table inet nft_record_<pid> in the host or any namespace, none of the BPF
# programs / links the process held (ids seen with bpftool while it ran).
# The log of every path is readable by nft-analyze (complete unless SIGKILL /
# disk full: then every block before the cut).
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib_safety.sh
sf_init safety_exit_paths
sf_ns_pair || { echo "FAIL: safety_exit_paths: cannot create namespaces"; exit 1; }
fails=0
pass() { echo "PASS: safety_$1"; }
fail() { echo "FAIL: safety_$1: $2"; fails=$((fails + 1)); }

# stats --json of a log -> "exit events log_complete ringbuf_lost"
log_facts() {
	"$SF_ANA" stats --json "$1" 2>/dev/null >"$SF_T/stats.json"; local rc=$?
	python3 - "$SF_T/stats.json" "$rc" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception:
    print(sys.argv[2], -1, -1, -1); sys.exit()
def find(o, k):
    if isinstance(o, dict):
        if k in o: return o[k]
        for v in o.values():
            r = find(v, k)
            if r is not None: return r
    return None
lc = find(d, "log_complete"); ev = find(d, "events"); loss = find(d, "loss") or {}
print(sys.argv[2], ev if ev is not None else -1, int(bool(lc)), loss.get("ringbuf", -1))
PY
}

# run_path NAME SIGNAL WANT_RC WANT_COMPLETE [recorder args...]
run_path() {
	local name=$1 sig=$2 want_rc=$3 want_complete=$4 left
	shift 4
	sf_start -o "$SF_T/$name.ntl" "$@"
	if [ -z "$SF_PROGS" ] || [ "$(echo $SF_TABLES | wc -w)" -lt 2 ]; then
		fail "$name" "recorder did not start (programs '$SF_PROGS', tables '$SF_TABLES'): $(head -c 300 "$SF_T/rec.err")"
		sf_stop KILL
		return
	fi
	sf_traffic 1
	if [ "$sig" = none ]; then
		wait "$SF_PID"; SF_RC=$?; SF_DONE_PID=$SF_PID; SF_PID=
	else
		sf_stop "$sig"
	fi
	[ "$SF_RC" = "$want_rc" ] && pass "${name}_exit_$want_rc" ||
		fail "${name}_exit_$want_rc" "exit $SF_RC: $(head -c 300 "$SF_T/rec.err")"
	left=$(sf_left)
	[ -z "$left" ] && pass "${name}_nothing_left ($(echo $SF_PROGS | wc -w) programs, $(echo $SF_LINKS | wc -w) links, tables in $SF_TABLES)" ||
		fail "${name}_nothing_left" "$left"
	read -r arc ev complete lost < <(log_facts "$SF_T/$name.ntl")
	if [ "$want_complete" = 1 ]; then
		[ "$arc" = 0 ] && [ "$complete" = 1 ] && [ "$ev" -gt 0 ] && pass "${name}_log_complete ($ev events)" ||
			fail "${name}_log_complete" "nft-analyze exit $arc, complete $complete, events $ev"
	else
		{ [ "$arc" = 0 ] || [ "$arc" = 3 ]; } && [ "$ev" -ge 0 ] && pass "${name}_log_readable ($ev events, analyze exit $arc)" ||
			fail "${name}_log_readable" "nft-analyze exit $arc, events $ev"
	fi
	[ "$(stat -c %a "$SF_T/$name.ntl" 2>/dev/null)" = 600 ] && pass "${name}_log_mode_0600" ||
		fail "${name}_log_mode_0600" "mode $(stat -c %a "$SF_T/$name.ntl" 2>/dev/null)"
}

run_path duration none 0 1 -d 2
run_path sigint INT 0 1
run_path sigterm TERM 0 1
run_path sigkill KILL 137 0

# disk full: log on a 256 KiB tmpfs, steady traffic until the recorder gives up
mkdir "$SF_T/small" && mount -t tmpfs -o size=256k,mode=755 tmpfs "$SF_T/small" && SF_MOUNTS+=("$SF_T/small")
sf_start -o "$SF_T/small/full.ntl"
if [ -z "$SF_PROGS" ]; then
	fail disk_full "recorder did not start: $(head -c 300 "$SF_T/rec.err")"; sf_stop KILL
else
	for i in $(seq 1 30); do
		kill -0 "$SF_PID" 2>/dev/null || break
		ip netns exec "$SF_A" ping -q -f -c 2000 -s 1000 "$SF_B4" >/dev/null 2>&1
	done
	if kill -0 "$SF_PID" 2>/dev/null; then
		fail disk_full_exit "still running after 30 floods on a full disk ($(df -k "$SF_T/small" | tail -1))"
		sf_stop KILL
	else
		wait "$SF_PID"; SF_RC=$?; SF_DONE_PID=$SF_PID; SF_PID=
		msg=$(grep -m1 . "$SF_T/rec.err")
		[ "$SF_RC" = 1 ] && [[ "$msg" == *"No space left on device"* ]] &&
			pass "disk_full_exit_1 ($msg)" || fail disk_full_exit_1 "exit $SF_RC, stderr: $(head -c 300 "$SF_T/rec.err")"
	fi
	left=$(sf_left)
	[ -z "$left" ] && pass disk_full_nothing_left || fail disk_full_nothing_left "$left"
	read -r arc ev complete lost < <(log_facts "$SF_T/small/full.ntl")
	{ [ "$arc" = 0 ] || [ "$arc" = 3 ]; } && [ "$ev" -gt 0 ] && pass "disk_full_log_readable ($ev events, analyze exit $arc)" ||
		fail disk_full_log_readable "nft-analyze exit $arc, events $ev"
fi

# error after the first namespace was set up: second namespace missing
"$SF_REC" -q --netns "$SF_A,ntsf_missing_$$" -o "$SF_T/err.ntl" -d 5 >"$SF_T/err.out" 2>"$SF_T/err.err" &
p=$!; wait $p; rc=$?
t=$(sf_tables_of $p)
[ "$rc" = 2 ] && pass "bad_netns_exit_2 ($(head -1 "$SF_T/err.err"))" || fail bad_netns_exit_2 "exit $rc: $(head -c 300 "$SF_T/err.err")"
[ -z "$t" ] && pass bad_netns_nothing_left || fail bad_netns_nothing_left "table nft_record_$p left in $t"
[ ! -e "$SF_T/err.ntl" ] && pass bad_netns_no_log_file || fail bad_netns_no_log_file "$(ls -l "$SF_T/err.ntl")"

[ $fails = 0 ]
