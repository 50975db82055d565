"""HTTP contract of funnel-collector (docs/collector.md) on the real stack: every status
code and error message, write keys, rate limits, CORS, the tracking pixel,
/metrics, readiness notification and the request log.  What the collector
wrote to Kafka is read back with confluent_kafka and decoded with python
avro (conftest.FsSchema), never through our own code.

Run: /usr/bin/python3 -m pytest tests/integration/test_collector_http.py
with the stack's exports (deploy/local/stack up) and FS_BINARY_DIR set.
"""

import base64
import json
import os
import re
import socket
import subprocess
import time
import urllib.parse

import pytest

from conftest import (FsSchema, fs_binary, fs_free_port, fs_http, fs_post_events, fs_read_topic,
                      fs_wait_ready)

GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000"
                    "010001000002024401003b")
JSON_401 = b'{"error":"unknown or missing write key"}'


def now_ms():
    return int(time.time() * 1000)


def basic(user, password="x"):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def ev(tag, i, **kw):
    d = {"event_id": f"{tag}-{i}", "type": "page_view", "user_id": f"u-{i}"}
    d.update(kw)
    return d


def raw_request(port, data, timeout=10):
    """Sends raw bytes, returns whatever comes back before the server closes
    (or b"" when it closes without answering)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    return out


def status_of(resp):
    m = re.match(rb"HTTP/1\.[01] (\d{3})", resp)
    return int(m.group(1)) if m else None


def metric(text, name, labels=None):
    """Value of one series of a Prometheus text exposition (0 when absent)."""
    want = "" if not labels else "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"
    for line in text.splitlines():
        if line.startswith(name + want + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def scrape(port):
    status, headers, body = fs_http(port, "GET", "/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain"), headers
    return body.decode()


def run_collector(ctx, *args, env_extra=None):
    env = dict(ctx["env"])
    env.update(env_extra or {})
    return subprocess.run([fs_binary("collector"), *args], env=env, capture_output=True,
                          text=True, timeout=60)


# ------------------------------------------------------------ statuses ----

def test_statuses_and_messages(fs_ctx, fs_procs, fs_schemas):
    col = fs_procs.collector()
    port, tag = col.port, fs_ctx["tag"]

    status, doc, raw = fs_post_events(port, b"{not json")
    assert status == 400 and doc["error"].startswith("body: not valid JSON"), raw
    status, doc, raw = fs_post_events(port, [])
    assert status == 400 and doc == {"error": "body: no events"}, raw
    status, doc, raw = fs_post_events(port, {"batch": 3})
    assert status == 400 and doc == {"error": "batch: must be an array of events"}, raw
    status, doc, raw = fs_post_events(port, [ev(tag, i) for i in range(501)])
    assert status == 400 and doc == {"error": "body: 501 events, at most 500 per request"}, raw

    # every event rejected: 400 with the per-event body, named fields
    future = now_ms() + 25 * 3600 * 1000
    status, doc, raw = fs_post_events(port, [ev(tag, "f", occurred_at=future), {"type": "sale"}])
    assert status == 400, raw
    assert doc["accepted"] == 0 and [r["index"] for r in doc["rejected"]] == [0, 1], doc
    assert doc["rejected"][0]["error"] == "occurred_at: more than 24h in the future", doc
    assert "user_id or anonymous_id is required" in doc["rejected"][1]["error"], doc

    # partly accepted: 200, and the rejected ones go to the dead-letter topic
    status, doc, raw = fs_post_events(port, {"batch": [ev(tag, 1), ev(tag, 2, colour="red")]})
    assert status == 200 and doc == {"accepted": 1, "rejected": [
        {"index": 1, "error": "colour: unknown field"}]}, raw

    for ctype in ("text/html", "application/x-www-form-urlencoded", "application/jsonx"):
        status, _, raw = fs_http(port, "POST", "/v1/events", json.dumps(ev(tag, 3)).encode(),
                                 content_type=ctype)
        assert status == 415, (ctype, raw)
        assert json.loads(raw) == {
            "error": "Content-Type must be application/json or text/plain"}, raw
    status, doc, raw = fs_post_events(port, ev(tag, 4), content_type="application/json; charset=utf-8")
    assert status == 200 and doc["accepted"] == 1, raw

    # 413: announced by Content-Length (answered before the body is sent) ...
    resp = raw_request(port, b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: "
                             b"application/json\r\nContent-Length: 524289\r\nConnection: close\r\n\r\n")
    assert status_of(resp) == 413, resp[:300]
    assert b'{"error":"body: larger than 512 KiB"}' in resp, resp
    # ... or streamed with chunked encoding past 512 KiB
    chunk = b"[" + b" " * 65536
    body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in [chunk] * 9) + b"0\r\n\r\n"
    resp = raw_request(port, b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: "
                             b"application/json\r\nTransfer-Encoding: chunked\r\n"
                             b"Connection: close\r\n\r\n" + body, timeout=30)
    assert status_of(resp) == 413, resp[:300]

    for method, path, allow in [("GET", "/v1/events", "POST, OPTIONS"),
                                ("PUT", "/v1/events", "POST, OPTIONS"),
                                ("POST", "/v1/pixel.gif", "GET, HEAD"),
                                ("POST", "/healthz", "GET, HEAD"),
                                ("DELETE", "/metrics", "GET, HEAD")]:
        status, headers, raw = fs_http(port, method, path)
        assert status == 405 and headers.get("Allow") == allow, (method, path, headers, raw)
        assert json.loads(raw) == {"error": f"method not allowed: use {allow}"}, raw
    for path in ("/nope", "/v1/events/", "/v1/pixel.png", "/"):
        status, _, raw = fs_http(port, "GET", path)
        assert status == 404 and json.loads(raw) == {"error": "not found"}, (path, raw)
    status, _, raw = fs_http(port, "GET", "/healthz")
    assert status == 200 and json.loads(raw) == {"status": "ok"}
    status, _, raw = fs_http(port, "GET", "/readyz")
    assert status == 200 and json.loads(raw) == {"status": "ready"}

    # plain OPTIONS (no Origin): what the endpoint allows
    status, headers, _ = fs_http(port, "OPTIONS", "/v1/events")
    assert status == 204 and headers.get("Allow") == "POST, OPTIONS", headers

    # the accepted events are on the topic, the rejected ones on the DLQ
    v2 = fs_schemas["journey_event.v2.avsc"]
    ids = sorted(v2.decode(m.value())["event_id"]
                 for m in fs_read_topic(fs_ctx["brokers"], fs_ctx["topic"]))
    assert ids == [f"{tag}-1", f"{tag}-4"], ids
    dl = fs_schemas["dead_letter.v1.avsc"]
    reasons = sorted(dl.decode(m.value())["reason"]
                     for m in fs_read_topic(fs_ctx["brokers"], fs_ctx["dlq"]))
    assert "colour: unknown field" in reasons and \
        "occurred_at: more than 24h in the future" in reasons, reasons
    assert len(reasons) == 3, reasons


def test_malformed_http_keeps_server_up(fs_ctx, fs_procs):
    col = fs_procs.collector()
    port = col.port
    garbage = [
        b"\x00\x01\x02\xff garbage \r\n\r\n",
        b"GET\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"POST /v1/events HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
        b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nContent-Length: 20\r\n\r\n",
        b"POST /v1/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"GET /healthz HTTP/1.1\r\n" + b"X-Long: " + b"a" * 200_000 + b"\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nNo colon here\r\n\r\n",
    ]
    for data in garbage:
        resp = raw_request(port, data)
        st = status_of(resp)
        assert resp == b"" or (st is not None and 400 <= st <= 505), (data[:60], resp[:200])
        assert col.alive()
        assert fs_http(port, "GET", "/healthz")[0] == 200
    # headers beyond collector.conn_memory_limit: refused with 431 (or 413/400)
    resp = raw_request(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" +
                       b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 1000) for i in range(100)) + b"\r\n")
    assert resp == b"" or status_of(resp) in (400, 413, 431), resp[:200]
    # a connection that sends half a request and stalls does not block others
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        assert fs_http(port, "GET", "/healthz", timeout=5)[0] == 200


# ---------------------------------------------------------- write keys ----

def test_write_keys(fs_ctx, fs_procs, tmp_path):
    keys = tmp_path / "keys"
    keys.write_text("# production\nwk_file_A1\n\n  wk_file_B2  \n")
    col = fs_procs.collector("--write-keys-file", str(keys), "--write-keys", "wk_flag_C3",
                             "--log-level", "debug")
    port, tag = col.port, fs_ctx["tag"]

    def post(i, path="/v1/events", headers=None):
        return fs_http(port, "POST", path, json.dumps(ev(tag, i)).encode(), headers=headers)

    for i, (path, headers) in enumerate([
            ("/v1/events", None),
            ("/v1/events", basic("wrong")),
            ("/v1/events", basic("wk_file_A")),          # a prefix of a key
            ("/v1/events", basic("wk_file_A1x")),
            ("/v1/events", {"Authorization": "Bearer wk_file_A1"}),
            ("/v1/events", {"Authorization": "Basic !!notbase64"}),
            ("/v1/events?write_key=nope", None),
            ("/v1/events?write_key=", None),
            ("/v1/events?write_key=production", None),   # a comment is not a key
            ("/v1/events?write_key=wk_file_A1", basic("wrong"))]):  # the header wins
        status, hdrs, raw = post(100 + i, path, headers)
        assert status == 401, (path, headers, raw)
        assert raw == JSON_401, raw
        assert hdrs.get("WWW-Authenticate") == 'Basic realm="funnelstream"', hdrs

    ok = []
    for i, (path, headers) in enumerate([
            ("/v1/events", basic("wk_file_A1")),
            ("/v1/events", basic("wk_file_B2", "any password")),
            ("/v1/events", basic("wk_flag_C3", "")),
            ("/v1/events?write_key=wk_file_A1", None),
            ("/v1/events?write_key=wk_flag_C3&x=1", None)]):
        status, _, raw = post(i, path, headers)
        assert status == 200 and json.loads(raw)["accepted"] == 1, (path, raw)
        ok.append(f"{tag}-{i}")

    # the pixel: the key as ?write_key=, a GIF in every case, no login dialog
    q = urllib.parse.urlencode({"type": "email_open", "user_id": "u-px", "event_id": f"{tag}-px"})
    status, hdrs, raw = fs_http(port, "GET", "/v1/pixel.gif?" + q)
    assert status == 401 and raw == GIF and "WWW-Authenticate" not in hdrs, hdrs
    status, hdrs, raw = fs_http(port, "GET", "/v1/pixel.gif?" + q + "&write_key=bad")
    assert status == 401 and raw == GIF
    status, hdrs, raw = fs_http(port, "GET", "/v1/pixel.gif?" + q + "&write_key=wk_file_B2")
    assert status == 200 and raw == GIF, hdrs
    ok.append(f"{tag}-px")

    # health, readiness, metrics and preflight need no key
    for path in ("/healthz", "/readyz", "/metrics"):
        assert fs_http(port, "GET", path)[0] == 200, path
    v2 = FsSchema("journey_event.v2.avsc")
    ids = sorted(v2.decode(m.value())["event_id"]
                 for m in fs_read_topic(fs_ctx["brokers"], fs_ctx["topic"]))
    assert ids == sorted(ok), ids
    log = col.log_text()
    for secret in ("wk_file_A1", "wk_file_B2", "wk_flag_C3"):
        assert secret not in log, f"write key {secret} in the log"
    assert re.search(r"POST /v1/events 401 events=0 ms=[\d.]+ client=127\.0\.0\.0/24", log), log


@pytest.mark.parametrize("args,needle", [
    (["--write-keys-file", "{empty}"], "collector.write_keys_file"),
    (["--write-keys-file", "{missing}"], "collector.write_keys_file"),
    (["--write-keys-file", "{spaced}"], "line 2"),
    (["--write-keys", " , "], "collector.write_keys"),
    (["--cors-origins", "https://shop.example/"], "collector.cors_origins"),
    (["--cors-origins", "shop.example"], "item 1"),
    (["--rate-per-s", "-1"], "--rate-per-s"),
    (["--conn-memory-limit", "100"], "--conn-memory-limit"),
    (["--max-events", "50", "--bulk-min-events", "51"], "is above collector.max_events (50)"),
    (["--bulk-min-events", "1"], "--bulk-min-events"),
])
def test_bad_settings_stop_startup(fs_ctx, tmp_path, args, needle):
    (tmp_path / "empty").write_text("# nothing but a comment\n\n")
    (tmp_path / "spaced").write_text("good_key\nbad key secret_part\n")
    paths = {"empty": tmp_path / "empty", "missing": tmp_path / "nope",
             "spaced": tmp_path / "spaced"}
    argv = [a.format(**paths) for a in args]
    p = run_collector(fs_ctx, *argv, "--listen", f"127.0.0.1:{fs_free_port()}")
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert needle in p.stderr, p.stderr
    assert "secret_part" not in p.stderr, p.stderr


# ---------------------------------------------------------- rate limit ----

def test_rate_limit_per_key_and_per_ip(fs_ctx, fs_procs):
    col = fs_procs.collector("--rate-per-s", "2", "--burst", "3",
                             "--write-keys", "k_one,k_two")
    port, tag = col.port, fs_ctx["tag"]
    h1, h2 = basic("k_one"), basic("k_two")
    for i in range(3):
        status, doc, raw = fs_post_events(port, ev(tag, i), headers=h1)
        assert status == 200, raw
    status, hdrs, raw = fs_http(port, "POST", "/v1/events", json.dumps(ev(tag, 9)).encode(),
                                headers=h1)
    assert status == 429, raw
    assert 1 <= int(hdrs["Retry-After"]) <= 1, hdrs  # one token at 2/s: 0.5 s → 1 s
    assert json.loads(raw)["error"].startswith("rate limit exceeded: 2 events per second"), raw
    # another key has its own bucket; a batch is admitted, then charged per event
    status, doc, raw = fs_post_events(port, [ev(tag, 100 + i) for i in range(10)], headers=h2)
    assert status == 200 and doc["accepted"] == 10, raw
    status, hdrs, raw = fs_http(port, "POST", "/v1/events", json.dumps(ev(tag, 99)).encode(),
                                headers=h2)
    assert status == 429, raw
    # 3 - 10 = -7 tokens: (1 + 7) / 2 = 4 s (a little refill may have happened)
    assert 3 <= int(hdrs["Retry-After"]) <= 4, hdrs
    # the pixel is rate-limited too, and still answers the GIF
    status, hdrs, raw = fs_http(port, "GET", "/v1/pixel.gif?type=email_open&user_id=u"
                                              "&write_key=k_one")
    assert status == 429 and raw == GIF and int(hdrs["Retry-After"]) >= 1, hdrs
    # waiting Retry-After is enough
    time.sleep(1.05)
    status, _, raw = fs_http(port, "POST", "/v1/events", json.dumps(ev(tag, 10)).encode(),
                             headers=h1)
    assert status == 200, raw
    text = scrape(port)
    assert metric(text, "funnel_collector_rate_limited_total", {"endpoint": "events"}) == 2, text
    assert metric(text, "funnel_collector_rate_limited_total", {"endpoint": "pixel"}) == 1, text
    assert metric(text, "funnel_collector_requests_total",
                  {"endpoint": "events", "code": "429"}) == 2, text


def test_rate_limit_per_ip_without_keys(fs_ctx, fs_procs):
    col = fs_procs.collector("--rate-per-s", "1")  # burst = one second's worth
    port, tag = col.port, fs_ctx["tag"]
    assert fs_post_events(port, ev(tag, 1))[0] == 200
    status, hdrs, raw = fs_http(port, "POST", "/v1/events", json.dumps(ev(tag, 2)).encode())
    assert status == 429 and hdrs["Retry-After"] == "1", (hdrs, raw)
    assert "per client address" in json.loads(raw)["error"], raw
    # the limit is not on health checks
    for _ in range(5):
        assert fs_http(port, "GET", "/healthz")[0] == 200


# ---------------------------------------------------------------- CORS ----

def test_cors(fs_ctx, fs_procs):
    col = fs_procs.collector("--cors-origins", "https://shop.example, http://localhost:3000",
                             "--cors-max-age-s", "900")
    port, tag = col.port, fs_ctx["tag"]
    pre = {"Origin": "https://shop.example", "Access-Control-Request-Method": "POST",
           "Access-Control-Request-Headers": "content-type,authorization"}
    status, h, raw = fs_http(port, "OPTIONS", "/v1/events", headers=pre)
    assert status == 204 and raw == b"", (status, raw)
    assert h["Access-Control-Allow-Origin"] == "https://shop.example", h
    assert h["Access-Control-Allow-Methods"] == "POST, OPTIONS", h
    assert h["Access-Control-Allow-Headers"] == "Content-Type, Authorization", h
    assert h["Access-Control-Max-Age"] == "900", h
    assert "Origin" in h["Vary"], h

    status, h, raw = fs_http(port, "OPTIONS", "/v1/events",
                             headers=dict(pre, Origin="https://evil.example"))
    assert status == 403 and json.loads(raw) == {"error": "origin not allowed"}, raw
    assert not any(k.startswith("Access-Control-") for k in h), h

    status, h, raw = fs_http(port, "POST", "/v1/events", json.dumps(ev(tag, 1)).encode(),
                             content_type="text/plain", headers={"Origin": "http://localhost:3000"})
    assert status == 200, raw
    assert h["Access-Control-Allow-Origin"] == "http://localhost:3000" and h["Vary"] == "Origin", h
    # errors carry the header too, so the page's script can read them
    status, h, raw = fs_http(port, "POST", "/v1/events", b"nope",
                             headers={"Origin": "http://localhost:3000"})
    assert status == 400 and h["Access-Control-Allow-Origin"] == "http://localhost:3000", h
    # a disallowed origin is served (CORS is the browser's business) without the header
    status, h, raw = fs_http(port, "POST", "/v1/events", json.dumps(ev(tag, 2)).encode(),
                             headers={"Origin": "https://evil.example"})
    assert status == 200 and "Access-Control-Allow-Origin" not in h, h
    status, h, _ = fs_http(port, "GET", "/v1/pixel.gif?type=email_open&anonymous_id=a1",
                           headers={"Origin": "https://shop.example"})
    assert status == 200 and h["Access-Control-Allow-Origin"] == "https://shop.example", h
    # not on the operational endpoints
    status, h, _ = fs_http(port, "GET", "/metrics", headers={"Origin": "https://shop.example"})
    assert status == 200 and "Access-Control-Allow-Origin" not in h, h


def test_cors_off_and_wildcard(fs_ctx, fs_procs):
    off = fs_procs.collector()
    status, h, _ = fs_http(off.port, "OPTIONS", "/v1/events",
                           headers={"Origin": "https://shop.example",
                                    "Access-Control-Request-Method": "POST"})
    assert status == 403 and "Access-Control-Allow-Origin" not in h, h
    status, h, _ = fs_http(off.port, "POST", "/v1/events", json.dumps(ev(fs_ctx["tag"], 1)).encode(),
                           headers={"Origin": "https://shop.example"})
    assert status == 200 and "Access-Control-Allow-Origin" not in h
    anyone = fs_procs.collector("--cors-origins", "*")
    status, h, _ = fs_http(anyone.port, "OPTIONS", "/v1/events",
                           headers={"Origin": "https://whoever.example:8443"})
    assert status == 204 and h["Access-Control-Allow-Origin"] == "https://whoever.example:8443", h
    status, h, _ = fs_http(anyone.port, "OPTIONS", "/v1/events", headers={"Origin": "null"})
    assert status == 403, h


# --------------------------------------------------------------- pixel ----

def test_pixel(fs_ctx, fs_procs, fs_schemas):
    col = fs_procs.collector()
    port, tag = col.port, fs_ctx["tag"]
    t0 = now_ms()
    q = urllib.parse.urlencode({
        "type": "email_open", "user_id": "crm-7", "anonymous_id": "anon 7",
        "channel": "email", "utm_campaign": "bf26 \u2713", "utm_source": "newsletter",
        "event_id": f"{tag}-open", "occurred_at": str(t0 - 60_000),
        "properties.variant": "B", "_": "cachebuster"})
    status, h, body = fs_http(port, "GET", "/v1/pixel.gif?" + q)
    assert status == 200, (h, body)
    assert body == GIF and len(body) == 43
    assert h["Content-Type"] == "image/gif" and h["Cache-Control"] == "no-store", h
    assert h["Content-Length"] == "43", h

    # invalid pixels still answer the GIF, with the reason for developers
    status, h, body = fs_http(port, "GET", "/v1/pixel.gif?type=email_opened&user_id=u"
                                            f"&event_id={tag}-bad")
    assert status == 400 and body == GIF, h
    assert h["X-Funnel-Error"].startswith("type: unknown event type"), h
    status, h, body = fs_http(port, "GET", "/v1/pixel.gif?type=ad_click&anonymous_id=a"
                                            "&campaign=x&utm_campaign=y")
    assert status == 400 and body == GIF
    assert h["X-Funnel-Error"] == "campaign: given more than once (as utm_campaign)", h
    status, h, body = fs_http(port, "GET", "/v1/pixel.gif?type=ad_click&anonymous_id=a&chanel=x")
    assert status == 400 and h["X-Funnel-Error"] == "chanel: unknown field", h
    status, h, body = fs_http(port, "GET", "/v1/pixel.gif")
    assert status == 400 and body == GIF
    # HEAD (link checkers, prefetchers): the headers, no event
    status, h, body = fs_http(port, "HEAD", "/v1/pixel.gif?type=email_open&user_id=u"
                                             f"&event_id={tag}-head")
    assert status == 200 and h["Content-Type"] == "image/gif" and body == b"", h

    v2 = fs_schemas["journey_event.v2.avsc"]
    recs = fs_read_topic(fs_ctx["brokers"], fs_ctx["topic"])
    assert len(recs) == 1, [v2.decode(m.value()) for m in recs]
    assert recs[0].key() == b"crm-7"
    d = v2.decode(recs[0].value())
    assert d["event_id"] == f"{tag}-open" and d["type"] == "email_open", d
    assert d["user_id"] == "crm-7" and d["anonymous_id"] == "anon 7", d
    assert d["channel"] == "email" and d["campaign"] == "bf26 \u2713", d
    assert d["source"] == "newsletter" and d["properties"] == {"variant": "B"}, d
    assert d["occurred_at"] == t0 - 60_000 and t0 - 1000 <= d["received_at"] <= now_ms(), d
    assert d["ingest_source"] == "collector", d

    dl = fs_schemas["dead_letter.v1.avsc"]
    letters = [dl.decode(m.value()) for m in fs_read_topic(fs_ctx["brokers"], fs_ctx["dlq"])]
    assert len(letters) == 4, letters
    bad = [x for x in letters if x["raw"] and f"{tag}-bad".encode() in x["raw"]]
    assert len(bad) == 1 and bad[0]["reason"].startswith("type: unknown event type"), letters
    assert json.loads(bad[0]["raw"]) == {"type": "email_opened", "user_id": "u",
                                         "event_id": f"{tag}-bad"}, bad

    text = scrape(port)
    assert metric(text, "funnel_collector_requests_total", {"endpoint": "pixel", "code": "200"}) == 2
    assert metric(text, "funnel_collector_requests_total", {"endpoint": "pixel", "code": "400"}) == 4
    # the bad type, and the empty pixel ("type: required; ...")
    assert metric(text, "funnel_collector_events_rejected_total", {"reason": "type"}) == 2, text
    assert metric(text, "funnel_collector_events_rejected_total", {"reason": "campaign"}) == 1
    assert metric(text, "funnel_collector_events_rejected_total",
                  {"reason": "unknown_field"}) == 1, text


# ------------------------------------------------------------- metrics ----

def test_metrics_move(fs_ctx, fs_procs):
    col = fs_procs.collector()
    port, tag = col.port, fs_ctx["tag"]
    # With several HTTP threads, the readiness probe's request may still be
    # finishing on another thread for a moment after its answer arrived.
    deadline = time.monotonic() + 5
    before, scrapes = scrape(port), 1
    while metric(before, "funnel_collector_inflight_requests") != 1 and \
            time.monotonic() < deadline:
        time.sleep(0.05)
        before, scrapes = scrape(port), scrapes + 1
    assert metric(before, "funnel_collector_events_accepted_total") == 0
    assert "# TYPE funnel_collector_ack_latency_seconds histogram" in before
    assert metric(before, "funnel_collector_inflight_requests") == 1  # the scrape itself
    assert fs_post_events(port, [ev(tag, i) for i in range(5)])[0] == 200
    assert fs_post_events(port, [ev(tag, 9, revenue="1.234"), {"type": "x", "user_id": "u"},
                                 ev(tag, 8)])[0] == 200
    assert fs_http(port, "GET", "/nope")[0] == 404
    text = scrape(port)
    assert metric(text, "funnel_collector_events_accepted_total") == 6, text
    assert metric(text, "funnel_collector_events_rejected_total", {"reason": "revenue"}) == 1
    assert metric(text, "funnel_collector_events_rejected_total", {"reason": "type"}) == 1
    assert metric(text, "funnel_collector_requests_total",
                  {"endpoint": "events", "code": "200"}) == 2, text
    assert metric(text, "funnel_collector_requests_total", {"endpoint": "other", "code": "404"}) == 1
    assert metric(text, "funnel_collector_requests_total",
                  {"endpoint": "metrics", "code": "200"}) == scrapes, text
    assert metric(text, "funnel_collector_ack_latency_seconds_count") == 6, text
    assert metric(text, "funnel_collector_ack_latency_seconds_bucket", {"le": "+Inf"}) == 6
    assert 0 < metric(text, "funnel_collector_ack_latency_seconds_sum") < 60
    assert metric(text, "funnel_collector_delivery_failures_total") == 0
    assert "funnel_collector_kafka_queue_messages " in text


def lanes(port):
    text = scrape(port)
    return {lane: metric(text, "funnel_collector_events_produced_total", {"lane": lane})
            for lane in ("latency", "bulk")}


def test_bulk_lane(fs_ctx, fs_procs, fs_schemas):
    """Batches of collector.bulk_min_events or more go to the second producer
    (longer linger), smaller requests and the pixel to the 5 ms one; both
    deliver, and 0 turns the second producer off."""
    tag = fs_ctx["tag"]
    col = fs_procs.collector()
    assert lanes(col.port) == {"latency": 0, "bulk": 0}
    # the documented defaults (docs/collector.md): 20 events, 50 ms
    assert "requests of 20 events or more go to a producer lingering 50 ms" in col.log_text()
    sent = []
    for n in (1, 19, 20, 120):
        batch = [ev(tag, len(sent) + i) for i in range(n)]
        status, doc, raw = fs_post_events(col.port, batch)
        assert status == 200 and doc["accepted"] == n, raw
        sent += [e["event_id"] for e in batch]
    # 20 events of which one is rejected: 19 accepted, the latency lane
    batch = [ev(tag, len(sent) + i) for i in range(19)] + [{"type": "nope", "user_id": "u"}]
    assert fs_post_events(col.port, batch)[0] == 200
    sent += [e["event_id"] for e in batch[:19]]
    status, _, _ = fs_http(col.port, "GET", f"/v1/pixel.gif?type=email_open&user_id=u&event_id={tag}-px")
    assert status == 200
    sent.append(f"{tag}-px")
    assert lanes(col.port) == {"latency": 1 + 19 + 19 + 1, "bulk": 20 + 120}
    v2 = fs_schemas["journey_event.v2.avsc"]
    got = [v2.decode(m.value())["event_id"] for m in fs_read_topic(fs_ctx["brokers"], fs_ctx["topic"])]
    assert sorted(got) == sorted(sent)

    # 150 events with rejected ones around the 64-event produce chunks: every
    # accepted event is in the topic once, under its own person's key
    tag2 = tag + "k"
    big = [ev(tag2, i) for i in range(150)]
    for i in (0, 63, 64, 65, 127, 128, 149):
        big[i] = {"type": "nope", "user_id": f"u-{i}", "event_id": f"{tag2}-{i}"}
    status, doc, raw = fs_post_events(col.port, big)
    assert status == 200 and doc["accepted"] == 143, raw
    keyed = {}
    for m in fs_read_topic(fs_ctx["brokers"], fs_ctx["topic"]):
        e = v2.decode(m.value())
        if e["event_id"].startswith(tag2 + "-"):
            assert e["event_id"] not in keyed, e
            keyed[e["event_id"]] = (m.key(), e["user_id"])
    assert sorted(keyed) == sorted(e["event_id"] for e in big if e["type"] != "nope")
    assert all(k == u.encode() for k, u in keyed.values()), keyed

    one = fs_procs.collector("--bulk-linger-ms", "0", "--bulk-min-events", "5")
    assert fs_post_events(one.port, [ev(tag + "b", i) for i in range(30)])[0] == 200
    assert lanes(one.port) == {"latency": 30, "bulk": 0}
    two = fs_procs.collector("--bulk-min-events", "5")
    assert fs_post_events(two.port, [ev(tag + "c", i) for i in range(5)])[0] == 200
    assert fs_post_events(two.port, [ev(tag + "c", 10 + i) for i in range(4)])[0] == 200
    assert lanes(two.port) == {"latency": 4, "bulk": 5}
    # the bulk producer lingers as configured: 20 events wait a whole second
    slow = fs_procs.collector("--bulk-linger-ms", "1000")
    assert fs_post_events(slow.port, [ev(tag + "d", i) for i in range(20)])[0] == 200
    text = scrape(slow.port)
    assert metric(text, "funnel_collector_ack_latency_seconds_count") == 20, text
    assert metric(text, "funnel_collector_ack_latency_seconds_bucket", {"le": "0.5"}) == 0, text


def test_http_threads(fs_procs):
    """collector.http_threads 0 (the default) is one more than the CPUs the
    process may run on, at most 64."""
    def workers(d):
        names = [open(f"/proc/{d.pid}/task/{t}/comm").read().strip()
                 for t in os.listdir(f"/proc/{d.pid}/task")]
        return sum(1 for n in names if n.startswith("MHD-worker"))
    assert workers(fs_procs.collector()) == min(len(os.sched_getaffinity(0)) + 1, 64)
    assert workers(fs_procs.collector("--http-threads", "4")) == 4


# --------------------------------------------------------------- Kafka ----

def test_kafka_down_gives_503(fs_ctx, fs_procs):
    dead = f"127.0.0.1:{fs_free_port()}"
    port = fs_free_port()
    col = fs_procs.start("collector", "--ack-timeout-ms", "1500",
                         env_extra={"FUNNEL_LISTEN": f"127.0.0.1:{port}",
                                    "FUNNEL_KAFKA_BROKERS": dead})
    col.port = port
    fs_wait_ready(col, 30, path="/healthz")
    status, h, raw = fs_http(port, "GET", "/readyz")
    assert status == 503 and h.get("Retry-After"), raw
    tag = fs_ctx["tag"]
    status, h, raw = fs_http(port, "POST", "/v1/events",
                             json.dumps([ev(tag, 1), {"type": "page_view", "user_id": "u"}]).encode())
    assert status == 503, raw
    assert int(h["Retry-After"]) >= 1, h
    doc = json.loads(raw)
    assert "retry later with the same event_ids" in doc["error"], doc
    assert "duplicates are removed downstream by event_id" in doc["error"], doc
    # the generated id is given back, so that the retry can carry it
    assert doc["event_ids"][0] == f"{tag}-1" and len(doc["event_ids"]) == 2, doc
    status, h, body = fs_http(port, "GET", "/v1/pixel.gif?type=email_open&user_id=u")
    assert status == 503 and body == GIF and h["Cache-Control"] == "no-store", h
    # a batch on the bulk producer fails the same way
    status, h, raw = fs_http(port, "POST", "/v1/events",
                             json.dumps([ev(tag, 100 + i) for i in range(25)]).encode())
    assert status == 503 and len(json.loads(raw)["event_ids"]) == 25, raw
    text = scrape(port)
    assert metric(text, "funnel_collector_events_produced_total", {"lane": "bulk"}) == 25, text
    assert metric(text, "funnel_collector_delivery_failures_total") == 28, text
    assert metric(text, "funnel_collector_events_accepted_total") == 0


def test_local_queue_full_is_503_not_half_accepted(fs_ctx, fs_procs, fs_schemas):
    # a tiny librdkafka queue held back by linger: the 4th event cannot be queued
    col = fs_procs.collector("-X", "queue.buffering.max.messages=3", "-X", "linger.ms=300")
    tag = fs_ctx["tag"]
    status, h, raw = fs_http(col.port, "POST", "/v1/events",
                             json.dumps([ev(tag, i) for i in range(10)]).encode())
    assert status == 503, raw
    doc = json.loads(raw)
    assert "retry later with the same event_ids" in doc["error"], doc
    assert doc["event_ids"] == [f"{tag}-{i}" for i in range(10)], doc
    # the retry, once the queue has room, succeeds; duplicates are the worker's business
    status, doc, raw = fs_post_events(col.port, [ev(tag, i) for i in range(3)])
    assert status == 200 and doc["accepted"] == 3, raw
    v2 = fs_schemas["journey_event.v2.avsc"]
    ids = [v2.decode(m.value())["event_id"] for m in fs_read_topic(fs_ctx["brokers"], fs_ctx["topic"])]
    assert sorted(set(ids)) == [f"{tag}-{i}" for i in range(3)], ids


# ---------------------------------------------------------- operations ----

def test_notify_socket_and_request_log(fs_ctx, fs_procs, tmp_path):
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(30)
    try:
        port = fs_free_port()
        col = fs_procs.start("collector", "--log-level", "debug",
                             env_extra={"FUNNEL_LISTEN": f"127.0.0.1:{port}",
                                        "NOTIFY_SOCKET": path})
        col.port = port
        assert sock.recv(100) == b"READY=1"
        fs_wait_ready(col)
        tag = fs_ctx["tag"]
        status, _, raw = fs_http(port, "POST", "/v1/events?write_key=sekrit_in_query",
                                 json.dumps([ev(tag, 1, user_id="jane@example.com"),
                                             ev(tag, 2)]).encode())
        assert status == 200, raw
        col.proc.terminate()
        assert sock.recv(100) == b"STOPPING=1"
        assert col.proc.wait(timeout=20) == 0
    finally:
        sock.close()
    log = col.log_text()
    lines = [x for x in log.splitlines() if "POST /v1/events" in x]
    assert len(lines) == 1, log
    assert re.search(r"POST /v1/events 200 events=2 ms=[\d.]+ client=127\.0\.0\.0/24$", lines[0]), lines
    for secret in ("jane@example.com", "sekrit_in_query", "127.0.0.1 ", "client=127.0.0.1"):
        assert secret not in log, secret
