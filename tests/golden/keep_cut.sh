#!/bin/bash
# tests/golden/keep_cut.sh - a kept journey that lost its oldest records to
# nft-record --keep's per-packet buffer says how many (COUNT journey_cut
# before it in the log, issue #19): `nft-analyze journeys` text ("Cut: its
# oldest N records") and NDJSON ("records_cut": N) for that journey only; a
# log of the same records without the counter (logs before it) has neither.
set -u
. "$(dirname "$0")/lib_golden.sh"
golden_init "" keep_cut_build
# metadata of basic.scn, a keep-mode log: packet 2 (dropped) lost 7 records,
# packet 4 none
grep -vE '^[0-9#]' tests/golden/basic.scn > "$T/meta.scn"
cat > "$T/recs.scn" <<'EOF'
40     count 65535 journey_cut 7 B
40     meta  B tcp 10.0.0.1:40000 10.0.0.2:23 2 60
42     func  B 2
43     rule  B inet filter input policy drop 0x2222
44     drop  B 5 6
60     meta  D tcp 10.0.0.1:40001 10.0.0.2:80 2 60
61     func  D 1
62     rule  D inet filter input 8 drop 0x4444
63     drop  D 5 6
EOF
{ cat "$T/meta.scn"; echo "header mode keep"; cat "$T/recs.scn"; } > "$T/cut.scn"
{ cat "$T/meta.scn"; echo "header mode keep"; grep -v journey_cut "$T/recs.scn"; } > "$T/old.scn"
"$MKLOG" -o "$T/cut.ntl" "$T/cut.scn" && "$MKLOG" -o "$T/old.ntl" "$T/old.scn" || exit 1

"$AN" journeys "$T/cut.ntl" > "$T/cut.txt" 2> "$T/err" || fail keep_cut_text "exit $?: $(head -c 300 "$T/err")"
n=$(grep -c '^Cut: its oldest 7 records' "$T/cut.txt")
a=$(grep -c '^Cut:' "$T/cut.txt")
[ "$n" = 1 ] && [ "$a" = 1 ] && pass keep_cut_journey_text ||
	fail keep_cut_journey_text "want one 'Cut: its oldest 7 records' line, got $n of $a: $(head -c 600 "$T/cut.txt")"
# the line belongs to packet 2's journey (the first; packet 4 has none)
awk '/^Cut:/ { print prev } { if ($0 ~ /^\[/) prev = $0 }' "$T/cut.txt" | grep -q '10.0.0.2:23 ' &&
	pass keep_cut_text_of_its_journey || fail keep_cut_text_of_its_journey "$(head -c 600 "$T/cut.txt")"

"$AN" journeys --ndjson "$T/cut.ntl" > "$T/cut.json" 2> "$T/err" || fail keep_cut_ndjson "exit $?: $(head -c 300 "$T/err")"
got=$(python3 - "$T/cut.json" <<'PY'
import json, sys
out = []
for line in open(sys.argv[1]):
    d = json.loads(line)
    if "packet" in d:
        out.append("%s=%s" % (d["packet"], d.get("records_cut", 0)))
print(" ".join(out))
PY
)
[ "$got" = "1=7 2=0" ] && pass keep_cut_journey_ndjson || fail keep_cut_journey_ndjson "want '1=7 2=0' (packet id = records_cut), got '$got'"

"$AN" journeys "$T/old.ntl" > "$T/old.txt" 2> "$T/err" && "$AN" journeys --ndjson "$T/old.ntl" > "$T/old.json" 2>> "$T/err" ||
	fail keep_cut_old_log "exit: $(head -c 300 "$T/err")"
! grep -q '^Cut:' "$T/old.txt" && ! grep -q records_cut "$T/old.json" && [ "$(grep -c '^PACKET TRACE' "$T/old.txt")" = 2 ] &&
	pass keep_cut_old_log_reads_without || fail keep_cut_old_log_reads_without "$(head -c 600 "$T/old.txt")"
exit $((fails > 0))
