/* bench_io.c — see bench_io.h. */
#include "bench_io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double fsb_mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *fsb_env_or(const char *name, const char *def)
{
    const char *v = getenv(name);
    return v && *v ? v : def;
}

/* "redis://host[:port][/db]" → its parts; 0, or -1 when malformed. */
static int parse_url(const char *url, char *host, size_t host_size, int *port, int *db)
{
    if (strncmp(url, "redis://", 8))
        return -1;
    const char *p = url + 8;
    size_t hlen = strcspn(p, ":/");
    if (!hlen || hlen >= host_size)
        return -1;
    memcpy(host, p, hlen);
    host[hlen] = '\0';
    p += hlen;
    char *end;
    if (*p == ':') {
        long v = strtol(p + 1, &end, 10);
        if (end == p + 1 || v < 1 || v > 65535)
            return -1;
        *port = (int)v;
        p = end;
    }
    if (*p == '/') {
        long v = strtol(p + 1, &end, 10);
        if (end == p + 1 || v < 0 || v > 1000000)
            return -1;
        *db = (int)v;
        p = end;
    }
    return *p ? -1 : 0;
}

redisContext *fsb_redis_open(const char *prog, const char *url)
{
    char host[256];
    int port = 6379, db = 0;
    if (parse_url(url, host, sizeof(host), &port, &db) != 0) {
        fprintf(stderr, "%s: cannot parse the Redis URL %s (redis://host[:port][/db])\n",
                prog, url);
        return NULL;
    }
    redisContext *c = redisConnect(host, port);
    if (!c || c->err) {
        fprintf(stderr, "%s: redis %s:%d: %s\n", prog, host, port,
                c ? c->errstr : "out of memory");
        if (c)
            redisFree(c);
        return NULL;
    }
    if (db) {
        redisReply *r = redisCommand(c, "SELECT %d", db);
        int ok = r && r->type != REDIS_REPLY_ERROR;
        if (r)
            freeReplyObject(r);
        if (!ok) {
            fprintf(stderr, "%s: SELECT %d failed\n", prog, db);
            redisFree(c);
            return NULL;
        }
    }
    return c;
}

/* Applies "prop=value" @p x to @p kc; 0, or -1 with a message. */
static int set_prop(const char *prog, rd_kafka_conf_t *kc, const char *x)
{
    char prop[256], err[512];
    const char *eq = strchr(x, '=');
    size_t plen = eq ? (size_t)(eq - x) : 0;
    if (!eq || plen >= sizeof(prop)) {
        fprintf(stderr, "%s: -X %s: expected prop=value\n", prog, x);
        return -1;
    }
    memcpy(prop, x, plen);
    prop[plen] = '\0';
    if (rd_kafka_conf_set(kc, prop, eq + 1, err, sizeof(err))) {
        fprintf(stderr, "%s: -X %s: %s\n", prog, x, err);
        return -1;
    }
    return 0;
}

/* Assigns every partition of @p topic from the beginning; 0 or -1. */
static int assign_all(const char *prog, rd_kafka_t *rk, const char *topic, int *npart)
{
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    rd_kafka_resp_err_t me =
        rkt ? rd_kafka_metadata(rk, 0, rkt, &md, 10000) : RD_KAFKA_RESP_ERR__FAIL;
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    if (me || md->topic_cnt != 1 || md->topics[0].err) {
        fprintf(stderr, "%s: metadata of %s: %s\n", prog, topic,
                rd_kafka_err2str(me                   ? me
                                 : md->topic_cnt != 1 ? RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC
                                                      : md->topics[0].err));
        if (md)
            rd_kafka_metadata_destroy(md);
        return -1;
    }
    *npart = md->topics[0].partition_cnt;
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(*npart);
    for (int i = 0; i < *npart; i++)
        rd_kafka_topic_partition_list_add(parts, topic, md->topics[0].partitions[i].id)
            ->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_metadata_destroy(md);
    rd_kafka_resp_err_t ae = rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    if (ae) {
        fprintf(stderr, "%s: assign: %s\n", prog, rd_kafka_err2str(ae));
        return -1;
    }
    return 0;
}

rd_kafka_t *fsb_kafka_open(const char *prog, const char *brokers, const char *topic,
                           const char *const *xs, size_t nx, int *npart, int *bad)
{
    char err[512];
    rd_kafka_conf_t *kc = rd_kafka_conf_new();
    *bad = 0;
    if (rd_kafka_conf_set(kc, "bootstrap.servers", brokers, err, sizeof(err)) ||
        rd_kafka_conf_set(kc, "group.id", "fs-bench-unused", err, sizeof(err)) ||
        rd_kafka_conf_set(kc, "enable.auto.commit", "false", err, sizeof(err))) {
        fprintf(stderr, "%s: %s\n", prog, err);
        rd_kafka_conf_destroy(kc);
        return NULL;
    }
    for (size_t i = 0; i < nx; i++)
        if (set_prop(prog, kc, xs[i]) != 0) {
            rd_kafka_conf_destroy(kc);
            *bad = 1;
            return NULL;
        }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, kc, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "%s: %s\n", prog, err);
        rd_kafka_conf_destroy(kc);
        return NULL;
    }
    rd_kafka_poll_set_consumer(rk);
    if (assign_all(prog, rk, topic, npart) != 0) {
        rd_kafka_destroy(rk);
        return NULL;
    }
    return rk;
}
