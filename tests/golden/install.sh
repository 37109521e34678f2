#!/bin/bash
# tests/golden/install.sh - `make install DESTDIR=... PREFIX=...`: every file in
# its place with its mode, the unit's ExecStart and EnvironmentFile follow
# PREFIX, the man pages (scdoc, built by `make`) render with man and name every
# option of the binaries' --help, the bash completion completes commands and
# options, the installed nft-analyze runs.
set -u
cd "${NT_TOP:-$(dirname "$0")/../..}"
O=${O:-build}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
pass() { echo "PASS: install/$1"; }
fail() { echo "FAIL: install/$1: $2"; fails=$((fails + 1)); }

command -v scdoc >/dev/null || { echo "SKIP: install: scdoc missing (scripts/deps.sh)"; exit 0; }
for b in nft-analyze nft-record nft-discover; do
	[ -x "$O/$b" ] || { echo "SKIP: install: $O/$b not built"; exit 0; }
done

if make -s O="$O" install DESTDIR="$T/root" PREFIX=/opt/nt > "$T/make.out" 2>&1; then
	pass make_install
else
	fail make_install "$(tail -5 "$T/make.out")"
	exit 1
fi
R=$T/root/opt/nt
want="0755 bin/nft-analyze
0755 sbin/nft-record
0755 sbin/nft-discover
0644 share/man/man1/nft-analyze.1
0644 share/man/man8/nft-record.8
0644 share/man/man8/nft-discover.8
0644 share/bash-completion/completions/nft-analyze
0644 share/bash-completion/completions/nft-record
0644 share/bash-completion/completions/nft-discover
0644 lib/systemd/system/nft-record.service
0644 etc/default/nft-record
0644 share/doc/nft-tracer/README.md
0644 share/doc/nft-tracer/FORMAT.md"
got=$(cd "$R" && find . -type f -printf '%m %P\n' | sed 's/^755/0755/; s/^644/0644/' | sort)
if [ "$got" = "$(echo "$want" | sort)" ]; then
	pass files_and_modes
else
	fail files_and_modes "$(diff <(echo "$want" | sort) <(echo "$got"))"
fi
grep -q '^ExecStart=/opt/nt/sbin/nft-record --quiet \$NFT_RECORD_OPTS$' "$R/lib/systemd/system/nft-record.service" &&
grep -q '^EnvironmentFile=-/opt/nt/etc/default/nft-record$' "$R/lib/systemd/system/nft-record.service" &&
	pass unit_paths_follow_prefix || fail unit_paths_follow_prefix "$(grep -E '^(ExecStart|EnvironmentFile)=' "$R/lib/systemd/system/nft-record.service")"
# PREFIX=/usr: configuration in /etc, unit as the Debian package has it
make -s O="$O" install DESTDIR="$T/usr" PREFIX=/usr SYSTEMDUNITDIR=/lib/systemd/system > /dev/null 2>&1
[ -f "$T/usr/etc/default/nft-record" ] && [ -f "$T/usr/lib/systemd/system/nft-record.service" ] &&
	cmp -s "$T/usr/lib/systemd/system/nft-record.service" samples/nft-record.service &&
	pass prefix_usr_etc_and_unit_unchanged || fail prefix_usr_etc_and_unit_unchanged "$(cd "$T/usr" && find . -type f | sort | head)"
"$R/bin/nft-analyze" --version > "$T/v" 2>&1 && grep -q "^nft-analyze $(sed -n 's/^#define NT_VERSION "\(.*\)"/\1/p' common/tool.h) " "$T/v" &&
	pass installed_analyzer_runs || fail installed_analyzer_runs "$(cat "$T/v")"

# man pages: render without warnings, name every long option of --help
for m in nft-analyze.1 nft-record.8 nft-discover.8; do
	b=${m%.*}
	MANWIDTH=100 man --warnings -l "$R/share/man/man${m##*.}/$m" > "$T/$m.txt" 2> "$T/$m.err"
	if [ -s "$T/$m.err" ] || ! grep -q "^NAME" "$T/$m.txt"; then
		fail "man_$b" "$(head -3 "$T/$m.err")"
		continue
	fi
	case $b in
	nft-analyze) help=$("$O/nft-analyze" stats --help) ;;
	*) help=$("$O/$b" --help) ;;
	esac
	opts=$(echo "$help" | sed -n 's/^ \{1,\}\(-[a-zA-Z?], \)\{0,1\}\(--[a-z][a-z-]*\).*/\2/p' | sort -u |
		grep -vx -- '--help\|--usage\|--version')
	missing=""
	for o in $opts; do
		grep -q -- "$o" "$T/$m.txt" || missing="$missing $o"
	done
	[ -z "$missing" ] && pass "man_$b" || fail "man_$b" "options of --help not in the man page:$missing"
done
# bash completion
comp=$(bash -c '
	complete() { :; }
	. "$1/share/bash-completion/completions/nft-analyze"
	COMP_WORDS=(nft-analyze jo); COMP_CWORD=1; _nft_analyze; echo "${COMPREPLY[*]}"
	COMP_WORDS=(nft-analyze stats --verdict d); COMP_CWORD=3; _nft_analyze; echo "${COMPREPLY[*]}"
	COMP_WORDS=(nft-record --backend kprobe-m); COMP_CWORD=2; _nft_record; echo "${COMPREPLY[*]}"
	COMP_WORDS=(nft-discover --lay); COMP_CWORD=1; _nft_discover; echo "${COMPREPLY[*]}"' _ "$R" 2>&1)
[ "$comp" = "journeys
drop
kprobe-multi
--layers" ] && pass bash_completion || fail bash_completion "got: $(echo "$comp" | tr '\n' '|')"
exit $((fails > 0))
