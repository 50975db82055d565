/*
 * fs_producer.h — the producing side of our Kafka use (collector, ingest,
 * and the worker's dead letters).
 *
 * Owns one idempotent librdkafka producer (acks=all, enable.idempotence),
 * the events topic and the dead-letter topic.  Delivery reports are served
 * by fs_producer_poll() on the caller's thread and handed to the callback
 * given at construction with the per-message opaque.  Knows nothing of
 * HTTP, JSON or Avro: it moves bytes.
 */
#ifndef FS_PRODUCER_H
#define FS_PRODUCER_H

#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "fs_conf.h"
#include "fs_err.h"

typedef struct fs_producer fs_producer_t;

/**
 * Delivery callback: @p msg_opaque as given to fs_producer_send*, @p err
 * RD_KAFKA_RESP_ERR_NO_ERROR when the broker acknowledged the message with
 * acks=all.  @locality the thread calling fs_producer_poll/flush.
 */
typedef void(fs_producer_delivery_fn)(void *app_opaque, void *msg_opaque,
                                      rd_kafka_resp_err_t err);

/**
 * Creates the producer from the shared settings kafka.brokers, kafka.topic,
 * kafka.dlq_topic and pass-through properties.  @p message_timeout_ms bounds
 * how long a message may wait for the broker before its delivery fails.
 * @p linger_ms >= 0 sets linger.ms over the pass-through properties (the
 * collector's bulk lane); < 0 keeps the default of 5 ms or the user's
 * `-X linger.ms`.
 */
fs_producer_t *fs_producer_new(const fs_conf_t *conf, int message_timeout_ms,
                               int linger_ms, char *errstr, size_t errstr_size);

/**
 * Sets where delivery reports go (before the first send; @p app_opaque is
 * borrowed and must outlive the producer's last poll).
 */
void fs_producer_set_delivery(fs_producer_t *p, fs_producer_delivery_fn *on_delivery,
                              void *app_opaque);

/** Flushes for at most @p flush_timeout_ms, then destroys.  NULL is a no-op. */
void fs_producer_destroy(fs_producer_t *p, int flush_timeout_ms);

/**
 * Queues a copy of @p value (key @p key) for the events topic.
 * FS_ERR_TRANSIENT when the local queue is full (caller backs off),
 * FS_ERR_FATAL for any other refusal (errstr says why).
 */
fs_err_t fs_producer_send(fs_producer_t *p, const char *key, const void *value,
                          size_t len, void *msg_opaque, char *errstr,
                          size_t errstr_size) FS_WUR;

/** One message of fs_producer_send_batch() (borrowed for the call). */
typedef struct fs_producer_msg {
    const char *key; /* NUL-terminated, or NULL */
    const void *value;
    size_t len;
} fs_producer_msg_t;

/** Most messages of one fs_producer_send_batch() call (a stack array). */
#define FS_PRODUCER_BATCH_MAX 64

/**
 * Queues copies of @p n (at most FS_PRODUCER_BATCH_MAX, else nothing is
 * queued and *@p err is FS_ERR_FATAL) messages for the events topic, each
 * with @p msg_opaque, in one rd_kafka_produce_batch(): librdkafka reads its
 * clocks and takes the topic's lock once per call instead of once per
 * message.  Returns how many were queued; a message not queued gets no
 * delivery report, and refused messages may sit between queued ones.  When
 * that is fewer than @p n, *@p err is FS_ERR_TRANSIENT (local queue full) or
 * FS_ERR_FATAL and @p errstr names the first refusal; otherwise FS_OK.
 */
size_t fs_producer_send_batch(fs_producer_t *p, const fs_producer_msg_t *msgs, size_t n,
                              void *msg_opaque, fs_err_t *err, char *errstr,
                              size_t errstr_size) FS_WUR;

/** Same as fs_producer_send() for the dead-letter topic. */
fs_err_t fs_producer_send_dlq(fs_producer_t *p, const char *key, const void *value,
                              size_t len, void *msg_opaque, char *errstr,
                              size_t errstr_size) FS_WUR;

/** Serves delivery reports for up to @p timeout_ms; returns how many. */
int fs_producer_poll(fs_producer_t *p, int timeout_ms);

/** Waits until every queued message is delivered or failed. */
fs_err_t fs_producer_flush(fs_producer_t *p, int timeout_ms) FS_WUR;

/** Messages and bytes waiting in librdkafka's queues (for metrics). */
int fs_producer_queue_len(fs_producer_t *p);

/** Asks the cluster for metadata: FS_OK when a broker answered within @p timeout_ms. */
fs_err_t fs_producer_ping(fs_producer_t *p, int timeout_ms) FS_WUR;

/**
 * Asks the cluster whether the events topic and the dead-letter topic exist
 * (docs/guarantees.md, item 9: a misconfiguration no retry can fix stops the program at
 * start-up).  FS_OK when both exist; FS_ERR_INVALID when the cluster says
 * one does not exist or may not be written (@p errstr names the setting and
 * the topic); FS_ERR_TRANSIENT when no broker answered within
 * @p timeout_ms (nothing is known: the caller goes on, readiness shows it).
 * A topic the cluster calls unknown is asked about again for a moment, as a
 * topic created just before is not known to every broker at once.
 */
fs_err_t fs_producer_check_topics(fs_producer_t *p, int timeout_ms, char *errstr,
                                  size_t errstr_size) FS_WUR;

/** The handle, for statistics only (borrowed). */
rd_kafka_t *fs_producer_handle(fs_producer_t *p);

#endif
