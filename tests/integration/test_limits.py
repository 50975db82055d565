"""Aggregates at the limits of what Redis holds (docs/guarantees.md, item 6).

Redis hash fields are signed 64-bit integers.  An event whose contribution
would take any of them past 2^63 - 1 (or, for a retraction, below -2^63)
must go to the dead-letter topic with that reason while the rest of its
batch — and every other partition — is applied; nothing of a refused
batch may stay in Redis.

- test_day_revenue_overflow: one day's booked revenue in USD pushed past
  2^63 - 1 cents by real events: docs/event.md caps a sale below 10^12 dollars,
  so it takes 92,234 sales of 999,999,999,999.99 (produced straight to the
  topic, Avro-framed, to keep the test fast), among ordinary journeys on
  every partition.  Every aggregate must equal the independent oracle over
  the events that were not dead-lettered, and exactly the sales that could
  not fit are dead-lettered.
- test_counter_bounds_exact: the commit script's check at the exact
  boundaries, 2^63 - 1 and -2^63, which a double (Redis's Lua numbers)
  cannot tell from its neighbours.  Count fields move by one per event, so
  reaching their bounds with events would take 2^63 of them: the test
  seeds two fields next to the bounds with HSET (the one write the test
  makes itself, and why), then sends events that reach each bound exactly
  and events that would pass it.  Every other aggregate is checked against
  the oracle.
- test_bound_lua_exact_on_redis: the check's Lua (bound.h), run by Redis
  on sums at each bound and one past it, and on random values near the
  bounds, against Python's exact integers.

Run: /usr/bin/python3 -m pytest tests/integration/test_limits.py with the
stack's exports and FS_BINARY_DIR / FS_SOURCE_DIR set.
"""

import datetime
import os
import random
import re
import struct

import redis

import oracle
import person_oracle
from conftest import EPOCH, fs_producer, fs_read_topic, fs_wait_offsets
from test_attribution import check_attribution
from test_pipeline import now_ms

INT64_MAX = 2**63 - 1
INT64_MIN = -2**63
MAX_SALE_CENTS = 99_999_999_999_999  # docs/event.md: revenue < 10^12, 2 decimals
DAY = 86_400_000
HOUR = 3_600_000


def datum(ev):
    """The Avro datum (journey_event.v2) of a JSON-shaped event."""
    ms = ev["occurred_at"]
    dt = EPOCH + datetime.timedelta(milliseconds=ms)
    rev = ev.get("revenue")
    return {"event_id": ev["event_id"], "type": ev["type"], "user_id": ev.get("user_id"),
            "anonymous_id": ev.get("anonymous_id"), "occurred_at": dt, "received_at": dt,
            "channel": ev.get("channel"), "campaign": ev.get("campaign"), "source": None,
            "medium": None, "content": None, "term": None,
            "revenue_cents": None if rev is None else person_oracle.attrib_oracle._cents(rev),
            "currency": ev.get("currency", "USD"), "properties": {}, "ingest_source": "test"}


def produce(ctx, schema, events):
    """Produces @events keyed like the collector (user_id, else
    anonymous_id); returns when Kafka acknowledged every one."""
    prod = fs_producer(ctx["brokers"])
    errors = []

    def cb(err, _msg):
        if err:
            errors.append(err)

    for ev in events:
        raw = ev["_raw"] if "_raw" in ev else schema.encode(datum(ev))
        key = (ev.get("user_id") or ev.get("anonymous_id")).encode()
        while True:
            try:
                prod.produce(ctx["topic"], value=raw, key=key, on_delivery=cb)
                break
            except BufferError:
                prod.poll(0.1)
    assert prod.flush(60) == 0 and not errors, errors


def journeys(rng, tag, day0, days, persons):
    """Ordinary journeys: anonymous touches later identified, known
    touches, sales of modest revenue in USD and EUR."""
    out = []
    n = 0
    for p in range(persons):
        user, anon = f"{tag}-u{p}", f"{tag}-a{p}"
        t = day0 + rng.randrange(days * DAY - 3 * DAY)
        steps = [("ad_click", None, anon), ("page_view", None, anon),
                 ("email_signup", user, anon), ("email_click", user, None),
                 ("demo_attended", user, None), ("sale", user, None)]
        for etype, u, a in steps[:rng.randrange(2, len(steps) + 1)]:
            t += rng.randrange(1, 20) * HOUR
            ev = {"event_id": f"{tag}-j{n}", "type": etype, "occurred_at": t,
                  "channel": rng.choice(["email", "paid_search", "events", None]),
                  "campaign": rng.choice(["bf26", "q4", None])}
            n += 1
            if u:
                ev["user_id"] = u
            if a:
                ev["anonymous_id"] = a
            if etype == "sale":
                ev["revenue"] = f"{rng.randrange(1, 100000)}.{rng.randrange(100):02d}"
                ev["currency"] = rng.choice(["USD", "EUR"])
            out.append({k: v for k, v in ev.items() if v is not None})
    return out


def dead_letters(ctx, schemas):
    """[(dead letter, the event_id its record carries)] of the DLQ topic."""
    dl = schemas["dead_letter.v1.avsc"]
    by_fp = {s.fingerprint: s for s in schemas.values()}
    out = []
    for m in fs_read_topic(ctx["brokers"], ctx["dlq"]):
        d = dl.decode(m.value())
        raw = d["raw"]
        (fp,) = struct.unpack("<Q", raw[2:10])
        out.append((d, by_fp[fp].decode(raw)["event_id"]))
    return out


def test_day_revenue_overflow(fs_ctx, fs_procs, fs_schemas):
    v2 = fs_schemas["journey_event.v2.avsc"]
    tag = fs_ctx["tag"]
    rng = random.Random(20261208)
    day0 = (now_ms() // DAY - 8) * DAY
    big_day = day0 + 4 * DAY
    others = journeys(rng, tag, day0, 7, 150)
    # 92,233 sales of the largest revenue fit in one day's field; 7 more
    # cannot, whatever else that day books
    n_fit = INT64_MAX // MAX_SALE_CENTS
    assert n_fit * MAX_SALE_CENTS <= INT64_MAX < (n_fit + 1) * MAX_SALE_CENTS
    n_big = n_fit + 7
    # One encoded template, its index digits replaced: the 92k records are
    # identical but for their event_id and user_id (python avro would take
    # ~10 s to encode them one by one).
    tmpl = {"event_id": f"{tag}-big-000000", "type": "sale", "user_id": f"{tag}-bu-000000",
            "occurred_at": big_day + 12 * HOUR, "revenue": "999999999999.99",
            "currency": "USD"}
    raw = v2.encode(datum(tmpl))
    assert raw.count(b"000000") == 2
    big = []
    for i in range(n_big):
        idx = f"{i:06d}"
        big.append(dict(tmpl, event_id=f"{tag}-big-{idx}", user_id=f"{tag}-bu-{idx}",
                        _raw=raw.replace(b"000000", idx.encode())))
    sent = others[:len(others) // 2] + big + others[len(others) // 2:]
    produce(fs_ctx, v2, sent)

    w = fs_procs.worker()
    fs_wait_offsets(fs_ctx, [w], timeout=600)
    assert w.alive(), w.log_text()[-3000:]

    letters = dead_letters(fs_ctx, fs_schemas)
    big_ids = {ev["event_id"] for ev in big}
    refused = {eid for _d, eid in letters}
    assert refused <= big_ids, f"dead letters of ordinary events: {refused - big_ids}"
    for d, eid in letters:
        assert d["source"] == "worker" and d["topic"] == fs_ctx["topic"], d
        assert "overflow" in d["reason"] and "64-bit" in d["reason"], d["reason"]
        assert f"revenue:{oracle.utc_day(big_day)}" in d["reason"] or \
            f"attr:{oracle.utc_day(big_day)}" in d["reason"], d["reason"]
    applied = [ev for ev in sent if ev["event_id"] not in refused]
    applied = [{k: v for k, v in ev.items() if k != "_raw"} for ev in applied]
    # exactly the sales that could not fit: the day's USD revenue holds
    # what was applied, and not one more of the refused sales
    day_usd = sum(person_oracle.attrib_oracle._cents(ev.get("revenue"))
                  for ev in applied if ev["type"] == "sale" and
                  oracle.utc_day(ev["occurred_at"]) == oracle.utc_day(big_day) and
                  ev.get("currency", "USD") == "USD")
    assert day_usd <= INT64_MAX < day_usd + MAX_SALE_CENTS, (day_usd, len(refused))
    assert 7 <= len(refused) <= 8, len(refused)

    check_attribution(fs_ctx, applied, person_oracle.self_check(applied))
    assert w.alive()


def test_counter_bounds_exact(fs_ctx, fs_procs, fs_schemas):
    v2 = fs_schemas["journey_event.v2.avsc"]
    tag = fs_ctx["tag"]
    r = fs_ctx["redis"]
    ns = fs_ctx["ns"]
    rng = random.Random(7)
    day0 = (now_ms() // DAY - 8) * DAY
    d_up, d_low, d_early = day0 + 3 * DAY, day0 + 5 * DAY, day0 + DAY
    day = oracle.utc_day

    def ev(eid, etype, user, ms, **kw):
        return dict({"event_id": f"{tag}-{eid}", "type": etype, "user_id": user,
                     "occurred_at": ms, "channel": "email", "campaign": "bf26"}, **kw)

    # phase 1: two persons reach awareness on d_low; ordinary traffic
    first = [ev("p1", "ad_click", f"{tag}-p", d_low + HOUR),
             ev("q1", "ad_click", f"{tag}-q", d_low + 2 * HOUR)]
    filler1 = journeys(rng, tag + "f1", day0, 7, 40)
    produce(fs_ctx, v2, first + filler1)
    w = fs_procs.worker()
    fs_wait_offsets(fs_ctx, [w], timeout=120)
    users_low = f"{ns}:v1:users:{day(d_low)}"
    events_up = f"{ns}:v1:events:{day(d_up)}"
    assert r.hget(users_low, "s:awareness") == "2"
    assert r.hget(events_up, "t:webinar_attended") is None

    # The seeds (see the module's docstring): the webinar count of d_up,
    # 0 in truth, stored as 2^63 - 2; the awareness users of d_low, 2 in
    # truth (p and q), stored as -2^63 + 1.
    shift_up = INT64_MAX - 1
    shift_low = INT64_MIN - 1
    r.hset(events_up, "t:webinar_attended", 0 + shift_up)
    r.hset(users_low, "s:awareness", 2 + shift_low)

    # phase 2, on one partition in this order: x1 takes the webinar count to
    # 2^63 - 1 exactly, x2 would pass it; p's earlier ad_click moves p from
    # d_low to d_early (a retraction to -2^63 exactly), q's would go below
    second = [ev("x1", "webinar_attended", f"{tag}-x", d_up + HOUR),
              ev("x2", "webinar_attended", f"{tag}-y", d_up + 2 * HOUR),
              ev("p2", "ad_click", f"{tag}-p", d_early + HOUR),
              ev("q2", "ad_click", f"{tag}-q", d_early + 2 * HOUR)]
    prod = fs_producer(fs_ctx["brokers"])
    for e in second:
        prod.produce(fs_ctx["topic"], value=v2.encode(datum(e)), key=e["user_id"].encode(),
                     partition=0)
    assert prod.flush(30) == 0
    filler2 = journeys(rng, tag + "f2", day0, 7, 40)
    produce(fs_ctx, v2, filler2)
    fs_wait_offsets(fs_ctx, [w], timeout=120)
    assert w.alive(), w.log_text()[-3000:]

    assert r.hget(events_up, "t:webinar_attended") == str(INT64_MAX)
    assert r.hget(users_low, "s:awareness") == str(INT64_MIN)
    letters = dead_letters(fs_ctx, fs_schemas)
    got = {eid: d["reason"] for d, eid in letters}
    assert set(got) == {f"{tag}-x2", f"{tag}-q2"}, got
    assert "overflow" in got[f"{tag}-x2"] and events_up in got[f"{tag}-x2"] and \
        "t:webinar_attended" in got[f"{tag}-x2"], got
    assert "overflow" in got[f"{tag}-q2"] and users_low in got[f"{tag}-q2"] and \
        "s:awareness" in got[f"{tag}-q2"], got

    # Everything else, and the refused events' other increments (none may
    # be in Redis): the seeded fields back to their true values, then every
    # aggregate against the oracle over the applied events.
    r.hset(events_up, "t:webinar_attended", INT64_MAX - shift_up)
    r.hset(users_low, "s:awareness", INT64_MIN - shift_low)
    applied = [e for e in first + filler1 + second + filler2 if e["event_id"] not in got]
    check_attribution(fs_ctx, applied, person_oracle.self_check(applied))
    assert w.alive()


def lua_of_bound_h():
    """FS_BOUND_LUA, the Lua the commit script embeds, read from bound.h."""
    path = os.path.join(os.environ.get("FS_SOURCE_DIR", "."), "consumers", "worker", "bound.h")
    text = open(path, encoding="utf-8").read()
    body = text[text.index("#define FS_BOUND_LUA"):].split("\n\n")[0]
    lines = re.findall(r'^\s*"(.*)\\n"\s*\\?$', body, re.M)
    assert len(lines) > 10, body
    return "\n".join(line.replace('\\"', '"').replace("\\\\", "\\") for line in lines) + "\n"


def test_bound_lua_exact_on_redis(fs_stack):
    """The commit script's range check, run by Redis's own Lua on values
    near both bounds, against Python's exact integers."""
    rng = random.Random(63)
    pairs = []
    for k in range(0, 2 * 10**9, 99_999_989):  # sums at each bound and one past it
        for j in (0, 1):
            pairs.append((INT64_MAX - k, k + j))
            pairs.append((INT64_MIN + k, -k - j))
            pairs.append((k + j, INT64_MAX - k))
            pairs.append((-k - j, INT64_MIN + k))
    for _ in range(6000):
        edge = rng.choice((INT64_MAX, INT64_MIN))
        c = edge - rng.randrange(10**10) if edge > 0 else edge + rng.randrange(10**10)
        d = rng.randrange(-10**10, 10**10)
        pairs.append((c, d))
        c = rng.randrange(INT64_MIN, INT64_MAX + 1)
        pairs.append((c, rng.randrange(INT64_MIN, INT64_MAX + 1)))
    script = lua_of_bound_h() + (
        "local out = {}\n"
        "for k = 1, #ARGV, 2 do out[#out + 1] = fits(ARGV[k], ARGV[k + 1]) and 1 or 0 end\n"
        "return out\n")
    args = [str(x) for p in pairs for x in p]
    got = fs_stack["redis"].eval(script, 0, *args)
    want = [1 if INT64_MIN <= c + d <= INT64_MAX else 0 for c, d in pairs]
    wrong = [(c, d, g) for (c, d), g, w in zip(pairs, got, want) if g != w]
    assert not wrong, wrong[:10]
    assert sum(want) not in (0, len(want))  # both outcomes exercised


def test_bound_lua_integer_texts_on_redis(fs_stack):
    """int_ok of the commit script, run by Redis's Lua, agrees with what
    HINCRBY itself accepts: a stored text it would refuse must never pass
    the check (the script would then fail after earlier writes)."""
    r = fs_stack["redis"]
    texts = ["0", "-0", "7", "-7", "007", "+5", "1.5", "", "-",
             str(INT64_MAX), str(INT64_MAX + 1), str(INT64_MIN), str(INT64_MIN - 1),
             "9300000000000000000", "-9300000000000000000", "12345678901234567890",
             "99999999999999999999", "-9999999999999999999", "9223372035999999999"]
    rng = random.Random(64)
    for _ in range(300):
        texts.append(str(rng.choice((INT64_MAX, INT64_MIN)) + rng.randrange(-10**6, 10**6)))
    script = lua_of_bound_h() + (
        "local out = {}\n"
        "for k = 1, #ARGV do out[#out + 1] = int_ok(ARGV[k]) and 1 or 0 end\n"
        "return out\n")
    got = r.eval(script, 0, *texts)
    key = "it:bound:" + os.urandom(6).hex()
    want = []
    for t in texts:
        r.hset(key, "f", t)
        try:
            r.hincrby(key, "f", 0)
            want.append(1)
        except redis.ResponseError:
            want.append(0)
    r.delete(key)
    wrong = [(t, g, w) for t, g, w in zip(texts, got, want) if g != w]
    assert not wrong, wrong[:10]
