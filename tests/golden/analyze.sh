#!/bin/bash
# tests/golden/analyze.sh - nft-analyze output against samples/golden/*: every
# subcommand in text, --json and --ndjson, filters, exit codes and messages of
# damaged logs.  The log is rebuilt from tests/golden/basic.scn with mklog and
# must be byte-identical to samples/basic.ntl (the writer is deterministic).
#   UPDATE_GOLDEN=1 bash tests/golden/analyze.sh   rewrites the golden files
set -u
cd "${NT_TOP:-$(dirname "$0")/../..}"
O=${O:-build}
AN=$O/nft-analyze
MKLOG=$O/tests/tools/mklog
G=samples/golden
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0

if [ ! -x "$AN" ] || [ ! -x "$MKLOG" ]; then
	echo "FAIL: golden_build: $AN or $MKLOG missing (make nft-analyze unit)"
	exit 1
fi

"$MKLOG" -o "$T/basic.ntl" tests/golden/basic.scn || { echo "FAIL: mklog: exit $?"; exit 1; }
if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
	cp "$T/basic.ntl" samples/basic.ntl
fi
if cmp -s "$T/basic.ntl" samples/basic.ntl; then
	echo "PASS: mklog_deterministic_matches_samples_basic_ntl"
else
	echo "FAIL: mklog_deterministic_matches_samples_basic_ntl: $T/basic.ntl differs from samples/basic.ntl"
	fails=$((fails + 1))
fi
"$MKLOG" -o "$T/traffic.ntl" --repeat 200 bench/analyze.scn || { echo "FAIL: mklog traffic: exit $?"; exit 1; }
[ "${UPDATE_GOLDEN:-0}" = 1 ] && cp "$T/traffic.ntl" samples/traffic.ntl
if cmp -s "$T/traffic.ntl" samples/traffic.ntl; then
	echo "PASS: mklog_deterministic_matches_samples_traffic_ntl"
else
	echo "FAIL: mklog_deterministic_matches_samples_traffic_ntl: differs from samples/traffic.ntl"
	fails=$((fails + 1))
fi
LOG=samples/basic.ntl

# check NAME EXPECTED_RC ARGS...  (stdout -> $G/NAME.out, stderr -> $G/NAME.err when non-empty)
check() {
	local name=$1 want=$2; shift 2
	"$AN" "$@" < "${STDIN_FILE:-/dev/null}" > "$T/$name.out" 2> "$T/$name.err"
	local rc=$?
	if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
		cp "$T/$name.out" "$G/$name.out"
		if [ -s "$T/$name.err" ]; then cp "$T/$name.err" "$G/$name.err"; else rm -f "$G/$name.err"; fi
	fi
	local why=""
	[ "$rc" = "$want" ] || why="exit code $rc, expected $want"
	if [ -z "$why" ] && ! diff -u "$G/$name.out" "$T/$name.out" > "$T/$name.diff" 2>&1; then
		why="stdout differs from $G/$name.out:"$'\n'"$(head -n 20 "$T/$name.diff")"
	fi
	if [ -z "$why" ]; then
		if [ -f "$G/$name.err" ]; then
			diff -u "$G/$name.err" "$T/$name.err" > "$T/$name.ediff" 2>&1 ||
				why="stderr differs from $G/$name.err: $(head -n 8 "$T/$name.ediff")"
		elif [ -s "$T/$name.err" ]; then
			why="unexpected stderr: $(head -n 3 "$T/$name.err")"
		fi
	fi
	case $name in *json*)
		if [ -z "$why" ] && [ "$rc" != 2 ]; then
			if [[ $name == *ndjson* ]]; then
				python3 -c 'import json,sys
for l in open(sys.argv[1]): json.loads(l)' "$T/$name.out" 2>/dev/null || why="not valid NDJSON"
			else
				python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/$name.out" 2>/dev/null || why="not valid JSON"
			fi
		fi ;;
	esac
	if [ -z "$why" ]; then
		echo "PASS: $name"
	else
		echo "FAIL: $name: $why"
		fails=$((fails + 1))
	fi
}

for cmd in events journeys stats report; do
	check "$cmd" 0 $cmd "$LOG"
	check "$cmd.json" 0 $cmd --json "$LOG"
	check "$cmd.ndjson" 0 $cmd --ndjson "$LOG"
done
check traffic-stats 0 stats samples/traffic.ntl
check traffic-journeys-packet-2 0 journeys --packet 2 samples/traffic.ntl
# filters
check journeys-verdict-drop 0 journeys --verdict drop "$LOG"
check journeys-packet-4.json 0 journeys --json --packet 4 "$LOG"
check journeys-func-udp_rcv 0 journeys --func udp_rcv "$LOG"
check journeys-tcp-port-22.ndjson 0 journeys --ndjson --proto tcp --port 22 "$LOG"
check stats-host-v6 0 stats --host 2001:db8::1 "$LOG"
check stats-verdict-accept.json 0 stats --json --verdict accept "$LOG"
check events-packet-4 0 events --packet 4 "$LOG"
check events-verdict-drop 0 events --verdict drop "$LOG"
check events-func-ip_rcv 0 events --func ip_rcv "$LOG"
check events-window 0 events --since 0.00009 --until 0.0001 "$LOG"
check events-limit-3 0 events --limit 3 "$LOG"

# damaged logs: partial results + one line on stderr, exit 3
size=$(stat -c %s "$LOG")
head -c $((size - 40)) "$LOG" > "$T/cut.ntl"
STDIN_FILE=$T/cut.ntl check stats-truncated 3 stats -
# a log of many small EVENTS blocks cut in the middle of one
"$MKLOG" -o "$T/small.ntl" --block-bytes 512 tests/golden/basic.scn || exit 1
head -c 1400 "$T/small.ntl" > "$T/small-cut.ntl"
STDIN_FILE=$T/small-cut.ntl check journeys-small-cut 3 journeys -
STDIN_FILE=$T/cut.ntl check journeys-truncated.json 3 journeys --json -
"$AN" journeys --verdict drop "$T/cut.ntl" > /dev/null 2> "$T/cut.err"; rc=$?
if [ "$rc" = 3 ] && grep -q "^nft-analyze: $T/cut.ntl: truncated at offset [0-9]* (block of [0-9]* bytes, [0-9]* present): [0-9]* events read before it$" "$T/cut.err"; then
	echo "PASS: truncated_log_exit_3_with_location"
else
	echo "FAIL: truncated_log_exit_3_with_location: rc=$rc stderr=$(cat "$T/cut.err")"
	fails=$((fails + 1))
fi
# a prefix of every length: tests/unit/test_log_model.c (in process, much faster)
printf 'hello world, not a log\n' > "$T/text.ntl"
"$AN" stats "$T/text.ntl" > "$T/o" 2> "$T/e"; rc=$?
if [ "$rc" = 2 ] && [ "$(cat "$T/e")" = "nft-analyze: $T/text.ntl: not an nft-tracer log (bad magic)" ] && [ ! -s "$T/o" ]; then
	echo "PASS: not_a_log_exit_2"
else
	echo "FAIL: not_a_log_exit_2: rc=$rc stderr=$(cat "$T/e")"
	fails=$((fails + 1))
fi
cp "$LOG" "$T/v2.ntl"; printf '\x03' | dd of="$T/v2.ntl" bs=1 seek=8 conv=notrunc status=none
"$AN" stats "$T/v2.ntl" > "$T/o" 2> "$T/e"; rc=$?
if [ "$rc" = 2 ] && [ "$(cat "$T/e")" = "nft-analyze: $T/v2.ntl: format version 3 is newer than this nft-analyze (2): upgrade nft-tracer" ]; then
	echo "PASS: newer_version_exit_2"
else
	echo "FAIL: newer_version_exit_2: rc=$rc stderr=$(cat "$T/e")"
	fails=$((fails + 1))
fi
"$AN" stats /nonexistent.ntl > "$T/o" 2> "$T/e"; rc=$?
if [ "$rc" = 2 ] && [ "$(cat "$T/e")" = "nft-analyze: /nonexistent.ntl: No such file or directory" ]; then
	echo "PASS: missing_file_exit_2"
else
	echo "FAIL: missing_file_exit_2: rc=$rc stderr=$(cat "$T/e")"
	fails=$((fails + 1))
fi
"$AN" frobnicate "$LOG" > "$T/o" 2> "$T/e"; rc=$?
if [ "$rc" = 2 ] && grep -q "unknown command 'frobnicate'" "$T/e"; then
	echo "PASS: unknown_command_exit_2"
else
	echo "FAIL: unknown_command_exit_2: rc=$rc"
	fails=$((fails + 1))
fi
"$AN" journeys --verdict maybe "$LOG" > "$T/o" 2> "$T/e"; rc=$?
if [ "$rc" = 2 ] && grep -q "unknown verdict 'maybe'" "$T/e"; then
	echo "PASS: bad_option_exit_2"
else
	echo "FAIL: bad_option_exit_2: rc=$rc"
	fails=$((fails + 1))
fi
# the small fixes of issue #15: every command in the usage, report --help with -o, the HTML
# report naming the text report's options, nft's protocol names, a tracepoint by its name
"$AN" --help > "$T/o" 2>&1
if grep -qE '^  diff ' "$T/o" && grep -qE '^  timeline ' "$T/o" && grep -qE '^  flame ' "$T/o" &&
   [ "$(grep -cE '^  report ' "$T/o")" = 1 ]; then
	echo "PASS: usage_lists_every_command_once"
else
	echo "FAIL: usage_lists_every_command_once: $(tr '\n' ' ' < "$T/o" | head -c 300)"
	fails=$((fails + 1))
fi
"$AN" report --help > "$T/o" 2>&1
if grep -q -- '-o, --output=FILE' "$T/o" && grep -q -- '--max-packets=N' "$T/o"; then
	echo "PASS: report_help_shows_html_options"
else
	echo "FAIL: report_help_shows_html_options"
	fails=$((fails + 1))
fi
"$AN" report -o "$T/r.html" --port 22 "$LOG" > "$T/o" 2> "$T/e"; rc=$?
if [ "$rc" = 2 ] && head -1 "$T/e" | grep -q -- "--port is an option of the text report" && [ ! -e "$T/r.html" ]; then
	echo "PASS: report_html_names_text_only_option"
else
	echo "FAIL: report_html_names_text_only_option: rc=$rc $(head -1 "$T/e")"
	fails=$((fails + 1))
fi
if [ "$("$AN" stats --json --proto ipv6-icmp "$LOG" 2>&1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["stats"]["totals"]["packets"])')" = 0 ] &&
   "$AN" journeys --proto icmpv6 "$LOG" > /dev/null 2>&1; then
	echo "PASS: proto_ipv6_icmp_accepted"
else
	echo "FAIL: proto_ipv6_icmp_accepted"
	fails=$((fails + 1))
fi
a=$("$AN" journeys --func kfree_skb "$LOG" | grep -c '^PACKET TRACE')
b=$("$AN" journeys --func skb:kfree_skb "$LOG" | grep -c '^PACKET TRACE')
if [ "$a" = 3 ] && [ "$b" = 3 ]; then
	echo "PASS: func_finds_tracepoint_by_name"
else
	echo "FAIL: func_finds_tracepoint_by_name: $a / $b packets (want 3)"
	fails=$((fails + 1))
fi
# stdin
"$AN" stats - < "$LOG" > "$T/stdin.out" 2>&1; rc=$?
if [ "$rc" = 0 ] && cmp -s "$T/stdin.out" "$G/stats.out"; then
	echo "PASS: log_from_stdin"
else
	echo "FAIL: log_from_stdin: rc=$rc"
	fails=$((fails + 1))
fi
# format version 1 logs (samples/v1/: the same scenarios written by the
# version 1 writer), format 2.0 logs (samples/v2.0/: EVENTS coding 1, the
# writer before coding 2) and format 2.1 logs (samples/v2.1/: EVENTS coding 2,
# the writer before coding 3) give exactly the output of their current rebuild
for old in v1 v2.0 v2.1; do
for l in basic traffic; do
	for c in events journeys stats "journeys --json" "stats --json" "events --ndjson"; do
		n="${old/./_}_log_reads_like_v2_${l}_$(echo "$c" | tr ' -' '__')"
		[ $old = v2.0 ] && n="${n/_v2_/_v2_1_}"
		[ $old = v2.1 ] && n="${n/_v2_/_v2_2_}"
		"$AN" $c samples/$old/$l.ntl > "$T/v1.out" 2>&1; rc1=$?
		"$AN" $c samples/$l.ntl > "$T/v2.out" 2>&1; rc2=$?
		if [ "$rc1" = 0 ] && [ "$rc2" = 0 ] && cmp -s "$T/v1.out" "$T/v2.out"; then
			echo "PASS: $n"
		else
			echo "FAIL: $n: rc $rc1/$rc2, $(diff "$T/v1.out" "$T/v2.out" | head -3 | tr '\n' ' ')"
			fails=$((fails + 1))
		fi
	done
done
done
[ "$fails" = 0 ]
