#!/bin/bash
# soak_keep_rotate.sh - the always-on soak of issue #19, short form (NT_SOAK_S
# seconds, default 90; bench: longer): --keep drop --rotate 64k --rotate-every
# 15s --max-files 3
# under steady traffic, beside a full recording of the same traffic (oracle).
# Traffic from A for the whole time: UDP to B:9998 (a socket reads them:
# delivered) at ~200/s and to B:9999 (rule D drops them) at ~20/s.
# Asserts: the keep recorder's RSS is flat (sampled every 3 s: the highest
# sample of the last third at most the highest of the middle third + 2 MiB); files rotate, at
# most 3 remain (the newest, in sequence), the summary counts the removed
# ones; every remaining file analyzes alone; the remaining files read as one
# log hold exactly the dropped packets of the full log over the time they
# cover (by source port; the packets of their first and last 0.2 s left out),
# nothing else; no loss counted.
# And what soak_record.sh (now in make bench only) checked of a full recording,
# on this one: its RSS grows at most 4 MiB after a 10 s warm-up (sampled every
# 3 s), its log is complete and holds exactly the dropped datagrams sent (by
# source port), both recorders exit 0 and leave nothing behind (tables, BPF
# programs, links).
. "$(dirname "$0")/lib_netns.sh"
nt_lib_init soak_keep_rotate
S=${NT_SOAK_S:-90}
nt_ns_pair 95 || { nt_fail "netns setup failed"; exit 1; }
cat > "$NT_TMP/soak.nft" <<NFT
table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		udp dport 9999 drop
	}
}
NFT
nt_ns_ruleset "$NSB" "$NT_TMP/soak.nft" || { nt_fail "ruleset"; exit 1; }
ip netns exec "$NSB" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 9998))
while True: s.recv(2048)' &
NT_PIDS+=($!)
mkdir -p "$NT_TMP/full" "$NT_TMP/keep"
ip netns exec "$NSA" "$NT_REC" --netns "$NSB" --filter "host $A4" -o "$NT_TMP/full/r.ntl" \
	> "$NT_TMP/full.out" 2> "$NT_TMP/full.err" &
PF=$!; NT_PIDS+=($PF)
ip netns exec "$NSA" "$NT_REC" --netns "$NSB" --filter "host $A4" --keep drop --rotate 64k --rotate-every 15s --max-files 3 \
	-o "$NT_TMP/keep/k.ntl" > "$NT_TMP/keep.out" 2> "$NT_TMP/keep.err" &
PK=$!; NT_PIDS+=($PK)
for i in $(seq 1 100); do
	n=$(ip netns exec "$NSB" nft list tables | grep -c "nft_record_\($PF\|$PK\)$")
	[ "$n" = 2 ] && break
	sleep 0.1
done
[ "$n" = 2 ] || { nt_fail "recorders did not start: $(cat "$NT_TMP"/*.err)"; exit 1; }
sleep 0.5
# BPF programs / links each recorder holds, to check they are gone at the end
ids() { grep -hs "^$1_id:" /proc/"$2"/fdinfo/* | awk '{print $2}' | sort -u | tr '\n' ' '; }
IDS_F="$(ids prog $PF)|$(ids link $PF)" IDS_K="$(ids prog $PK)|$(ids link $PK)"
ip netns exec "$NSA" python3 - "$B4" "$S" "$NT_TMP/sent" <<'PY' &
import socket, sys, time
end = time.time() + float(sys.argv[2])
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(50)]
i, drops = 0, []
while time.time() < end:
    for k in range(10):
        socks[(i + k) % 50].sendto(b"ok", (sys.argv[1], 9998))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # a new source port per drop
    s.sendto(b"drop", (sys.argv[1], 9999))
    drops.append(s.getsockname()[1])
    s.close()
    i += 1
    time.sleep(0.05)
open(sys.argv[3], "w").write(" ".join(map(str, drops)) + "\n")
PY
TP=$!
: > "$NT_TMP/rss"; : > "$NT_TMP/rss_full"
t0=$(date +%s)
while kill -0 $TP 2>/dev/null; do
	awk '/^VmRSS/ {print $2}' /proc/$PK/status >> "$NT_TMP/rss"
	echo "$(( $(date +%s) - t0 )) $(awk '/^VmRSS/ {print $2}' /proc/$PF/status)" >> "$NT_TMP/rss_full"
	for i in 1 2 3 4 5 6; do kill -0 $TP 2>/dev/null && sleep 0.5; done
done
wait $TP
sleep 1.5
kill -INT $PF $PK
wait $PF; rf=$?
wait $PK; rk=$?
[ $rf = 0 ] && [ $rk = 0 ] || nt_fail "recorders exit $rf / $rk: $(tail -3 "$NT_TMP/keep.err")"
# nothing left behind by either recorder: tables (host, both namespaces), programs, links
left=""
for p in "$PF|$IDS_F" "$PK|$IDS_K"; do
	IFS='|' read -r pid progs links <<< "$p"
	[ -n "$progs" ] || left="$left no program ids seen for $pid;"
	for ns in "" "$NSA" "$NSB"; do
		${ns:+ip netns exec "$ns"} nft list tables 2> /dev/null | grep -q "nft_record_$pid\$" && left="$left table of $pid in ${ns:-host};"
	done
	for i in $(seq 1 30); do # freed after an RCU grace period
		l=""
		for id in $progs; do bpftool prog show id "$id" > /dev/null 2>&1 && l="$l prog:$id"; done
		for id in $links; do bpftool link show id "$id" > /dev/null 2>&1 && l="$l link:$id"; done
		[ -z "$l" ] && break
		sleep 0.1
	done
	left="$left$l"
done
[ -z "$left" ] && echo "PASS: $NT_TEST/nothing_left" || nt_fail "left behind:$left"

files=$(ls "$NT_TMP/keep" | sort | tr '\n' ' ')
read -r last removed <<< "$(sed -n 's/.*rotation set [0-9a-f]*: files [0-9]*\.\.\([0-9]*\) written, \([0-9]*\) removed.*/\1 \2/p' "$NT_TMP/keep.err")"
if [ -n "$last" ] && [ "$last" -ge 4 ] && [ "$removed" = $((last - 3)) ] &&
   [ "$files" = "$(printf 'k-%06d.ntl k-%06d.ntl k-%06d.ntl ' $((last - 2)) $((last - 1)) "$last")" ]; then
	echo "PASS: $NT_TEST/rotated_${last}_files_3_remain"
else
	nt_fail "files '$files', summary '$(grep rotation "$NT_TMP/keep.err")'"
fi
bad=""
for f in "$NT_TMP"/keep/*.ntl; do "$NT_ANA" stats "$f" > /dev/null 2>&1 || bad="$bad $f"; done
[ -z "$bad" ] && echo "PASS: $NT_TEST/each_file_alone" || nt_fail "files that do not analyze alone:$bad"
"$NT_ANA" journeys --json "$NT_TMP"/keep/*.ntl > "$NT_TMP/keep.json" 2> "$NT_TMP/keep.ana" || nt_fail "journeys keep: $(cat "$NT_TMP/keep.ana")"
"$NT_ANA" journeys --json "$NT_TMP/full/r.ntl" > "$NT_TMP/full.json" 2> "$NT_TMP/full.ana" || nt_fail "journeys full"
"$NT_ANA" stats --json "$NT_TMP"/keep/*.ntl > "$NT_TMP/keep.s.json" 2>> "$NT_TMP/keep.ana"
"$NT_ANA" stats --json "$NT_TMP/full/r.ntl" > "$NT_TMP/full.s.json" 2>> "$NT_TMP/full.ana"
python3 - "$NT_TMP" <<'PY' || NT_FAILED=1
import json, sys
tmp = sys.argv[1]
bad = 0
def check(ok, name, why=""):
    global bad
    print(("PASS: " if ok else "FAIL: ") + "soak_keep_rotate/" + name + ("" if ok else ": " + why))
    bad += not ok
keep = json.load(open(tmp + "/keep.json"))["journeys"]
full = json.load(open(tmp + "/full.json"))["journeys"]
lost = lambda n: sum(v for k, v in json.load(open(f"{tmp}/{n}.s.json"))["stats"]["loss"].items()
                     if k in ("ringbuf", "netlink", "user"))
rss = [int(x) for x in open(tmp + "/rss").read().split()]
third = max(1, len(rss) // 3)
check(len(rss) >= 6 and max(rss[-third:]) <= max(rss[third:2 * third]) + 2048, "rss_flat",
      f"RSS kB samples {rss}")
print(f"  RSS kB {rss}; kept journeys {len(keep)}, full packets {len(full)}")
check(lost("keep") == 0 and lost("full") == 0, "no_loss", f"keep {lost('keep')} full {lost('full')}")
dropped = lambda j: j["dropped"] or j["verdict"] == "DROP"
check(all(dropped(j) for j in keep), "keep_holds_only_drops",
      str([(j["flow"], j["verdict"]) for j in keep if not dropped(j)][:5]))
t0 = min(j["first_ts_ns"] for j in keep) + 200_000_000
t1 = max(j["first_ts_ns"] for j in keep) - 200_000_000
win = lambda js: sorted(j.get("sport", 0) for j in js if dropped(j) and t0 <= j["first_ts_ns"] <= t1)
wk, wf = win(keep), win(full)
check(wk == wf and len(wf) > 100, "kept_drops_equal_full_log_drops",
      f"{len(wk)} kept vs {len(wf)} in the full log over the same time")
# the full recording (soak_record's checks): complete, every dropped datagram
# sent is in it (by source port), RSS flat after a 10 s warm-up
fs = json.load(open(tmp + "/full.s.json"))["stats"]
sent = sorted(int(x) for x in open(tmp + "/sent").read().split())
fdrop = sorted(j.get("sport", 0) for j in full if dropped(j) and j.get("dport") == 9999)
check(fs["totals"]["log_complete"] and fdrop == sent and len(sent) > 100, "full_log_complete_all_drops",
      f"complete {fs['totals']['log_complete']}, {len(fdrop)} dropped in the full log, {len(sent)} sent "
      f"(missing {sorted(set(sent) - set(fdrop))[:5]}, extra {sorted(set(fdrop) - set(sent))[:5]})")
rf = [(int(t), int(k)) for t, k in (l.split() for l in open(tmp + "/rss_full") if len(l.split()) == 2)]
after = [k for t, k in rf if t >= 10]
check(len(after) >= 2 and max(after) - after[0] <= 4096, "full_rss_flat",
      f"full recorder RSS kB (s, kB) {rf}: growth after 10 s {max(after) - after[0] if after else None} KiB, bound 4096")
print(f"  full recorder RSS kB {[k for t, k in rf]}; full log {fs['totals']['events']} events, "
      f"{fs['totals']['packets']} packets, {len(sent)} drops sent")
sys.exit(bad != 0)
PY
[ "$NT_FAILED" = 0 ] && nt_pass
exit $NT_FAILED
