"""Segment-compatible API of funnel-collector (docs/segment.md) on the real stack.

Every request in tests/fixtures/segment/ (bodies in the shape analytics.js,
Segment's HTTP Tracking API and the RudderStack JavaScript SDK send) is
posted to its route; each message must either be read back from Kafka
(decoded with python avro, conftest.FsSchema) with the mapped fields, or be
rejected with an error naming the Segment field, and dead-lettered.  Also:
write key as the Basic user name, CORS preflight, body limits, and that a
Segment body on /v1/events is refused (unknown fields) while the same
events are accepted on /v1/batch.

Run: /usr/bin/python3 -m pytest tests/integration/test_segment.py
with the stack's exports (deploy/local/stack up) and FS_BINARY_DIR set.
"""

import base64
import glob
import json
import os
import socket

from conftest import ROOT, fs_http, fs_read_topic

FIXTURES = sorted(glob.glob(os.path.join(ROOT, "tests", "fixtures", "segment", "*.json")))


def basic(user):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:".encode()).decode()}


def post(port, path, body, headers=None, content_type="application/json"):
    status, hdrs, raw = fs_http(port, "POST", path, body, content_type=content_type,
                                headers=headers)
    try:
        doc = json.loads(raw)
    except ValueError:
        doc = None
    return status, doc, hdrs


def test_segment_fixtures_accepted_and_mapped(fs_procs, fs_ctx, fs_schemas):
    assert len(FIXTURES) >= 5, FIXTURES
    col = fs_procs.collector("--write-keys", "wk-seg")
    want_ok, want_err = {}, []
    for path in FIXTURES:
        with open(path, encoding="utf-8") as f:
            fx = json.load(f)
        name = os.path.basename(path)
        status, doc, _ = post(col.port, fx["path"], fx["body"], headers=basic("wk-seg"))
        errors = [e for e in fx["expect"] if "error" in e]
        oks = [e for e in fx["expect"] if "error" not in e]
        assert status == (200 if oks else 400), (name, status, doc)
        if not errors:
            assert doc == {"success": True}, (name, doc)
        else:
            rejected = {r["index"]: r["error"] for r in doc["rejected"]}
            assert doc["accepted"] == len(oks), (name, doc)
            for i, e in enumerate(fx["expect"]):
                if "error" in e:
                    assert e["error"] in rejected.get(i, ""), (name, i, rejected.get(i), e)
                    want_err.append(rejected[i])
                else:
                    assert i not in rejected, (name, i, rejected[i])
        for e in oks:
            want_ok[e["event_id"]] = (name, e)

    v2 = fs_schemas["journey_event.v2.avsc"]
    got = [v2.decode(m.value()) for m in fs_read_topic(fs_ctx["brokers"], fs_ctx["topic"])]
    ids = [g["event_id"] for g in got]
    assert sorted(ids) == sorted(want_ok), (sorted(ids), sorted(want_ok))
    for g in got:
        name, e = want_ok[g["event_id"]]
        for k, v in e.items():
            assert g[k] == v, (name, g["event_id"], k, g[k], v)
        assert g["ingest_source"] == "collector"

    dl = fs_schemas["dead_letter.v1.avsc"]
    letters = [dl.decode(m.value()) for m in fs_read_topic(fs_ctx["brokers"], fs_ctx["dlq"])]
    assert sorted(d["reason"] for d in letters) == sorted(want_err)
    # the dead letter keeps the message as the SDK sent it (Segment's names)
    raw = [d for d in letters if "unknown event type" in d["reason"]]
    assert len(raw) == 1 and json.loads(raw[0]["raw"])["event"] == "Spaceship Launched", raw


def test_segment_http_contract(fs_procs, fs_ctx, fs_schemas):
    col = fs_procs.collector("--write-keys", "wk-seg", "--cors-origins",
                             "https://shop.example", "--max-events", "3",
                             "--bulk-linger-ms", "0")
    msg = {"type": "track", "event": "Content Download", "anonymousId": "a-1",
           "messageId": "c-1"}
    # the write key is the Basic user name; none, or a wrong one: 401
    status, doc, hdrs = post(col.port, "/v1/track", msg)
    assert status == 401 and "WWW-Authenticate" in hdrs, (status, doc)
    assert post(col.port, "/v1/track", msg, headers=basic("nope"))[0] == 401
    # text/plain, as browser SDKs send to avoid a preflight
    status, doc, _ = post(col.port, "/v1/track", msg, headers=basic("wk-seg"),
                          content_type="text/plain")
    assert (status, doc) == (200, {"success": True})
    # a retry with the same messageId is accepted again (de-duplicated downstream)
    assert post(col.port, "/v1/track", msg, headers=basic("wk-seg"))[0] == 200
    # CORS preflight from an allowed origin, and the answer to the POST itself
    status, hdrs, _ = fs_http(col.port, "OPTIONS", "/v1/batch", headers={
        "Origin": "https://shop.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, authorization"})
    assert status == 204 and hdrs["Access-Control-Allow-Origin"] == "https://shop.example"
    assert "authorization" in hdrs["Access-Control-Allow-Headers"].lower()
    status, doc, hdrs = post(col.port, "/v1/page", {"anonymousId": "a-2", "messageId": "c-2"},
                             headers={**basic("wk-seg"), "Origin": "https://shop.example"})
    assert status == 200 and hdrs["Access-Control-Allow-Origin"] == "https://shop.example"
    status, _, _ = fs_http(col.port, "OPTIONS", "/v1/batch",
                           headers={"Origin": "https://evil.example",
                                    "Access-Control-Request-Method": "POST"})
    assert status == 403
    # shapes and limits: the same as /v1/events, named for Segment
    for body, want in [
        (b"[1,2]", "body: expected a Segment batch object"),
        (b"{\"batch\": 7}", "batch: required, an array of messages"),
        (b"{\"batch\": []}", "batch: no messages"),
        (json.dumps({"batch": [msg] * 4}).encode(), "batch: 4 messages, at most 3 per request"),
        (b"{\"batch\": [", "body: not valid JSON"),
    ]:
        status, doc, _ = post(col.port, "/v1/batch", body, headers=basic("wk-seg"))
        assert status == 400 and want in doc["error"], (body[:40], status, doc)
    auth = basic("wk-seg")["Authorization"].encode()
    with socket.create_connection(("127.0.0.1", col.port), timeout=10) as s:
        s.sendall(b"POST /v1/batch HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth +
                  b"\r\nContent-Type: application/json\r\nContent-Length: 524289\r\n"
                  b"Connection: close\r\n\r\n")
        resp = s.recv(65536)
    assert resp.startswith(b"HTTP/1.1 413") and b"larger than 512 KiB" in resp, resp
    assert fs_http(col.port, "GET", "/v1/track")[0] == 405
    # a Segment message is not a docs/event.md event: /v1/events refuses it by name
    status, doc, _ = post(col.port, "/v1/events", {**msg, "messageId": "c-3"},
                          headers=basic("wk-seg"))
    assert status == 400 and "messageId: unknown field" in doc["rejected"][0]["error"], doc

    v2 = fs_schemas["journey_event.v2.avsc"]
    got = [v2.decode(m.value()) for m in fs_read_topic(fs_ctx["brokers"], fs_ctx["topic"])]
    assert sorted(g["event_id"] for g in got) == ["c-1", "c-1", "c-2"]
    page = [g for g in got if g["event_id"] == "c-2"][0]
    assert page["type"] == "page_view" and page["channel"] == "direct", page
