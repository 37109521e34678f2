#!/bin/sh
# /init of the test VM: mount the pseudo file systems, load the modules the
# host resolved, run /guest/run.sh, report on the result channel (ttyS1).
export PATH=/opt/nt:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t bpf bpf /sys/fs/bpf
mkdir -p /run/netns
ip link set lo up
while read -r ko; do
	insmod "$ko" 2>/dev/null || echo "insmod $ko failed"
done < /etc/modules.boot
export NT_RES=/dev/ttyS1
# knobs from the kernel command line: nt.tag=6.1 nt.backends=a,b nt.full=0|1
# nt.elsewhere=a,b (backends whose scenarios another kernel of the run covers)
# nt.only=a,b:N (run.sh: only these scenarios, b N times; a flake hunt)
# nt.libbpfdebug=1 (nft-record prints libbpf's debug log: NT_LIBBPF_DEBUG)
for w in $(cat /proc/cmdline); do
	case $w in
	nt.tag=*) export NT_KTAG=${w#nt.tag=} ;;
	nt.backends=*) export NT_BACKENDS=$(echo "${w#nt.backends=}" | tr , ' ') ;;
	nt.truth=*) NT_TRUTH=${w#nt.truth=} ;;
	nt.truthbe=*) export NT_TRUTH_BE=${w#nt.truthbe=} ;;
	nt.truthflood=*) export NT_TRUTH_FLOOD=${w#nt.truthflood=} ;;
	nt.truthpps=*) export NT_TRUTH_PPS=${w#nt.truthpps=} ;;
	nt.truthvalve=*) export NT_TRUTH_VALVE=${w#nt.truthvalve=} ;;
	nt.full=*) export NT_FULL=${w#nt.full=} ;;
	nt.elsewhere=*) export NT_ELSEWHERE=$(echo "${w#nt.elsewhere=}" | tr , ' ') ;;
	nt.only=*) export NT_ONLY=$(echo "${w#nt.only=}" | tr , ' ') ;;
	nt.libbpfdebug=1) export NT_LIBBPF_DEBUG=1 ;;
	esac
done
echo "=== guest start: $(uname -r) ==="
# nt.truth=1: only issue #15's per-packet truth scenario (tests/vm/truth_vm.sh)
if [ "${NT_TRUTH:-0}" = 1 ]; then sh /guest/truth.sh; else sh /guest/run.sh; fi
rc=$?
echo "NT_VM_DONE rc=$rc" > $NT_RES
echo "=== guest end rc=$rc ==="
sync
poweroff -f
