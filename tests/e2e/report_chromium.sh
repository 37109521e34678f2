#!/bin/bash
# tests/e2e/report_chromium.sh - nft-analyze report -o FILE.html in headless
# Chromium (Debian package chromium, scripts/deps.sh): the page renders
# (its script sets data-ready), every number it shows from the statistics
# equals `nft-analyze stats --json` for the same log (DOM dumped with
# --dump-dom, elements carrying data-k="json.path"), the embedded stats
# document equals stats --json, the packet table has the right rows, a row
# expands into its journey with rule text, search filters rows, --max-packets
# caps the table, and the page is self-contained (no external reference,
# CSP default-src 'none'; Chromium runs in an empty network namespace when
# possible).  Screenshots of the report and of the flame SVG are written to
# $O/test-artifacts/ (report.png, report-journey.png, flame.png).
set -u
cd "${NT_TOP:-$(dirname "$0")/../..}"
O=${O:-build}
AN=$PWD/$O/nft-analyze
ART=$PWD/$O/test-artifacts
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$ART"
[ -x "$AN" ] || { echo "FAIL: report_build: $AN missing"; exit 1; }
CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then
	echo "SKIP: report_chromium: chromium not installed (scripts/deps.sh installs it)"
	exit 0
fi
NETNS=""
if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then NETNS="unshare -n"; fi

chrome() { # ARGS... (URL last)
	local ud; ud=$(mktemp -d "$T/ud.XXXXXX")
	timeout 120 $NETNS "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$ud" "$@" 2>> "$T/chrome.err"
}

# + a generated log of 2 500 interleaved packets (more than the 1000-row table)
MKLOG=$PWD/$O/tests/tools/mklog
LOGS="samples/diff/base.ntl samples/basic.ntl"
if [ -x "$MKLOG" ] && "$MKLOG" -o "$T/bench.ntl" --repeat 1250 bench/analyze.scn 2> /dev/null; then
	LOGS="$LOGS $T/bench.ntl"
else
	echo "FAIL: report_mklog_bench: cannot generate the bench log"
fi
for LOG in $LOGS; do
	tag=$(basename "$LOG" .ntl)
	"$AN" report "$LOG" -o "$T/$tag.html"; rc=$?
	[ $rc = 0 ] && echo "PASS: report_${tag}_exit_0" || { echo "FAIL: report_${tag}_exit_0: exit $rc"; continue; }
	"$AN" stats --json "$LOG" > "$T/$tag.stats.json" || echo "FAIL: report_${tag}_stats_json: exit $?"
	ext=$(grep -Eo '(src|href)=|url\(|@import|https?://|fetch\(|XMLHttpRequest|<link|<iframe' "$T/$tag.html" | sort -u | tr '\n' ' ')
	if [ -z "$ext" ] && grep -q "default-src 'none'" "$T/$tag.html"; then
		echo "PASS: report_${tag}_self_contained"
	else
		echo "FAIL: report_${tag}_self_contained: found: $ext"
	fi
	chrome --dump-dom "file://$T/$tag.html" > "$T/$tag.dom.html"
	python3 - "$T/$tag.html" "$T/$tag.dom.html" "$T/$tag.stats.json" "$tag" <<'PY'
import json, re, sys, html
page, dom, stats_path, tag = sys.argv[1:]
def check(name, cond, why=""):
    print(("PASS: " if cond else "FAIL: ") + f"report_{tag}_" + name + ("" if cond else ": " + str(why)[:600]))
src = open(page).read()
d = open(dom).read()
stats = json.load(open(stats_path))
emb = re.search(r'<script type="application/json" id="nt-stats">(.*?)</script>', src, re.S).group(1)
check("embedded_stats_equal_stats_json", json.loads(emb) == stats)
check("rendered", 'data-ready="1"' in d, "script did not finish (data-ready missing)")
S = stats["stats"]
def lookup(path):
    obj = S
    for p in path.split("."):
        if isinstance(obj, list):
            keys = ("verdict", "layer", "value")
            m = [x for x in obj if any(str(x.get(k)) == p for k in keys)]
            obj = m[0] if m else obj[int(p)]
        else:
            obj = obj[p]
    return obj
def fmt_ns(ns):  # the page's durations: human units, the exact ns in data-v
    return (f"{ns / 1e9:.3f} s" if ns >= 1e9 else f"{ns / 1e6:.3f} ms" if ns >= 1e6 else
            f"{ns / 1e3:.3f} µs" if ns >= 1e3 else f"{ns} ns")
shown = []
for attrs, v in re.findall(r'<\w+ ([^>]*data-k="[^"]+"[^>]*)>([^<]*)<', d):
    a = dict(re.findall(r'([\w-]+)="([^"]*)"', attrs))
    shown.append((a["data-k"], a.get("data-v"), v))
bad = []
for k, raw, v in shown:
    try:
        want = lookup(html.unescape(k))
    except Exception as e:
        bad.append((k, v, "lookup " + repr(e))); continue
    if raw is not None:  # a duration: data-v is the value, the text its human form
        if raw != str(want) or html.unescape(v) != fmt_ns(want):
            bad.append((k, raw, v, want, fmt_ns(want)))
    elif html.unescape(v) != str(want):
        bad.append((k, v, want))
n_expected = 10 + len(S["by_verdict"]) + len(S["drops_by_reason"]) + len(S["by_rule"]) + 5 * len(S["layer_time"])
check(f"numbers_equal_stats_json_{len(shown)}_values", not bad and len(shown) == n_expected, (bad, len(shown), n_expected))
rows = re.findall(r'<tr class="p" data-id="(\d+)"', d)
check(f"packet_table_{len(rows)}_rows", len(rows) == min(1000, S["totals"]["packets"]), (len(rows), S["totals"]["packets"]))
note = re.search(r'id="pnote"[^>]*>([^<]*)<', d).group(1)
want_note = f'{len(rows)} of {S["totals"]["packets"]} packets shown'
if len(rows) < S["totals"]["packets"]:
    want_note += f' (the first {len(rows)} to complete; --max-packets N shows more)'
check("packet_note", note == want_note, note)
hists = dict(re.findall(r'data-hist="([^"]+)">(\d+) packets<', d))
want_h = {l["layer"]: str(l["packets"]) for l in S["layer_time"]}
check("histogram_totals_equal_layer_time_packets", hists == want_h, (hists, want_h))
PY
done

# journeys expand (URL #open=IDS clicks the rows), search filters (#q=TEXT), --max-packets caps
chrome --dump-dom "file://$T/base.html#open=1,9" > "$T/open.dom.html"
python3 - "$T/open.dom.html" <<'PY'
import re, sys, html
d = open(sys.argv[1]).read()
def check(name, cond, why=""):
    print(("PASS: " if cond else "FAIL: ") + "report_" + name + ("" if cond else ": " + str(why)[:600]))
j = re.findall(r'<tr class="j">(.*?)</tr>', d, re.S)
check("two_journeys_expanded", len(j) == 2, len(j))
text = [html.unescape(re.sub(r"<[^>]+>", "", x)) for x in j]
check("journey_1_rule_text", "nft inet filter input #4: tcp dport 22 accept ACCEPT" in text[0] and "[5.500µs]TCPtcp_v4_rcv" in text[0], text[0])
check("rows_in_start_order", [int(x) for x in re.findall(r'<tr class="p" data-id="(\d+)"', d)] ==
      sorted(int(x) for x in re.findall(r'<tr class="p" data-id="(\d+)"', d)), "row order")
check("journey_9_clone_branch", "skb0 clone -> skb 1 (0xffff888000009100)" in text[1] and "skb1 Devicedev_queue_xmit" in text[1], text[1])
PY
# an inferred free is labelled as such in the journey
"$PWD/$O/tests/tools/mklog_diff" samples/pictures/inferred.scn "$T/inf.ntl" && "$AN" report "$T/inf.ntl" -o "$T/inf.html"
chrome --dump-dom "file://$T/inf.html#open=1" > "$T/inf.dom.html"
grep -q 'freed (inferred: the address was reused; time of the reuse)' "$T/inf.dom.html" \
	&& echo "PASS: report_inferred_free_labelled" || echo "FAIL: report_inferred_free_labelled"
# #open= and #q= together
chrome --dump-dom "file://$T/base.html#open=6&q=no_socket%20udp" > "$T/oq.dom.html"
if [ "$(grep -o '<tr class="j">' "$T/oq.dom.html" | wc -l)" = 1 ] && grep -q 'id="qn"[^>]*>2 match<' "$T/oq.dom.html"; then
	echo "PASS: report_open_and_search_combined"
else
	echo "FAIL: report_open_and_search_combined"
fi
chrome --dump-dom "file://$T/base.html#q=no_socket%20udp" > "$T/q.dom.html"
python3 - "$T/q.dom.html" <<'PY'
import re, sys
d = open(sys.argv[1]).read()
visible = re.findall(r'<tr class="p" data-id="(\d+)">', d)
n = re.search(r'id="qn"[^>]*>([^<]*)<', d).group(1)
ok = visible == ["6", "7"] and n == "2 match"
print(("PASS: " if ok else "FAIL: ") + "report_search_filters_rows" + ("" if ok else f": visible {visible}, '{n}'"))
PY
"$AN" report samples/diff/base.ntl --max-packets 3 -o "$T/cap.html" || echo "FAIL: report_max_packets_exit: $?"
chrome --dump-dom "file://$T/cap.html" > "$T/cap.dom.html"
rows=$(grep -o '<tr class="p" data-id=' "$T/cap.dom.html" | wc -l)
if [ "$rows" = 3 ] && grep -q '3 of 9 packets shown (the first 3 to complete' "$T/cap.dom.html"; then
	echo "PASS: report_max_packets_3"
else
	echo "FAIL: report_max_packets_3: $rows rows"
fi

# --top 1: the rules table has the single top rule of `stats --json --top 1`
"$AN" report samples/diff/base.ntl --top 1 -o "$T/top.html" || echo "FAIL: report_top_exit: $?"
"$AN" stats --json --top 1 samples/diff/base.ntl > "$T/top.stats.json"
chrome --dump-dom "file://$T/top.html" > "$T/top.dom.html"
python3 - "$T/top.dom.html" "$T/top.stats.json" <<'PY'
import json, re, sys
d = open(sys.argv[1]).read()
s = json.load(open(sys.argv[2]))["stats"]
shown = re.findall(r'data-k="by_rule\.(\d+)\.packets"[^>]*>(\d+)<', d)
ok = len(s["by_rule"]) == 1 and shown == [("0", str(s["by_rule"][0]["packets"]))] and "tcp dport 22 accept" in d
print(("PASS: " if ok else "FAIL: ") + "report_top_1_rule" + ("" if ok else f": {shown}"))
PY

# screenshots (look at them: $O/test-artifacts/)
rm -f "$ART/report.png" "$ART/report-journey.png" "$ART/flame.png"
chrome --window-size=1280,1700 --screenshot="$ART/report.png" "file://$T/base.html" > /dev/null
chrome --window-size=1280,2200 --screenshot="$ART/report-journey.png" "file://$T/basic.html#open=1" > /dev/null
"$AN" flame --svg samples/diff/base.ntl -o "$T/flame.svg"
chrome --window-size=1200,180 --screenshot="$ART/flame.png" "file://$T/flame.svg" > /dev/null
for p in report report-journey flame; do
	if python3 - "$ART/$p.png" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n" and len(b) > 5000
w, h = struct.unpack(">II", b[16:24])
assert w >= 1000 and h >= 150, (w, h)
PY
	then echo "PASS: report_screenshot_$p"; else echo "FAIL: report_screenshot_$p: $ART/$p.png missing or not a PNG"; fi
done

# bad input: one line, exit 2, nothing written
echo junk > "$T/junk.ntl"
"$AN" report "$T/junk.ntl" -o "$T/junk.html" 2> "$T/err"; rc=$?
if [ $rc = 2 ] && [ "$(wc -l < "$T/err")" = 1 ] && [ ! -e "$T/junk.html" ]; then
	echo "PASS: report_bad_log_exit_2"
else
	echo "FAIL: report_bad_log_exit_2: exit $rc $(cat "$T/err")"
fi
# without -o / --html, report stays the text report of nft-analyze
"$AN" report samples/diff/base.ntl | grep -q '^DROPPED PACKETS' && echo "PASS: report_text_without_o" || echo "FAIL: report_text_without_o"
exit 0
