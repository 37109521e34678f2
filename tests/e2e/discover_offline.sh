#!/bin/bash
# discover_offline.sh - nft-discover against copied files (--btf DIR|FILE,
# --kallsyms FILE) gives exactly the live result (only the "source" paths and
# the time fields may differ).
set -u
cd "$(dirname "$0")/../.."
O=${O:-build}
BIN=$PWD/$O/nft-discover
T=$(mktemp -d /tmp/nt_discover_offline.XXXXXX)
trap 'rm -rf "$T"' EXIT

if [ ! -x "$BIN" ]; then echo "FAIL: discover_offline: $BIN not built"; exit 1; fi
if [ ! -r /sys/kernel/btf/vmlinux ]; then echo "SKIP: discover_offline: no /sys/kernel/btf/vmlinux"; exit 0; fi
if [ "$(awk 'NR==1{print $1}' /proc/kallsyms)" = 0000000000000000 ]; then
	echo "SKIP: discover_offline: kallsyms addresses hidden (run as root)"; exit 0
fi

# what another host would copy: every BTF file, kallsyms, the tracing lists when readable
mkdir -p "$T/host/btf"
cp /sys/kernel/btf/* "$T/host/btf/"
cat /proc/kallsyms >"$T/host/kallsyms"
cat /sys/kernel/tracing/available_filter_functions >"$T/host/btf/available_filter_functions" 2>/dev/null ||
	rm -f "$T/host/btf/available_filter_functions"
cat /sys/kernel/debug/kprobes/blacklist >"$T/host/btf/kprobes_blacklist" 2>/dev/null ||
	rm -f "$T/host/btf/kprobes_blacklist"
nmods=$(ls "$T/host/btf" | grep -cvE '^(vmlinux|available_filter_functions|kprobes_blacklist)$')

cd "$T"
"$BIN" -q -o live.json -c live_cfg.json || { echo "FAIL: discover_offline/live: exit $?"; exit 0; }
"$BIN" -q -o dir.json -c dir_cfg.json --btf host/btf --kallsyms host/kallsyms ||
	{ echo "FAIL: discover_offline/dir: exit $?"; exit 0; }
"$BIN" -q -o file.json -c file_cfg.json --btf host/btf/vmlinux --kallsyms host/kallsyms ||
	{ echo "FAIL: discover_offline/file: exit $?"; exit 0; }

python3 - "$nmods" <<'PY'
import json, sys
nmods = int(sys.argv[1])
def load(p):
    d = json.load(open(p))
    d.pop("source", None)
    d["summary"].pop("time_ms", None)
    return d
live, off, single = load("live.json"), load("dir.json"), load("file.json")
def cmp(name, a, b):
    if a == b:
        print("PASS: discover_offline/" + name)
        return
    fa = {(x["name"], x["module"]): x for x in a["functions"]}
    fb = {(x["name"], x["module"]): x for x in b["functions"]}
    diff = [k for k in set(fa) | set(fb) if fa.get(k) != fb.get(k)][:5]
    print("FAIL: discover_offline/%s: differs (summary equal: %s; e.g. %s)" % (name, a["summary"] == b["summary"], diff))
cmp("dir_equals_live", live, off)
for a, b in (("live_cfg.json", "dir_cfg.json"),):
    print("PASS: discover_offline/config_equals_live" if json.load(open(a)) == json.load(open(b))
          else "FAIL: discover_offline/config_equals_live: trace_config.json differs")
if nmods == 0:
    cmp("file_equals_live", live, single)
else:  # a single vmlinux file: no module functions, vmlinux part identical
    v = [x for x in live["functions"] if x["module"] == "vmlinux"]
    print("PASS: discover_offline/file_equals_live_vmlinux" if v == single["functions"]
          else "FAIL: discover_offline/file_equals_live_vmlinux: differs")
print("PASS: discover_offline/nonempty" if len(live["functions"]) > 1000 and live["summary"]["btf_modules"] == nmods
      else "FAIL: discover_offline/nonempty: %d functions, %d modules" % (len(live["functions"]), live["summary"]["btf_modules"]))
PY
exit 0
