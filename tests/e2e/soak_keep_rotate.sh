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
ip netns exec "$NSA" python3 - "$B4" "$S" <<'PY' &
import socket, sys, time
end = time.time() + float(sys.argv[2])
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(50)]
i = 0
while time.time() < end:
    for k in range(10):
        socks[(i + k) % 50].sendto(b"ok", (sys.argv[1], 9998))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # a new source port per drop
    s.sendto(b"drop", (sys.argv[1], 9999))
    s.close()
    i += 1
    time.sleep(0.05)
PY
TP=$!
: > "$NT_TMP/rss"
while kill -0 $TP 2>/dev/null; do
	awk '/^VmRSS/ {print $2}' /proc/$PK/status >> "$NT_TMP/rss"
	sleep 3
done
sleep 1.5
kill -INT $PF $PK
wait $PF; rf=$?
wait $PK; rk=$?
[ $rf = 0 ] && [ $rk = 0 ] || nt_fail "recorders exit $rf / $rk: $(tail -3 "$NT_TMP/keep.err")"

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
sys.exit(bad != 0)
PY
[ "$NT_FAILED" = 0 ] && nt_pass
exit $NT_FAILED
