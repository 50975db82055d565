/*
 * fs_producer.c — idempotent Kafka producer (see fs_producer.h).
 */
#include "fs_producer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fs_kafka.h"

struct fs_producer {
    fs_kafka_opaque_t ko; /* first: librdkafka's log lines find the sink here */
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;     /* events */
    rd_kafka_topic_t *rkt_dlq; /* dead letters */
    fs_producer_delivery_fn *on_delivery;
    void *app_opaque;
};

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    fs_producer_t *p = opaque;
    (void)rk;
    if (p->on_delivery)
        p->on_delivery(p->app_opaque, m->_private, m->err);
}

fs_producer_t *fs_producer_new(const fs_conf_t *conf, int message_timeout_ms,
                               int linger_ms, char *errstr, size_t sz)
{
    char timeout[32];
    snprintf(timeout, sizeof(timeout), "%d", message_timeout_ms);
    /* Durability first (docs/guarantees.md): acks=all with the idempotent producer, so
     * retries never duplicate or reorder.  linger.ms 5 lets concurrent
     * requests share produce batches. */
    const char *const defaults[] = {"enable.idempotence",
                                    "true",
                                    "acks",
                                    "all",
                                    "linger.ms",
                                    "5",
                                    "message.timeout.ms",
                                    timeout,
                                    "compression.type",
                                    "lz4",
                                    NULL};
    fs_producer_t *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(errstr, sz, "out of memory");
        return NULL;
    }
    rd_kafka_conf_t *kc = fs_kafka_conf_new(conf, defaults, errstr, sz);
    if (!kc)
        goto fail;
    if (linger_ms >= 0) {
        char linger[16], err[256];
        snprintf(linger, sizeof(linger), "%d", linger_ms);
        if (rd_kafka_conf_set(kc, "linger.ms", linger, err, sizeof(err)) !=
            RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(kc);
            snprintf(errstr, sz, "kafka linger.ms %s: %s", linger, err);
            goto fail;
        }
    }
    p->ko.lg = fs_conf_log(conf);
    rd_kafka_conf_set_opaque(kc, p);
    rd_kafka_conf_set_dr_msg_cb(kc, dr_msg_cb);
    char err[512];
    p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, kc, err, sizeof(err));
    if (!p->rk) {
        rd_kafka_conf_destroy(kc);
        snprintf(errstr, sz, "kafka producer: %s", err);
        goto fail;
    }
    kc = NULL; /* now owned by rk */
    p->rkt = rd_kafka_topic_new(p->rk, fs_conf_str(conf, "kafka.topic"), NULL);
    p->rkt_dlq = rd_kafka_topic_new(p->rk, fs_conf_str(conf, "kafka.dlq_topic"), NULL);
    if (!p->rkt || !p->rkt_dlq) {
        snprintf(errstr, sz, "kafka topic: %s", rd_kafka_err2str(rd_kafka_last_error()));
        goto fail;
    }
    return p;
fail:
    fs_producer_destroy(p, 0);
    return NULL;
}

void fs_producer_set_delivery(fs_producer_t *p, fs_producer_delivery_fn *on_delivery,
                              void *app_opaque)
{
    p->on_delivery = on_delivery;
    p->app_opaque = app_opaque;
}

void fs_producer_destroy(fs_producer_t *p, int flush_timeout_ms)
{
    if (!p)
        return;
    if (p->rk && flush_timeout_ms > 0)
        (void)rd_kafka_flush(p->rk, flush_timeout_ms);
    if (p->rkt)
        rd_kafka_topic_destroy(p->rkt);
    if (p->rkt_dlq)
        rd_kafka_topic_destroy(p->rkt_dlq);
    if (p->rk)
        rd_kafka_destroy(p->rk);
    free(p);
}

/* What a refusal @p err of librdkafka's means to the caller, @p errstr set. */
static fs_err_t refused(rd_kafka_topic_t *rkt, rd_kafka_resp_err_t err, char *errstr,
                        size_t sz)
{
    snprintf(errstr, sz, "produce to %s: %s", rd_kafka_topic_name(rkt),
             rd_kafka_err2str(err));
    return err == RD_KAFKA_RESP_ERR__QUEUE_FULL ? FS_ERR_TRANSIENT : FS_ERR_FATAL;
}

static fs_err_t send_to(rd_kafka_topic_t *rkt, const char *key, const void *value,
                        size_t len, void *msg_opaque, char *errstr, size_t sz)
{
    if (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, (void *)value,
                         len, key, key ? strlen(key) : 0, msg_opaque) == 0)
        return FS_OK;
    return refused(rkt, rd_kafka_last_error(), errstr, sz);
}

fs_err_t fs_producer_send(fs_producer_t *p, const char *key, const void *value,
                          size_t len, void *msg_opaque, char *errstr, size_t sz)
{
    return send_to(p->rkt, key, value, len, msg_opaque, errstr, sz);
}

size_t fs_producer_send_batch(fs_producer_t *p, const fs_producer_msg_t *msgs, size_t n,
                              void *msg_opaque, fs_err_t *err, char *errstr, size_t sz)
{
    rd_kafka_message_t m[FS_PRODUCER_BATCH_MAX];
    if (n > FS_PRODUCER_BATCH_MAX) {
        snprintf(errstr, sz, "produce: %zu messages in one call, at most %d", n,
                 FS_PRODUCER_BATCH_MAX);
        *err = FS_ERR_FATAL;
        return 0;
    }
    memset(m, 0, n * sizeof(m[0]));
    for (size_t i = 0; i < n; i++) {
        m[i].payload = (void *)msgs[i].value;
        m[i].len = msgs[i].len;
        m[i].key = (void *)msgs[i].key;
        m[i].key_len = msgs[i].key ? strlen(msgs[i].key) : 0;
        m[i]._private = msg_opaque;
    }
    int ok = rd_kafka_produce_batch(p->rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, m,
                                    (int)n);
    size_t queued = ok > 0 ? (size_t)ok : 0;
    *err = FS_OK;
    for (size_t i = 0; queued < n && i < n && *err == FS_OK; i++)
        if (m[i].err != RD_KAFKA_RESP_ERR_NO_ERROR)
            *err = refused(p->rkt, m[i].err, errstr, sz);
    if (queued < n && *err == FS_OK) { /* refused without saying why */
        snprintf(errstr, sz, "produce to %s: %zu of %zu messages refused",
                 rd_kafka_topic_name(p->rkt), n - queued, n);
        *err = FS_ERR_FATAL;
    }
    return queued;
}

fs_err_t fs_producer_send_dlq(fs_producer_t *p, const char *key, const void *value,
                              size_t len, void *msg_opaque, char *errstr, size_t sz)
{
    return send_to(p->rkt_dlq, key, value, len, msg_opaque, errstr, sz);
}

int fs_producer_poll(fs_producer_t *p, int timeout_ms)
{
    return rd_kafka_poll(p->rk, timeout_ms);
}

fs_err_t fs_producer_flush(fs_producer_t *p, int timeout_ms)
{
    return rd_kafka_flush(p->rk, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR
               ? FS_OK
               : FS_ERR_TIMEOUT;
}

int fs_producer_queue_len(fs_producer_t *p)
{
    return rd_kafka_outq_len(p->rk);
}

fs_err_t fs_producer_ping(fs_producer_t *p, int timeout_ms)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(p->rk, 0, p->rkt, &md, timeout_ms);
    if (md)
        rd_kafka_metadata_destroy(md);
    return err == RD_KAFKA_RESP_ERR_NO_ERROR ? FS_OK : FS_ERR_TRANSIENT;
}

/* The cluster's answer about @p rkt: NO_ERROR, the topic's own error, or
 * the request's (e.g. __TIMED_OUT). */
static rd_kafka_resp_err_t topic_state(fs_producer_t *p, rd_kafka_topic_t *rkt,
                                       int timeout_ms)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(p->rk, 0, rkt, &md, timeout_ms);
    if (!err && md && md->topic_cnt == 1)
        err = md->topics[0].err;
    if (md)
        rd_kafka_metadata_destroy(md);
    return err;
}

fs_err_t fs_producer_check_topics(fs_producer_t *p, int timeout_ms, char *errstr,
                                  size_t sz)
{
    rd_kafka_topic_t *const topics[] = {p->rkt, p->rkt_dlq};
    const char *const keys[] = {"kafka.topic", "kafka.dlq_topic"};
    for (int i = 0; i < 2; i++) {
        rd_kafka_resp_err_t err = topic_state(p, topics[i], timeout_ms);
        for (int again = 0; err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART && again < 4;
             again++) {
            nanosleep(&(struct timespec){0, 500 * 1000 * 1000}, NULL);
            err = topic_state(p, topics[i], timeout_ms);
        }
        switch (err) {
        case RD_KAFKA_RESP_ERR_NO_ERROR:
        case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE: /* exists, electing a leader */
            continue;
        case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
            snprintf(errstr, sz,
                     "%s: topic \"%s\" does not exist on the Kafka cluster (create it, "
                     "or fix the setting)",
                     keys[i], rd_kafka_topic_name(topics[i]));
            return FS_ERR_INVALID;
        case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
        case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
        case RD_KAFKA_RESP_ERR__AUTHENTICATION:
        case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
            snprintf(errstr, sz, "%s: topic \"%s\": %s", keys[i],
                     rd_kafka_topic_name(topics[i]), rd_kafka_err2str(err));
            return FS_ERR_INVALID;
        default:
            snprintf(errstr, sz, "%s: topic \"%s\" not checked: %s", keys[i],
                     rd_kafka_topic_name(topics[i]), rd_kafka_err2str(err));
            return FS_ERR_TRANSIENT;
        }
    }
    return FS_OK;
}

rd_kafka_t *fs_producer_handle(fs_producer_t *p)
{
    return p->rk;
}
