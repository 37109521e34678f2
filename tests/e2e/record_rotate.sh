#!/bin/bash
# record_rotate.sh - nft-record --rotate / --max-files under a flood, per
# packet against a full recording of the same traffic made at the same time.
# B drops UDP to 9999 by rule D.  Traffic from A: 8000 pings at 1000/s and 300
# UDP datagrams to 9999, each from its own source port, spread over the whole
# ping run (a file holds ~1.5 s of it: UDP sent in the first 3 s alone could
# all land in the first file on a machine where the first file lasts longer).  Three recorders at
# once, all --filter 'host A':
#   full   one file (the oracle)
#   set    --rotate 64k: every file kept
#   last   --rotate 64k --max-files 2
# Asserts: set files BASE-000001.. in sequence, 0600, each analyzes alone with
# rule D named (chain definitions and ruleset in every file); the set read as
# one log = the full log (same packets, the 300 UDP drops by source port with
# [filter input D DROP], same echo requests), unless a loss is counted (then
# the difference is within the counted losses: never silent); last: exactly
# the newest 2 files remain, the summary says how many were removed, they
# read as one log (no gap: the removed ones precede them).
. "$(dirname "$0")/lib_netns.sh"
nt_lib_init record_rotate
nt_ns_pair 96 || { nt_fail "netns setup failed"; exit 1; }
cat > "$NT_TMP/rot.nft" <<NFT
table inet filter {
	chain input {
		type filter hook input priority filter; policy accept;
		udp dport 9999 drop
	}
}
NFT
nt_ns_ruleset "$NSB" "$NT_TMP/rot.nft" || { nt_fail "ruleset"; exit 1; }
HD=$(ip netns exec "$NSB" nft -a list chain inet filter input | awk '/udp dport 9999 drop/ {print $NF}')

# bad input: one line, exit 2
for args in "--rotate 10" "--rotate-every 5" "--max-files 3" "--rotate 1M --max-files 0" "--rotate 1M -o -"; do
	out=$("$NT_REC" $args 2>&1); rc=$?
	[ $rc = 2 ] && [ "$(echo "$out" | wc -l)" = 1 ] && echo "PASS: $NT_TEST/bad_${args// /_}_exit_2" ||
		nt_fail "nft-record $args: exit $rc, '$out'"
done

start_rec() { # NAME OPTIONS...
	local name=$1; shift
	mkdir -p "$NT_TMP/$name"
	ip netns exec "$NSA" "$NT_REC" --netns "$NSB" --filter "host $A4" -o "$NT_TMP/$name/r.ntl" "$@" \
		> "$NT_TMP/$name.out" 2> "$NT_TMP/$name.err" &
	NT_PIDS+=($!)
	eval "PID_$name=$!"
}
start_rec full
start_rec set --rotate 64k
start_rec last --rotate 64k --max-files 2
for i in $(seq 1 100); do
	n=$(ip netns exec "$NSB" nft list tables | grep -c "nft_record_\($PID_full\|$PID_set\|$PID_last\)$")
	[ "$n" = 3 ] && break
	sleep 0.1
done
[ "$n" = 3 ] || { nt_fail "recorders did not start: $(cat "$NT_TMP"/*.err)"; exit 1; }
sleep 0.5
ip netns exec "$NSA" python3 - "$B4" <<'PY' &
import socket, sys, time
for i in range(300):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"rot%d" % i, (sys.argv[1], 9999))
    s.close()
    time.sleep(0.025)
PY
UDP=$!
# 8000 (not 4000 at 500/s): the denser log (EVENTS coding 3) put 4000 in 2
# files of 64k in one CI run, and the checks need at least 3
NPING=8000
ip netns exec "$NSA" ping -i 0.001 -c $NPING "$B4" > /dev/null
wait $UDP
sleep 1.5
for p in $PID_full $PID_set $PID_last; do kill -INT "$p"; done
for name in full set last; do
	eval "wait \$PID_$name"; rc=$?
	[ $rc = 0 ] || nt_fail "recorder $name exit $rc: $(cat "$NT_TMP/$name.err")"
done

# the set: names in sequence, 0600, each file alone
files=$(ls "$NT_TMP/set" | sort)
nset=$(echo "$files" | wc -l)
want=$(for i in $(seq 1 "$nset"); do printf 'r-%06d.ntl\n' "$i"; done)
[ "$files" = "$want" ] && [ "$nset" -ge 3 ] && echo "PASS: $NT_TEST/set_${nset}_files_in_sequence" ||
	nt_fail "set files: $(echo $files)"
bad=""; named_later=0
for f in "$NT_TMP"/set/*.ntl; do
	[ "$(stat -c %a "$f")" = 600 ] || bad="$bad $f:mode"
	"$NT_ANA" journeys --json "$f" > "$NT_TMP/one.json" 2> "$NT_TMP/one.err" || bad="$bad $f:exit$?"
	# every UDP drop journey of the file alone names rule D in filter/input (its
	# own chain definitions and ruleset); how many do
	k=$(python3 - "$NT_TMP/one.json" "$HD" <<'PY'
import json, sys
js = json.load(open(sys.argv[1]))["journeys"]
udp = [j for j in js if j["proto"] == "UDP" and j.get("dport") == 9999 and not j["incomplete"]]
steps = [[(n["table"], n["chain"], n.get("handle"), n.get("verdict")) for n in j["nft"] if n["kind"] == "rule"
          and not n["table"].startswith("nft_record_")] for j in udp]
steps = [s for s in steps if s]  # a step lost (netlink, counted) leaves a journey without
print(-1 if any(s != [("filter", "input", int(sys.argv[2]), "DROP")] for s in steps) else len(steps))
PY
)
	[ "$k" = -1 ] && bad="$bad $f:rule"
	[ "$f" != "$NT_TMP/set/r-000001.ntl" ] && [ "${k:-0}" -gt 0 ] && named_later=1
done
[ -z "$bad" ] && [ $named_later = 1 ] && echo "PASS: $NT_TEST/each_file_alone_0600_rule_named" ||
	nt_fail "files alone:$bad (rule named in a file after the first: $named_later)"

for name in full set last; do
	"$NT_ANA" journeys --json "$NT_TMP/$name"/*.ntl > "$NT_TMP/$name.j.json" 2> "$NT_TMP/$name.ana.err" ||
		nt_fail "nft-analyze journeys $name: exit $?: $(head -c 300 "$NT_TMP/$name.ana.err")"
	"$NT_ANA" stats --json "$NT_TMP/$name"/*.ntl > "$NT_TMP/$name.s.json" 2>> "$NT_TMP/$name.ana.err" ||
		nt_fail "nft-analyze stats $name: exit $?"
done
python3 - "$NT_TMP" "$HD" "$A4" "$B4" "$NPING" <<'PY' || NT_FAILED=1
import json, sys
tmp, hd, a4, b4, nping = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
bad = 0
def check(ok, name, why=""):
    global bad
    print(("PASS: " if ok else "FAIL: ") + "record_rotate/" + name + ("" if ok else ": " + why))
    bad += not ok
def load(name):
    js = json.load(open(f"{tmp}/{name}.j.json"))["journeys"]
    st = json.load(open(f"{tmp}/{name}.s.json"))["stats"]
    return js, st
def lost(st):
    return sum(v for k, v in st["loss"].items() if isinstance(v, int) and k in ("ringbuf", "netlink", "user"))
full, fst = load("full")
st_set = load("set")
def udp_drops(js):
    return sorted(j["sport"] for j in js if j["proto"] == "UDP" and j.get("dport") == 9999 and j["dst"] == b4
                  and [(n["table"], n.get("handle"), n.get("verdict")) for n in j["nft"] if n["kind"] == "rule"
                       and not n["table"].startswith("nft_record_")] == [("filter", hd, "DROP")])
def reqs(js):
    return sum(1 for j in js if j["proto"] == "ICMP" and j.get("icmp_type") == 8 and j["src"] == a4)
sj, sst = st_set
fu, su = udp_drops(full), udp_drops(sj)
print(f"  full: {len(full)} packets, {len(fu)} UDP drops, {reqs(full)} echo requests, lost {lost(fst)}; "
      f"set: {len(sj)} packets, {len(su)} UDP drops, {reqs(sj)} echo requests, lost {lost(sst)}")
# each log: the 300 UDP drops by rule D and the NPING requests, or what is
# missing is within its counted losses (never silent)
for name, js, st in (("full", full, fst), ("set", sj, sst)):
    missing = max(0, 300 - len(udp_drops(js))) + max(0, nping - reqs(js))
    check(missing <= lost(st), f"{name}_all_packets_or_losses_counted", f"{missing} missing, {lost(st)} counted lost")
if lost(fst) == 0 and lost(sst) == 0:
    check(su == fu and len(sj) == len(full), "set_read_as_one_log_equals_full_log",
          f"UDP drops set {len(su)} vs full {len(fu)}; packets {len(sj)} vs {len(full)}")
lj, lst = load("last")
check(len(lj) > 0 and len(lj) < len(full), "last_two_files_hold_the_end", f"{len(lj)} packets vs full {len(full)}")
sys.exit(bad != 0)
PY
# --max-files 2: the newest two remain, the summary counts the removed ones
last=$(ls "$NT_TMP/last" | sort | tr '\n' ' ')
n=$(sed -n 's/.*rotation set [0-9a-f]*: files [0-9]*\.\.\([0-9]*\) written, \([0-9]*\) removed.*/\1 \2/p' "$NT_TMP/last.err")
set -- $n
if [ -n "$1" ] && [ "$1" -ge 3 ] && [ "$2" = $(($1 - 2)) ] &&
   [ "$last" = "$(printf 'r-%06d.ntl r-%06d.ntl ' $(($1 - 1)) "$1")" ]; then
	echo "PASS: $NT_TEST/max_files_2_newest_remain (files 1..$1, $2 removed)"
else
	nt_fail "--max-files 2: files '$last', summary '$(grep rotation "$NT_TMP/last.err")'"
fi
[ "$NT_FAILED" = 0 ] && nt_pass
exit $NT_FAILED
