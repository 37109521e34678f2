#!/bin/bash
# badinput_discover.sh - every bad input of nft-discover (README "Bad input"):
# exact stderr line and exit code.
set -u
cd "$(dirname "$0")/../.."
O=${O:-build}
D=$PWD/$O/nft-discover
. tests/e2e/lib_badinput.sh
T=$BI_T
trap 'mountpoint -q "$T/small" && umount "$T/small"; rm -rf "$T"' EXIT
[ -x "$D" ] || { echo "FAIL: badinput_discover: $D not built"; exit 1; }
chmod 755 "$T"
cd "$T"
E=nft-discover

bi_expect discover_missing_btf 2 "$E: cannot read BTF missing.btf: No such file or directory (pass --btf FILE|DIR)" \
	"$D" -q --btf missing.btf
mkdir nobtf
bi_expect discover_no_btf_in_dir 2 "$E: cannot read BTF file nobtf/vmlinux: No such file or directory (pass --btf FILE|DIR)" \
	"$D" -q --btf nobtf
: > empty.btf
bi_expect discover_empty_btf 2 "$E: empty.btf is not a valid BTF file (Input/output error)" "$D" -q --btf empty.btf
printf 'hello, not BTF\n' > text.btf
bi_expect discover_not_btf 2 "$E: text.btf is not a valid BTF file (BPF object format invalid)" "$D" -q --btf text.btf
if [ -r /sys/kernel/btf/vmlinux ]; then
	head -c 100 /sys/kernel/btf/vmlinux > trunc.btf
	bi_expect discover_truncated_btf 2 "$E: trunc.btf is not a valid BTF file (Invalid argument)" "$D" -q --btf trunc.btf
else
	echo "SKIP: discover_truncated_btf: no /sys/kernel/btf/vmlinux"
fi
# FIFOs and devices are refused at once (a FIFO blocked forever, /dev/zero read until out of memory)
mkfifo ks.fifo btf.fifo
bi_expect discover_kallsyms_fifo 2 "$E: cannot read kallsyms ks.fifo: is a FIFO (named pipe), not a regular file (pass --kallsyms FILE)" \
	timeout 10 "$D" -q --kallsyms ks.fifo
bi_expect discover_kallsyms_device 2 "$E: cannot read kallsyms /dev/zero: is a character device, not a regular file (pass --kallsyms FILE)" \
	timeout 10 "$D" -q --kallsyms /dev/zero
bi_expect discover_btf_fifo 2 "$E: cannot read BTF file btf.fifo: is a FIFO (named pipe), not a regular file (pass --btf FILE|DIR)" \
	timeout 10 "$D" -q --btf btf.fifo
bi_expect discover_btf_device 2 "$E: cannot read BTF file /dev/zero: is a character device, not a regular file (pass --btf FILE|DIR)" \
	timeout 10 "$D" -q --btf /dev/zero
bi_expect discover_missing_kallsyms 2 "$E: cannot read kallsyms missing.ks: No such file or directory (pass --kallsyms FILE)" \
	"$D" -q --kallsyms missing.ks
: > empty.ks
bi_expect discover_empty_kallsyms 2 "$E: empty.ks holds no kallsyms lines (pass a saved /proc/kallsyms with --kallsyms FILE)" \
	"$D" -q --kallsyms empty.ks
printf 'ffffffff81000000 T ip_rcv\n' > private.ks; chmod 600 private.ks
bi_expect discover_unreadable_kallsyms 2 "$E: cannot read kallsyms $T/private.ks: Permission denied (pass --kallsyms FILE)" \
	bi_as_nobody "$D" -q --kallsyms "$T/private.ks"
printf '0000000000000000 T ip_rcv\n0000000000000000 t tcp_v4_rcv\n' > zero.ks
bi_expect discover_zero_kallsyms 2 "$E: zero.ks: all addresses are zero (kptr_restrict): run as root or pass --kallsyms FILE" \
	"$D" -q --kallsyms zero.ks
if bi_as_nobody awk 'NR==1 { exit $1 == "0000000000000000" ? 0 : 1 }' /proc/kallsyms; then
	bi_expect discover_not_root 2 "$E: /proc/kallsyms: all addresses are zero (kptr_restrict): run as root or pass --kallsyms FILE" \
		bi_as_nobody "$D" -q -o "$T/n.json" -c "$T/n_cfg.json"
else
	echo "SKIP: discover_not_root: kptr_restrict lets non-root readers see addresses here"
fi
bi_expect discover_unknown_layer 2 "$E: unknown layer 'Bogus' (known: Device GRO Netfilter IPv4 IPv6 TCP UDP Routing Xmit SoftIRQ Bridge Socket Other)" \
	"$D" -q --layers Bogus
bi_expect discover_bad_priority 2 "$E: --priority must be an integer 0..3, got '9'" "$D" -q -p 9
bi_expect discover_bad_max_trace 2 "$E: --max-trace must be an integer 0..1000000, got 'abc'" "$D" -q -m abc

# outputs (need a scan: live host as root)
if [ -r /sys/kernel/btf/vmlinux ] && [ "$(awk 'NR==1{print $1}' /proc/kallsyms)" != 0000000000000000 ]; then
	bi_expect discover_output_dir_missing 1 "$E: cannot write nodir/x.json: No such file or directory" \
		"$D" -q -o nodir/x.json -c c.json
	bi_expect discover_output_is_dir 1 "$E: cannot write nobtf: Is a directory" "$D" -q -o nobtf -c c.json
	mkdir ro; chmod 555 ro; cat /proc/kallsyms > host.ks; chmod 644 host.ks
	bi_expect discover_output_not_writable 1 "$E: cannot write ro/x.json: Permission denied" \
		bi_as_nobody "$D" -q --kallsyms host.ks -o ro/x.json -c ro/c.json
	bi_expect discover_output_dev_full 1 "$E: cannot write /dev/full: No space left on device" \
		"$D" -q -o /dev/full -c c.json
	if [ -c /dev/full ] && [ "$(stat -c %t,%T /dev/full)" = 1,7 ]; then
		bi_pass discover_dev_full_still_a_device
	else
		bi_fail discover_dev_full_still_a_device "/dev/full was replaced: $(ls -l /dev/full)"
	fi
	mkdir small && mount -t tmpfs -o size=16k tmpfs small &&
		bi_expect discover_disk_full 1 "$E: cannot write small/x.json: No space left on device" \
			"$D" -q -o small/x.json -c small/c.json
	left=$(ls -A small 2>/dev/null | wc -l)
	[ "$left" = 0 ] && bi_pass discover_disk_full_no_temp_left ||
		bi_fail discover_disk_full_no_temp_left "$left files left: $(ls -A small)"
	"$D" -q -o /dev/stdout -c c.json 2>pipe.err | head -c 1 >/dev/null; st=${PIPESTATUS[0]}
	[ "$st" = 141 ] && [ ! -s pipe.err ] && bi_pass discover_sigpipe_head ||
		bi_fail discover_sigpipe_head "status $st (want 141, silent), stderr '$(cat pipe.err)'"
	(trap '' PIPE; "$D" -q -o /dev/stdout -c c.json 2>epipe.err | head -c 1 >/dev/null; echo "${PIPESTATUS[0]}" >epipe.rc)
	[ "$(cat epipe.rc)" = 1 ] && [ "$(cat epipe.err)" = "$E: cannot write /dev/stdout: Broken pipe" ] &&
		bi_pass discover_epipe_sigpipe_ignored ||
		bi_fail discover_epipe_sigpipe_ignored "status $(cat epipe.rc), stderr '$(cat epipe.err)'"
else
	echo "SKIP: discover_outputs: needs root and /sys/kernel/btf/vmlinux"
fi
[ $bi_fails = 0 ]
