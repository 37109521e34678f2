#!/bin/bash
# tests/golden/pictures_flame.sh - nft-analyze flame: folded stacks of
# samples/diff/base.ntl (counts, --time, --by-verdict) compared with
# samples/pictures/ and checked against known values; --svg is parsed as XML
# and checked: self-contained (no external references), one rect per frame,
# widths proportional to the counts, tooltips with counts.
#   UPDATE_GOLDEN=1 bash tests/golden/pictures_flame.sh   rewrites the golden files
set -u
cd "${NT_TOP:-$(dirname "$0")/../..}"
O=${O:-build}
AN=$O/nft-analyze
G=samples/pictures
LOG=samples/diff/base.ntl
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
[ -x "$AN" ] || { echo "FAIL: flame_build: $AN missing"; exit 1; }

gold() { # NAME FILE ARGS...
	local name=$1 file=$2; shift 2
	"$AN" flame "$@" "$LOG" -o "$T/$file"; local rc=$?
	[ "${UPDATE_GOLDEN:-0}" = 1 ] && cp "$T/$file" "$G/$file"
	if [ $rc != 0 ]; then echo "FAIL: flame_$name: exit $rc"
	elif ! cmp -s "$T/$file" "$G/$file"; then echo "FAIL: flame_$name: differs from $G/$file"; diff "$G/$file" "$T/$file" | head
	else echo "PASS: flame_$name"; fi
}
gold folded base.folded
gold time base.time.folded --time
gold by_verdict base.verdict.folded --by-verdict
gold svg base.flame.svg --svg

python3 - "$T" <<'PY'
import sys, re, xml.etree.ElementTree as ET
T = sys.argv[1]
def check(name, cond, why=""):
    print(("PASS: " if cond else "FAIL: ") + name + ("" if cond else ": " + str(why)))
def folded(p):
    out = {}
    for line in open(p):
        stack, n = line.rstrip("\n").rsplit(" ", 1)
        out[stack] = int(n)
    return out
f = folded(T + "/base.folded")
check("flame_folded_format", all(re.fullmatch(r"[^ ;][^;]*(;[^;]+)+", s) for s in f), list(f))
check("flame_counts_known", (f["Device;__netif_receive_skb_core"], f["IPv4;ip_rcv"], f["TCP;tcp_v4_rcv"], f["UDP;udp_rcv"],
      f["nftables;inet filter input;tcp dport 22 accept [ACCEPT]"], f["nftables;inet filter input;policy [ACCEPT]"]) == (9, 8, 5, 2, 3, 2), f)
funcs = sum(n for s, n in f.items() if not s.startswith("nftables;"))
rules = sum(n for s, n in f.items() if s.startswith("nftables;"))
check("flame_43_function_records_8_rule_records", (funcs, rules) == (43, 8), (funcs, rules))
t = folded(T + "/base.time.folded")
# ns: ssh 3 x 2000 + http 2 x 2000 + udp 2 x 2000 + ping 2000 + ipv6 1000 (clone ends the slice)
check("flame_time_ns_known", (t["Device;__netif_receive_skb_core"], t["TCP;tcp_v4_rcv"], t["nftables;inet filter input;tcp dport 22 accept [ACCEPT]"]) == (17000, 27000, 600), t)
v = folded(T + "/base.verdict.folded")
check("flame_by_verdict_roots", {s.split(";")[0] for s in v} == {"ACCEPT", "DROP", "NONE"} and v["ACCEPT;UDP;udp_rcv"] == 2 and v["NONE;Device;dev_queue_xmit"] == 1, v)
check("flame_by_verdict_same_total", sum(v.values()) == sum(f.values()), (sum(v.values()), sum(f.values())))

raw = open(T + "/base.flame.svg").read()
try:
    root = ET.fromstring(raw)
    ok = True
except ET.ParseError as e:
    ok = False; check("flame_svg_parses", False, e)
if ok:
    check("flame_svg_parses", root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("width") == "1200")
    ext = re.findall(r'(?:href|src)\s*=|url\(|<script|@import', raw)
    check("flame_svg_self_contained", not ext, ext)
    ns = {"s": "http://www.w3.org/2000/svg"}
    frames = {}
    for g in root.iter("{http://www.w3.org/2000/svg}g"):
        title = g.find("s:title", ns).text
        rect = g.find("s:rect", ns)
        name = title.rsplit(" (", 1)[0]
        frames.setdefault(name, []).append((float(rect.get("width")), title))
    # all + 7 first-level frames (6 layers + nftables) + 10 functions + 1 chain + 4 rules
    check("flame_svg_frame_count", sum(len(x) for x in frames.values()) == 1 + 7 + 10 + 1 + 4, {k: len(x) for k, x in frames.items()})
    total = 51
    w_all = frames["all"][0][0]
    w_tcp = frames["tcp_v4_rcv"][0][0]
    check("flame_svg_width_proportional", abs(w_all - 1180) < 0.01 and abs(w_tcp - 1180 * 5 / total) < 0.01, (w_all, w_tcp))
    check("flame_svg_tooltip_counts", frames["tcp_v4_rcv"][0][1] == "tcp_v4_rcv (5 records, 9.80%)", frames["tcp_v4_rcv"])
PY

# --time: an inferred free (time of the address reuse) gives no weight
"$O/tests/tools/mklog_diff" samples/pictures/inferred.scn "$T/inf.ntl" || echo "FAIL: flame_inferred_mklog"
got=$("$AN" flame --time "$T/inf.ntl")
[ "$got" = "Device;__netif_receive_skb_core 2000" ] && echo "PASS: flame_time_inferred_free_no_weight" \
	|| echo "FAIL: flame_time_inferred_free_no_weight: $got"

# bad input
echo junk > "$T/junk.ntl"
"$AN" flame "$T/junk.ntl" -o "$T/x.folded" 2> "$T/err"; rc=$?
if [ $rc = 2 ] && [ "$(wc -l < "$T/err")" = 1 ] && [ ! -e "$T/x.folded" ]; then
	echo "PASS: flame_bad_log_exit_2_no_output"
else
	echo "FAIL: flame_bad_log_exit_2_no_output: exit $rc, $(cat "$T/err")"
fi
"$AN" flame --width 10 "$LOG" > /dev/null 2>&1; rc=$?
[ $rc = 2 ] && echo "PASS: flame_bad_width_exit_2" || echo "FAIL: flame_bad_width_exit_2: exit $rc"
exit 0
