"""The Grafana dashboard in deploy/grafana/ against a running `funnel-query
serve`: every query of every panel, with Grafana's macros and each value of
the dashboard's variables filled in, must answer 200 with the fields the
panel reads (Infinity's root_selector and columns).  The provisioning files
must point the panels at the data source they define.
"""

import datetime
import itertools
import json
import os
import re
import urllib.parse

import yaml

from conftest import ROOT, fs_http
from dashboard_helpers import dashboard, today  # noqa: F401

GRAFANA = os.path.join(ROOT, "deploy", "grafana")


def load_dashboard():
    with open(os.path.join(GRAFANA, "dashboards", "funnelstream.json"), encoding="utf-8") as f:
        return json.load(f)


def variables(dash):
    return {v["name"]: [o["value"] for o in v["options"]] for v in dash["templating"]["list"]}


def expand(text, values):
    """Grafana's interpolation of the macros and variables the dashboard uses."""
    text = text.replace("${__from:date:YYYY-MM-DD}", values["__from"])
    text = text.replace("${__to:date:YYYY-MM-DD}", values["__to"])
    text = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: values[m.group(1) or m.group(2)], text)
    assert "$" not in text, text
    return text


def select(doc, root):
    for part in filter(None, root.split(".")):
        doc = doc[part]
    return doc if isinstance(doc, list) else [doc]


def check_value(value, kind, where):
    if kind == "number":
        assert value is None or isinstance(value, (int, float)) or \
            re.fullmatch(r"-?\d+(\.\d+)?", value), (where, value)
    elif kind == "timestamp":
        datetime.date.fromisoformat(value)
    else:
        assert isinstance(value, str), (where, value)


def test_provisioning_matches_the_panels():
    dash = load_dashboard()
    with open(os.path.join(GRAFANA, "provisioning", "datasources", "funnelstream.yaml"),
              encoding="utf-8") as f:
        ds = yaml.safe_load(f)["datasources"][0]
    with open(os.path.join(GRAFANA, "provisioning", "dashboards", "funnelstream.yaml"),
              encoding="utf-8") as f:
        provider = yaml.safe_load(f)["providers"][0]
    assert ds["type"] == "yesoreyeram-infinity-datasource"
    assert provider["type"] == "file" and provider["options"]["path"]
    assert dash["panels"]
    for panel in dash["panels"]:
        assert panel["targets"], panel["title"]
        for t in panel["targets"]:
            assert t["datasource"] == {"type": ds["type"], "uid": ds["uid"]}, panel["title"]


def test_every_panel_query_answers_with_its_fields(dashboard):
    dash = load_dashboard()
    choices = variables(dash)
    base = {"__from": str(today() - datetime.timedelta(days=29)), "__to": str(today())}
    asked = 0
    for panel in dash["panels"]:
        for t in panel["targets"]:
            assert t["type"] == "json" and t["source"] == "url" and t["url"].startswith("/api/")
            texts = [t["url"]] + [p["value"] for p in t["url_options"]["params"]]
            used = sorted({n for n in choices for s in texts
                           if f"${n}" in s or f"${{{n}}}" in s})
            for combo in itertools.product(*(choices[n] for n in used)):
                values = dict(base, **dict(zip(used, combo)))
                query = urllib.parse.urlencode(
                    [(p["key"], expand(p["value"], values)) for p in t["url_options"]["params"]])
                path = expand(t["url"], values) + "?" + query
                status, headers, body = fs_http(dashboard.port, "GET", path)
                where = (panel["title"], path)
                assert status == 200, (where, body)
                assert headers["Content-Type"] == "application/json"
                rows = select(json.loads(body), t.get("root_selector", ""))
                if t["format"] == "timeseries":
                    assert len(rows) == 30, where  # one point per day of the range
                for row in rows:
                    for col in t["columns"]:
                        assert col["selector"] in row, (where, col, row)
                        check_value(row[col["selector"]], col["type"], where)
                asked += 1
    assert asked >= 30  # every model × dimension × currency of the attribution panel too
