/*
 * gen.h — the synthetic journey generator of funnel-gen.
 *
 * Owns: a seeded pseudo-random model of marketing & sales journeys (a hot
 * tub dealer and a B2B software vendor, the default definition's types only) and
 * the NDJSON rendering of their events (docs/event.md fields only).  Called by
 * funnel-gen's main.c (one generator per run) and by tests/unit/test_gen.c.
 *
 * Pure: no I/O, no clock, no rand(), no global state.  The output is a
 * function of fs_gen_opts_t alone — the same options give byte-identical
 * lines on every machine (integer arithmetic only, our own xoshiro256**).
 * "Now" is an input: it ends the window when no end day is given, and an
 * end day after today is refused (its events would lie in the future).
 *
 * Memory: events of journeys that have started but are not yet written
 * wait in a heap, about 56 bytes each; with the default windows that is
 * nearly every event of the run (--users 1000000 needs about 0.5 GB).
 */
#ifndef FS_GEN_H
#define FS_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "fs_buf.h"
#include "fs_err.h"

#define FS_GEN_MAX_USERS 1000000
#define FS_GEN_MAX_CURRENCIES 8
#define FS_GEN_PPM 1000000 /* rates are parts per million */
#define FS_GEN_END_NOW INT64_MIN

typedef enum fs_gen_scenario {
    FS_GEN_MIXED,   /* each user is a hot-tub shopper or a B2B buyer, 50/50 */
    FS_GEN_HOT_TUB, /* ads → guide download → in-store wet test → sale */
    FS_GEN_B2B, /* ads/social/webinar → lead → SDR → demo → quote → sale → renewal */
} fs_gen_scenario_t;

typedef struct fs_gen_currency {
    char code[4];    /* ISO 4217, e.g. "USD" */
    uint32_t weight; /* relative share, > 0 */
} fs_gen_currency_t;

typedef struct fs_gen_opts {
    uint64_t seed;
    uint32_t users; /* 1..FS_GEN_MAX_USERS journeys */
    uint32_t days;  /* journeys start within these UTC days, the last being end_day */
    /* Days since 1970-01-01, or FS_GEN_END_NOW: the window ends at now_ms. */
    int64_t end_day;
    int64_t now_ms; /* wall clock (epoch ms); end_day must not be after its day */
    fs_gen_scenario_t scenario;
    uint32_t duplicate_ppm; /* share of events written twice (same id and content) */
    uint32_t late_ppm;      /* share of events written out of time order */
    uint32_t anonymous_ppm; /* share of users anonymous until they sign up */
    size_t ncurrencies;     /* 1..FS_GEN_MAX_CURRENCIES */
    fs_gen_currency_t currencies[FS_GEN_MAX_CURRENCIES];
    uint64_t max_events; /* stop after this many lines; 0 = no limit */
} fs_gen_opts_t;

typedef struct fs_gen fs_gen_t;

/** Fills @p opts with the documented defaults (seed 1, 1000 users, 14 days ending now,
 *  mixed, 2% duplicates, 5% late, 30% anonymous, USD only); the caller sets now_ms. */
void fs_gen_opts_default(fs_gen_opts_t *opts);

/**
 * Creates a generator for @p opts (copied).  Returns NULL with @p errstr
 * set when an option is out of range ("end: 2026-12-01 is after today
 * (UTC)...") or memory runs out.
 */
fs_gen_t *fs_gen_new(const fs_gen_opts_t *opts, char *errstr, size_t errstr_size) FS_WUR;

/** Frees @p g; NULL is a no-op. */
void fs_gen_destroy(fs_gen_t *g);

/**
 * Appends the next event to @p line as one JSON object and a '\n'.
 * @returns 1 when a line was appended, 0 at the end of the run (nothing
 * appended), -1 when out of memory (the generator is then unusable).
 * Lines come out in occurred_at order except the late and duplicate ones.
 */
int fs_gen_next(fs_gen_t *g, fs_buf_t *line) FS_WUR;

/** Counts so far: lines written, of which duplicates and late ones, and journeys. */
typedef struct fs_gen_stats {
    unsigned long long lines, duplicates, late, users;
} fs_gen_stats_t;
void fs_gen_stats(const fs_gen_t *g, fs_gen_stats_t *out);

/* Parsers of the option values, usable as fs_conf checks (errstr gets the
 * reason without the key).  Pure. */

/** "hot-tub", "b2b" or "mixed". */
fs_err_t fs_gen_parse_scenario(const char *s, fs_gen_scenario_t *out, char *errstr,
                               size_t errstr_size) FS_WUR;

/** A share: a fraction "0.02" (0..1, up to 6 decimals) or a percentage "2%"
 *  (0..100, up to 4 decimals), into parts per million; exact, no float. */
fs_err_t fs_gen_parse_rate(const char *s, uint32_t *ppm, char *errstr,
                           size_t errstr_size) FS_WUR;

/** "USD:90,EUR:10": 1..FS_GEN_MAX_CURRENCIES distinct ISO 4217 codes with
 *  positive integer weights (a bare "USD" means weight 1). */
fs_err_t fs_gen_parse_currency_mix(const char *s, fs_gen_currency_t *out, size_t *n,
                                   char *errstr, size_t errstr_size) FS_WUR;

/* The same parsers with the signature of an fs_conf_check_fn (value discarded). */
fs_err_t fs_gen_check_day(const char *s, char *errstr,
                          size_t errstr_size); /* YYYY-MM-DD */
fs_err_t fs_gen_check_scenario(const char *s, char *errstr, size_t errstr_size);
fs_err_t fs_gen_check_rate(const char *s, char *errstr, size_t errstr_size);
fs_err_t fs_gen_check_currency_mix(const char *s, char *errstr, size_t errstr_size);

#endif
