#!/usr/bin/python3
"""A gRPC client for the catalogue, on Debian's python3-grpcio (gRPC's C
core, which most gRPC languages share): one unary call over TLS with the
test CA, printing the status code and details the client library reports.

  grpcprobe.py --ca certs/ca.pem --host localhost --port 9401
      [--method /grpc.health.v1.Health/Check] [--deadline 10]
      [--cert client.pem --key client.key]

Exit status: 0 when the call ends OK, 1 when it ends with any other
status, 2 on bad usage. Prints "OK <details>" (and SERVING for a health
check answered so), or "<CODE>: <details>".
"""
import argparse
import sys

import grpc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ca", required=True)
    ap.add_argument("--host", default="localhost",
                    help="the name the certificate is checked for (SNI)")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--connect", default="127.0.0.1",
                    help="the address to connect to")
    ap.add_argument("--method", default="/grpc.health.v1.Health/Check")
    ap.add_argument("--deadline", type=float, default=10.0)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    args = ap.parse_args()

    with open(args.ca, "rb") as f:
        roots = f.read()
    chain = key = None
    if args.cert:
        with open(args.cert, "rb") as f:
            chain = f.read()
        with open(args.key or args.cert, "rb") as f:
            key = f.read()
    creds = grpc.ssl_channel_credentials(root_certificates=roots,
                                         private_key=key,
                                         certificate_chain=chain)
    options = [("grpc.ssl_target_name_override", args.host),
               ("grpc.default_authority", args.host)]
    target = "%s:%d" % (args.connect, args.port)
    with grpc.secure_channel(target, creds, options=options) as channel:
        # Bytes in, bytes out: no generated code. An empty request is a
        # valid encoding of every proto3 message.
        call = channel.unary_unary(args.method,
                                   request_serializer=None,
                                   response_deserializer=None)
        try:
            reply, state = call.with_call(b"", timeout=args.deadline)
        except grpc.RpcError as e:
            print("%s: %s" % (e.code().name, e.details()))
            return 1
    details = state.details() or ""
    serving = " SERVING" if reply == b"\x08\x01" else ""
    print("OK%s %s" % (serving, details))
    return 0


if __name__ == "__main__":
    sys.exit(main())
