/*
 * plan.h — the aggregation planner of the worker.
 *
 * Owns the mapping from decoded events to the arguments of the apply
 * script (sink.c): for one partition batch, the list of (offset, event_id,
 * day, stage, channel, campaign, type, person, occurred_at ms) tuples the
 * script de-duplicates and counts.  The person of an event is its user_id,
 * else "anon:" + its anonymous_id (identity links are resolved by the
 * script, which alone sees every partition's links).  Pure: no Kafka, no Redis, no clock.  Events of role `identity`
 * are counted nowhere (SPEC §5) and are left out; the batch's last offset
 * still advances past them.
 */
#ifndef FS_PLAN_H
#define FS_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "fs_definition.h"
#include "fs_err.h"
#include "fs_event.h"

#define FS_PLAN_FIELDS 9 /* strings per planned event */
#define FS_PERSON_MAX 1024 /* "anon:" + an anonymous_id of up to 128 UTF-8 characters */

typedef struct fs_plan {
    int32_t partition;
    int64_t last_offset; /* highest offset covered, -1 when empty */
    size_t nevents;      /* planned (countable) events */
    size_t nargs;        /* FS_PLAN_FIELDS * nevents strings in args */
    char **args;         /* owned strings */
    size_t cap;
} fs_plan_t;

/** Starts an empty plan for @p partition (the struct is the caller's). */
void fs_plan_init(fs_plan_t *plan, int32_t partition);

/**
 * Adds @p ev read at @p offset.  Its stage, channel "(none)" default and
 * day come from @p def and occurred_at.  FS_ERR_NOT_FOUND when the type is
 * not in @p def (the caller dead-letters it; the offset still counts).
 */
fs_err_t fs_plan_add(fs_plan_t *plan, const fs_definition_t *def, const fs_event_t *ev,
                     int64_t offset) FS_WUR;

/** Marks @p offset as covered without counting anything (poison records). */
void fs_plan_skip(fs_plan_t *plan, int64_t offset);

/** Frees the strings; the plan is empty and reusable. */
void fs_plan_clear(fs_plan_t *plan);

#endif
