#!/bin/bash
# tests/vm/libvm.sh - the project's QEMU harness (sourced by tests/vm/run_vm.sh).
#
# Boots a stock Debian kernel under QEMU TCG (no KVM needed) with a throw-away
# initramfs holding busybox, dash, nft, ip, ping, bpftool, the project's three
# binaries (+ their shared libraries) and the guest scripts of tests/vm/guest/.
# The kernel package is fetched with `apt-get download` (never installed) and
# cached, unpacked and depmod'ed, in $NT_VM_CACHE (default /var/cache/nt-vm, or
# ~/.cache/nt-vm when that is not writable).
#
# Two channels out of the guest: ttyS0 is the console (kernel + script output,
# saved as console.log), ttyS1 is the result channel (the guest writes its
# PASS/FAIL/SKIP lines and "NT_VM_DONE rc=N" there) so kernel messages never
# interleave with results.
#
# Adapted from the team's verified recipe (shared/notes/vm-recipe.sh).

if [ -z "${NT_VM_CACHE:-}" ]; then
	NT_VM_CACHE=/var/cache/nt-vm
	mkdir -p "$NT_VM_CACHE" 2>/dev/null && [ -w "$NT_VM_CACHE" ] ||
		NT_VM_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/nt-vm
fi
NT_VM_MEM=${NT_VM_MEM:-1G}
NT_VM_SMP=${NT_VM_SMP:-2}
NT_VM_TIMEOUT=${NT_VM_TIMEOUT:-1200}
# modules insmod'ed at boot (dependencies resolved on the host); others are
# copied too so that the kernel's request_module() -> busybox modprobe works
NT_VM_MODULES=${NT_VM_MODULES:-"nfnetlink nf_tables veth nft_reject_inet nft_reject_ipv4 nft_reject_ipv6 nft_chain_nat nft_nat nf_nat nf_conntrack nft_ct nf_reject_ipv4 nf_reject_ipv6 nft_masq bridge nft_meta_bridge"}
NT_VM_BINS=${NT_VM_BINS:-"/usr/sbin/nft /usr/sbin/ip /usr/bin/ping /usr/sbin/bpftool /usr/bin/tcpdump"}

vm_log() { echo "[vm] $*" >&2; }

# Missing host tools -> prints the first one, returns 1.
vm_check_tools() {
	local t
	for t in qemu-system-x86_64 busybox depmod modprobe cpio gzip dpkg-deb apt-get xz ldd; do
		command -v "$t" >/dev/null 2>&1 || { echo "$t"; return 1; }
	done
	return 0
}

# SERIES (e.g. 6.1, 6.12) -> newest linux-image-<series>...-cloud-amd64-unsigned
# package name known to apt, or nothing.
vm_pick_kernel() {
	apt-cache search --names-only "^linux-image-$1[.-].*cloud-amd64-unsigned\$" 2>/dev/null |
		awk '{print $1}' | grep -E "^linux-image-$(echo "$1" | sed 's/\./\\./g')[.-]" |
		sort -V | tail -n1
}

# PKG -> path of the cached .deb (downloaded on first use).
vm_fetch() {
	local d
	mkdir -p "$NT_VM_CACHE" || return 1
	d=$(ls "$NT_VM_CACHE/${1}"_*.deb 2>/dev/null | head -n1)
	if [ -z "$d" ]; then
		vm_log "downloading $1"
		(cd "$NT_VM_CACHE" && apt-get download "$1" >&2 2>/dev/null) ||
			(cd "$NT_VM_CACHE" && apt-get download "$1" >&2) || return 1
		d=$(ls "$NT_VM_CACHE/${1}"_*.deb 2>/dev/null | head -n1)
	fi
	[ -n "$d" ] && echo "$d"
}

# PKG -> directory with the unpacked kernel package (cached; depmod done).
vm_unpack() {
	local pkg=$1 deb kx kver
	kx=$NT_VM_CACHE/x/$pkg
	if [ ! -f "$kx/.ok" ]; then
		deb=$(vm_fetch "$pkg") || return 1
		rm -rf "$kx"; mkdir -p "$kx"
		dpkg-deb -x "$deb" "$kx" || return 1
		[ -e "$kx/lib" ] || ln -s usr/lib "$kx/lib"
		kver=$(ls "$kx/lib/modules" | head -n1)
		depmod -b "$kx" "$kver" || return 1
		touch "$kx/.ok"
	fi
	echo "$kx"
}

vm_vmlinuz() { ls "$1"/boot/vmlinuz-* 2>/dev/null | head -n1; }
vm_kver() { ls "$1/lib/modules" | head -n1; }

# copy a host file (+ shared libraries when dynamic) into root R at DST
vm_copy_with_libs() { # R SRC DST
	local r=$1 src=$2 dst=$3 lib
	mkdir -p "$(dirname "$r/$dst")"
	cp -L "$src" "$r/$dst" || return 1
	if ldd "$src" >/dev/null 2>&1; then
		for lib in $(ldd "$src" | grep -o '/[^ ]*'); do
			[ -e "$r/$lib" ] || { mkdir -p "$(dirname "$r/$lib")"; cp -L "$lib" "$r/$lib"; }
		done
	fi
}

# vm_build_initrd KX OUT_INITRD GUEST_DIR BIN...
#   GUEST_DIR is copied to /guest; BINs (project binaries) to /opt/nt/.
vm_build_initrd() {
	local kx=$1 out=$2 guest=$3; shift 3
	local kver r b m ko rel dst a
	kver=$(vm_kver "$kx")
	r=$(mktemp -d "${TMPDIR:-/tmp}/nt-vm-root.XXXXXX") || return 1
	mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,run,tmp,opt/nt,var,lib64,root}
	ln -s ../run "$r/var/run"
	cp "$(command -v busybox)" "$r/bin/busybox"
	for a in $(busybox --list); do
		[ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"
	done
	ln -sf ../bin/busybox "$r/sbin/modprobe"
	# busybox sh prefers its own applets (its "ip" shadows iproute2): /bin/sh is dash
	rm -f "$r/bin/sh"
	vm_copy_with_libs "$r" /bin/dash /bin/sh || return 1
	for b in $NT_VM_BINS; do
		rm -f "$r/bin/$(basename "$b")"
		vm_copy_with_libs "$r" "$b" "$b" || return 1
	done
	for b in "$@"; do vm_copy_with_libs "$r" "$b" "/opt/nt/$(basename "$b")" || return 1; done
	cp -r "$guest" "$r/guest"
	cp "$guest/init.sh" "$r/init"
	chmod +x "$r/init"
	for b in /etc/protocols /etc/services; do [ -f "$b" ] && cp "$b" "$r$b"; done
	echo "root:x:0:0:root:/root:/bin/sh" > "$r/etc/passwd"
	echo "root:x:0:" > "$r/etc/group"
	# modules: dependency order from the host's kmod; decompressed (busybox
	# insmod reads no .ko.xz); depmod on the new root for request_module()
	: > "$r/etc/modules.boot"
	for m in $NT_VM_MODULES; do
		modprobe -d "$kx" -S "$kver" --show-depends "$m" 2>/dev/null
	done | awk '$1=="insmod"{print $2}' | awk '!seen[$0]++' | while read -r ko; do
		rel=${ko#"$kx"}
		dst=$r${rel%.xz}; dst=${dst%.zst}
		mkdir -p "$(dirname "$dst")"
		case "$ko" in
		*.xz) xz -dc "$ko" > "$dst" ;;
		*.zst) zstd -qdc "$ko" > "$dst" ;;
		*) cp "$ko" "$dst" ;;
		esac
		echo "${dst#"$r"}" >> "$r/etc/modules.boot"
	done
	for m in modules.builtin modules.builtin.modinfo modules.order; do
		[ -f "$kx/lib/modules/$kver/$m" ] && cp "$kx/lib/modules/$kver/$m" "$r/lib/modules/$kver/"
	done
	depmod -b "$r" "$kver" || return 1
	(cd "$r" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
	local rc=$?
	rm -rf "$r"
	return $rc
}

# vm_boot VMLINUZ INITRD RESULTS CONSOLE [APPEND] -> qemu exit code (124 timeout)
# NT_VM_DISK=FILE attaches FILE as a raw virtio disk (/dev/vda in the guest;
# the truth scenario writes its logs there).
vm_boot() {
	local vmlinuz=$1 initrd=$2 res=$3 con=$4 append=${5:-} data=()
	: > "$res"
	[ -n "${NT_VM_DISK:-}" ] && data=(-drive "file=$NT_VM_DISK,format=raw,if=virtio")
	timeout "$NT_VM_TIMEOUT" qemu-system-x86_64 -nographic -no-reboot \
		-accel tcg -cpu max -m "$NT_VM_MEM" -smp "$NT_VM_SMP" \
		-kernel "$vmlinuz" -initrd "$initrd" \
		-serial mon:stdio -serial "file:$res" "${data[@]}" \
		-append "console=ttyS0 quiet loglevel=3 panic=-1 rdinit=/init $append" \
		< /dev/null > "$con" 2>&1
}
