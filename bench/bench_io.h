/*
 * bench_io.h — what the worker benchmark programs (fs-bench-fill,
 * fs-bench-naive, fs-bench-floor) share: a clock, environment defaults, a Redis
 * connection from FUNNEL_REDIS_URL and a Kafka consumer that reads every partition of a
 * topic from the beginning by explicit assignment (no consumer group).
 *
 * Errors are printed to stderr prefixed with the caller's @p prog name.
 * No global state; every handle returned is the caller's.
 */
#ifndef FS_BENCH_IO_H
#define FS_BENCH_IO_H

#include <stddef.h>

#include <hiredis/hiredis.h>
#include <librdkafka/rdkafka.h>

/** CLOCK_MONOTONIC in seconds. */
double fsb_mono_s(void);

/** getenv(@p name), or @p def when unset or empty. */
const char *fsb_env_or(const char *name, const char *def);

/**
 * Connects to @p url ("redis://host[:port][/db]", no password; port 6379 and
 * database 0 by default) and SELECTs its database.  NULL with a message on any failure.
 */
redisContext *fsb_redis_open(const char *prog, const char *url);

/**
 * A consumer of @p brokers assigned every partition of @p topic from the
 * beginning, with the @p nx "prop=value" librdkafka settings of @p xs
 * applied last.  *npart: the topic's partitions.  NULL with a message; *bad
 * is set when a setting of @p xs was refused (a usage error).
 */
rd_kafka_t *fsb_kafka_open(const char *prog, const char *brokers, const char *topic,
                           const char *const *xs, size_t nx, int *npart, int *bad);

#endif
