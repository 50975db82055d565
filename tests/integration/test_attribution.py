"""Identity stitching, users with identity merges, attribution, booked
revenue and handoff, end to end (docs/event.md, docs/aggregates.md, docs/attribution.md,
docs/guarantees.md) on the real stack.

A generated multi-week data set of ~300 persons (anonymous browsing later
identified, anonymous ids claimed by two users, CRM sales sent before the
web touches that led to them, sales touches inside and outside the handoff
SLA, touches exactly at the lookback edge, conversions without touches,
persons with more than 100 touches, ~3 % duplicates re-sent in another
request) is posted in shuffled order through the collector while three
workers run and are killed with SIGKILL three times.  Every
`<ns>:v1:{users,attr,revenue,handoff}:*` hash must then equal the
independent oracle (person_oracle.py + attrib_oracle.py, written from the
docs) — exactly, except `time_decay` (floating-point weights), which may be
off by 1 unit per conversion of the day and currency; per model, dimension,
day and currency the `r:` fields sum exactly to the booked revenue and the
`c:` fields to 1,000,000 per conversion, time_decay included.

A second test sends the same data set in two different orders into two
namespaces and requires identical aggregates (docs/attribution.md order independence).

Run: /usr/bin/python3 -m pytest tests/integration/test_attribution.py
with the stack's exports and FS_BINARY_DIR / FS_SOURCE_DIR set.
"""

import datetime
import itertools
import random
import subprocess
import threading
import time
import uuid

import pytest

import channel_oracle
import oracle
import person_oracle
from conftest import (fs_binary, fs_create_topics, fs_drop_ctx, fs_post_events, fs_read_topic,
                      fs_redis_events, fs_redis_hashes, fs_wait_offsets, fs_wait_ready,
                      fs_free_port)
from test_pipeline import diff_days

DAY = 86_400_000
HOUR = 3_600_000
LOOKBACK = 30 * DAY
SLA = 7 * DAY
BATCH = 50
WORKER_ARGS = ["--batch-max", "200", "-X", "session.timeout.ms=6000",
               "-X", "heartbeat.interval.ms=500"]
SEED = 20261127

CHANNELS = ["paid_search", "email", "events", "social", "q4:partner", "  display  ", "", None]
CAMPAIGNS = ["bf26", "spring-launch", "q4:enterprise", "retarget", "", None]
ANON_TYPES = ["ad_impression", "ad_click", "ad_click", "page_view", "page_view",
              "content_download", "social_engagement", "email_open"]
KNOWN_TOUCHES = ["email_click", "webinar_attended", "referral", "content_download", "ad_click",
                 "social_engagement"]
SALES_TOUCHES = ["demo_requested", "sales_call", "demo_attended", "quote_sent"]
# bytes of [A-Za-z0-9._:-] in scrambled order: the event_id tie-break of
# (occurred_at, event_id) is bytewise, not creation order
ID_CHARS = "Za0-._:zA9"


# ------------------------------------------------------------ data set ----

class Gen:
    """Deterministic multi-week journeys.  Events carry occurred_at as epoch
    ms while generated; `finish()` renders some as RFC 3339 text."""

    def __init__(self, rng, tag, lo_ms, hi_ms):
        self.rng = rng
        self.tag = tag
        self.lo, self.hi = lo_ms, hi_ms
        self.events = []
        self.early = []   # sent first: CRM sales, the later link of contested anonymous ids
        self.late = []    # sent last: the winning (earliest) link of contested anonymous ids
        self.contested = {}  # anonymous id -> the user of its earliest link
        self.counter = itertools.count()

    def clamp(self, ms):
        return max(self.lo, min(self.hi, ms))

    def eid(self):
        i = next(self.counter)
        return f"{self.tag}{self.rng.choice(ID_CHARS)}{self.rng.choice(ID_CHARS)}{i}"

    def ev(self, etype, ms, user=None, anon=None, channel="?", campaign="?", where=None,
           clamp=True, **extra):
        e = {"event_id": self.eid(), "type": etype,
             "occurred_at": self.clamp(ms) if clamp else ms}
        if user is not None:
            e["user_id"] = user
        if anon is not None:
            e["anonymous_id"] = anon
        ch = self.rng.choice(CHANNELS) if channel == "?" else channel
        ca = self.rng.choice(CAMPAIGNS) if campaign == "?" else campaign
        if ch is not None:
            e["channel"] = ch
        if ca is not None:
            e["campaign"] = ca
        e.update(extra)
        self.events.append(e)
        if where is not None:
            where.append(e["event_id"])
        return e

    def sale(self, user, ms, anon=None, etype="sale", clamp=True):
        rng = self.rng
        extra = {}
        r = rng.random()
        if r < 0.45:
            extra["revenue"] = f"{rng.randrange(1, 500000)}.{rng.randrange(100):02d}"
        elif r < 0.6:
            extra["revenue"] = rng.randrange(1, 20000)
        elif r < 0.75:
            extra["revenue"] = f"{rng.randrange(1, 9999)}.{rng.randrange(1, 10)}"
        elif r < 0.95:
            extra["revenue"] = rng.randrange(1, 10**7) / 100  # JSON number with cents
        # else: no revenue (0)
        c = rng.random()
        if c < 0.5:
            extra["currency"] = "USD"
        elif c < 0.85:
            extra["currency"] = "EUR"
        # else: absent -> USD
        return self.ev(etype, ms, user=user, anon=anon, channel=rng.choice(["crm", None]),
                       campaign=None, where=self.early, clamp=clamp, **extra)

    def finish(self):
        out = []
        for e in self.events:
            ms = e["occurred_at"]
            f = self.rng.randrange(4)
            if f == 1:
                dt = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
                e["occurred_at"] = dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
            elif f == 2:
                dt = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
                tz = datetime.timezone(datetime.timedelta(hours=-8))
                e["occurred_at"] = dt.astimezone(tz).isoformat(timespec="milliseconds")
            out.append(e)
        return out


def gen_dataset(seed, tag, persons=300):
    """(events, early ids, late ids).  Days: the 6 weeks ending 2 days ago."""
    rng = random.Random(seed)
    today = datetime.datetime.now(datetime.timezone.utc).date()
    hi_day = today - datetime.timedelta(days=2)
    hi = int(datetime.datetime(hi_day.year, hi_day.month, hi_day.day,
                               tzinfo=datetime.timezone.utc).timestamp() * 1000) + DAY - 1
    lo = hi + 1 - 42 * DAY
    g = Gen(rng, tag, lo, hi)
    users = [f"u-{tag}-{p}" for p in range(persons)]

    for p, user in enumerate(users):
        # anchor: the identification time, leaving room for history before
        a = rng.randrange(lo + 8 * DAY, hi - 8 * DAY)
        kind = rng.random()
        if kind < 0.07:
            # CRM-only customer: conversions without any touch -> (direct)
            g.sale(user, a)
            if rng.random() < 0.3:
                g.sale(user, a + rng.randrange(DAY), etype="repeat_purchase")
            continue
        aids = [f"a-{tag}-{p}-{j}" for j in range(rng.choice([1, 1, 2]))]
        # anonymous browsing, before (mostly) and after the identification
        for _ in range(rng.randrange(1, 9)):
            back = rng.choice([rng.randrange(20 * DAY), rng.randrange(2 * DAY),
                               rng.randrange(40 * DAY)])
            g.ev(rng.choice(ANON_TYPES), a - back, anon=rng.choice(aids))
        if rng.random() < 0.2:
            g.ev(rng.choice(ANON_TYPES), a + rng.randrange(5 * DAY), anon=rng.choice(aids))
        if kind < 0.15:
            # never identified: stays "anon:<id>"; sometimes buys anonymously
            if rng.random() < 0.5:
                g.sale(None, a + rng.randrange(3 * DAY), anon=aids[0])
            continue
        # identification of the first anonymous id
        if rng.random() < 0.6:
            lead = g.ev("email_signup", a, user=user, anon=aids[0])
        else:
            g.ev("identify", a, user=user, anon=aids[0], channel=None, campaign=None)
            lead = g.ev("email_signup", a + rng.choice([0, 1, rng.randrange(3 * DAY)]),
                        user=user) if rng.random() < 0.8 else None
        if len(aids) > 1:  # second device linked later, or by an earlier anonymous signup
            if rng.random() < 0.5:
                g.ev("identify", a + rng.randrange(10 * DAY), user=user, anon=aids[1],
                     channel=None, campaign=None)
            else:
                g.ev("email_signup", a - rng.randrange(1, 3 * DAY), anon=aids[1])
                g.ev("identify", a + rng.randrange(10 * DAY), user=user, anon=aids[1])
        if lead is not None and rng.random() < 0.2:  # a second signup: the lead stays the first
            g.ev("email_signup", lead["occurred_at"] + rng.randrange(1, 5 * DAY), user=user)
        # known-user marketing touches
        for _ in range(rng.randrange(0, 5)):
            g.ev(rng.choice(KNOWN_TOUCHES), a + rng.randrange(-5 * DAY, 15 * DAY), user=user)
        # sales touches relative to the lead: at the lead, inside, exactly at
        # the SLA edge, 1 ms past it, long after, before the lead
        lead_ms = lead["occurred_at"] if lead is not None else a
        if rng.random() < 0.7:
            for _ in range(rng.randrange(1, 4)):
                delay = rng.choice([0, 1000, rng.randrange(SLA), rng.randrange(SLA),
                                    rng.randrange(HOUR), SLA, SLA + 1,
                                    SLA + rng.randrange(1, 10 * DAY), -rng.randrange(1, 2 * DAY)])
                g.ev(rng.choice(SALES_TOUCHES), lead_ms + delay, user=user,
                     channel=rng.choice(["sales_outreach", "events", None]))
        # conversions: CRM sales (user_id only), sent before the touches
        if rng.random() < 0.6:
            t = g.clamp(a + rng.randrange(12 * DAY))
            g.sale(user, t)
            if rng.random() < 0.25:
                g.sale(user, t + rng.randrange(1, 20 * DAY), etype="repeat_purchase")
            if rng.random() < 0.1:  # a sale carrying both ids links too
                g.sale(user, t + rng.randrange(DAY), anon=aids[-1])
            if rng.random() < 0.15:
                # touches exactly at the lookback edge: T - 30 d counts,
                # T - 30 d - 1 ms does not; and one at T itself
                g.ev("ad_click", t - LOOKBACK, user=user, clamp=False)
                g.ev("referral", t - LOOKBACK - 1, user=user, clamp=False)
                g.ev("email_click", t, user=user, clamp=False)
            if rng.random() < 0.1:  # two touches at the same millisecond
                ms = t - rng.randrange(DAY)
                g.ev("ad_click", ms, user=user, clamp=False)
                g.ev("webinar_attended", ms, user=user, clamp=False)

    # anonymous ids claimed by two users: the earliest link wins; the later
    # link is sent first, the winning one last
    for i in range(10):
        ua, ub = rng.sample(users, 2)
        aid = f"x-{tag}-{i}"
        t1 = rng.randrange(lo + 10 * DAY, hi - 12 * DAY)
        for _ in range(rng.randrange(2, 6)):
            g.ev(rng.choice(ANON_TYPES + ["email_signup"]), t1 - rng.randrange(-DAY, 6 * DAY),
                 anon=aid)
        t2 = t1 if i < 3 else t1 + rng.randrange(1, 5 * DAY)
        first = g.ev("email_signup" if i % 2 else "identify", t1, user=ua, anon=aid)
        second = g.ev("identify", t2, user=ub, anon=aid)
        if t1 == t2 and second["event_id"].encode() < first["event_id"].encode():
            first, second = second, first  # same ms: the smaller event_id is the earliest link
        g.late.append(first["event_id"])
        g.contested[aid] = first["user_id"]
        g.early.append(second["event_id"])
        g.sale(ua, t2 + rng.randrange(DAY))
        g.sale(ub, t2 + rng.randrange(DAY))

    # two heavy persons: more than 100 touches in the lookback window of a sale
    for i in range(2):
        user = f"h-{tag}-{i}"
        t = rng.randrange(lo + 32 * DAY, hi)
        for k in range(130):
            g.ev(rng.choice(KNOWN_TOUCHES + SALES_TOUCHES + ["email_signup"]),
                 t - rng.randrange(25 * DAY), user=user)
        g.sale(user, t)

    return g.finish(), set(g.early), set(g.late), g.contested


def send_order(rng, events, early=(), late=()):
    """Shuffled within three phases: `early` ids first, `late` ids last."""
    a = [e for e in events if e["event_id"] in early]
    c = [e for e in events if e["event_id"] in late]
    b = [e for e in events if e["event_id"] not in early and e["event_id"] not in late]
    for part in (a, b, c):
        rng.shuffle(part)
    return a + b + c


def to_batches(rng, ordered, dup_ratio=0.03, keep_order=()):
    """Batches of BATCH events; dup_ratio of the events re-sent (identical
    copy) in another request.  Events of `keep_order` are never copied."""
    batches = [ordered[i:i + BATCH] for i in range(0, len(ordered), BATCH)]
    where = {e["event_id"]: bi for bi, b in enumerate(batches) for e in b}
    pool = [e for e in ordered if e["event_id"] not in keep_order]
    for e in rng.sample(pool, int(len(ordered) * dup_ratio)):
        bi = rng.choice([i for i in range(len(batches)) if i != where[e["event_id"]]])
        batches[bi].insert(rng.randrange(len(batches[bi]) + 1), dict(e))
    return batches


class Poster:
    def __init__(self, port):
        self.port = port
        self.error = None

    def post(self, batches):
        try:
            for batch in batches:
                status, doc, body = fs_post_events(self.port, batch)
                assert status == 200, (status, body[:500])
                assert doc["accepted"] == len(batch) and doc["rejected"] == [], doc
        except BaseException as e:  # noqa: BLE001 - reported by the test
            self.error = repr(e)

    def in_background(self, batches):
        t = threading.Thread(target=self.post, args=(batches,))
        t.start()
        return t


# -------------------------------------------------------------- Redis ----

def read_raw(ctx, kind):
    """{suffix: {field: raw string}}, zero fields and empty hashes left out."""
    r = ctx["redis"]
    prefix = f"{ctx['ns']}:v1:{kind}:"
    out = {}
    for key in r.scan_iter(match=prefix + "*", count=1000):
        h = {f: v for f, v in r.hgetall(key).items() if v != "0"}
        if h:
            out[key[len(prefix):]] = h
    return out


def read_attr(ctx):
    """{(day, model, by, currency): {field: int}}."""
    out = {}
    for suffix, h in fs_redis_hashes(ctx, "attr").items():
        parts = suffix.split(":")
        assert len(parts) == 4, f"attr key {suffix!r} is not <day>:<model>:<by>:<currency>"
        out[tuple(parts)] = h
    return out


def diff_attr(got, want, tol=None, limit=40):
    lines = []
    for k in sorted(set(got) | set(want)):
        g, w = got.get(k, {}), want.get(k, {})
        t = tol(k) if tol else 0
        for f in sorted(set(g) | set(w)):
            if abs(g.get(f, 0) - w.get(f, 0)) > t:
                lines.append(f"{':'.join(k)} {f}: redis {g.get(f)}, oracle {w.get(f)}"
                             + (f" (tolerance {t})" if t else ""))
    extra = f"\n... {len(lines) - limit} more" if len(lines) > limit else ""
    return "\n".join(lines[:limit]) + extra, len(lines)


def check_attribution(ctx, sent, expect):
    """Compares every aggregate of docs/aggregates.md and docs/attribution.md in ctx's namespace with the
    oracle expectations `expect` = (users, revenue, handoff, attr)."""
    want_users, want_revenue, want_handoff, want_attr = expect
    nconv = person_oracle.conversions_per_day_currency(sent)
    problems = []

    got_events = fs_redis_events(ctx)
    want_events = oracle.expected_events(sent)
    if got_events != want_events:
        problems.append("events hashes differ:\n" + diff_days(got_events, want_events))

    got_revenue = fs_redis_hashes(ctx, "revenue")
    if got_revenue != want_revenue:
        problems.append("revenue hashes differ:\n" + diff_days(got_revenue, want_revenue))

    got_users = fs_redis_hashes(ctx, "users")
    if got_users != want_users:
        problems.append("users hashes (identity-stitched persons) differ:\n"
                        + diff_days(got_users, want_users))

    got_handoff = fs_redis_hashes(ctx, "handoff")
    if got_handoff != want_handoff:
        problems.append("handoff hashes differ:\n" + diff_days(got_handoff, want_handoff))

    got_attr = read_attr(ctx)
    if not got_attr:
        problems.append(f"no {ctx['ns']}:v1:attr:* hash at all (want {len(want_attr)})")
    else:
        exact_got = {k: h for k, h in got_attr.items() if k[1] != "time_decay"}
        exact_want = {k: h for k, h in want_attr.items() if k[1] != "time_decay"}
        text, n = diff_attr(exact_got, exact_want)
        if n:
            problems.append(f"attr hashes (exact models) differ in {n} fields:\n{text}")
        td_got = {k: h for k, h in got_attr.items() if k[1] == "time_decay"}
        td_want = {k: h for k, h in want_attr.items() if k[1] == "time_decay"}
        text, n = diff_attr(td_got, td_want, tol=lambda k: nconv.get((k[0], k[3]), 0))
        if n:
            problems.append(f"attr hashes (time_decay, ±1 per conversion) differ in {n} "
                            f"fields:\n{text}")
        # the largest-remainder rule keeps every model's sums exact
        bad = []
        for (day, cur), n in sorted(nconv.items()):
            booked = want_revenue.get(day, {}).get(f"r:{cur}", 0)
            for model in person_oracle.MODELS:
                for by in person_oracle.BYS:
                    h = got_attr.get((day, model, by, cur), {})
                    r = sum(v for f, v in h.items() if f.startswith("r:"))
                    c = sum(v for f, v in h.items() if f.startswith("c:"))
                    if r != booked or c != n * person_oracle.CONVERSION_UNITS:
                        bad.append(f"{day} {model} {by} {cur}: r sum {r} (booked {booked}), "
                                   f"c sum {c} ({n} conversions)")
        if bad:
            problems.append(f"{len(bad)} attr hashes do not sum to the booked revenue / "
                            "conversions:\n" + "\n".join(bad[:30]))
        fields = [f for h in got_attr.values() for f in h]
        odd = [f for f in fields if not f.startswith(("r:", "c:"))]
        if odd:
            problems.append(f"attr fields other than r:/c: {odd[:10]}")
    assert not problems, "\n\n".join(problems)


# --------------------------------------------------------------- tests ----

def dataset_summary(events, early, late):
    evs = person_oracle.normalize(events)
    person = person_oracle.persons(evs)
    conv = [e for e in evs if oracle.DEFAULT_DEFINITION[e["type"]][2] == "conversion"]
    return {"events": len(evs), "persons": len(set(person.values())),
            "conversions": len(conv), "early": len(early), "late": len(late)}


def test_attribution_identity_handoff_exact(fs_ctx, fs_procs):
    rng = random.Random(SEED)
    events, early, late, contested = gen_dataset(SEED, fs_ctx["tag"])
    expect = person_oracle.self_check(channel_oracle.grouped(events))  # the oracles agree with each other
    summary = dataset_summary(events, early, late)
    assert summary["persons"] >= 300 and summary["conversions"] >= 150, summary
    # the data set exercises what it claims to
    evs = person_oracle.normalize(events)
    who = person_oracle.persons(evs)
    assert any(p.startswith("anon:") for p in who.values())
    for aid, winner in contested.items():  # docs/event.md: the earliest link wins
        anon_only = [e for e in evs if e.get("anonymous_id") == aid and "user_id" not in e]
        assert anon_only and all(who[e["event_id"]] == winner for e in anon_only), aid
    handoff = expect[2]
    assert sum(h.get("within_sla", 0) for h in handoff.values()) < \
        sum(h["leads"] for h in handoff.values())
    assert any(f == "d:0" for h in handoff.values() for f in h)
    assert any(f == f"d:{SLA // 1000}" for h in handoff.values() for f in h)
    assert any(f == "r:(direct)" for k, h in expect[3].items() for f in h)

    ordered = send_order(rng, events, early, late)
    batches = to_batches(rng, ordered, 0.03, keep_order=early | late)
    sent = [e for b in batches for e in b]

    col = fs_procs.collector()
    workers = [fs_procs.worker(*WORKER_ARGS) for _ in range(3)]
    poster = Poster(col.port)
    split = len(batches) // 4
    poster.post(batches[:split])
    assert poster.error is None, poster.error
    t = poster.in_background(batches[split:])
    for _ in range(3):  # kill -9 a random worker three times, restart each
        time.sleep(rng.uniform(0.5, 2.0))
        victim = rng.choice([w for w in workers if w.alive()])
        victim.kill9()
        workers.append(fs_procs.worker(*WORKER_ARGS))
    t.join()
    assert poster.error is None, poster.error

    fs_wait_offsets(fs_ctx, [w for w in workers if not w.killed], timeout=240)
    check_attribution(fs_ctx, channel_oracle.grouped(sent), expect)  # as the collector keeps them
    assert fs_read_topic(fs_ctx["brokers"], fs_ctx["dlq"]) == []


def second_namespace(fs_ctx):
    """Another topic + DLQ + namespace + group on the same stack, with its
    own collector (conftest's fs_ctx gives one per test)."""
    tag = uuid.uuid4().hex[:12]
    ctx = dict(fs_ctx, tag=tag, topic=f"it.{tag}.events", dlq=f"it.{tag}.dlq", ns=f"it{tag}",
               group=f"it-{tag}")
    fs_create_topics(ctx["admin"], [ctx["topic"], ctx["dlq"]], 6)
    ctx["env_extra"] = {"FUNNEL_TOPIC": ctx["topic"], "FUNNEL_DLQ_TOPIC": ctx["dlq"],
                        "FUNNEL_NAMESPACE": ctx["ns"], "FUNNEL_GROUP": ctx["group"]}
    return ctx


@pytest.fixture
def fs_ctx_b(fs_ctx):
    """A second namespace; requested before fs_procs, so it is dropped
    only after fs_procs stopped every daemon."""
    ctx = second_namespace(fs_ctx)
    yield ctx
    fs_drop_ctx(ctx)


def test_two_orders_identical(fs_ctx, fs_ctx_b, fs_procs):
    rng = random.Random(SEED + 1)
    events, early, late, _ = gen_dataset(SEED + 1, fs_ctx["tag"])
    expect = person_oracle.self_check(channel_oracle.grouped(events))
    # order A: CRM sales and losing links first, winning links last;
    # order B: the reverse phases, each shuffled differently
    order_a = to_batches(rng, send_order(rng, events, early, late), 0.03, early | late)
    order_b = to_batches(rng, send_order(rng, events, late, early), 0.03, early | late)

    ctx_b = fs_ctx_b
    col_a = fs_procs.collector()
    port_b = fs_free_port()
    col_b = fs_procs.start("collector", env_extra=dict(
        ctx_b["env_extra"], FUNNEL_LISTEN=f"127.0.0.1:{port_b}"))
    col_b.port = port_b
    fs_wait_ready(col_b)
    wa = [fs_procs.worker(*WORKER_ARGS) for _ in range(2)]
    wb = [fs_procs.start("worker", "--batch-ms", "50", "--stats-s", "0", *WORKER_ARGS,
                         env_extra=ctx_b["env_extra"]) for _ in range(2)]
    pa, pb = Poster(col_a.port), Poster(port_b)
    ta, tb = pa.in_background(order_a), pb.in_background(order_b)
    ta.join()
    tb.join()
    assert pa.error is None and pb.error is None, (pa.error, pb.error)
    fs_wait_offsets(fs_ctx, wa, timeout=240)
    fs_wait_offsets(ctx_b, wb, timeout=240)

    got = {}
    for name, ctx in (("A", fs_ctx), ("B", ctx_b)):
        got[name] = {kind: read_raw(ctx, kind)
                     for kind in ("users", "attr", "revenue", "handoff")}
    # not vacuous: both namespaces hold every expected aggregate key
    want_keys = {"users": set(expect[0]), "revenue": set(expect[1]),
                 "handoff": set(expect[2]), "attr": {":".join(k) for k in expect[3]}}
    for name in got:
        for kind, keys in want_keys.items():
            missing = keys - set(got[name][kind])
            assert not missing, (f"order {name}: {len(missing)} of {len(keys)} {kind} "
                                 f"hashes missing, e.g. {sorted(missing)[:5]}")
    diffs = []
    for kind in ("users", "attr", "revenue", "handoff"):
        a, b = got["A"][kind], got["B"][kind]
        for key in sorted(set(a) | set(b)):
            ha, hb = a.get(key, {}), b.get(key, {})
            for f in sorted(set(ha) | set(hb)):
                if ha.get(f) != hb.get(f):
                    diffs.append(f"{kind}:{key} {f}: order A {ha.get(f)}, "
                                 f"order B {hb.get(f)}")
    assert not diffs, f"{len(diffs)} fields differ between two send orders:\n" + \
        "\n".join(diffs[:40])


def run_query(ctx, *args):
    return subprocess.run([fs_binary("query"), *args], env=ctx["env"], capture_output=True,
                          text=True, timeout=60)


def test_counts_only_namespace(fs_ctx, fs_procs):
    """FUNNEL_ATTRIBUTION=false: the same stitched data set gives the exact
    events and identity-stitched users of the oracle, and no attribution,
    revenue or handoff at all; the namespace then refuses a worker that
    attributes, and funnel-query says why attribution is empty."""
    rng = random.Random(SEED + 2)
    events, early, late, _ = gen_dataset(SEED + 2, fs_ctx["tag"], persons=150)
    want_users = person_oracle.self_check(channel_oracle.grouped(events))[0]
    assert want_users
    batches = to_batches(rng, send_order(rng, events, early, late), 0.03, early | late)
    sent = [e for b in batches for e in b]

    off = {"FUNNEL_ATTRIBUTION": "false"}
    col = fs_procs.collector()
    workers = [fs_procs.start("worker", "--batch-ms", "50", "--stats-s", "0", *WORKER_ARGS,
                              env_extra=off) for _ in range(2)]
    Poster(col.port).post(batches)
    fs_wait_offsets(fs_ctx, workers, timeout=240)

    got_events = fs_redis_events(fs_ctx)
    want_events = oracle.expected_events(channel_oracle.grouped(sent))
    assert got_events == want_events, diff_days(got_events, want_events)
    got_users = fs_redis_hashes(fs_ctx, "users")
    assert got_users == want_users, diff_days(got_users, want_users)
    for kind in ("attr", "revenue", "handoff"):
        assert fs_redis_hashes(fs_ctx, kind) == {}, kind
    r = fs_ctx["redis"]
    assert r.get(f"{fs_ctx['ns']}:v1:attribution") == "off"

    for args in (["attribution", "--model", "linear"], ["handoff"]):
        p = run_query(fs_ctx, *args)
        assert p.returncode != 0 and "FUNNEL_ATTRIBUTION=false" in p.stderr, (args, p)
    assert run_query(fs_ctx, "funnel", "--format", "json").returncode == 0

    # A worker that attributes is refused before it claims anything.
    for w in workers:
        rc, forced = w.terminate()
        assert rc == 0 and not forced
    epochs = {k: r.get(k) for k in r.scan_iter(match=f"{fs_ctx['ns']}:v1:epoch:*")}
    assert len(epochs) == 6
    wrong = subprocess.run([fs_binary("worker"), "--stats-s", "0", *WORKER_ARGS],
                           env=fs_ctx["env"], capture_output=True, text=True, timeout=60)
    assert wrong.returncode == 1, wrong
    assert "was built with attribution off" in wrong.stderr, wrong.stderr[-2000:]
    assert {k: r.get(k) for k in epochs} == epochs


def test_attribution_setting_of_an_older_namespace(fs_ctx, fs_procs):
    """A namespace whose partitions were claimed before the setting existed
    was built with attribution on: a counts-only worker is refused there,
    and an attributing one goes on working."""
    r, ns, topic = fs_ctx["redis"], fs_ctx["ns"], fs_ctx["topic"]
    for p in range(6):
        r.set(f"{ns}:v1:epoch:{topic}:{p}", 5)
    off = dict(fs_ctx["env"], FUNNEL_ATTRIBUTION="false")
    p = subprocess.run([fs_binary("worker"), "--stats-s", "0", *WORKER_ARGS], env=off,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1, p
    assert "was built with attribution on and this worker runs with attribution off" \
        in p.stderr, p.stderr[-2000:]
    assert r.get(f"{ns}:v1:attribution") == "on"
    assert all(r.get(f"{ns}:v1:epoch:{topic}:{q}") == "5" for q in range(6))

    w = fs_procs.worker(*WORKER_ARGS)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if all(int(r.get(f"{ns}:v1:epoch:{topic}:{q}")) > 5 for q in range(6)):
            break
        assert w.alive(), w.log_text()[-2000:]
        time.sleep(0.2)
    else:
        pytest.fail("the attributing worker did not claim every partition in 60 s")
