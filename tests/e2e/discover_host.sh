#!/bin/bash
# discover_host.sh - nft-discover on the host kernel: known functions with the
# right layer / priority / kind / argument, documented JSON fields, flags, and
# every documented error (one stderr line, exit code).
set -u
cd "$(dirname "$0")/../.."
O=${O:-build}
BIN=$PWD/$O/nft-discover
T=$(mktemp -d /tmp/nt_discover_host.XXXXXX)
trap 'rm -rf "$T"' EXIT

if [ ! -x "$BIN" ]; then echo "FAIL: discover_host: $BIN not built"; exit 1; fi
if [ ! -r /sys/kernel/btf/vmlinux ]; then echo "SKIP: discover_host: no /sys/kernel/btf/vmlinux"; exit 0; fi
if [ "$(awk 'NR==1{print $1}' /proc/kallsyms)" = 0000000000000000 ]; then
	echo "SKIP: discover_host: kallsyms addresses hidden (run as root)"; exit 0
fi

ok() { echo "PASS: discover_host/$1"; }
ko() { echo "FAIL: discover_host/$1: $2"; }

# check NAME EXPECTED_RC STDERR_PATTERN -- CMD...: exit code and exactly one stderr line matching
check_err() {
	local name=$1 want=$2 pat=$3; shift 4
	"$@" >"$T/out" 2>"$T/err"
	local rc=$? lines
	lines=$(wc -l <"$T/err")
	if [ "$rc" != "$want" ]; then ko "$name" "exit $rc, expected $want ($(head -c 300 "$T/err"))"
	elif [ "$lines" != 1 ]; then ko "$name" "$lines stderr lines, expected 1: $(head -c 300 "$T/err")"
	elif ! grep -q -- "$pat" "$T/err"; then ko "$name" "stderr '$(cat "$T/err")' lacks '$pat'"
	else ok "$name"; fi
}

cd "$T"
if "$BIN" -q; then ok default_run; else ko default_run "exit $?"; fi
[ -f enhanced_skb_functions.json ] && [ -f trace_config.json ] && ok default_file_names || ko default_file_names "files missing"
if "$BIN" -q --output f.json --config c.json --max-trace 100 2>err; then ok run; else ko run "exit $?: $(cat err)"; fi
[ -s err ] && ko run_quiet "stderr not empty: $(cat err)" || ok run_quiet
ls "$T" | grep -q '\.tmp\.' && ko atomic_no_temp "temp file left" || ok atomic_no_temp

python3 - "$T/f.json" "$T/c.json" <<'PY'
import json, sys
fails = []
def ok(n): print("PASS: discover_host/" + n)
def ko(n, w): print("FAIL: discover_host/%s: %s" % (n, w))
f = json.load(open(sys.argv[1])); c = json.load(open(sys.argv[2]))
fs = {}
for x in f["functions"]:
    fs.setdefault(x["name"], x)

# documented fields and types
types = {"name": str, "module": str, "layer": str, "priority": int, "kind": str, "arg": int,
         "btf_id": int, "addrs": list, "probeable": bool, "flags": list}
layers = ["Device", "GRO", "Netfilter", "IPv4", "IPv6", "TCP", "UDP", "Routing", "Xmit", "SoftIRQ",
          "Bridge", "Socket", "Other"]
kinds = ["skb", "skb_pp", "skb_via", "nft_hook", "tracepoint"]
bad = []
for x in f["functions"]:
    for k, t in types.items():
        if not isinstance(x.get(k), t) or (t is int and isinstance(x.get(k), bool)):
            bad.append("%s.%s" % (x.get("name"), k))
    extra = set(x) - set(types) - {"via", "ksym_alias"}
    if extra: bad.append("%s: undocumented %s" % (x["name"], sorted(extra)))
    if x["layer"] not in layers: bad.append(x["name"] + " layer")
    if x["kind"] not in kinds: bad.append(x["name"] + " kind")
    if not 0 <= x["priority"] <= 3: bad.append(x["name"] + " priority")
    if not 1 <= x["arg"] <= 5: bad.append(x["name"] + " arg")
    if x["probeable"] != (x["flags"] == []): bad.append(x["name"] + " probeable/flags")
    if x["probeable"] and len(x["addrs"]) != 1: bad.append(x["name"] + " addrs")
    if any(not a.startswith("0x") for a in x["addrs"]): bad.append(x["name"] + " addr format")
    if ("via" in x) != (x["kind"] in ("skb_via",) or (x["kind"] == "nft_hook" and x["name"] == "nft_do_chain")) and x["kind"] != "tracepoint":
        bad.append(x["name"] + " via")
    if set(x["flags"]) - {"no_ksym", "multi_addr", "blacklist", "notrace"}: bad.append(x["name"] + " flags")
(ko("fields", "; ".join(bad[:10])) if bad else ok("fields"))

s = f["summary"]
n = len(f["functions"])
cond = [s["functions"] == n, s["selected"] == n,
        sum(v["functions"] for v in s["by_layer"].values()) == n,
        sum(s["by_kind"].values()) == n, sum(s["by_priority"].values()) == n,
        s["probeable"] == sum(1 for x in f["functions"] if x["probeable"]),
        all(s["by_layer"][l]["functions"] == sum(1 for x in f["functions"] if x["layer"] == l) for l in layers),
        s["config"] == len(c["functions"]), s["btf_functions"] > 1000, s["kallsyms"] > 1000,
        isinstance(s["time_ms"]["scan"], (int, float)), f["version"] == "1.0",
        n > 1000]
ok("summary") if all(cond) else ko("summary", "conditions %s" % cond)

# ordering: (priority, layer order, name)
keys = [(x["priority"], layers.index(x["layer"]), x["name"]) for x in f["functions"]]
ok("sorted") if keys == sorted(keys) else ko("sorted", "functions not in (priority, layer, name) order")

def expect(tag, names, layer, prio, kind, arg, via=None):
    for nm in names:
        x = fs.get(nm)
        if x:
            got = (x["layer"], x["priority"], x["kind"], x["arg"], x.get("via"))
            want = (layer, prio, kind, arg, via)
            ok("known/" + tag) if got == want else ko("known/" + tag, "%s: %s, expected %s" % (nm, got, want))
            return
    ko("known/" + tag, "none of %s found" % names)

expect("ip_rcv", ["ip_rcv"], "IPv4", 0, "skb", 1)
expect("netif_receive_skb_core", ["__netif_receive_skb_core"], "Device", 0, "skb_pp", 1)
expect("nft_do_chain", ["nft_do_chain"], "Netfilter", 0, "nft_hook", 1, "nft_pktinfo.skb")
expect("nft_do_chain_ipv4", ["nft_do_chain_ipv4"], "Netfilter", 1, "nft_hook", 2)
expect("nft_immediate_eval", ["nft_immediate_eval"], "Netfilter", 1, "skb_via", 3, "nft_pktinfo.skb")
expect("tcp_v4_rcv", ["tcp_v4_rcv"], "TCP", 0, "skb", 1)
expect("ipv6_rcv", ["ipv6_rcv"], "IPv6", 0, "skb", 1)
expect("dev_queue_xmit", ["__dev_queue_xmit", "dev_queue_xmit"], "Xmit", 0, "skb", 1)
if "kfree_skb_reason" in fs:
    expect("kfree_skb_reason", ["kfree_skb_reason"], "Other", 0, "skb", 1)
else:  # 6.11+: kfree_skb_reason is an inline wrapper of sk_skb_reason_drop(sk, skb, reason)
    expect("kfree_skb_reason", ["sk_skb_reason_drop"], "Other", 0, "skb", 2)
expect("nf_hook_slow", ["nf_hook_slow"], "Netfilter", 0, "skb", 1)
expect("icmp_rcv", ["icmp_rcv"], "IPv4", 1, "skb", 1)
expect("udp_rcv", ["udp_rcv"], "UDP", 0, "skb", 1)
expect("ip_forward", ["ip_forward"], "IPv4", 0, "skb", 1)
expect("ip_output", ["ip_output"], "IPv4", 0, "skb", 3)
expect("fib_validate_source", ["fib_validate_source"], "Routing", 1, "skb", 1)
expect("gro", ["napi_gro_receive", "gro_receive_skb"], "GRO", 0, "skb", 2)
expect("tp_kfree_skb", ["skb:kfree_skb"], "Other", 0, "tracepoint", 1)
expect("tp_netif_receive_skb", ["net:netif_receive_skb"], "Device", 0, "tracepoint", 1)
"net_rx_action" in fs and ko("net_rx_action", "takes no skb but was found") or ok("net_rx_action_absent")
for nm in ["ip_rcv", "nft_do_chain", "tcp_v4_rcv", "skb:kfree_skb"]:
    if not fs.get(nm, {}).get("probeable"): ko("probeable", nm + " not probe-able")

# trace_config.json
cf = c["functions"]
bad = []
if c.get("version") != "1.0": bad.append("version")
if len(cf) != 100: bad.append("len %d" % len(cf))
for x in cf:
    for k, t in {"name": str, "layer": str, "priority": int, "enabled": bool, "kind": str,
                 "arg": int, "module": str}.items():
        if not isinstance(x.get(k), t): bad.append("%s.%s" % (x.get("name"), k))
    y = fs.get(x["name"])
    if not y or not y["probeable"] or y["layer"] != x["layer"] or y["priority"] != x["priority"]:
        bad.append(x["name"] + " mismatch")
    if x["enabled"] is not True: bad.append(x["name"] + " enabled")
# it is the first 100 probe-able functions in file order
want = [x["name"] for x in f["functions"] if x["probeable"]][:100]
if [x["name"] for x in cf] != want: bad.append("not the top 100 probe-able by priority")
ok("config") if not bad else ko("config", "; ".join(bad[:10]))
PY

# --priority / --layers filters (space-separated words and comma list give the same result)
"$BIN" -q -o p0.json -c p0c.json --priority 0 --max-trace 0 && python3 - <<'PY'
import json
f = json.load(open("p0.json")); c = json.load(open("p0c.json"))
ok = all(x["priority"] == 0 for x in f["functions"]) and len(f["functions"]) == f["summary"]["by_priority"]["0"] \
     and len(c["functions"]) == sum(1 for x in f["functions"] if x["probeable"]) and len(c["functions"]) >= 10
print("PASS: discover_host/priority_filter" if ok else "FAIL: discover_host/priority_filter: wrong selection")
PY
"$BIN" -q -o l1.json -c l1c.json --layers Netfilter IPv4 --max-trace 20 &&
"$BIN" -q -o l2.json -c l2c.json --layers netfilter,ipv4 --max-trace 20 && python3 - <<'PY'
import json
a = json.load(open("l1c.json")); b = json.load(open("l2c.json")); f = json.load(open("l1.json"))
ok = a == b and len(a["functions"]) == 20 and {x["layer"] for x in f["functions"]} == {"Netfilter", "IPv4"} \
     and {x["layer"] for x in a["functions"]} <= {"Netfilter", "IPv4"} \
     and [x["name"] for x in a["functions"][:2]] == ["nf_hook_slow", "nft_do_chain"]
print("PASS: discover_host/layers_filter" if ok else "FAIL: discover_host/layers_filter: %s" % [x["name"] for x in a["functions"][:3]])
PY
"$BIN" --json -o j.json -c jc.json >j.out && python3 -c "
import json; s = json.load(open('j.out')); f = json.load(open('j.json'))
s.pop('time_ms'); f['summary'].pop('time_ms')
print('PASS: discover_host/json_summary' if s == f['summary'] else 'FAIL: discover_host/json_summary: differs from the file summary')"
"$BIN" -o t.json -c tc.json >t.out && grep -q '^  Netfilter ' t.out && grep -q 'probe-able' t.out && grep -q 'scan .* ms' t.out &&
	ok text_summary || ko text_summary "$(head -3 t.out)"
"$BIN" --help | grep -q -- '--btf=FILE|DIR' && ok help || ko help "--help lacks --btf"

# errors: one line, documented exit codes
check_err unknown_layer 2 "unknown layer 'Bogus'" -- "$BIN" -q --layers IPv4,Bogus
check_err unknown_layer_word 2 "unknown layer 'Nope'" -- "$BIN" -q --layers IPv4 Nope
check_err bad_max_trace 2 "--max-trace must be an integer" -- "$BIN" -q --max-trace ten
check_err bad_priority 2 "--priority must be an integer 0..3" -- "$BIN" -q --priority 4
check_err stray_arg 2 "unexpected argument 'foo'" -- "$BIN" -q foo
check_err missing_btf 2 "cannot read BTF /nonexistent" -- "$BIN" -q --btf /nonexistent
head -c 4096 /dev/urandom >garbage.btf
check_err corrupt_btf 2 "garbage.btf is not a valid BTF file" -- "$BIN" -q --btf garbage.btf
printf '\x9f\xeb\x01\x00\x18\x00\x00\x00' >trunc.btf
check_err truncated_btf 2 "trunc.btf is not a valid BTF file" -- "$BIN" -q --btf trunc.btf
check_err missing_kallsyms 2 "cannot read kallsyms /nonexistent/ks" -- "$BIN" -q --kallsyms /nonexistent/ks
awk '{ $1 = "0000000000000000"; print }' /proc/kallsyms >zero.ks
check_err zero_kallsyms 2 "run as root or pass --kallsyms FILE" -- "$BIN" -q --kallsyms zero.ks
echo "not a kallsyms file" >text.ks
check_err empty_kallsyms 2 "holds no kallsyms lines" -- "$BIN" -q --kallsyms text.ks
check_err unwritable_output 1 "cannot write /nonexistent/dir/f.json" -- "$BIN" -q -o /nonexistent/dir/f.json
check_err unwritable_config 1 "cannot write /proc/c.json" -- "$BIN" -q -o ok.json -c /proc/c.json

# non-root: kallsyms addresses read as zero
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	mkdir -p nr && chmod 777 nr
	check_err non_root 2 "run as root or pass --kallsyms FILE" -- \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN" -q -o nr/f.json -c nr/c.json
else
	echo "SKIP: discover_host/non_root: needs root and setpriv"
fi
exit 0
