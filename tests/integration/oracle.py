"""Independent model of the default funnel definition (docs/funnel-definition.md)
and the `events` aggregates (docs/aggregates.md), written from those pages only.

    expected_events(events) -> {day: {field: count}}

with `day` the UTC calendar day (YYYY-MM-DD) of `occurred_at`, and fields
`s:<stage>`, `sc:<stage>:<channel>`, `sk:<stage>:<campaign>`, `t:<type>` as
described in docs/redis-keys.md.  Events are dicts as a client sends them
(JSON shape of docs/event.md); `event_id` is required here (the tests always set
it).  A repeated event_id counts once, the first one in list order wins;
`identity`-role events count nowhere.
"""

import datetime
import re

STAGES = ["awareness", "interest", "desire", "action", "loyalty"]

# docs/funnel-definition.md, the built-in default: type -> (stage, department, role, milestone)
DEFAULT_DEFINITION = {
    "ad_impression": ("awareness", "marketing", "none", None),
    "ad_click": ("awareness", "marketing", "touch", None),
    "social_engagement": ("awareness", "marketing", "touch", None),
    "page_view": ("interest", "marketing", "none", None),
    "content_download": ("interest", "marketing", "touch", None),
    "email_signup": ("interest", "marketing", "touch", "lead"),
    "email_open": ("interest", "marketing", "none", None),
    "email_click": ("interest", "marketing", "touch", None),
    "webinar_attended": ("desire", "marketing", "touch", None),
    "demo_requested": ("desire", "sales", "touch", None),
    "sales_call": ("desire", "sales", "touch", None),
    "demo_attended": ("desire", "sales", "touch", "opportunity"),
    "quote_sent": ("desire", "sales", "touch", None),
    "sale": ("action", "sales", "conversion", None),
    "repeat_purchase": ("loyalty", "sales", "conversion", None),
    "referral": ("loyalty", "marketing", "touch", None),
    "identify": (None, None, "identity", None),
}

NONE = "(none)"
_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def occurred_at_ms(value):
    """RFC 3339 with offset or integer epoch ms -> epoch ms (UTC)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    m = _RFC3339.match(value.strip())
    if not m:
        raise ValueError(f"oracle: cannot read occurred_at {value!r}")
    y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
    frac = m.group(7) or ""
    ms = int((frac[1:] + "000")[:3]) if frac else 0
    off = m.group(8)
    offset_min = 0
    if off not in ("Z", "z"):
        sign = -1 if off[0] == "-" else 1
        offset_min = sign * (int(off[1:3]) * 60 + int(off[4:6]))
    days = (datetime.date(y, mo, d) - datetime.date(1970, 1, 1)).days
    return ((days * 86400 + h * 3600 + mi * 60 + s) - offset_min * 60) * 1000 + ms


def utc_day(ms):
    return (datetime.date(1970, 1, 1) + datetime.timedelta(days=ms // 86_400_000)).isoformat()


def _text(value):
    """docs/event.md: text fields are trimmed; empty counts as absent."""
    if value is None:
        return None
    value = value.strip().strip("\ufeff").strip()
    return value or None


def distinct(events):
    """The events in order, each event_id's first copy only (docs/aggregates.md)."""
    seen = set()
    for ev in events:
        eid = _text(ev["event_id"])
        if eid not in seen:
            seen.add(eid)
            yield ev


def expected_events(events, definition=DEFAULT_DEFINITION):
    out = {}
    for ev in distinct(events):
        etype = _text(ev["type"])
        stage, _dept, role, _milestone = definition[etype]
        if role == "identity":
            continue
        day = utc_day(occurred_at_ms(ev["occurred_at"]))
        channel = _text(ev.get("channel")) or NONE
        campaign = _text(ev.get("campaign")) or NONE
        h = out.setdefault(day, {})
        for field in (f"s:{stage}", f"sc:{stage}:{channel}", f"sk:{stage}:{campaign}",
                      f"t:{etype}"):
            h[field] = h.get(field, 0) + 1
    return out


def stage_totals(expected, days=None):
    """Events per stage, summed over `days` (default: all)."""
    tot = {s: 0 for s in STAGES}
    for day, h in expected.items():
        if days is not None and day not in days:
            continue
        for s in STAGES:
            tot[s] += h.get(f"s:{s}", 0)
    return [tot[s] for s in STAGES]


def person_of(ev):
    """docs/event.md without identity links (the worker's scope before identity
    stitching lands): the user_id, else "anon:" + the anonymous_id."""
    user = _text(ev.get("user_id"))
    return user if user else "anon:" + _text(ev.get("anonymous_id"))


def expected_uniques(events, definition=DEFAULT_DEFINITION):
    """docs/aggregates.md `approximate uniques`, exactly: {(day, stage): set of persons}
    over the distinct events of a stage (the first copy of an id wins)."""
    out = {}
    for ev in distinct(events):
        stage = definition[_text(ev["type"])][0]
        if stage is not None:
            day = utc_day(occurred_at_ms(ev["occurred_at"]))
            out.setdefault((day, stage), set()).add(person_of(ev))
    return out


def expected_users(events, definition=DEFAULT_DEFINITION):
    """docs/aggregates.md `users reaching a stage`: for each person P and stage s (and
    per channel / campaign), t(P, s) = the earliest occurred_at of P's
    distinct events of stage s; the count for day d is the number of persons
    whose t falls on d.  Returns {day: {field: count}} with the same field
    names as expected_events (zero counts left out)."""
    first = {}  # (person, field) -> earliest ms
    for ev in distinct(events):
        stage, _dept, role, _milestone = definition[_text(ev["type"])]
        if role == "identity" or stage is None:
            continue
        ms = occurred_at_ms(ev["occurred_at"])
        channel = _text(ev.get("channel")) or NONE
        campaign = _text(ev.get("campaign")) or NONE
        for field in (f"s:{stage}", f"sc:{stage}:{channel}", f"sk:{stage}:{campaign}"):
            key = (person_of(ev), field)
            if key not in first or ms < first[key]:
                first[key] = ms
    out = {}
    for (_person, field), ms in first.items():
        h = out.setdefault(utc_day(ms), {})
        h[field] = h.get(field, 0) + 1
    return out
