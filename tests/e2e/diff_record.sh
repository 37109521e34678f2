#!/bin/bash
# diff_record.sh - nft-analyze diff on real recordings (nft-record, netns A<->B):
# three pings recorded with samples/rulesets/policy.nft (accepted by policy),
# again with the same ruleset, and with drop.nft (dropped by rule).  The two
# policy recordings are equivalent (timing ignored: --ignore latency); the
# drop recording differs by verdict ACCEPT -> DROP on 3 of 3 echo requests,
# by nft path (policy -> the drop rule's text), by the drop reason
# NETFILTER_DROP, and by the echo replies that vanish.  The recorder's own
# nftrace table (nft_record_<pid>) must not make recordings differ.
. "$(dirname "$0")/lib_netns.sh"
nt_lib_init diff_record
# a subnet of its own (the recorder sees every namespace: other tests' pings must not match)
nt_ns_pair 97 || { nt_fail "netns setup failed"; exit 1; }

record() { # RULESET OUT   (the sample rulesets name 10.99.0.1: rewritten to $A4)
	ip netns exec "$NSB" nft flush ruleset
	sed "s/10\.99\.0\.1/$A4/g" "$NT_ROOT/samples/rulesets/$1" > "$NT_TMP/$1"
	nt_ns_ruleset "$NSB" "$NT_TMP/$1" || { nt_fail "ruleset $1"; return 1; }
	nt_record_start "$NSA" "$NSB" -- -q --filter "icmp and host $A4"
	ip netns exec "$NSA" ping -c3 -i0.2 -W1 "$B4" > /dev/null
	nt_record_stop INT
	[ "$NT_REC_RC" = 0 ] || nt_fail "recorder exit $NT_REC_RC: $(head -c 300 "$NT_TMP/rec.err")"
	mv "$NT_LOG" "$NT_TMP/$2"
}
record policy.nft base.ntl
record policy.nft again.ntl
record drop.nft drop.ntl
cd "$NT_TMP" || exit 1

"$NT_ANA" diff --ignore latency base.ntl again.ntl > eq.out 2> eq.err; rc=$?
[ $rc = 0 ] || nt_fail "two policy recordings: exit $rc, want 0: $(cat eq.out eq.err | head -20)"

"$NT_ANA" diff --json base.ntl drop.ntl > d.json 2> d.err; rc=$?
[ $rc = 1 ] || nt_fail "policy vs drop: exit $rc, want 1: $(head -c 300 d.err)"
python3 - d.json <<'PY' || nt_fail "policy vs drop: differences (above)"
import json, sys
d = json.load(open(sys.argv[1]))
D = d["differences"]
def find(cls, **kw):
    return [x for x in D if x["class"] == cls and all(x.get(k) == v for k, v in kw.items())]
errs = []
v = find("verdict", flow="ICMP 10.97.0.1 → 10.97.0.2 echo-request")
if not (len(v) == 1 and (v[0]["base"], v[0]["new"], v[0]["packets"], v[0]["matched_packets"]) == ("ACCEPT", "DROP", 3, 3)):
    errs.append(("verdict", v))
r = find("rule", flow="ICMP 10.97.0.1 → 10.97.0.2 echo-request")
if not (len(r) == 1 and r[0]["base"].endswith("inet filter input: policy [ACCEPT]")
        and r[0]["new"].endswith("inet filter input: ip saddr 10.97.0.1 icmp type echo-request drop [DROP]")
        and "nft_record_" not in r[0]["base"] + r[0]["new"]):
    errs.append(("rule", r))
if [x["reason"] for x in find("drop")] != ["NETFILTER_DROP"] or find("drop")[0]["packets"] != 3:
    errs.append(("drop", find("drop")))
f = find("flow", flow="ICMP 10.97.0.2 → 10.97.0.1 echo-reply")
if not (len(f) == 1 and (f[0]["base_packets"], f[0]["new_packets"]) == (3, 0)):
    errs.append(("flow", f))
if errs:
    print(json.dumps(errs, indent=1, ensure_ascii=False)); print(json.dumps(D, indent=1, ensure_ascii=False)[:3000])
    sys.exit(1)
PY
# the pictures of a real recording: valid outputs, exit 0
"$NT_ANA" timeline drop.ntl -o t.json && python3 -c 'import json,sys; json.load(open(sys.argv[1]))' t.json \
	|| nt_fail "timeline of a real recording"
"$NT_ANA" flame drop.ntl | grep -q '^nftables;inet filter input;ip saddr 10.97.0.1 icmp type echo-request drop \[DROP\] 3$' \
	|| nt_fail "flame of a real recording: no drop rule stack with count 3: $("$NT_ANA" flame drop.ntl | head -20)"
"$NT_ANA" report drop.ntl -o r.html && grep -q 'id="nt-packets"' r.html || nt_fail "report of a real recording"
[ "$NT_FAILED" = 0 ] && nt_pass
exit $NT_FAILED
