/*
 * plan.h — one partition's share of a batch.
 *
 * Owns copies of the decoded events of one partition batch that the apply
 * step (sink.c) must account for, with their offsets, and the highest
 * offset the batch covers (poison records and unknown types advance it
 * without adding an event).  Pure memory: no Kafka, no Redis.
 */
#ifndef FS_PLAN_H
#define FS_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "fs_definition.h"
#include "fs_err.h"
#include "fs_event.h"

typedef struct fs_plan_item {
    int64_t offset;
    fs_event_t ev; /* owned copy */
} fs_plan_item_t;

typedef struct fs_plan {
    int32_t partition;
    int64_t last_offset; /* highest offset covered, -1 when empty */
    size_t n, cap;
    fs_plan_item_t *items; /* owned, in offset order */
} fs_plan_t;

/** Starts an empty plan for @p partition (the struct is the caller's). */
void fs_plan_init(fs_plan_t *plan, int32_t partition);

/**
 * Adds a copy of @p ev read at @p offset.  FS_ERR_NOT_FOUND when its type is
 * not in @p def (the caller dead-letters it; the offset still counts).
 */
fs_err_t fs_plan_add(fs_plan_t *plan, const fs_definition_t *def, const fs_event_t *ev,
                     int64_t offset) FS_WUR;

/**
 * As fs_plan_add(), but moves @p ev into the plan instead of copying it
 * (on FS_OK *ev is left zeroed; otherwise it is untouched).
 */
fs_err_t fs_plan_take_event(fs_plan_t *plan, const fs_definition_t *def, fs_event_t *ev,
                            int64_t offset) FS_WUR;

/** Marks @p offset as covered without adding an event (poison records). */
void fs_plan_skip(fs_plan_t *plan, int64_t offset);

/**
 * Moves every event of @p src (which follows @p dst in the partition) to
 * the end of @p dst; @p src is left empty.  FS_ERR_NOMEM leaves both as
 * they were.
 */
fs_err_t fs_plan_take(fs_plan_t *dst, fs_plan_t *src) FS_WUR;

/** Frees the events; the plan is empty and reusable. */
void fs_plan_clear(fs_plan_t *plan);

/**
 * The batch size after a batch that needed @p conflicts retries, from the
 * current @p now and the configured @p max.  A conflict (another worker
 * changed a person the batch read, so it was read and computed again)
 * halves it, down to FS_PLAN_BATCH_FLOOR (or @p max if smaller); a clean
 * batch grows it by an eighth, up to @p max.  Alone, a worker keeps @p max,
 * since larger batches merge more work; beside other workers it keeps the
 * window in which their writes collide short.  (bench/worker_scaling,
 * docs/BENCHMARKS.md: fixed 2,000-event batches conflicted in about half of
 * two workers' batches.)
 */
#define FS_PLAN_BATCH_FLOOR 100
int fs_plan_batch_size(int now, int max, int conflicts);

#endif
