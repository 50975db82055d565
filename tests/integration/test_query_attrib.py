"""Integration tests of `funnel-query attribution` and `funnel-query handoff`
against a real redis-server.

As test_query.py (whose fixtures and helpers this file reuses): each test
writes hashes in the layout of docs/redis-keys.md under a fresh namespace
with python's redis client, runs the built binary and checks that its
JSON / CSV / table output equals what Python computes from what was
written — money with integers, the median with `statistics` and
`decimal`, never with the binary under test.

Run: /usr/bin/python3 -m pytest tests/integration/test_query_attrib.py
The binary is $FS_BINARY_DIR/query/funnel-query (default build/debug).
"""

import datetime
import decimal
import json
import statistics

import pytest

from test_query import db, free_port, ns, run, server  # noqa: F401 (fixtures)

MODELS = ["first_touch", "last_touch", "linear", "position_based", "time_decay",
          "w_shaped"]


def cents(v):
    """Integer cents as the report's decimal string, independently of the C code."""
    sign = "-" if v < 0 else ""
    v = abs(v)
    return f"{sign}{v // 100}.{v % 100:02d}"


def millionths(v):
    return f"{v // 1000000}.{v % 1000000:06d}"


def attr_key(ns, day, model="linear", by="channel", currency="USD"):
    return f"{ns}:v1:attr:{day}:{model}:{by}:{currency}"


def write_attr(db, ns, day, credits, **kw):
    """credits: {value: (cents, millionths)} → r:/c: fields of one day's hash."""
    fields = {}
    for value, (r, c) in credits.items():
        fields[f"r:{value}"] = str(r)
        fields[f"c:{value}"] = str(c)
    db.hset(attr_key(ns, day, **kw), mapping=fields)


def attribution(port, ns, *args, fmt="json", **kw):
    p = run(port, ns, "attribution", "--format", fmt, *args, **kw)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout) if fmt == "json" else p.stdout


# Three conversion days in range, one either side that must be left out.
ATTR_DAYS = {
    "2026-11-09": {"paid_search": (999999, 1000000)},
    "2026-11-10": {"paid_search": (300000, 10250000), "email": (123456, 3000000),
                   "(direct)": (1, 1000000), "a:b": (0, 750000)},
    "2026-11-11": {"paid_search": (300000, 10250000), "events": (423456, 2000000)},
    "2026-11-12": {"email": (300000, 5000000), "zeta": (1, 0)},
    "2026-11-13": {"email": (1000000000, 1000000)},
}
IN_RANGE = ["2026-11-10", "2026-11-11", "2026-11-12"]


def expected_rows(days, in_range):
    sums = {}
    for d in in_range:
        for value, (r, c) in days.get(d, {}).items():
            s = sums.setdefault(value, [0, 0])
            s[0] += r
            s[1] += c
    rows = [(k, r, c) for k, (r, c) in sums.items() if r or c]
    # Revenue descending, then key bytewise.
    rows.sort(key=lambda x: (-x[1], x[0].encode()))
    return rows


def test_json_sums_the_range_in_exact_decimals(server, db, ns):
    for day, credits in ATTR_DAYS.items():
        write_attr(db, ns, day, credits)
    # Same days under other models, dimensions and currencies: never read here.
    write_attr(db, ns, "2026-11-10", {"paid_search": (5, 5)}, model="first_touch")
    write_attr(db, ns, "2026-11-10", {"x": (5, 5)}, by="campaign")
    write_attr(db, ns, "2026-11-10", {"paid_search": (5, 5)}, currency="EUR")
    doc = attribution(server, ns, "--model", "linear", "--from", "2026-11-10",
                      "--to", "2026-11-12")
    assert list(doc) == ["model", "by", "from", "to", "currency", "total", "rows"]
    assert (doc["model"], doc["by"], doc["currency"]) == ("linear", "channel", "USD")
    assert (doc["from"], doc["to"]) == ("2026-11-10", "2026-11-12")
    rows = expected_rows(ATTR_DAYS, IN_RANGE)
    assert [r["key"] for r in doc["rows"]] == [k for k, _, _ in rows]
    assert doc["rows"] == [{"key": k, "revenue": cents(r), "conversions": millionths(c)}
                           for k, r, c in rows]
    assert doc["rows"][0] == {"key": "paid_search", "revenue": "6000.00",
                              "conversions": "20.500000"}
    total_r = sum(r for _, r, _ in rows)
    total_c = sum(c for _, _, c in rows)
    assert doc["total"] == {"revenue": cents(total_r), "conversions": millionths(total_c)}
    assert doc["total"] == {"revenue": "14469.14", "conversions": "32.250000"}
    # Strings, never floats.
    assert all(isinstance(r["revenue"], str) for r in doc["rows"])


def test_ties_sort_by_key_and_retracted_values_are_left_out(server, db, ns):
    write_attr(db, ns, "2026-11-10", {"b": (100, 1), "B": (100, 1), "a": (100, 1),
                                      "gone": (50, 0), "zero": (0, 0)})
    write_attr(db, ns, "2026-11-11", {"gone": (-50, 0)})  # credit retracted later
    doc = attribution(server, ns, "--model", "linear", "--from", "2026-11-10",
                      "--to", "2026-11-11")
    assert [r["key"] for r in doc["rows"]] == ["B", "a", "b"]
    assert doc["total"]["revenue"] == "3.00"


def test_by_currency_and_defaults(server, db, ns):
    write_attr(db, ns, "2026-11-10", {"spring_sale": (2500, 1000000)}, model="w_shaped",
               by="campaign", currency="EUR")
    write_attr(db, ns, "2026-11-10", {"demo_attended": (7, 500000)}, model="w_shaped",
               by="type", currency="EUR")
    write_attr(db, ns, "2026-11-10", {"email": (11, 1000000)}, model="w_shaped")
    doc = attribution(server, ns, "--model", "w_shaped", "--by", "campaign",
                      "--currency", "EUR", "--from", "2026-11-10", "--to", "2026-11-10")
    assert (doc["by"], doc["currency"]) == ("campaign", "EUR")
    assert doc["rows"] == [{"key": "spring_sale", "revenue": "25.00",
                            "conversions": "1.000000"}]
    doc = attribution(server, ns, "--model", "w_shaped", "--by", "type", "--currency",
                      "EUR", "--from", "2026-11-10", "--to", "2026-11-10")
    assert doc["rows"][0]["key"] == "demo_attended"
    doc = attribution(server, ns, "--model", "w_shaped", "--from", "2026-11-10",
                      "--to", "2026-11-10")
    assert (doc["by"], doc["currency"]) == ("channel", "USD")
    assert doc["rows"] == [{"key": "email", "revenue": "0.11", "conversions": "1.000000"}]


@pytest.mark.parametrize("model", MODELS)
def test_every_model_reads_its_own_key(server, db, ns, model):
    for i, m in enumerate(MODELS):
        write_attr(db, ns, "2026-11-10", {"email": (100 + i, 1000000)}, model=m)
    doc = attribution(server, ns, "--model", model, "--from", "2026-11-10",
                      "--to", "2026-11-10")
    assert doc["rows"][0]["revenue"] == cents(100 + MODELS.index(model))


def test_huge_revenue_stays_exact(server, db, ns):
    # 10^14 cents (the largest revenue of one event) on two days, plus a cent.
    write_attr(db, ns, "2026-11-10", {"paid_search": (10**14, 1000000)})
    write_attr(db, ns, "2026-11-11", {"paid_search": (10**14 + 1, 1000000)})
    doc = attribution(server, ns, "--model", "linear", "--from", "2026-11-10",
                      "--to", "2026-11-11")
    assert doc["total"] == {"revenue": "2000000000000.01", "conversions": "2.000000"}


def test_empty_range_gives_zeros(server, db, ns):
    write_attr(db, ns, "2026-11-10", ATTR_DAYS["2026-11-10"])
    doc = attribution(server, ns, "--model", "linear", "--from", "2020-01-01",
                      "--to", "2020-01-31")
    assert doc["total"] == {"revenue": "0.00", "conversions": "0.000000"}
    assert doc["rows"] == []


def test_default_range_is_the_last_30_days(server, db, ns):
    today = datetime.datetime.now(datetime.timezone.utc).date()
    for back, r in [(0, 1), (29, 10), (30, 100)]:
        write_attr(db, ns, (today - datetime.timedelta(days=back)).isoformat(),
                   {"email": (r, 1)})
    doc = attribution(server, ns, "--model", "linear")
    assert doc["to"] == today.isoformat()
    assert doc["from"] == (today - datetime.timedelta(days=29)).isoformat()
    assert doc["total"]["revenue"] == "0.11"


def test_long_range_reads_every_batch(server, db, ns):
    first = datetime.date(2020, 1, 1)
    total = 0
    for i, back in enumerate([0, 127, 128, 129, 255, 256, 999]):
        write_attr(db, ns, (first + datetime.timedelta(days=back)).isoformat(),
                   {"email": (i + 1, 0)})
        total += i + 1
    write_attr(db, ns, (first + datetime.timedelta(days=1000)).isoformat(),
               {"email": (10**6, 0)})
    doc = attribution(server, ns, "--model", "linear", "--from", first.isoformat(),
                      "--to", (first + datetime.timedelta(days=999)).isoformat())
    assert doc["total"]["revenue"] == cents(total)


def test_csv(server, db, ns):
    days = {"2026-11-10": {"paid_search": (600000, 20500000), "email": (400000, 15000000),
                           'say "hi", now': (234567, 6500000)}}
    write_attr(db, ns, "2026-11-10", days["2026-11-10"])
    out = attribution(server, ns, "--model", "linear", "--from", "2026-11-10",
                      "--to", "2026-11-10", fmt="csv")
    assert out.splitlines() == [
        "key,revenue,conversions,share",
        "paid_search,6000.00,20.500000,0.4860",
        "email,4000.00,15.000000,0.3240",
        '"say ""hi"", now",2345.67,6.500000,0.1900',
    ]


def test_table_with_department_subtotals(server, db, ns):
    write_attr(db, ns, "2026-11-10", {"paid_search": (1234567, 2000000),
                                      "sales_outreach": (50000, 1000000),
                                      "(direct)": (100, 1000000)})
    write_attr(db, ns, "2026-11-10", {"marketing": (1234567, 2000000),
                                      "sales": (50000, 1000000),
                                      "unattributed": (100, 1000000)}, by="department")
    out = attribution(server, ns, "--model", "linear", "--from", "2026-11-10",
                      "--to", "2026-11-10", fmt="table")
    lines = out.splitlines()
    assert "linear model" in lines[0] and "USD" in lines[0]
    head = lines.index(next(line for line in lines if line.startswith("channel ")))
    assert lines[head].split() == ["channel", "revenue", "share", "conversions"]
    assert lines[head + 1].split() == ["paid_search", "12,345.67", "96.10%", "2.000000"]
    assert lines[head + 2].split() == ["sales_outreach", "500.00", "3.89%", "1.000000"]
    assert lines[head + 3].split() == ["(direct)", "1.00", "0.01%", "1.000000"]
    assert set(lines[head + 4]) == {"-"}
    assert lines[head + 5].split() == ["total", "12,846.67", "100.00%", "4.000000"]
    sub = lines.index("by department")
    assert [line.split()[0] for line in lines[sub + 1:]] == ["marketing", "sales",
                                                             "unattributed"]
    assert lines[sub + 2].split() == ["sales", "500.00", "3.89%", "1.000000"]
    # Columns are aligned: every revenue cell ends in the same column.
    ends = {line.index(cell) + len(cell) for line in lines[head + 1:head + 4]
            for cell in [line.split()[1]]}
    assert len(ends) == 1

    out = attribution(server, ns, "--model", "linear", "--by", "department",
                      "--from", "2026-11-10", "--to", "2026-11-10", fmt="table")
    assert "by department\n" not in out.split("\n", 1)[1]
    assert "marketing" in out and "12,846.67" in out


@pytest.mark.parametrize("args, flag", [
    ([], "--model"),
    (["--model", "u_shaped"], "--model"),
    (["--model", "Linear"], "--model"),
    (["--model", "linear", "--currency", "usd"], "--currency"),
    (["--model", "linear", "--currency", "EURO"], "--currency"),
    (["--model", "linear", "--currency", "US"], "--currency"),
    (["--model", "linear", "--by", "source"], "--by"),
    (["--model", "linear", "--channel", "email"], "--channel"),
    (["--model", "linear", "--campaign", "bf"], "--campaign"),
    (["--model", "linear", "--sla-days", "3"], "--sla-days"),
    (["--model", "linear", "--from", "2026-02-30"], "--from"),
    (["--model", "linear", "--format", "xml"], "--format"),
])
def test_attribution_bad_input_names_the_flag_and_exits_2(server, ns, args, flag):
    p = run(server, ns, "attribution", *args)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert flag in p.stderr
    assert p.stdout == ""


def test_attribution_errors_name_the_key(server, db, ns):
    key = attr_key(ns, "2026-11-11")
    db.set(key, "not a hash")
    p = run(server, ns, "attribution", "--model", "linear", "--from", "2026-11-10",
            "--to", "2026-11-12")
    assert p.returncode == 1 and p.stdout == ""
    assert "WRONGTYPE" in p.stderr and key in p.stderr
    db.delete(key)
    db.hset(key, mapping={"r:email": "12.50"})
    p = run(server, ns, "attribution", "--model", "linear", "--from", "2026-11-10",
            "--to", "2026-11-12")
    assert p.returncode == 1 and p.stdout == ""
    assert key in p.stderr and "r:email" in p.stderr and "not an integer" in p.stderr
    # The table also reads the department breakdown: its errors are reported too.
    db.delete(key)
    dkey = attr_key(ns, "2026-11-10", by="department")
    db.hset(dkey, mapping={"c:sales": "x"})
    p = run(server, ns, "attribution", "--model", "linear", "--from", "2026-11-10",
            "--to", "2026-11-12", "--format", "table")
    assert p.returncode == 1 and dkey in p.stderr and "c:sales" in p.stderr


def test_attribution_redis_unreachable_exits_1(ns):
    p = run(free_port(), ns, "attribution", "--model", "linear")
    assert p.returncode == 1 and "cannot connect to Redis" in p.stderr


# ---- handoff ---------------------------------------------------------------

def handoff_key(ns, day):
    return f"{ns}:v1:handoff:{day}"


def write_handoff(db, ns, day, leads, within, delays):
    fields = {"leads": str(leads), "within_sla": str(within)}
    fields.update({f"d:{s}": str(n) for s, n in delays.items()})
    db.hset(handoff_key(ns, day), mapping=fields)


def median_hours(delays_by_day):
    """The exact median of the delays, in hours, rounded half up to 2 decimals."""
    values = sorted(s for delays in delays_by_day for s, n in delays.items()
                    for _ in range(n))
    if not values:
        return None
    n = len(values)
    m = (decimal.Decimal(values[n // 2]) if n % 2 else
         decimal.Decimal(values[n // 2 - 1] + values[n // 2]) / 2)
    assert m == decimal.Decimal(statistics.median(values))
    return (m / 3600).quantize(decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_UP)


HANDOFF_DAYS = {
    "2026-11-09": (1000, 1000, {60: 1000}),
    "2026-11-10": (70, 50, {108000: 20, 1800: 5}),        # 30 h, 0.5 h
    "2026-11-11": (50, 30, {111600: 21, 700000: 4}),      # 31 h, > 7 d
    "2026-11-12": (0, 0, {}),
    "2026-11-13": (1000, 0, {1: 1000}),
}


def handoff(port, ns, *args, fmt="json", **kw):
    p = run(port, ns, "handoff", "--format", fmt, *args, **kw)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_handoff_json(server, db, ns):
    for day, (leads, within, delays) in HANDOFF_DAYS.items():
        write_handoff(db, ns, day, leads, within, delays)
    out = handoff(server, ns, "--from", "2026-11-10", "--to", "2026-11-12")
    doc = json.loads(out, parse_float=decimal.Decimal)
    assert list(doc) == ["from", "to", "sla_days", "leads", "handed_off_within_sla",
                         "median_delay_hours"]
    assert doc["from"] == "2026-11-10" and doc["to"] == "2026-11-12"
    assert doc["sla_days"] == 7
    assert doc["leads"] == 120 and doc["handed_off_within_sla"] == 80
    in_range = [HANDOFF_DAYS[d][2] for d in ["2026-11-10", "2026-11-11", "2026-11-12"]]
    # 50 delays: the 25th and 26th are 30 h and 31 h → 30.5.
    assert median_hours(in_range) == decimal.Decimal("30.50")
    assert doc["median_delay_hours"] == median_hours(in_range)
    assert '"median_delay_hours":30.5}' in out


@pytest.mark.parametrize("delays", [
    [{3600: 1}],                           # one delay
    [{3600: 1, 7200: 1, 10800: 1}],        # odd
    [{100: 1}, {200: 1}],                  # even, across days: 150 s = 0.0416 h
    [{18: 1}],                             # 0.005 h rounds half up to 0.01
    [{108900: 3}, {0: 2}],                 # 30.25 h
    [{1: 2, 2: 2}],                        # even inside one entry boundary
])
def test_handoff_median(server, db, ns, delays):
    for i, d in enumerate(delays):
        write_handoff(db, ns, f"2026-11-1{i}", 1, 1, d)
    doc = json.loads(handoff(server, ns, "--from", "2026-11-10", "--to", "2026-11-19"),
                     parse_float=decimal.Decimal)
    assert doc["median_delay_hours"] == median_hours(delays)


def test_handoff_empty_range_and_no_delays(server, db, ns):
    doc = json.loads(handoff(server, ns, "--from", "2026-11-10", "--to", "2026-11-12"))
    assert doc["leads"] == 0 and doc["handed_off_within_sla"] == 0
    assert doc["median_delay_hours"] is None
    write_handoff(db, ns, "2026-11-10", 5, 0, {})
    doc = json.loads(handoff(server, ns, "--from", "2026-11-10", "--to", "2026-11-12"))
    assert doc["leads"] == 5 and doc["median_delay_hours"] is None


def test_handoff_sla_days_from_env_and_flag(server, db, ns):
    args = ["--from", "2026-11-10", "--to", "2026-11-10"]
    doc = json.loads(handoff(server, ns, *args, env_extra={"FUNNEL_SLA_DAYS": "3"}))
    assert doc["sla_days"] == 3
    doc = json.loads(handoff(server, ns, *args, "--sla-days", "14",
                             env_extra={"FUNNEL_SLA_DAYS": "3"}))
    assert doc["sla_days"] == 14
    p = run(server, ns, "handoff", *args, "--sla-days", "0")
    assert p.returncode == 2 and "--sla-days" in p.stderr


def test_handoff_csv(server, db, ns):
    write_handoff(db, ns, "2026-11-10", 12, 8, {7200: 1, 9000: 1})
    out = handoff(server, ns, "--from", "2026-11-10", "--to", "2026-11-10", fmt="csv")
    assert out.splitlines() == [
        "from,to,sla_days,leads,handed_off_within_sla,median_delay_hours",
        "2026-11-10,2026-11-10,7,12,8,2.25",
    ]


def test_handoff_table(server, db, ns):
    for day, (leads, within, delays) in HANDOFF_DAYS.items():
        write_handoff(db, ns, day, leads, within, delays)
    out = handoff(server, ns, "--from", "2026-11-10", "--to", "2026-11-12", fmt="table")
    lines = out.splitlines()
    assert lines[2].split() == ["leads", "120"]
    assert "handed off within SLA (7 days)" in lines[3]
    assert lines[3].split()[-4:] == ["80", "(66.67%", "of", "leads)"]
    assert lines[4].split() == ["median", "delay", "30.5", "h"]
    hist = {line[:5].strip(): int(line[5:].split()[0]) for line in lines[7:]}
    assert hist == {"< 1h": 5, "1-4h": 0, "4-24h": 0, "1-2d": 41, "2-7d": 0, "> 7d": 4}


@pytest.mark.parametrize("args, flag", [
    (["--model", "linear"], "--model"),
    (["--by", "channel"], "--by"),
    (["--currency", "USD"], "--currency"),
    (["--channel", "email"], "--channel"),
    (["--to", "2026-13-01"], "--to"),
])
def test_handoff_bad_input_names_the_flag_and_exits_2(server, ns, args, flag):
    p = run(server, ns, "handoff", *args)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert flag in p.stderr and p.stdout == ""


def test_handoff_errors_name_the_key(server, db, ns):
    key = handoff_key(ns, "2026-11-11")
    db.hset(key, mapping={"leads": "3", "d:3600": "two"})
    p = run(server, ns, "handoff", "--from", "2026-11-10", "--to", "2026-11-12")
    assert p.returncode == 1 and p.stdout == ""
    assert key in p.stderr and "d:3600" in p.stderr and "not a count" in p.stderr
    db.delete(key)
    db.hset(key, mapping={"leads": "-1"})
    p = run(server, ns, "handoff", "--from", "2026-11-10", "--to", "2026-11-12")
    assert p.returncode == 1 and key in p.stderr and "leads" in p.stderr
    db.delete(key)
    db.rpush(key, "x")
    p = run(server, ns, "handoff", "--from", "2026-11-10", "--to", "2026-11-12")
    assert p.returncode == 1 and "WRONGTYPE" in p.stderr and key in p.stderr
