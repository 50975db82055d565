"""A worker misconfigured in a way no retry can fix stops (docs/guarantees.md, item 9).

Wrong Redis password (WRONGPASS), a password required and none given
(NOAUTH), a Redis ACL that forbids a command the worker needs, an events
or dead-letter topic that does not exist: each must stop funnel-worker
within 10 s with a non-zero exit and a message naming the problem, before
it claims a partition it could not serve.  Outages (Redis or Kafka down)
are retried instead: test_chaos.py covers them.

Run: /usr/bin/python3 -m pytest tests/integration/test_worker_misconfig.py
with the stack's exports and FS_BINARY_DIR / FS_SOURCE_DIR set.
"""

import os
import re
import shlex
import subprocess
import time
import urllib.parse

import pytest

from conftest import fs_binary
from test_query import start_redis, stop_redis

LIMIT_S = 10


def run_worker(ctx, **env):
    """Runs a worker until it exits; fails past LIMIT_S.  Returns
    (exit code, output, seconds)."""
    e = dict(ctx["env"])
    e.update(env)
    t0 = time.monotonic()
    try:
        p = subprocess.run([fs_binary("worker"), "--stats-s", "0"], env=e,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=LIMIT_S)
    except subprocess.TimeoutExpired as ex:
        pytest.fail(f"worker still running after {LIMIT_S} s; output:\n{ex.stderr}")
    return p.returncode, p.stdout + p.stderr, time.monotonic() - t0


def claimed_nothing(ctx):
    """No partition claimed, nothing applied in the namespace."""
    return list(ctx["redis"].scan_iter(match=f"{ctx['ns']}:*", count=1000)) == []


def documented_acl(ctx, user, password, drop=()):
    """The worker's ACL of docs/redis-acl.md for @user, without the
    commands in @drop."""
    doc = open(os.path.join(os.environ.get("FS_SOURCE_DIR", "."), "docs", "redis-acl.md")).read()
    m = re.search(r"```\n(ACL SETUSER funnel-worker .*?)```", doc, re.S)
    assert m, "no worker ACL block in docs/redis-acl.md"
    words = shlex.split(m.group(1).replace("\n", " "))
    words = [user if w == "funnel-worker" else f">{password}" if w.startswith(">") else
             w.replace("~funnel:", f"~{ctx['ns']}:") for w in words]
    for cmd in drop:
        assert f"+{cmd}" in words, (cmd, words)
        words.remove(f"+{cmd}")
    return words


def url_for(ctx, user, password):
    u = urllib.parse.urlsplit(ctx["redis_url"])
    return f"redis://{user}:{password}@{u.hostname}:{u.port}/0"


def test_wrong_password_stops_the_worker(fs_ctx):
    r = fs_ctx["redis"]
    user = f"w{fs_ctx['tag']}"
    assert r.execute_command(*documented_acl(fs_ctx, user, "right-one")) == "OK"
    try:
        rc, out, secs = run_worker(fs_ctx, FUNNEL_REDIS_URL=url_for(fs_ctx, user, "wrong-one"))
    finally:
        r.execute_command("ACL", "DELUSER", user)
    assert rc != 0 and secs < LIMIT_S, out
    assert "WRONGPASS" in out and "password" in out, out
    assert "wrong-one" not in out and "right-one" not in out, out
    assert claimed_nothing(fs_ctx)


def test_missing_password_stops_the_worker(fs_ctx, tmp_path):
    proc, port = start_redis(str(tmp_path), "--requirepass", "s3cret")
    try:
        rc, out, secs = run_worker(fs_ctx, FUNNEL_REDIS_URL=f"redis://127.0.0.1:{port}/0")
    finally:
        stop_redis(proc)
    assert rc != 0 and secs < LIMIT_S, out
    assert "NOAUTH" in out and "requires a password" in out, out


@pytest.mark.parametrize("command", ["pfadd", "hincrby", "mget"])
def test_acl_forbidding_a_needed_command_stops_the_worker(fs_ctx, command):
    """pfadd and hincrby run only inside the commit script, whose commands
    Redis checks one by one as they run: found there, the refusal would
    come after the script's first writes.  mget is sent directly."""
    r = fs_ctx["redis"]
    user = f"w{fs_ctx['tag']}"
    assert r.execute_command(*documented_acl(fs_ctx, user, "pw", drop=[command])) == "OK"
    try:
        rc, out, secs = run_worker(fs_ctx, FUNNEL_REDIS_URL=url_for(fs_ctx, user, "pw"))
    finally:
        r.execute_command("ACL", "DELUSER", user)
    assert rc != 0 and secs < LIMIT_S, out
    assert command.upper() in out and "ACL" in out, out
    assert claimed_nothing(fs_ctx)


@pytest.mark.parametrize("var,key", [("FUNNEL_TOPIC", "kafka.topic"),
                                     ("FUNNEL_DLQ_TOPIC", "kafka.dlq_topic")])
def test_unknown_topic_stops_the_worker(fs_ctx, var, key):
    missing = f"it.{fs_ctx['tag']}.missing"
    rc, out, secs = run_worker(fs_ctx, **{var: missing})
    assert rc != 0 and secs < LIMIT_S, out
    assert missing in out and key in out and "does not exist" in out, out
    assert claimed_nothing(fs_ctx)


def test_redis_down_at_start_is_waited_for(fs_ctx, tmp_path):
    """An outage is not a misconfiguration: with Redis unreachable the
    worker keeps trying (and still stops cleanly on SIGTERM)."""
    e = dict(fs_ctx["env"], FUNNEL_REDIS_URL="redis://127.0.0.1:1/0")
    p = subprocess.Popen([fs_binary("worker"), "--stats-s", "0"], env=e,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(LIMIT_S / 2)
        assert p.poll() is None, p.communicate()[0]
    finally:
        p.terminate()
        out = p.communicate(timeout=30)[0]
    assert p.returncode == 0, out


def test_epoch_at_its_limit_stops_the_worker_before_writing(fs_ctx):
    """The claim script checks a partition's fencing epoch before its first
    write: an epoch INCR would refuse (2^63 - 1 here, written by hand: it
    takes 2^63 claims otherwise) stops the worker naming the key, and
    nothing of the namespace is written."""
    r = fs_ctx["redis"]
    key = f"{fs_ctx['ns']}:v1:epoch:{fs_ctx['topic']}:0"
    for p in range(6):
        r.set(f"{fs_ctx['ns']}:v1:epoch:{fs_ctx['topic']}:{p}", 2**63 - 1)
    rc, out, secs = run_worker(fs_ctx)
    assert rc != 0 and secs < LIMIT_S, out
    assert "not a fencing epoch" in out and fs_ctx["topic"] in out, out
    assert r.get(key) == str(2**63 - 1)
    assert sorted(r.scan_iter(match=f"{fs_ctx['ns']}:*", count=1000)) == sorted(
        f"{fs_ctx['ns']}:v1:epoch:{fs_ctx['topic']}:{p}" for p in range(6))


def test_topic_deleted_while_running_stops_the_worker(fs_ctx):
    """The events topic deleted under a running worker: once the brokers
    confirm it is gone the worker stops with exit 1, naming it (within the
    12 s its wind-down may take)."""
    p = subprocess.Popen([fs_binary("worker"), "--stats-s", "0"], env=fs_ctx["env"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while not fs_ctx["redis"].exists(f"{fs_ctx['ns']}:v1:epoch:{fs_ctx['topic']}:0"):
            assert time.monotonic() < deadline and p.poll() is None, "no partition claimed"
            time.sleep(0.2)
        for f in fs_ctx["admin"].delete_topics([fs_ctx["topic"]],
                                               operation_timeout=30).values():
            f.result(timeout=60)
        out = p.communicate(timeout=LIMIT_S + 15)[0]
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    assert p.returncode == 1, out
    assert f'kafka.topic: topic "{fs_ctx["topic"]}" does not exist' in out, out
