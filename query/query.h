/*
 * query.h — one query of funnel-query, whoever asks for it: the CLI's
 * subcommands (cmd.c) and the dashboard's JSON API (api.c).  Because both
 * go through here, `GET /api/<kind>?opt=v` answers byte for byte what
 * `funnel-query <kind> --opt v --format json` prints.
 *
 * Owns one prepared query: its kind, its options validated and turned into
 * a report (report.h, attrib_report.h, handoff_report.h, series.h), the
 * read of that report from a store (store.h) and its rendering.
 * Validation is pure (the clock is the caller's "today"); only
 * fs_query_read() does I/O, through store.h.  Error messages name the
 * option with the caller's prefix: "--from: ..." for flags, "from: ..."
 * for query parameters.
 */
#ifndef FS_QUERY_QUERY_H
#define FS_QUERY_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "fs_buf.h"
#include "fs_err.h"
#include "report.h"
#include "store.h"

typedef enum fs_query_kind {
    FS_QUERY_FUNNEL,
    FS_QUERY_ATTRIBUTION,
    FS_QUERY_HANDOFF,
    FS_QUERY_HANDOFF_DELAYS, /* the handoff's delay histogram */
    FS_QUERY_SERIES,
    FS_QUERY__COUNT
} fs_query_kind_t;

/* The options of every kind; each kind takes some (fs_query_takes()). */
typedef enum fs_query_opt {
    FS_OPT_FROM,
    FS_OPT_TO,
    FS_OPT_CHANNEL,
    FS_OPT_CAMPAIGN,
    FS_OPT_MODEL,
    FS_OPT_BY,
    FS_OPT_CURRENCY,
    FS_OPT_METRIC,
    FS_OPT_STAGE,
    FS_OPT__COUNT
} fs_query_opt_t;

/* Option values as given (NULL: not given), borrowed for fs_query_new()
 * and as long as the query lives. */
typedef struct fs_query_opts {
    const char *v[FS_OPT__COUNT];
    long long sla_days; /* FUNNEL_SLA_DAYS, for handoff */
} fs_query_opts_t;

typedef struct fs_query fs_query_t;

/** The name of @p kind ("funnel", ...), which is its subcommand and API path. */
const char *fs_query_kind_name(fs_query_kind_t kind);

/** @returns 0 and sets *kind for "funnel", "attribution", "handoff", "handoff-delays",
 *          "series"; else -1.
 */
int fs_query_kind_parse(const char *name, fs_query_kind_t *kind);

/** The name of @p opt as a configuration key and query parameter ("from", ...). */
const char *fs_query_opt_name(fs_query_opt_t opt);

/** @returns 0 and sets *opt when @p name is an option name; else -1. */
int fs_query_opt_parse(const char *name, fs_query_opt_t *opt);

/** Non-zero when @p kind takes @p opt. */
int fs_query_takes(fs_query_kind_t kind, fs_query_opt_t opt);

/**
 * Validates @p opts for @p kind against @p today (a UTC day) and prepares
 * the report.  @p prefix goes before option names in messages ("--" or "").
 * @returns FS_OK with *q (the caller's, fs_query_destroy()); FS_ERR_INVALID
 *          with a sentence naming the option in @p errstr (an option @p kind
 *          does not take, a bad value, from after to, a required option
 *          missing); FS_ERR_NOMEM.  *q is NULL on failure.
 */
fs_err_t fs_query_new(fs_query_kind_t kind, const fs_query_opts_t *opts, int64_t today,
                      fs_report_format_t format, const char *prefix, fs_query_t **q,
                      char *errstr, size_t errstr_size) FS_WUR;

/** Frees @p q.  NULL is a no-op. */
void fs_query_destroy(fs_query_t *q);

/** The resolved inclusive range of @p q (UTC days). */
void fs_query_range(const fs_query_t *q, int64_t *from, int64_t *to);

/**
 * Reads the report of @p q from @p qs.  Call once.
 * @returns FS_OK, or the store's error with @p errstr saying why
 *          (FS_ERR_TRANSIENT / FS_ERR_IO: Redis; FS_ERR_CORRUPT: bad data;
 *          FS_ERR_INVALID: the namespace keeps no attribution).
 */
fs_err_t fs_query_read(fs_query_t *q, fs_qstore_t *qs, char *errstr,
                       size_t errstr_size) FS_WUR;

/** Appends the read report rendered in the format of fs_query_new(). */
fs_err_t fs_query_render(const fs_query_t *q, fs_buf_t *out) FS_WUR;

#endif
