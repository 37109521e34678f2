#!/bin/bash
# service_unit.sh - samples/nft-record.service: systemd-analyze verify, the
# exposure score of systemd-analyze security --offline=true under the threshold
# (NT_UNIT_EXPOSURE_MAX, x10: 30 = 3.0 "OK"), and a recording run under the
# unit's restrictions emulated with unshare / setpriv (tests/tools/nt-unit-sandbox:
# bounding set, no_new_privs, read-only file system but the state directory,
# private /tmp, no /home, umask).  The recorder, started as the unit starts it
# (no --output: the log goes to the state directory), records three pings that
# B's rule 2 drops: exactly 3 packets [filter input 2 DROP]; its bounding set is
# the unit's, CAP_SYSLOG is gone after attach; writing outside the state
# directory fails with "Read-only file system", exit 2.  The run is traced with
# strace: every system call it made is allowed by the unit's SystemCallFilter=
# (expanded with systemd-analyze syscall-filter), every socket is of a family
# RestrictAddressFamilies= allows, every setns() is into a network namespace.
. "$(dirname "$0")/lib_netns.sh"
nt_lib_init service_unit
UNIT=$NT_ROOT/samples/nft-record.service
SANDBOX=$NT_ROOT/tests/tools/nt-unit-sandbox
MAX=${NT_UNIT_EXPOSURE_MAX:-30}
command -v systemd-analyze >/dev/null || nt_skip "systemd-analyze missing (scripts/deps.sh installs systemd)"
for t in setpriv unshare strace; do command -v $t >/dev/null || nt_skip "$t missing (scripts/deps.sh)"; done
pass() { echo "PASS: $NT_TEST/$1"; }
fail() { echo "FAIL: $NT_TEST/$1: $2"; NT_FAILED=1; }

# ---- the unit file ----
# verify needs the ExecStart binary: a copy pointing at this build
mkdir -p "$NT_TMP/unit"
sed "s|^ExecStart=/usr/sbin/nft-record|ExecStart=$NT_REC|" "$UNIT" > "$NT_TMP/unit/nft-record.service"
if systemd-analyze verify --man=no "$NT_TMP/unit/nft-record.service" > "$NT_TMP/verify.out" 2>&1 &&
   [ ! -s "$NT_TMP/verify.out" ]; then
	pass verify
else
	fail verify "$(head -c 500 "$NT_TMP/verify.out")"
fi
systemd-analyze security --offline=true --threshold="$MAX" "$NT_TMP/unit/nft-record.service" \
	> "$NT_TMP/security.out" 2>&1
rc=$?
score=$(sed -n 's/.*Overall exposure level for nft-record.service: \([0-9.]*\).*/\1/p' "$NT_TMP/security.out")
echo "exposure level $score (threshold $(awk "BEGIN{print $MAX/10}"))"
if [ "$rc" = 0 ] && [ -n "$score" ]; then
	pass "security_exposure_${score}_at_most_$(awk "BEGIN{print $MAX/10}")"
else
	fail security_exposure "exit $rc, exposure '$score' over $MAX/10: $(grep '✗' "$NT_TMP/security.out" | head -5)"
fi
grep -q '^ExecStart=/usr/sbin/nft-record --quiet \$NFT_RECORD_OPTS$' "$UNIT" && pass execstart ||
	fail execstart "ExecStart is not '/usr/sbin/nft-record --quiet \$NFT_RECORD_OPTS'"

# ---- a recording under the unit's restrictions ----
nt_ns_pair 93 || { nt_fail "netns setup failed"; exit 1; }
sed 's/10\.99\.0\.1/10.93.0.1/' "$NT_ROOT/samples/rulesets/drop.nft" > "$NT_TMP/drop.nft"
nt_ns_ruleset "$NSB" "$NT_TMP/drop.nft" || { nt_fail "ruleset"; exit 1; }
STATE=$NT_TMP/state
mkdir -p "$STATE"
chmod 0755 "$STATE"
# as systemd runs it: ExecStart's command line, options from the environment file
ip netns exec "$NSA" "$SANDBOX" "$UNIT" "$STATE" -- \
	strace -f -qq -o /var/lib/nft-tracer/strace.txt \
	"$NT_REC" --quiet --netns "$NSB" --backend tracepoint --duration 4 \
	> "$NT_TMP/rec.out" 2> "$NT_TMP/rec.err" &
WRAP_PID=$!
NT_PIDS+=($WRAP_PID)
NT_REC_PID=""
for i in $(seq 1 100); do
	NT_REC_PID=$(pgrep -P "$WRAP_PID" -x nft-record | head -1)
	[ -n "$NT_REC_PID" ] && ip netns exec "$NSB" nft list tables 2>/dev/null |
		grep -q "nft_record_$NT_REC_PID" && break
	kill -0 "$WRAP_PID" 2>/dev/null || break
	sleep 0.1
done
sleep 0.3
NT_PROG_IDS=$(grep -hs '^prog_id:' /proc/$NT_REC_PID/fdinfo/* | awk '{print $2}' | sort -u | tr '\n' ' ')
NT_LINK_IDS=$(grep -hs '^link_id:' /proc/$NT_REC_PID/fdinfo/* | awk '{print $2}' | sort -u | tr '\n' ' ')
bnd=$(awk '/^CapBnd:/ {print $2}' /proc/$NT_REC_PID/status 2>/dev/null)
eff=$(awk '/^CapEff:/ {print $2}' /proc/$NT_REC_PID/status 2>/dev/null)
nnp=$(awk '/^NoNewPrivs:/ {print $2}' /proc/$NT_REC_PID/status 2>/dev/null)
ip netns exec "$NSA" ping -c3 -i0.2 -W1 "$B4" > /dev/null
wait "$WRAP_PID"
rc=$?
[ "$rc" = 0 ] && pass recorder_exit_0 || fail recorder_exit_0 "exit $rc: $(head -c 500 "$NT_TMP/rec.err")"
# the unit's bounding set, as a mask (within this machine's own: a container may
# lack CAP_SYS_RESOURCE)
want=$(python3 - "$UNIT" <<'EOF'
import re, sys
caps = {"CAP_DAC_OVERRIDE": 1, "CAP_DAC_READ_SEARCH": 2, "CAP_NET_ADMIN": 12, "CAP_IPC_LOCK": 14,
        "CAP_SYS_ADMIN": 21, "CAP_SYS_RESOURCE": 24, "CAP_SYSLOG": 34, "CAP_PERFMON": 38, "CAP_BPF": 39}
line = [l for l in open(sys.argv[1]) if l.startswith("CapabilityBoundingSet=")][-1]
m = 0
for c in line.split("=", 1)[1].split():
    m |= 1 << caps[c]
own = int([l.split()[1] for l in open("/proc/self/status") if l.startswith("CapBnd:")][0], 16)
print("%016x" % (m & own))
EOF
)
[ "$bnd" = "$want" ] && pass "bounding_set_$want" || fail bounding_set "CapBnd $bnd, unit says $want"
if [ -n "$eff" ] && (( (0x$eff >> 34) & 1 )); then
	fail syslog_dropped_after_attach "CapEff $eff still has CAP_SYSLOG"
else
	[ -n "$eff" ] && pass "syslog_dropped_after_attach_CapEff_$eff" || fail syslog_dropped_after_attach "no CapEff read"
fi
[ "$nnp" = 1 ] && pass no_new_privs || fail no_new_privs "NoNewPrivs '$nnp'"
logs=("$STATE"/nft-trace-*.ntl)
NT_LOG=${logs[0]}
if [ "${#logs[@]}" = 1 ] && [ -f "$NT_LOG" ] && [ "$(stat -c %a "$NT_LOG")" = 600 ]; then
	pass log_in_state_directory_0600
else
	fail log_in_state_directory_0600 "logs: $(ls -l "$STATE")"
fi
"$NT_ANA" journeys --json --verdict drop "$NT_LOG" > "$NT_TMP/j.json" 2> "$NT_TMP/a.err"
why=$(python3 - "$NT_TMP/j.json" <<'EOF'
import json, sys
js = [j for j in json.load(open(sys.argv[1]))["journeys"] if j.get("src") == "10.93.0.1" and j.get("icmp_type") == 8]
nft = [[[n["table"], n["chain"], n["handle"], n["verdict"]] for n in j["nft"]] for j in js]
if len(js) != 3 or any(x != [["filter", "input", 2, "DROP"]] for x in nft) or \
   any(j.get("drop_reason") != "NETFILTER_DROP" for j in js):
    print("%d dropped echo requests, nft %s" % (len(js), nft))
EOF
)
[ -z "$why" ] && pass three_drops_recorded || fail three_drops_recorded "$why $(head -c 300 "$NT_TMP/a.err")"
nt_assert_clean && pass nothing_left || true

# ---- system calls, socket families, namespaces of the run against the unit ----
why=$(python3 - "$UNIT" "$STATE/strace.txt" <<'EOF'
import re, subprocess, sys
unit, trace = sys.argv[1], sys.argv[2]
val = lambda k: [l.split("=", 1)[1].strip() for l in open(unit) if l.startswith(k + "=")]
groups, cur = {}, None
for l in subprocess.run(["systemd-analyze", "syscall-filter"], capture_output=True, text=True).stdout.splitlines():
    if l.startswith("@"): cur = groups.setdefault(l.split()[0], [])
    elif cur is not None and l.strip() and not l.strip().startswith("#"): cur.append(l.split()[0])
def expand(n, seen=set()):
    if not n.startswith("@"): return {n}
    if n in seen: return set()
    seen.add(n)
    out = set()
    for x in groups.get(n, []): out |= expand(x, seen)
    return out
allowed = set()
for v in val("SystemCallFilter"):
    if v.startswith("~"): continue
    for n in v.split(): allowed |= expand(n)
allowed |= expand("@default")
used, families, bad = set(), set(), []
for l in open(trace):
    m = re.match(r"^\d+\s+([a-z0-9_]+)\((.*)", l)
    if not m: continue
    used.add(m.group(1))
    if m.group(1) == "socket": families.add(m.group(2).split(",")[0])
    if m.group(1) == "setns" and "CLONE_NEWNET" not in m.group(2): bad.append(l.strip()[:100])
    if m.group(1) in ("unshare", "clone", "clone3") and re.search(r"CLONE_NEW(?!NET)", m.group(2)): bad.append(l.strip()[:100])
if not used: print("strace recorded nothing"); sys.exit()
den = sorted(used - allowed)
fam = sorted(families - set(val("RestrictAddressFamilies")[-1].split()))
if den: print("system calls outside SystemCallFilter=: %s" % den)
if fam: print("socket families outside RestrictAddressFamilies=: %s" % fam)
if bad: print("namespaces other than net: %s" % bad[:3])
print("USED %d" % len(used), file=sys.stderr)
EOF
)
[ -z "$why" ] && pass syscalls_families_namespaces_within_the_unit || fail syscalls_families_namespaces_within_the_unit "$why"

# ---- outside the state directory: read-only, one line, exit 2 ----
ip netns exec "$NSA" "$SANDBOX" "$UNIT" "$STATE" -- \
	"$NT_REC" --quiet --backend tracepoint --duration 1 --output /etc/nt-sandbox.ntl \
	> /dev/null 2> "$NT_TMP/ro.err"
rc=$?
if [ "$rc" = 2 ] && [ "$(cat "$NT_TMP/ro.err")" = "nft-record: /etc/nt-sandbox.ntl: Read-only file system" ] &&
   [ ! -e /etc/nt-sandbox.ntl ]; then
	pass output_outside_state_read_only
else
	fail output_outside_state_read_only "exit $rc: $(head -c 300 "$NT_TMP/ro.err")"
fi
[ "$NT_FAILED" = 0 ] && nt_pass
exit $NT_FAILED
