#!/usr/bin/python3
"""Independent model of attribution, written from docs/attribution.md
only, to check common/attrib/fs_attrib.c and, later, the worker's aggregates.

Steps of docs/attribution.md and their functions here:

    select(touches, conv_ms, lookback_ms)           step 1
    weights(model, touches, conv_ms, half_life_ms)  step 2 (Fractions; floats
                                                    for time_decay)
    credits(model, touches, conv_ms, half_life_ms, total)
                                                    step 3 (integers summing
                                                    exactly to total)
    attribute(model, person_touches, conversion, lookback_ms, half_life_ms)
                                                    steps 1-4 for one conversion,
                                                    with the "(direct)" rule
    expected_attribution(events, model, by, ...)    steps 1-5 over raw events
                                                    (identity per docs/event.md)

A touch is a dict with `occurred_at` (epoch ms), `event_id`, and the
booleans `lead` / `opportunity` (its type's milestone); the dimension keys
`channel`, `campaign`, `department`, `type` are used by step 5 only.

CLI (used by tests/unit/check_attrib_python.py): reads JSON objects, one
per line, from stdin:
    {"model": "linear", "touches": [{"occurred_at": 1, "event_id": "a",
     "lead": false, "opportunity": false}, ...], "conv_ms": 5,
     "lookback_ms": 10, "half_life_ms": 7, "revenue": 100}
and prints for each a JSON line {"selected": [indices into touches, in
order], "revenue": [credits], "conversions": [credits]} — empty lists for
the "(direct)" case.
"""

import datetime
import json
import sys
from decimal import Decimal
from fractions import Fraction

MODELS = ["first_touch", "last_touch", "linear", "position_based", "time_decay",
          "w_shaped"]
MAX_TOUCHES = 100
CONVERSION_UNITS = 1_000_000
DAY_MS = 86_400_000

# docs/attribution.md step 4: the attribution key of a conversion without touches.
DIRECT = {"channel": "(direct)", "campaign": "(none)", "department": "unattributed",
          "type": "(none)"}


def _id_bytes(touch):
    # docs/event.md: event_id is [A-Za-z0-9._:-]; ordered bytewise like C's strcmp.
    return touch["event_id"].encode("utf-8")


def select(touches, conv_ms, lookback_ms):
    """Step 1: touches with T - lookback <= occurred_at <= T, ordered by
    (occurred_at, event_id), at most the 100 latest.  Returns the indices
    into `touches`, earliest first."""
    idx = [i for i, t in enumerate(touches)
           if conv_ms - lookback_ms <= t["occurred_at"] <= conv_ms]
    idx.sort(key=lambda i: (touches[i]["occurred_at"], _id_bytes(touches[i])))
    return idx[-MAX_TOUCHES:]


def weights(model, touches, conv_ms, half_life_ms):
    """Step 2 over the ordered touches t1..tn (n >= 1)."""
    n = len(touches)
    if model == "first_touch":
        return [Fraction(1)] + [Fraction(0)] * (n - 1)
    if model == "last_touch":
        return [Fraction(0)] * (n - 1) + [Fraction(1)]
    if model == "linear":
        return [Fraction(1, n)] * n
    if model == "position_based":
        if n == 1:
            return [Fraction(1)]
        if n == 2:
            return [Fraction(1, 2)] * 2
        middle = Fraction(2, 10) / (n - 2)
        return [Fraction(4, 10)] + [middle] * (n - 2) + [Fraction(4, 10)]
    if model == "time_decay":
        # proportional to 2^(-(T - ti) / half_life).  Dividing every raw
        # weight by the latest touch's is the same proportion and keeps
        # tiny half-lives from underflowing every weight to 0.0.
        latest = max(t["occurred_at"] for t in touches)
        raw = [2.0 ** (-((conv_ms - t["occurred_at"]) - (conv_ms - latest)) / half_life_ms)
               for t in touches]
        total = sum(raw)
        return [r / total for r in raw]
    if model == "w_shaped":
        keys = {0}
        lead = next((i for i, t in enumerate(touches) if t.get("lead")), None)
        opp = next((i for i, t in enumerate(touches) if t.get("opportunity")), None)
        if lead is not None:
            keys.add(lead)
        if opp is not None:
            keys.add(opp)
        others = n - len(keys)
        if others == 0:
            return [Fraction(1, len(keys))] * n
        return [Fraction(9, 10) / len(keys) if i in keys else Fraction(1, 10) / others
                for i in range(n)]
    raise ValueError(f"unknown model {model!r}")


def credits(model, touches, conv_ms, half_life_ms, total):
    """Step 3: integer credits over the ordered touches summing to `total`.
    floor(total × weight) each, then the units left over one each to the
    largest remainders, ties to the earlier touch.  Returns [] for no
    touches (the caller's "(direct)" case)."""
    if not touches:
        return []
    w = weights(model, touches, conv_ms, half_life_ms)
    if model == "time_decay":
        exact = [total * x for x in w]  # floats
        floors = [int(x // 1) for x in exact]
    else:
        exact = [total * x for x in w]  # Fractions: exact
        floors = [x.numerator // x.denominator for x in exact]
    rems = [x - f for x, f in zip(exact, floors)]
    left = total - sum(floors)
    # sorted() is stable: equal remainders keep touch order (earlier first).
    order = sorted(range(len(touches)), key=lambda i: -rems[i])
    out = list(floors)
    i = 0
    while left > 0:  # float rounding could leave >= n units; cycle then
        out[order[i % len(order)]] += 1
        left -= 1
        i += 1
    j = len(order) - 1
    while left < 0:  # float rounding overshoot: smallest remainders give back
        k = order[j % len(order)]
        if out[k] > 0:
            out[k] -= 1
            left += 1
        j -= 1
    return out


def attribute(model, person_touches, conversion, lookback_ms, half_life_ms):
    """Steps 1-4 for one conversion ({"occurred_at", "revenue" (cents)}):
    a list of (touch or DIRECT, revenue cents, conversion millionths)."""
    conv_ms = conversion["occurred_at"]
    idx = select(person_touches, conv_ms, lookback_ms)
    if not idx:
        return [(DIRECT, conversion["revenue"], CONVERSION_UNITS)]
    sel = [person_touches[i] for i in idx]
    rev = credits(model, sel, conv_ms, half_life_ms, conversion["revenue"])
    conv = credits(model, sel, conv_ms, half_life_ms, CONVERSION_UNITS)
    return list(zip(sel, rev, conv))


# ------------------------------------------------------------------ events

# docs/funnel-definition.md built-in default: type -> (department, role, milestone)
DEFAULT_DEFINITION = {
    "ad_impression": ("marketing", "none", None),
    "ad_click": ("marketing", "touch", None),
    "social_engagement": ("marketing", "touch", None),
    "page_view": ("marketing", "none", None),
    "content_download": ("marketing", "touch", None),
    "email_signup": ("marketing", "touch", "lead"),
    "email_open": ("marketing", "none", None),
    "email_click": ("marketing", "touch", None),
    "webinar_attended": ("marketing", "touch", None),
    "demo_requested": ("sales", "touch", None),
    "sales_call": ("sales", "touch", None),
    "demo_attended": ("sales", "touch", "opportunity"),
    "quote_sent": ("sales", "touch", None),
    "sale": ("sales", "conversion", None),
    "repeat_purchase": ("sales", "conversion", None),
    "referral": ("marketing", "touch", None),
    "identify": (None, "identity", None),
}


def _text(value):
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _cents(value):
    """docs/event.md: revenue, number or decimal string, at most 2 decimals."""
    if value is None:
        return 0
    d = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    return int(d * 100)


def _utc_day(ms):
    return (datetime.date(1970, 1, 1) + datetime.timedelta(days=ms // DAY_MS)).isoformat()


def persons(events):
    """docs/event.md identity: event_id -> person, over distinct events.  Events
    carry `occurred_at` as epoch ms here."""
    links = {}  # anonymous_id -> ((occurred_at, event_id), user_id)
    for ev in events:
        uid, aid = _text(ev.get("user_id")), _text(ev.get("anonymous_id"))
        if uid and aid:
            k = ((ev["occurred_at"], ev["event_id"].encode()), uid)
            if aid not in links or k < links[aid]:
                links[aid] = k
    out = {}
    for ev in events:
        uid, aid = _text(ev.get("user_id")), _text(ev.get("anonymous_id"))
        if uid:
            out[ev["event_id"]] = uid
        elif aid in links:
            out[ev["event_id"]] = links[aid][1]
        else:
            out[ev["event_id"]] = "anon:" + aid
    return out


def expected_attribution(events, model, by, lookback_days=30, half_life_days=7,
                         definition=DEFAULT_DEFINITION):
    """Steps 1-5: {(key, conversion day, currency): [revenue cents,
    conversion millionths]} for `model` by `by` (channel, campaign,
    department or type); keys credited nothing at all are left out.  `events` are dicts shaped like docs/event.md with
    `event_id` set and `occurred_at` in epoch ms; a repeated event_id counts
    once (the first in list order)."""
    seen, distinct = set(), []
    for ev in events:
        if ev["event_id"] not in seen:
            seen.add(ev["event_id"])
            distinct.append(ev)
    person = persons(distinct)
    touches, conversions = {}, []
    for ev in distinct:
        dept, role, milestone = definition[ev["type"]]
        if role == "touch":
            touches.setdefault(person[ev["event_id"]], []).append({
                "occurred_at": ev["occurred_at"], "event_id": ev["event_id"],
                "lead": milestone == "lead", "opportunity": milestone == "opportunity",
                "channel": _text(ev.get("channel")) or "(none)",
                "campaign": _text(ev.get("campaign")) or "(none)",
                "department": dept, "type": ev["type"]})
        elif role == "conversion":
            conversions.append(ev)
    out = {}
    for ev in conversions:
        conv = {"occurred_at": ev["occurred_at"], "revenue": _cents(ev.get("revenue"))}
        currency = _text(ev.get("currency")) or "USD"
        day = _utc_day(ev["occurred_at"])
        for touch, rev, cnv in attribute(model, touches.get(person[ev["event_id"]], []),
                                         conv, lookback_days * DAY_MS,
                                         half_life_days * DAY_MS):
            cell = out.setdefault((touch[by], day, currency), [0, 0])
            cell[0] += rev
            cell[1] += cnv
    # a touch credited nothing (e.g. first_touch's later touches) is no row
    return {k: v for k, v in out.items() if v != [0, 0]}


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        case = json.loads(line)
        touches = case["touches"]
        conv_ms = case["conv_ms"]
        idx = select(touches, conv_ms, case["lookback_ms"])
        sel = [touches[i] for i in idx]
        print(json.dumps({
            "selected": idx,
            "revenue": credits(case["model"], sel, conv_ms, case["half_life_ms"],
                               case["revenue"]),
            "conversions": credits(case["model"], sel, conv_ms, case["half_life_ms"],
                                   CONVERSION_UNITS),
        }))


if __name__ == "__main__":
    main()
