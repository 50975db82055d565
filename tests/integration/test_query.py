"""Integration tests of `funnel-query funnel` against a real redis-server.

(`attribution` and `handoff`: test_query_attrib.py, which reuses the
fixtures and helpers of this file.)

Each test writes hashes in the layout of docs/redis-keys.md under a fresh
namespace with python's redis client (an independent writer), runs the
built binary and checks that its JSON / CSV numbers equal what was written.

Run: /usr/bin/python3 -m pytest tests/integration/test_query.py
The binary is $FS_BINARY_DIR/query/funnel-query (default build/debug).
"""

import datetime
import json
import os
import pty
import shutil
import socket
import subprocess
import tempfile
import time
import uuid

import pytest
import redis

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY_DIR = os.environ.get("FS_BINARY_DIR", os.path.join(ROOT, "build", "debug"))
BINARY = os.path.join(os.path.abspath(BINARY_DIR), "query", "funnel-query")
STAGES = ["awareness", "interest", "desire", "action", "loyalty"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(tmp, *extra, port=None):
    """Starts a throwaway redis-server (on @port, or a free one); returns
    (process, port)."""
    port = port or free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", tmp, *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    password = extra[extra.index("--requirepass") + 1] if "--requirepass" in extra else None
    client = redis.Redis(host="127.0.0.1", port=port, password=password)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            return proc, port
        except redis.exceptions.ConnectionError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)


def stop_redis(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def server():
    if not os.access(BINARY, os.X_OK):
        pytest.fail(f"{BINARY} not built (set FS_BINARY_DIR)")
    tmp = tempfile.mkdtemp(prefix="fs-query-redis-")
    proc, port = start_redis(tmp)
    yield port
    stop_redis(proc)
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def ns():
    return "t" + uuid.uuid4().hex[:12]


@pytest.fixture
def db(server):
    client = redis.Redis(host="127.0.0.1", port=server, decode_responses=True)
    yield client
    client.close()


def run(port, ns, *args, env_extra=None):
    env = dict(os.environ)
    env.update({"FUNNEL_REDIS_URL": f"redis://127.0.0.1:{port}/0", "FUNNEL_NAMESPACE": ns})
    env.pop("FUNNEL_REDIS_PASSWORD_FILE", None)
    env.pop("FUNNEL_CONFIG", None)
    env.update(env_extra or {})
    return subprocess.run([BINARY, *args], env=env, capture_output=True, text=True,
                          timeout=60)


def funnel_json(port, ns, *args, **kw):
    p = run(port, ns, "funnel", "--format", "json", *args, **kw)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def events_of(doc):
    assert [s["stage"] for s in doc["stages"]] == STAGES
    return [s["events"] for s in doc["stages"]]


def write_day(db, ns, day, fields, what="events"):
    db.hset(f"{ns}:v1:{what}:{day}", mapping={k: str(v) for k, v in fields.items()})


# Three days of the same week, plus one day on either side that a query of
# 2026-11-10..2026-11-12 must leave out.
DAYS = {
    "2026-11-09": {"s:awareness": 1000000, "s:interest": 1000000},
    "2026-11-10": {"s:awareness": 120, "s:interest": 40, "s:desire": 7,
                   "sc:awareness:email": 30, "sc:interest:email": 11,
                   "sc:awareness:paid_search": 90, "sk:awareness:bf26": 5,
                   "sc:action:a:b": 2, "t:ad_click": 120},
    "2026-11-11": {"s:awareness": 80, "s:action": 3, "s:loyalty": 1,
                   "sc:awareness:email": 9, "sc:desire:email": 4, "sk:awareness:bf26": 6,
                   "sk:interest:bf26": 2},
    "2026-11-12": {"s:interest": 5, "sc:interest:email": 5},
    "2026-11-13": {"s:awareness": 1000000, "sc:awareness:email": 1000000},
}


def expected(prefix, suffix=""):
    days = ["2026-11-10", "2026-11-11", "2026-11-12"]
    return [sum(DAYS[d].get(f"{prefix}:{s}{suffix}", 0) for d in days) for s in STAGES]


def test_json_sums_the_range_and_excludes_other_days(server, db, ns):
    for day, fields in DAYS.items():
        write_day(db, ns, day, fields)
    doc = funnel_json(server, ns, "--from", "2026-11-10", "--to", "2026-11-12")
    assert doc["from"] == "2026-11-10" and doc["to"] == "2026-11-12"
    assert doc["filter"] == {}
    assert events_of(doc) == [200, 45, 7, 3, 1] == expected("s")
    for s in doc["stages"]:
        assert s["users"] is None and s["rate_from_previous"] is None
        assert list(s) == ["stage", "events", "users", "rate_from_previous"]
    assert list(doc) == ["from", "to", "filter", "stages"]


def test_channel_and_campaign_filters(server, db, ns):
    for day, fields in DAYS.items():
        write_day(db, ns, day, fields)
    doc = funnel_json(server, ns, "--from", "2026-11-10", "--to", "2026-11-12",
                      "--channel", "email")
    assert doc["filter"] == {"channel": "email"}
    assert events_of(doc) == [39, 16, 4, 0, 0] == expected("sc", ":email")
    doc = funnel_json(server, ns, "--from", "2026-11-10", "--to", "2026-11-12",
                      "--campaign", "bf26")
    assert doc["filter"] == {"campaign": "bf26"}
    assert events_of(doc) == [11, 2, 0, 0, 0] == expected("sk", ":bf26")
    # A channel containing ':' is everything after the second colon.
    doc = funnel_json(server, ns, "--from", "2026-11-10", "--to", "2026-11-10",
                      "--channel", "a:b")
    assert events_of(doc) == [0, 0, 0, 2, 0]


def test_one_day_range(server, db, ns):
    for day, fields in DAYS.items():
        write_day(db, ns, day, fields)
    doc = funnel_json(server, ns, "--from", "2026-11-13", "--to", "2026-11-13")
    assert events_of(doc) == [1000000, 0, 0, 0, 0]


def test_empty_range_gives_zeros(server, db, ns):
    write_day(db, ns, "2026-11-10", DAYS["2026-11-10"])
    doc = funnel_json(server, ns, "--from", "2020-01-01", "--to", "2020-03-31")
    assert events_of(doc) == [0, 0, 0, 0, 0]
    assert [s["users"] for s in doc["stages"]] == [None] * 5


def test_default_range_is_the_last_30_days(server, db, ns):
    today = datetime.datetime.now(datetime.timezone.utc).date()
    for back, n in [(0, 1), (29, 10), (30, 100)]:
        write_day(db, ns, (today - datetime.timedelta(days=back)).isoformat(),
                  {"s:awareness": n})
    doc = funnel_json(server, ns)
    assert doc["to"] == today.isoformat()
    assert doc["from"] == (today - datetime.timedelta(days=29)).isoformat()
    assert events_of(doc) == [11, 0, 0, 0, 0]


def test_longest_range_reads_every_day(server, db, ns):
    # 3660 days span many pipelined batches; first, last and batch edges count.
    first = datetime.date(2016, 1, 1)
    last = first + datetime.timedelta(days=3659)
    total = 0
    for i, back in enumerate([0, 1, 127, 128, 129, 255, 256, 1000, 3658, 3659]):
        write_day(db, ns, (first + datetime.timedelta(days=back)).isoformat(),
                  {"s:desire": i + 1})
        total += i + 1
    write_day(db, ns, (last + datetime.timedelta(days=1)).isoformat(), {"s:desire": 999})
    doc = funnel_json(server, ns, "--from", first.isoformat(), "--to", last.isoformat())
    assert events_of(doc) == [0, 0, total, 0, 0]


def test_csv(server, db, ns):
    for day, fields in DAYS.items():
        write_day(db, ns, day, fields)
    p = run(server, ns, "funnel", "--format", "csv", "--from", "2026-11-10",
            "--to", "2026-11-12")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "stage,events,users,rate_from_previous"
    rows = [line.split(",") for line in lines[1:]]
    assert [r[0] for r in rows] == STAGES
    assert [int(r[1]) for r in rows] == expected("s")
    assert all(r[2] == "" and r[3] == "" for r in rows)


def test_users_and_rates_when_the_users_hash_exists(server, db, ns):
    write_day(db, ns, "2026-11-10", {"s:awareness": 900, "s:interest": 300})
    write_day(db, ns, "2026-11-10", {"s:awareness": 400, "s:interest": 100}, "users")
    write_day(db, ns, "2026-11-11", {"s:awareness": 56, "s:interest": 100, "s:desire": 3},
              "users")
    write_day(db, ns, "2026-11-09", {"s:awareness": 5000}, "users")  # outside
    doc = funnel_json(server, ns, "--from", "2026-11-10", "--to", "2026-11-12")
    st = doc["stages"]
    assert [s["users"] for s in st] == [456, 200, 3, 0, 0]
    assert [s["rate_from_previous"] for s in st] == [None, 0.4386, 0.015, 0.0, None]
    assert events_of(doc) == [900, 300, 0, 0, 0]


def test_table_on_request(server, db, ns):
    write_day(db, ns, "2026-11-10", {"s:awareness": 1234567, "s:interest": 800})
    p = run(server, ns, "funnel", "--format", "table", "--from", "2026-11-10",
            "--to", "2026-11-10")
    assert p.returncode == 0, p.stderr
    assert "1,234,567" in p.stdout and "interest" in p.stdout


def test_json_is_the_default_off_a_terminal(server, db, ns):
    p = run(server, ns, "funnel", "--from", "2026-11-10", "--to", "2026-11-10")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["stages"][0]["events"] == 0


def test_table_is_the_default_on_a_terminal(server, db, ns):
    write_day(db, ns, "2026-11-10", {"s:awareness": 4321})
    master, slave = pty.openpty()
    env = dict(os.environ, FUNNEL_REDIS_URL=f"redis://127.0.0.1:{server}/0",
               FUNNEL_NAMESPACE=ns)
    try:
        p = subprocess.run([BINARY, "funnel", "--from", "2026-11-10", "--to", "2026-11-10"],
                           env=env, stdout=slave, stderr=subprocess.PIPE, timeout=60)
        os.close(slave)
        slave = None
        out = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the terminal's other side is closed
                break
            if not chunk:
                break
            out += chunk
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)
    assert p.returncode == 0, p.stderr
    text = out.decode()
    assert "4,321" in text and "awareness" in text and "{" not in text


@pytest.mark.parametrize("args, flag", [
    (["--from", "2026-11-31"], "--from"),
    (["--to", "tomorrow"], "--to"),
    (["--from", "2026-11-12", "--to", "2026-11-10"], "--from"),
    (["--from", "2000-01-01", "--to", "2026-01-01"], "--from/--to"),
    (["--channel", "email", "--campaign", "bf26"], "--channel and --campaign"),
    (["--format", "xml"], "--format"),
    (["--model", "linear"], "--model"),
    (["--sla-days", "3"], "--sla-days"),
    (["--bogus"], "--bogus"),
])
def test_bad_input_names_the_flag_and_exits_2(server, ns, args, flag):
    p = run(server, ns, "funnel", *args)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert flag in p.stderr
    assert p.stdout == ""


def test_subcommands(server, ns):
    p = run(server, ns, "attribution")
    assert p.returncode == 2 and "--model: required" in p.stderr
    p = run(server, ns, "handoff")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["leads"] == 0
    p = run(server, ns)
    assert p.returncode == 2 and "subcommand" in p.stderr
    p = run(server, ns, "funel")
    assert p.returncode == 2 and "unknown subcommand" in p.stderr


def test_redis_unreachable_exits_1(ns):
    p = run(free_port(), ns, "funnel", "--format", "json")
    assert p.returncode == 1
    assert "cannot connect to Redis" in p.stderr
    assert p.stdout == ""


def test_wrong_type_is_reported(server, db, ns):
    db.set(f"{ns}:v1:events:2026-11-10", "not a hash")
    p = run(server, ns, "funnel", "--from", "2026-11-10", "--to", "2026-11-10")
    assert p.returncode == 1
    assert "WRONGTYPE" in p.stderr and f"{ns}:v1:events:2026-11-10" in p.stderr


def test_non_integer_count_is_reported(server, db, ns):
    write_day(db, ns, "2026-11-10", {"s:interest": "12x"})
    p = run(server, ns, "funnel", "--from", "2026-11-10", "--to", "2026-11-10")
    assert p.returncode == 1
    assert "s:interest" in p.stderr and "not a count" in p.stderr


def test_password_file_and_database(tmp_path, ns):
    proc, port = start_redis(str(tmp_path), "--requirepass", "s3cret pass")
    try:
        client = redis.Redis(host="127.0.0.1", port=port, db=3, password="s3cret pass")
        client.hset(f"{ns}:v1:events:2026-11-10", mapping={"s:awareness": "42"})
        pwfile = tmp_path / "pw"
        pwfile.write_text("s3cret pass\n")
        url = {"FUNNEL_REDIS_URL": f"redis://127.0.0.1:{port}/3"}
        p = run(port, ns, "funnel", "--from", "2026-11-10", "--to", "2026-11-10",
                "--redis-password-file", str(pwfile), env_extra=url)
        assert p.returncode == 0, p.stderr
        assert events_of(json.loads(p.stdout)) == [42, 0, 0, 0, 0]

        pwfile.write_text("wrong\n")
        p = run(port, ns, "funnel", "--redis-password-file", str(pwfile), env_extra=url)
        assert p.returncode == 1
        assert "AUTH" in p.stderr and "s3cret" not in p.stderr

        p = run(port, ns, "funnel", env_extra=url)  # no password at all
        assert p.returncode == 1 and "NOAUTH" in p.stderr
    finally:
        stop_redis(proc)
