"""What the dashboard tests share: one pipeline fed through the collector
(real Kafka, real Redis, workers on a namespace of its own) and a running
`funnel-query serve` over it, built once per test module.

The serve daemon is started like every daemon of conftest.py (FsProcs): its
log is attached to a failing test's report and teardown asserts a clean
exit 0 after SIGTERM.
"""

import datetime
import json
import os
import subprocess
import urllib.parse
import uuid

import pytest

from conftest import (FsProcs, fs_binary, fs_create_topics, fs_drop_ctx, fs_free_port,
                      fs_http, fs_wait_offsets, fs_wait_ready)

STAGES = ["awareness", "interest", "desire", "action", "loyalty"]
MODELS = ["first_touch", "last_touch", "linear", "position_based", "time_decay", "w_shaped"]


def today():
    return datetime.datetime.now(datetime.timezone.utc).date()


def make_ctx(stack):
    tag = uuid.uuid4().hex[:12]
    ctx = {"tag": tag, "topic": f"it.{tag}.events", "dlq": f"it.{tag}.dlq", "ns": f"it{tag}",
           "group": f"it-{tag}", "brokers": stack["brokers"], "redis_url": stack["redis_url"],
           "redis": stack["redis"], "admin": stack["admin"]}
    fs_create_topics(ctx["admin"], [ctx["topic"], ctx["dlq"]], 6)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUNNEL_")}
    env.update({"FUNNEL_KAFKA_BROKERS": ctx["brokers"], "FUNNEL_REDIS_URL": ctx["redis_url"],
                "FUNNEL_TOPIC": ctx["topic"], "FUNNEL_DLQ_TOPIC": ctx["dlq"],
                "FUNNEL_GROUP": ctx["group"], "FUNNEL_NAMESPACE": ctx["ns"]})
    env.setdefault("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=1")
    ctx["env"] = env
    return ctx


def post_journeys(ctx, collector, users, days, seed):
    p = subprocess.run([fs_binary("gen"), "--seed", str(seed), "--users", str(users),
                        "--days", str(days), "--post", f"http://127.0.0.1:{collector.port}"],
                       env=ctx["env"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr


class Dashboard:
    """A pipeline with data and `serve` over it."""

    def __init__(self, ctx, procs, collector, serve):
        self.ctx, self.procs, self.collector, self.serve = ctx, procs, collector, serve
        self.port = serve.port
        self.url = f"http://127.0.0.1:{serve.port}/"

    def get(self, path, params=None):
        if params:
            path += "?" + urllib.parse.urlencode(params)
        return fs_http(self.port, "GET", path)

    def api(self, path, params=None):
        status, _, body = self.get(path, params)
        assert status == 200, (path, params, body)
        return json.loads(body)

    def cli(self, *args):
        p = subprocess.run([fs_binary("query"), *args, "--format", "json"],
                           env=self.ctx["env"], capture_output=True, timeout=60)
        assert p.returncode == 0, p.stderr
        return p.stdout


def start_serve(procs, *args, env_extra=None, ready=True):
    port = fs_free_port()
    d = procs.start("query", "serve", "--listen", f"127.0.0.1:{port}", *args,
                    env_extra=env_extra)
    d.port = port
    if ready:
        fs_wait_ready(d)
    return d


@pytest.fixture(scope="module")
def dashboard(fs_stack, tmp_path_factory, request):
    ctx = make_ctx(fs_stack)
    procs = FsProcs(ctx, tmp_path_factory.mktemp("dashboard"), request.node)
    try:
        collector = procs.collector()
        procs.worker()
        post_journeys(ctx, collector, users=300, days=20, seed=11)
        fs_wait_offsets(ctx, [d for d in procs.daemons if d.name == "worker"])
        serve = start_serve(procs)
        yield Dashboard(ctx, procs, collector, serve)
    finally:
        problems = procs.stop_all()
        fs_drop_ctx(ctx)
        assert not problems, problems
