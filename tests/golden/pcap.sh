#!/bin/bash
# tests/golden/pcap.sh - issue #18 offline: journeys / events of a log with
# packet bytes, conntrack and kernel stacks (tests/golden/bytes.scn) against
# samples/bytes/*, and `nft-analyze pcap` with tshark and tcpdump as oracles:
# no malformed packet, no expert error, one frame per captured header version
# with the journeys' addresses / ports / verdict / rule handle in its comment
# (tests/tools/pcap_check.py), both versions of the NATed flow, --headers-only,
# filters, `-o -`, a log without bytes (exit 2, one line), a cut log (exit 3).
#   UPDATE_GOLDEN=1 bash tests/golden/pcap.sh   rewrites the golden files
set -u
cd "${NT_TOP:-$(dirname "$0")/../..}"
O=${O:-build}
AN=$O/nft-analyze
MKLOG=$O/tests/tools/mklog
G=samples/bytes
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; fails=$((fails + 1)); }

[ -x "$AN" ] && [ -x "$MKLOG" ] || { echo "FAIL: pcap_build: $AN or $MKLOG missing (make nft-analyze unit)"; exit 1; }
"$MKLOG" -o "$T/b.ntl" tests/golden/bytes.scn || { echo "FAIL: mklog bytes.scn: exit $?"; exit 1; }
LOG=$T/b.ntl

# ---- journeys / events (text, JSON) ----
gold() { # NAME ARGS...
	local name=$1; shift
	"$AN" "$@" "$LOG" > "$T/$name" 2> "$T/$name.err"; local rc=$?
	[ "${UPDATE_GOLDEN:-0}" = 1 ] && cp "$T/$name" "$G/$name"
	if [ $rc != 0 ]; then fail "$name" "exit $rc: $(head -n 2 "$T/$name.err")"
	elif [ -s "$T/$name.err" ]; then fail "$name" "stderr: $(head -n 2 "$T/$name.err")"
	elif ! diff -u "$G/$name" "$T/$name" > "$T/$name.diff"; then fail "$name" "differs from $G/$name: $(head -n 20 "$T/$name.diff")"
	else pass "$name"; fi
}
gold journeys.out journeys
gold journeys.json journeys --json
gold events.out events
gold events.ndjson events --ndjson
for f in journeys.json events.ndjson; do
	python3 -c 'import json,sys
t=open(sys.argv[1]).read()
[json.loads(l) for l in t.splitlines()] if sys.argv[1].endswith("ndjson") else json.loads(t)' "$T/$f" 2>/dev/null &&
		pass "${f}_valid" || fail "${f}_valid" "not valid JSON"
done
# per packet: the facts the scenario wrote, in the journeys JSON
python3 - "$T/journeys.json" <<'PY' || fails=$((fails + 1))
import json, sys
j = {p["packet"]: p for p in json.load(open(sys.argv[1]))["journeys"]}
bad = 0
def check(name, cond, why=""):
    global bad
    print(("PASS: " if cond else "FAIL: ") + name + ("" if cond else ": " + str(why)))
    bad += not cond
check("ct_new_then_nat", j[1]["ct_states"] == ["new"] and j[1]["ct_nat"]["source"] and
      j[1]["ct_nat"]["reply"]["dst"] == "192.0.2.1" and j[1]["ct_nat"]["orig"]["src"] == "10.0.1.2", j[1].get("ct_nat"))
check("ct_established_reply", j[2]["ct_states"] == ["established"] and j[2]["ct"][0]["dir"] == "reply", j[2]["ct"])
check("ct_status_names", j[3]["ct"][0]["status"] == ["SEEN_REPLY", "ASSURED", "CONFIRMED", "SRC_NAT", "SRC_NAT_DONE"], j[3]["ct"][0])
check("ct_connection_new_established", [(c["state"], c["packet"]) for c in j[3]["ct_connection"]] ==
      [("new", 1), ("established", 2)], j[3].get("ct_connection"))
check("ct_invalid", j[6]["ct_states"] == ["invalid"], j[6].get("ct_states"))
check("ct_nftrace_not_available", j[7]["ct"][0]["source"] == "nftrace" and j[7]["ct"][0]["id"] == "0x1a2b3c4d" and
      j[7]["ct"][0]["not_available"] == ["tuples", "zone", "mark"], j[7]["ct"][0])
check("drop_stack_nft", j[4]["drop_stack_id"] == 1 and j[4]["drop_stack"][:2] == ["kfree_skb_reason+0x4a", "nf_hook_slow+0x9c"], j[4].get("drop_stack"))
check("verdict_stack_nft_do_chain", j[4]["verdict_stack_id"] == 3 and
      j[4]["verdict_stack"][0] == "nft_do_chain [nf_tables]+0x123" and "nf_hook_slow+0x5b" in j[4]["verdict_stack"] and
      j[4]["stacks"][0]["at"] == "rule inet filter input #8: DROP", j[4].get("stacks"))
check("stackref_at_function", j[7]["stacks"][0]["at"] == "udp_rcv" and j[7]["stacks"][0]["stack_id"] == 1 and
      "verdict_stack" not in j[7], j[7].get("stacks"))
check("drop_stack_no_socket", j[5]["drop_reason"] == "NO_SOCKET" and "__udp4_lib_rcv+0x321" in j[5]["drop_stack"], j[5].get("drop_stack"))
check("frame_past_snapshot_hex", j[6]["drop_stack"] == ["kfree_skb_reason+0x4a", "0x1000"], j[6].get("drop_stack"))
check("captures_two_versions", [c["why"] for c in j[1]["captures"]] == ["first sight", "headers changed"], j[1]["captures"])
check("capture_cut", j[4]["captures"][0]["caplen"] == 40 and j[4]["captures"][0]["origlen"] == 1500, j[4]["captures"])
check("no_capture_no_member", "captures" not in j[8], list(j[8]))
sys.exit(1 if bad else 0)
PY

# ---- pcap ----
if ! command -v tshark > /dev/null || ! command -v tcpdump > /dev/null; then
	echo "SKIP: pcap_tshark: tshark / tcpdump missing (scripts/deps.sh installs them)"
	exit $((fails > 0))
fi
TS() { # tshark, its stderr without the "Running as user root" note in $T/tshark.err
	tshark "$@" 2> "$T/tshark.raw"; local rc=$?
	grep -v '^Running as user' "$T/tshark.raw" > "$T/tshark.err"
	return $rc
}
"$AN" events --json "$LOG" > "$T/ev.json"

"$AN" pcap "$LOG" -o "$T/all.pcapng" 2> "$T/pcap.err"; rc=$?
[ $rc = 0 ] && [ ! -s "$T/pcap.err" ] && pass pcap_exit_0 || fail pcap_exit_0 "exit $rc: $(cat "$T/pcap.err")"
[ "$(stat -c %a "$T/all.pcapng")" = 600 ] && pass pcap_mode_0600 || fail pcap_mode_0600 "mode $(stat -c %a "$T/all.pcapng")"
bad=$(TS -r "$T/all.pcapng" -Y '_ws.malformed || _ws.expert.severity == "Error"' -T fields -e frame.number); rc=$?
[ $rc = 0 ] && [ -z "$bad" ] && pass tshark_no_malformed_no_expert_error || fail tshark_no_malformed_no_expert_error "rc $rc, frames: $bad $(cat "$T/tshark.err")"
TS -r "$T/all.pcapng" -T json > "$T/all.json" && python3 tests/tools/pcap_check.py "$T/ev.json" "$T/journeys.json" "$T/all.json" --nat ||
	fails=$((fails + 1))
first=$(TS -r "$T/all.pcapng" -c 1 -T fields -e frame.time_epoch)
[ "$first" = 1764241000.000010000 ] && pass pcap_wall_clock || fail pcap_wall_clock "first frame at $first, expected boot_time_ns + ts = 1764241000.000010000"
TS -r "$T/all.pcapng" -T fields -e frame.interface_name -e frame.interface_description > "$T/ifs"
[ "$(sort -u "$T/ifs" | tr '\t' ' ')" = "lan0 netns 4026532100 ifindex 5
wan0 netns 4026532100 ifindex 6" ] && pass pcap_interfaces || fail pcap_interfaces "$(sort -u "$T/ifs")"
tcpdump -nr "$T/all.pcapng" > "$T/td" 2> "$T/td.err"; rc=$?
[ $rc = 0 ] && [ "$(wc -l < "$T/td")" = 10 ] && grep -q 'IP 192.0.2.1.40000 > 198.51.100.1.80: Flags \[S\]' "$T/td" &&
	pass tcpdump_reads_it || fail tcpdump_reads_it "rc $rc, $(wc -l < "$T/td") lines: $(head -n 3 "$T/td.err")"

"$AN" pcap --headers-only "$LOG" -o "$T/ho.pcapng" && TS -r "$T/ho.pcapng" -T json > "$T/ho.json" &&
	python3 tests/tools/pcap_check.py "$T/ev.json" "$T/journeys.json" "$T/ho.json" --headers-only | grep -v '^PASS' ;
python3 tests/tools/pcap_check.py "$T/ev.json" "$T/journeys.json" "$T/ho.json" --headers-only > "$T/ho.check" &&
	pass pcap_headers_only || fail pcap_headers_only "$(grep FAIL "$T/ho.check" | head -n 3)"

"$AN" pcap --verdict drop "$LOG" -o "$T/drop.pcapng" && TS -r "$T/drop.pcapng" -T json > "$T/drop.json" &&
	python3 tests/tools/pcap_check.py "$T/ev.json" "$T/journeys.json" "$T/drop.json" --packets 4,6 > "$T/drop.check" &&
	pass pcap_filter_verdict_drop || fail pcap_filter_verdict_drop "$(grep FAIL "$T/drop.check" | head -n 3)"
"$AN" pcap --port 23 "$LOG" -o "$T/p23.pcapng" && [ "$(TS -r "$T/p23.pcapng" -T fields -e tcp.dstport)" = 23 ] &&
	pass pcap_filter_port || fail pcap_filter_port "$(TS -r "$T/p23.pcapng" 2>&1 | head -n 3)"
"$AN" pcap "$LOG" -o - | cat > "$T/stdout.pcapng"
cmp -s "$T/stdout.pcapng" "$T/all.pcapng" && pass pcap_stdout_same_bytes || fail pcap_stdout_same_bytes "-o - differs from -o FILE"
"$AN" pcap --verdict stolen "$LOG" -o "$T/none.pcapng"; rc=$?
[ $rc = 0 ] && [ "$(TS -r "$T/none.pcapng" | wc -l)" = 0 ] && [ ! -s "$T/tshark.err" ] &&
	pass pcap_no_packet_selected_valid_empty || fail pcap_no_packet_selected_valid_empty "rc $rc $(cat "$T/tshark.err")"

# a log without bytes: exit 2, one line, no file
"$AN" pcap samples/basic.ntl -o "$T/nob.pcapng" 2> "$T/nob.err"; rc=$?
[ $rc = 2 ] && [ "$(wc -l < "$T/nob.err")" = 1 ] && grep -q -- '--capture-bytes' "$T/nob.err" && [ ! -e "$T/nob.pcapng" ] &&
	[ -z "$(ls "$T" | grep 'nob.pcapng.tmp')" ] &&
	pass pcap_no_bytes_exit_2 || fail pcap_no_bytes_exit_2 "rc $rc: $(cat "$T/nob.err")"
"$AN" pcap samples/basic.ntl -o - 2> /dev/null | wc -c > "$T/nob.n"
[ "$(cat "$T/nob.n")" = 0 ] && pass pcap_no_bytes_stdout_empty || fail pcap_no_bytes_stdout_empty "$(cat "$T/nob.n") bytes on stdout"
"$AN" pcap "$LOG" 2> "$T/noo.err"; rc=$?
[ $rc = 2 ] && grep -q 'missing -o FILE' "$T/noo.err" && pass pcap_needs_output || fail pcap_needs_output "rc $rc $(cat "$T/noo.err")"
"$AN" pcap --json "$LOG" -o "$T/j.pcapng" 2> "$T/j.err"; rc=$?
[ $rc = 2 ] && pass pcap_json_refused || fail pcap_json_refused "rc $rc"

# a cut log: exit 3, the packets completed before the damage, a valid file
"$MKLOG" -o "$T/small.ntl" --block-bytes 600 tests/golden/bytes.scn
size=$(stat -c %s "$T/small.ntl")
head -c $((size - 300)) "$T/small.ntl" > "$T/cut.ntl"
"$AN" pcap "$T/cut.ntl" -o "$T/cut.pcapng" 2> "$T/cut.err"; rc=$?
n=$(TS -r "$T/cut.pcapng" | wc -l)
[ $rc = 3 ] && grep -q 'truncated at offset' "$T/cut.err" && [ ! -s "$T/tshark.err" ] && [ "$n" -gt 0 ] && [ "$n" -lt 10 ] &&
	pass pcap_cut_log_exit_3 || fail pcap_cut_log_exit_3 "rc $rc, $n frames: $(cat "$T/cut.err" "$T/tshark.err")"
exit $((fails > 0))
