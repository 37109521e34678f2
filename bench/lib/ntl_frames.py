#!/usr/bin/env python3
"""bench/lib/ntl_frames.py LOG OUT - the zstd frames of LOG's EVENTS blocks
(formats/FORMAT.md: 16-byte preamble, then blocks of a 16-byte header
"NTBK" type flags stored raw and a payload), concatenated into OUT: what
`zstdcat` decompresses as the floor of reading the log."""
import struct
import sys

with open(sys.argv[1], 'rb') as f, open(sys.argv[2], 'wb') as o:
    f.read(16)
    while True:
        h = f.read(16)
        if len(h) < 16:
            break
        _magic, typ, flags, stored, _raw = struct.unpack('<IHHII', h)
        data = f.read(stored)
        if typ == 16 and flags & 1:
            o.write(data)
