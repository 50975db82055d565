/*
 * person.h — the person model of the worker (docs/event.md identity,
 * docs/aggregates.md users, docs/attribution.md attribution and handoff).
 *
 * Owns: the state kept per identity bucket (the events of one user_id, or
 * of one anonymous_id not carrying a user_id), its serialized form, and
 * the pure function from a person's merged buckets to the person's
 * CONTRIBUTION: every aggregate increment the person accounts for (users
 * reaching a stage, attribution credits, booked revenue, handoff).  The
 * worker stores each person's last contribution and applies new − old, so
 * a late touch, conversion or identity link re-computes the person and
 * corrects every aggregate exactly (retract old credit, apply new).
 *
 * Pure: no Redis, no Kafka, no clock.  Not thread-safe per object.
 *
 * Buckets: "u:" + user_id, or "a:" + anonymous_id.  A person is a user
 * bucket plus every anonymous bucket linked to that user (the earliest link
 * by (occurred_at, event_id) wins, docs/event.md), or a lone anonymous bucket
 * (person "anon:" + anonymous_id).  User persons are named by the user_id.
 */
#ifndef FS_PERSON_H
#define FS_PERSON_H

#include <stddef.h>
#include <stdint.h>

#include "fs_buf.h"
#include "fs_definition.h"
#include "fs_err.h"
#include "fs_event.h"

/* At most this many touches and conversions are kept per bucket (the most
 * recent by occurred_at); older ones are dropped and no longer counted. */
#define FS_BUCKET_MAX_TOUCHES 1000
#define FS_BUCKET_MAX_CONVERSIONS 1000

typedef struct fs_bucket fs_bucket_t; /* opaque */

/** An empty bucket.  NULL on OOM. */
fs_bucket_t *fs_bucket_new(void);
void fs_bucket_destroy(fs_bucket_t *b);

/**
 * Parses the serialized form written by fs_bucket_serialize().  NULL with
 * @p errstr on corrupt input (never crashes on any bytes).
 */
fs_bucket_t *fs_bucket_parse(const char *data, size_t len, char *errstr,
                             size_t errstr_size);

/** Appends the serialized form (the compact "B1" text, see person.c). */
fs_err_t fs_bucket_serialize(const fs_bucket_t *b, fs_buf_t *out) FS_WUR;

/**
 * Whether @p ev, decoded from the topic, can be stored: it names a person
 * (user_id or anonymous_id, each at most 512 bytes), its type is in @p def,
 * and the fields its stage, touch or conversion keeps are within what the
 * bucket form holds (docs/event.md's limits, which the validator enforces on
 * what our producers accept; another producer may write anything the
 * schema allows).  FS_ERR_INVALID or FS_ERR_NOT_FOUND (type) with a
 * "field: reason" in @p errstr: the worker dead-letters the record, since
 * fs_bucket_add() refuses the same events and a refusal there would stop
 * the whole batch.
 */
fs_err_t fs_person_check_event(const fs_definition_t *def, const fs_event_t *ev,
                               char *errstr, size_t errstr_size) FS_WUR;

/**
 * Adds a distinct event (the caller de-duplicated it) of a type in @p def:
 * stage events update the earliest time per s:/sc:/sk: field; with
 * @p keep_records, `touch` events also join the touches and `conversion`
 * events the conversions (revenue 0 when absent).  Without it (attribution
 * off) a bucket holds stage times only, so its person contributes users and
 * nothing else.  Identity-role events change nothing here.
 * Returns non-zero in *changed when the bucket changed; FS_ERR_INVALID for
 * an event fs_person_check_event() refuses.
 */
fs_err_t fs_bucket_add(fs_bucket_t *b, const fs_definition_t *def, const fs_event_t *ev,
                       int keep_records, int *changed) FS_WUR;

/** Parameters of the contribution (from configuration). */
typedef struct fs_person_params {
    const fs_definition_t *def; /* borrowed */
    int64_t lookback_ms;        /* FUNNEL_LOOKBACK_DAYS */
    int64_t half_life_ms;       /* FUNNEL_HALF_LIFE_DAYS */
    int64_t sla_ms;             /* FUNNEL_SLA_DAYS */
    int counts_only;            /* FUNNEL_ATTRIBUTION=false: keep no touches or
                                   conversions (fs_bucket_add's keep_records) */
} fs_person_params_t;

/**
 * A contribution: a multiset of (key suffix, field) → integer.  Key
 * suffixes are the Redis key names after "<ns>:v1:" (e.g.
 * "users:2026-11-27", "attr:2026-11-27:linear:channel:USD",
 * "revenue:2026-11-27", "handoff:2026-11-20"); fields as documented in
 * docs/redis-keys.md.  Entries are kept sorted by (key, field) and unique.
 */
typedef struct fs_contrib_entry {
    char *key;   /* owned */
    char *field; /* owned */
    int64_t value;
} fs_contrib_entry_t;

typedef struct fs_contrib {
    size_t n, cap;
    fs_contrib_entry_t *e; /* owned, sorted by (key, field) */
} fs_contrib_t;

void fs_contrib_init(fs_contrib_t *c);
void fs_contrib_clear(fs_contrib_t *c);

/**
 * Computes the contribution of the person made of @p nbuckets buckets
 * (borrowed): users first-reached times (min over buckets per field),
 * every conversion's credit under all six models and all four dimensions
 * (docs/attribution.md; conversions without touches go to "(direct)" / "(none)" /
 * "unattributed" / "(none)"), booked revenue per conversion day and
 * currency, and the handoff of the person's first lead.  @p out must be
 * initialised; it is overwritten.  FS_ERR_OVERFLOW when one of its sums
 * passes the signed 64-bit range.
 */
fs_err_t fs_person_contribution(const fs_person_params_t *params,
                                const fs_bucket_t *const *buckets, size_t nbuckets,
                                fs_contrib_t *out) FS_WUR;

/**
 * Serializes / parses a contribution for storage in Redis: a compact,
 * length-prefixed text form ("C1" tag; format in person.c), not JSON,
 * because every person a batch touches reads and rewrites it.  The parser
 * accepts only sorted, unique, non-zero entries and never crashes.
 */
fs_err_t fs_contrib_serialize(const fs_contrib_t *c, fs_buf_t *out) FS_WUR;
fs_err_t fs_contrib_parse(const char *data, size_t len, fs_contrib_t *out, char *errstr,
                          size_t errstr_size) FS_WUR;

/**
 * Calls @p fn for every (key, field) whose value differs between @p old and
 * @p new_, with delta new − old (a merge walk over the two sorted lists).
 * FS_ERR_OVERFLOW when a delta is beyond the signed 64-bit range.
 */
typedef fs_err_t (*fs_contrib_delta_fn)(void *opaque, const char *key, const char *field,
                                        int64_t delta);
fs_err_t fs_contrib_diff(const fs_contrib_t *old, const fs_contrib_t *new_,
                         fs_contrib_delta_fn fn, void *opaque) FS_WUR;

#endif
