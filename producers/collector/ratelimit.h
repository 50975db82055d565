/*
 * ratelimit.h — per-client token buckets of the collector (docs/collector.md, 429).
 *
 * Owns a fixed-size table of token buckets keyed by an opaque client key
 * (a write key, or "ip:<address>" when the request carries none).  Each
 * bucket refills at rate_per_s tokens per second up to burst tokens; one
 * token is one event (a pixel is one event).  Memory is bounded: the table
 * holds at most `capacity` buckets and, when full, reuses the least
 * recently used one — a client seen again after eviction starts with a full
 * bucket, which only ever errs towards admitting.
 *
 * Admission and charging are separate because a POST's event count is
 * known only once its body is parsed: fs_ratelimit_admit() is asked when
 * the headers arrive (is there at least one token?) and
 * fs_ratelimit_charge() takes the accepted events afterwards, possibly driving the
 * bucket into debt — a 500-event request under a burst of 100 is admitted
 * once, then the client waits 400 / rate seconds.  Over time no client
 * gets more than rate_per_s events per second plus one burst.
 *
 * Pure: no clock (now_ms is a parameter), no I/O, no locks — the collector
 * calls it from its one HTTP thread only.
 */
#ifndef FS_RATELIMIT_H
#define FS_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "fs_err.h"

typedef struct fs_ratelimit fs_ratelimit_t;

/** Longest key kept verbatim; longer keys are stored as a 64-bit digest. */
#define FS_RATELIMIT_KEY_MAX 63

/**
 * A table of at most @p capacity buckets (>= 1) refilling @p rate_per_s
 * tokens per second (> 0) up to @p burst (>= 1).  NULL when out of memory.
 */
fs_ratelimit_t *fs_ratelimit_new(double rate_per_s, double burst, size_t capacity);

/** NULL is a no-op. */
void fs_ratelimit_destroy(fs_ratelimit_t *rl);

/**
 * Non-zero when @p key has at least one token at @p now_ms (creating its
 * bucket, full, if unknown).  Charges nothing.  When zero, *retry_after_s
 * (may be NULL) is the whole number of seconds, at least 1, until the
 * bucket holds one token again.
 */
int fs_ratelimit_admit(fs_ratelimit_t *rl, const char *key, int64_t now_ms,
                       int *retry_after_s) FS_WUR;

/**
 * Takes @p tokens from @p key's bucket at @p now_ms; the bucket may go
 * negative (debt).  Debt stays small: only an admitted request is charged,
 * and a request carries at most 500 events.  A clock that steps back
 * refills nothing until it has caught up.
 */
void fs_ratelimit_charge(fs_ratelimit_t *rl, const char *key, double tokens,
                         int64_t now_ms);

/**
 * Takes up to @p tokens from @p key's bucket at @p now_ms, never below zero:
 * for what a client sent that was refused (invalid events, an unparseable
 * body).  Refused work still costs the client its remaining tokens, but
 * cannot put its key into debt, so one request of junk never locks a key
 * out for longer than the next token takes to refill.
 */
void fs_ratelimit_charge_capped(fs_ratelimit_t *rl, const char *key, double tokens,
                                int64_t now_ms);

/** Buckets currently held (for tests and metrics). */
size_t fs_ratelimit_size(const fs_ratelimit_t *rl);

#endif
