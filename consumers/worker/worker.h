/*
 * worker.h — the consume → plan → apply loop of funnel-worker.
 *
 * Owns the Kafka consumer (one member of the consumer group), the
 * partitions this member currently owns with their fencing epochs, the
 * per-partition plans of the batch being gathered, the dead-letter
 * producer and the Redis sink.  Exactly-once: a batch's aggregate updates
 * and its offsets reach Redis in one atomic script call; on assignment a
 * partition resumes from the offset Redis holds; Kafka commits follow
 * Redis, for lag tools only.  A batch refused because an event would take
 * an aggregate past its range is narrowed (per partition, then halves) to
 * that event, which is dead-lettered; the rest is applied.  Outages are
 * retried; a misconfiguration (Redis credentials or ACL, an unknown topic)
 * ends the run (docs/funnel-worker.md).
 *
 * Runs on the caller's thread; librdkafka calls the rebalance callback from
 * inside fs_worker_run's polls, on that same thread.
 */
#ifndef FS_WORKER_H
#define FS_WORKER_H

#include "fs_conf.h"
#include "fs_definition.h"
#include "fs_log.h"
#include "person.h"

typedef struct fs_worker_opts {
    int batch_max;     /* most messages per batch */
    int batch_ms;      /* longest a batch gathers */
    int dedup_ttl_s;   /* how long event_ids are remembered */
    int person_ttl_s;  /* how long person state outlives the person's last event */
    int stats_every_s; /* period of the stats log line, 0 = never */
    fs_person_params_t person; /* attribution and handoff parameters */
} fs_worker_opts_t;

typedef struct fs_worker fs_worker_t;

/** Borrows @p conf, @p def and @p lg for the worker's lifetime. */
fs_worker_t *fs_worker_new(const fs_conf_t *conf, const fs_definition_t *def,
                           fs_log_t *lg, const fs_worker_opts_t *opts, char *errstr,
                           size_t errstr_size);

/**
 * Consumes until the stop flag is set (fs_signal), then finishes the batch,
 * commits and leaves the group.  Returns 0 after a clean stop, 1 after a
 * fatal error (logged); a restarted worker resumes exactly.
 */
int fs_worker_run(fs_worker_t *w);

void fs_worker_destroy(fs_worker_t *w);

#endif
