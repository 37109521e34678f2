#!/bin/sh
# Install every Debian package nft-tracer needs to build, test and demo.
set -e
PKGS="make gcc clang llvm libbpf-dev libelf-dev zlib1g-dev libzstd-dev zstd libcjson-dev \
 libmnl-dev libnftnl-dev libnftables-dev nftables bpftool iproute2 iputils-ping \
 netcat-openbsd python3 qemu-system-x86 busybox-static kmod cpio xz-utils procps bc \
 chromium libmicrohttpd-dev curl iperf3 bpftrace linux-perf valgrind tshark libpcap-dev tcpdump \
 netbase clickhouse-server clickhouse-client conntrack scdoc man-db debhelper dpkg-dev fakeroot \
 lintian strace util-linux systemd"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && { echo "deps: all packages present"; exit 0; }
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing; run as root (sudo make deps)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing
