"""The dashboard page in a real headless Chromium against a live stack
(collector → Kafka → worker → Redis → `funnel-query serve`).

The numbers the page shows must be the API's; it must load without a
script error; and it must follow new events while it is open.  A
screenshot of each loaded view is kept under build/dashboard-screenshots/
(a CI artifact).
"""

import datetime
import html.parser
import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid

import pytest

from conftest import ROOT, fs_post_events
from dashboard_helpers import STAGES, dashboard, today  # noqa: F401

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SHOTS = os.path.join(ROOT, "build", "dashboard-screenshots")
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]


def chromium(url, *extra):
    """Runs headless Chromium once on @url; returns its stdout."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} missing: run scripts/install-deps")
    profile = tempfile.mkdtemp(prefix="fs-chromium-")
    try:
        p = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}",
                            "--virtual-time-budget=8000", "--window-size=1400,1000", *extra, url],
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr[-2000:]
        return p.stdout
    finally:
        shutil.rmtree(profile, ignore_errors=True)


class Dom(html.parser.HTMLParser):
    """Elements of a dumped DOM with their attributes and text."""

    VOID = {"meta", "link", "input", "br", "img", "hr", "col", "source", "path", "rect",
            "line", "circle", "stop", "area", "base", "wbr", "option"}

    def __init__(self, text):
        super().__init__()
        self.elements, self.stack = [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        el = {"tag": tag, "attrs": dict(attrs), "text": "", "parents": list(self.stack)}
        self.elements.append(el)
        if tag not in self.VOID:
            self.stack.append(el)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i]["tag"] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        for el in self.stack:
            el["text"] += data

    def by_id(self, ident):
        found = [e for e in self.elements if e["attrs"].get("id") == ident]
        assert found, f"#{ident} not in the page"
        return found[0]

    def within(self, parent, cls):
        return [e for e in self.elements if parent in e["parents"] and
                cls in (e["attrs"].get("class") or "").split()]


def number(text):
    return int(text.replace(",", "").strip())


def money_cents(text):
    return round(float(text.replace("$", "").replace(",", "").strip()) * 100)


def view(dash):
    first = today() - datetime.timedelta(days=25)
    last = today() + datetime.timedelta(days=1)
    return {"from": str(first), "to": str(last)}


def test_page_shows_the_api_numbers(dashboard):
    d = dashboard
    v = view(d)
    url = f"{d.url}#from={v['from']}&to={v['to']}&model=time_decay&by=channel&currency=USD"
    dom = Dom(chromium(url, "--dump-dom"))
    body = [e for e in dom.elements if e["tag"] == "body"][0]
    assert body["attrs"].get("data-loaded") == "1", "the page never loaded its data"
    errors = dom.by_id("errors")
    assert "hidden" in errors["attrs"] and not errors["text"].strip(), errors["text"]

    funnel = d.api("/api/funnel", v)
    rows = {e["attrs"]["data-stage"]: e for e in dom.elements if "data-stage" in e["attrs"]}
    assert list(rows) == STAGES
    for s in funnel["stages"]:
        row = rows[s["stage"]]
        users = dom.within(row, "users")[0]["text"]
        events = dom.within(row, "events")[0]["text"]
        assert number(events) == s["events"], s
        assert number(users) == s["users"], s
        rate = dom.within(row, "rate")[0]["text"].strip()
        if s["rate_from_previous"] is None:
            assert rate == "–"
        else:
            assert rate == f"{s['rate_from_previous'] * 100:.1f}%", (rate, s)
    assert number(dom.by_id("kpi-reached")["text"]) == funnel["stages"][0]["users"]

    attr = d.api("/api/attribution", {**v, "model": "time_decay", "by": "channel"})
    assert money_cents(dom.by_id("attr-total")["text"]) == money_cents(attr["total"]["revenue"])
    shown = [e for e in dom.elements if "data-key" in e["attrs"]]
    for row, want in zip(shown, attr["rows"]):
        assert row["attrs"]["data-key"] == want["key"]
        assert money_cents(dom.within(row, "revenue")[0]["text"]) == money_cents(want["revenue"])
    # The attribution total is the booked revenue.
    assert money_cents(dom.by_id("kpi-revenue")["text"]) == money_cents(attr["total"]["revenue"])

    handoff = d.api("/api/handoff", v)
    assert number(dom.by_id("handoff-leads")["text"]) == handoff["leads"]
    assert number(dom.by_id("kpi-leads")["text"]) == handoff["leads"]
    delays = d.api("/api/handoff/delays", v)
    bars = {e["attrs"]["data-bucket"]: int(e["attrs"]["data-value"])
            for e in dom.elements if "data-bucket" in e["attrs"]}
    if delays["handoffs"]:
        assert bars == {b["bucket"]: b["handoffs"] for b in delays["buckets"]}

    # Each daily chart sums to its series.
    users = json.loads(dom.by_id("chart-users")["attrs"]["data-totals"])
    assert users == [s["users"] for s in funnel["stages"]]
    leads = json.loads(dom.by_id("chart-leads")["attrs"]["data-totals"])
    assert leads == [handoff["leads"]]

    os.makedirs(SHOTS, exist_ok=True)
    shot = os.path.join(SHOTS, "dashboard.png")
    chromium(url, f"--screenshot={shot}")
    assert os.path.getsize(shot) > 20000


def test_page_with_a_filter_and_90_days(dashboard):
    d = dashboard
    channel = d.api("/api/attribution", {**view(d), "model": "linear"})["rows"][0]["key"]
    url = f"{d.url}#days=90&channel={channel}&model=w_shaped&by=campaign"
    dom = Dom(chromium(url, "--dump-dom"))
    assert [e for e in dom.elements if e["tag"] == "body"][0]["attrs"].get("data-loaded") == "1"
    assert not dom.by_id("errors")["text"].strip()
    funnel = d.api("/api/funnel", {"from": str(today() - datetime.timedelta(days=89)),
                                   "to": str(today()), "channel": channel})
    for e in dom.elements:
        if "data-stage" in e["attrs"]:
            s = next(s for s in funnel["stages"] if s["stage"] == e["attrs"]["data-stage"])
            assert number(dom.within(e, "events")[0]["text"]) == s["events"]
    points = json.loads(dom.by_id("chart-revenue")["attrs"]["data-totals"])
    assert len(points) == 1
    os.makedirs(SHOTS, exist_ok=True)
    chromium(url, f"--screenshot={os.path.join(SHOTS, 'dashboard-90d-filtered.png')}",
             "--window-size=1280,800")


# ------------------------------------------------------------- selenium ----

@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for f in FLAGS:
        opts.add_argument(f)
    profile = tempfile.mkdtemp(prefix="fs-chromium-")
    opts.add_argument(f"--user-data-dir={profile}")
    opts.add_argument("--window-size=1400,1000")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(fn, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_page_follows_new_events(dashboard, browser):
    d = dashboard
    browser.get(d.url + "#days=30")
    wait_for(lambda: browser.execute_script("return document.body.dataset.loaded"), 30,
             "the first load")

    def shown_events(stage):
        return browser.execute_script(
            "var c = document.querySelector('tr[data-stage=\"%s\"] .events');"
            "return c ? c.textContent : null;" % stage)

    before = number(shown_events("awareness"))
    refreshes = int(browser.execute_script("return document.body.dataset.refreshes"))
    assert before == d.api("/api/funnel")["stages"][0]["events"]

    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")
    batch = [{"type": "ad_impression", "anonymous_id": f"live-{uuid.uuid4().hex[:12]}",
              "occurred_at": now.replace("+00:00", "Z"), "channel": "display"}
             for _ in range(7)]
    status, doc, body = fs_post_events(d.collector.port, batch)
    assert status == 200 and doc["accepted"] == 7, body
    # The worker applies it within a second; the page picks it up on its own.
    after = wait_for(lambda: number(shown_events("awareness")) == before + 7, 30,
                     "the page to show the new events")
    assert after
    assert int(browser.execute_script("return document.body.dataset.refreshes")) > refreshes
    assert number(shown_events("awareness")) == d.api("/api/funnel")["stages"][0]["events"]

    # The view is in the URL: switching the model there redraws it.
    browser.execute_script("location.hash = 'days=30&model=first_touch&by=department'")
    wait_for(lambda: browser.execute_script(
        "return document.querySelector('#attribution th') && "
        "document.querySelector('#attribution th').textContent === 'department'"), 15,
        "the department view")
    assert browser.find_element("id", "model").get_attribute("value") == "first_touch"

    errors = browser.find_element("id", "errors").text
    assert not errors, errors
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, severe
    os.makedirs(SHOTS, exist_ok=True)
    browser.save_screenshot(os.path.join(SHOTS, "dashboard-live.png"))
