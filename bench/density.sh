#!/bin/bash
# bench/density.sh - bytes on disk per event and per packet of .ntl logs,
# against the same events / packets written the ways other tools write them:
#   - baseline "prototype JSON": the packet traces as JSON (`nft-analyze
#     journeys --json`, the prototype's per-packet trace objects: ~1 KB each);
#   - baseline "text lines": the events as the prototype's live lines
#     (`nft-analyze events`), plain and zstd -3 compressed.
# Two logs: a real recording (nft-record on this host, tracepoint + nftrace
# mode, ping flood + iperf3 TCP/UDP between two namespaces, a ruleset with a
# rule per protocol in the receiver) and the generated log of bench/analyze.scn.
#   BENCH_QUICK=1   smaller logs (scenario x 20000 instead of x 200000; 1 s of iperf3)
# Writes bench/results/density.json.  Needs root for the recording part (SKIPped otherwise).
set -u
cd "$(dirname "$0")/.."
O=${O:-build}
AN=$O/nft-analyze REC=$O/nft-record MKLOG=$O/tests/tools/mklog EDIT=$O/tests/tools/ntl_edit
QUICK=${BENCH_QUICK:-0}
REPEAT=200000; IPT=3; PINGS=5000
[ "$QUICK" = 1 ] && { REPEAT=20000; IPT=1; PINGS=2000; }
[ -x "$AN" ] && [ -x "$MKLOG" ] && [ -x "$EDIT" ] || { echo "bench/density.sh: build first (make nft-analyze unit)" >&2; exit 1; }
. bench/lib/netns.bash
W=$(mktemp -d /tmp/nt-bench-density.XXXXXX)
NS=ntbd
cleanup() {
	[ -n "${RPID:-}" ] && kill "$RPID" 2> /dev/null
	[ -n "${SPID:-}" ] && kill "$SPID" 2> /dev/null
	bench_netns_down $NS
	rm -rf "$W"
}
trap cleanup EXIT

# measure LOG LABEL BLOCK_BYTES -> one JSON object on stdout
measure() {
	local log=$1 label=$2 bb=$3
	"$AN" stats --json "$log" > "$W/st.json" || return 1
	# the same records in format 2.0's EVENTS coding 1 and 2.1's coding 2
	# (the sizes before coding 2 and coding 3)
	rm -f "$W/c1.ntl" "$W/c2.ntl"
	"$EDIT" "$log" -o "$W/c1.ntl" --coding 1 --block-bytes "$bb" || return 1
	"$EDIT" "$log" -o "$W/c2.ntl" --coding 2 --block-bytes "$bb" || return 1
	stat -c %s "$W/c1.ntl" > "$W/c1bytes"
	stat -c %s "$W/c2.ntl" > "$W/c2bytes"
	"$AN" journeys --json "$log" | wc -c > "$W/jbytes"
	"$AN" events "$log" | tee >(zstd -3 -T1 -c | wc -c > "$W/zbytes") |
		awk '{ n++; b += length($0) + 1; s = $0; sub(/^\[ *[0-9]+\] /, "", s); split(s, w, " "); c[w[1]]++ }
		END { printf "{\"lines\": %d, \"bytes\": %d", n, b; for (k in c) printf ", \"%s\": %d", k, c[k]; print "}" }' > "$W/ev.json"
	sleep 0.5
	NT_BENCH_LIB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib" python3 - "$log" "$W/st.json" "$W/jbytes" "$W/ev.json" "$W/zbytes" "$label" "$W/c1bytes" "$W/c2bytes" <<'PY'
import json, os, sys
sys.path.insert(0, os.environ["NT_BENCH_LIB"])
from ntl_frames import EVENTS, blocks
log, stf, jbf, evf, zbf, label, c1f, c2f = sys.argv[1:]
ev_blocks = meta_blocks = 0
for typ, flags, data in blocks(log):
    if typ == EVENTS:
        ev_blocks += 16 + len(data)
    else:
        meta_blocks += 16 + len(data)
st = json.load(open(stf))["stats"]["totals"]
ev = json.load(open(evf))
print(json.dumps({
    "log": label, "file_bytes": os.path.getsize(log), "events_block_bytes": ev_blocks,
    "metadata_block_bytes": meta_blocks, "records": ev["lines"], "func_records": ev.get("FUNC", 0),
    "records_by_kind": {k: v for k, v in ev.items() if k not in ("lines", "bytes")},
    "packets": st["packets"], "journeys_json_bytes": int(open(jbf).read()),
    "events_text_bytes": ev["bytes"], "events_text_zstd3_bytes": int(open(zbf).read() or 0),
    "coding1_file_bytes": int(open(c1f).read()), "coding2_file_bytes": int(open(c2f).read())}))
PY
}

# 1. generated log
"$MKLOG" -o "$W/gen.ntl" --repeat "$REPEAT" bench/analyze.scn > /dev/null || exit 1
measure "$W/gen.ntl" "generated (bench/analyze.scn x $REPEAT)" 0 > "$W/gen.json" || exit 1

# 2. real recording on this host
real=""
if [ "$(id -u)" = 0 ] && [ -x "$REC" ] && command -v iperf3 > /dev/null && bench_netns_up $NS; then
	echo "$BENCH_RULESET" | ip netns exec ${NS}_b nft -f - &&
	ip netns exec ${NS}_b iperf3 -s -D -1 -p 5201 > /dev/null 2>&1
	"$REC" -q -b tracepoint -n ${NS}_a,${NS}_b --filter 'net 10.98.0.0/24' -d 120 -o "$W/rec.ntl" --force \
		> /dev/null 2> "$W/rec.err" &
	RPID=$!
	sleep 2
	ip netns exec ${NS}_a ping -q -f -c "$PINGS" 10.98.0.2 > /dev/null
	ip netns exec ${NS}_a iperf3 -c 10.98.0.2 -t "$IPT" -b 200M > /dev/null
	ip netns exec ${NS}_b iperf3 -s -D -1 -p 5201 > /dev/null 2>&1; sleep 0.3
	ip netns exec ${NS}_a iperf3 -c 10.98.0.2 -u -t "$IPT" -b 20M > /dev/null
	sleep 1
	kill -INT $RPID; wait $RPID; rrc=$?; RPID=""
	if [ $rrc = 0 ]; then
		# nft-record writes 512 KiB blocks
		measure "$W/rec.ntl" "nft-record on $(uname -r), tracepoint + nftrace, ping -f $PINGS + iperf3 TCP/UDP ${IPT}s" 524288 > "$W/rec.json" && real=$W/rec.json
	else
		echo "bench/density.sh: nft-record exit $rrc: $(tail -2 "$W/rec.err")" >&2
	fi
fi

python3 - "$W/gen.json" "${real:-}" <<'PY' | python3 bench/lib/bench.py emit density
import json, sys
logs = [json.load(open(sys.argv[1]))]
if sys.argv[2]:
    logs.insert(0, json.load(open(sys.argv[2])))
rows, notes = [], []
for i, d in enumerate(logs):
    tag = "real" if (len(logs) == 2 and i == 0) else "generated"
    fb, rec, pk = d["file_bytes"], d["records"], max(d["packets"], 1)
    rows.append({"name": f"{tag}: bytes/record", "value": round(fb / rec, 3), "unit": "B",
                 "baseline": "events as text lines", "baseline_value": round(d["events_text_bytes"] / rec, 1),
                 "target": "<= 8 B/event", "met": fb / rec <= 8})
    rows.append({"name": f"{tag}: bytes/record", "value": round(fb / rec, 3), "unit": "B",
                 "baseline": "text lines | zstd -3", "baseline_value": round(d["events_text_zstd3_bytes"] / rec, 3),
                 "target": "<= 0.5 x", "met": fb <= 0.5 * d["events_text_zstd3_bytes"]})
    rows.append({"name": f"{tag}: file bytes (EVENTS coding 3)", "value": fb, "unit": "B",
                 "baseline": "same records, coding 1 (format 2.0)", "baseline_value": d["coding1_file_bytes"]})
    rows.append({"name": f"{tag}: file bytes (EVENTS coding 3)", "value": fb, "unit": "B",
                 "baseline": "same records, coding 2 (format 2.1)", "baseline_value": d["coding2_file_bytes"]})
    rows.append({"name": f"{tag}: coding 2 bytes/record (format 2.1)", "value": round(d["coding2_file_bytes"] / rec, 3), "unit": "B",
                 "baseline": "text lines | zstd -3", "baseline_value": round(d["events_text_zstd3_bytes"] / rec, 3),
                 "target": "<= 0.5 x", "met": d["coding2_file_bytes"] <= 0.5 * d["events_text_zstd3_bytes"]})
    if d["func_records"]:
        rows.append({"name": f"{tag}: bytes/function hit (all bytes)", "value": round(fb / d["func_records"], 3), "unit": "B",
                     "baseline": "text lines / function hit", "baseline_value": round(d["events_text_bytes"] / d["func_records"], 1),
                     "target": "<= 8 B/event", "met": fb / d["func_records"] <= 8})
    rows.append({"name": f"{tag}: bytes/packet", "value": round(fb / pk, 1), "unit": "B",
                 "baseline": "prototype-style JSON (journeys --json)", "baseline_value": round(d["journeys_json_bytes"] / pk, 1)})
    notes.append(f"{tag}: {d['log']}: {rec} records ({d['func_records']} FUNC), {d['packets']} packets, "
                 f"{fb} bytes ({d['events_block_bytes']} in EVENTS blocks, {d['metadata_block_bytes']} metadata), "
                 f"records/packet {rec / pk:.1f}; kinds {d['records_by_kind']}")
if len(logs) == 1:
    notes.append("real recording skipped (needs root, nft-record, iperf3)")
print(json.dumps({"logs": logs, "table": rows, "notes": notes}))
PY
