"""fs-bench-floor (bench/floor_worker.c), the baseline bench/worker_floor
compares the worker's throughput goals with, must do correct work: its
rate is only a floor under any worker if what it writes is what docs/aggregates.md
asks for the part it does.  Checked against the independent oracle
(oracle.py) over events posted through the collector, with duplicates
across and inside requests, several batch boundaries and a full replay.

The floor keeps users per raw person (no identity links, like
oracle.expected_users) and only per stage (no channel or campaign users).
"""

import os
import random
import subprocess

import channel_oracle
import oracle
from conftest import BINARY_DIR, fs_redis_hashes
from test_pipeline import batches_with_duplicates, diff_days, gen_events, past_days, post_all

FLOOR = os.path.join(BINARY_DIR, "bench", "fs-bench-floor")


def run_floor(ctx, n, batch, *args):
    assert os.access(FLOOR, os.X_OK), f"{FLOOR} is not built"
    p = subprocess.run([FLOOR, "--max", str(n), "--batch", str(batch), *args], env=ctx["env"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    fields = dict(kv.split("=") for kv in p.stdout.split()[1:])
    assert int(fields["messages"]) == n, p.stdout
    return int(fields["distinct"])


def test_floor_counts_like_the_oracle(fs_ctx, fs_procs):
    rng = random.Random(20261128)
    days = past_days(3)
    events = gen_events(rng, 1500, fs_ctx["tag"], days)
    batches = batches_with_duplicates(rng, events, 100, 0.05)
    col = fs_procs.collector()
    sent = post_all(col.port, batches)
    in_order = channel_oracle.grouped([e for b in batches for e in b])  # as the collector keeps them

    # A batch size that is no divisor of anything: copies of one id land in
    # the same batch and in different ones.
    assert run_floor(fs_ctx, sent, 97) == len(events)

    want_events = oracle.expected_events(in_order)
    got_events = fs_redis_hashes(fs_ctx, "events", "f")
    assert got_events == want_events, diff_days(got_events, want_events)
    want_users = {}
    for day, h in oracle.expected_users(in_order).items():
        stages = {f: v for f, v in h.items() if f.startswith("s:")}
        if stages:
            want_users[day] = stages
    got_users = fs_redis_hashes(fs_ctx, "users", "f")
    assert got_users == want_users, diff_days(got_users, want_users)

    # Uniques: the floor sends each (stage, day, person) once (a process-wide
    # cache); HyperLogLog counts are within 3 % of the exact persons.
    r = fs_ctx["redis"]
    for (day, stage), persons in oracle.expected_uniques(in_order).items():
        got = r.pfcount(f"{fs_ctx['ns']}:f:hll:{stage}:{day}")
        assert abs(got - len(persons)) <= max(1, 0.03 * len(persons)), (stage, day, got,
                                                                         len(persons))

    # A replay of the whole topic finds every id already seen.
    assert run_floor(fs_ctx, sent, 500) == 0
    assert fs_redis_hashes(fs_ctx, "events", "f") == want_events
    assert fs_redis_hashes(fs_ctx, "users", "f") == want_users

    # --blind writes first-reach times without reading them (ZADD LT, one
    # sorted set per stage and per stage and channel / campaign); users per
    # day are then the members whose score falls on the day.
    ns = fs_ctx["ns"] + "b"
    assert run_floor(fs_ctx, sent, 97, "--blind", "--namespace", ns) == len(events)
    got = {}
    prefix = f"{ns}:f:first:"
    for key in r.scan_iter(match=prefix + "*", count=1000):
        parts = key[len(prefix):].split(":", 2)
        field = ("s:" + parts[0] if len(parts) == 1 else
                 f"{'sc' if parts[1] == 'c' else 'sk'}:{parts[0]}:{parts[2]}")
        for _member, ms in r.zrange(key, 0, -1, withscores=True):
            h = got.setdefault(oracle.utc_day(int(ms)), {})
            h[field] = h.get(field, 0) + 1
    want = oracle.expected_users(in_order)
    assert got == want, diff_days(got, want)
