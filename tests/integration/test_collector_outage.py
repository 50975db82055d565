"""The collector while the Kafka broker is down (docs/collector.md, docs/guarantees.md).

Clients post continuously; the broker is stopped, then started again.
Checked with an independent consumer afterwards:
- every event of every 200 is in the topic (a 2xx means durable);
- clients got 503 with Retry-After while the broker was down;
- the collector recovers by itself: 200s again after the broker returns;
- an event_id appears twice in the topic only if the client re-sent it
  (the idempotent producer adds no duplicates of its own).
And a stop (SIGTERM) while requests still wait for a broker that never
answers: they get 503 after collector.drain_ms and the collector exits 0.
"""

import collections
import json
import os
import socket
import subprocess
import threading
import time
import uuid

from conftest import fs_free_port, fs_http, fs_read_topic, fs_wait_ready

ROOT = os.environ.get("FS_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
STACK = os.path.join(ROOT, "deploy", "local", "stack")


def stack(cmd):
    p = subprocess.run([STACK, cmd], capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, f"stack {cmd}: {p.stderr[-2000:]}"


class Client(threading.Thread):
    """Posts batches of fresh events until stopped; re-sends a batch that got
    503 once the next request succeeds (as docs/collector.md asks of clients)."""

    def __init__(self, port, tag, n):
        super().__init__(daemon=True)
        self.port, self.tag, self.n = port, tag, n
        self.stop = threading.Event()
        self.results = []        # (monotonic time, status, [ids], retry-after)
        self.resent = set()
        self.seq = 0

    def batch(self):
        ids = [f"{self.tag}-{self.n}-{self.seq}-{i}" for i in range(20)]
        self.seq += 1
        return ids, [{"event_id": e, "type": "page_view", "anonymous_id": f"a-{e}"}
                     for e in ids]

    def run(self):
        pending = []  # batches answered 503, to re-send
        while not self.stop.is_set():
            if pending and self.results and self.results[-1][1] == 200:
                ids, events = pending.pop(0)
                self.resent.update(ids)
            else:
                ids, events = self.batch()
            try:
                status, headers, _body = fs_http(self.port, "POST", "/v1/events", events)
            except OSError:
                status, headers = None, {}
            self.results.append((time.monotonic(), status, ids,
                                 headers.get("Retry-After") if headers else None))
            if status != 200:
                pending.append((ids, events))
                time.sleep(0.2)


def test_broker_outage(fs_ctx, fs_procs):
    col = fs_procs.collector("--ack-timeout-ms", "3000")
    tag = uuid.uuid4().hex[:8]
    clients = [Client(col.port, tag, i) for i in range(3)]
    for c in clients:
        c.start()
    time.sleep(2)
    t_down = time.monotonic()
    stack("stop-kafka")
    time.sleep(8)
    stack("start-kafka")
    t_up = time.monotonic()
    # Recovery: within 60 s of the broker's return, every client gets 200s again.
    deadline = t_up + 60
    while time.monotonic() < deadline:
        if all(any(t > t_up and s == 200 for t, s, _i, _r in c.results) for c in clients):
            break
        time.sleep(0.5)
    time.sleep(2)
    for c in clients:
        c.stop.set()
    for c in clients:
        c.join(timeout=30)

    results = [r for c in clients for r in c.results]
    ok_ids = {i for _t, s, ids, _r in results if s == 200 for i in ids}
    unavailable = [r for r in results if r[1] == 503]
    assert unavailable, "no 503 while the broker was down"
    assert all(r[3] for r in unavailable), "503 without Retry-After"
    assert all(t >= t_down for t, _s, _i, _r in unavailable), "503 before the outage"
    for c in clients:
        assert any(t > t_up and s == 200 for t, s, _i, _r in c.results), \
            "collector did not recover after the broker came back"

    seen = collections.Counter()
    for m in fs_read_topic(fs_ctx["brokers"], fs_ctx["topic"]):
        seen[event_id_of(m.value())] += 1
    missing = ok_ids - set(seen)
    assert not missing, f"{len(missing)} events answered 200 are not in the topic"
    resent = set().union(*(c.resent for c in clients))
    twice = {i for i, n in seen.items() if n > 1}
    assert twice <= resent, f"duplicates nobody re-sent: {sorted(twice - resent)[:5]}"
    assert max(seen.values()) <= 2


def test_stop_while_requests_wait_for_kafka(fs_ctx, fs_procs):
    """A "broker" that accepts connections and never answers: the events of
    a POST are queued but never acknowledged.  SIGTERM with a short drain:
    the waiting clients get 503 with their event_ids and the collector exits
    0 (libmicrohttpd aborts when stopped with a suspended connection)."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    accepted = []
    stop = threading.Event()

    def hold():  # accept and keep every connection, say nothing
        silent.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(silent.accept()[0])
            except OSError:
                pass

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    port = fs_free_port()
    col = fs_procs.start("collector", "--ack-timeout-ms", "60000", "--drain-ms", "1000",
                         env_extra={"FUNNEL_LISTEN": f"127.0.0.1:{port}",
                                    "FUNNEL_KAFKA_BROKERS":
                                        f"127.0.0.1:{silent.getsockname()[1]}"})
    col.port = port
    try:
        fs_wait_ready(col, 30, path="/healthz")
        answers = []

        def post(i):
            ids = [f"{fs_ctx['tag']}-{i}-{k}" for k in range(3)]
            body = [{"event_id": e, "type": "page_view", "anonymous_id": "a"} for e in ids]
            answers.append((ids, fs_http(port, "POST", "/v1/events", body, timeout=30)))

        posters = [threading.Thread(target=post, args=(i,)) for i in range(4)]
        for t in posters:
            t.start()
        time.sleep(1.5)  # queued, waiting for an acknowledgement that never comes
        assert len(answers) == 0, answers
        t0 = time.monotonic()
        rc, killed = col.terminate(timeout=20)
        took = time.monotonic() - t0
        for t in posters:
            t.join(timeout=10)
    finally:
        stop.set()
        holder.join(timeout=5)
        for c in accepted:
            c.close()
        silent.close()
    assert (rc, killed) == (0, False), col.log_text()[-3000:]
    assert took < 12, took
    assert len(answers) == 4, answers
    for ids, (status, headers, raw) in answers:
        assert status == 503 and int(headers["Retry-After"]) >= 1, raw
        assert json.loads(raw)["event_ids"] == ids, raw
    assert "failing them (503)" in col.log_text()


def event_id_of(value):
    """event_id of one of our records without a schema: it is the first
    field, an Avro string (zig-zag varint length, then bytes) after the
    10-byte header."""
    pos, shift, n = 10, 0, 0
    while True:
        b = value[pos]
        pos += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            break
    length = (n >> 1) ^ -(n & 1)
    return value[pos:pos + length].decode()
