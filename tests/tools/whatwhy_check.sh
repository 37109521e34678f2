#!/bin/bash
# tests/tools/whatwhy_check.sh RESULTS KERNEL - issue #18's checks of a guest's
# whatwhy recording (tests/vm/guest/whatwhy.sh) on the host, where tshark and
# python3 are: run by tests/vm/run_vm.sh after the guest, with the guest's
# result file.  The guest wrote the log and its two tcpdump captures
# base64-encoded, one line each "NT_WW <backend> <name> <base64>", and
# "NT_WW <backend> env key=value" lines.  Prints tests/tools/whatwhy_check.py's
# PASS / FAIL / SKIP lines (<kernel>/whatwhy/<backend>/<check>); nothing when
# the guest sent no recording (it printed why).
set -u
cd "$(dirname "$0")/../.."
O=${O:-build}
RES=$1 TAG=$2
D=$(mktemp -d /tmp/nt-whatwhy.XXXXXX)
trap 'rm -rf "$D"' EXIT
tr -d '\r' < "$RES" | grep '^NT_WW ' > "$D/lines" || exit 0
for be in $(awk '{ print $2 }' "$D/lines" | sort -u); do
	name=$TAG/whatwhy/$be
	for t in tshark tcpdump python3; do
		command -v $t > /dev/null || { echo "SKIP: $name: host tool $t missing (scripts/deps.sh installs it)"; continue 2; }
	done
	for f in ntl c0 s0; do
		awk -v b="$be" -v f=$f '$2 == b && $3 == f { print $4 }' "$D/lines" | base64 -d > "$D/$be.$f" 2> /dev/null ||
			{ echo "FAIL: $name: the guest's $f did not decode (result channel damaged)"; continue 2; }
	done
	awk -v b="$be" '$2 == b && $3 == "env" { sub(/^NT_WW [^ ]* env /, ""); print }' "$D/lines" > "$D/$be.env"
	mkdir -p "$D/$be.work"
	python3 tests/tools/whatwhy_check.py --name "$name" --log "$D/$be.ntl" --c0 "$D/$be.c0" --s0 "$D/$be.s0" \
		--ana "$O/nft-analyze" --env "$D/$be.env" --work "$D/$be.work"
done
exit 0
