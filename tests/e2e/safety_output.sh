#!/bin/bash
# safety_output.sh - nft-record's log file: created 0600 whatever the umask,
# never overwrites an existing file without --force, never follows a symlink
# (existing or dangling, with or without --force), refuses an unwritable path;
# each refusal is one stderr line naming the file, exit 2, nothing attached.
set -u
cd "$(dirname "$0")/../.."
. tests/e2e/lib_safety.sh
sf_init safety_output
sf_ns_pair || { echo "FAIL: safety_output: cannot create namespaces"; exit 1; }
fails=0
pass() { echo "PASS: safety_$1"; }
fail() { echo "FAIL: safety_$1: $2"; fails=$((fails + 1)); }
cd "$SF_T"

rec() { # OUTPUT [args]: short recording; rc in $rc, stderr in err
	local out=$1; shift
	"$SF_REC" -q --netns "$SF_A" -d 1 -o "$out" "$@" >/dev/null 2>err </dev/null
	rc=$?
}

(umask 000; "$SF_REC" -q --netns "$SF_A" -d 1 -o new.ntl >/dev/null 2>err); rc=$?
[ "$rc" = 0 ] && [ "$(stat -c %a new.ntl)" = 600 ] && pass "log_0600_under_umask_000" ||
	fail log_0600_under_umask_000 "exit $rc, mode $(stat -c %a new.ntl 2>/dev/null): $(cat err)"

echo "precious" > existing.ntl; chmod 644 existing.ntl
rec existing.ntl
[ "$rc" = 2 ] && [ "$(cat existing.ntl)" = precious ] && [ "$(wc -l <err)" = 1 ] && grep -q "existing.ntl" err &&
	pass "refuses_existing_exit_2 ($(cat err))" || fail refuses_existing_exit_2 "exit $rc, stderr: $(cat err)"
rec existing.ntl --force
[ "$rc" = 0 ] && [ "$(head -c 5 existing.ntl)" = NTLOG ] && [ "$(stat -c %a existing.ntl)" = 600 ] &&
	pass "force_overwrites_0600" || fail force_overwrites_0600 "exit $rc, mode $(stat -c %a existing.ntl): $(cat err)"

echo "target" > target.txt; chmod 644 target.txt
ln -s target.txt link.ntl
for force in "" --force; do
	rec link.ntl $force
	[ "$rc" = 2 ] && [ "$(cat target.txt)" = target ] && [ -L link.ntl ] && [ "$(wc -l <err)" = 1 ] &&
		pass "symlink_not_followed${force:+_force} ($(cat err))" ||
		fail "symlink_not_followed${force:+_force}" "exit $rc, target now '$(head -c 20 target.txt)': $(cat err)"
done
ln -s dangling_target.ntl dangling.ntl
rec dangling.ntl
[ "$rc" = 2 ] && [ ! -e dangling_target.ntl ] && pass "dangling_symlink_not_followed ($(cat err))" ||
	fail dangling_symlink_not_followed "exit $rc, $(ls -l dangling_target.ntl 2>&1): $(cat err)"

rec nodir/x.ntl
[ "$rc" = 2 ] && [ "$(wc -l <err)" = 1 ] && grep -q "nodir/x.ntl" err && pass "missing_dir_exit_2 ($(cat err))" ||
	fail missing_dir_exit_2 "exit $rc: $(cat err)"
mkdir ro && mount -t tmpfs -o ro,size=64k tmpfs ro && SF_MOUNTS+=("$SF_T/ro")
rec ro/x.ntl
[ "$rc" = 2 ] && [ "$(wc -l <err)" = 1 ] && grep -q "ro/x.ntl" err && pass "readonly_fs_exit_2 ($(cat err))" ||
	fail readonly_fs_exit_2 "exit $rc: $(cat err)"
[ -z "$(ip netns exec "$SF_A" nft list tables | grep nft_record_)" ] &&
	pass "refusals_left_no_table" || fail refusals_left_no_table "$(ip netns exec "$SF_A" nft list tables)"
[ $fails = 0 ]
