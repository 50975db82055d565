/*
 * counters.h — what funnel-worker's /metrics shows.
 *
 * Owns the worker's counters (events applied, duplicates, dead letters,
 * commit conflicts, batches, the batch apply-time histogram) and, per
 * partition, whether this member owns it and the next offset it has
 * applied to Redis.  The worker's thread updates them (lock-free atomics);
 * the endpoint's thread renders them.  Pure: no I/O — the broker's
 * watermarks and Redis's health come in as arguments of the renderer.
 */
#ifndef FS_COUNTERS_H
#define FS_COUNTERS_H

#include <stdint.h>

#include "fs_buf.h"
#include "fs_err.h"

/* Partitions with per-partition series: 0 .. FS_COUNTERS_MAX_PARTITIONS-1
 * (higher ids are consumed but have no lag series). */
#define FS_COUNTERS_MAX_PARTITIONS 1024

typedef struct fs_counters fs_counters_t;

/** Zeroed counters, nothing owned; NULL when out of memory. */
fs_counters_t *fs_counters_new(void);
void fs_counters_destroy(fs_counters_t *c); /* NULL is a no-op */

/* Updates.  Each accepts c == NULL (no endpoint) as a no-op.
 * @locality any thread. */

/** One batch is in Redis: its events, duplicates, conflicts, apply time. */
void fs_counters_batch(fs_counters_t *c, int64_t applied, int64_t duplicates,
                       int64_t conflicts, double apply_seconds);
/** One record written to the dead-letter topic. */
void fs_counters_dead_letter(fs_counters_t *c);
/** This member now owns @p partition and resumes at @p next (< 0: the beginning). */
void fs_counters_assigned(fs_counters_t *c, int32_t partition, int64_t next);
/** Every offset below @p next of @p partition is applied in Redis. */
void fs_counters_applied(fs_counters_t *c, int32_t partition, int64_t next);
/** This member no longer owns @p partition (revoked, lost or fenced). */
void fs_counters_revoked(fs_counters_t *c, int32_t partition);
/** Partitions this member owns now. */
int fs_counters_owned(const fs_counters_t *c);

/**
 * Asks for @p partition's low and high watermarks (the broker's first and
 * next offsets); returns 0 on success.  Called once per owned partition
 * per render.
 */
typedef int(fs_counters_watermarks_fn)(void *ctx, int32_t partition, int64_t *lo,
                                       int64_t *hi);

/**
 * Appends the Prometheus text of every series to @p out.  Lag of an owned
 * partition = high watermark - next applied offset (from the low watermark
 * while nothing is applied yet); partitions whose watermarks cannot be had
 * get no lag sample.  @p redis_up: the endpoint's last PING answered.
 */
fs_err_t fs_counters_render(const fs_counters_t *c, const char *topic,
                            fs_counters_watermarks_fn *wm, void *wm_ctx, int redis_up,
                            fs_buf_t *out) FS_WUR;

#endif
