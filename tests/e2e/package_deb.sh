#!/bin/bash
# package_deb.sh - the Debian package from the tree: `dpkg-buildpackage -b` in a
# copy of the tree (the tests of the package build are off: debian/rules), no
# lintian error, the expected files; `dpkg -i` of it, then from the installed
# package: `nft-analyze --version` (= the package version), `man nft-analyze`,
# `man 8 nft-record`, nft-analyze on a sample log, the unit verified by
# systemd-analyze and not enabled, /etc/default/nft-record a conffile; `dpkg
# --purge` leaves nothing (unless the package was installed before the test:
# then the freshly built one stays).  About 45 s on 2 cores.
set -u
cd "${NT_TOP:-$(dirname "$0")/../..}"
T=$(mktemp -d /tmp/nt-deb.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
pass() { echo "PASS: package_deb/$1"; }
fail() { echo "FAIL: package_deb/$1: $2"; fails=$((fails + 1)); }
[ "$(id -u)" = 0 ] || { echo "SKIP: package_deb: needs root (dpkg -i)"; exit 0; }
for t in dpkg-buildpackage dh lintian scdoc man; do
	command -v $t >/dev/null || { echo "SKIP: package_deb: $t missing (scripts/deps.sh)"; exit 0; }
done
ver=$(dpkg-parsechangelog -S Version -l debian/changelog)
tool_ver=$(sed -n 's/^#define NT_VERSION "\(.*\)"/\1/p' common/tool.h)
[ "$ver" = "$tool_ver" ] && pass "changelog_version_${ver}_is_NT_VERSION" ||
	fail changelog_version "debian/changelog $ver, common/tool.h $tool_ver"

# a copy of the tree (never the developer's build/): the files git knows, or all
src=$T/nft-tracer-$ver
mkdir -p "$src"
if git rev-parse --git-dir > /dev/null 2>&1; then
	git ls-files -co --exclude-standard | grep -v '^build' | tar -cf - -T - | tar -xf - -C "$src"
else
	tar -cf - --exclude='./build*' . | tar -xf - -C "$src"
fi
t0=$(date +%s)
(cd "$src" && dpkg-buildpackage -b -us -uc -j2) > "$T/build.log" 2>&1
rc=$?
deb=$T/nft-tracer_${ver}_amd64.deb
if [ "$rc" = 0 ] && [ -f "$deb" ]; then
	pass "dpkg_buildpackage_$(($(date +%s) - t0))s"
else
	fail dpkg_buildpackage "exit $rc: $(tail -n 8 "$T/build.log" | tr '\n' '|')"
	exit 1
fi
# debian/rules overrides dh_auto_test with nothing: no test ran
grep -qx 'override_dh_auto_test:' debian/rules && ! grep -qE 'tests/run.sh|run_vm|make.* test' "$T/build.log" &&
	pass no_tests_in_the_package_build || fail no_tests_in_the_package_build "dh_auto_test ran tests"
lintian --tag-display-limit 0 "$T"/nft-tracer_${ver}_amd64.changes > "$T/lintian.out" 2>&1
if grep -q '^E: ' "$T/lintian.out"; then
	fail lintian_no_errors "$(grep '^E: ' "$T/lintian.out" | head -5 | tr '\n' '|')"
else
	pass "lintian_no_errors ($(grep -c '^W: ' "$T/lintian.out") warnings)"
fi
dpkg -c "$deb" | awk '{print $6}' > "$T/files"
for f in ./usr/bin/nft-analyze ./usr/sbin/nft-record ./usr/sbin/nft-discover \
	./usr/share/man/man1/nft-analyze.1.gz ./usr/share/man/man8/nft-record.8.gz \
	./usr/share/man/man8/nft-discover.8.gz ./usr/share/bash-completion/completions/nft-analyze \
	./lib/systemd/system/nft-record.service ./etc/default/nft-record; do
	grep -qx -- "$f" "$T/files" || fail package_files "$f missing"
done
pass package_files

# install it (one package test at a time on this machine: dpkg does not wait)
exec 9> /run/lock/nt-package-deb.lock
flock 9
before=$(dpkg-query -W -f='${Status}' nft-tracer 2>/dev/null)
if dpkg -i "$deb" > "$T/install.log" 2>&1; then
	pass dpkg_i
else
	fail dpkg_i "$(tail -n 5 "$T/install.log" | tr '\n' '|')"
	exit 1
fi
out=$(nft-analyze --version 2>&1)
[ "$(command -v nft-analyze)" = /usr/bin/nft-analyze ] && [ "${out%% (*}" = "nft-analyze $ver" ] &&
	pass "installed_nft_analyze_version_$ver" || fail installed_nft_analyze_version "$(command -v nft-analyze): $out"
MANWIDTH=80 MANPAGER=cat man nft-analyze > "$T/man.txt" 2> "$T/man.err"
grep -q '^NAME' "$T/man.txt" && grep -q 'nft-analyze - offline analysis' "$T/man.txt" &&
	pass man_nft_analyze || fail man_nft_analyze "$(head -c 200 "$T/man.err")"
MANWIDTH=80 MANPAGER=cat man 8 nft-record 2>&1 | grep -q 'nft-record - record the path of packets' &&
	pass man_8_nft_record || fail man_8_nft_record "man 8 nft-record"
/usr/bin/nft-analyze stats samples/basic.ntl 2>&1 | grep -q 'Packets by Verdict' &&
	pass installed_analyzer_reads_a_log || fail installed_analyzer_reads_a_log "stats samples/basic.ntl"
if command -v systemd-analyze > /dev/null; then
	systemd-analyze verify --man=no /lib/systemd/system/nft-record.service > "$T/verify" 2>&1 && [ ! -s "$T/verify" ] &&
		pass installed_unit_verifies || fail installed_unit_verifies "$(head -c 300 "$T/verify")"
fi
[ ! -e /etc/systemd/system/multi-user.target.wants/nft-record.service ] &&
	pass unit_not_enabled || fail unit_not_enabled "the package enabled nft-record.service"
grep -qx /etc/default/nft-record /var/lib/dpkg/info/nft-tracer.conffiles &&
	pass etc_default_is_a_conffile || fail etc_default_is_a_conffile "$(cat /var/lib/dpkg/info/nft-tracer.conffiles 2>&1)"
if [ "${before#install ok installed}" = "$before" ]; then
	dpkg --purge nft-tracer > "$T/purge.log" 2>&1
	left=$(for f in $(grep -v '/$' "$T/files" | sed 's/^\.//'); do [ -e "$f" ] && echo "$f"; done)
	[ -z "$left" ] && ! dpkg-query -W nft-tracer > /dev/null 2>&1 &&
		pass purge_leaves_nothing || fail purge_leaves_nothing "left: $left"
else
	echo "note: nft-tracer was installed before the test: the new build stays installed"
fi
exit $((fails > 0))
