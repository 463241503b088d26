#!/usr/bin/python3
"""Writes seed inputs for fuzz_http2 into DIR: HTTP/2 frames a client
sends after the magic (a request, a gRPC call, control frames, a header
block in CONTINUATION frames), each behind the target's two steering
bytes (read size, and 0: prepend the magic).

  http2_seeds.py DIR
"""
import os
import struct
import sys


def frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack(">I", stream) + payload


def literal(name, value):
    """HPACK literal header field without indexing, new name (RFC 7541
    section 6.2.2), for names and values under 127 bytes."""
    return b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value


def block(*pairs):
    return b"".join(literal(n.encode(), v.encode()) for n, v in pairs)


SETTINGS = frame(4, 0, 0)
GET = block((":method", "GET"), (":scheme", "https"), (":path", "/"),
            (":authority", "localhost"))
GRPC = block((":method", "POST"), (":scheme", "https"),
             (":path", "/grpc.health.v1.Health/Check"),
             (":authority", "localhost"), ("content-type", "application/grpc"),
             ("te", "trailers"))

SEEDS = {
    "get": SETTINGS + frame(1, 0x5, 1, GET),
    "grpc": SETTINGS + frame(1, 0x4, 1, GRPC) + frame(0, 0x1, 1, b"\0\0\0\0\0"),
    "control": SETTINGS + frame(6, 0, 0, b"12345678") +
               frame(8, 0, 0, struct.pack(">I", 1000)) + frame(4, 1, 0),
    "continuation": SETTINGS + frame(1, 0x1, 1, GET[:10]) +
                    frame(9, 0x4, 1, GET[10:]),
    "priority-rst": SETTINGS + frame(2, 0, 1, b"\0\0\0\0\x10") +
                    frame(3, 0, 1, b"\0\0\0\x08") + frame(1, 0x5, 3, GET),
    "goaway": SETTINGS + frame(7, 0, 0, b"\0\0\0\0\0\0\0\0"),
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        for step in (255, 7):
            with open(os.path.join(out, "%s-%d.bin" % (name, step)), "wb") as f:
                f.write(bytes([step, 0]) + data)


if __name__ == "__main__":
    main()
