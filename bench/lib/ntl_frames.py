#!/usr/bin/env python3
"""bench/lib/ntl_frames.py LOG OUT - the zstd frames of LOG's EVENTS blocks
(formats/FORMAT.md: 16-byte preamble, then blocks of a 16-byte header
"NTBK" type flags stored raw and a payload), concatenated into OUT: what
`zstdcat` decompresses as the floor of reading the log.  blocks() is the
block walk, also used by bench/density.sh."""
import struct
import sys

EVENTS = 16


def blocks(path):
    """(type, flags, stored payload) of every whole block of the log PATH."""
    with open(path, 'rb') as f:
        f.read(16)
        while True:
            h = f.read(16)
            if len(h) < 16:
                return
            _magic, typ, flags, stored, _raw = struct.unpack('<IHHII', h)
            data = f.read(stored)
            if len(data) < stored:
                return
            yield typ, flags, data


if __name__ == '__main__':
    with open(sys.argv[2], 'wb') as o:
        for typ, flags, data in blocks(sys.argv[1]):
            if typ == EVENTS and flags & 1:
                o.write(data)
