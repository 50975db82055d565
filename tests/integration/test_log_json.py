"""--log-json: every line a daemon writes is one JSON object with
ts, level, program and msg — librdkafka's own lines included — through a run
in which the Kafka broker goes away and comes back (deploy/local/stack
stop-kafka / start-kafka, as test_chaos.py restarts it)."""

import json
import time
import uuid

from conftest import fs_post_events, fs_producer, fs_wait_offsets, fs_wait_ready
from test_chaos import stack


def records(daemon):
    out = []
    for n, line in enumerate(daemon.log_text().splitlines(), 1):
        try:
            rec = json.loads(line)
        except ValueError:
            raise AssertionError(f"{daemon.name} line {n} is not JSON: {line!r}")
        assert isinstance(rec, dict), line
        for key in ("ts", "level", "program", "msg"):
            assert isinstance(rec.get(key), str), f"{daemon.name} line {n} lacks {key}: {line}"
        assert rec["level"] in ("debug", "info", "warn", "error"), line
        assert rec["program"] == f"funnel-{daemon.name}", line
        out.append(rec)
    return out


def post_until_accepted(port, batch, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        status, doc, raw = fs_post_events(port, batch)
        if status == 200:
            return
        assert status == 503 and time.monotonic() < deadline, raw
        time.sleep(0.5)


def test_every_line_is_json_through_a_broker_outage(fs_ctx, fs_procs):
    tag = fs_ctx["tag"]
    col = fs_procs.collector("--log-json")
    w = fs_procs.worker("--log-json", "--listen", "off")
    ev = lambda i: {"event_id": f"{tag}-{i}", "type": "page_view", "user_id": f"u-{i}"}
    post_until_accepted(col.port, [ev(i) for i in range(50)])
    p = fs_producer(fs_ctx["brokers"])
    p.produce(fs_ctx["topic"], value=b"not an event", key=str(uuid.uuid4()))
    assert p.flush(30) == 0
    fs_wait_offsets(fs_ctx, daemons=[w])

    stack("stop-kafka")
    try:
        time.sleep(8)  # both clients notice: disconnects, refused reconnects
        status, _, _ = fs_post_events(col.port, [ev(1000)])
        assert status == 503
    finally:
        stack("start-kafka")
    fs_wait_ready(col, timeout=120)
    post_until_accepted(col.port, [ev(i) for i in range(50, 100)])
    fs_wait_offsets(fs_ctx, daemons=[w])
    for d in (col, w):
        rc, forced = d.terminate()
        assert rc == 0 and not forced

    for d in (col, w):
        recs = records(d)
        kafka = [r for r in recs if r.get("source") == "librdkafka"]
        assert kafka, f"no librdkafka line in {d.name}'s log"
        assert all(r.get("facility") and r.get("client") for r in kafka), kafka[:3]
    dead = [r for r in records(w) if r["msg"].startswith("dead letter:")]
    assert len(dead) == 1, dead
    assert dead[0]["topic"] == fs_ctx["topic"] and isinstance(dead[0]["partition"], int) \
        and isinstance(dead[0]["offset"], int), dead[0]
