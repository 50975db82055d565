"""The one-host deployment (deploy/compose), end to end with real
containers: build the images, `up`, post events to the collector on
127.0.0.1:8080, wait until the aggregates show all of them, read both
workers' /metrics, kill one worker container and see the other take its
partitions and count what follows, then `down` and see nothing left.

Needs podman (or docker) able to run containers; tests/deploy/run skips
with a message where it cannot.  Uses the host ports 8080, 8090, 9101 and
9102.  The aggregates are read through the dashboard's /api/funnel on
127.0.0.1:8090 (an image without `funnel-query serve` is read with
`funnel-query funnel` inside a worker container instead).
"""

import collections
import json
import os
import random
import subprocess
import time
import urllib.error
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UP = os.path.join(ROOT, "deploy", "compose", "up")
DOWN = os.path.join(ROOT, "deploy", "compose", "down")
ENGINE = os.environ.get("FUNNEL_ENGINE", "podman")
STAGE = {"ad_impression": "awareness", "ad_click": "awareness", "page_view": "interest",
         "email_signup": "interest", "demo_requested": "desire", "sale": "action",
         "referral": "loyalty"}
CONTAINERS = ["funnelstream-kafka", "funnelstream-redis", "funnelstream-collector",
              "funnelstream-worker-1", "funnelstream-worker-2"]


def env():
    e = dict(os.environ)
    e.setdefault("CONTAINERS_CONF", os.path.join(ROOT, "deploy", "images", "containers.conf"))
    return e


def run(argv, timeout=900, check=True):
    t0 = time.monotonic()
    p = subprocess.run(argv, env=env(), capture_output=True, text=True, timeout=timeout)
    if check:
        assert p.returncode == 0, f"{argv} exited {p.returncode}:\n{p.stderr[-4000:]}"
    return p, time.monotonic() - t0


def http(method, url, body=None, timeout=30):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def metrics(port):
    status, body = http("GET", f"http://127.0.0.1:{port}/metrics")
    assert status == 200, body
    out = {}
    for line in body.decode().splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def lag(m):
    return sum(v for k, v in m.items() if k.startswith("funnel_worker_consumer_lag_messages{"))


def post(events):
    for i in range(0, len(events), 500):
        batch = events[i:i + 500]
        deadline = time.monotonic() + 120
        while True:
            status, body = http("POST", "http://127.0.0.1:8080/v1/events", batch)
            if status == 200:
                assert json.loads(body)["accepted"] == len(batch), body
                break
            assert status == 503 and time.monotonic() < deadline, (status, body[:300])
            time.sleep(1)


def gen(rng, tag, n, start):
    types = list(STAGE)
    return [{"event_id": f"{tag}-{start + i}", "type": rng.choice(types),
             "user_id": f"u-{tag}-{rng.randrange(n // 3 + 1)}", "channel": "email"}
            for i in range(n)]


def stage_events(events):
    c = collections.Counter(STAGE[e["type"]] for e in events)
    return {s: c.get(s, 0) for s in ("awareness", "interest", "desire", "action", "loyalty")}


def funnel(dashboard):
    """{stage: events} as the product shows them."""
    if dashboard:
        status, body = http("GET", "http://127.0.0.1:8090/api/funnel")
        assert status == 200, body
        doc = json.loads(body)
    else:
        p, _ = run([ENGINE, "exec", "funnelstream-worker-2", "funnel-query", "funnel",
                    "--format", "json"], timeout=60)
        doc = json.loads(p.stdout)
    return {s["stage"]: s["events"] for s in doc["stages"]}


def wait_funnel(want, dashboard, timeout=180):
    deadline = time.monotonic() + timeout
    got = None
    while time.monotonic() < deadline:
        got = funnel(dashboard)
        if got == want:
            return
        time.sleep(2)
    pytest.fail(f"aggregates never showed every event: got {got}, want {want}")


@pytest.fixture(scope="module")
def stack():
    run([DOWN], timeout=300)  # whatever a previous run left
    _, took = run([UP], timeout=1800)
    print(f"deploy/compose/up took {took:.0f} s")
    image = os.environ.get("FUNNEL_IMAGE", "localhost/funnelstream:latest")
    helptext = run([ENGINE, "run", "--rm", image, "funnel-query", "--help"], timeout=120)[0].stdout
    dashboard = " serve" in helptext
    if dashboard:  # the image has it: it must be up, on 127.0.0.1:8090
        status, body = http("GET", "http://127.0.0.1:8090/readyz")
        assert status == 200, body
    print(f"aggregates read through {'the dashboard /api/funnel' if dashboard else 'funnel-query funnel'}")
    yield {"dashboard": dashboard}
    _, took = run([DOWN], timeout=300)
    print(f"deploy/compose/down took {took:.0f} s")
    left = run([ENGINE, "ps", "-a", "--format", "{{.Names}}"], timeout=60)[0].stdout.split()
    assert not [c for c in left if c.startswith("funnelstream-")], left


def test_events_counted_and_a_worker_takes_over(stack):
    rng = random.Random(14)
    tag = f"deploy{int(time.time())}"
    before = funnel(stack["dashboard"])
    first = gen(rng, tag, 3000, 0)
    post(first)
    want = {s: before.get(s, 0) + n for s, n in stage_events(first).items()}
    wait_funnel(want, stack["dashboard"])

    m1, m2 = metrics(9101), metrics(9102)
    owned = (m1["funnel_worker_partitions_owned"], m2["funnel_worker_partitions_owned"])
    assert sorted(owned) == [3, 3], owned  # 6 partitions, 2 workers
    applied = m1["funnel_worker_events_applied_total"] + m2["funnel_worker_events_applied_total"]
    assert applied == len(first), (applied, len(first))
    assert lag(m1) == 0 and lag(m2) == 0, (lag(m1), lag(m2))
    for m in (m1, m2):
        assert m["funnel_worker_redis_up"] == 1
        assert m["funnel_worker_batch_apply_seconds_count"] == m["funnel_worker_batches_total"]

    # worker-1 dies (SIGKILL: no goodbye to the group); worker-2 gets its
    # partitions after the session timeout and counts what follows.
    run([ENGINE, "kill", "--signal", "KILL", "funnelstream-worker-1"], timeout=60)
    second = gen(rng, tag, 1500, 3000)
    post(second)
    want = {s: want[s] + n for s, n in stage_events(second).items()}
    wait_funnel(want, stack["dashboard"])
    m2b = metrics(9102)
    assert m2b["funnel_worker_partitions_owned"] == 6, m2b["funnel_worker_partitions_owned"]
    assert lag(m2b) == 0
    # Everything of the first load was in Redis before the kill, offsets
    # included: worker-2 resumed from them and applied exactly the second.
    gained = m2b["funnel_worker_events_applied_total"] - m2["funnel_worker_events_applied_total"]
    assert gained == len(second), (gained, len(second))
