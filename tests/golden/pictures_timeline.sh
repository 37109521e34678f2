#!/bin/bash
# tests/golden/pictures_timeline.sh - nft-analyze timeline: the trace-event
# JSON of samples/diff/base.ntl is validated against the trace-event format
# (ph / ts / pid / tid / dur / s / id / bp fields, metadata events, X slices
# properly nested per thread, every flow v2 arrow (bind_id + flow_out on one
# slice, flow_in on one slice of another thread) complete) and its
# contents checked exactly (slices, durations, instants, clone arrow), in
# packet mode and --by-cpu; outputs compared with samples/pictures/.
#   UPDATE_GOLDEN=1 bash tests/golden/pictures_timeline.sh   rewrites the golden files
set -u
cd "${NT_TOP:-$(dirname "$0")/../..}"
O=${O:-build}
AN=$O/nft-analyze
G=samples/pictures
LOG=samples/diff/base.ntl
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
[ -x "$AN" ] || { echo "FAIL: timeline_build: $AN missing"; exit 1; }

"$AN" timeline "$LOG" -o "$T/trace.json"; rc=$?
[ $rc = 0 ] && echo "PASS: timeline_exit_0" || echo "FAIL: timeline_exit_0: exit $rc"
"$AN" timeline --by-cpu "$LOG" > "$T/cpu.json"; rc=$?
[ $rc = 0 ] && echo "PASS: timeline_by_cpu_exit_0" || echo "FAIL: timeline_by_cpu_exit_0: exit $rc"
if [ "$(stat -c %a "$T/trace.json")" = 644 ] && ! ls "$T" | grep -q tmp; then
	echo "PASS: timeline_output_file_mode_0644_no_temp_left"
else
	echo "FAIL: timeline_output_file_mode_0644_no_temp_left: $(ls -l "$T")"
fi
for f in trace cpu; do
	src=$T/$f.json; [ $f = trace ] && dst=$G/base.trace.json || dst=$G/base.cpu-trace.json
	[ "${UPDATE_GOLDEN:-0}" = 1 ] && cp "$src" "$dst"
	cmp -s "$src" "$dst" && echo "PASS: timeline_golden_$f" || echo "FAIL: timeline_golden_$f: differs from $dst"
done

python3 - "$T/trace.json" "$T/cpu.json" <<'PY'
import json, sys, collections
def check(name, cond, why=""):
    print(("PASS: " if cond else "FAIL: ") + name + ("" if cond else ": " + why))

def validate(path, tag):
    d = json.load(open(path))
    ok, why = True, ""
    if not isinstance(d, dict) or not isinstance(d.get("traceEvents"), list):
        check(f"timeline_{tag}_schema", False, "no traceEvents array"); return None
    slices = collections.defaultdict(list)
    flows = {}
    for e in d["traceEvents"]:
        ph = e.get("ph")
        if ph not in ("X", "i", "s", "f", "M"):
            ok, why = False, f"ph {ph!r}"; break
        if not isinstance(e.get("pid"), int) or not isinstance(e.get("tid"), int) or not isinstance(e.get("name"), str):
            ok, why = False, f"pid/tid/name in {e}"; break
        if ph == "M":
            if e["name"] not in ("process_name", "thread_name", "process_sort_index", "thread_sort_index") or "args" not in e:
                ok, why = False, f"metadata {e}"; break
            continue
        if not isinstance(e.get("ts"), (int, float)) or e["ts"] < 0:
            ok, why = False, f"ts in {e}"; break
        if ph == "X":
            if not isinstance(e.get("dur"), (int, float)) or e["dur"] < 0:
                ok, why = False, f"dur in {e}"; break
            slices[(e["pid"], e["tid"])].append((e["ts"], e["ts"] + e["dur"], e["name"]))
        if ph == "i" and e.get("s") not in ("t", "p", "g"):
            ok, why = False, f"instant scope {e}"; break
        if ph in ("s", "f"):
            ok, why = False, f"v1 flow event {e} (flows are v2: bind_id on slices)"; break
        if "bind_id" in e:
            if ph != "X" or not isinstance(e["bind_id"], int) or (e.get("flow_out") is True) == (e.get("flow_in") is True):
                ok, why = False, f"flow v2 fields {e}"; break
            flows.setdefault(e["bind_id"], {}).setdefault("out" if e.get("flow_out") else "in", []).append(e)
    check(f"timeline_{tag}_event_fields", ok, why)
    # slices on one thread nest or are disjoint (what trace viewers require)
    bad = []
    for k, v in slices.items():
        v.sort(key=lambda s: (s[0], -(s[1] - s[0])))
        stack = []
        for s in v:
            while stack and stack[-1][1] <= s[0] + 1e-9 and not (stack[-1][0] == s[0] and s[1] <= stack[-1][1]):
                stack.pop()
            if stack and s[1] > stack[-1][1] + 1e-9:
                bad.append((k, stack[-1], s))
            stack.append(s)
    check(f"timeline_{tag}_slices_nest", not bad, str(bad[:3]))
    fl_ok = all(len(f.get("out", [])) == 1 and len(f.get("in", [])) == 1 and f["in"][0]["ts"] >= f["out"][0]["ts"]
                and f["in"][0]["pid"] == f["out"][0]["pid"] and f["in"][0]["tid"] != f["out"][0]["tid"] for f in flows.values())
    check(f"timeline_{tag}_flows_paired", fl_ok, str(flows))
    return d

d = validate(sys.argv[1], "packet")
if d:
    ev = d["traceEvents"]
    procs = {e["pid"]: e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "process_name"}
    check("timeline_one_process_per_packet", sorted(procs) == list(range(1, 10)), str(procs))
    check("timeline_process_name_packet_1", procs.get(1) == "packet 1: TCP 10.0.0.1:40000 → 10.0.0.2:22 ACCEPT, consumed", procs.get(1))
    f1 = [(e["name"], e["cat"], e["ts"], e["dur"]) for e in ev if e["ph"] == "X" and e["pid"] == 1 and e["cat"] not in ("layer", "nft")]
    want = [("__netif_receive_skb_core", "Device", 0.0, 2.0), ("ip_rcv", "IPv4", 2.0, 1.0), ("nf_hook_slow", "Netfilter", 3.0, 0.5),
            ("ip_local_deliver", "IPv4", 4.5, 1.0), ("tcp_v4_rcv", "TCP", 5.5, 5.0)]
    check("timeline_packet_1_function_slices", f1 == want, str(f1))
    l1 = [(e["name"], e["ts"], e["dur"]) for e in ev if e["ph"] == "X" and e["pid"] == 1 and e["cat"] == "layer"]
    check("timeline_packet_1_layer_slices", l1 == [("Device", 0.0, 2.0), ("IPv4", 2.0, 1.0), ("Netfilter", 3.0, 0.5), ("IPv4", 4.5, 1.0), ("TCP", 5.5, 5.0)], str(l1))
    c1 = [(e["name"], e["ts"], e["dur"], e["args"]["verdict"]) for e in ev if e["ph"] == "X" and e["pid"] == 1 and e["cat"] == "nft"]
    check("timeline_packet_1_chain_slice", c1 == [("nft inet filter input", 3.5, 0.7, "ACCEPT")], str(c1))
    r1 = [(e["name"], e["ts"], e["args"]["handle"], e["args"]["text"]) for e in ev if e["ph"] == "i" and e["pid"] == 1]
    check("timeline_packet_1_rule_instant", r1 == [("tcp dport 22 accept [ACCEPT]", 4.0, 4, "tcp dport 22 accept")], str(r1))
    d7 = [(e["name"], e["ts"], e["args"]["reason"], e["args"]["function"]) for e in ev if e["ph"] == "i" and e["pid"] == 7 and e["cat"] == "drop"]
    check("timeline_packet_7_drop_instant", d7 == [("drop NO_SOCKET", 2108.5, 3, "skb:kfree_skb")], str(d7))
    p8 = [e["name"] for e in ev if e["ph"] == "i" and e["pid"] == 8]
    check("timeline_packet_8_rule_and_drop", p8 == ["ip saddr 10.0.0.4 drop [DROP]", "drop NETFILTER_DROP"], str(p8))
    th9 = sorted((e["tid"], e["args"]["name"]) for e in ev if e["ph"] == "M" and e["name"] == "thread_name" and e["pid"] == 9)
    check("timeline_clone_gets_own_thread", th9 == [(0, "skb 0xffff888000009000"), (1, "skb 1: 0xffff888000009100")], str(th9))
    fl = sorted((e["name"], e["tid"], e["ts"], e["bind_id"], "out" if e.get("flow_out") else "in") for e in ev if "bind_id" in e)
    check("timeline_clone_flow_arrow", fl == [("clone -> skb 1", 0, 4001.0, 1, "out"), ("clone of skb 0", 1, 4001.0, 1, "in")], str(fl))
    x9 = [e["name"] for e in ev if e["ph"] == "X" and e["pid"] == 9 and e["tid"] == 1 and e["cat"] not in ("layer", "link")]
    check("timeline_clone_thread_slices", x9 == ["dev_queue_xmit"], str(x9))
    nfunc = sum(1 for e in ev if e["ph"] == "X" and e["cat"] not in ("layer", "nft", "link"))
    check("timeline_43_function_slices", nfunc == 43, str(nfunc))
    check("timeline_other_data", d.get("otherData", {}).get("hostname") == "host-a" and d.get("displayTimeUnit") == "ns", str(d.get("otherData")))
c = validate(sys.argv[2], "cpu")
if c:
    ev = c["traceEvents"]
    th = sorted((e["tid"], e["args"]["name"]) for e in ev if e["ph"] == "M" and e["name"] == "thread_name")
    check("timeline_cpu_threads", th == [(0, "CPU 0"), (1, "CPU 1")], str(th))
    xs = [e for e in ev if e["ph"] == "X"]
    check("timeline_cpu_43_function_slices", len(xs) == 43, str(len(xs)))
    first = sorted((e["ts"], e["name"], e["dur"], e["args"]["packet"]) for e in xs if e["tid"] == 1)[:2]
    check("timeline_cpu_first_slices", first == [(0.0, "__netif_receive_skb_core", 2.0, 1), (2.0, "ip_rcv", 1.0, 1)], str(first))
    inst = sum(1 for e in ev if e["ph"] == "i")
    check("timeline_cpu_instants_8_rules_3_drops", inst == 11, str(inst))
PY

# interleaved packets on two CPUs (bench/analyze.scn x 200): both modes valid
if "$O/tests/tools/mklog" -o "$T/bench.ntl" --repeat 200 bench/analyze.scn 2> /dev/null; then
	"$AN" timeline "$T/bench.ntl" -o "$T/bp.json" && "$AN" timeline --by-cpu "$T/bench.ntl" -o "$T/bc.json" \
		|| echo "FAIL: timeline_bench_exit"
	python3 - "$T/bp.json" "$T/bc.json" <<'PY'
import json, sys, collections
for path, tag in ((sys.argv[1], "packet"), (sys.argv[2], "cpu")):
    ev = json.load(open(path))["traceEvents"]
    sl = collections.defaultdict(list)
    ok = all(e["ph"] in "XiM" and isinstance(e["pid"], int) and isinstance(e["tid"], int) for e in ev)
    for e in ev:
        if e["ph"] == "X":
            ok = ok and e["dur"] >= 0 and e["ts"] >= 0
            sl[(e["pid"], e["tid"])].append((e["ts"], e["ts"] + e["dur"]))
    bad = 0
    for v in sl.values():
        v.sort(key=lambda s: (s[0], -(s[1] - s[0])))
        st = []
        for s in v:
            while st and st[-1][1] <= s[0] + 1e-9 and not (st[-1][0] == s[0] and s[1] <= st[-1][1]):
                st.pop()
            if st and s[1] > st[-1][1] + 1e-9:
                bad += 1
            st.append(s)
    nproc = len({e["pid"] for e in ev if e["ph"] == "M" and e["name"] == "process_name"})
    want = 400 if tag == "packet" else 1
    good = ok and not bad and nproc == want
    print(("PASS: " if good else "FAIL: ") + f"timeline_bench_{tag}_valid_nested_{nproc}_processes" + ("" if good else f": fields ok {ok}, {bad} overlapping slices"))
PY
else
	echo "FAIL: timeline_bench_mklog: cannot generate the log"
fi

# an inferred free (time of the address reuse) does not stretch the last slice
if "$O/tests/tools/mklog_diff" samples/pictures/inferred.scn "$T/inf.ntl"; then
	"$AN" timeline "$T/inf.ntl" > "$T/inf.json"; "$AN" timeline --by-cpu "$T/inf.ntl" > "$T/infc.json"
	python3 - "$T/inf.json" "$T/infc.json" <<'PY'
import json, sys
for path, tag in ((sys.argv[1], "packet"), (sys.argv[2], "cpu")):
    x = [(e["name"], e["ts"], e["dur"]) for e in json.load(open(path))["traceEvents"] if e["ph"] == "X" and e.get("cat") != "layer"]
    ok = x == [("__netif_receive_skb_core", 0.0, 2.0), ("ip_rcv", 2.0, 0.0)]
    print(("PASS: " if ok else "FAIL: ") + f"timeline_{tag}_inferred_free_ends_nothing" + ("" if ok else f": {x}"))
PY
else
	echo "FAIL: timeline_inferred_mklog"
fi

# --max-packets: only the first N completed packets get tracks
"$AN" timeline --max-packets 2 "$LOG" > "$T/two.json"
n=$(python3 -c 'import json,sys; print(sorted({e["pid"] for e in json.load(open(sys.argv[1]))["traceEvents"]}))' "$T/two.json")
[ "$n" = "[1, 2]" ] && echo "PASS: timeline_max_packets_2" || echo "FAIL: timeline_max_packets_2: pids $n"

# bad input
echo junk > "$T/junk.ntl"
"$AN" timeline "$T/junk.ntl" -o "$T/x.json" 2> "$T/err"; rc=$?
if [ $rc = 2 ] && [ "$(wc -l < "$T/err")" = 1 ] && [ ! -e "$T/x.json" ] && ! ls "$T" | grep -q 'x.json.tmp'; then
	echo "PASS: timeline_bad_log_exit_2_no_output"
else
	echo "FAIL: timeline_bad_log_exit_2_no_output: exit $rc, $(cat "$T/err")"
fi
head -c 1200 "$LOG" > "$T/cut.ntl"
"$AN" timeline "$T/cut.ntl" -o "$T/cut.json" 2> "$T/err"; rc=$?
if [ $rc = 3 ] && python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$T/cut.json" && grep -q truncated "$T/err"; then
	echo "PASS: timeline_truncated_log_exit_3_valid_json"
else
	echo "FAIL: timeline_truncated_log_exit_3_valid_json: exit $rc, $(cat "$T/err")"
fi
exit 0
