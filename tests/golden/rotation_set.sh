#!/bin/bash
# tests/golden/rotation_set.sh - nft-analyze over the files of one rotation set
# (nft-record --rotate; model/logset.c): the set read as one log equals the
# same records written as one log (stats and journeys, exactly: packets that
# span a file boundary, loss counters that restart at 0 in every file), in seq
# order whatever order the files are given in; a missing file inside the
# sequence, a damaged file, a file of another set or of none, a file given twice
# and stdin among several files: one line on stderr and the documented exit code.
# The logs are built with mklog from tests/golden/basic.scn's packets, split in
# three files at 42.5 µs and 92.5 µs (packets 2 and 5 span the cuts).
set -u
. "$(dirname "$0")/lib_golden.sh"
golden_init "" rotation_build

# metadata of basic.scn; records with literal skb addresses (mklog maps names to
# addresses per file: a packet spanning two files needs the same address)
grep -vE '^[0-9#]' tests/golden/basic.scn > "$T/meta.scn"
grep -E '^[0-9]' tests/golden/basic.scn | grep -v ' loss ' | awk '{
	for (i = 3; i <= 4 && i <= NF; i++)
		if ($i ~ /^[A-H][0-9]?$/)
			$i = sprintf("0xffff8880%04x%s000", index("ABCDEFGH", substr($i, 1, 1)), length($i) > 1 ? "2" : "1")
	print }' > "$T/recs"
netlink='151 loss 65535 netlink 1 4026531840
152 loss 65535 netlink 2 4026531840
153 loss 65535 netlink 5 4026532000'
# one log: ring buffer losses cumulative (2 at 30 µs, 3 at 114 µs)
{ cat "$T/meta.scn"; awk '$1 < 30' "$T/recs"; echo "30 loss 0 ringbuf 2"; awk '$1 >= 30' "$T/recs"
  echo "114 loss 0 ringbuf 3"; echo "$netlink"; } > "$T/whole.scn"
# the set: every file counts from 0 (2, then 1 more in the third file)
{ cat "$T/meta.scn"; echo "rotation 5f3a9c0d 4"; awk '$1 < 30' "$T/recs"; echo "30 loss 0 ringbuf 2"
  awk '$1 >= 30 && $1 < 42.5' "$T/recs"; } > "$T/s4.scn"
{ cat "$T/meta.scn"; echo "rotation 5f3a9c0d 5"; awk '$1 >= 42.5 && $1 < 92.5' "$T/recs"; } > "$T/s5.scn"
{ cat "$T/meta.scn"; echo "rotation 5f3a9c0d 6"; awk '$1 >= 92.5' "$T/recs"; echo "114 loss 0 ringbuf 1"
  echo "$netlink"; } > "$T/s6.scn"
{ cat "$T/meta.scn"; echo "rotation 77aa 5"; awk '$1 >= 42.5 && $1 < 92.5' "$T/recs"; } > "$T/other.scn"
for f in whole s4 s5 s6 other; do
	"$MKLOG" -o "$T/$f.ntl" "$T/$f.scn" || { echo "FAIL: mklog $f: exit $?"; exit 1; }
done

# the set as one log == the one log
for cmd in stats journeys events; do
	"$AN" $cmd --json "$T/whole.ntl" > "$T/whole.$cmd" 2> "$T/e1"; r1=$?
	"$AN" $cmd --json "$T/s6.ntl" "$T/s4.ntl" "$T/s5.ntl" > "$T/set.$cmd" 2> "$T/e2"; r2=$?
	# summary.events: the set holds each file's chain definitions (records)
	why=$(python3 - "$T/whole.$cmd" "$T/set.$cmd" <<'EOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for d in (a, b):
    s = d.get("summary")
    if s: s.pop("events", None)
if "events" in a:  # events --json: the records but the chain definitions (one set per file)
    for d in (a, b):
        d["events"] = [e for e in d["events"] if e.get("type") != "NFT_CHAINDEF"]
        for e in d["events"]: e.pop("seq", None)
if a != b:
    print("differs: %s vs %s" % (json.dumps(a)[:300], json.dumps(b)[:300]))
EOF
)
	if [ "$r1$r2" = 00 ] && [ -z "$why" ] && [ ! -s "$T/e2" ]; then
		pass "set_${cmd}_equals_one_log"
	else
		fail "set_${cmd}_equals_one_log" "exit $r1/$r2 $why $(head -c 300 "$T/e2")"
	fi
done
# exact numbers: 8 packets, losses summed over the files (ring buffer 2 + 1)
"$AN" stats --json "$T/s4.ntl" "$T/s5.ntl" "$T/s6.ntl" > "$T/o" 2>&1
why=$(python3 - "$T/o" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))["stats"]
l = d["loss"]
if (d["totals"]["packets"], l["ringbuf"], l["netlink"]) != (8, 3, 7):
    print("packets %r ringbuf %r netlink %r, want 8 3 7" % (d["totals"]["packets"], l["ringbuf"], l["netlink"]))
EOF
)
[ -z "$why" ] && pass set_losses_summed_over_files || fail set_losses_summed_over_files "$why"
# every file analyzes alone
for f in s4 s5 s6; do
	if "$AN" stats "$T/$f.ntl" > /dev/null 2> "$T/e"; then pass "file_${f}_alone"; else fail "file_${f}_alone" "$(cat "$T/e")"; fi
done
# a file of the set alone: its own losses only
"$AN" stats --json "$T/s6.ntl" > "$T/o"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["stats"]; sys.exit(d["loss"]["ringbuf"] != 1)' "$T/o" &&
	pass file_alone_counts_its_own_losses || fail file_alone_counts_its_own_losses "$(head -c 200 "$T/o")"

# one_line NAME RC EXPECTED_STDERR ARGS...
one_line() {
	local name=$1 want=$2 line=$3; shift 3
	"$AN" "$@" > "$T/o" 2> "$T/e"; local rc=$?
	if [ "$rc" = "$want" ] && [ "$(cat "$T/e")" = "$line" ]; then
		pass "$name"
	else
		fail "$name" "exit $rc (want $want), stderr: $(head -c 400 "$T/e")"
	fi
}
one_line gap_one_line_exit_3 3 \
	"nft-analyze: rotation set 5f3a9c0d: file seq 5 is missing between $T/s4.ntl (seq 4) and $T/s6.ntl (seq 6): results without their records" \
	stats "$T/s6.ntl" "$T/s4.ntl"
grep -q '^Packets by Verdict' "$T/o" && pass gap_results_printed || fail gap_results_printed "no statistics on stdout"
# files of two sets (or a set and a log of none) are two logs (nft-analyze's
# several hosts, model/fleet.h): one-log commands refuse them in one line,
# stats and journeys read each set as one source
one_line foreign_file_events_exit_2 2 \
	"nft-analyze events: 2 logs: events reads one log (journeys, stats, diff and export take the logs of several hosts)" \
	events "$T/s4.ntl" "$T/other.ntl"
[ -s "$T/o" ] && fail foreign_file_nothing_on_stdout "$(head -c 100 "$T/o")" || pass foreign_file_nothing_on_stdout
"$AN" stats "$T/s6.ntl" "$T/other.ntl" "$T/s5.ntl" "$T/s4.ntl" > "$T/o" 2> "$T/e"; rc=$?
[ $rc = 0 ] && grep -q "TRACE STATISTICS (2 hosts, 2 logs)" "$T/o" && pass set_and_other_two_sources ||
	fail set_and_other_two_sources "exit $rc: $(head -c 200 "$T/o") $(head -c 200 "$T/e")"
one_line not_rotated_report_exit_2 2 \
	"nft-analyze report: 2 logs: report reads one log (journeys, stats, diff and export take the logs of several hosts)" \
	report "$T/s4.ntl" samples/basic.ntl
one_line same_file_twice_exit_2 2 \
	"nft-analyze: $T/s5.ntl: given twice (also as $T/s5.ntl)" \
	stats "$T/s5.ntl" "$T/s5.ntl"
one_line stdin_in_a_set_exit_2 2 "nft-analyze: -: stdin can only be the one LOG, not one of several" \
	stats "$T/s4.ntl" -
one_line missing_file_exit_2 2 "nft-analyze: $T/s9.ntl: No such file or directory" \
	events "$T/s4.ntl" "$T/s9.ntl"
# a damaged file inside the set: the others are still read, exit 3, its damage named
size=$(stat -c %s "$T/s5.ntl")
head -c $((size - 40)) "$T/s5.ntl" > "$T/s5cut.ntl"
"$AN" stats --json "$T/s4.ntl" "$T/s5cut.ntl" "$T/s6.ntl" > "$T/o" 2> "$T/e"; rc=$?
if [ "$rc" = 3 ] && [ "$(wc -l < "$T/e")" = 1 ] &&
   grep -q "^nft-analyze: $T/s5cut.ntl: truncated at offset [0-9]* (block of [0-9]* bytes, [0-9]* present): [0-9]* events read before it$" "$T/e" &&
   python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["stats"]; sys.exit(d["loss"]["netlink"] != 7)' "$T/o"; then
	pass damaged_file_others_read_exit_3
else
	fail damaged_file_others_read_exit_3 "exit $rc, stderr: $(head -c 300 "$T/e")"
fi
# a keep-mode log (nft-record --keep: whole journeys in order of their end)
# skips the reorder window: the same records without "mode": "keep" get put
# back in time order, counted
{ cat "$T/meta.scn"; echo "header mode keep"; awk '$1 >= 40 && $1 < 50' "$T/recs"; awk '$1 < 40' "$T/recs"; } > "$T/keep.scn"
grep -v '^header mode' "$T/keep.scn" > "$T/nokeep.scn"
"$MKLOG" -o "$T/keep.ntl" "$T/keep.scn" && "$MKLOG" -o "$T/nokeep.ntl" "$T/nokeep.scn" || exit 1
rk=$("$AN" stats --json "$T/keep.ntl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["stats"]["loss"].get("reordered_records"))')
rn=$("$AN" stats --json "$T/nokeep.ntl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["stats"]["loss"].get("reordered_records"))')
[ "$rk" = 0 ] && [ "${rn:-0}" != 0 ] && [ "$rn" != None ] && pass keep_mode_log_skips_the_reorder_window ||
	fail keep_mode_log_skips_the_reorder_window "reordered: keep log $rk, the same without mode keep $rn"
# the set in --help
"$AN" stats --help | grep -q 'files of one rotation set' && pass help_names_rotation_sets ||
	fail help_names_rotation_sets "stats --help does not say LOG... may be a rotation set"
exit $((fails > 0))
