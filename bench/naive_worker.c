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
#include <time.h>

#include <hiredis/hiredis.h>
#include <librdkafka/rdkafka.h>

#include "fs_codec.h"
#include "fs_day.h"
#include "fs_definition.h"
#include "fs_event.h"

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *env_or(const char *name, const char *def)
{
    const char *v = getenv(name);
    return v && *v ? v : def;
}

int main(int argc, char **argv)
{
    uint64_t max = 200000;
    const char *ns = env_or("FUNNEL_NAMESPACE", "naive");
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--max"))
            max = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--namespace"))
            ns = argv[i + 1];
        else {
            fprintf(stderr, "usage: fs-bench-naive --max N [--namespace NS]\n");
            return 2;
        }
    }
    const char *brokers = env_or("FUNNEL_KAFKA_BROKERS", "localhost:9092");
    const char *topic = env_or("FUNNEL_TOPIC", "journey.events");
    const char *url = env_or("FUNNEL_REDIS_URL", "redis://127.0.0.1:6379/0");
    char host[256] = "127.0.0.1";
    int port = 6379, db = 0;
    if (sscanf(url, "redis://%255[^:/]:%d/%d", host, &port, &db) < 1) {
        fprintf(stderr, "fs-bench-naive: cannot parse FUNNEL_REDIS_URL %s\n", url);
        return 2;
    }

    char err[512];
    int rc = 1;
    fs_codec_t *codec = fs_codec_new(NULL, err, sizeof(err));
    fs_definition_t *def = codec ? fs_definition_new_default(err, sizeof(err)) : NULL;
    redisContext *c = NULL;
    rd_kafka_t *rk = NULL;
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (!codec || !def) {
        fprintf(stderr, "fs-bench-naive: %s\n", err);
        goto out;
    }
    c = redisConnect(host, port);
    if (!c || c->err) {
        fprintf(stderr, "fs-bench-naive: redis %s:%d: %s\n", host, port,
                c ? c->errstr : "out of memory");
        goto out;
    }
    if (db) {
        redisReply *r = redisCommand(c, "SELECT %d", db);
        if (r)
            freeReplyObject(r);
    }
    rd_kafka_conf_t *kc = rd_kafka_conf_new();
    if (rd_kafka_conf_set(kc, "bootstrap.servers", brokers, err, sizeof(err)) ||
        rd_kafka_conf_set(kc, "group.id", "fs-bench-naive-unused", err, sizeof(err)) ||
        rd_kafka_conf_set(kc, "enable.auto.commit", "false", err, sizeof(err))) {
        fprintf(stderr, "fs-bench-naive: %s\n", err);
        rd_kafka_conf_destroy(kc);
        goto out;
    }
    if (!(rk = rd_kafka_new(RD_KAFKA_CONSUMER, kc, err, sizeof(err)))) {
        fprintf(stderr, "fs-bench-naive: %s\n", err);
        rd_kafka_conf_destroy(kc);
        goto out;
    }
    rd_kafka_poll_set_consumer(rk);
    /* Every partition from the beginning, by explicit assignment. */
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    rd_kafka_resp_err_t me = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
    rd_kafka_topic_destroy(rkt);
    if (me || md->topic_cnt != 1 || md->topics[0].err) {
        fprintf(stderr, "fs-bench-naive: metadata of %s: %s\n", topic,
                rd_kafka_err2str(me ? me : md->topics[0].err));
        if (md)
            rd_kafka_metadata_destroy(md);
        goto out;
    }
    parts = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
    for (int i = 0; i < md->topics[0].partition_cnt; i++)
        rd_kafka_topic_partition_list_add(parts, topic, md->topics[0].partitions[i].id)
            ->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_metadata_destroy(md);
    if (rd_kafka_assign(rk, parts)) {
        fprintf(stderr, "fs-bench-naive: assign failed\n");
        goto out;
    }

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
            t0 = mono_s(); /* from the first message: excludes connection set-up */
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
    double secs = mono_s() - t0;
    fprintf(stderr,
            "fs-bench-naive: %" PRIu64 " messages, %" PRIu64 " HINCRBY, %" PRIu64
            " undecodable in %.2f s: %.0f events/s\n",
            n, incr, bad, secs, (double)n / secs);
    printf("naive: messages=%" PRIu64 " hincrby=%" PRIu64
           " seconds=%.3f events_per_s=%.0f\n",
           n, incr, secs, (double)n / secs);
    rc = 0;
out:
    if (parts)
        rd_kafka_topic_partition_list_destroy(parts);
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
