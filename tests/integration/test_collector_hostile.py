"""funnel-collector against hostile clients (docs/security.md, §9.7, §9.9), on the
real stack: memory held for request bodies under thousands of stalled large
bodies, slow clients and the request deadline, the per-address connection
cap and the health listener, request smuggling, NUL bytes in parameters,
junk under a rate limit, and an unknown topic at start-up.  What reached
Kafka is read back with confluent_kafka, never through our code.

Run: /usr/bin/python3 -m pytest tests/integration/test_collector_hostile.py
with the stack's exports (deploy/local/stack up) and FS_BINARY_DIR set.
"""

import json
import resource
import socket
import subprocess
import threading
import time

from conftest import fs_binary, fs_free_port, fs_http, fs_post_events, fs_read_topic

EVENT_HEAD = b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def raise_fd_limit(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def timed_healthz(port, source="127.0.0.1"):
    """(status, seconds) of GET /healthz on a fresh connection from @source."""
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=5,
                                  source_address=(source, 0)) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        out = b""
        while chunk := s.recv(4096):
            out += chunk
    return int(out[9:12]), time.monotonic() - t0


def read_all(sock, timeout):
    """Everything the server sends until it closes (or @timeout)."""
    sock.settimeout(timeout)
    out = b""
    try:
        while chunk := sock.recv(65536):
            out += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    return out


def status_of(resp):
    return int(resp[9:12]) if resp.startswith(b"HTTP/1.") else None


def event_request(event_id, extra=b""):
    body = json.dumps({"event_id": event_id, "type": "page_view", "user_id": "u1"}).encode()
    return (EVENT_HEAD + b"Content-Length: %d\r\n" % len(body) + extra + b"\r\n" + body)


def topic_event_ids(ctx, schemas):
    v2 = schemas["journey_event.v2.avsc"]
    return sorted(v2.decode(m.value())["event_id"]
                  for m in fs_read_topic(ctx["brokers"], ctx["topic"]))


# ------------------------------------------------------- body memory ----

def test_body_budget_bounds_memory_and_returns_it(fs_ctx, fs_procs):
    """Hundreds of connections announce a 512 KiB body, send most of it and
    stall.  Memory must grow with the budget, not with the connections, and
    go back once they are gone."""
    n, sent = 500, 500 * 1024
    raise_fd_limit(4 * n)
    # AddressSanitizer keeps freed blocks in a quarantine (256 MB by default)
    # to catch use after free: that is the sanitizer's memory, not ours.
    fs_ctx["env"]["ASAN_OPTIONS"] = fs_ctx["env"].get("ASAN_OPTIONS", "") + \
        ":quarantine_size_mb=1"
    col = fs_procs.collector("--body-budget-bytes", str(16 << 20),
                             "--max-conns-per-addr", "0", "--request-deadline-s", "120")
    port = col.port
    base = rss_mb(col.pid)
    chunk = b"[" + b" " * (sent - 1)
    socks, refused = [], 0
    try:
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            socks.append(s)
            try:
                s.sendall(EVENT_HEAD + b"Content-Length: 524288\r\n\r\n" + chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
        time.sleep(1.5)  # let the collector read what is in the sockets
        peak = rss_mb(col.pid)
        status, secs = timed_healthz(port)
        assert status == 200 and secs < 1.0, (status, secs)
        for s in socks:  # who was told 503?
            s.setblocking(False)
            try:
                data = s.recv(4096)
            except (BlockingIOError, ConnectionResetError):
                data = b""
            if status_of(data) == 503:
                assert b"Retry-After: " in data, data[:300]
                refused += 1
    finally:
        for s in socks:
            s.close()
    growth = peak - base
    # 500 x 512 KiB is 250 MB; the budget is 16 MiB, plus libmicrohttpd's
    # 16 KiB per connection and the sanitizer's share of them.
    assert growth < 100, f"RSS grew {growth:.0f} MB under {n} stalled bodies (base {base:.0f})"
    assert refused >= n // 2, f"only {refused} of {n} told 503"
    deadline = time.monotonic() + 10
    while rss_mb(col.pid) - base > 30 and time.monotonic() < deadline:
        time.sleep(0.2)
    after = rss_mb(col.pid)
    assert after - base <= 30, f"RSS {after:.0f} MB after the clients left (base {base:.0f}, peak {peak:.0f})"
    text = fs_http(port, "GET", "/metrics")[2].decode()
    assert 'funnel_collector_refused_total{reason="body_budget"}' in text, text
    # and the collector still takes events
    status, doc, raw = fs_post_events(port, {"event_id": "after", "type": "page_view",
                                             "user_id": "u"})
    assert status == 200, raw


# ------------------------------------------------- slow clients, caps ----

def test_slow_client_closed_at_deadline_while_healthz_answers(fs_ctx, fs_procs):
    col = fs_procs.collector("--request-deadline-s", "2", "--conn-timeout-s", "30")
    port = col.port
    closed_after = {}

    def drip(name, prefix, trickle):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(prefix)
            t0 = time.monotonic()
            try:
                for b in trickle:
                    s.sendall(bytes([b]))
                    time.sleep(0.25)  # 4 bytes/s: never idle
                    if time.monotonic() - t0 > 8:
                        break
                    s.setblocking(False)
                    try:
                        if s.recv(1) == b"":
                            break
                    except BlockingIOError:
                        pass
                    finally:
                        s.setblocking(True)
            except (BrokenPipeError, ConnectionResetError):
                pass
            closed_after[name] = time.monotonic() - t0

    headers = threading.Thread(target=drip, args=(
        "headers", b"", EVENT_HEAD + b"X-Slow: " + b"a" * 200))
    body = threading.Thread(target=drip, args=(
        "body", EVENT_HEAD + b"Content-Length: 1000\r\n\r\n", b"[" + b" " * 998))
    headers.start()
    body.start()
    worst = 0.0
    while headers.is_alive() or body.is_alive():
        status, secs = timed_healthz(port)
        assert status == 200, status
        worst = max(worst, secs)
        time.sleep(0.2)
    assert worst < 1.0, worst
    for name in ("headers", "body"):
        assert 1.9 <= closed_after[name] <= 4.5, closed_after
    text = fs_http(port, "GET", "/metrics")[2].decode()
    assert 'funnel_collector_refused_total{reason="deadline"} 2' in text, text


def test_per_address_cap_and_health_listener(fs_ctx, fs_procs):
    health = fs_free_port()
    col = fs_procs.collector("--max-conns-per-addr", "20", "--max-connections", "64",
                             "--health-listen", f"127.0.0.1:{health}")
    port = col.port
    socks, refused = [], 0
    try:
        for _ in range(40):
            socks.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        time.sleep(0.5)
        for s in socks:  # the ones past the cap are closed at once
            s.settimeout(0.2)
            try:
                refused += s.recv(1) == b""
            except socket.timeout:
                pass
            except ConnectionResetError:
                refused += 1
        assert refused == 20, refused
        # another address is not affected; nor is the health listener
        status, secs = timed_healthz(port, source="127.0.0.2")
        assert status == 200 and secs < 1.0, (status, secs)
        # fill the main listener from many addresses: probes still answered
        for i in range(3, 6):
            for _ in range(20):
                try:
                    socks.append(socket.create_connection(
                        ("127.0.0.1", port), timeout=5, source_address=(f"127.0.0.{i}", 0)))
                except OSError:
                    pass
        status, secs = timed_healthz(health)
        assert status == 200 and secs < 1.0, (status, secs)
        assert fs_http(health, "GET", "/readyz")[0] == 200
        assert fs_http(health, "POST", "/v1/events", b"{}")[0] == 404
    finally:
        for s in socks:
            s.close()


# ------------------------------------------------------------ framing ----

def test_smuggling_is_refused_and_nothing_produced(fs_ctx, fs_procs, fs_schemas):
    col = fs_procs.collector()
    port = col.port
    hidden = event_request("smuggled")
    attempts = {
        "duplicate Content-Length":
            (EVENT_HEAD + b"Content-Length: 2\r\nContent-Length: %d\r\n\r\n{}" % (2 + len(hidden))
             + hidden, 400, b"Content-Length: given more than once"),
        "equal duplicates":
            (EVENT_HEAD + b"Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}" + hidden, 400,
             b"Content-Length: given more than once"),
        "space before colon":
            (EVENT_HEAD + b"Content-Length : %d\r\n\r\n" % len(hidden) + hidden, 400,
             b"header: malformed name"),
        # (libmicrohttpd refuses this one itself, with its own page)
        "not digits":
            (EVENT_HEAD + b"Content-Length: 2x\r\n\r\n{}" + hidden, 400, b"Content-Length"),
        "Content-Length and Transfer-Encoding":
            (EVENT_HEAD + b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
             % (5 + len(hidden)) + hidden, 400, b"Transfer-Encoding"),
    }
    for name, (data, want, msg) in attempts.items():
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(data)
            resp = read_all(s, 10)
        assert status_of(resp) == want, (name, resp[:300])
        assert msg in resp, (name, resp[:400])
        assert b"HTTP/1.1 200" not in resp and b"accepted" not in resp, (name, resp)

    # an endless chunked body: 413 once past 512 KiB, not at its end
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(EVENT_HEAD + b"Transfer-Encoding: chunked\r\n\r\n")
        got = []
        reader = threading.Thread(target=lambda: got.append(read_all(s, 10)))
        reader.start()
        chunk = b"[" + b" " * 65535
        sent, t0 = 0, time.monotonic()
        try:
            while not got and sent < (64 << 20) and time.monotonic() - t0 < 10:
                s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        reader.join(10)
    assert got and status_of(got[0]) == 413, (sent, got[:1])
    assert b'{"error":"body: larger than 512 KiB"}' in got[0], got
    assert sent < (16 << 20), f"{sent} bytes sent before the 413"

    status, doc, raw = fs_post_events(port, {"event_id": "control", "type": "page_view",
                                             "user_id": "u"})
    assert status == 200, raw
    assert topic_event_ids(fs_ctx, fs_schemas) == ["control"]


def test_nul_in_parameter_or_write_key_is_400(fs_ctx, fs_procs, fs_schemas):
    col = fs_procs.collector("--write-keys", "k1")
    port = col.port
    status, hdrs, body = fs_http(port, "GET", "/v1/pixel.gif?type=page_view&user_id=u%00x"
                                              "&write_key=k1")
    assert status == 400 and hdrs["X-Funnel-Error"] == "user_id: contains a control character", hdrs
    status, hdrs, body = fs_http(port, "GET", "/v1/pixel.gif?type=page_view&user_id=u"
                                              "&write_key=k1%00junk")
    assert status == 400 and hdrs["X-Funnel-Error"] == "write_key: contains a control character", hdrs
    status, hdrs, raw = fs_http(port, "POST", "/v1/events?write_key=k1%00junk",
                                json.dumps({"event_id": "nul-post", "type": "page_view",
                                            "user_id": "u"}).encode())
    assert status == 400, raw
    assert json.loads(raw) == {"error": "write_key: contains a control character"}, raw
    status, hdrs, raw = fs_http(port, "GET", "/v1/pixel.gif?type=page_view&user_id=ok"
                                              "&write_key=k1&event_id=control")
    assert status == 200, hdrs
    assert topic_event_ids(fs_ctx, fs_schemas) == ["control"]


# --------------------------------------------------------- rate limit ----

def test_junk_does_not_lock_a_key_out(fs_ctx, fs_procs):
    col = fs_procs.collector("--rate-per-s", "10", "--burst", "20", "--write-keys", "k1")
    port = col.port
    auth = {"Authorization": "Basic azE6eA=="}  # k1:x
    status, doc, raw = fs_post_events(port, [{"type": "nope"}] * 500, headers=auth)
    assert status == 400 and doc["accepted"] == 0, raw
    # the junk emptied the bucket, no further: the next token is 0.1 s away
    status, hdrs, raw = fs_http(port, "POST", "/v1/events", b"[not json", headers=auth)
    assert status == 429 and hdrs["Retry-After"] == "1", (status, hdrs, raw)
    time.sleep(1.2)  # long enough for a token or more, far from the debt of 480 junk events
    status, doc, raw = fs_post_events(port, {"event_id": "after-junk", "type": "page_view",
                                             "user_id": "u"}, headers=auth)
    assert status == 200, raw
    # accepted events still count in full: a batch over the burst is paid for
    status, doc, raw = fs_post_events(port, [{"type": "page_view", "user_id": f"u{i}"}
                                             for i in range(40)], headers=auth)
    assert status == 200, raw
    status, hdrs, raw = fs_http(port, "POST", "/v1/events", b'{"type":"page_view","user_id":"u"}',
                                headers=auth)
    assert status == 429 and int(hdrs["Retry-After"]) >= 2, (status, hdrs)


# ------------------------------------------------------------ startup ----

def test_unknown_topic_stops_startup(fs_ctx):
    for var, key in (("FUNNEL_TOPIC", "kafka.topic"), ("FUNNEL_DLQ_TOPIC", "kafka.dlq_topic")):
        env = dict(fs_ctx["env"])
        missing = f"it.{fs_ctx['tag']}.missing"
        env[var] = missing
        env["FUNNEL_LISTEN"] = f"127.0.0.1:{fs_free_port()}"
        try:
            p = subprocess.run([fs_binary("collector")], env=env, capture_output=True,
                               text=True, timeout=30)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"collector still running 30 s after start with {var}={missing}")
        assert p.returncode != 0, p.stderr
        assert key in p.stderr and f'"{missing}"' in p.stderr and "does not exist" in p.stderr, \
            p.stderr
