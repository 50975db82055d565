"""Integration tests of funnel-ingest on the real stack (deploy/local/stack):
NDJSON files and stdin validated like the collector, produced to a unique
6-partition topic, rejects dead-lettered; checked with independent clients
(confluent_kafka, python avro) and Python's own uuid5 for the deterministic
ids.  Covers exit codes, summary counts, the DLQ, Kafka unreachable, usage
errors, and resuming after kill -9 and after SIGTERM without losing an event
or adding a distinct one.

Run: /usr/bin/python3 -m pytest tests/integration/test_ingest.py
with the stack's exports and FS_BINARY_DIR / FS_SOURCE_DIR set.
"""

import collections
import json
import os
import random
import signal
import subprocess
import time
import uuid

import pytest

from conftest import BINARY_DIR, FsSchema, fs_free_port, fs_read_topic

INGEST = os.path.join(BINARY_DIR, "producers", "ingest", "funnel-ingest")
# docs/funnel-ingest.md: event_id = uuid5(NS, f"{id_namespace}\n{line_no}\n{line}")
ID_NS = uuid.UUID("a1aa776f-c4f4-5feb-8795-68288c102fb1")
TYPES = ["ad_click", "page_view", "email_signup", "demo_attended", "sale", "identify",
         "webinar_attended", "content_download"]


def ingest_binary():
    if not os.access(INGEST, os.X_OK):
        pytest.fail(f"{INGEST} is not built (set FS_BINARY_DIR)")
    return INGEST


def run_ingest(ctx, *args, stdin_bytes=None, timeout=600, env_extra=None):
    env = dict(ctx["env"])
    env.update(env_extra or {})
    return subprocess.run([ingest_binary(), *args], env=env, input=stdin_bytes,
                          capture_output=True, timeout=timeout)


def expected_id(line_no, line, ns=""):
    return str(uuid.uuid5(ID_NS, f"{ns}\n{line_no}\n{line}"))


def valid_event(rng, tag, i, base_ms):
    ev = {"type": rng.choice(TYPES),
          "occurred_at": base_ms - rng.randrange(3_600_000),
          "channel": rng.choice(["email", "paid_search", "events"])}
    if i % 3 == 0:
        ev["event_id"] = f"e-{tag}-{i}"
    if i % 2:
        ev["user_id"] = f"u-{tag}-{i % 97}"
    else:
        ev["anonymous_id"] = f"a-{tag}-{i % 89}"
    if ev["type"] == "sale":
        ev["revenue"] = f"{rng.randrange(1, 100000)}.{rng.randrange(100):02d}"
    return ev


# (line text, reason class) of rejected lines; the class is the field before ':'.
def invalid_lines(tag):
    big = json.dumps({"type": "ad_click", "user_id": "u", "channel": "x" * 70_000})
    return [
        (json.dumps({"type": "no_such_type", "user_id": "u"}), "type"),
        (json.dumps({"user_id": "u"}), "type"),
        (json.dumps({"type": "ad_click"}), "user_id"),
        ("this is not json", "event"),
        ("[1, 2, 3]", "event"),
        ('{"type": "ad_click", "user_id": "u"', "event"),
        (big, "event"),  # over 64 KiB: rejected unparsed
        (json.dumps({"type": "ad_click", "user_id": "u", "occurred_at": 1000}), "occurred_at"),
        (json.dumps({"type": "ad_click", "user_id": "u", "occurred_at": "yesterday"}),
         "occurred_at"),
        (json.dumps({"type": "sale", "user_id": "u", "revenue": "-5"}), "revenue"),
        (json.dumps({"type": "sale", "user_id": "u", "currency": "euro"}), "currency"),
        (json.dumps({"type": "ad_click", "user_id": "u", "colour": "red"}), "colour"),
        (json.dumps({"type": "ad_click", "user_id": "u", "event_id": "bad id!"}), "event_id"),
    ]


def build_file(path, tag, n_valid, n_invalid, seed=1, blank_every=997, crlf_every=0):
    """Writes the NDJSON file; returns (valid {event_id: (line_no, line)},
    invalid {line_no: class}, total lines)."""
    rng = random.Random(seed)
    base_ms = int(time.time() * 1000) - 60_000
    bad = invalid_lines(tag)
    bad_at = set(rng.sample(range(n_valid + n_invalid), n_invalid))
    valid, invalid = {}, {}
    line_no = 0
    vi = bi = 0
    with open(path, "wb") as f:
        for k in range(n_valid + n_invalid):
            if blank_every and k and k % blank_every == 0:
                line_no += 1
                f.write(b"   \n")
            line_no += 1
            if k in bad_at:
                text, cls = bad[bi % len(bad)]
                bi += 1
                invalid[line_no] = cls
            else:
                ev = valid_event(rng, tag, vi, base_ms)
                vi += 1
                text = json.dumps(ev, separators=(",", ":"))
                eid = ev.get("event_id") or expected_id(line_no, text)
                assert eid not in valid
                valid[eid] = (line_no, text)
            end = b"\r\n" if crlf_every and k % crlf_every == 0 else b"\n"
            f.write(text.encode() + end)
    return valid, invalid, line_no


def decode_events(msgs, schema):
    out = []
    for m in msgs:
        rec = schema.decode(m.value())
        rec["_key"] = m.key().decode() if m.key() is not None else None
        out.append(rec)
    return out


@pytest.fixture(scope="module")
def schemas():
    return {"event": FsSchema("journey_event.v2.avsc"), "dl": FsSchema("dead_letter.v1.avsc")}


def test_file_counts_ids_and_dead_letters(fs_ctx, tmp_path, schemas):
    path = str(tmp_path / "events.ndjson")
    valid, invalid, total = build_file(path, fs_ctx["tag"], 5000, 30, crlf_every=101)
    p = run_ingest(fs_ctx, "--json-summary", path)
    assert p.returncode == 1, p.stderr.decode()
    summary = json.loads(p.stdout)
    assert summary["outcome"] == "complete"
    assert summary["lines_read"] == total
    assert summary["accepted"] == summary["acknowledged"] == 5000
    assert summary["rejected"] == 30
    assert summary["dead_letters_acknowledged"] == 30
    want = collections.Counter(invalid.values())
    assert summary["rejected_by_reason"] == dict(want)
    counts = list(summary["rejected_by_reason"].values())
    assert counts == sorted(counts, reverse=True)
    assert b"\r" not in p.stderr, "no progress line when stderr is not a terminal"
    assert b"line " in p.stderr  # rejects are logged as "line N: field: reason"

    events = decode_events(fs_read_topic(fs_ctx["brokers"], fs_ctx["topic"]), schemas["event"])
    assert len(events) == 5000
    by_id = {e["event_id"]: e for e in events}
    assert set(by_id) == set(valid)  # deterministic ids = Python's uuid5 of the line
    for eid, (line_no, text) in valid.items():
        ev, src = by_id[eid], json.loads(text)
        assert ev["type"] == src["type"]
        assert ev["occurred_at"] == src["occurred_at"]
        assert ev["ingest_source"] == "ingest"
        assert ev["_key"] == (src.get("user_id") or src.get("anonymous_id"))

    dls = [schemas["dl"].decode(m.value()) for m in fs_read_topic(fs_ctx["brokers"], fs_ctx["dlq"])]
    assert len(dls) == 30
    seen = {}
    for d in dls:
        assert d["source"] == "ingest"
        head, _, rest = d["reason"].partition(": ")
        assert head.startswith("line "), d["reason"]
        line_no = int(head[5:])
        seen[line_no] = rest.split(":", 1)[0]
        assert len(d["raw"]) <= 8192
        assert d["raw_length"] >= len(d["raw"])
    assert seen == invalid
    big = [d for d in dls if d["raw_length"] > 65536]
    assert big and all(d["raw_truncated"] and "longer than 65536" in d["reason"] for d in big)


def test_allow_rejects_text_summary_and_stdin_same_ids(fs_ctx, tmp_path, schemas):
    path = str(tmp_path / "events.ndjson")
    valid, invalid, total = build_file(path, fs_ctx["tag"], 2000, 10, seed=2)
    p = run_ingest(fs_ctx, "--allow-rejects", path)
    assert p.returncode == 0, p.stderr.decode()
    err = p.stderr.decode()
    assert f"lines read    {total}" in err
    assert "accepted      2000 (2000 acknowledged by Kafka)" in err
    assert "rejected      10" in err
    assert "events/s" in err

    # The same bytes on stdin: same ids (nothing new for de-duplication),
    # exit 1 for the rejects this time.
    with open(path, "rb") as f:
        data = f.read()
    p = run_ingest(fs_ctx, "--json-summary", "-", stdin_bytes=data)
    assert p.returncode == 1, p.stderr.decode()
    s = json.loads(p.stdout)
    assert (s["input"], s["accepted"], s["rejected"]) == ("-", 2000, 10)
    events = decode_events(fs_read_topic(fs_ctx["brokers"], fs_ctx["topic"]), schemas["event"])
    assert len(events) == 4000
    ids = collections.Counter(e["event_id"] for e in events)
    assert set(ids) == set(valid) and set(ids.values()) == {2}


def test_kafka_unreachable_exits_3(fs_ctx, tmp_path):
    path = str(tmp_path / "events.ndjson")
    build_file(path, fs_ctx["tag"], 50, 0)
    t0 = time.monotonic()
    p = run_ingest(fs_ctx, "--timeout-s", "2", path, timeout=120,
                   env_extra={"FUNNEL_KAFKA_BROKERS": f"127.0.0.1:{fs_free_port()}"})
    assert p.returncode == 3, p.stderr.decode()
    err = p.stderr.decode()
    assert "Kafka did not acknowledge" in err and "no line is acknowledged yet" in err
    assert time.monotonic() - t0 < 60


@pytest.mark.parametrize("args,needle", [
    ([], "expected one input"),
    (["a", "b"], "expected one input"),
    (["--progress", "sometimes", "x"], "progress"),
    (["--timeout-s", "0", "x"], "timeout-s"),
    (["--resume", "-"], "needs --checkpoint"),
    (["/nonexistent/input.ndjson"], "/nonexistent/input.ndjson"),
    (["--no-such-flag", "x"], "no-such-flag"),
])
def test_usage_errors_exit_2(fs_ctx, args, needle):
    p = run_ingest(fs_ctx, *args, timeout=60)
    assert p.returncode == 2, (args, p.stderr.decode())
    assert needle in p.stderr.decode()


def test_resume_refuses_other_file(fs_ctx, tmp_path):
    a, b = str(tmp_path / "a.ndjson"), str(tmp_path / "b.ndjson")
    cp = str(tmp_path / "cp")
    build_file(a, fs_ctx["tag"], 100, 0, seed=3)
    build_file(b, fs_ctx["tag"], 100, 0, seed=4)
    assert run_ingest(fs_ctx, "--checkpoint", cp, a).returncode == 0
    p = run_ingest(fs_ctx, "--checkpoint", cp, "--resume", b)
    assert p.returncode == 2 and "does not match checkpoint" in p.stderr.decode()
    # Resuming a finished file does nothing and succeeds.
    p = run_ingest(fs_ctx, "--json-summary", "--checkpoint", cp, "--resume", a)
    assert p.returncode == 0 and json.loads(p.stdout)["lines_read"] == 0


def read_checkpoint(path):
    try:
        with open(path) as f:
            kv = dict(line.split(" ", 1) for line in f.read().splitlines()
                      if line and not line.startswith("#"))
        return int(kv["line"]), int(kv["offset"])
    except (OSError, KeyError, ValueError):
        return 0, 0


def check_resumed_topic(fs_ctx, schemas, valid, resumed_after_line):
    """Distinct event_ids == the file's; copies only of lines after the
    checkpoint, identical apart from received_at."""
    events = decode_events(fs_read_topic(fs_ctx["brokers"], fs_ctx["topic"], timeout=180),
                           schemas["event"])
    copies = collections.defaultdict(list)
    for e in events:
        copies[e["event_id"]].append(e)
    assert set(copies) == set(valid), (
        f"missing {len(set(valid) - set(copies))}, extra {len(set(copies) - set(valid))}")
    dup = 0
    for eid, evs in copies.items():
        if len(evs) > 1:
            dup += len(evs) - 1
            assert valid[eid][0] > resumed_after_line, (eid, valid[eid][0], resumed_after_line)
            first = {k: v for k, v in evs[0].items() if k != "received_at"}
            for other in evs[1:]:
                assert {k: v for k, v in other.items() if k != "received_at"} == first
    return len(events), dup


def test_kill9_then_resume_loses_and_adds_nothing(fs_ctx, tmp_path, schemas):
    path = str(tmp_path / "big.ndjson")
    cp = str(tmp_path / "big.cp")
    valid, invalid, total = build_file(path, fs_ctx["tag"], 200_000, 0, seed=5, blank_every=0)
    env = dict(fs_ctx["env"])
    proc = subprocess.Popen([ingest_binary(), "--checkpoint", cp, "--checkpoint-interval-ms",
                             "50", "--log-level", "warn", path], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while read_checkpoint(cp)[0] < 5000:
        assert proc.poll() is None, f"finished before the kill: {proc.stderr.read().decode()}"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stderr.close()
    cp_line, cp_offset = read_checkpoint(cp)
    assert 0 < cp_line < total, "the kill came after the end: make the file bigger"

    p = run_ingest(fs_ctx, "--json-summary", "--checkpoint", cp, "--resume", path)
    assert p.returncode == 0, p.stderr.decode()
    s = json.loads(p.stdout)
    assert s["start_line"] == cp_line + 1
    assert s["lines_read"] == total - cp_line
    assert s["acknowledged_through_line"] == total
    assert read_checkpoint(cp) == (total, os.path.getsize(path))
    n, dup = check_resumed_topic(fs_ctx, schemas, valid, cp_line)
    assert n == 200_000 + dup


def test_sigterm_stdin_then_resume(fs_ctx, tmp_path, schemas):
    path = str(tmp_path / "events.ndjson")
    cp = str(tmp_path / "stdin.cp")
    valid, invalid, total = build_file(path, fs_ctx["tag"], 3000, 0, seed=6)
    with open(path, "rb") as f:
        data = f.read()
    half = data[:data.index(b"\n", len(data) // 2) + 1]
    half_lines = half.count(b"\n")
    proc = subprocess.Popen([ingest_binary(), "--checkpoint", cp, "--checkpoint-interval-ms",
                             "20", "-"], env=fs_ctx["env"], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    proc.stdin.write(half)  # a slow producer: half the stream, then nothing
    proc.stdin.flush()
    deadline = time.monotonic() + 120
    while read_checkpoint(cp)[0] < half_lines:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)  # stdin stays open: the stop, not an EOF, ends the run
    err = proc.stderr.read()
    proc.stdin.close()
    proc.stderr.close()
    assert proc.returncode == 4, err.decode()
    assert "interrupted" in err.decode()
    assert read_checkpoint(cp) == (half_lines, len(half))

    p = run_ingest(fs_ctx, "--json-summary", "--checkpoint", cp, "--resume", "-",
                   stdin_bytes=data)
    assert p.returncode == 0, p.stderr.decode()
    assert json.loads(p.stdout)["lines_read"] == total - half_lines
    n, dup = check_resumed_topic(fs_ctx, schemas, valid, half_lines)
    assert (n, dup) == (3000, 0)
