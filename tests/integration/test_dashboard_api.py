"""`funnel-query serve`: the JSON API against the CLI, over a pipeline fed
through the collector (real Kafka, real Redis, real workers).

The API must answer byte for byte what `funnel-query <kind> --format json`
prints for the same options; series must sum to the reports' totals; bad
input gets 400/404/405 naming the parameter and never crashes the daemon
(the debug build runs with ASan).
"""

import datetime
import json
import os
import socket
import subprocess
import time

import pytest

from conftest import fs_binary, fs_free_port, fs_http
from dashboard_helpers import MODELS, STAGES, dashboard, start_serve, today  # noqa: F401
from test_query import start_redis, stop_redis


def span():
    return {"from": str(today() - datetime.timedelta(days=25)),
            "to": str(today() + datetime.timedelta(days=1))}


def flags(params):
    out = []
    for k, v in params.items():
        out += [f"--{k}", v]
    return out


def busiest(dash, by):
    """The channel or campaign with the most awareness events (a real filter)."""
    doc = dash.api("/api/attribution", {**span(), "model": "linear", "by": by})
    keys = [r["key"] for r in doc["rows"] if r["key"] not in ("(none)", "(direct)")]
    assert keys, doc
    return keys[0]


def test_api_answers_are_the_cli_json(dashboard):
    d = dashboard
    r = span()
    channel, campaign = busiest(d, "channel"), busiest(d, "campaign")
    cases = [("funnel", {}), ("funnel", r), ("funnel", {**r, "channel": channel}),
             ("funnel", {**r, "campaign": campaign}), ("handoff", r), ("handoff", {}),
             ("handoff-delays", r), ("handoff-delays", {})]
    for model in MODELS:
        for by in ("channel", "campaign", "department", "type"):
            cases.append(("attribution", {**r, "model": model, "by": by}))
    cases.append(("attribution", {**r, "model": "linear", "currency": "EUR"}))
    for stage in STAGES:
        cases.append(("series", {**r, "metric": "events", "stage": stage}))
        cases.append(("series", {**r, "metric": "users", "stage": stage}))
        cases.append(("series", {**r, "metric": "users", "stage": stage, "channel": channel}))
    cases += [("series", {**r, "metric": "revenue"}),
              ("series", {**r, "metric": "revenue", "channel": channel, "model": "linear"}),
              ("series", {**r, "metric": "revenue", "campaign": campaign,
                          "model": "w_shaped"}),
              ("series", {**r, "metric": "leads"}),
              ("series", {"metric": "events", "stage": "interest"})]
    for kind, params in cases:
        status, headers, body = d.get("/api/" + kind.replace("-", "/"), params)
        assert status == 200, (kind, params, body)
        assert headers["Content-Type"] == "application/json"
        assert body == d.cli(kind, *flags(params)), (kind, params)


def test_series_sum_to_the_reports(dashboard):
    d = dashboard
    r = span()
    funnel = d.api("/api/funnel", r)
    assert sum(s["events"] for s in funnel["stages"]) > 0, funnel
    first, last = datetime.date.fromisoformat(r["from"]), datetime.date.fromisoformat(r["to"])
    for row in funnel["stages"]:
        for metric in ("events", "users"):
            doc = d.api("/api/series", {**r, "metric": metric, "stage": row["stage"]})
            days = [p["day"] for p in doc["points"]]
            assert days == [str(first + datetime.timedelta(days=i))
                            for i in range((last - first).days + 1)]  # zero days too
            assert sum(p["value"] for p in doc["points"]) == row[metric], (metric, row)
    attr = d.api("/api/attribution", {**r, "model": "time_decay"})
    rev = d.api("/api/series", {**r, "metric": "revenue"})
    cents = sum(round(float(p["value"]) * 100) for p in rev["points"])
    assert cents == round(float(attr["total"]["revenue"]) * 100) and cents > 0
    top = attr["rows"][0]
    rev = d.api("/api/series", {**r, "metric": "revenue", "channel": top["key"],
                                "model": "time_decay"})
    assert sum(round(float(p["value"]) * 100) for p in rev["points"]) == \
        round(float(top["revenue"]) * 100)
    leads = d.api("/api/series", {**r, "metric": "leads"})
    handoff = d.api("/api/handoff", r)
    assert sum(p["value"] for p in leads["points"]) == handoff["leads"]
    delays = d.api("/api/handoff/delays", r)
    assert sum(b["handoffs"] for b in delays["buckets"]) == delays["handoffs"]
    # Every lead handed off within the SLA has a delay, and only those do.
    assert delays["handoffs"] == handoff["handed_off_within_sla"]


@pytest.mark.parametrize("path, status, names", [
    ("/api/funnel?from=2026-13-01", 400, "from"),
    ("/api/funnel?to=yesterday", 400, "to"),
    ("/api/funnel?from=2026-11-30&to=2026-11-01", 400, "from"),
    ("/api/attribution?model=magic", 400, "model"),
    ("/api/attribution?by=channel", 400, "model"),
    ("/api/attribution?model=linear&currency=usd", 400, "currency"),
    ("/api/funnel?model=linear", 400, "model"),
    ("/api/funnel?channel=a&campaign=b", 400, "channel"),
    ("/api/funnel?colour=red", 400, "colour"),
    ("/api/funnel?from=2026-11-01&from=2026-11-02", 400, "from"),
    ("/api/series?metric=bananas", 400, "metric"),
    ("/api/handoff/delays?channel=email", 400, "channel"),
    ("/api/series?metric=users", 400, "stage"),
    ("/api/series?metric=leads&channel=email", 400, "channel"),
    ("/api/funnel?from=2026-11-01%00", 400, "from"),
    ("/api/funnel?channel=%00", 400, "channel"),
    ("/api/funnel?channel=%ff%fe", 400, "channel"),
    ("/api/funnel?from=" + "9" * 10240, 400, "from"),
    ("/api/funnel?" + "&".join(f"p{i}=1" for i in range(40)), 400, "query string"),
    ("/../../etc/passwd", 404, None),
    ("/api/../../etc/passwd", 404, None),
    ("/api/funnel/ordered", 404, None),
    ("/api/funnel/", 404, None),
    ("/%2e%2e/%2e%2e/etc/passwd", 404, None),
    ("/index.html%00", 404, None),
])
def test_bad_requests_name_the_parameter(dashboard, path, status, names):
    got, headers, body = fs_http(dashboard.port, "GET", path)
    assert got == status, body
    doc = json.loads(body)
    if names:
        assert doc["error"].startswith(names + ":"), doc
    assert fs_http(dashboard.port, "GET", "/healthz")[0] == 200
    assert dashboard.serve.alive()


def test_methods_and_oversized_requests(dashboard):
    port = dashboard.port
    for method in ("POST", "PUT", "DELETE"):
        status, headers, _ = fs_http(port, method, "/api/funnel", body=b"{}")
        assert status == 405 and "GET" in headers["Allow"]
    # Past the per-connection memory limit: libmicrohttpd refuses the URL itself.
    status, _, _ = fs_http(port, "GET", "/api/funnel?from=" + "1" * 40000)
    assert status in (400, 414, 431)
    assert fs_http(port, "HEAD", "/api/funnel")[0] == 200
    assert dashboard.serve.alive()


def test_connections_are_bounded(fs_ctx, fs_procs):
    serve = start_serve(fs_procs, "--max-connections", "4")
    held = []
    try:
        for _ in range(4):
            held.append(socket.create_connection(("127.0.0.1", serve.port)))
            held[-1].sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert b" 200 " in held[-1].recv(4096)  # kept alive: the slot stays taken
        # A fifth connection is closed without an answer while four are held.
        with pytest.raises((ConnectionError, OSError)):
            with socket.create_connection(("127.0.0.1", serve.port), timeout=5) as extra:
                extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                if not extra.recv(4096):
                    raise ConnectionError("closed")
    finally:
        for s in held:
            s.close()
    deadline = time.monotonic() + 10
    while True:  # the slots come back once the held connections are gone
        try:
            if fs_http(serve.port, "GET", "/healthz", timeout=5)[0] == 200:
                break
        except OSError:
            pass
        assert time.monotonic() < deadline, "serve never took connections again"
        time.sleep(0.1)
    assert serve.alive()


def test_health_and_metrics(dashboard):
    port = dashboard.port
    assert fs_http(port, "GET", "/healthz")[0] == 200
    assert fs_http(port, "GET", "/readyz")[0] == 200
    fs_http(port, "GET", "/api/funnel")
    fs_http(port, "GET", "/api/funnel?from=x")
    status, headers, body = fs_http(port, "GET", "/metrics")
    text = body.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    for name, kind in (("funnel_dashboard_requests_total", "counter"),
                       ("funnel_dashboard_request_duration_seconds", "histogram"),
                       ("funnel_dashboard_redis_errors_total", "counter")):
        assert f"# HELP {name} " in text and f"# TYPE {name} {kind}\n" in text
    counts = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
              for line in text.splitlines() if line and not line.startswith("#")}
    assert counts['funnel_dashboard_requests_total{path="/api/funnel",code="200"}'] >= 1
    assert counts['funnel_dashboard_requests_total{path="/api/funnel",code="400"}'] >= 1
    assert counts['funnel_dashboard_request_duration_seconds_count{path="/api/funnel"}'] >= 2
    assert counts["funnel_dashboard_redis_ready"] == 1


def test_page_is_served_without_outside_references(dashboard):
    status, headers, body = fs_http(dashboard.port, "GET", "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    html = body.decode()
    with open(os.path.join(os.environ.get("FS_SOURCE_DIR", "."), "query", "web",
                           "index.html"), encoding="utf-8") as f:
        assert html == f.read()  # embedded as is
    for ref in ("http://", "https://", "//cdn", "src=\"http"):
        assert ref not in html.replace("http://www.w3.org/2000/svg", ""), ref


# ---------------------------------------------------------------- Redis ----

def test_redis_down_then_back(fs_ctx, fs_procs, tmp_path):
    proc, port = start_redis(str(tmp_path))
    try:
        url = f"redis://127.0.0.1:{port}/0"
        serve = start_serve(fs_procs, env_extra={"FUNNEL_REDIS_URL": url})
        assert fs_http(serve.port, "GET", "/api/funnel")[0] == 200
        stop_redis(proc)
        assert fs_http(serve.port, "GET", "/readyz")[0] == 503
        status, _, body = fs_http(serve.port, "GET", "/api/funnel")
        assert status == 503 and "error" in json.loads(body)
        assert fs_http(serve.port, "GET", "/healthz")[0] == 200
        proc, _ = start_redis(str(tmp_path), port=port)
        deadline = time.monotonic() + 10
        while fs_http(serve.port, "GET", "/readyz")[0] != 200:
            assert time.monotonic() < deadline, "readyz never recovered"
            time.sleep(0.1)
        assert fs_http(serve.port, "GET", "/api/funnel")[0] == 200
        metrics = fs_http(serve.port, "GET", "/metrics")[2].decode()
        errors = [line for line in metrics.splitlines()
                  if line.startswith("funnel_dashboard_redis_errors_total ")]
        assert errors and float(errors[0].split()[1]) >= 2
    finally:
        stop_redis(proc)


def acl_user(ctx, name, password, rules):
    ctx["redis"].execute_command("ACL", "SETUSER", name, "reset", "on", f">{password}",
                                 *rules)


def dashboard_acl(ns):
    """The dashboard's ACL of docs/redis-acl.md, for namespace @ns."""
    doc = open(os.path.join(os.environ.get("FS_SOURCE_DIR", "."), "docs",
                            "redis-acl.md"), encoding="utf-8").read()
    block = doc.split("ACL SETUSER funnel-dashboard", 1)[1].split("```", 1)[0]
    words = block.replace("funnel:v1:", f"{ns}:v1:").split()
    return [w for w in words[2:]]  # after "on >CHANGE-ME"


def redis_url_for(ctx, user, password):
    rest = ctx["redis_url"].split("://", 1)[1]
    return f"redis://{user}:{password}@{rest}"


def run_serve_until_exit(ctx, url, timeout=30):
    env = dict(ctx["env"], FUNNEL_REDIS_URL=url)
    return subprocess.run([fs_binary("query"), "serve", "--listen",
                           f"127.0.0.1:{fs_free_port()}"],
                          env=env, capture_output=True, text=True, timeout=timeout)


def test_wrong_password_and_missing_acl_stop_serve(fs_ctx):
    user = f"dash-{fs_ctx['tag']}"
    try:
        acl_user(fs_ctx, user, "right", dashboard_acl(fs_ctx["ns"]))
        p = run_serve_until_exit(fs_ctx, redis_url_for(fs_ctx, user, "wrong"))
        assert p.returncode == 1 and "AUTH" in p.stderr and "WRONGPASS" in p.stderr, p.stderr
        # The documented ACL without HGETALL: attribution cannot be read.
        rules = [r for r in dashboard_acl(fs_ctx["ns"]) if r != "+hgetall"]
        acl_user(fs_ctx, user, "right", rules)
        p = run_serve_until_exit(fs_ctx, redis_url_for(fs_ctx, user, "right"))
        assert p.returncode == 1 and "NOPERM" in p.stderr and "hgetall" in p.stderr.lower(), \
            p.stderr
    finally:
        fs_ctx["redis"].execute_command("ACL", "DELUSER", user)


def test_serve_runs_under_the_documented_acl(fs_ctx, fs_procs):
    user = f"dash-{fs_ctx['tag']}"
    try:
        acl_user(fs_ctx, user, "pw", dashboard_acl(fs_ctx["ns"]))
        fs_ctx["redis"].hset(f"{fs_ctx['ns']}:v1:events:{today()}", "s:awareness", 3)
        serve = start_serve(fs_procs, env_extra={
            "FUNNEL_REDIS_URL": redis_url_for(fs_ctx, user, "pw")})
        for path in ("/api/funnel", "/api/attribution?model=linear", "/api/handoff",
                     "/api/series?metric=events&stage=awareness",
                     "/api/series?metric=revenue&channel=email&model=linear",
                     "/api/series?metric=leads", "/readyz"):
            status, _, body = fs_http(serve.port, "GET", path)
            assert status == 200, (path, body)
        doc = json.loads(fs_http(serve.port, "GET", "/api/funnel")[2])
        assert doc["stages"][0]["events"] == 3
    finally:
        fs_ctx["redis"].execute_command("ACL", "DELUSER", user)
