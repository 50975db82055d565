/*
 * sink.h — the worker's Redis side.
 *
 * Owns one Redis connection (reconnected on failure), the two Lua scripts
 * (loaded once, called by SHA) and the key names of one namespace.  Claims
 * partitions (fencing epoch + stored offset, atomically) and applies a
 * partition batch — de-duplication marks, aggregate increments and the
 * partition's offset — in one atomic script call.  Knows nothing of Kafka
 * or Avro: it receives plans.
 */
#ifndef FS_SINK_H
#define FS_SINK_H

#include <stdint.h>

#include "fs_conf.h"
#include "plan.h"

typedef struct fs_sink fs_sink_t;

typedef struct fs_sink_result {
    int already_applied; /* the batch's offsets were already in Redis */
    int64_t applied;     /* events counted */
    int64_t duplicates;  /* events skipped as already seen */
} fs_sink_result_t;

/**
 * Connects using redis.url / redis.password_file / namespace of @p conf.
 * @p dedup_ttl_s: how long event_ids are remembered; @p person_ttl_s: how
 * long a person's first-reached times live after their last event.
 */
fs_sink_t *fs_sink_new(const fs_conf_t *conf, const char *topic, int dedup_ttl_s,
                       int person_ttl_s, char *errstr, size_t errstr_size);
void fs_sink_destroy(fs_sink_t *sink);

/**
 * Becomes the owner of @p partition: increments its epoch and reads its
 * stored offset in one atomic step.  *next_offset is the first offset to
 * consume, or -2 (RD_KAFKA_OFFSET_BEGINNING) when nothing was applied yet.
 * FS_ERR_TRANSIENT when Redis is unreachable.
 */
fs_err_t fs_sink_claim(fs_sink_t *sink, int32_t partition, int64_t *epoch,
                       int64_t *next_offset, char *errstr, size_t errstr_size) FS_WUR;

/**
 * Applies @p plan atomically if @p epoch is still the partition's epoch.
 * FS_OK (applied, or already applied: replays are harmless), FS_ERR_FENCED
 * (another worker claimed the partition: drop it), FS_ERR_TRANSIENT (Redis
 * unreachable: retry the same plan).
 */
fs_err_t fs_sink_apply(fs_sink_t *sink, const fs_plan_t *plan, int64_t epoch,
                       fs_sink_result_t *res, char *errstr, size_t errstr_size) FS_WUR;

/** Milliseconds the last successful apply took (for stats). */
double fs_sink_last_apply_ms(const fs_sink_t *sink);

#endif
