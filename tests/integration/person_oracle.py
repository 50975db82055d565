#!/usr/bin/python3
"""Independent model of the person-level aggregates of docs/event.md (identity),
§6 (users reaching a stage) and §7 (attribution, booked revenue, handoff),
written from docs/event.md, docs/aggregates.md, docs/attribution.md and
docs/redis-keys.md only.

    normalize(events)              distinct events (first copy of an event_id
                                   wins), occurred_at as epoch ms
    persons(events)                docs/event.md: event_id -> person
    expected_users(events)         {day: {field: count}}   <ns>:v1:users:<day>
    expected_revenue(events)       {day: {field: value}}   <ns>:v1:revenue:<day>
    expected_handoff(events, sla)  {day: {field: count}}   <ns>:v1:handoff:<day>
    expected_attr_hashes(events)   {(day, model, by, currency): {field: value}}
                                   <ns>:v1:attr:<day>:<model>:<by>:<currency>

`events` are dicts shaped like docs/event.md as a client sends them (JSON
shape), with `event_id` set; `occurred_at` as epoch ms or RFC 3339 text.
Every result leaves out zero-valued fields and empty hashes (a Redis field
decremented back to 0 is the same observable state as no field).

The attribution itself (steps 1-5) is attrib_oracle.expected_attribution,
reused; its persons() implements docs/event.md exactly as written (links from any
event carrying both ids, the earliest link by (occurred_at, event_id) wins,
person = user_id, else the linked user, else "anon:" + anonymous_id) and is
reused here too.
"""

import attrib_oracle
import oracle

DAY_MS = 86_400_000
SECOND_MS = 1000
CONVERSION_UNITS = attrib_oracle.CONVERSION_UNITS
MODELS = attrib_oracle.MODELS
BYS = ["channel", "campaign", "department", "type"]
NONE = "(none)"

# docs/funnel-definition.md built-in default: type -> (stage, department, role, milestone)
DEFINITION = oracle.DEFAULT_DEFINITION


def _text(value):
    return oracle._text(value) if isinstance(value, str) else value


def normalize(events):
    """Distinct events in list order (the first copy of an event_id wins),
    as new dicts with text fields trimmed (empty -> absent) and
    `occurred_at` in epoch ms."""
    seen, out = set(), []
    for ev in events:
        eid = _text(ev["event_id"])
        if eid in seen:
            continue
        seen.add(eid)
        n = {}
        for k, v in ev.items():
            v = _text(v)
            if v is not None:
                n[k] = v
        n["event_id"] = eid
        n["occurred_at"] = oracle.occurred_at_ms(ev["occurred_at"])
        out.append(n)
    return out


def persons(events):
    """docs/event.md: event_id -> person over the distinct events."""
    return attrib_oracle.persons(normalize(events))


def _add(out, day, field, n=1):
    if n == 0:
        return
    h = out.setdefault(day, {})
    h[field] = h.get(field, 0) + n
    if h[field] == 0:
        del h[field]
        if not h:
            del out[day]


def expected_users(events, definition=DEFINITION):
    """docs/aggregates.md users reaching a stage, with identity: for each person P and
    field (s:<stage>, sc:<stage>:<channel>, sk:<stage>:<campaign>), t = the
    earliest occurred_at of P's distinct events there; the field of the day
    of t counts P once.  identity-role events count nowhere."""
    evs = normalize(events)
    person = attrib_oracle.persons(evs)
    first = {}  # (person, field) -> earliest ms
    for ev in evs:
        stage, _dept, role, _milestone = definition[ev["type"]]
        if role == "identity" or stage is None:
            continue
        channel = ev.get("channel") or NONE
        campaign = ev.get("campaign") or NONE
        p = person[ev["event_id"]]
        for field in (f"s:{stage}", f"sc:{stage}:{channel}", f"sk:{stage}:{campaign}"):
            k = (p, field)
            if k not in first or ev["occurred_at"] < first[k]:
                first[k] = ev["occurred_at"]
    out = {}
    for (_p, field), ms in first.items():
        _add(out, oracle.utc_day(ms), field)
    return out


def _currency(ev):
    return ev.get("currency") or "USD"


def expected_revenue(events, definition=DEFINITION):
    """Booked conversions per conversion day: r:<CUR> -> cents, n:<CUR> ->
    number of distinct conversion-role events."""
    out = {}
    for ev in normalize(events):
        if definition[ev["type"]][2] != "conversion":
            continue
        day, cur = oracle.utc_day(ev["occurred_at"]), _currency(ev)
        _add(out, day, f"r:{cur}", attrib_oracle._cents(ev.get("revenue")))
        _add(out, day, f"n:{cur}", 1)
    return out


def conversions_per_day_currency(events, definition=DEFINITION):
    """{(day, currency): number of distinct conversions}."""
    out = {}
    for ev in normalize(events):
        if definition[ev["type"]][2] == "conversion":
            k = (oracle.utc_day(ev["occurred_at"]), _currency(ev))
            out[k] = out.get(k, 0) + 1
    return out


def expected_handoff(events, sla_days=7, definition=DEFINITION):
    """docs/attribution.md handoff by lead day: the lead of a person is its first touch
    of a `lead` milestone type by (occurred_at, event_id); `leads` +1 on the
    lead's day; if the person has a touch of a sales-department type with
    lead <= t <= lead + SLA, the earliest such t gives `within_sla` +1 and
    `d:<floor((t - lead) / 1 s)>` +1."""
    evs = normalize(events)
    person = attrib_oracle.persons(evs)
    leads, sales = {}, {}
    for ev in evs:
        _stage, dept, role, milestone = definition[ev["type"]]
        if role != "touch":
            continue
        p = person[ev["event_id"]]
        k = (ev["occurred_at"], ev["event_id"].encode("utf-8"))
        if milestone == "lead" and (p not in leads or k < leads[p]):
            leads[p] = k
        if dept == "sales":
            sales.setdefault(p, []).append(ev["occurred_at"])
    out = {}
    sla_ms = sla_days * DAY_MS
    for p, (lead_ms, _eid) in leads.items():
        day = oracle.utc_day(lead_ms)
        _add(out, day, "leads")
        within = [t for t in sales.get(p, []) if lead_ms <= t <= lead_ms + sla_ms]
        if within:
            _add(out, day, "within_sla")
            _add(out, day, f"d:{(min(within) - lead_ms) // SECOND_MS}")
    return out


def expected_attr_hashes(events, lookback_days=30, half_life_days=7, definition=None):
    """{(day, model, by, currency): {"r:<value>": cents, "c:<value>":
    millionths}} for all 6 models x 4 dimensions, zero fields left out."""
    evs = normalize(events)
    kw = {"lookback_days": lookback_days, "half_life_days": half_life_days}
    if definition is not None:
        kw["definition"] = {t: v[1:] for t, v in definition.items()}
    out = {}
    for model in MODELS:
        for by in BYS:
            cells = attrib_oracle.expected_attribution(evs, model, by, **kw)
            for (value, day, cur), (rev, cnv) in cells.items():
                h = out.setdefault((day, model, by, cur), {})
                if rev:
                    h[f"r:{value}"] = h.get(f"r:{value}", 0) + rev
                if cnv:
                    h[f"c:{value}"] = h.get(f"c:{value}", 0) + cnv
    return {k: h for k, h in out.items() if h}


def self_check(events, sla_days=7):
    """Cross-checks of the oracles against each other; returns the four
    expectations (users, revenue, handoff, attr).  Raises AssertionError on
    an inconsistency (a bug of the oracle or of the data set)."""
    users = expected_users(events)
    revenue = expected_revenue(events)
    handoff = expected_handoff(events, sla_days)
    attr = expected_attr_hashes(events)
    nconv = conversions_per_day_currency(events)
    # every model and dimension books exactly the revenue and the number of
    # conversions of the day and currency (docs/attribution.md step 3)
    for (day, cur), n in nconv.items():
        for model in MODELS:
            for by in BYS:
                h = attr.get((day, model, by, cur), {})
                r = sum(v for f, v in h.items() if f.startswith("r:"))
                c = sum(v for f, v in h.items() if f.startswith("c:"))
                assert r == revenue.get(day, {}).get(f"r:{cur}", 0), (day, model, by, cur, r)
                assert c == n * CONVERSION_UNITS, (day, model, by, cur, c, n)
                assert n == revenue[day][f"n:{cur}"]
    assert {(d, c) for (d, _m, _b, c) in attr} == set(nconv), "attr days without conversions"
    # users: each person counts once per field over all days; s:<stage> is
    # the number of persons with an event of that stage
    evs = normalize(events)
    person = attrib_oracle.persons(evs)
    per_stage = {}
    for ev in evs:
        stage, _d, role, _m = DEFINITION[ev["type"]]
        if role != "identity":
            per_stage.setdefault(stage, set()).add(person[ev["event_id"]])
    for stage, who in per_stage.items():
        assert sum(h.get(f"s:{stage}", 0) for h in users.values()) == len(who), stage
    # handoff: within_sla <= leads per day; the histogram sums to within_sla
    for day, h in handoff.items():
        assert h.get("within_sla", 0) <= h["leads"], (day, h)
        assert sum(v for f, v in h.items() if f.startswith("d:")) == h.get("within_sla", 0)
        assert all(0 <= int(f[2:]) <= sla_days * 86400 for f in h if f.startswith("d:"))
    return users, revenue, handoff, attr
