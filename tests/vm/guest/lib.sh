#!/bin/sh
# lib.sh - helpers shared by the guest scenario scripts.
# res KIND NAME [WHY]: one result line on the result channel (and the console)
res() {
	if [ -n "${3:-}" ]; then l="$1: $NT_KTAG/$2: $3"; else l="$1: $NT_KTAG/$2"; fi
	echo "$l" > "${NT_RES:-/dev/stdout}"
	echo "$l"
}
NT_KTAG=${NT_KTAG:-k$(uname -r | cut -d- -f1)}
# info TEXT: a "# ..." line on the result channel (printed by run_vm.sh)
info() {
	echo "# $NT_KTAG: $*" > "${NT_RES:-/dev/stdout}"
	echo "# $NT_KTAG: $*"
}
