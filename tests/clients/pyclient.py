#!/usr/bin/env python3
"""A TLS client with Python's standard ssl module, as an application would
use it: the default context trusting the given CA, hostname checks on.
Prints one line. Exit 0 with "OK <version> <status line> (cipher <suite>)" on
success; exit 1 with "<ExceptionClass>: <message>" on failure. With --resume
it connects a second time offering the first connection's session, and says
whether the server resumed it ("resumed" or "full handshake")."""
import argparse
import socket
import ssl
import sys
import warnings

# Old versions are requested on purpose; keep the one-line output clean.
warnings.simplefilter("ignore", DeprecationWarning)

VERSIONS = {
    "1.0": ssl.TLSVersion.TLSv1,
    "1.1": ssl.TLSVersion.TLSv1_1,
    "1.2": ssl.TLSVersion.TLSv1_2,
    "1.3": ssl.TLSVersion.TLSv1_3,
}


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--ca", required=True, help="CA file to trust")
    p.add_argument("--host", default="localhost", help="server name (SNI and check)")
    p.add_argument("--connect", default="127.0.0.1", help="address to connect to")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--cert", help="client certificate (PEM)")
    p.add_argument("--key", help="client key (PEM)")
    p.add_argument("--tls-min", choices=VERSIONS)
    p.add_argument("--tls-max", choices=VERSIONS)
    p.add_argument("--ciphers", help="OpenSSL cipher string")
    p.add_argument("--crl", help="CRL file (PEM); checks the whole chain")
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--ragged-eof-error", action="store_true",
                   help="treat a close without close_notify as an error")
    p.add_argument("--resume", action="store_true",
                   help="connect again, offering the first session")
    a = p.parse_args()

    try:
        return connect(a)
    except Exception as e:  # the point is to report any failure verbatim
        print("%s: %s" % (type(e).__name__, e))
        return 1


def connect(a):
    ctx = ssl.create_default_context(cafile=a.ca)
    if a.tls_min:
        ctx.minimum_version = VERSIONS[a.tls_min]
    if a.tls_max:
        ctx.maximum_version = VERSIONS[a.tls_max]
    if a.ciphers:
        ctx.set_ciphers(a.ciphers)
    if a.cert:
        ctx.load_cert_chain(a.cert, a.key)
    if a.crl:
        ctx.load_verify_locations(cafile=a.crl)
        ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_CHAIN
    line, session = exchange(a, ctx, None)
    if a.resume:
        if session is None:
            raise RuntimeError("the first connection got no session to resume (%s)" % line)
        try:
            line2, again = exchange(a, ctx, session)
        except Exception as e:
            print("%s; then, offering to resume: %s: %s" % (line, type(e).__name__, e))
            return 1
        line = "%s; then %s" % (line, line2)
    print(line)
    return 0


def exchange(a, ctx, session):
    """One connection and one request: its line, and the session for the
    next connection (TLS 1.3 tickets arrive with the response)."""
    with socket.create_connection((a.connect, a.port), timeout=a.timeout) as raw:
        with ctx.wrap_socket(raw, server_hostname=a.host, session=session,
                             suppress_ragged_eofs=not a.ragged_eof_error) as tls:
            version, cipher = tls.version(), tls.cipher()[0]
            tls.sendall(b"GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                        % a.host.encode())
            data = b""
            while True:
                chunk = tls.recv(65536)
                if not chunk:
                    break
                data += chunk
            status = data.split(b"\r\n", 1)[0].decode("latin-1")
            line = "OK %s %s (cipher %s)" % (version, status, cipher)
            if session is not None:
                line += ", resumed" if tls.session_reused else ", full handshake"
            return line, tls.session

if __name__ == "__main__":
    sys.exit(main())
