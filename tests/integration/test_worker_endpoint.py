"""funnel-worker's HTTP endpoint: GET /metrics, /healthz, /readyz
on --listen, against the real stack.

Redis here is a private redis-server the test starts on a free port (the
worker's aggregates go there), so that it can be paused with SIGSTOP without
touching the shared stack: while it is paused, nothing can be applied, so the
consumer lag the worker reports must equal exactly what was sent, and
/readyz must say "not ready"; once it resumes, the lag must fall to 0 and
the counters must match what was sent.
"""

import os
import re
import shutil
import signal
import subprocess
import time
import uuid

import pytest
import redis

from conftest import (fs_free_port, fs_http, fs_post_events, fs_producer, fs_wait_offsets,
                      fs_wait_ready)

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.e+-]+|\+Inf|NaN)$')


def parse_metrics(text):
    """Prometheus text -> ({(name, labels): value}, {family: type}); asserts
    every sample belongs to a family announced by # HELP and # TYPE."""
    helps, types, samples = set(), {}, {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            helps.add(line.split()[2])
        elif line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            types[name] = kind
        else:
            m = SAMPLE.match(line)
            assert m, f"not a sample line: {line!r}"
            name, labels, value = m.groups()
            family = re.sub(r"_(bucket|sum|count)$", "", name) \
                if re.sub(r"_(bucket|sum|count)$", "", name) in types else name
            assert family in types and family in helps, f"{name}: no # HELP/# TYPE"
            samples[(name, labels or "")] = float(value)
    for name, kind in types.items():
        if kind == "counter":
            assert name.endswith("_total"), name
    return samples, types


def scrape(port):
    status, headers, body = fs_http(port, "GET", "/metrics", timeout=30)
    assert status == 200, body
    assert headers.get("Content-Type", "").startswith("text/plain"), headers
    return parse_metrics(body.decode())[0]


def lag(samples, topic):
    return {int(re.search(r'partition="(\d+)"', labels).group(1)): v
            for (name, labels), v in samples.items()
            if name == "funnel_worker_consumer_lag_messages" and f'topic="{topic}"' in labels}


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of this test alone (AOF off, loopback, free port)."""
    port = fs_free_port()
    proc = subprocess.Popen([shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    r = redis.Redis(port=port, decode_responses=True)
    deadline = time.monotonic() + 20
    while True:
        try:
            r.ping()
            break
        except redis.exceptions.ConnectionError:
            assert time.monotonic() < deadline, "private redis-server did not start"
            time.sleep(0.05)
    yield {"port": port, "proc": proc, "redis": r, "url": f"redis://127.0.0.1:{port}/0"}
    proc.send_signal(signal.SIGCONT)
    proc.terminate()
    proc.wait(timeout=30)


def wait_for(what, fn, timeout=60, every=0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(every)
    pytest.fail(f"timed out waiting for {what} (last: {last!r})")


def test_lag_counters_and_readiness(fs_ctx, fs_procs, private_redis):
    ctx, tag = fs_ctx, fs_ctx["tag"]
    wport = fs_free_port()
    col = fs_procs.collector()
    w = fs_procs.start("worker", "--batch-ms", "50", "--stats-s", "0",
                       "--listen", f"127.0.0.1:{wport}",
                       env_extra={"FUNNEL_REDIS_URL": private_redis["url"]})
    w.port = wport
    fs_wait_ready(w, timeout=60)  # owns partitions and Redis answers
    assert fs_http(wport, "GET", "/healthz")[0] == 200
    assert fs_http(wport, "GET", "/nope")[0] == 404
    s0 = scrape(wport)
    assert s0[("funnel_worker_partitions_owned", "")] == 6
    assert s0[("funnel_worker_redis_up", "")] == 1
    assert sum(lag(s0, ctx["topic"]).values()) == 0, lag(s0, ctx["topic"])

    # Redis paused: the worker consumes but cannot apply anything.
    private_redis["proc"].send_signal(signal.SIGSTOP)
    status, body = wait_for("readyz 503 with Redis paused",
                            lambda: (lambda r: r if r[0] == 503 else None)(
                                fs_http(wport, "GET", "/readyz", timeout=30)[::2]))
    assert b"redis" in body.lower(), body

    n, dups, poison = 1200, 150, 3
    events = [{"event_id": f"{tag}-{i}", "type": "page_view", "user_id": f"u-{i % 97}"}
              for i in range(n)]
    for i in range(0, n, 300):
        st, doc, raw = fs_post_events(col.port, events[i:i + 300])
        assert st == 200 and doc["accepted"] == 300, raw
    st, doc, raw = fs_post_events(col.port, events[:dups])  # the same event_ids again
    assert st == 200 and doc["accepted"] == dups, raw
    p = fs_producer(ctx["brokers"])
    for i in range(poison):  # not our framing: dead letters
        p.produce(ctx["topic"], value=b"not an event %d" % i, key=str(uuid.uuid4()))
    assert p.flush(30) == 0

    paused = scrape(wport)
    assert paused[("funnel_worker_redis_up", "")] == 0
    per_part = lag(paused, ctx["topic"])
    assert len(per_part) == 6, per_part
    # Nothing can be applied: the lag is everything sent, to the message.
    assert sum(per_part.values()) == n + dups + poison, per_part
    assert paused[("funnel_worker_events_applied_total", "")] == 0

    private_redis["proc"].send_signal(signal.SIGCONT)
    wait_for("lag back to 0", lambda: (lambda s: s if sum(lag(s, ctx["topic"]).values()) == 0
                                       and len(lag(s, ctx["topic"])) == 6 else None)(scrape(wport)),
             timeout=90, every=0.5)
    ctx2 = dict(ctx, redis=private_redis["redis"])
    fs_wait_offsets(ctx2, daemons=[w])
    s = scrape(wport)
    assert s[("funnel_worker_events_applied_total", "")] == n, s
    assert s[("funnel_worker_duplicates_total", "")] == dups, s
    assert s[("funnel_worker_dead_letters_total", "")] == poison, s
    assert s[("funnel_worker_commit_conflicts_total", "")] >= 0
    batches = s[("funnel_worker_batches_total", "")]
    assert batches >= 1
    assert s[("funnel_worker_batch_apply_seconds_count", "")] == batches
    assert s[("funnel_worker_batch_apply_seconds_bucket", '{le="+Inf"}')] == batches
    assert s[("funnel_worker_batch_apply_seconds_sum", "")] > 0
    offsets = {int(re.search(r'partition="(\d+)"', lb).group(1)): v
               for (name, lb), v in s.items() if name == "funnel_worker_applied_offset"}
    assert sum(offsets.values()) == n + dups + poison, offsets
    assert fs_http(wport, "GET", "/readyz")[0] == 200

    # Redis gone (not paused): not ready at once, still alive.
    private_redis["proc"].terminate()
    private_redis["proc"].wait(timeout=30)
    status, _, body = fs_http(wport, "GET", "/readyz")
    assert status == 503 and b"redis" in body.lower(), body
    assert fs_http(wport, "GET", "/healthz")[0] == 200
    assert scrape(wport)[("funnel_worker_redis_up", "")] == 0


def test_listen_off_and_address_in_use(fs_ctx, fs_procs):
    """--listen off serves nothing; an address in use is a warning, not a
    stop (several workers on one host share the default)."""
    port = fs_free_port()
    a = fs_procs.worker("--listen", f"127.0.0.1:{port}")
    a.port = port
    fs_wait_ready(a, timeout=60, path="/healthz")
    b = fs_procs.worker("--listen", f"127.0.0.1:{port}")
    wait_for("the second worker's warning", lambda: "no /metrics" in b.log_text(), timeout=30)
    assert b.alive()
    c = fs_procs.worker("--listen", "off")
    time.sleep(1)
    assert c.alive() and "serving /metrics" not in c.log_text()
    bad = subprocess.run([a.argv[0], "--listen", "nowhere"], env=fs_ctx["env"],
                         capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "listen" in bad.stderr, bad.stderr
