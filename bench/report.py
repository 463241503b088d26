#!/usr/bin/env python3
"""Turns bench/out/results.txt (one `kind key=value ...` line per
measurement, written by bench/run.sh) into the Markdown summary: medians,
shakedown/nginx ratios, crypto ceilings and the goals of issue #6, and the
dashboard's event streams under load (issue #17)."""

import shlex
import statistics
import sys

CASES = ["tls13-rsa", "tls13-ecdsa", "tls12-rsa"]
CASE_TITLES = {
    "tls13-rsa": "TLS 1.3, X25519, RSA-2048",
    "tls13-ecdsa": "TLS 1.3, X25519, ECDSA P-256",
    "tls12-rsa": "TLS 1.2 ECDHE-RSA-AES128-GCM, X25519, RSA-2048",
}


def parse(path):
    rows = []
    with open(path) as f:
        for line in f:
            words = shlex.split(line)
            if not words:
                continue
            row = {"kind": words[0]}
            for w in words[1:]:
                if "=" in w:
                    k, v = w.split("=", 1)
                    row[k] = v
            rows.append(row)
    return rows


def num(row, key, default=0.0):
    try:
        return float(row.get(key, default))
    except ValueError:
        return default


def first(rows, kind):
    return next((r for r in rows if r["kind"] == kind), None)


def med(values):
    return statistics.median(values) if values else float("nan")


def fmt(v, digits=0):
    if v != v:  # NaN
        return "–"
    return f"{v:,.{digits}f}"


def ratio(a, b):
    return a / b if b else float("nan")


class Report:
    def __init__(self, rows):
        self.rows = rows
        self.out = []
        self.goals = []

    def p(self, text=""):
        self.out.append(text)

    def runs(self, server, case, workers):
        return [r for r in self.rows if r["kind"] == "load" and
                r.get("server") == server and r.get("case") == case and
                r.get("workers") == str(workers)]

    def stats(self, server, case, workers):
        runs = self.runs(server, case, workers)
        if not runs:
            return None
        ok = [num(r, "ok") for r in runs]
        cpu_us = [num(r, "server_cpu_ms") * 1000 / num(r, "ok")
                  for r in runs if num(r, "ok") > 0]
        util = [num(r, "server_cpu_ms") / 1000 / num(r, "seconds")
                for r in runs if num(r, "seconds") > 0]
        client_us = [num(r, "client_cpu_s") * 1e6 / num(r, "ok")
                     for r in runs if num(r, "ok") > 0]
        return {
            "rounds": len(runs),
            "hs": med([num(r, "hs_per_s") for r in runs]),
            "p50": med([num(r, "p50_ms") for r in runs]),
            "p99": med([num(r, "p99_ms") for r in runs]),
            "errors": sum(num(r, "errors") for r in runs),
            "ok": sum(ok),
            "cpu_us": med(cpu_us),
            "util": med(util),
            "client_us": med(client_us),
        }

    def header(self):
        m = first(self.rows, "machine") or {}
        sd = first(self.rows, "shakedown") or {}
        ng = first(self.rows, "nginx") or {}
        el = first(self.rows, "elapsed") or {}
        self.p(f"- date: {m.get('date', '?')}; quick run: "
               f"{'yes' if m.get('quick') == '1' else 'no'}; "
               f"{m.get('rounds', '?')} rounds of {m.get('n', '?')} "
               f"connections at concurrency {m.get('c', '?')}")
        self.p(f"- machine: nproc {m.get('nproc', '?')}, {m.get('cpu', '?')}, "
               f"kernel {m.get('kernel', '?')}; load average at start "
               f"{m.get('load_at_start', '?')}")
        cl = first(self.rows, "client") or {}
        self.p(f"- load generator's TLS library: {cl.get('library', '?')}")
        wp = first(self.rows, "wolfssl") or {}
        self.p(f"- shakedown binary: `{sd.get('binary', '?')}`; wolfSSL prefix "
               f"(load generator and crypto figures): `{wp.get('prefix', '?')}`")
        self.p(f"- shakedown: {sd.get('version', '?')} "
               f"(--workers: {sd.get('has_workers', '?')}); nginx "
               f"{ng.get('version', '?')}")
        self.p(f"- run time: {el.get('seconds', '?')} s")
        self.p("- cases: " + "; ".join(f"`{k}` {v}" for k, v in CASE_TITLES.items()))
        self.p()

    def handshakes(self, workers):
        srv = first([r for r in self.rows if r.get("workers") == str(workers)],
                    "servers") or {}
        if not srv:
            return
        self.p(f"### Handshakes, workers: shakedown "
               f"{srv.get('shakedown_workers')}, nginx {srv.get('nginx_workers')}")
        self.p()
        self.p("| case | server | hs/s | p50 ms | p99 ms | server CPU µs/hs "
               "| server CPU use | client CPU µs/hs | errors |")
        self.p("|---|---|--:|--:|--:|--:|--:|--:|--:|")
        ratios = {}
        for case in CASES:
            s = self.stats("shakedown", case, workers)
            n = self.stats("nginx", case, workers)
            if s is None or n is None:
                continue
            for name, st in (("shakedown", s), ("nginx", n)):
                self.p(f"| {case} | {name} | {fmt(st['hs'])} | "
                       f"{fmt(st['p50'], 1)} | {fmt(st['p99'], 1)} | "
                       f"{fmt(st['cpu_us'])} | {fmt(st['util'] * 100)}% | "
                       f"{fmt(st['client_us'])} | {fmt(st['errors'])} |")
            ratios[case] = (s, n)
        self.p()
        self.p("| case | hs/s shakedown/nginx | CPU per handshake "
               "nginx/shakedown | p99 shakedown/nginx |")
        self.p("|---|--:|--:|--:|")
        for case, (s, n) in ratios.items():
            self.p(f"| {case} | {fmt(ratio(s['hs'], n['hs']), 2)}× | "
                   f"{fmt(ratio(n['cpu_us'], s['cpu_us']), 2)}× | "
                   f"{fmt(ratio(s['p99'], n['p99']), 2)}× |")
        self.p()
        return ratios

    def s_time(self):
        rows = [r for r in self.rows if r["kind"] == "stime"]
        if not rows:
            return
        self.p("### openssl s_time -new (one connection at a time, one worker)")
        self.p()
        self.p("| case | shakedown conn/s | nginx conn/s | ratio |")
        self.p("|---|--:|--:|--:|")
        for case in CASES:
            s = next((num(r, "conn_per_s") for r in rows
                      if r.get("case") == case and r.get("server") == "shakedown"), None)
            n = next((num(r, "conn_per_s") for r in rows
                      if r.get("case") == case and r.get("server") == "nginx"), None)
            if s is None or n is None:
                continue
            self.p(f"| {case} | {fmt(s)} | {fmt(n)} | {fmt(ratio(s, n), 2)}× |")
        self.p()

    def ceilings(self):
        """Handshakes per CPU second if the server did nothing but its
        share of the crypto: one signature and one ephemeral key exchange
        (key generation and shared secret)."""
        wc = first(self.rows, "crypto")
        ossl = first(self.rows, "openssl_speed")
        if wc is None:
            return {}
        def per(row, sign, kx):
            t = 1 / num(row, sign) + 1 / num(row, kx)
            return 1 / t
        ceil = {
            "tls13-rsa": per(wc, "rsa2048_sign", "x25519_exchange"),
            "tls13-ecdsa": per(wc, "ecdsa_p256_sign", "x25519_exchange"),
            "tls12-rsa": per(wc, "rsa2048_sign", "x25519_exchange"),
        }
        self.p("### Crypto ceiling (one core)")
        self.p()
        self.p(f"wolfCrypt ({wc.get('library')}, the server's own library, "
               "measured per CPU second by `shakebench crypto`): "
               + ", ".join(f"{k} {fmt(num(wc, k))}/s" for k in
                           ["rsa2048_sign", "ecdsa_p256_sign", "x25519_exchange",
                            "p256_exchange", "rsa2048_verify", "ecdsa_p256_verify"])
               + " (an exchange is a key generation plus a shared secret).")
        if ossl:
            self.p()
            self.p("OpenSSL (`openssl speed`, wall clock): "
                   + ", ".join(f"{k} {fmt(num(ossl, k))}/s" for k in
                               ["rsa2048_sign", "ecdsa_p256_sign", "ecdh_x25519"])
                   + ".")
        self.p()
        self.p("| case | wolfCrypt ceiling hs/s | OpenSSL ceiling hs/s "
               "| shakedown hs/s (1 worker) | share of wolfCrypt ceiling "
               "| crypto share of shakedown's CPU per handshake |")
        self.p("|---|--:|--:|--:|--:|--:|")
        shares = {}
        for case in CASES:
            s = self.stats("shakedown", case, 1)
            o = float("nan")
            if ossl:
                sign = "ecdsa_p256_sign" if "ecdsa" in case else "rsa2048_sign"
                # openssl speed's ecdh figure is the shared secret only; a
                # key generation costs about as much again.
                t = 1 / num(ossl, sign) + 2 / num(ossl, "ecdh_x25519")
                o = 1 / t
            hs = s["hs"] if s else float("nan")
            cpu_share = (1e6 / ceil[case]) / s["cpu_us"] if s else float("nan")
            shares[case] = (ratio(hs, ceil[case]), cpu_share)
            self.p(f"| {case} | {fmt(ceil[case])} | {fmt(o)} | {fmt(hs)} | "
                   f"{fmt(shares[case][0] * 100)}% | {fmt(cpu_share * 100)}% |")
        self.p()
        return shares

    def scale(self):
        stall = first(self.rows, "stall")
        idle = first(self.rows, "idle")
        start = first(self.rows, "startup")
        if not (stall or idle or start):
            return
        self.p("### Scale")
        self.p()
        if stall:
            self.p(f"- stalled after the ClientHello: {stall.get('held')} of "
                   f"{stall.get('n')} held (errors {stall.get('errors')}, "
                   f"dropped {stall.get('dropped')}, opened in "
                   f"{stall.get('open_seconds')} s); server RSS "
                   f"{fmt(num(stall, 'rss_before_kb') / 1024, 1)} MB idle → "
                   f"{fmt(num(stall, 'rss_kb') / 1024, 1)} MB "
                   f"(peak {fmt(num(stall, 'hwm_kb') / 1024, 1)} MB), "
                   f"{fmt(num(stall, 'per_conn_bytes') / 1024, 1)} KB each")
        if idle:
            self.p(f"- established idle TLS 1.3 connections: {idle.get('held')} "
                   f"of {idle.get('n')} held (errors {idle.get('errors')}, "
                   f"dropped {idle.get('dropped')}); server RSS "
                   f"{fmt(num(idle, 'rss_before_kb') / 1024, 1)} MB → "
                   f"{fmt(num(idle, 'rss_kb') / 1024, 1)} MB: "
                   f"{fmt(num(idle, 'per_conn_bytes') / 1024, 1)} KB each")
        if start:
            self.p(f"- start-up to the ports file with {start.get('scenarios')} "
                   f"scenarios: median {start.get('median_ms')} ms (runs: "
                   f"{start.get('all_ms')} ms)")
        self.p()

    def viewers(self):
        rows = [r for r in self.rows if r["kind"] == "viewers"]
        if not rows:
            return
        self.p("### Dashboard event streams under load (issue #17)")
        self.p()
        self.p("| load | viewers connected / kept / dropped | events/s "
               "delivered (all viewers) | MB/s | lost events | delay p50 / "
               "p99 / max ms | conn/s reached (target) | load errors "
               "| server CPU s (per load second) | server RSS idle → streams → "
               "peak MB |")
        self.p("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
        for r in rows:
            what = (f"{r.get('case')} ({r.get('scenario')})")
            cpu_s = num(r, "server_cpu_ms") / 1000
            cpu = ratio(cpu_s, num(r, "load_seconds"))
            self.p(f"| {what} | {r.get('connected')} / {r.get('stayed')} / "
                   f"{r.get('dropped')} | {fmt(num(r, 'events_per_s'))} | "
                   f"{fmt(num(r, 'mbytes_per_s'))} | "
                   f"{fmt(num(r, 'lost_events'))} | "
                   f"{fmt(num(r, 'p50_ms'), 1)} / {fmt(num(r, 'p99_ms'), 1)} "
                   f"/ {fmt(num(r, 'max_ms'), 1)} | "
                   f"{fmt(num(r, 'conn_per_s'))} ({fmt(num(r, 'rate_target'))}) "
                   f"| {fmt(num(r, 'load_errors'))} | {fmt(cpu_s, 1)} "
                   f"({fmt(cpu * 100)}%) | "
                   f"{fmt(num(r, 'rss_idle_kb') / 1024, 1)} → "
                   f"{fmt(num(r, 'rss_streams_kb') / 1024, 1)} → "
                   f"{fmt(num(r, 'hwm_kb') / 1024, 1)} |")
        self.p()
        r = rows[0]
        self.p(f"{r.get('n')} viewers asked for (stream cap "
               f"{r.get('max_streams')}); delay: from the load connection "
               "seeing the server's close to its `closed` frame at each "
               f"viewer ({r.get('delay_samples')} samples in the first row, "
               f"{r.get('early')} a little before the close counted as 0, "
               f"{r.get('unmatched')} unmatched). Server CPU: its CPU time while "
               "`shakebench viewers` ran (the streams' opening, 1 s idle, "
               "the load, a 2 s drain), and that over the load's wall time "
               "(the server is idle outside it). Connections per second: "
               "those that succeeded over the load's wall time.")
        self.p()

    def goal(self, name, target, value, ok):
        self.goals.append((name, target, value, ok))

    def goals_table(self, one, many, shares):
        if one:
            for case, (s, n) in one.items():
                r = ratio(s["hs"], n["hs"])
                self.goal(f"hs/s vs nginx, one worker each, {case}",
                          "≥ 1.0× (aim 1.2×)", f"{fmt(r, 2)}×", r >= 1.0)
        if many:
            for case, (s, n) in many.items():
                r = ratio(s["hs"], n["hs"])
                self.goal(f"hs/s vs nginx, workers = cores, {case}", "≥ 1.0×",
                          f"{fmt(r, 2)}×", r >= 1.0)
        if one:
            for case, (s, n) in one.items():
                r = ratio(n["cpu_us"], s["cpu_us"])
                self.goal(f"(extra) server CPU per handshake, nginx/shakedown, "
                          f"{case}", "≥ 1.0×", f"{fmt(r, 2)}×", r >= 1.0)
        if "tls13-rsa" in shares:
            sh = shares["tls13-rsa"][0]
            self.goal("share of crypto ceiling (RSA-2048, TLS 1.3, one worker)",
                      "≥ 80%", f"{fmt(sh * 100)}%", sh >= 0.8)
        if one:
            for case, (s, n) in one.items():
                self.goal(f"p99 latency at concurrency 32, {case}", "≤ nginx",
                          f"{fmt(s['p99'], 1)} vs {fmt(n['p99'], 1)} ms",
                          s["p99"] <= n["p99"])
        stall = first(self.rows, "stall")
        if stall:
            mb = num(stall, "rss_kb") / 1024
            held = num(stall, "held")
            self.goal(f"{fmt(num(stall, 'n'))} stalled connections held, "
                      "server RSS", "≤ 64 MB",
                      f"{fmt(held)} held, {fmt(mb, 1)} MB",
                      held == num(stall, "n") and num(stall, "dropped") == 0
                      and mb <= 64)
        idle = first(self.rows, "idle")
        if idle:
            kb = num(idle, "per_conn_bytes") / 1024
            self.goal("established idle TLS connection", "≤ 48 KB each",
                      f"{fmt(kb, 1)} KB", kb <= 48)
        start = first(self.rows, "startup")
        if start:
            ms = num(start, "median_ms")
            self.goal(f"start-up with {start.get('scenarios')} scenarios to "
                      "the ports file", "≤ 300 ms", f"{fmt(ms)} ms", ms <= 300)
        errors = sum(num(r, "errors") for r in self.rows
                     if r["kind"] in ("load", "stall", "idle"))
        errors += sum(num(r, "dropped") for r in self.rows
                      if r["kind"] in ("stall", "idle"))
        self.goal("errors in any run", "0", fmt(errors), errors == 0)
        self.p("### Goals")
        self.p()
        self.p("| goal | target | measured | met |")
        self.p("|---|---|---|---|")
        for name, target, value, ok in self.goals:
            self.p(f"| {name} | {target} | {value} | {'yes' if ok else '**no**'} |")
        self.p()


def main():
    rows = parse(sys.argv[1])
    rep = Report(rows)
    rep.header()
    one = rep.handshakes(1)
    cores = first(rows, "machine") or {}
    many = None
    if cores.get("nproc", "1") != "1":
        many = rep.handshakes(int(cores["nproc"]))
    rep.s_time()
    shares = rep.ceilings()
    rep.scale()
    rep.viewers()
    body = rep.out
    rep.out = []
    rep.goals_table(one or {}, many or {}, shares)
    print("\n".join(rep.out + body))


if __name__ == "__main__":
    main()
