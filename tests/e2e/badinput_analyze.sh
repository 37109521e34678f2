#!/bin/bash
# badinput_analyze.sh - every bad input of nft-analyze (README "Bad input"):
# exact stderr line and exit code.  Damaged logs are made from samples/basic.ntl
# at offsets computed from its block headers (FORMAT.md).
set -u
cd "$(dirname "$0")/../.."
O=${O:-build}
AN=$PWD/$O/nft-analyze
SAMPLE=$PWD/samples/basic.ntl
TOP=$PWD
. tests/e2e/lib_badinput.sh
T=$BI_T
trap 'rm -rf "$T"' EXIT
[ -x "$AN" ] || { echo "FAIL: badinput_analyze: $AN not built"; exit 1; }
[ -r "$SAMPLE" ] || { echo "FAIL: badinput_analyze: $SAMPLE missing"; exit 1; }
chmod 755 "$T"
cd "$T"

# damaged copies; prints "OFFSET STORED RAW" of the first EVENTS block
read -r EOFF ESTORED ERAW < <(python3 - "$SAMPLE" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
off, ev = 16, None
while off + 16 <= len(d):
    magic, typ, flags, stored, raw = struct.unpack_from('<IHHII', d, off)
    if typ == 16 and ev is None:
        ev = (off, stored, raw)
    off += 16 + stored
e, s, r = ev
def w(name, b): open(name, 'wb').write(b)
w('empty.ntl', b'')
w('magic.ntl', b'XTLOG\0\r\n' + d[8:])
v = bytearray(d); struct.pack_into('<I', v, 8, 3); w('v3.ntl', v)
w('preamble.ntl', d[:10])
w('trunc.ntl', d[:e + 16 + s // 2])
w('trunc_hdr.ntl', d[:e + 8])
v = bytearray(d)
for i in range(e + 16 + 20, e + 16 + min(s, 60)): v[i] ^= 0x5a  # inside the compressed data
w('zstd.ntl', v)
v = bytearray(d); struct.pack_into('<I', v, e + 8, 0xfffffff0); w('stored_len.ntl', v)
v = bytearray(d); struct.pack_into('<I', v, e + 12, 0xfffffff0); w('raw_len.ntl', v)
v = bytearray(d); struct.pack_into('<I', v, e, 0x12345678); w('blk_magic.ntl', v)
print(e, s, r)
PY
)
[ -n "${EOFF:-}" ] || { echo "FAIL: badinput_analyze: cannot parse $SAMPLE"; exit 1; }

E="nft-analyze"
bi_expect analyze_missing_file 2 "$E: missing.ntl: No such file or directory" "$AN" stats missing.ntl
bi_expect analyze_empty_file 2 "$E: empty.ntl: empty file: not an nft-tracer log" "$AN" stats empty.ntl
bi_expect analyze_wrong_magic 2 "$E: magic.ntl: not an nft-tracer log (bad magic)" "$AN" stats magic.ntl
bi_expect analyze_newer_version 2 \
	"$E: v3.ntl: format version 3 is newer than this nft-analyze (2): upgrade nft-tracer" "$AN" stats v3.ntl
bi_expect analyze_short_preamble 2 \
	"$E: preamble.ntl: truncated at offset 10 (file preamble of 16 bytes, 10 present): 0 events read before it" \
	"$AN" stats preamble.ntl
bi_expect analyze_truncated_frame 3 \
	"$E: trunc.ntl: truncated at offset $EOFF (block of $ESTORED bytes, $((ESTORED / 2)) present): 0 events read before it" \
	"$AN" stats trunc.ntl
bi_expect analyze_truncated_block_header 3 \
	"$E: trunc_hdr.ntl: truncated at offset $EOFF (block header of 16 bytes, 8 present): 0 events read before it" \
	"$AN" journeys trunc_hdr.ntl
bi_expect analyze_corrupt_zstd 3 \
	"$E: zstd.ntl: corrupt at offset $EOFF: bad zstd frame in block of $ESTORED bytes (Data corruption detected): 0 events read before it" \
	"$AN" events zstd.ntl
bi_expect analyze_absurd_stored_length 3 \
	"$E: stored_len.ntl: corrupt at offset $EOFF: block lengths 4294967280 stored / $ERAW raw exceed the limit of 67108864 bytes: 0 events read before it" \
	"$AN" stats stored_len.ntl
bi_expect analyze_absurd_raw_length 3 \
	"$E: raw_len.ntl: corrupt at offset $EOFF: block lengths $ESTORED stored / 4294967280 raw exceed the limit of 67108864 bytes: 0 events read before it" \
	"$AN" stats raw_len.ntl
bi_expect analyze_bad_block_magic 3 \
	"$E: blk_magic.ntl: corrupt at offset $EOFF: bad block magic 0x12345678 (expected \"NTBK\"): 0 events read before it" \
	"$AN" stats blk_magic.ntl
bi_expect analyze_directory 2 "$E: $T: is a directory, not an nft-tracer log" "$AN" stats "$T"
cp "$SAMPLE" private.ntl; chmod 600 private.ntl
bi_expect analyze_unreadable_file 2 "$E: private.ntl: Permission denied" bi_as_nobody "$AN" stats private.ntl
bi_expect analyze_stdout_disk_full 1 "$E: writing the output failed: No space left on device" \
	sh -c "exec '$AN' events '$SAMPLE' >/dev/full"
bi_expect analyze_json_disk_full 1 "$E: writing the output failed: No space left on device" \
	sh -c "exec '$AN' journeys --json '$SAMPLE' >/dev/full"

# SIGPIPE: a log whose output exceeds the pipe buffer, piped to head -1
sed -n '1,/^# packet 1:/p' "$TOP/tests/golden/basic.scn" | grep -v '^# packet' > big.scn
{ echo "repeat 20000 50"; sed -n '/^# packet 1:/,/^# packet 2:/p' "$TOP/tests/golden/basic.scn" | grep -v '^#'
  echo end; } >> big.scn
MKLOG=$TOP/$O/tests/tools/mklog
if [ -x "$MKLOG" ] && "$MKLOG" -o big.ntl big.scn; then
	"$AN" events big.ntl 2>pipe.err | head -1 >/dev/null; st=${PIPESTATUS[0]}
	if [ "$st" = 141 ] && [ ! -s pipe.err ]; then
		bi_pass analyze_sigpipe_head
	else
		bi_fail analyze_sigpipe_head "status $st (want 141: killed by SIGPIPE, silent), stderr '$(cat pipe.err)'"
	fi
	# SIGPIPE ignored by the parent (as under some supervisors): EPIPE is an output error
	(trap '' PIPE; "$AN" events big.ntl 2>epipe.err | head -1 >/dev/null; echo "${PIPESTATUS[0]}" >epipe.rc)
	if [ "$(cat epipe.rc)" = 1 ] && [ "$(cat epipe.err)" = "$E: writing the output failed: Broken pipe" ]; then
		bi_pass analyze_epipe_sigpipe_ignored
	else
		bi_fail analyze_epipe_sigpipe_ignored "status $(cat epipe.rc), stderr '$(cat epipe.err)'"
	fi
else
	echo "SKIP: analyze_sigpipe_head: $MKLOG not built or failed"
fi
[ $bi_fails = 0 ]
