"""A mail or FTP client with Python's standard library, as an application
would use it: smtplib, imaplib, poplib or ftplib with the default SSL
context trusting the given CA (hostname checks on), STARTTLS where the
protocol has it, then the protocol's usual steps to the end. Prints one
line. Exit 0 with "OK <TLS version> <the server's last reply>" on success;
exit 1 with "<ExceptionClass>: <message>" on failure."""
import argparse
import ftplib
import imaplib
import poplib
import smtplib
import socket
import ssl
import sys

USER, PASSWORD = "shakedown", "secret"
MESSAGE = "Subject: shakedown\r\n\r\nA test message from the shakedown catalogue.\r\n"


def smtp(a, ctx, implicit):
    if implicit:
        s = smtplib.SMTP_SSL(a.host, a.port, timeout=a.timeout, context=ctx)
    else:
        s = smtplib.SMTP(a.host, a.port, timeout=a.timeout)
        s.starttls(context=ctx)
    s.sendmail("sender@example.com", ["rcpt@example.com"], MESSAGE)
    version = s.sock.version()
    code, text = s.quit()
    return version, "%d %s" % (code, text.decode("latin-1"))


def imap(a, ctx, implicit):
    if implicit:
        m = imaplib.IMAP4_SSL(a.host, a.port, ssl_context=ctx, timeout=a.timeout)
    else:
        m = imaplib.IMAP4(a.host, a.port, timeout=a.timeout)
        m.starttls(ssl_context=ctx)
    m.login(USER, PASSWORD)
    m.select("INBOX")
    version = m.sock.version()
    status, data = m.logout()
    return version, "%s %s" % (status, data[0].decode("latin-1"))


def pop3(a, ctx, implicit):
    if implicit:
        p = poplib.POP3_SSL(a.host, a.port, context=ctx, timeout=a.timeout)
    else:
        p = poplib.POP3(a.host, a.port, timeout=a.timeout)
        p.stls(context=ctx)
    p.user(USER)
    p.pass_(PASSWORD)
    p.stat()
    version = p.sock.version()
    return version, p.quit().decode("latin-1")


class ImplicitFTP_TLS(ftplib.FTP_TLS):
    """FTPS on its own port (990): TLS from the first byte, which ftplib
    has no class for."""

    def connect(self, host, port, timeout):
        self.host, self.port, self.timeout = host, port, timeout
        raw = socket.create_connection((host, port), timeout)
        self.sock = self.context.wrap_socket(raw, server_hostname=host)
        self.af = self.sock.family
        self.file = self.sock.makefile("r", encoding=self.encoding)
        self.welcome = self.getresp()
        return self.welcome


def ftp(a, ctx, implicit):
    cls = ImplicitFTP_TLS if implicit else ftplib.FTP_TLS
    f = cls(context=ctx, timeout=a.timeout)
    f.connect(a.host, a.port, a.timeout)
    f.login(USER, PASSWORD)  # AUTH TLS first, when not implicit
    f.prot_p()
    f.pwd()
    version = f.sock.version()
    return version, f.quit()


PROTOCOLS = {
    "smtp": (smtp, False), "smtps": (smtp, True),
    "imap": (imap, False), "imaps": (imap, True),
    "pop3": (pop3, False), "pop3s": (pop3, True),
    "ftp": (ftp, False), "ftps": (ftp, True),
}


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--protocol", required=True, choices=PROTOCOLS)
    p.add_argument("--ca", required=True, help="CA file to trust")
    p.add_argument("--host", default="localhost", help="server name (connect, SNI, check)")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--cert", help="client certificate (PEM)")
    p.add_argument("--key", help="client key (PEM)")
    p.add_argument("--timeout", type=float, default=10.0)
    a = p.parse_args()
    ctx = ssl.create_default_context(cafile=a.ca)
    if a.cert:
        ctx.load_cert_chain(a.cert, a.key)
    run, implicit = PROTOCOLS[a.protocol]
    try:
        version, last = run(a, ctx, implicit)
    except Exception as e:  # the point is to report any failure verbatim
        print("%s: %s" % (type(e).__name__, e))
        return 1
    print("OK %s %s" % (version, last.strip()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
