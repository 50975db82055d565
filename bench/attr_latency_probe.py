#!/usr/bin/python3
"""attr_latency_probe.py — collector 200 → attribution credit visible in Redis.

Run by bench/attribution_bench against a running funnel-collector and one
funnel-worker sharing a namespace whose offsets start at the topic's end.
Derived from bench/latency_probe.py (same max-rate method); differences:

- background events follow fs-bench-fill's mix: ~20% touches, ~2%
  conversions with revenue, ~3% identify, 30% of persons anonymous until
  they identify (so identity stitching and attribution run, not only counts);
- a probe is one request `{"batch": [touch, sale]}` for a fresh user: an
  `ad_click` on a channel of its own 1 s before a `sale` of 12.34 USD.  The
  latency runs from the collector's 200 (which covers both events) until
  `HGET <ns>:v1:attr:<day>:linear:channel:USD r:<channel>` is non-nil,
  polled every 2 ms (all outstanding probes in one pipeline);
- optionally (--query-bin), a few more probes are polled through
  `funnel-query attribution --model linear --format json` instead of HGET.

Steps:
1. max rate: THREADS clients post batches of BATCH events flat out for
   --max-rate-s s; the collector's accepted events/s, and the worker's
   applied events/s over the last 60% of the burst (growth of
   `<ns>:v1:offsets`).  Sustainable = the smaller; background = half of it.
2. wait until the worker has applied the burst.
3. background at that rate, one probe every --interval s.

Prints one JSON object on stdout.  Needs python3-redis and
python3-confluent-kafka (/usr/bin/python3).
"""
import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.parse

import redis

# The HTTP poster, offsets helpers and percentile are latency_probe.py's.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from latency_probe import (Poster, accepted_of, applied, end_offsets,  # noqa: E402
                           percentile, wait_caught_up, wait_collector_ready)

# Per 10,000 events, as fs-bench-fill (bench/fill_topic.c); repeat_purchase
# folded into sale.
MIX = [("ad_impression", 3500, None), ("page_view", 2900, None), ("email_open", 1100, None),
       ("ad_click", 600, None), ("social_engagement", 300, None),
       ("content_download", 200, None), ("email_signup", 150, None),
       ("email_click", 300, None), ("webinar_attended", 100, None),
       ("demo_requested", 80, None), ("sales_call", 120, None), ("demo_attended", 60, None),
       ("quote_sent", 40, None), ("referral", 50, None), ("sale", 200, "c"),
       ("identify", 300, "i")]
TYPES = [t for t, w, _ in MIX for _ in range(w // 10)]
CHANNELS = ["paid_search", "paid_social", "display", "email", "social", "organic_search",
            "events", "sales_outreach", "partner", "referral"]


def log(*a):
    print("attr_latency_probe:", *a, file=sys.stderr, flush=True)


def event(prefix, i, rnd, users):
    t = rnd.choice(TYPES)
    u = rnd.randrange(users)
    ev = {"event_id": "%s-%d" % (prefix, i), "type": t}
    anon = u % 10 < 3  # 30% of persons anonymous until they identify
    if t == "identify":
        ev["user_id"], ev["anonymous_id"] = "lp-u%d" % u, "lp-a%d" % u
    elif anon:
        ev["anonymous_id"] = "lp-a%d" % u
    else:
        ev["user_id"] = "lp-u%d" % u
    if t != "identify":
        ev["channel"] = rnd.choice(CHANNELS)
        ev["campaign"] = "lp_c%d" % rnd.randrange(48)
    if t == "sale":
        ev["revenue"] = "%d.%02d" % (rnd.randrange(10, 500), rnd.randrange(100))
        ev["currency"] = "USD"
    return ev


def batch_body(prefix, n, rnd, users):
    return json.dumps({"batch": [event(prefix, i, rnd, users) for i in range(n)]})


def probe_body(run, i, tag):
    ch = "probe-%s-%s%d" % (run, tag, i)
    now_ms = int(time.time() * 1000)
    user = "probe-%s-%s%d" % (run, tag, i)
    body = json.dumps({"batch": [
        {"event_id": "pt-%s-%s%d" % (run, tag, i), "type": "ad_click", "user_id": user,
         "channel": ch, "occurred_at": now_ms - 1000},
        {"event_id": "ps-%s-%s%d" % (run, tag, i), "type": "sale", "user_id": user,
         "channel": "direct", "revenue": "12.34", "currency": "USD", "occurred_at": now_ms}]})
    return ch, time.strftime("%Y-%m-%d", time.gmtime(now_ms / 1000.0)), body


def flat_out(url, seconds, threads, batch, run, r, ns, topic, users):
    total = [0] * threads
    t0 = time.time()
    stop = t0 + seconds

    def go(k):
        p, rnd, n = Poster(url), random.Random(k), 0
        while time.time() < stop:
            total[k] += accepted_of(*p.post(batch_body("mx-%s-%d-%d" % (run, k, n), batch,
                                                       rnd, users)))
            n += 1

    ts = [threading.Thread(target=go, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    time.sleep(seconds * 0.4)
    t1, a1 = time.time(), applied(r, ns, topic)
    for t in ts:
        t.join()
    t2, a2 = time.time(), applied(r, ns, topic)
    return sum(total) / (t2 - t0), (a2 - a1) / (t2 - t1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--collector", required=True, help="http://127.0.0.1:PORT")
    ap.add_argument("--redis-port", type=int, required=True)
    ap.add_argument("--ns", required=True)
    ap.add_argument("--brokers", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--users", type=int, default=50000, help="background persons")
    ap.add_argument("--max-rate-s", type=float, default=10)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--bg-batch", type=int, default=100)
    ap.add_argument("--probes", type=int, default=400)
    ap.add_argument("--interval", type=float, default=0.05)
    ap.add_argument("--timeout", type=float, default=10, help="a probe never seen after this is lost")
    ap.add_argument("--query-bin", help="funnel-query: also time a few probes through it")
    ap.add_argument("--query-probes", type=int, default=5)
    a = ap.parse_args()
    run = "%x" % int(time.time() * 1000)
    r = redis.Redis(port=a.redis_port)
    wait_collector_ready(a.collector, "attr_latency_probe")
    p = Poster(a.collector)

    coll_rate, burst_rate = flat_out(a.collector, a.max_rate_s, a.threads, a.batch, run, r,
                                     a.ns, a.topic, a.users)
    sustainable = min(coll_rate, burst_rate) if burst_rate > 0 else coll_rate
    bg_rate = sustainable / 2
    log("collector max %.0f events/s, worker during the burst %.0f events/s "
        "-> background %.0f events/s" % (coll_rate, burst_rate, bg_rate))
    caught = wait_caught_up(r, a.ns, a.brokers, a.topic, 1200)
    log("worker caught up with the max-rate burst in %.1f s" % caught)

    stop = threading.Event()
    lock = threading.Lock()
    bg_sent = [0]
    nbg = 4
    per_thread = bg_rate / nbg

    def background(k):
        pp, rnd, n = Poster(a.collector), random.Random(100 + k), 0
        nxt = time.time()
        while not stop.is_set():
            got = accepted_of(*pp.post(batch_body("bg-%s-%d-%d" % (run, k, n), a.bg_batch,
                                                  rnd, a.users)))
            with lock:
                bg_sent[0] += got
            n += 1
            nxt += a.bg_batch / per_thread
            d = nxt - time.time()
            if d > 0:
                time.sleep(d)

    outstanding = {}  # channel -> (t_ack, day)
    lat, lost, bad, wrong = [], [0], [0], [0]
    polling = threading.Event()

    def poller():
        pr = redis.Redis(port=a.redis_port)
        while not polling.is_set() or outstanding:
            with lock:
                items = list(outstanding.items())
            if items:
                pipe = pr.pipeline(transaction=False)
                for ch, (t_ack, day) in items:
                    pipe.hget("%s:v1:attr:%s:linear:channel:USD" % (a.ns, day), "r:" + ch)
                res = pipe.execute()
                now = time.time()
                for (ch, (t_ack, day)), v in zip(items, res):
                    if v is not None or now - t_ack > a.timeout:
                        with lock:
                            del outstanding[ch]
                        if v is not None:
                            lat.append((now - t_ack) * 1000)
                            if int(v) != 1234:
                                wrong[0] += 1
                        else:
                            lost[0] += 1
            time.sleep(0.002)

    bgs = [threading.Thread(target=background, args=(k,)) for k in range(nbg)]
    for t in bgs if per_thread > 0 else []:
        t.start()
    pt = threading.Thread(target=poller)
    pt.start()
    time.sleep(2)  # let the background load settle
    t_bg0, bg0 = time.time(), bg_sent[0]
    nxt = time.time()
    for i in range(a.probes):
        ch, day, body = probe_body(run, i, "")
        status, data = p.post(body)
        t_ack = time.time()
        if status != 200 or accepted_of(status, data) != 2:
            bad[0] += 1
            log("probe %d: HTTP %d %s" % (i, status, data[:200]))
        else:
            with lock:
                outstanding[ch] = (t_ack, day)
        nxt += a.interval
        d = nxt - time.time()
        if d > 0:
            time.sleep(d)
    polling.set()
    pt.join()
    bg_achieved = (bg_sent[0] - bg0) / (time.time() - t_bg0)

    # funnel-query probes (background still running): from the 200 until
    # `funnel-query attribution --model linear --format json` lists the channel.
    qlat, qcall, qlost = [], [], 0
    for i in range(a.query_probes if a.query_bin else 0):
        ch, day, body = probe_body(run, i, "q")
        status, data = p.post(body)
        t_ack = time.time()
        if status != 200:
            bad[0] += 1
            continue
        while True:
            t0 = time.time()
            out = subprocess.run([a.query_bin, "attribution", "--model", "linear", "--from", day,
                                  "--to", day, "--format", "json"], capture_output=True,
                                 env=dict(os.environ, FUNNEL_NAMESPACE=a.ns))
            t1 = time.time()
            qcall.append((t1 - t0) * 1000)
            if out.returncode != 0:
                log("funnel-query failed: %s" % out.stderr[:300])
                qlost += 1
                break
            rows = json.loads(out.stdout).get("rows", [])
            if any(row.get("key") == ch for row in rows):
                qlat.append((t1 - t_ack) * 1000)
                break
            if t1 - t_ack > a.timeout:
                qlost += 1
                break
        time.sleep(0.2)
    stop.set()
    for t in bgs if per_thread > 0 else []:
        t.join()

    out = {"collector_max_rate": round(coll_rate), "worker_rate_during_burst": round(burst_rate),
           "sustainable_rate": round(sustainable), "caught_up_s": round(caught, 1),
           "background_target_rate": round(bg_rate), "background_achieved_rate": round(bg_achieved),
           "probes": a.probes, "seen": len(lat), "lost": lost[0], "http_errors": bad[0],
           "wrong_credit": wrong[0]}
    if lat:
        out.update({"p50_ms": round(percentile(lat, 50), 1), "p90_ms": round(percentile(lat, 90), 1),
                    "p99_ms": round(percentile(lat, 99), 1), "max_ms": round(max(lat), 1),
                    "min_ms": round(min(lat), 1)})
    if a.query_bin:
        out.update({"query_probes": a.query_probes, "query_lost": qlost,
                    "query_latency_ms": [round(x, 1) for x in qlat],
                    "query_calls": len(qcall),
                    "query_call_ms_median": round(percentile(qcall, 50), 1) if qcall else None,
                    "query_call_ms_max": round(max(qcall), 1) if qcall else None})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
