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
# single-threaded TCG: with one host thread per vCPU (MTTCG) a 7.3 guest took an
# "Oops: int3" in __netif_receive_skb_core right after kprobe-multi patched
# 1,964 functions (a text_poke_bp int3 still executed by the other vCPU), and a
# 6.12 guest once a #UD in an ftrace NOP; round-robin vCPUs see every patch
# in order.  Not slower here: 7.3 213 s vs 281 s, 6.1 488 s vs 507 s.
NT_VM_ACCEL=${NT_VM_ACCEL:-tcg,thread=single}
# modules insmod'ed at boot (dependencies resolved on the host; built-in ones,
# e.g. nft_counter, a module on 5.10 only, are skipped); others are
# copied too so that the kernel's request_module() -> busybox modprobe works
NT_VM_MODULES=${NT_VM_MODULES:-"nfnetlink nf_tables nft_counter veth nft_reject_inet nft_reject_ipv4 nft_reject_ipv6 nft_chain_nat nft_nat nf_nat nf_conntrack nft_ct nf_reject_ipv4 nf_reject_ipv6 nft_masq bridge nft_meta_bridge"}
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

# ---- kernels -------------------------------------------------------------
# A kernel spec (NT_VM_KERNELS) is a series of the host's own apt sources
# (Debian 12: "6.1", "6.12"), or one of these, fetched through a PRIVATE
# sources list and list directory under $NT_VM_CACHE/apt/ (the host's apt
# configuration is never touched; apt-get download never installs):
#   5.10    Debian 11's cloud kernel (bullseye + bullseye-security).  Pinned:
#           NT_VM_PIN_5_10 (first that downloads; some packages the index lists
#           are not served: 404), then every other 5.10 cloud kernel, newest first
#   newest  the newest cloud kernel of trixie-backports (7.x; Debian 13 split
#           packages: linux-image-X is empty, vmlinuz / modules / config are in
#           linux-binary-X / linux-modules-X / linux-base-X, fetched too)
# vm_resolve SPEC sets VM_PKG (package), VM_TAG (series: "5.10", "7.3"; the
# <kernel> of the result names) and VM_KX (unpacked, depmod'ed directory).
NT_VM_PIN_5_10=${NT_VM_PIN_5_10:-"linux-image-5.10.0-43-cloud-amd64-unsigned linux-image-5.10.0-32-cloud-amd64-unsigned"}
NT_VM_PIN_newest=${NT_VM_PIN_newest:-}
NT_VM_APT_MAX_AGE=${NT_VM_APT_MAX_AGE:-7}   # days before the private lists are refreshed

# host's Debian mirror (deb822 or one-line sources), default deb.debian.org
vm_mirror() { # debian|debian-security
	local u
	u=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v w="$1" '/^URIs:/ {
		for (i = 2; i <= NF; i++) { n = split($i, p, "/"); if (p[n] == w || p[n - 1] == w && p[n] == "") { print $i; exit } } }')
	[ -n "$u" ] || u=$(grep -h '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		tr ' ' '\n' | grep -E "^https?://.*/$1/?\$" | head -n1)
	echo "${u:-http://deb.debian.org/$1}"
}

# Private apt state for SUITE-SET (bullseye | trixie-backports): prints the
# apt options; refreshes the lists when missing or older than NT_VM_APT_MAX_AGE days.
vm_apt_private() {
	local set=$1 d=$NT_VM_CACHE/apt/$1 kr=/usr/share/keyrings/debian-archive-keyring.gpg o
	mkdir -p "$d/lists/partial" || return 1
	case $set in
	bullseye) printf 'deb [signed-by=%s] %s bullseye main\ndeb [signed-by=%s] %s bullseye-security main\n' \
		"$kr" "$(vm_mirror debian)" "$kr" "$(vm_mirror debian-security)" > "$d/sources.list" ;;
	trixie-backports) printf 'deb [signed-by=%s] %s trixie-backports main\n' "$kr" "$(vm_mirror debian)" > "$d/sources.list" ;;
	*) return 1 ;;
	esac
	o="-o Dir::Etc::sourcelist=$d/sources.list -o Dir::Etc::sourceparts=- -o Dir::State::Lists=$d/lists"
	o="$o -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o APT::Sandbox::User=root"
	# (apt gives the lists the server's dates: a stamp file tells their age)
	if [ -z "$(find "$d/updated" -mtime -"$NT_VM_APT_MAX_AGE" 2>/dev/null)" ]; then
		vm_log "apt-get update of the private $set lists ($d)"
		if apt-get $o -qq update >&2; then
			touch "$d/updated"
		else
			[ -n "$(ls "$d"/lists/*_Packages* 2>/dev/null)" ] || return 1
		fi
	fi
	echo "$o"
}

# SPEC -> "apt options|candidate packages" on stdout (preference order)
vm_candidates() {
	local spec=$1 o re
	case $spec in
	5.10)
		o=$(vm_apt_private bullseye) || return 1
		echo "$o|$NT_VM_PIN_5_10 $(apt-cache $o search --names-only '^linux-image-5\.10\..*-cloud-amd64-unsigned$' 2>/dev/null |
			awk '{print $1}' | sort -rV | tr '\n' ' ')" ;;
	newest)
		o=$(vm_apt_private trixie-backports) || return 1
		echo "$o|$NT_VM_PIN_newest $(apt-cache $o search --names-only '^linux-image-[0-9][0-9.]*\+deb[0-9]*-cloud-amd64$' 2>/dev/null |
			awk '{print $1}' | sort -rV | tr '\n' ' ')" ;;
	*)
		re=$(echo "$spec" | sed 's/\./\\./g')
		echo "|$(apt-cache search --names-only "^linux-image-$spec[.-].*cloud-amd64-unsigned\$" 2>/dev/null |
			awk '{print $1}' | grep -E "^linux-image-$re[.-]" | sort -rV | tr '\n' ' ')" ;;
	esac
}

# SERIES -> the first candidate package name (bench scripts; vm_resolve fetches)
vm_pick_kernel() {
	local c
	c=$(vm_candidates "$1") || return 0
	set -- ${c#*|}
	echo "${1:-}"
}

# PKG [APT_OPTS] -> path of the cached .deb (downloaded on first use).
vm_fetch() {
	local d
	mkdir -p "$NT_VM_CACHE" || return 1
	d=$(ls "$NT_VM_CACHE/${1}"_*.deb 2>/dev/null | head -n1)
	if [ -z "$d" ]; then
		vm_log "downloading $1"
		(cd "$NT_VM_CACHE" && apt-get ${2:-} -qq download "$1" >&2 2>/dev/null) || return 1
		d=$(ls "$NT_VM_CACHE/${1}"_*.deb 2>/dev/null | head -n1)
	fi
	[ -n "$d" ] && echo "$d"
}

# PKG [APT_OPTS] -> directory with the unpacked kernel package (cached; depmod
# done).  A Debian 13 meta package brings its linux-binary/modules/base-X.
vm_unpack() {
	local pkg=$1 opts=${2:-} deb kx kver dep
	kx=$NT_VM_CACHE/x/$pkg
	if [ ! -f "$kx/.ok" ]; then
		deb=$(vm_fetch "$pkg" "$opts") || return 1
		rm -rf "$kx"; mkdir -p "$kx"
		dpkg-deb -x "$deb" "$kx" || return 1
		if [ -z "$(vm_vmlinuz "$kx")" ]; then
			for dep in $(dpkg-deb -f "$deb" Depends | tr ',|' '\n\n' |
					sed -n 's/^ *\(linux-\(binary\|modules\|base\)-[^ ]*\).*/\1/p'); do
				deb=$(vm_fetch "$dep" "$opts") && dpkg-deb -x "$deb" "$kx" || return 1
			done
		fi
		[ -e "$kx/lib" ] || ln -s usr/lib "$kx/lib"
		[ -n "$(vm_vmlinuz "$kx")" ] || { vm_log "$pkg: no vmlinuz"; return 1; }
		kver=$(vm_kver "$kx")
		depmod -b "$kx" "$kver" || return 1
		touch "$kx/.ok"
	fi
	echo "$kx"
}

# SPEC -> VM_PKG, VM_TAG, VM_KX: the first candidate that downloads and
# unpacks (cached ones first).  Returns 1 (VM_WHY says why) when none does.
vm_resolve() {
	local spec=$1 c o p tried=0
	VM_PKG=""; VM_TAG=""; VM_KX=""; VM_WHY=""
	if ! c=$(vm_candidates "$spec"); then
		VM_WHY="private apt lists for $spec unavailable (apt-get update failed)"; return 1
	fi
	o=${c%%|*}
	set -- ${c#*|}
	[ $# -gt 0 ] || { VM_WHY="no linux-image-$spec*-cloud-amd64 package in the apt sources"; return 1; }
	# already unpacked first (no network needed), then in preference order
	for p in "$@"; do
		[ -f "$NT_VM_CACHE/x/$p/.ok" ] && { set -- "$p" "$@"; break; }
	done
	for p in "$@"; do
		tried=$((tried + 1))
		[ $tried -le 8 ] || break
		if VM_KX=$(vm_unpack "$p" "$o"); then
			VM_PKG=$p
			case $spec in
			newest) VM_TAG=$(echo "$p" | sed -n 's/^linux-image-\([0-9]*\.[0-9]*\).*/\1/p') ;;
			*) VM_TAG=$spec ;;
			esac
			return 0
		fi
		vm_log "$p: not downloadable, trying the next"
	done
	VM_WHY="none of the first $((tried - 1)) linux-image-$spec candidates could be downloaded"
	return 1
}

vm_vmlinuz() { ls "$1"/boot/vmlinuz-* "$1"/usr/lib/modules/*/vmlinuz 2>/dev/null | head -n1; }
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
		-accel "$NT_VM_ACCEL" -cpu max -m "$NT_VM_MEM" -smp "$NT_VM_SMP" \
		-kernel "$vmlinuz" -initrd "$initrd" \
		-serial mon:stdio -serial "file:$res" "${data[@]}" \
		-append "console=ttyS0 quiet loglevel=3 panic=-1 rdinit=/init $append" \
		< /dev/null > "$con" 2>&1
}
