/*
 * handoff_report.h — the marketing → sales handoff report of funnel-query
 * (docs/attribution.md): the sums of the per-lead-day handoff hashes, the
 * exact median delay, and their rendering as a table, JSON or CSV.
 *
 * Owns: the delay counts of one report (fs_handoff_report_t.delays).
 * Called by query/handoff_cmd.c (rendering) and query/store.c (which feeds
 * it the fields of each day's hash).  Pure: never touches Redis, a file,
 * the clock or a terminal; unit-tested in tests/unit/test_report_handoff.c.
 */
#ifndef FS_QUERY_HANDOFF_REPORT_H
#define FS_QUERY_HANDOFF_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "fs_buf.h"
#include "fs_err.h"
#include "report.h"

/* How many handoffs took one delay. */
typedef struct fs_handoff_delay {
    uint64_t seconds;
    uint64_t count;
} fs_handoff_delay_t;

/* Buckets of the delay histogram of the table (fs_handoff_histogram()). */
#define FS_HANDOFF_BUCKETS 6

typedef struct fs_handoff_report {
    int64_t from, to;    /* UTC lead days, inclusive */
    long long sla_days;  /* FUNNEL_SLA_DAYS, as configured for the query */
    uint64_t leads;      /* sum of `leads` */
    uint64_t within_sla; /* sum of `within_sla` */
    /*
     * Sum of the `d:<seconds>` fields.  Appended as read; after
     * fs_handoff_finish() sorted by seconds, one entry per delay, no zero
     * counts.  Owned: fs_handoff_report_free().
     */
    fs_handoff_delay_t *delays;
    size_t ndelays, cap;
} fs_handoff_report_t;

/** Frees the delays of @p r (not @p r itself); @p r is then empty again. */
void fs_handoff_report_free(fs_handoff_report_t *r);

/**
 * Adds one field of a `<ns>:v1:handoff:<day>` hash (docs/redis-keys.md):
 * `leads`, `within_sla` and `d:<seconds>` → counts.  Other fields are
 * ignored (a later layout may add some).  Bytes are borrowed for the call.
 * @returns FS_OK; FS_ERR_CORRUPT with @p errstr naming the field when a
 *          count is not a non-negative decimal integer, `<seconds>` is not
 *          one, or a sum overflows 64 bits; FS_ERR_NOMEM.  On failure @p r
 *          is unchanged.
 */
fs_err_t fs_handoff_add(fs_handoff_report_t *r, const char *field, size_t field_len,
                        const char *value, size_t value_len, char *errstr,
                        size_t errstr_size) FS_WUR;

/**
 * Sorts the delays and merges equal ones (summing counts; zero counts
 * dropped).  Call once, after the last fs_handoff_add().
 * @returns FS_OK, or FS_ERR_CORRUPT (with @p errstr) when the counts of
 *          one delay or of all delays overflow 64 bits.
 */
fs_err_t fs_handoff_finish(fs_handoff_report_t *r, char *errstr,
                           size_t errstr_size) FS_WUR;

/**
 * The exact median delay of the finished @p r in hundredths of an hour,
 * rounded half up: the middle delay of the sorted delays, or the mean of
 * the two middle ones for an even count (30.5 h → 3050).
 * @returns 0, or -1 when there is no delay (the median is null).
 */
int fs_handoff_median_e2(const fs_handoff_report_t *r, uint64_t *hours_e2);

/**
 * Counts of the finished @p r per histogram bucket: < 1h, 1-4h, 4-24h,
 * 1-2d, 2-7d, > 7d (each bucket includes its lower bound; 2-7d includes
 * exactly 7 days, the default SLA).  @p labels (may be NULL) gets the
 * bucket names.
 */
void fs_handoff_histogram(const fs_handoff_report_t *r,
                          uint64_t counts[FS_HANDOFF_BUCKETS],
                          const char *labels[FS_HANDOFF_BUCKETS]);

/**
 * Appends the finished @p r rendered as @p format to @p out, ending with a
 * newline.
 *  JSON (docs/funnel-query.md, one line): {"from":..,"to":..,"sla_days":7,"leads":120,
 *    "handed_off_within_sla":80,"median_delay_hours":30.5|null}; the
 *    median has at most 2 decimals and at least 1 (30.0, 30.5, 30.25).
 *  CSV: header `from,to,sla_days,leads,handed_off_within_sla,
 *    median_delay_hours`, one line (empty median when null).
 *  Table: the same, the share handed off within the SLA and the delay
 *    histogram with counts and bars.
 * @returns FS_OK or FS_ERR_NOMEM (@p out then holds a partial rendering).
 */
fs_err_t fs_handoff_render(const fs_handoff_report_t *r, fs_report_format_t format,
                           fs_buf_t *out) FS_WUR;

/**
 * Appends the delay histogram of the finished @p r (fs_handoff_histogram())
 * rendered as @p format, ending with a newline.
 *  JSON (one line): {"from":..,"to":..,"sla_days":7,"handoffs":N,
 *    "buckets":[{"bucket":"< 1h","handoffs":3},...]}, all six buckets in
 *    order, handoffs = their sum.
 *  CSV: `bucket,handoffs`, one line per bucket.
 *  Table: a title line and the histogram of the handoff table.
 * @returns FS_OK or FS_ERR_NOMEM.
 */
fs_err_t fs_handoff_delays_render(const fs_handoff_report_t *r, fs_report_format_t format,
                                  fs_buf_t *out) FS_WUR;

#endif
