#!/usr/bin/env python3
"""A hostile HTTP client for funnel-collector, to measure its limits
(docs/security.md, §9.7; docs/security.md has the numbers of the last run).

Loopback only, bounded in connections (at most 8000) and time (each attack
at most --seconds, 120 at most).  It needs nothing but the standard
library; give it the collector's pid to read its memory from /proc.

  bench/hostile_client.py --port 8080 --pid $(pidof funnel-collector) \\
      [--conns 4000] [--seconds 20] [--attack all|stall|slow|cap|smuggle|chunked]

Attacks:
  stall    --conns connections announce a 512 KiB body, send 500 KiB of it
           and stall; RSS before, at the peak, and after they close;
           statuses the collector answered (503 past its body budget).
  slow     --conns/10 connections send their headers one byte a second;
           how long until the collector closes them (request deadline).
  cap      connections from one address until the collector refuses them.
  smuggle  duplicate / malformed Content-Length, Content-Length with
           Transfer-Encoding: the statuses answered.
  chunked  an endless chunked body: bytes sent before the 413.
Throughout, a probe asks /healthz (from 127.0.0.2, so the per-address cap
of the attacking address does not apply; on --health-port if given) every
100 ms and records the latency; a probe that fails or takes 1 s or more is
counted.
"""

import argparse
import json
import multiprocessing
import resource
import socket
import sys
import threading
import time

MAX_CONNS = 8000
MAX_SECONDS = 120
HEAD = b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"


def rss_mb(pid):
    if not pid:
        return None
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return None


def status_of(data):
    return int(data[9:12]) if data.startswith(b"HTTP/1.") else None


def probe_loop(port, stop, out):
    """GET /healthz every 100 ms from another loopback address, until
    @stop is set; latencies (None: failed) go to @out."""
    lat = []
    while not stop.is_set():
        t0 = time.monotonic()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2,
                                          source_address=("127.0.0.2", 0)) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                ok = status_of(s.recv(4096)) == 200
        except OSError:
            ok = False
        lat.append(time.monotonic() - t0 if ok else None)
        time.sleep(0.1)
    out.send(lat)


class Probe:
    """The probe in a process of its own, so that the attack's work in this
    one (and its interpreter lock) does not delay the measurement."""

    def __init__(self, port):
        self.stop = multiprocessing.Event()
        self.rx, tx = multiprocessing.Pipe(duplex=False)
        self.proc = multiprocessing.Process(target=probe_loop, args=(port, self.stop, tx))

    def start(self):
        self.proc.start()

    def finish(self):
        self.stop.set()
        lat = self.rx.recv()
        self.proc.join()
        ok = sorted(x for x in lat if x is not None) or [0.0]
        return {"probes": len(lat),
                "failed_or_slow": sum(1 for x in lat if x is None or x >= 1.0),
                "p50_ms": round(ok[len(ok) // 2] * 1000, 1),
                "max_ms": round(ok[-1] * 1000, 1)}


def drain_statuses(socks):
    out = {}
    for s in socks:
        s.setblocking(False)
        try:
            data = s.recv(4096)
        except (BlockingIOError, ConnectionResetError, OSError):
            data = None
        key = "closed" if data == b"" else str(status_of(data)) if data else "no answer"
        out[key] = out.get(key, 0) + 1
    return out


def attack_stall(a):
    base = rss_mb(a.pid)
    socks, t0 = [], time.monotonic()
    body = b"[" + b" " * (500 * 1024 - 1)
    for _ in range(a.conns):
        if time.monotonic() - t0 > a.seconds:
            break
        try:
            s = socket.create_connection(("127.0.0.1", a.port), timeout=10)
        except OSError:
            break
        socks.append(s)
        try:
            s.sendall(HEAD + b"Content-Length: 524288\r\n\r\n" + body)
        except OSError:
            pass
    time.sleep(2)
    peak = rss_mb(a.pid)
    statuses = drain_statuses(socks)
    for s in socks:
        s.close()
    time.sleep(3)
    return {"connections": len(socks), "rss_mb_before": base, "rss_mb_peak": peak,
            "rss_mb_3s_after_close": rss_mb(a.pid), "answers": statuses,
            "send_seconds": round(time.monotonic() - t0 - 5, 1)}


def attack_slow(a):
    n = max(1, min(a.conns // 10, 1000))
    socks, closed_at = [], {}
    t0 = time.monotonic()
    for _ in range(n):
        try:
            socks.append(socket.create_connection(("127.0.0.1", a.port), timeout=5))
        except OSError:
            break
    req = HEAD + b"X-Slow: " + b"a" * 1000
    i = 0
    while time.monotonic() - t0 < a.seconds and len(closed_at) < len(socks):
        for k, s in enumerate(socks):
            if k in closed_at:
                continue
            try:
                s.sendall(req[i:i + 1])
                s.setblocking(False)
                if s.recv(1) == b"":
                    closed_at[k] = time.monotonic() - t0
                s.setblocking(True)
            except BlockingIOError:
                s.setblocking(True)
            except OSError:
                closed_at[k] = time.monotonic() - t0
        i += 1
        time.sleep(1.0)
    for s in socks:
        s.close()
    times = sorted(closed_at.values())
    return {"connections": len(socks), "closed": len(times),
            "closed_after_s_min": round(times[0], 1) if times else None,
            "closed_after_s_max": round(times[-1], 1) if times else None}


def attack_cap(a):
    socks = []
    refused_at = None
    for i in range(min(a.conns, 2000)):
        try:
            s = socket.create_connection(("127.0.0.1", a.port), timeout=5)
        except OSError:
            refused_at = i
            break
        socks.append(s)
        s.settimeout(0.05)
        try:
            if s.recv(1) == b"":
                refused_at = i
                break
        except socket.timeout:
            pass
        except OSError:
            refused_at = i
            break
    for s in socks:
        s.close()
    return {"first_refused_connection": refused_at, "opened": len(socks)}


def one(a, data, timeout=5):
    with socket.create_connection(("127.0.0.1", a.port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
        except (socket.timeout, ConnectionResetError):
            pass
    return status_of(out), out.count(b"HTTP/1.1 ")


def attack_smuggle(a):
    inner = HEAD + b"Content-Length: 2\r\n\r\n{}"
    cases = {
        "duplicate Content-Length": HEAD + b"Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}" + inner,
        "space before colon": HEAD + b"Content-Length : 2\r\n\r\n{}",
        "non-digit Content-Length": HEAD + b"Content-Length: 2x\r\n\r\n{}",
        "Content-Length + Transfer-Encoding":
            HEAD + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + inner,
        "NUL in write_key": b"GET /v1/pixel.gif?type=page_view&user_id=u&write_key=k%00x "
                            b"HTTP/1.1\r\nHost: x\r\n\r\n",
    }
    return {name: {"status": st, "responses": n}
            for name, (st, n) in ((k, one(a, v)) for k, v in cases.items())}


def attack_chunked(a):
    with socket.create_connection(("127.0.0.1", a.port), timeout=10) as s:
        s.sendall(HEAD + b"Transfer-Encoding: chunked\r\n\r\n")
        got = []
        t = threading.Thread(target=lambda: got.append(s.recv(4096)), daemon=True)
        t.start()
        chunk = b" " * 65536
        sent, t0 = 0, time.monotonic()
        try:
            while not got and time.monotonic() - t0 < a.seconds and sent < (1 << 30):
                s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
        except OSError:
            pass
        t.join(5)
    return {"status": status_of(got[0]) if got else None, "bytes_sent_before_answer": sent,
            "seconds": round(time.monotonic() - t0, 2)}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--pid", type=int, default=0, help="collector pid, for its RSS")
    p.add_argument("--conns", type=int, default=4000)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--attack", default="all")
    p.add_argument("--health-port", type=int, default=0,
                   help="probe /healthz here (collector.health_listen) instead of --port")
    a = p.parse_args()
    if a.conns > MAX_CONNS or a.seconds > MAX_SECONDS:
        sys.exit(f"at most {MAX_CONNS} connections and {MAX_SECONDS} s")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, a.conns + 100)), hard))
    attacks = {"stall": attack_stall, "slow": attack_slow, "cap": attack_cap,
               "smuggle": attack_smuggle, "chunked": attack_chunked}
    names = list(attacks) if a.attack == "all" else a.attack.split(",")
    report = {}
    for name in names:
        probe = Probe(a.health_port or a.port)
        probe.start()
        report[name] = attacks[name](a)
        report[name]["healthz"] = probe.finish()
        print(name, json.dumps(report[name]), flush=True)
        time.sleep(1)


if __name__ == "__main__":
    main()
