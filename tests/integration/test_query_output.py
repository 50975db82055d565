"""Safe output of funnel-query (docs/guarantees.md, items 8 and 9) on the real stack.

Another producer writes Avro records straight to the topic, bypassing the
collector's validation, with hostile campaign labels: spreadsheet
formulas, terminal escape sequences (colour, window title, BEL, a C1
CSI), a bidi override, wide characters.  (The worker's codec refuses text
that is not UTF-8; tests/unit/test_text.c covers such bytes.)  A real
funnel-worker puts them into a real Redis; then
`funnel-query attribution --by campaign` must write CSV whose label cells
a spreadsheet never evaluates, tables (also on a pseudo-terminal) without
one raw control character and with aligned columns for wide characters,
JSON that still carries the exact labels, and error messages that quote
a stored field without its control characters.

The last test starts a throwaway redis-server with a password and an ACL
user: a wrong password or a forbidden command stops funnel-query with a
message naming it and exit status 1.

Run: /usr/bin/python3 -m pytest tests/integration/test_query_output.py
with the stack's exports and FS_BINARY_DIR / FS_SOURCE_DIR set.
"""

import csv
import io
import json
import os
import pty
import select
import subprocess
import tempfile
import time
import unicodedata

import redis

from conftest import fs_binary, fs_producer, fs_wait_offsets
from test_pipeline import make_datum, now_ms
from test_query import start_redis, stop_redis

DAY = 86_400_000
HOUR = 3_600_000

FORMULA = '=HYPERLINK("http://evil.example/?x","click me")'
HOSTILE = [
    FORMULA,
    "\x1b[31mred\x1b]0;pwned\x07",  # colour, window title, bell
    "-2+3",
    "@SUM(1+1)",
    "+cmd|' /C calc'!A0",
    "csi\u009b2J",  # C1 CSI: clear screen
    "abc\u202edcba",  # right-to-left override
    "日本語キャンペーン",  # 9 characters, 18 columns
    'a,b "q"',
    "plain",
]
RAW_CONTROLS = [b"\x1b", b"\x07", b"\xc2\x9b", b"\xe2\x80\xae"]


def columns(text):
    """Display width as a terminal shows it (East Asian wide = 2 columns)."""
    return sum(0 if unicodedata.combining(c) else
               2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def produce_hostile(ctx, schemas):
    """One person per label: an ad_click with the label as its campaign and
    a sale an hour later, revenue (i + 1) * 100.00 so the order is known.
    Returns the conversion day as YYYY-MM-DD."""
    v2 = schemas["journey_event.v2.avsc"]
    base = (now_ms() // DAY - 2) * DAY + HOUR
    prod = fs_producer(ctx["brokers"])
    errors = []
    for i, label in enumerate(HOSTILE):
        user = f"{ctx['tag']}-u{i}"
        touch = make_datum(f"{ctx['tag']}-t{i}", "ad_click", user, base + i * 1000,
                           "paid_search", label)
        sale = make_datum(f"{ctx['tag']}-s{i}", "sale", user, base + HOUR + i * 1000)
        sale.update(revenue_cents=(i + 1) * 10_000, currency="USD")
        for d in (touch, sale):
            prod.produce(ctx["topic"], value=v2.encode(d), key=user.encode(),
                         on_delivery=lambda err, msg: err and errors.append(err))
    assert prod.flush(30) == 0 and not errors, errors
    return time.strftime("%Y-%m-%d", time.gmtime((base + HOUR) / 1000))


def query(ctx, *args):
    return subprocess.run([fs_binary("query"), "attribution", "--model", "last_touch",
                           "--by", "campaign", *args], env=ctx["env"], capture_output=True,
                          timeout=60)


def query_on_tty(ctx, *args):
    """Runs funnel-query with stdout on a pseudo-terminal (no --format:
    the terminal default); returns (exit status, the bytes it wrote)."""
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen([fs_binary("query"), "attribution", "--model", "last_touch",
                              "--by", "campaign", *args], env=ctx["env"], stdout=slave,
                             stderr=subprocess.PIPE)
        os.close(slave)
        slave = None
        out = b""
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            assert ready, "funnel-query wrote nothing to the terminal for 60 s"
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the terminal's other side is closed
                break
            if not chunk:
                break
            out += chunk
        p.stderr.read()
        return p.wait(timeout=60), out
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)


def assert_no_raw_control(out):
    for raw in RAW_CONTROLS:
        assert raw not in out, f"raw {raw!r} in the output:\n{out!r}"
    text = out.decode("utf-8")  # and it is UTF-8 throughout
    bad = [c for c in text if (ord(c) < 0x20 and c not in "\n\r") or 0x7f <= ord(c) <= 0x9f]
    assert not bad, f"control characters {bad!r} in:\n{text}"
    return text


def test_hostile_labels_in_csv_table_and_json(fs_ctx, fs_procs, fs_schemas):
    day = produce_hostile(fs_ctx, fs_schemas)
    w = fs_procs.worker()
    fs_wait_offsets(fs_ctx, [w], timeout=90)
    rng = ("--from", day, "--to", day)

    # JSON: the exact labels, control characters escaped.
    p = query(fs_ctx, *rng, "--format", "json")
    assert p.returncode == 0, p.stderr
    assert_no_raw_control(p.stdout)
    rows = json.loads(p.stdout)["rows"]
    assert [r["key"] for r in rows] == list(reversed(HOSTILE)), rows
    assert b"\\u001b" in p.stdout

    # CSV: every label cell inert, numbers still numbers, labels readable.
    p = query(fs_ctx, *rng, "--format", "csv")
    assert p.returncode == 0, p.stderr
    text = assert_no_raw_control(p.stdout)
    table = list(csv.reader(io.StringIO(text, newline="")))
    assert table[0] == ["key", "revenue", "conversions", "share"]
    keys = [r[0] for r in table[1:]]
    assert len(keys) == len(HOSTILE), table
    for key in keys:
        assert key[:1] not in ("=", "+", "-", "@", "\t", "\r"), f"live formula {key!r}"
    by_label = dict(zip(reversed(HOSTILE), keys))
    assert by_label[FORMULA] == "'" + FORMULA
    assert by_label["-2+3"] == "'-2+3"
    assert by_label["@SUM(1+1)"] == "'@SUM(1+1)"
    assert by_label["\x1b[31mred\x1b]0;pwned\x07"] == "\\x1b[31mred\\x1b]0;pwned\\x07"
    assert by_label["csi\u009b2J"] == "csi\\xc2\\x9b2J"
    assert by_label['a,b "q"'] == 'a,b "q"'  # quoted per RFC 4180, read back whole
    assert by_label["日本語キャンペーン"] == "日本語キャンペーン"
    assert by_label["plain"] == "plain"
    assert [r[1] for r in table[1:]] == [f"{(i + 1) * 100}.00"
                                         for i in reversed(range(len(HOSTILE)))]

    # Table, asked for and on a terminal: no raw control, aligned columns.
    p = query(fs_ctx, *rng, "--format", "table")
    assert p.returncode == 0, p.stderr
    piped = assert_no_raw_control(p.stdout)
    rc, out = query_on_tty(fs_ctx, *rng)
    assert rc == 0
    on_tty = assert_no_raw_control(out)
    assert on_tty.replace("\r\n", "\n") == piped
    lines = piped.split("\n")
    head = lines.index(next(l for l in lines if l.startswith("campaign ")))
    body = lines[head:head + 1 + len(HOSTILE)]
    widths = {columns(l) for l in body}
    assert len(widths) == 1, "misaligned table:\n" + "\n".join(
        f"{columns(l):3d} {l}" for l in body)
    assert "\\x1b[31mred\\x1b]0;pwned\\x07" in piped and "=HYPERLINK(" in piped

    # An error message quoting a stored field escapes it as well.
    key = f"{fs_ctx['ns']}:v1:attr:{day}:last_touch:campaign:USD"
    fs_ctx["redis"].hset(key, "r:\x1b]0;owned\x07\x1b[2J", "12x")
    p = query(fs_ctx, *rng, "--format", "csv")
    assert p.returncode == 1 and p.stdout == b"", p
    assert b"\\x1b]0;owned\\x07\\x1b[2J" in p.stderr and b"not an integer" in p.stderr
    assert_no_raw_control(p.stderr)


def acl_redis(tmp):
    proc, port = start_redis(tmp, "--requirepass", "admin-pw")
    admin = redis.Redis(host="127.0.0.1", port=port, password="admin-pw")
    # may read the funnel counts only: HGETALL (attribution) is forbidden
    admin.execute_command("ACL", "SETUSER", "dash", "on", ">dash-pw", "~*", "-@all",
                          "+hmget", "+exists", "+get", "+ping", "+auth", "+hello")
    return proc, port


def run_with(port, url_auth, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUNNEL_")}
    env.update(FUNNEL_REDIS_URL=f"redis://{url_auth}127.0.0.1:{port}/0",
               FUNNEL_NAMESPACE="acl")
    env.setdefault("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=1")
    return subprocess.run([fs_binary("query"), *args], env=env, capture_output=True,
                          text=True, timeout=60)


def test_wrong_password_and_forbidden_command_are_fatal():
    with tempfile.TemporaryDirectory(prefix="fs-query-acl-") as tmp:
        proc, port = acl_redis(tmp)
        try:
            attribution = ("attribution", "--model", "linear", "--format", "csv")
            p = run_with(port, ":not-the-password@", "funnel")
            assert p.returncode == 1, p
            assert "WRONGPASS" in p.stderr and "not-the-password" not in p.stderr, p.stderr

            p = run_with(port, "dash:wrong@", "funnel")
            assert p.returncode == 1 and "WRONGPASS" in p.stderr, p.stderr

            p = run_with(port, "", *attribution)  # no password at all
            assert p.returncode == 1 and "NOAUTH" in p.stderr, p.stderr

            p = run_with(port, "dash:dash-pw@", "funnel", "--format", "json")
            assert p.returncode == 0, p.stderr  # the user may read the counts

            p = run_with(port, "dash:dash-pw@", *attribution)
            assert p.returncode == 1 and p.stdout == "", p
            assert "NOPERM" in p.stderr and "hgetall" in p.stderr.lower(), p.stderr
        finally:
            stop_redis(proc)
