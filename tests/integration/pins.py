#!/usr/bin/env python3
"""An expectation pins what the scenario decides (the alert, the verify
error, the protocol, the exit code), never what the client's build
decides. This test reads every scenario file and fails on a message that
holds any of these:

- a library's version ("OpenSSL/3.0.22", "libcurl/8.14.1", "GnuTLS/3.7");
- an errno number ("errno=104", "[Errno 104]"): the text says it;
- a source line of the client ("_ssl.c:992"), which moves with its build;
- a cipher suite, when neither the scenario's [tls] ciphers nor the
  expectation's own arguments choose the suites: then the suite is the
  client's preference, not the scenario's.

It checks its own rules first on known-bad lines, so that it can fail.
Exit 0 when no file pins anything, 1 otherwise."""
import argparse
import configparser
import glob
import os
import re
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

BUILD_PINS = [
    (re.compile(r"\b(?:OpenSSL|LibreSSL|BoringSSL|GnuTLS|libcurl|curl|wolfSSL|NSS|Python)"
                r"/\d+(?:\.\d+)*"), "a library version"),
    (re.compile(r"\berrno[= ]\d+|\[Errno \d+\]|\bErrno \d+"), "an errno number"),
    (re.compile(r"\b_ssl\.c:\d+|\b[a-z_]+\.c:\d+"), "a source line of the client"),
]

# Suite names as clients print them: IANA (TLS_AES_128_GCM_SHA256,
# TLS_ECDHE_RSA_WITH_...), OpenSSL (ECDHE-RSA-AES128-GCM-SHA256,
# AES256-SHA), wolfSSL (TLS13-AES128-GCM-SHA256) and GnuTLS's session
# description ("(ECDHE-SECP256R1)-(AES-128-GCM)").
SUITE = re.compile(
    r"\bTLS_(?:AES|CHACHA20|[A-Z0-9]+_WITH)_[A-Z0-9_]+"
    r"|\bTLS13-[A-Z0-9-]+"
    r"|\b(?:ECDHE|DHE|EDH|ADH|AECDH|SRP|PSK)-[A-Z0-9-]*(?:SHA\d*|MD5|POLY1305)\b"
    r"|\b(?:AES\d+|CAMELLIA\d+|DES-CBC3|RC4|NULL|IDEA|SEED)-[A-Z0-9-]*(?:SHA\d*|MD5)\b"
    r"|\((?:AES|CHACHA20|CAMELLIA|3DES|ARCFOUR|NULL)-[A-Z0-9-]*\)")

# Client options that choose suites.
SUITE_ARGS = re.compile(r"(?:^|\s)(?:-cipher|-ciphersuites|--ciphers|--tls13-ciphers|--priority)"
                        r"(?:\s|=)")


def problems_in(message, scenario_sets_ciphers, args_choose_suites):
    found = []
    for pattern, what in BUILD_PINS:
        m = pattern.search(message)
        if m:
            found.append("%s (%r)" % (what, m.group(0)))
    if not scenario_sets_ciphers and not args_choose_suites:
        m = SUITE.search(message)
        if m:
            found.append("a cipher suite the scenario does not choose (%r); set [tls] "
                         "ciphers or drop it from the message" % m.group(0))
    return found


def self_test():
    """Each rule must catch its example, and leave a fair message alone."""
    bad = [
        ("OpenSSL SSL_read: OpenSSL/3.0.22: error:0A000410", False, False),
        ("write:errno=104", False, False),
        ("ConnectionResetError: [Errno 104] Connection reset by peer", False, False),
        ("[SSL] unsupported protocol (_ssl.c:992)", False, False),
        ("OK TLSv1.3 TLS_AES_128_GCM_SHA256 HTTP/1.1 200 OK", False, False),
        ("OK TLSv1.2 ECDHE-RSA-AES256-GCM-SHA384 HTTP/1.1 200 OK", False, False),
        ("(TLS1.2-X.509)-(ECDHE-SECP256R1)-(AES-256-GCM)", False, False),
    ]
    good = [
        ("error:0A000410:SSL routines::sslv3 alert handshake failure", False, False),
        ("Connection reset by peer", False, False),
        ("OK TLSv1.2 HTTP/1.1 200 OK (cipher AES128-GCM-SHA256)", True, False),
        ("Ciphersuite: TLS_AES_128_CCM_8_SHA256", False, True),
        ("Verify return code: 0 (ok)", False, False),
        ("write:errno=", False, False),
    ]
    failures = []
    for text, sets, chooses in bad:
        if not problems_in(text, sets, chooses):
            failures.append("rule missed %r" % text)
    for text, sets, chooses in good:
        p = problems_in(text, sets, chooses)
        if p:
            failures.append("rule wrongly flagged %r: %s" % (text, "; ".join(p)))
    return failures


def message_keys(section):
    return [(k, v) for k, v in section.items() if k == "message" or k.startswith("message@")]


def check_file(path):
    """The pins in one scenario file, as "file:section key: problem"."""
    parser = configparser.ConfigParser(interpolation=None, strict=False,
                                       inline_comment_prefixes=None)
    parser.optionxform = str
    parser.read(path, encoding="utf-8")
    sets_ciphers = parser.has_option("tls", "ciphers")
    out = []
    for name in parser.sections():
        if not name.startswith("expect."):
            continue
        section = parser[name]
        chooses = bool(SUITE_ARGS.search(" " + section.get("args", "")))
        for key, value in message_keys(section):
            for alternative in value.replace("\n", " ").split(" || "):
                for problem in problems_in(alternative, sets_ciphers, chooses):
                    out.append("%s: [%s] %s pins %s" % (os.path.relpath(path, TOP), name,
                                                        key, problem))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenarios", default=os.path.join(TOP, "scenarios"))
    a = p.parse_args()
    failed = passed = 0
    for failure in self_test():
        print("FAIL self-test: " + failure)
        failed += 1
    files = sorted(glob.glob(os.path.join(a.scenarios, "*.ini")))
    if not files:
        print("FAIL no scenario files in " + a.scenarios)
        failed += 1
    for path in files:
        problems = check_file(path)
        if problems:
            failed += 1
            for problem in problems:
                print("FAIL " + problem)
        else:
            passed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
