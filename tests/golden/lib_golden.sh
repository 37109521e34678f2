# tests/golden/lib_golden.sh - the preamble of the golden scripts that make logs
# with mklog (sourced; tests/run.sh skips lib*.sh).
#   golden_init PREFIX BUILDNAME [TOOL...]
# goes to the project's top, sets O (build dir), AN (nft-analyze), MKLOG (mklog),
# T (a temporary directory, removed at exit unless KEEP is set: then its path is
# printed), fails=0 and pass NAME / fail NAME WHY, which print "PASS: PREFIXNAME"
# / "FAIL: PREFIXNAME: WHY" and count failures; exits after
# "FAIL: BUILDNAME: ... missing" unless nft-analyze, mklog and every TOOL
# (a path under $O) are built.
golden_init() { # PREFIX BUILDNAME [TOOL...]
	local t miss="" build=$2
	GOLDEN_PREFIX=$1
	cd "${NT_TOP:-$(dirname "$0")/../..}" || exit 1
	O=${O:-build}
	AN=$O/nft-analyze
	MKLOG=$O/tests/tools/mklog
	T=$(mktemp -d)
	if [ -n "${KEEP:-}" ]; then trap 'echo "# kept: $T"' EXIT; else trap 'rm -rf "$T"' EXIT; fi
	fails=0
	shift 2
	for t in "$AN" "$MKLOG" "${@/#/$O/}"; do
		[ -x "$t" ] || miss="$miss $t"
	done
	if [ -n "$miss" ]; then
		echo "FAIL: $build:$miss missing (make nft-analyze unit)"
		exit 1
	fi
}
pass() { echo "PASS: $GOLDEN_PREFIX$1"; }
fail() { echo "FAIL: $GOLDEN_PREFIX$1: $2"; fails=$((fails + 1)); }
