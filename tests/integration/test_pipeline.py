"""End-to-end tests of collector -> Kafka -> worker -> Redis -> funnel-query
on the real stack (deploy/local/stack), checked with independent clients
(confluent_kafka, python avro, redis-py) and an independent oracle
(oracle.py, written from docs/funnel-definition.md and docs/aggregates.md).

Run: /usr/bin/python3 -m pytest tests/integration/test_pipeline.py
with the stack's exports and FS_BINARY_DIR / FS_SOURCE_DIR set.
"""

import collections
import datetime
import http.client
import json
import os
import random
import re
import select
import shlex
import socket
import struct
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from confluent_kafka import KafkaException

import channel_oracle
import oracle
from conftest import (EPOCH, FsSchema, fs_http, fs_post_events, fs_producer, fs_query_json, fs_read_topic,
                      fs_redis_events, fs_wait_offsets)

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TYPES = list(oracle.DEFAULT_DEFINITION)


def now_ms():
    return int(time.time() * 1000)


def signed64(u):
    return u - (1 << 64) if u >= 1 << 63 else u


def diff_days(got, want, limit=40):
    """Human-readable differences between two {day: {field: n}} maps."""
    lines = []
    for day in sorted(set(got) | set(want)):
        g, w = got.get(day, {}), want.get(day, {})
        for f in sorted(set(g) | set(w)):
            if g.get(f) != w.get(f):
                lines.append(f"{day} {f}: redis {g.get(f)}, oracle {w.get(f)}")
    extra = f"\n... {len(lines) - limit} more" if len(lines) > limit else ""
    return "\n".join(lines[:limit]) + extra


# ------------------------------------------------------------ generator ----

CHANNELS = ["paid_search", "email", "events", "sales_outreach", "social", "a:b:c",
            "r\u00e9seau \u2713", None, "", "  email  "]
CAMPAIGNS = ["bf26", "spring-launch", "\u9ed2\u3044\u91d1\u66dc\u65e5", "q4:enterprise", None, ""]
TYPE_WEIGHTS = {t: 1 for t in TYPES}
TYPE_WEIGHTS.update({"ad_impression": 6, "page_view": 5, "ad_click": 4, "email_open": 3,
                     "identify": 2})


def gen_events(rng, n, tag, days):
    """n distinct events over `days` (datetime.date list), every default type,
    occurred_at as epoch ms, Z, +05:30 and -08:00 strings."""
    users = [f"u-{tag}-{i}" for i in range(max(10, n // 8))]
    types = rng.choices(TYPES, weights=[TYPE_WEIGHTS[t] for t in TYPES], k=n)
    types[:len(TYPES)] = TYPES  # every type at least once
    out = []
    for i in range(n):
        day = rng.choice(days)
        base = int(datetime.datetime(day.year, day.month, day.day,
                                     tzinfo=datetime.timezone.utc).timestamp() * 1000)
        # bias towards the day edges, where a wrong time zone shows
        ms = base + rng.choice([rng.randrange(86_400_000), rng.randrange(60_000),
                                86_400_000 - 1 - rng.randrange(60_000)])
        ev = {"event_id": f"e-{tag}-{i}", "type": types[i]}
        who = rng.random()
        user = rng.choice(users)
        if types[i] == "identify" or who < 0.2:
            ev["user_id"], ev["anonymous_id"] = user, f"a-{user}"
        elif who < 0.6:
            ev["user_id"] = user
        else:
            ev["anonymous_id"] = f"a-{user}-{rng.randrange(3)}"
        fmt = rng.randrange(4)
        dt = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
        if fmt == 0:
            ev["occurred_at"] = ms
        elif fmt == 1:
            ev["occurred_at"] = dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
        else:
            tz = datetime.timezone(datetime.timedelta(hours=5, minutes=30) if fmt == 2
                                   else datetime.timedelta(hours=-8))
            ev["occurred_at"] = dt.astimezone(tz).isoformat(timespec="milliseconds")
        ch = rng.choice(CHANNELS)
        if ch is not None:
            ev["channel"] = ch
        ca = rng.choice(CAMPAIGNS)
        if ca is not None:
            ev["campaign"] = ca
        if types[i] in ("sale", "repeat_purchase"):
            ev["revenue"] = rng.choice([f"{rng.randrange(100000)}.{rng.randrange(100):02d}",
                                        rng.randrange(5000)])
        out.append(ev)
    return out


def past_days(count, back=3):
    today = datetime.datetime.now(datetime.timezone.utc).date()
    return [today - datetime.timedelta(days=back + i) for i in range(count)]


def batches_with_duplicates(rng, events, batch_size, dup_ratio):
    """Shuffled batches; dup_ratio of the events are sent a second time in a
    different request (and a few twice inside one request)."""
    events = list(events)
    rng.shuffle(events)
    batches = [events[i:i + batch_size] for i in range(0, len(events), batch_size)]
    where = {ev["event_id"]: bi for bi, b in enumerate(batches) for ev in b}
    dups = rng.sample(events, int(len(events) * dup_ratio))
    for ev in dups:
        choices = [bi for bi in range(len(batches)) if bi != where[ev["event_id"]]]
        b = batches[rng.choice(choices)]
        b.insert(rng.randrange(len(b) + 1), dict(ev))
    for ev in dups[:3]:  # same id twice in one request
        b = batches[where[ev["event_id"]]]
        b.insert(rng.randrange(len(b) + 1), dict(ev))
    return batches


def post_all(port, batches, threads=2):
    """Posts every batch, asserts every event accepted; returns the count."""
    def one(batch):
        status, doc, body = fs_post_events(port, batch)
        assert status == 200, (status, body[:500])
        assert doc["accepted"] == len(batch) and doc["rejected"] == [], doc
        return len(batch)
    with ThreadPoolExecutor(threads) as pool:
        return sum(pool.map(one, batches))


def check_counts(ctx, sent_in_order, days):
    want = oracle.expected_events(channel_oracle.grouped(sent_in_order))
    got = fs_redis_events(ctx)
    assert got == want, "Redis events hashes differ from the oracle:\n" + diff_days(got, want)
    lo, hi = min(days).isoformat(), max(days).isoformat()
    doc = fs_query_json(ctx, "--from", lo, "--to", hi)
    assert [s["stage"] for s in doc["stages"]] == oracle.STAGES
    assert [s["events"] for s in doc["stages"]] == oracle.stage_totals(want), doc
    doc = fs_query_json(ctx, "--from", lo, "--to", hi, "--channel", "email")
    want_email = [sum(h.get(f"sc:{s}:email", 0) for h in want.values()) for s in oracle.STAGES]
    assert [s["events"] for s in doc["stages"]] == want_email, doc
    return want


# ---------------------------------------------------------------- tests ----

def expected_record(ev, received_lo, received_hi):
    """What the Avro record of a sent event must hold (docs/event.md)."""
    def text(k):
        v = ev.get(k)
        return oracle._text(v) if isinstance(v, str) else v
    rev = ev.get("revenue")
    cents = None
    if rev is not None:
        s = rev if isinstance(rev, str) else repr(rev)
        whole, _, frac = s.strip().partition(".")
        cents = int(whole) * 100 + int((frac + "00")[:2])
    rec = {
        "event_id": ev.get("event_id"),
        "type": ev["type"],
        "user_id": text("user_id"),
        "anonymous_id": text("anonymous_id"),
        "occurred_at": oracle.occurred_at_ms(ev["occurred_at"]) if "occurred_at" in ev else None,
        "channel": text("channel") or channel_oracle.derive(ev),  # docs/channels.md
        "campaign": text("campaign"),
        "source": text("source"),
        "medium": text("medium"),
        "content": text("content"),
        "term": text("term"),
        "revenue_cents": cents,
        "currency": ev.get("currency", "USD"),
        "properties": {k: (int(v) if isinstance(v, float) and v.is_integer() and abs(v) < 2**53
                           and not isinstance(v, bool) else v)
                       for k, v in ev.get("properties", {}).items()},
        "ingest_source": "collector",
    }
    return rec


def test_collector_to_kafka_avro_readable(fs_ctx, fs_procs, fs_schemas):
    tag = fs_ctx["tag"]
    v2 = fs_schemas["journey_event.v2.avsc"]
    dl = fs_schemas["dead_letter.v1.avsc"]
    col = fs_procs.collector()
    t0 = now_ms()
    day_ms = (t0 // 86_400_000 - 2) * 86_400_000
    props_all = {"plan": "pro \u2713", "seats": 12, "neg": -9007199254740993, "score": 0.1,
                 "ratio": 2.5e-7, "trial": True, "off": False, "empty": "", "three": 3.0,
                 "multi\u00e9": "line1\nline2 \U0001F600", "huge": 1.5e300}
    events = [
        {"event_id": f"{tag}-full", "type": "sale", "user_id": "  cust-42  ",
         "anonymous_id": "anon-42", "occurred_at": day_ms + 1234, "channel": "paid_search",
         "campaign": "bf26", "source": "google", "medium": "cpc", "content": "ad-a",
         "term": "crm software", "revenue": "19.99", "currency": "EUR",
         "properties": props_all},
        {"event_id": f"{tag}-rev-num", "type": "repeat_purchase", "user_id": "u2",
         "occurred_at": "2026-11-20T02:00:00.5+05:30", "revenue": 0.1},
        {"event_id": f"{tag}-rev-big", "type": "sale", "user_id": "u3",
         "occurred_at": "2026-11-20T23:59:59.999Z", "revenue": 999999999999.99},
        {"event_id": f"{tag}-rev-str-int", "type": "sale", "anonymous_id": "only-anon",
         "occurred_at": day_ms, "revenue": "1234567"},
        {"event_id": f"{tag}-rev-zero", "type": "sale", "user_id": "u5", "occurred_at": day_ms,
         "revenue": "0.00", "currency": "JPY"},
        {"event_id": f"{tag}-rev-trailing", "type": "sale", "user_id": "u6",
         "occurred_at": day_ms, "revenue": "19.990"},
        {"event_id": f"{tag}-rev-int", "type": "sale", "user_id": "u7", "occurred_at": day_ms,
         "revenue": 42},
        {"event_id": f"{tag}-unicode", "type": "email_signup",
         "user_id": "jos\u00e9-\U0001F600-\u6771\u4eac", "channel": "e-mail \u2713",
         "campaign": "\u9ed2\u3044\u91d1\u66dc\u65e5", "occurred_at": "2026-11-19T18:30:00-08:00"},
        {"event_id": f"{tag}-tz-plus", "type": "page_view", "anonymous_id": "anon-tz",
         "occurred_at": "2026-11-20T00:10:00+05:30"},
        {"event_id": f"{tag}-frac", "type": "ad_click", "user_id": "u8",
         "occurred_at": "2026-11-20T10:00:00.123999Z"},
        {"event_id": f"{tag}-empty-texts", "type": "ad_impression", "user_id": "u9",
         "anonymous_id": "", "channel": "", "campaign": "   ", "occurred_at": day_ms + 5},
        {"event_id": f"{tag}-identify", "type": "identify", "user_id": "u10",
         "anonymous_id": "anon-10", "occurred_at": day_ms + 6},
        {"event_id": f"{tag}:with.all-chars_ok", "type": "demo_attended", "user_id": "u11",
         "occurred_at": day_ms + 7, "channel": "events", "properties": {}},
        {"type": "webinar_attended", "user_id": "u12", "occurred_at": day_ms + 8,
         "properties": {"marker": f"{tag}-no-id"}},
        {"event_id": f"{tag}-no-time", "type": "quote_sent", "user_id": "u13"},
        {"event_id": f"{tag}-long", "type": "referral", "user_id": "x" * 128,
         "channel": "\u00e9" * 128, "occurred_at": day_ms + 9},
        {"event_id": f"{tag}-ms-str", "type": "social_engagement", "user_id": "u14",
         "occurred_at": str(day_ms + 10)},
        {"event_id": f"{tag}-space-t", "type": "content_download", "user_id": "u15",
         "occurred_at": "2026-11-20 10:00:00z"},
        {"event_id": f"{tag}-sales", "type": "sales_call", "user_id": "u16",
         "occurred_at": day_ms + 11, "medium": "phone", "properties": {"n": 0}},
        {"event_id": f"{tag}-demo-req", "type": "demo_requested", "anonymous_id": "anon-17",
         "occurred_at": day_ms + 12, "term": "\u0434\u0435\u043c\u043e"},
    ]
    invalid = {
        3: ({"event_id": f"{tag}-bad-future", "type": "ad_click", "user_id": "u",
             "occurred_at": t0 + 3 * 86_400_000}, "occurred_at"),
        15: ({"event_id": f"{tag}-bad-rev", "type": "sale", "user_id": "u",
              "occurred_at": day_ms, "revenue": "1.005"}, "revenue"),
    }
    body = list(events)
    for idx in sorted(invalid):
        body.insert(idx, invalid[idx][0])
    status, doc, raw = fs_post_events(col.port, {"batch": body})
    t1 = now_ms()
    assert status == 200, raw
    assert doc["accepted"] == len(events), doc
    assert sorted(r["index"] for r in doc["rejected"]) == sorted(invalid), doc
    for r in doc["rejected"]:
        field = invalid[r["index"]][1]
        assert r["error"].startswith(field + ":") or f"{field}:" in r["error"], r

    # Kafka: every accepted event, exactly once, readable by python avro.
    msgs = fs_read_topic(fs_ctx["brokers"], fs_ctx["topic"])
    assert len(msgs) == len(events), [m.value()[:60] for m in msgs]
    got = {}
    for m in msgs:
        rec = v2.decode(m.value())
        key = rec["user_id"] if rec["user_id"] is not None else rec["anonymous_id"]
        assert m.key() == key.encode("utf-8"), (m.key(), rec)
        assert t0 <= rec["received_at"] <= t1, rec
        eid = rec["event_id"]
        if eid not in {e.get("event_id") for e in events}:
            assert UUID4.match(eid), eid
            eid = rec["properties"].get("marker")
        assert eid not in got, f"event {eid} twice on the topic"
        got[eid] = rec
    for ev in events:
        eid = ev.get("event_id") or ev["properties"]["marker"]
        assert eid in got, f"{eid} missing from the topic"
        rec = dict(got[eid])
        want = expected_record(ev, t0, t1)
        if want["event_id"] is None:
            want["event_id"] = rec["event_id"]
        if want["occurred_at"] is None:  # default: time received
            want["occurred_at"] = rec["received_at"]
        for k in want:
            if k == "properties":
                for pk, pv in want[k].items():
                    gv = rec[k].get(pk, "<missing>")
                    assert type(gv) is type(pv) and gv == pv, (eid, pk, gv, pv)
                assert set(rec[k]) == set(want[k]), (eid, rec[k])
            else:
                assert rec[k] == want[k], f"{eid}: {k} is {rec[k]!r}, sent {ev}, want {want[k]!r}"
        assert set(rec) == set(want) | {"received_at"}, set(rec) ^ set(want)

    # Dead letters: the two rejected events, with their reason.
    dlq = fs_read_topic(fs_ctx["brokers"], fs_ctx["dlq"])
    letters = [dl.decode(m.value()) for m in dlq]
    assert len(letters) == len(invalid), letters
    by_id = {json.loads(d["raw"])["event_id"]: d for d in letters}
    for ev, field in invalid.values():
        d = by_id[ev["event_id"]]
        assert field + ":" in d["reason"], d
        assert d["source"] == "collector", d
        assert json.loads(d["raw"]) == ev
        assert d["raw_length"] == len(d["raw"]) and d["raw_truncated"] is False
        assert t0 - 1000 <= d["at"] <= now_ms() + 1000
        assert d["topic"] is None and d["partition"] is None and d["offset"] is None


def post_reading_early_response(port, body):
    """POST like curl does: stop sending as soon as the server answers
    (a server may reply 413 and close before reading a too-large body)."""
    head = (f"POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    data = head + body
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        sent = 0
        while sent < len(data):
            r, w, _ = select.select([s], [s], [], 30)
            if r:
                break
            try:
                sent += s.send(data[sent:sent + 65536])
            except (BrokenPipeError, ConnectionResetError):
                break
        resp = b""
        try:
            while chunk := s.recv(65536):
                resp += chunk
        except ConnectionResetError:
            pass
    m = re.match(rb"HTTP/1\.[01] (\d{3})", resp)
    assert m, f"no HTTP response to a {len(body)}-byte body: {resp[:200]!r}"
    return int(m.group(1)), resp


def test_status_codes(fs_ctx, fs_procs):
    col = fs_procs.collector()
    port = col.port
    accepted = 0
    ev = lambda i: {"event_id": f"{fs_ctx['tag']}-{i}", "type": "page_view", "user_id": "u"}

    status, doc, raw = fs_post_events(port, b"{not json", content_type="application/json")
    assert status == 400 and isinstance(doc.get("error"), str) and doc["error"], raw
    # an object is one event: a misnamed wrapper is an event with an unknown field
    status, doc, raw = fs_post_events(port, {"events": [ev(0)]})
    assert status == 400 and doc["accepted"] == 0, raw
    assert "events: unknown field" in doc["rejected"][0]["error"], raw
    status, doc, raw = fs_post_events(port, {"batch": "nope"})
    assert status == 400 and "error" in doc, raw
    status, doc, raw = fs_post_events(port, 42)
    assert status == 400 and "error" in doc, raw

    status, doc, raw = fs_post_events(port, [{"type": "nope", "user_id": "u"}, {"type": "sale"}])
    assert status == 400, raw
    assert doc["accepted"] == 0 and [r["index"] for r in doc["rejected"]] == [0, 1], doc
    assert "type:" in doc["rejected"][0]["error"], doc

    status, doc, raw = fs_post_events(port, [ev(i) for i in range(501)])
    assert status == 400, raw[:300]

    big = {"batch": [dict(ev(i), properties={"pad": "x" * 5000}) for i in range(120)]}
    body = json.dumps(big).encode()
    assert len(body) > 512 * 1024
    status, raw = post_reading_early_response(port, body)
    assert status == 413, raw[:300]

    status, _, raw = fs_http(port, "POST", "/v1/events", json.dumps(ev(1)).encode(),
                             content_type="text/html")
    assert status == 415, raw

    status, _, raw = fs_http(port, "GET", "/v1/events")
    assert status == 405, raw
    status, _, raw = fs_http(port, "GET", "/nope")
    assert status == 404, raw
    status, _, raw = fs_http(port, "GET", "/healthz")
    assert status == 200, raw
    status, _, raw = fs_http(port, "GET", "/readyz")
    assert status == 200, raw

    # text/plain (browser beacons) is accepted; a single object is accepted
    status, doc, raw = fs_post_events(port, ev(2), content_type="text/plain")
    assert status == 200 and doc["accepted"] == 1, raw
    accepted += 1
    status, doc, raw = fs_post_events(port, [ev(3), ev(4), {"type": "sale"}])
    assert status == 200 and doc["accepted"] == 2, raw
    assert [r["index"] for r in doc["rejected"]] == [2], doc
    accepted += 2

    status, headers, raw = fs_http(port, "GET", "/metrics")
    assert status == 200
    text = raw.decode()
    m = re.search(r"^funnel_collector_events_accepted_total(\{[^}]*\})? (\d+(\.\d+)?)$", text, re.M)
    assert m, text
    assert float(m.group(2)) == accepted, text
    assert len(fs_read_topic(fs_ctx["brokers"], fs_ctx["topic"])) == accepted


def test_worker_counts_exactly(fs_ctx, fs_procs):
    rng = random.Random(20261127)
    days = past_days(4)
    events = gen_events(rng, 3000, fs_ctx["tag"], days)
    batches = batches_with_duplicates(rng, events, 100, 0.05)
    col = fs_procs.collector()
    workers = [fs_procs.worker(), fs_procs.worker()]  # live: they count while we post
    sent = post_all(col.port, batches)
    ends = fs_wait_offsets(fs_ctx, workers, timeout=120)
    assert sum(ends.values()) == sent
    check_counts(fs_ctx, [e for b in batches for e in b], days)
    # nothing on the DLQ: every record was ours
    assert fs_read_topic(fs_ctx["brokers"], fs_ctx["dlq"]) == []


def test_worker_under_documented_acl(fs_ctx, fs_procs):
    """The worker runs as the Redis user docs/redis-acl.md documents: every
    command its scripts call must be in that list (Redis checks them)."""
    doc = open(os.path.join(os.environ.get("FS_SOURCE_DIR", "."), "docs", "redis-acl.md")).read()
    m = re.search(r"```\n(ACL SETUSER funnel-worker .*?)```", doc, re.S)
    assert m, "no worker ACL block in docs/redis-acl.md"
    tag, ns = fs_ctx["tag"], fs_ctx["ns"]
    user, password = f"w{tag}", f"pw{tag}"
    words = shlex.split(m.group(1).replace("\n", " "))
    words = [user if w == "funnel-worker" else f">{password}" if w.startswith(">") else
             w.replace("~funnel:", f"~{ns}:") for w in words]
    admin = redis.Redis.from_url(fs_ctx["redis_url"], decode_responses=True)
    assert admin.execute_command(*words) == "OK"
    try:
        u = urllib.parse.urlsplit(fs_ctx["redis_url"])
        url = f"redis://{user}:{password}@{u.hostname}:{u.port}/0"
        rng = random.Random(7)
        days = past_days(3)
        events = gen_events(rng, 800, tag, days)  # new persons: keys read as absent
        batches = batches_with_duplicates(rng, events, 50, 0.05)
        col = fs_procs.collector()
        w = fs_procs.start("worker", "--batch-ms", "50", "--stats-s", "0",
                           env_extra={"FUNNEL_REDIS_URL": url})
        sent = post_all(col.port, batches)
        ends = fs_wait_offsets(fs_ctx, [w], timeout=120)
        assert sum(ends.values()) == sent
        check_counts(fs_ctx, [e for b in batches for e in b], days)
        assert w.alive()
    finally:
        admin.execute_command("ACL", "DELUSER", user)
        admin.close()


def test_worker_kill9_exactly_once(fs_ctx, fs_procs):
    rng = random.Random(99)
    days = past_days(6)
    events = gen_events(rng, 20000, fs_ctx["tag"], days)
    batches = batches_with_duplicates(rng, events, 400, 0.05)
    col = fs_procs.collector()
    sent = post_all(col.port, batches)
    total = sent
    args = ["--batch-max", "200", "-X", "session.timeout.ms=6000",
            "-X", "heartbeat.interval.ms=500"]
    workers = [fs_procs.worker(*args), fs_procs.worker(*args)]
    offsets_key = f"{fs_ctx['ns']}:v1:offsets"

    def applied():
        return sum(int(v) + 1 for v in fs_ctx["redis"].hgetall(offsets_key).values())

    # Kill at random points of progress, not of time: a release worker
    # applies the whole load in about a second, a sanitizer build in many.
    kills_mid_work = 0
    for target in sorted(rng.uniform(0.05, 0.9) for _ in range(5)):
        time.sleep(rng.uniform(0.2, 1.0))  # let the last replacement join
        deadline = time.monotonic() + 120
        while applied() < target * total:
            assert time.monotonic() < deadline, f"stuck below {target:.0%} of {total}"
            time.sleep(0.005)
        live = [w for w in workers if w.alive()]
        assert len(live) == 2, [w.proc.returncode for w in workers]
        victim = rng.choice(live)
        if applied() < total:
            kills_mid_work += 1
        victim.kill9()
        workers.append(fs_procs.worker(*args))
    fs_wait_offsets(fs_ctx, [w for w in workers if not w.killed], timeout=180)
    assert kills_mid_work >= 3, f"only {kills_mid_work} of 5 kills hit a working worker"
    check_counts(fs_ctx, [e for b in batches for e in b], days)


def make_datum(ev_id, etype, user, ms, channel=None, campaign=None):
    dt = EPOCH + datetime.timedelta(milliseconds=ms)  # timestamp-millis in python avro
    return {"event_id": ev_id, "type": etype, "user_id": user, "anonymous_id": None,
            "occurred_at": dt, "received_at": dt, "channel": channel, "campaign": campaign,
            "source": None, "medium": None, "content": None, "term": None,
            "revenue_cents": None, "currency": "USD", "properties": {}, "ingest_source": "test"}


def test_poison_records(fs_ctx, fs_procs, fs_schemas):
    v2 = fs_schemas["journey_event.v2.avsc"]
    v1 = fs_schemas["journey_event.v1.avsc"]
    dl = fs_schemas["dead_letter.v1.avsc"]
    tag = fs_ctx["tag"]
    base = (now_ms() // 86_400_000 - 3) * 86_400_000
    valid = []  # oracle input

    def good(i, etype="ad_click", channel="email", schema=v2):
        d = make_datum(f"{tag}-ok-{i}", etype, f"user-{i % 7}", base + i * 1000, channel, "c1")
        if schema is v1:
            del d["ingest_source"]
        valid.append({"event_id": d["event_id"], "type": etype, "occurred_at": base + i * 1000,
                      "channel": channel, "campaign": "c1"})
        return schema.encode(d)

    unknown_fp = 0x0123456789ABCDEF
    truncated_src = v2.encode(make_datum(f"{tag}-trunc", "sale", "user-x", base))
    poison = {
        "garbage": b"\x00\xffnot avro at all \x13\x37" * 3,
        "wrong magic": b"\xc3\x02" + good(900)[2:],
        "unknown fingerprint": b"\xc3\x01" + struct.pack("<Q", unknown_fp) + good(901)[10:],
        "truncated": truncated_src[:len(truncated_src) - 7],
        "trailing bytes": good(902) + b"\x02\x04junk",
        "empty": b"",
        "short frame": b"\xc3\x01\x01\x02",
        # well-formed Avro naming no person: docs/event.md requires an id, and
        # another producer may write one (it once crashed the worker)
        "no person": v2.encode(make_datum(f"{tag}-noone", "ad_click", None, base)),
        # values the schema allows and the batch cannot store: each once
        # stopped the worker for good (a refused event failed its batch)
        "before 1970": v2.encode(make_datum(f"{tag}-old", "ad_click", "user-1", -5000)),
        "long channel": v2.encode(make_datum(f"{tag}-long", "ad_click", "user-1", base,
                                             "x" * 600)),
        "lower-case currency": v2.encode(dict(make_datum(f"{tag}-usd", "sale", "user-1", base),
                                              currency="usd", revenue_cents=100)),
    }
    # the good(900..902) bodies inside poison records must not count
    valid = [v for v in valid if not v["event_id"].endswith(("-ok-900", "-ok-901", "-ok-902"))]
    fp_of = {"garbage": None, "wrong magic": None, "empty": None, "short frame": None,
             "unknown fingerprint": signed64(unknown_fp), "truncated": signed64(v2.fingerprint),
             "trailing bytes": signed64(v2.fingerprint)}
    reason_of = {"no person": "user_id or anonymous_id", "before 1970": "occurred_at",
                 "long channel": "channel", "lower-case currency": "currency"}
    fp_of.update({name: signed64(v2.fingerprint) for name in reason_of})

    seq = []
    i = 0
    for name in poison:
        seq.append(("ok", good(i, TYPES[i % len(TYPES)]))); i += 1
        seq.append((name, poison[name]))
    seq.append(("ok", good(i, "sale", None, schema=v1))); i += 1  # older schema: counted
    seq.append(("ok", good(i, "referral"))); i += 1

    prod = fs_producer(fs_ctx["brokers"])
    offsets = {}
    errors = []

    def report(name):
        def cb(err, msg):
            if err:
                errors.append(err)
            else:
                offsets[name] = (msg.partition(), msg.offset())
        return cb

    for n, (name, value) in enumerate(seq):
        prod.produce(fs_ctx["topic"], value=value, key=b"k", partition=0,
                     on_delivery=report(name if name != "ok" else f"ok{n}"))
        prod.flush(30)
    for p in range(1, 6):  # and some valid ones on the other partitions
        for _ in range(5):
            prod.produce(fs_ctx["topic"], value=good(i, "page_view", "events"), partition=p)
            i += 1
    assert prod.flush(30) == 0 and not errors, errors

    w = fs_procs.worker()
    fs_wait_offsets(fs_ctx, [w], timeout=90)

    letters = [dl.decode(m.value()) for m in fs_read_topic(fs_ctx["brokers"], fs_ctx["dlq"])]
    by_offset = {(d["partition"], d["offset"]): d for d in letters}
    assert len(letters) == len(poison), [(d["reason"], d["offset"]) for d in letters]
    wrong_fp = []
    for name, value in poison.items():
        part, off = offsets[name]
        d = by_offset.get((part, off))
        assert d is not None, f"{name} record (offset {off}) not dead-lettered: {letters}"
        assert d["source"] == "worker" and d["reason"], d
        assert d["topic"] == fs_ctx["topic"], d
        assert d["raw"] == value[:8192] and d["raw_length"] == len(value), (name, d)
        if name in reason_of:
            assert reason_of[name] in d["reason"], (name, d["reason"])
        if d["fingerprint"] != fp_of[name]:
            wrong_fp.append(f"{name}: fingerprint {d['fingerprint']}, want {fp_of[name]}")
    check_counts(fs_ctx, valid, [datetime.date.fromisoformat(oracle.utc_day(base))])
    # dead_letter.v1.avsc: "For a Kafka record in our framing: the schema
    # fingerprint it carried"
    assert not wrong_fp, wrong_fp


def test_graceful_shutdown(fs_ctx, fs_procs):
    col = fs_procs.collector()
    tag = fs_ctx["tag"]
    ok_ids = []
    statuses = collections.Counter()
    lock = threading.Lock()
    stop = threading.Event()
    counter = iter(range(10**9))

    def client():
        while not stop.is_set():
            with lock:
                n = next(counter)
            batch = [{"event_id": f"{tag}-{n}-{k}", "type": "page_view", "user_id": f"u{n}"}
                     for k in range(20)]
            try:
                status, doc, _ = fs_post_events(col.port, batch, timeout=30)
            except (OSError, http.client.HTTPException) as e:
                with lock:
                    statuses[type(e).__name__] += 1
                if not col.alive():
                    return
                time.sleep(0.01)
                continue
            with lock:
                statuses[status] += 1
                if status == 200:
                    assert doc["accepted"] == 20
                    ok_ids.extend(e["event_id"] for e in batch)

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(3)
    before = len(ok_ids)
    col.proc.terminate()
    try:
        rc = col.proc.wait(timeout=15)
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    assert before > 0, statuses
    assert statuses[200] * 20 == len(ok_ids), statuses
    assert rc == 0, f"collector exited {rc} on SIGTERM ({statuses})"
    v2 = FsSchema("journey_event.v2.avsc")
    ids = collections.Counter(v2.decode(m.value())["event_id"]
                              for m in fs_read_topic(fs_ctx["brokers"], fs_ctx["topic"]))
    missing = [e for e in ok_ids if ids[e] == 0]
    assert not missing, f"{len(missing)} acknowledged events missing, e.g. {missing[:5]}"
    dup = [e for e in ok_ids if ids[e] > 1]
    assert not dup, f"acknowledged events on the topic more than once: {dup[:5]}"
