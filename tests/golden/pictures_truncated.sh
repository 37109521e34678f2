#!/bin/bash
# tests/golden/pictures_truncated.sh - diff, timeline, flame and report on
# samples/diff/base.ntl cut at every NT_TRUNC_STEP-th byte offset (default 2;
# 1 = every offset): never a crash (no signal, no sanitizer report under
# O=build-san), only documented exit codes (timeline / flame / report: 0 when
# the cut falls between blocks, 2 unusable, 3 damaged with output; diff:
# 0 / 1 / 2 and always 2 on a damaged log without --partial, 0 / 1 with it),
# and the output of a damaged log is still complete JSON / SVG / HTML.
set -u
cd "${NT_TOP:-$(dirname "$0")/../..}"
O=${O:-build}
AN=$O/nft-analyze
LOG=samples/diff/base.ntl
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
[ -x "$AN" ] || { echo "FAIL: truncated_build: $AN missing"; exit 1; }
# a private copy: a rebuild during the long loop must not swap the binary under us
cp "$AN" "$T/nft-analyze" && AN=$T/nft-analyze
size=$(stat -c %s "$LOG")
declare -A bad
STEP=${NT_TRUNC_STEP:-2}
n=0
for ((off = 0; off < size; off += STEP)); do
	n=$((n + 1))
	head -c $off "$LOG" > "$T/cut.ntl"
	"$AN" diff --partial "$LOG" "$T/cut.ntl" > /dev/null 2> "$T/err"; rc=$?
	case $rc in 0|1|2) ;; *) bad[diff_partial]+=" $off:$rc";; esac
	"$AN" diff "$LOG" "$T/cut.ntl" > /dev/null 2> "$T/err"; rc=$?
	case $rc in 0|1) ! grep -q 'truncated\|corrupt' "$T/err" || bad[diff]+=" $off:$rc";; 2) ;; *) bad[diff]+=" $off:$rc";; esac
	"$AN" timeline "$T/cut.ntl" > "$T/t.json" 2> "$T/err"; rc=$?
	case $rc in 0|2) ;; 3) [ "$(tail -c 3 "$T/t.json")" = "}}" ] || bad[timeline_json]+=" $off"; cp "$T/t.json" "$T/last.json";; *) bad[timeline]+=" $off:$rc";; esac
	"$AN" flame --svg "$T/cut.ntl" > "$T/f.svg" 2> "$T/err"; rc=$?
	case $rc in 0|2) ;; 3) grep -q '</svg>' "$T/f.svg" || bad[flame_svg]+=" $off";; *) bad[flame]+=" $off:$rc";; esac
	"$AN" report --html "$T/cut.ntl" > "$T/r.html" 2> "$T/err"; rc=$?
	case $rc in 0|2) ;; 3) grep -q '</html>' "$T/r.html" || bad[report_html]+=" $off";; *) bad[report]+=" $off:$rc";; esac
done
# the longest damaged trace parses as JSON
if [ -f "$T/last.json" ] && ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/last.json"; then
	bad[timeline_json]+=" last"
fi
for k in diff_partial diff timeline timeline_json flame flame_svg report report_html; do
	if [ -z "${bad[$k]:-}" ]; then
		echo "PASS: truncated_${k}_${n}_offsets_of_${size}"
	else
		echo "FAIL: truncated_${k}: offsets:exit${bad[$k]:0:300}"
	fi
done
exit 0
