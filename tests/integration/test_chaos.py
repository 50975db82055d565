"""Exactly-once under failure (docs/guarantees.md, item 2): a load of 200k+ events
with duplicates and out-of-order event times flows collector → Kafka →
workers while the test kills workers with SIGKILL (20 times), scales the
group 1 → 4 → 1, stops one worker past its session timeout, restarts the
Kafka broker and restarts Redis (append-only file on).  At the end every
Redis aggregate must equal the independent oracle of docs/aggregates.md exactly.

The failures are injected between posting phases so that the workers are
busy each time; the poster re-sends a batch with the same event_ids when
the collector answers 503 or the connection drops, as docs/collector.md tells
clients to.
"""

import os
import random
import signal
import subprocess
import threading
import time

import channel_oracle
import oracle
from conftest import (fs_post_events, fs_query_json, fs_redis_events, fs_redis_hashes,
                      fs_wait_offsets)
from test_pipeline import batches_with_duplicates, diff_days, gen_events, past_days

ROOT = os.environ.get("FS_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
STACK = os.path.join(ROOT, "deploy", "local", "stack")
EVENTS = int(os.environ.get("FS_CHAOS_EVENTS", "200000"))
SESSION_TIMEOUT_MS = 6000
WORKER_ARGS = ["--batch-max", "500", "-X", f"session.timeout.ms={SESSION_TIMEOUT_MS}",
               "-X", "heartbeat.interval.ms=500"]


def stack(cmd):
    """Runs deploy/local/stack with the environment scripts/test exported."""
    p = subprocess.run([STACK, cmd], capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, f"stack {cmd}: {p.stderr[-2000:]}"


class Poster:
    """Posts batches from a thread, retrying each until it is accepted."""

    def __init__(self, port):
        self.port = port
        self.retries = 0
        self.error = None

    def post(self, batches):
        for batch in batches:
            delay = 0.2
            while True:
                try:
                    status, doc, body = fs_post_events(self.port, batch)
                except OSError:
                    status, doc, body = None, None, b""
                if status == 200:
                    if doc["accepted"] != len(batch) or doc["rejected"]:
                        self.error = f"partly rejected: {doc}"
                        return
                    break
                if status not in (None, 503):
                    self.error = f"unexpected {status}: {body[:300]!r}"
                    return
                self.retries += 1
                time.sleep(delay)
                delay = min(delay * 2, 3.0)

    def post_in_background(self, batches):
        t = threading.Thread(target=self.post, args=(batches,))
        t.start()
        return t


def test_exactly_once_through_failures(fs_ctx, fs_procs):
    rng = random.Random(20261127)
    days = past_days(10)
    events = gen_events(rng, EVENTS, fs_ctx["tag"], days)
    batches = batches_with_duplicates(rng, events, 200, 0.03)
    phases = [batches[i::8] for i in range(8)]  # 8 interleaved slices of the load
    sent = channel_oracle.grouped([ev for b in batches for ev in b])  # as the collector keeps them

    col = fs_procs.collector()
    poster = Poster(col.port)
    workers = [fs_procs.worker(*WORKER_ARGS)]

    def live():
        return [w for w in workers if w.alive()]

    # 1. one worker
    poster.post(phases[0])
    # 2. scale 1 -> 4 while events flow
    t = poster.post_in_background(phases[1])
    for _ in range(3):
        workers.append(fs_procs.worker(*WORKER_ARGS))
    t.join()
    # 3. SIGSTOP a worker past its session timeout, then SIGCONT: it must not
    #    apply stale batches after its partitions moved (fencing epochs).
    frozen = rng.choice(live())
    os.kill(frozen.pid, signal.SIGSTOP)
    poster.post(phases[2])
    time.sleep(SESSION_TIMEOUT_MS / 1000 + 3)
    os.kill(frozen.pid, signal.SIGCONT)
    # 4. twenty SIGKILLs at random moments, each victim replaced at once
    t = poster.post_in_background(phases[3] + phases[4])
    for _ in range(20):
        time.sleep(rng.uniform(0.2, 1.2))
        victim = rng.choice(live())
        victim.kill9()
        workers.append(fs_procs.worker(*WORKER_ARGS))
    t.join()
    # 5. restart the Kafka broker with events in flight
    t = poster.post_in_background(phases[5])
    time.sleep(0.5)
    stack("restart-kafka")
    t.join()
    # 6. restart Redis (append-only file) with events in flight
    t = poster.post_in_background(phases[6])
    time.sleep(0.5)
    stack("restart-redis")
    t.join()
    # 7. scale back to one worker (graceful: each must exit 0)
    for w in live()[:-1]:
        rc, forced = w.terminate()
        assert not forced and rc == 0, f"worker {w.pid} exit {rc} forced={forced}"
    assert len(live()) == 1
    poster.post(phases[7])
    assert poster.error is None, poster.error

    fs_wait_offsets(fs_ctx, live(), timeout=300)

    want_events = oracle.expected_events(sent)
    got_events = fs_redis_events(fs_ctx)
    assert got_events == want_events, "events differ:\n" + diff_days(got_events, want_events)

    r = fs_ctx["redis"]
    got_users = fs_redis_hashes(fs_ctx, "users")
    want_users = oracle.expected_users(sent)
    assert got_users == want_users, "users differ:\n" + diff_days(got_users, want_users)

    # HyperLogLog uniques: approximate (standard error 0.81%), per stage and day.
    for (day, stage), who in oracle.expected_uniques(sent).items():
        approx = r.pfcount(f"{fs_ctx['ns']}:v1:hll:{day}:{stage}")
        assert abs(approx - len(who)) <= max(3, 0.05 * len(who)), (day, stage, approx, len(who))

    lo, hi = min(days).isoformat(), max(days).isoformat()
    doc = fs_query_json(fs_ctx, "--from", lo, "--to", hi)
    assert [s["events"] for s in doc["stages"]] == oracle.stage_totals(want_events)
    assert [s["users"] for s in doc["stages"]] == oracle.stage_totals(want_users)


def test_stop_while_claiming_with_redis_down(fs_ctx, fs_procs):
    """SIGTERM reaching a worker that is retrying its partition claims
    because Redis is down is a normal shutdown (exit 0), not a failure."""
    first = fs_procs.worker(*WORKER_ARGS)
    deadline = time.monotonic() + 60
    while "assigned" not in first.log_text():
        assert time.monotonic() < deadline and first.alive(), first.log_text()[-2000:]
        time.sleep(0.2)
    stack("stop-redis")
    try:
        second = fs_procs.worker(*WORKER_ARGS)  # the rebalance makes both claim again
        deadline = time.monotonic() + 60
        while not any("; retrying" in w.log_text() for w in (first, second)):
            assert time.monotonic() < deadline, first.log_text()[-2000:]
            time.sleep(0.2)
        for w in (first, second):
            rc, forced = w.terminate()
            assert not forced and rc == 0, f"worker {w.pid} exit {rc}: {w.log_text()[-2000:]}"
    finally:
        stack("start-redis")
