/*
 * sink.h — the worker's Redis side.
 *
 * Owns one Redis connection (reconnected on failure, each time checking
 * that the configured user may run every command the worker sends), the
 * claim and commit scripts, and the key names of one namespace.  Claims
 * partitions (fencing epoch + stored offset, atomically) and applies a
 * batch — event counts, de-duplication marks, identity links, per-bucket
 * state, each affected person's contribution delta (users, attribution,
 * revenue, handoff) and every partition's offset — in one optimistic
 * transaction: read the state, compute, then one script checks that
 * nothing read has changed and that every increment fits its field, and
 * only then makes every write; when another worker changed any of it,
 * nothing is written and the batch is recomputed from fresh state.  Knows
 * nothing of Kafka or Avro: it receives plans.
 */
#ifndef FS_SINK_H
#define FS_SINK_H

#include <stdint.h>

#include "fs_conf.h"
#include "person.h"
#include "plan.h"

typedef struct fs_sink fs_sink_t;

typedef struct fs_sink_result {
    int64_t applied;    /* distinct events accounted for */
    int64_t duplicates; /* events skipped as already seen */
    int64_t persons;    /* persons whose contribution was recomputed */
    int conflicts;      /* transactions retried because another worker interfered */
} fs_sink_result_t;

/** One partition's part of a batch: in plan and epoch; out fenced. */
typedef struct fs_sink_part {
    const fs_plan_t *plan; /* borrowed */
    int64_t epoch;         /* taken by fs_sink_claim */
    int fenced;            /* out: another worker owns the partition now */
} fs_sink_part_t;

/**
 * Connects using redis.url / redis.password_file / namespace of @p conf.
 * @p dedup_ttl_s: how long event_ids are remembered; @p person_ttl_s: how
 * long identity and person state live after their last change.  @p params
 * is copied (its definition is borrowed).
 */
fs_sink_t *fs_sink_new(const fs_conf_t *conf, const char *topic, int dedup_ttl_s,
                       int person_ttl_s, const fs_person_params_t *params, char *errstr,
                       size_t errstr_size);
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
 * Applies the @p n parts atomically (nothing may be in flight: see
 * fs_sink_start()).  Parts whose epoch is no longer the
 * partition's are left out and marked fenced (drop them).  Already applied
 * offsets are skipped, so replays are harmless.  FS_ERR_TRANSIENT: Redis
 * unreachable or busy, nothing applied, retry the same parts.
 * FS_ERR_OVERFLOW: an event of the parts would take an aggregate past the
 * signed 64-bit range (checked before any write: nothing applied; @p errstr
 * names the key and field) — apply fewer events to find it.
 * FS_ERR_INVALID: a misconfiguration (credentials, ACL) named in @p errstr.
 */
fs_err_t fs_sink_apply(fs_sink_t *sink, fs_sink_part_t *parts, size_t n,
                       fs_sink_result_t *res, char *errstr, size_t errstr_size) FS_WUR;

/**
 * Pipelined application, for throughput: Redis runs one batch's commit while
 * the worker computes the next.  fs_sink_start() reads @p parts (seeing the
 * writes of the batch already in flight as if they had landed), sends the
 * in-flight batch's commit, computes @p parts, then waits for that commit:
 * @p parts become the batch in flight (their commit is sent by the next
 * start or by fs_sink_flush()).  The caller keeps every plan alive, and the
 * parts arrays too, until their batch is reported.
 *
 * On FS_OK, *had_prev says whether a previous batch was in flight; it was
 * applied (atomically, as by fs_sink_apply(); conflicts retried) and
 * *prev holds its counts; its parts' `fenced` flags are final.
 * On an error, *had_prev = 1 means the previous batch was applied (and
 * @p parts were not started); *had_prev = 0 means neither was applied and
 * nothing is in flight: apply them again (e.g. merged) with
 * fs_sink_apply().
 */
fs_err_t fs_sink_start(fs_sink_t *sink, fs_sink_part_t *parts, size_t n, int *had_prev,
                       fs_sink_result_t *prev, char *errstr, size_t errstr_size) FS_WUR;

/**
 * Commits the batch in flight, if any, and waits for it: FS_OK with *had
 * set when one was applied (counts in *res).  On an error it was not
 * applied and nothing is in flight any more.
 */
fs_err_t fs_sink_flush(fs_sink_t *sink, int *had, fs_sink_result_t *res, char *errstr,
                       size_t errstr_size) FS_WUR;

/**
 * Test seam: @p fn (NULL to remove) runs in every apply attempt after the
 * state was read and the writes computed, just before the commit — the
 * moment another worker's write must make the commit refuse.  Used by the
 * integration tests to interleave two sinks deterministically.
 */
typedef void (*fs_sink_precommit_fn)(void *opaque);
void fs_sink_set_precommit(fs_sink_t *sink, fs_sink_precommit_fn fn, void *opaque);

/** Milliseconds the last successful apply took (for stats). */
double fs_sink_last_apply_ms(const fs_sink_t *sink);

#endif
