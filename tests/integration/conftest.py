"""Shared helpers and fixtures of the pipeline integration tests.

Everything runs against the REAL Kafka + Redis started by `deploy/local/stack`
(FUNNEL_KAFKA_BROKERS, FUNNEL_REDIS_URL exported by `stack up`); the stack
missing is a test FAILURE, never a skip.  What our programs wrote is checked
with independent clients: confluent_kafka, python avro and redis-py.

Every fixture here is prefixed `fs_` so it never clashes with the fixtures
of other test files (test_query.py defines `server`, `ns`, `db`).

Isolation: each test gets its own topic + DLQ topic (6 partitions), its own
namespace and consumer group, its own collector port.  Daemons are started
with `fs_procs.start(...)`; teardown SIGTERMs every daemon still running and
asserts a clean exit 0 within 15 s (graceful shutdown is a requirement); a
daemon that needs SIGKILL fails the test.  Daemon stderr goes to a per-test
log file that is attached to the report of a failing test.
"""

import datetime
import http.client
import io
import json
import os
import signal
import socket
import struct
import subprocess
import time
import uuid

import avro.io
import avro.schema
import pytest
import redis
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

ROOT = os.environ.get("FS_SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY_DIR = os.path.abspath(os.environ.get("FS_BINARY_DIR", os.path.join(ROOT, "build", "debug")))

BINARIES = {
    "collector": os.path.join(BINARY_DIR, "producers", "collector", "funnel-collector"),
    "worker": os.path.join(BINARY_DIR, "consumers", "worker", "funnel-worker"),
    "query": os.path.join(BINARY_DIR, "query", "funnel-query"),
    "gen": os.path.join(BINARY_DIR, "producers", "gen", "funnel-gen"),
}

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
STOP_TIMEOUT_S = 15


def fs_binary(name):
    path = BINARIES[name]
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is not built (set FS_BINARY_DIR)")
    return path


def fs_free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------- Avro ----

def crc64_avro(data):
    """CRC-64-AVRO of the Avro specification ("Schema Fingerprints")."""
    empty = 0xC15D213AA4D7A795
    fp = empty
    for byte in data:
        fp ^= byte
        for _ in range(8):
            fp = (fp >> 1) ^ (empty if fp & 1 else 0)
    return fp


_PCF_KEEP = ["name", "type", "fields", "symbols", "items", "values", "size"]
_PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}


def parsing_canonical_form(schema_json):
    """Parsing Canonical Form, written from the Avro specification (python
    avro 1.11.1's `canonical_form` keeps `{"type":"long"}` for primitives with
    a logicalType, which the specification's [PRIMITIVES] rule forbids; the
    test cross-checks the two below)."""

    def canon(node, namespace):
        if isinstance(node, str):
            if node in _PRIMITIVES or "." in node or not namespace:
                return json.dumps(node)
            return json.dumps(namespace + "." + node)
        if isinstance(node, list):
            return "[" + ",".join(canon(n, namespace) for n in node) + "]"
        t = node["type"]
        if isinstance(t, str) and t in _PRIMITIVES:
            return json.dumps(t)
        if not isinstance(t, str):
            return canon(t, namespace)
        if "name" in node:
            name = node["name"]
            if "." not in name:
                ns = node.get("namespace", namespace)
                name = f"{ns}.{name}" if ns else name
            namespace = name.rpartition(".")[0]
        parts = []
        for key in _PCF_KEEP:
            if key not in node:
                continue
            v = node[key]
            if key == "name":
                parts.append('"name":' + json.dumps(name))
            elif key == "type":
                parts.append('"type":' + json.dumps(v))
            elif key == "fields":
                parts.append('"fields":[' + ",".join(
                    '{"name":' + json.dumps(f["name"]) + ',"type":' + canon(f["type"], namespace) + "}"
                    for f in v) + "]")
            elif key == "symbols":
                parts.append('"symbols":' + json.dumps(v, separators=(",", ":")))
            elif key in ("items", "values"):
                parts.append(f'"{key}":' + canon(v, namespace))
            elif key == "size":
                parts.append('"size":' + str(int(v)))
        return "{" + ",".join(parts) + "}"

    return canon(schema_json, "")


class FsSchema:
    def __init__(self, filename):
        with open(os.path.join(ROOT, "schemas", filename), encoding="utf-8") as f:
            text = f.read()
        self.filename = filename
        self.schema = avro.schema.parse(text)
        self.canonical = parsing_canonical_form(json.loads(text))
        self.fingerprint = crc64_avro(self.canonical.encode("utf-8"))

    def encode(self, datum):
        """Single-object encoding: C3 01, fingerprint (LE), Avro binary body."""
        out = io.BytesIO()
        avro.io.DatumWriter(self.schema).write(datum, avro.io.BinaryEncoder(out))
        return b"\xc3\x01" + struct.pack("<Q", self.fingerprint) + out.getvalue()

    def decode(self, value, reader=None):
        """Decodes a framed record written with this schema; asserts the
        framing, the fingerprint and that no byte is left over."""
        assert value[:2] == b"\xc3\x01", f"magic {value[:2].hex()}"
        (fp,) = struct.unpack("<Q", value[2:10])
        assert fp == self.fingerprint, \
            f"fingerprint {fp:016x}, expected {self.fingerprint:016x} ({self.filename})"
        body = io.BytesIO(value[10:])
        datum = avro.io.DatumReader(self.schema, reader.schema if reader else None).read(
            avro.io.BinaryDecoder(body))
        assert body.tell() == len(value) - 10, f"{len(value) - 10 - body.tell()} trailing bytes"
        return {k: to_ms(v) if isinstance(v, datetime.datetime) else v for k, v in datum.items()}


def to_ms(dt):
    return (dt - EPOCH) // datetime.timedelta(milliseconds=1)


@pytest.fixture(scope="session")
def fs_schemas():
    s = {n: FsSchema(n) for n in
         ("journey_event.v1.avsc", "journey_event.v2.avsc", "dead_letter.v1.avsc")}
    # python avro's own canonical form, with its logicalType quirk undone,
    # must agree with ours: two independent routes to the same fingerprint.
    for schema in s.values():
        py = schema.schema.canonical_form.replace('{"type":"long"}', '"long"')
        assert py == schema.canonical, (py, schema.canonical)
    return s


# -------------------------------------------------------------- stack ----

@pytest.fixture(scope="session")
def fs_stack():
    brokers = os.environ.get("FUNNEL_KAFKA_BROKERS")
    redis_url = os.environ.get("FUNNEL_REDIS_URL")
    if not brokers or not redis_url:
        pytest.fail("FUNNEL_KAFKA_BROKERS / FUNNEL_REDIS_URL not set: "
                    'run eval "$(deploy/local/stack up)" first')
    admin = AdminClient({"bootstrap.servers": brokers})
    try:
        admin.list_topics(timeout=10)
    except KafkaException as e:
        pytest.fail(f"Kafka at {brokers} unreachable: {e}")
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        r.ping()
    except redis.exceptions.RedisError as e:
        pytest.fail(f"Redis at {redis_url} unreachable: {e}")
    yield {"brokers": brokers, "redis_url": redis_url, "admin": admin, "redis": r}
    r.close()


def fs_create_topics(admin, names, partitions):
    futures = admin.create_topics(
        [NewTopic(n, num_partitions=partitions, replication_factor=1) for n in names],
        operation_timeout=30)
    for f in futures.values():
        f.result(timeout=60)
    deadline = time.monotonic() + 30
    while True:  # metadata of every partition has a leader
        md = admin.list_topics(timeout=10).topics
        if all(n in md and len(md[n].partitions) == partitions and
               all(p.leader >= 0 for p in md[n].partitions.values()) for n in names):
            return
        assert time.monotonic() < deadline, f"topics {names} not ready"
        time.sleep(0.2)


@pytest.fixture
def fs_ctx(fs_stack):
    """Per-test topic, DLQ topic, namespace, consumer group and the env of
    our programs."""
    tag = uuid.uuid4().hex[:12]
    ctx = {
        "tag": tag,
        "topic": f"it.{tag}.events",
        "dlq": f"it.{tag}.dlq",
        "ns": f"it{tag}",
        "group": f"it-{tag}",
        "brokers": fs_stack["brokers"],
        "redis_url": fs_stack["redis_url"],
        "redis": fs_stack["redis"],
        "admin": fs_stack["admin"],
    }
    fs_create_topics(ctx["admin"], [ctx["topic"], ctx["dlq"]], 6)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUNNEL_")}
    env.update({
        "FUNNEL_KAFKA_BROKERS": ctx["brokers"],
        "FUNNEL_REDIS_URL": ctx["redis_url"],
        "FUNNEL_TOPIC": ctx["topic"],
        "FUNNEL_DLQ_TOPIC": ctx["dlq"],
        "FUNNEL_GROUP": ctx["group"],
        "FUNNEL_NAMESPACE": ctx["ns"],
    })
    env.setdefault("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=1")
    ctx["env"] = env
    yield ctx
    fs_drop_ctx(ctx)


def fs_drop_ctx(ctx):
    """Deletes a context's topics and every Redis key of its namespace."""
    try:
        for f in ctx["admin"].delete_topics([ctx["topic"], ctx["dlq"]],
                                            operation_timeout=30).values():
            f.result(timeout=60)
    except Exception:  # noqa: BLE001 - cleanup only
        pass
    keys = list(ctx["redis"].scan_iter(match=f"{ctx['ns']}:*", count=1000))
    for i in range(0, len(keys), 500):
        ctx["redis"].delete(*keys[i:i + 500])


# ------------------------------------------------------------ daemons ----

class FsDaemon:
    def __init__(self, name, argv, env, log_path):
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.killed = False  # SIGKILLed on purpose by the test
        self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.port = None

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def kill9(self):
        self.killed = True
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def terminate(self, timeout=STOP_TIMEOUT_S):
        """SIGTERM, wait; returns (exit code, needed SIGKILL)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return self.proc.returncode, True
        return self.proc.returncode, False

    def log_text(self):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


class FsProcs:
    def __init__(self, ctx, tmp_path, node):
        self.ctx = ctx
        self.tmp_path = tmp_path
        self.node = node
        self.daemons = []
        node.fs_daemons = self.daemons

    def start(self, name, *args, env_extra=None):
        env = dict(self.ctx["env"])
        env.update(env_extra or {})
        idx = sum(1 for d in self.daemons if d.name == name)
        log = str(self.tmp_path / f"{name}-{idx}.log")
        d = FsDaemon(name, [fs_binary(name), *args], env, log)
        self.daemons.append(d)
        return d

    def collector(self, *args, ready=True):
        port = fs_free_port()
        d = self.start("collector", *args, env_extra={"FUNNEL_LISTEN": f"127.0.0.1:{port}"})
        d.port = port
        if ready:
            fs_wait_ready(d)
        return d

    def worker(self, *args):
        return self.start("worker", "--batch-ms", "50", "--stats-s", "0", *args)

    def stop_all(self):
        problems = []
        for d in self.daemons:
            if d.killed:
                continue
            was_alive = d.alive()
            rc, forced = d.terminate()
            if forced:
                problems.append(f"{d.name} pid {d.pid} needed SIGKILL after SIGTERM + {STOP_TIMEOUT_S} s")
            elif rc != 0:
                problems.append(f"{d.name} pid {d.pid} exited {rc}"
                                f"{'' if was_alive else ' before teardown'}")
        return problems


@pytest.fixture
def fs_procs(fs_ctx, tmp_path, request):
    procs = FsProcs(fs_ctx, tmp_path, request.node)
    yield procs
    problems = procs.stop_all()
    if problems:
        pytest.fail("daemon shutdown: " + "; ".join(problems), pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and report.when in ("call", "teardown"):
        for d in getattr(item, "fs_daemons", []):
            try:
                text = d.log_text()
            except OSError:
                continue
            lines = text.splitlines()
            tail = "\n".join(lines[-150:])
            report.sections.append((f"{d.name} pid {d.pid} log ({d.log_path}, last 150 lines)", tail))


# --------------------------------------------------------------- HTTP ----

def fs_http(port, method, path, body=None, content_type="application/json",
            headers=None, timeout=60):
    """One request on a fresh connection; returns (status, headers, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        h = dict(headers or {})
        if body is not None:
            if not isinstance(body, (bytes, bytearray)):
                body = json.dumps(body).encode("utf-8")
            if content_type:
                h["Content-Type"] = content_type
        conn.request(method, path, body=body, headers=h)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def fs_post_events(port, payload, **kw):
    status, headers, body = fs_http(port, "POST", "/v1/events", payload, **kw)
    try:
        doc = json.loads(body)
    except ValueError:
        doc = None
    return status, doc, body


def fs_wait_ready(daemon, timeout=40, path="/readyz"):
    """Waits until @daemon answers 200 on @path (/healthz: listening, even
    without Kafka; /readyz: Kafka reachable too)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if not daemon.alive():
            pytest.fail(f"{daemon.name} exited {daemon.proc.returncode} at start-up:\n"
                        + daemon.log_text()[-3000:])
        try:
            last = fs_http(daemon.port, "GET", path, timeout=5)[0]
            if last == 200:
                return
        except OSError as e:
            last = e
        time.sleep(0.1)
    pytest.fail(f"{daemon.name} not ready after {timeout} s (last: {last})")


# -------------------------------------------------------------- Kafka ----

def fs_end_offsets(brokers, topic, partitions=6, timeout=30):
    """End offset of every partition.  A KRaft broker may answer "not leader"
    for a moment after the controller's metadata already names it leader
    (seen in CI right after a test created its topic): retriable errors are
    retried until @timeout."""
    c = Consumer({"bootstrap.servers": brokers, "group.id": "it-watermarks-" + uuid.uuid4().hex,
                  "enable.auto.commit": False})
    deadline = time.monotonic() + timeout
    ends = {}
    try:
        for p in range(partitions):
            while True:
                try:
                    ends[p] = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                    break
                except KafkaException as e:
                    err = e.args[0]
                    if not (err.retriable() or err.code() in (
                            KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE,
                            KafkaError.UNKNOWN_TOPIC_OR_PART)) or time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
        return ends
    finally:
        c.close()


def fs_read_topic(brokers, topic, partitions=6, timeout=60):
    """Every record of the topic, read from the beginning up to the end
    offsets as of the call; list of confluent_kafka Messages."""
    ends = fs_end_offsets(brokers, topic, partitions)
    c = Consumer({"bootstrap.servers": brokers, "group.id": "it-reader-" + uuid.uuid4().hex,
                  "enable.auto.commit": False, "auto.offset.reset": "earliest",
                  "enable.partition.eof": False})
    out = []
    try:
        todo = {p: e for p, e in ends.items() if e > 0}
        c.assign([TopicPartition(topic, p, 0) for p in todo])
        pos = {p: 0 for p in todo}
        deadline = time.monotonic() + timeout
        while any(pos[p] < todo[p] for p in todo):
            assert time.monotonic() < deadline, f"reading {topic}: at {pos}, end {todo}"
            for m in c.consume(num_messages=1000, timeout=0.5):
                if m.error():
                    raise KafkaException(m.error())
                out.append(m)
                pos[m.partition()] = max(pos[m.partition()], m.offset() + 1)
    finally:
        c.close()
    return out


def fs_producer(brokers):
    return Producer({"bootstrap.servers": brokers, "enable.idempotence": True, "acks": "all",
                     "linger.ms": 5})


def fs_wait_offsets(ctx, daemons=(), timeout=120, partitions=6):
    """Waits until the worker's `<ns>:v1:offsets` covers every record of the
    topic: for each non-empty partition, last applied offset == end - 1.
    Fails early when one of `daemons` died."""
    ends = fs_end_offsets(ctx["brokers"], ctx["topic"], partitions)
    want = {f"{ctx['topic']}:{p}": e - 1 for p, e in ends.items() if e > 0}
    key = f"{ctx['ns']}:v1:offsets"
    deadline = time.monotonic() + timeout
    got = {}
    while time.monotonic() < deadline:
        got = ctx["redis"].hgetall(key)
        if all(int(got.get(f, -1)) >= off for f, off in want.items()):
            assert all(int(got[f]) == off for f, off in want.items()), (got, want)
            return ends
        for d in daemons:
            if not d.killed and not d.alive():
                pytest.fail(f"{d.name} pid {d.pid} died (exit {d.proc.returncode}) "
                            f"with offsets {got}, want {want}")
        time.sleep(0.2)
    pytest.fail(f"offsets in Redis {got} never reached the end offsets {want}")


# -------------------------------------------------------------- Redis ----

def fs_redis_events(ctx):
    """{day: {field: int}} of every `<ns>:v1:events:<day>` hash."""
    r = ctx["redis"]
    prefix = f"{ctx['ns']}:v1:events:"
    out = {}
    for key in r.scan_iter(match=prefix + "*", count=1000):
        out[key[len(prefix):]] = {f: int(v) for f, v in r.hgetall(key).items()}
    return out


def fs_redis_hashes(ctx, kind, space="v1"):
    """{suffix: {field: int}} of every `<ns>:<space>:<kind>:<suffix>` hash,
    zero fields and empty hashes left out (a count moved elsewhere leaves a
    0 behind)."""
    r = ctx["redis"]
    prefix = f"{ctx['ns']}:{space}:{kind}:"
    out = {}
    for key in r.scan_iter(match=prefix + "*", count=1000):
        h = {f: int(v) for f, v in r.hgetall(key).items() if int(v) != 0}
        if h:
            out[key[len(prefix):]] = h
    return out


def fs_query_json(ctx, *args):
    p = subprocess.run([fs_binary("query"), "funnel", "--format", "json", *args],
                       env=ctx["env"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)
