#!/bin/bash
# bench/attach.sh - attach and exit-to-prompt times of nft-record per kernel,
# function backend and function count (100, 1,000, all of nft-discover's
# default config), in the test VMs (tests/vm/libvm.sh, QEMU TCG): one boot per
# kernel running bench/vm/attach.sh.  Baseline of each exit-to-prompt time: the
# time until the kernel has detached every probe (what the operator would wait
# for if nft-record detached before exiting).
# Writes bench/results/attach.json from the raw guest lines of every kernel run
# so far (bench/results/attach-<kernel>.txt).
#   BENCH_ATTACH_KERNELS="5.10 6.1 6.12 newest"   (default; specs of tests/vm/libvm.sh)
#   BENCH_ATTACH_COUNTS="100 1000 all"            (BENCH_QUICK=1: "100")
#   BENCH_ATTACH_BACKENDS="fentry"                (default: every one a kernel has)
#   BENCH_ATTACH_SKIP="fentry:all"                backend:count pairs left out
#   BENCH_VM_KEEP=1 / BENCH_VM_PARSE_ONLY=1        keep the work directory / only rebuild the JSON
set -u
cd "$(dirname "$0")/.."
O=${O:-build}
# before libvm.sh (its own default is 1200 s: a full 5.10 / 6.1 run takes longer)
NT_VM_TIMEOUT=${NT_VM_TIMEOUT:-5400}
. tests/vm/libvm.sh
KERNELS=${BENCH_ATTACH_KERNELS:-"5.10 6.1 6.12 newest"}
COUNTS=${BENCH_ATTACH_COUNTS:-"100 1000 all"}
[ "${BENCH_QUICK:-0}" = 1 ] && COUNTS=${BENCH_ATTACH_COUNTS:-100}
[ "${BENCH_VM_PARSE_ONLY:-0}" = 1 ] && KERNELS=""
mkdir -p bench/results

skip() { echo "bench/attach.sh: SKIP: $*"; echo "{\"skipped\": \"$*\", \"table\": []}" | python3 bench/lib/bench.py emit attach; exit 0; }
if [ -n "$KERNELS" ]; then
	[ "$(id -u)" = 0 ] || skip "needs root (qemu + initramfs build)"
	t=$(vm_check_tools) || skip "host tool $t missing"
	for b in nft-discover nft-record nft-analyze tests/tools/nt-vmprobe; do [ -x "$O/$b" ] || skip "$O/$b not built"; done
fi
# merge_lines OLD NEW: NEW's lines, then OLD's attach rows of other backend/count
merge_lines() {
	python3 - "$1" "$2" <<'PY'
import os, sys
old, new = sys.argv[1], sys.argv[2]
def key(l):
    w = l.split()
    if len(w) < 4 or w[0] != "BENCH" or "attach" not in w:
        return None
    d = dict(x.split("=", 1) for x in w if "=" in x)
    return (d.get("backend"), d.get("count"))
nl = open(new).read().splitlines()
keys = {key(l) for l in nl} - {None}
ol = open(old).read().splitlines() if os.path.exists(old) else []
keep = [l for l in ol if key(l) is not None and key(l) not in keys]
with open(old + ".tmp", "w") as f:
    f.write("\n".join(nl + keep) + "\n")
os.replace(old + ".tmp", old)
PY
}
W=$(mktemp -d /tmp/nt-bench-attach.XXXXXX)
[ "${BENCH_VM_KEEP:-0}" = 1 ] || trap 'rm -rf "$W"' EXIT
mkdir -p "$W/guest"
cp tests/vm/guest/init.sh tests/vm/guest/lib.sh "$W/guest/"
cp bench/vm/attach.sh "$W/guest/run.sh"
for k in $KERNELS; do
	vm_resolve "$k" || { echo "bench/attach.sh: $k: $VM_WHY"; continue; }
	vm_build_initrd "$VM_KX" "$W/initrd-$VM_TAG.gz" "$W/guest" $O/nft-discover $O/nft-record $O/nft-analyze \
		$O/tests/tools/nt-vmprobe || { echo "bench/attach.sh: initramfs build failed"; continue; }
	t0=$(date +%s)
	vm_boot "$(vm_vmlinuz "$VM_KX")" "$W/initrd-$VM_TAG.gz" "$W/res-$VM_TAG.txt" "$W/console-$VM_TAG.log" \
		"nt.tag=$VM_TAG nt.bcounts=$(echo $COUNTS | tr ' ' ,)${BENCH_ATTACH_BACKENDS:+ nt.bbackends=$(echo $BENCH_ATTACH_BACKENDS | tr ' ' ,)}${BENCH_ATTACH_SKIP:+ nt.bskip=$(echo $BENCH_ATTACH_SKIP | tr ' ' ,)}"
	qrc=$?
	echo "# vm/$VM_TAG: $VM_PKG, qemu $(($(date +%s) - t0)) s, rc $qrc"
	tr -d '\r' < "$W/res-$VM_TAG.txt" | grep -E '^(BENCH|PASS|FAIL|SKIP|#)[: ]' |
		sed "s/^BENCH /BENCH k=$VM_TAG date=$(date -u +%F) /" > "$W/lines.txt"
	cat "$W/lines.txt"
	if grep -q '^BENCH k=[^ ]* date=[^ ]* attach' "$W/lines.txt"; then
		# rows of this run replace the same kernel/backend/count rows of an
		# earlier run; the others stay (a quick run keeps a full run's "all")
		merge_lines "bench/results/attach-$VM_TAG.txt" "$W/lines.txt"
	else
		tr -d '\r' < "$W/console-$VM_TAG.log" | tail -n 30
	fi
done
[ "${BENCH_VM_KEEP:-0}" = 1 ] && echo "# kept: $W"
cat bench/results/attach-*.txt 2> /dev/null | python3 -c '
import json, sys
recs = []
for l in sys.stdin:
    w = l.split()
    if len(w) < 3 or w[0] != "BENCH" or "attach" not in w[1:4]:
        continue
    d = {}
    for x in w[1:]:
        if "=" in x:
            k, v = x.split("=", 1)
            if k in ("k", "date", "backend", "count", "load"):
                d[k] = v
            else:
                d[k] = int(v) if v.isdigit() else (float(v) if v.replace(".", "", 1).isdigit() else v)
    recs.append(d)
order = {"kprobe-multi": 0, "fentry": 1, "kprobe": 2}
def kkey(k):
    try:
        return [int(x) for x in str(k).split(".")]
    except ValueError:
        return [99]
rows = []
for r in sorted(recs, key=lambda r: (kkey(r["k"]), order.get(r["backend"], 9), 1e9 if r["count"] == "all" else int(r["count"]))):
    name = "%s %s %s (%s/%s attached)" % (r["k"], r["backend"], r["count"], r["attached"], r["requested"])
    rows.append({"name": name + ": attach", "value": round(r["attach_ms"] / 1000, 1), "unit": "s",
                 "baseline": "start to recording", "baseline_value": round(r["ready_ms"] / 1000, 1), "baseline_unit": "s"})
    rows.append({"name": name + ": exit to prompt", "value": round(r["exit_ms"] / 1000, 1), "unit": "s",
                 "baseline": "until every probe is gone", "baseline_value": round(r["gone_ms"] / 1000, 1),
                 "baseline_unit": "s", "target": "<= 5 s", "met": r["exit_ms"] <= 5000})
print(json.dumps({"table": rows, "runs": recs}))
' | python3 bench/lib/bench.py emit attach
