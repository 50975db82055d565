/*
 * naive_worker.c — fs-bench-naive: the baseline "naive worker" of the worker
 * benchmark (bench/worker_bench, docs/BENCHMARKS.md).
 *
 * What a first design would do: consume the topic, decode each record with
 * our codec, and for each event issue ONE synchronous HINCRBY of
 * `<ns>:v1:events:<day>` `s:<stage>` (hiredis redisCommand, no pipelining,
 * no script, no de-duplication, no offsets).  It does far less work per
 * event than funnel-worker (one counter instead of event/user counts,
 * de-duplication marks, person state and HyperLogLogs) — only the round-trip
 * pattern differs in its favour.  Stops after --max N messages (all
 * partitions together, read from the beginning by explicit assignment: no
 * consumer group) and prints the rate.
 *
 *   fs-bench-naive --max N [--namespace NS]
 *
 * Environment: FUNNEL_KAFKA_BROKERS, FUNNEL_TOPIC, FUNNEL_REDIS_URL
 * (redis://host:port[/db], no password), FUNNEL_NAMESPACE.
 * stdout: one line "naive: messages=.. hincrby=.. seconds=.. events_per_s=..".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <librdkafka/rdkafka.h>

#include "bench_io.h"
#include "fs_codec.h"
#include "fs_day.h"
#include "fs_definition.h"
#include "fs_event.h"

int main(int argc, char **argv)
{
    uint64_t max = 200000;
    const char *ns = fsb_env_or("FUNNEL_NAMESPACE", "naive");
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc) {
            fprintf(stderr, "usage: fs-bench-naive --max N [--namespace NS]\n");
            return 2;
        } else if (!strcmp(argv[i], "--max"))
            max = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--namespace"))
            ns = argv[i + 1];
        else {
            fprintf(stderr, "usage: fs-bench-naive --max N [--namespace NS]\n");
            return 2;
        }
    }
    const char *brokers = fsb_env_or("FUNNEL_KAFKA_BROKERS", "localhost:9092");
    const char *topic = fsb_env_or("FUNNEL_TOPIC", "journey.events");
    const char *url = fsb_env_or("FUNNEL_REDIS_URL", "redis://127.0.0.1:6379/0");

    char err[512];
    int rc = 1, npart = 0, bad_conf = 0;
    fs_codec_t *codec = fs_codec_new(NULL, err, sizeof(err));
    fs_definition_t *def = codec ? fs_definition_new_default(err, sizeof(err)) : NULL;
    redisContext *c = NULL;
    rd_kafka_t *rk = NULL;
    if (!codec || !def) {
        fprintf(stderr, "fs-bench-naive: %s\n", err);
        goto out;
    }
    if (!(c = fsb_redis_open("fs-bench-naive", url)))
        goto out;
    if (!(rk = fsb_kafka_open("fs-bench-naive", brokers, topic, NULL, 0, &npart,
                              &bad_conf)))
        goto out;

    uint64_t n = 0, incr = 0, bad = 0;
    double t0 = 0;
    while (n < max) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 1000);
        if (!m)
            continue;
        if (m->err) {
            rd_kafka_message_destroy(m);
            continue;
        }
        if (n == 0)
            t0 = fsb_mono_s(); /* from the first message: excludes connection set-up */
        n++;
        fs_event_t ev;
        memset(&ev, 0, sizeof(ev));
        if (fs_codec_decode_event(codec, m->payload, m->len, &ev, err, sizeof(err)) ==
            FS_OK) {
            const fs_event_type_t *et = fs_definition_lookup(def, ev.type);
            if (et && et->stage != FS_STAGE_NONE) {
                char day[11];
                fs_day_format(fs_day_from_ms(ev.occurred_at_ms), day);
                redisReply *r = redisCommand(c, "HINCRBY %s:v1:events:%s s:%s 1", ns, day,
                                             fs_stage_name(et->stage));
                if (!r || r->type == REDIS_REPLY_ERROR) {
                    fprintf(stderr, "fs-bench-naive: HINCRBY: %s\n",
                            r ? r->str : c->errstr);
                    if (r)
                        freeReplyObject(r);
                    fs_event_clear(&ev);
                    rd_kafka_message_destroy(m);
                    goto out;
                }
                freeReplyObject(r);
                incr++;
            }
        } else {
            bad++;
        }
        fs_event_clear(&ev);
        rd_kafka_message_destroy(m);
    }
    double secs = fsb_mono_s() - t0;
    fprintf(stderr,
            "fs-bench-naive: %" PRIu64 " messages, %" PRIu64 " HINCRBY, %" PRIu64
            " undecodable in %.2f s: %.0f events/s\n",
            n, incr, bad, secs, (double)n / secs);
    printf("naive: messages=%" PRIu64 " hincrby=%" PRIu64
           " seconds=%.3f events_per_s=%.0f\n",
           n, incr, secs, (double)n / secs);
    rc = 0;
out:
    if (rk) {
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
    }
    if (c)
        redisFree(c);
    fs_definition_destroy(def);
    fs_codec_destroy(codec);
    return rc;
}
