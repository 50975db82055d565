/*
 * series.h — the daily series of funnel-query (`series` subcommand and
 * `GET /api/series`): one value per UTC day of a range, zero days
 * included, for one metric.
 *
 * Owns: the values of one series (fs_series_t.values).
 * Called by query/query.c (options, rendering) and query/store.c (which
 * asks where the values live, fs_series_source(), and feeds them with
 * fs_series_set()).  Pure: never touches Redis, a file, the clock or a
 * terminal; unit-tested in tests/unit/test_series.c.
 *
 * Metrics and what a point is (so that a series sums to the range's total
 * of the matching report):
 *   events   events of @p stage that day (`events:<day>` s:/sc:/sk: field);
 *            sums to `funnel`'s events of the stage.
 *   users    persons first reaching @p stage that day (`users:<day>`);
 *            sums to `funnel`'s users of the stage.
 *   revenue  booked revenue of the conversions of that day in @p currency
 *            (`revenue:<day>` r:<currency>), which is the attribution total
 *            of every model; with a channel or campaign filter, the credit
 *            @p model gives it (`attr:<day>:<model>:<by>:<currency>`).  Sums
 *            to `attribution`'s total (or that row).  Cents; rendered as a
 *            decimal string with 2 decimals, like the attribution report.
 *   leads    leads of that lead day (`handoff:<day>` leads); sums to
 *            `handoff`'s leads.
 */
#ifndef FS_QUERY_SERIES_H
#define FS_QUERY_SERIES_H

#include <stddef.h>
#include <stdint.h>

#include "fs_buf.h"
#include "fs_definition.h"
#include "fs_err.h"
#include "report.h"

typedef enum fs_series_metric {
    FS_SERIES_EVENTS,
    FS_SERIES_USERS,
    FS_SERIES_REVENUE,
    FS_SERIES_LEADS,
} fs_series_metric_t;

typedef struct fs_series {
    fs_series_metric_t metric;
    fs_stage_t stage;     /* events and users; FS_STAGE_NONE otherwise */
    fs_filter_t filter;   /* events, users and revenue */
    const char *model;    /* revenue with a filter; borrowed, validated */
    const char *currency; /* revenue; borrowed, validated */
    int64_t from, to;     /* UTC days, inclusive */
    int64_t *values;      /* to - from + 1 of them; owned (fs_series_free()) */
} fs_series_t;

/** fs_conf check of a metric: events, users, revenue or leads. */
fs_err_t fs_series_check_metric(const char *v, char *errstr, size_t errstr_size);

/** fs_conf check of a stage name: awareness, interest, desire, action, loyalty. */
fs_err_t fs_series_check_stage(const char *v, char *errstr, size_t errstr_size);

/** Parses a metric checked by fs_series_check_metric(); -1 for another word. */
int fs_series_metric_parse(const char *v, fs_series_metric_t *out);

/** The name of @p m ("events", ...). */
const char *fs_series_metric_name(fs_series_metric_t m);

/**
 * Allocates the zeroed values of the days s->from..s->to (set by the
 * caller, from <= to).
 * @returns FS_OK or FS_ERR_NOMEM.
 */
fs_err_t fs_series_alloc(fs_series_t *s) FS_WUR;

/** Frees the values of @p s (not @p s itself). */
void fs_series_free(fs_series_t *s);

#define FS_SERIES_KIND_MAX 16
#define FS_SERIES_SUFFIX_MAX 64
#define FS_SERIES_FIELD_MAX 600

/**
 * Where the value of each day lives: field @p field of the hash
 * `<ns>:v1:<kind>:<day>` followed by `:<suffix>` when @p suffix is not
 * empty (docs/redis-keys.md).
 * @returns FS_OK, or FS_ERR_INVALID when the filter makes the field too long.
 */
fs_err_t fs_series_source(const fs_series_t *s, char kind[FS_SERIES_KIND_MAX],
                          char suffix[FS_SERIES_SUFFIX_MAX],
                          char field[FS_SERIES_FIELD_MAX]) FS_WUR;

/**
 * Sets the value of @p day from the stored text @p v (@p len bytes, not
 * NUL-terminated): a decimal 64-bit integer.
 * @returns FS_OK; FS_ERR_INVALID for a day outside the range;
 *          FS_ERR_CORRUPT (with @p errstr) for a value that is not an integer.
 */
fs_err_t fs_series_set(fs_series_t *s, int64_t day, const char *v, size_t len,
                       char *errstr, size_t errstr_size) FS_WUR;

/**
 * The sum of the points.
 * @returns 0, or -1 when it overflows 64 bits.
 */
int fs_series_total(const fs_series_t *s, int64_t *total);

/**
 * Appends @p s rendered as @p format, ending with a newline.
 *  JSON, one line: {"metric":"events","from":..,"to":..,"stage":"interest",
 *    "filter":{}|{"channel":..}|{"campaign":..},"points":[{"day":"2026-11-01",
 *    "value":12},...]}; "stage" only for events and users; revenue adds
 *    "currency" (and "model" with a filter) and its values are decimal
 *    strings ("1234.50"); leads has no filter.
 *  CSV: `day,value`, one line per day.
 *  Table: a title line, then day and value columns (thousands separators)
 *    and a total line.
 * @returns FS_OK or FS_ERR_NOMEM.
 */
fs_err_t fs_series_render(const fs_series_t *s, fs_report_format_t format,
                          fs_buf_t *out) FS_WUR;

#endif
