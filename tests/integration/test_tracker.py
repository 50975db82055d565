"""The browser tracker (docs/tracker.md) in a real headless Chromium, against the
real collector and Kafka.

Test pages are served by a Python http.server on another port (another
origin than the collector's), include `/v1/t.js` from the collector and
drive themselves with plain JavaScript; what reached Kafka is read back and
decoded with python avro (conftest.FsSchema), never through our code.

- a visit landing with utm_* parameters, a second page, a track and an
  identify: page views with channel paid_search and campaign spring, one
  anonymous id across pages, the identify linking it to u-42, no duplicate
  event_id;
- the collector stopped for 10 s while the page keeps tracking, then
  restarted on the same address: every event arrives exactly once;
- hostile input: 10 kB / control-character UTM values, an oversized fs_aid
  cookie, an unknown type, a 1 MB beacon, oversized cookies on POST.

Needs chromium (`apt-get install chromium`); skipped when it is missing.
Run: /usr/bin/python3 -m pytest tests/integration/test_tracker.py
with the stack's exports (deploy/local/stack up) and FS_BINARY_DIR set.
"""

import http.server
import json
import os
import re
import shutil
import subprocess
import threading
import time
import urllib.parse

import pytest

from conftest import fs_free_port, fs_http, fs_read_topic, fs_wait_ready
from test_collector_http import raw_request

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(not CHROMIUM, reason="chromium is not installed")
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


class Site:
    """Test pages on their own origin: {name: html}, with COLLECTOR replaced."""

    def __init__(self, pages):
        self.pages = pages
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                name = urllib.parse.urlsplit(self.path).path.lstrip("/")
                body = site.pages.get(name)
                if body is None:
                    self.send_error(404)
                    return
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def page(collector_port, body, key="wk-web", extra=""):
    return (f"<!doctype html><html><head><title>t</title>"
            f"<script src=\"http://127.0.0.1:{collector_port}/v1/t.js\" data-write-key=\"{key}\" "
            f"{extra} async></script></head><body><script>{body}</script></body></html>")


class Browser:
    """One headless Chromium showing @url, with its own profile; killed on close."""

    def __init__(self, url, tmp_path, dnt=False):
        profile = tmp_path / f"chromium-{time.monotonic_ns()}"
        if dnt:  # the browser's own "Send a Do Not Track request" setting
            (profile / "Default").mkdir(parents=True)
            (profile / "Default" / "Preferences").write_text('{"enable_do_not_track": true}')
        self.log = open(tmp_path / "chromium.log", "ab")
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}", url],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def raw_post(port, path, body, headers=""):
    """POST @body on a raw socket (the server may answer and close before it
    is all sent); returns the response bytes."""
    head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n{headers}"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    return raw_request(port, head + body)


def read_events(ctx, schemas):
    v2 = schemas["journey_event.v2.avsc"]
    return [v2.decode(m.value()) for m in fs_read_topic(ctx["brokers"], ctx["topic"])]


def wait_events(ctx, schemas, done, timeout):
    """Reads the topic until done(events) holds; returns the events."""
    deadline = time.monotonic() + timeout
    while True:
        evs = read_events(ctx, schemas)
        if done(evs) or time.monotonic() > deadline:
            return evs
        time.sleep(1)


def start_collector(fs_procs, port, *args):
    d = fs_procs.start("collector", "--write-keys", "wk-web", *args,
                       env_extra={"FUNNEL_LISTEN": f"127.0.0.1:{port}"})
    d.port = port
    fs_wait_ready(d)
    return d


def test_served_script_and_definition(fs_procs):
    col = fs_procs.collector()
    status, h, js = fs_http(col.port, "GET", "/v1/t.js")
    assert status == 200 and h["Content-Type"].startswith("application/javascript"), h
    assert len(js) < 10 * 1024, len(js)
    assert h["Cache-Control"] == "public, max-age=300" and re.match(r'^"[0-9a-f]{16}"$', h["ETag"])
    with open(os.path.join(os.environ["FS_SOURCE_DIR"], "producers", "collector", "web", "t.js"),
              "rb") as f:
        assert js == f.read()  # the embedded copy is the source file
    for inm in (h["ETag"], f'W/{h["ETag"]}', f'"x", {h["ETag"]}', "*"):
        status, h2, body = fs_http(col.port, "GET", "/v1/t.js", headers={"If-None-Match": inm})
        assert (status, body, h2["ETag"]) == (304, b"", h["ETag"]), (inm, status)
    assert fs_http(col.port, "GET", "/v1/t.js", headers={"If-None-Match": '"0"'})[0] == 200
    assert fs_http(col.port, "POST", "/v1/t.js", b"")[0] == 405

    status, h, body = fs_http(col.port, "GET", "/v1/definition")
    assert status == 200 and h["Content-Type"] == "application/json", h
    names = [t["name"] for t in json.loads(body)["types"]]
    assert "page_view" in names and "content_download" in names and "identify" in names
    status, _, _ = fs_http(col.port, "GET", "/v1/definition", headers={"If-None-Match": h["ETag"]})
    assert status == 304


def test_visit_across_pages(fs_procs, fs_ctx, fs_schemas, tmp_path):
    port = fs_free_port()
    site = Site({})
    site.pages = {
        "landing.html": page(port, "setTimeout(function(){location.href='/second.html'}, 1500);"),
        "second.html": page(port, """
            function go() {
              if (!window.funnel || !window.funnel.track) return setTimeout(go, 50);
              funnel.track('content_download', {asset: 'guide.pdf'});
              funnel.track('no_such_type');
              funnel.identify('u-42');
              setTimeout(function(){location.href='/done.html'}, 300);
            }
            go();"""),
        "done.html": "<!doctype html><title>done</title>",
    }
    start_collector(fs_procs, port, "--cors-origins", site.origin)
    browser = Browser(f"{site.origin}/landing.html?utm_source=google&utm_medium=cpc"
                      f"&utm_campaign=spring", tmp_path)
    try:
        evs = wait_events(fs_ctx, fs_schemas, lambda e: len(e) >= 4, 40)
        time.sleep(2)  # anything sent twice would arrive now
        evs = read_events(fs_ctx, fs_schemas)
    finally:
        browser.close()
        site.close()
    types = sorted(e["type"] for e in evs)
    assert types == ["content_download", "identify", "page_view", "page_view"], evs
    ids = [e["event_id"] for e in evs]
    assert len(set(ids)) == len(ids) and all(UUID4.match(i) for i in ids), ids
    anon = {e["anonymous_id"] for e in evs}
    assert len(anon) == 1 and UUID4.match(anon.pop()), evs
    for e in evs:
        assert (e["campaign"], e["source"], e["medium"]) == ("spring", "google", "cpc"), e
        assert e["channel"] == "paid_search", e
        assert e["ingest_source"] == "collector"
    views = sorted((e for e in evs if e["type"] == "page_view"), key=lambda e: e["occurred_at"])
    assert views[0]["properties"]["path"] == "/landing.html"
    assert views[1]["properties"]["path"] == "/second.html"
    assert "utm_campaign=spring" in views[0]["properties"]["url"]
    ident = [e for e in evs if e["type"] == "identify"][0]
    assert ident["user_id"] == "u-42" and ident["anonymous_id"] == evs[0]["anonymous_id"]
    dl = [e for e in evs if e["type"] == "content_download"][0]
    assert dl["user_id"] is None and dl["properties"]["asset"] == "guide.pdf"


def test_reset_and_do_not_track(fs_procs, fs_ctx, fs_schemas, tmp_path):
    port = fs_free_port()
    site = Site({})
    site.pages = {
        # reset() on log-out: a new anonymous id, no user
        "account.html": page(port, """
            function go() {
              if (!window.funnel || !window.funnel.track) return setTimeout(go, 50);
              funnel.identify('u-7');
              funnel.track('content_download', {step: 'in'});
              funnel.reset();
              funnel.track('content_download', {step: 'out'});
              funnel.flush();
            }
            go();"""),
        # data-respect-dnt in a browser sending DNT: nothing at all
        "private.html": page(port, """
            function go() {
              if (!window.funnel || !window.funnel.track) return setTimeout(go, 50);
              funnel.track('content_download', {step: 'dnt'});
              funnel.flush();
              setTimeout(function(){location.href='/plain.html'}, 1000);
            }
            go();""", extra="data-respect-dnt"),
        # the same browser without the attribute: tracked
        # (a call queued before the script loads is replayed)
        "plain.html": page(port, "").replace(
            "<script src", "<script>window.funnel = [['track', 'content_download', "
            "{step: 'queued'}]];</script><script src", 1),
    }
    start_collector(fs_procs, port, "--cors-origins", site.origin)
    b1 = Browser(f"{site.origin}/account.html", tmp_path)
    b2 = Browser(f"{site.origin}/private.html", tmp_path, dnt=True)
    try:
        evs = wait_events(fs_ctx, fs_schemas, lambda e: len(e) >= 6, 40)
        time.sleep(2)
        evs = read_events(fs_ctx, fs_schemas)
    finally:
        b1.close()
        b2.close()
        site.close()
    steps = sorted((e["properties"].get("step", "-"), e["type"]) for e in evs)
    assert steps == [("-", "identify"), ("-", "page_view"), ("-", "page_view"),
                     ("in", "content_download"), ("out", "content_download"),
                     ("queued", "content_download")], steps
    ins = [e for e in evs if e["properties"].get("step") == "in"][0]
    out = [e for e in evs if e["properties"].get("step") == "out"][0]
    assert ins["user_id"] == "u-7" and out["user_id"] is None
    assert out["anonymous_id"] != ins["anonymous_id"] and UUID4.match(out["anonymous_id"])
    plain = [e for e in evs if e["properties"].get("path") == "/plain.html"]
    assert len(plain) == 1 and plain[0]["channel"] == "direct"


def test_collector_outage_exactly_once(fs_procs, fs_ctx, fs_schemas, tmp_path):
    port = fs_free_port()
    n = 30
    site = Site({})
    site.pages = {"steady.html": page(port, f"""
        var i = 0;
        function tick() {{
          if (!window.funnel || !window.funnel.track) return setTimeout(tick, 50);
          funnel.track('content_download', {{seq: i}});
          if (++i < {n}) setTimeout(tick, 500);
        }}
        tick();""")}
    col = start_collector(fs_procs, port, "--cors-origins", site.origin)
    browser = Browser(f"{site.origin}/steady.html", tmp_path)
    try:
        first = wait_events(fs_ctx, fs_schemas,
                            lambda e: sum(x["type"] == "content_download" for x in e) >= 3, 30)
        assert sum(x["type"] == "content_download" for x in first) >= 3, first
        rc, forced = col.terminate()
        assert (rc, forced) == (0, False)
        time.sleep(10)  # the page keeps tracking into its queue meanwhile
        start_collector(fs_procs, port, "--cors-origins", site.origin)
        evs = wait_events(fs_ctx, fs_schemas,
                          lambda e: sum(x["type"] == "content_download" for x in e) >= n, 90)
        time.sleep(3)
        evs = read_events(fs_ctx, fs_schemas)
    finally:
        browser.close()
        site.close()
    seqs = sorted(e["properties"]["seq"] for e in evs if e["type"] == "content_download")
    assert seqs == list(range(n)), seqs
    ids = [e["event_id"] for e in evs]
    assert len(set(ids)) == len(ids), "duplicate event_id"
    assert sorted(e["type"] for e in evs).count("page_view") == 1


def test_hostile_input(fs_procs, fs_ctx, fs_schemas, tmp_path):
    port = fs_free_port()
    site = Site({})
    long_utm = "x" * 10_000
    # a cookie fs_aid of 3000 characters set before the tracker runs
    site.pages = {"land.html": page(port, "").replace(
        "<script src", "<script>document.cookie='fs_aid='+'A'.repeat(3000)+'; path=/';</script>"
        "<script src", 1)}
    col = start_collector(fs_procs, port, "--cors-origins", site.origin)
    hostile = urllib.parse.quote("spring\x01\x02\u2028sale")
    browser = Browser(f"{site.origin}/land.html?utm_campaign={hostile}&utm_source={long_utm}"
                      f"&utm_medium=Email", tmp_path)
    try:
        evs = wait_events(fs_ctx, fs_schemas, lambda e: len(e) >= 1, 30)
    finally:
        browser.close()
        site.close()
    assert len(evs) == 1, evs
    e = evs[0]
    # the tracker cleans what the collector would refuse: the page view is kept
    assert e["type"] == "page_view" and e["channel"] == "email", e
    assert e["campaign"] == "spring  \u2028sale", e
    assert e["source"] == "x" * 128, len(e["source"])
    assert UUID4.match(e["anonymous_id"]), e["anonymous_id"][:80]  # oversized cookie replaced

    # the same values posted as they are: refused, naming the field, nothing half-accepted
    bad = [{"type": "page_view", "anonymous_id": "a", "campaign": "spring\x01"},
           {"type": "page_view", "anonymous_id": "a", "source": long_utm},
           {"type": "no_such_type", "anonymous_id": "a"}]
    status, h, body = fs_http(col.port, "POST", "/v1/events?write_key=wk-web", bad,
                              content_type="text/plain")
    doc = json.loads(body)
    assert status == 400 and doc["accepted"] == 0, doc
    errs = [r["error"] for r in doc["rejected"]]
    assert "campaign: must not contain control characters" in errs[0]
    assert "source: longer than 128 characters" in errs[1]
    assert "type: unknown event type" in errs[2]
    # a 1 MB beacon body, and 20 kB of cookies: clear refusals
    resp = raw_post(col.port, "/v1/events?write_key=wk-web", b"[" + b" " * 1_000_000 + b"]")
    assert resp.startswith(b"HTTP/1.1 413") and b"larger than 512 KiB" in resp, resp[:300]
    resp = raw_post(col.port, "/v1/events?write_key=wk-web",
                    b'[{"type":"page_view","anonymous_id":"a"}]',
                    headers="Cookie: fs_aid=" + "B" * 20_000 + "\r\n")
    assert re.match(rb"HTTP/1\.1 (413|431) ", resp), resp[:300]
    fs_wait_ready(col)  # still serving
    assert len(read_events(fs_ctx, fs_schemas)) == 1
