#!/usr/bin/python3
"""latency_probe.py — end-to-end latency of the pipeline (bench/worker_bench, step 5).

Against a running funnel-collector and funnel-worker(s) sharing a namespace:

1. max rate: THREADS clients post batches of BATCH unique events flat out
   for --max-rate-s seconds; accepted events/s is the collector's rate, and
   the growth of `<ns>:v1:offsets` over the last 60% of the burst is the
   worker's rate while collector, Kafka and Redis share the box.  The
   sustainable rate is the smaller of the two; the background rate is half
   of it.  (--worker-rate, the worker's rate alone, is only reported.)
2. waits until the worker has applied everything posted so far (the
   `<ns>:v1:offsets` hash covers the topic's end offsets).
3. background load at the background rate, and every --interval seconds one
   probe event (type ad_click → stage awareness, a unique channel per probe).
   For each probe: from the moment the collector's 200 arrives until
   `HGET <ns>:v1:events:<day> sc:awareness:<channel>` is visible, polled
   every 2 ms (all outstanding probes in one pipeline).

Prints one JSON object on stdout (rates, probes, p50/p90/p99/max in ms).
Needs Debian's python3-redis and python3-confluent-kafka (/usr/bin/python3).
"""
import argparse
import http.client
import json
import random
import sys
import threading
import time
import urllib.parse

import redis
from confluent_kafka import Consumer, TopicPartition

TYPES = ["page_view"] * 30 + ["ad_impression"] * 35 + ["email_open"] * 10 + \
    ["ad_click"] * 6 + ["email_click"] * 3 + ["content_download"] * 2 + \
    ["sales_call"] * 1 + ["sale"] * 2 + ["email_signup"] * 2
CHANNELS = ["paid_search", "email", "social", "organic_search", "events", "sales_outreach"]


def log(*a):
    print("latency_probe:", *a, file=sys.stderr, flush=True)


class Poster:
    """One keep-alive HTTP connection to the collector."""

    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port or 80
        self.conn = None

    def post(self, body):
        for attempt in range(3):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                self.conn.request("POST", "/v1/events", body,
                                  {"Content-Type": "application/json"})
                r = self.conn.getresponse()
                data = r.read()
                return r.status, data
            except (OSError, http.client.HTTPException):
                if self.conn:
                    self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        return 0, b""


def batch_body(prefix, n, rnd):
    evs = []
    for i in range(n):
        evs.append({"event_id": "%s-%d" % (prefix, i), "type": rnd.choice(TYPES),
                    "user_id": "lp-u%d" % rnd.randrange(200000),
                    "channel": rnd.choice(CHANNELS), "campaign": "lp_c%d" % rnd.randrange(20)})
    return json.dumps({"batch": evs})


def accepted_of(status, data):
    if status != 200:
        return 0
    try:
        return int(json.loads(data)["accepted"])
    except (ValueError, KeyError):
        return 0


def end_offsets(brokers, topic):
    c = Consumer({"bootstrap.servers": brokers, "group.id": "latency-probe-ends"})
    try:
        md = c.list_topics(topic, timeout=10)
        return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                for p in md.topics[topic].partitions}
    finally:
        c.close()


def wait_caught_up(r, ns, brokers, topic, timeout):
    ends = end_offsets(brokers, topic)
    t0 = time.time()
    while time.time() - t0 < timeout:
        offs = r.hgetall("%s:v1:offsets" % ns)
        if all(hi == 0 or int(offs.get(("%s:%d" % (topic, p)).encode(), -1)) + 1 >= hi
               for p, hi in ends.items()):
            return time.time() - t0
        time.sleep(0.1)
    raise SystemExit("latency_probe: worker did not catch up in %d s" % timeout)


def applied(r, ns, topic):
    """Messages of @topic the worker(s) of @ns have applied (sum of offset + 1)."""
    offs = r.hgetall("%s:v1:offsets" % ns)
    pre = (topic + ":").encode()
    return sum(int(v) + 1 for k, v in offs.items() if k.startswith(pre))


def flat_out(url, seconds, threads, batch, run, r, ns, topic):
    """Posts flat out; returns (collector accepted events/s, worker applied
    events/s over the last 60% of the burst, when its backlog keeps it busy)."""
    total = [0] * threads
    t0 = time.time()
    stop = t0 + seconds

    def go(k):
        p, rnd, n = Poster(url), random.Random(k), 0
        while time.time() < stop:
            total[k] += accepted_of(*p.post(batch_body("mx-%s-%d-%d" % (run, k, n), batch, rnd)))
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


def percentile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(round(q / 100.0 * len(xs) + 0.5)) - 1))]


def wait_collector_ready(url, who, tries=100):
    """Waits until the collector at @url answers /readyz with 200 (20 s)."""
    p = Poster(url)
    for _ in range(tries):
        try:
            c = http.client.HTTPConnection(p.host, p.port, timeout=2)
            c.request("GET", "/readyz")
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("%s: collector not ready" % who)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--collector", required=True, help="http://127.0.0.1:PORT")
    ap.add_argument("--redis-port", type=int, required=True)
    ap.add_argument("--ns", required=True)
    ap.add_argument("--brokers", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--worker-rate", type=float, default=0, help="events/s the worker sustains")
    ap.add_argument("--max-rate-s", type=float, default=10)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--bg-batch", type=int, default=200)
    ap.add_argument("--probes", type=int, default=400)
    ap.add_argument("--interval", type=float, default=0.05)
    ap.add_argument("--timeout", type=float, default=10, help="a probe never seen after this is lost")
    a = ap.parse_args()
    run = "%x" % int(time.time() * 1000)
    r = redis.Redis(port=a.redis_port)
    wait_collector_ready(a.collector, "latency_probe")
    p = Poster(a.collector)

    # The pipeline's sustainable rate is the slower of the collector and the
    # worker while both run (they share the box with Kafka and Redis): the
    # worker's isolated rate (--worker-rate) is only reported.
    coll_rate, burst_rate = flat_out(a.collector, a.max_rate_s, a.threads, a.batch, run, r,
                                     a.ns, a.topic)
    if burst_rate <= 0:
        # No batch finished inside the window (a worker slower than its
        # batches): fall back to the worker's rate alone.
        burst_rate = a.worker_rate
    sustainable = min(coll_rate, burst_rate) if burst_rate > 0 else coll_rate
    bg_rate = sustainable / 2
    log("collector max %.0f events/s, worker during the burst %.0f events/s (alone %.0f) "
        "-> background %.0f events/s" % (coll_rate, burst_rate, a.worker_rate, bg_rate))
    caught = wait_caught_up(r, a.ns, a.brokers, a.topic, 600)
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
            got = accepted_of(*pp.post(batch_body("bg-%s-%d-%d" % (run, k, n), a.bg_batch, rnd)))
            with lock:
                bg_sent[0] += got
            n += 1
            nxt += a.bg_batch / per_thread
            d = nxt - time.time()
            if d > 0:
                time.sleep(d)

    outstanding = {}  # channel -> (t_ack, [days])
    lat, lost, bad = [], [0], [0]

    def poller():
        pr = redis.Redis(port=a.redis_port)
        while not stop.is_set() or outstanding:
            with lock:
                items = list(outstanding.items())
            if items:
                pipe = pr.pipeline(transaction=False)
                for ch, (t_ack, days) in items:
                    for d in days:
                        pipe.hget("%s:v1:events:%s" % (a.ns, d), "sc:awareness:" + ch)
                res = pipe.execute()
                now = time.time()
                i = 0
                for ch, (t_ack, days) in items:
                    seen = any(res[i + j] is not None for j in range(len(days)))
                    i += len(days)
                    if seen or now - t_ack > a.timeout:
                        with lock:
                            del outstanding[ch]
                        if seen:
                            lat.append((now - t_ack) * 1000)
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
        ch = "probe-%s-%d" % (run, i)
        body = json.dumps({"event_id": "pr-%s-%d" % (run, i), "type": "ad_click",
                           "user_id": "probe-%s-%d" % (run, i), "channel": ch})
        t_post = time.time()
        status, data = p.post(body)
        t_ack = time.time()
        if status != 200:
            bad[0] += 1
            log("probe %d: HTTP %d %s" % (i, status, data[:200]))
        else:
            days = sorted({time.strftime("%Y-%m-%d", time.gmtime(t)) for t in (t_post, t_ack)})
            with lock:
                outstanding[ch] = (t_ack, days)
        nxt += a.interval
        d = nxt - time.time()
        if d > 0:
            time.sleep(d)
    bg_achieved = (bg_sent[0] - bg0) / (time.time() - t_bg0)
    stop.set()
    for t in bgs if per_thread > 0 else []:
        t.join()
    pt.join()
    out = {"collector_max_rate": round(coll_rate), "worker_rate_alone": round(a.worker_rate),
           "worker_rate_during_burst": round(burst_rate), "sustainable_rate": round(sustainable),
           "background_target_rate": round(bg_rate), "background_achieved_rate": round(bg_achieved),
           "probes": a.probes, "seen": len(lat), "lost": lost[0], "http_errors": bad[0]}
    if lat:
        out.update({"p50_ms": round(percentile(lat, 50), 1), "p90_ms": round(percentile(lat, 90), 1),
                    "p99_ms": round(percentile(lat, 99), 1), "max_ms": round(max(lat), 1),
                    "min_ms": round(min(lat), 1)})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
