#!/bin/bash
# analyze_hostile.sh - issue #16: every nft-analyze command x text / JSON / NDJSON /
# SVG / HTML on every class of hostile log of tests/tools/mkhostile (generated at
# test time): terminal-safe and well-formed output, exit 0 or 3 with one line
# naming the limit, peak RSS / time / output size bounded.  The checks are in
# analyze_hostile.py (about 90 s; NT_HOSTILE_ONLY="names tswrap" runs some classes).
set -u
cd "$(dirname "$0")/../.."
export O=${O:-build} NT_TOP=$PWD
exec python3 tests/e2e/analyze_hostile.py
