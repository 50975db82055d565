/*
 * handoff_report.c — handoff sums, median and rendering (see
 * handoff_report.h).  Pure.
 *
 * The median is exact: delays are kept as (seconds, count) pairs, sorted,
 * and the middle one or two are found by walking the cumulative counts;
 * hours are formatted from integer hundredths, never through a float.
 */
#include "handoff_report.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_day.h"

#define HOUR 3600u

void fs_handoff_report_free(fs_handoff_report_t *r)
{
    free(r->delays);
    r->delays = NULL;
    r->ndelays = r->cap = 0;
}

static int is_field(const char *field, size_t len, const char *name)
{
    return len == strlen(name) && memcmp(field, name, len) == 0;
}

fs_err_t fs_handoff_add(fs_handoff_report_t *r, const char *field, size_t flen,
                        const char *value, size_t vlen, char *errstr, size_t sz)
{
    int shown = (int)(flen > 100 ? 100 : flen), vshown = (int)(vlen > 40 ? 40 : vlen);
    uint64_t n, seconds = 0, *sum;
    int is_delay = flen >= 2 && field[0] == 'd' && field[1] == ':';
    if (is_field(field, flen, "leads"))
        sum = &r->leads;
    else if (is_field(field, flen, "within_sla"))
        sum = &r->within_sla;
    else if (is_delay)
        sum = NULL;
    else
        return FS_OK; /* not ours: a later layout may add fields */
    if (fs_report_parse_count(value, vlen, &n) != 0) {
        snprintf(errstr, sz, "field %.*s: \"%.*s\" is not a count", shown, field, vshown,
                 value);
        return FS_ERR_CORRUPT;
    }
    if (sum) {
        if (n > UINT64_MAX - *sum) {
            snprintf(errstr, sz, "field %.*s: the sum over the range overflows", shown,
                     field);
            return FS_ERR_CORRUPT;
        }
        *sum += n;
        return FS_OK;
    }
    if (fs_report_parse_count(field + 2, flen - 2, &seconds) != 0) {
        snprintf(errstr, sz, "field %.*s: the delay is not a number of seconds", shown,
                 field);
        return FS_ERR_CORRUPT;
    }
    if (n == 0)
        return FS_OK; /* a retracted delay */
    if (r->ndelays == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        fs_handoff_delay_t *d = realloc(r->delays, cap * sizeof(*d));
        if (!d) {
            snprintf(errstr, sz, "out of memory summing the handoff delays");
            return FS_ERR_NOMEM;
        }
        r->delays = d;
        r->cap = cap;
    }
    r->delays[r->ndelays++] = (fs_handoff_delay_t){seconds, n};
    return FS_OK;
}

static int by_seconds(const void *a, const void *b)
{
    const fs_handoff_delay_t *x = a, *y = b;
    return x->seconds < y->seconds ? -1 : x->seconds > y->seconds;
}

fs_err_t fs_handoff_finish(fs_handoff_report_t *r, char *errstr, size_t sz)
{
    size_t k = 0;
    uint64_t total = 0;
    if (r->ndelays)
        qsort(r->delays, r->ndelays, sizeof(*r->delays), by_seconds);
    for (size_t i = 0; i < r->ndelays; i++) {
        const fs_handoff_delay_t *d = &r->delays[i];
        if (d->count > UINT64_MAX - total) {
            snprintf(errstr, sz, "field d:%" PRIu64 ": the sum over the range overflows",
                     d->seconds);
            return FS_ERR_CORRUPT;
        }
        total += d->count;
        if (k && r->delays[k - 1].seconds == d->seconds)
            r->delays[k - 1].count += d->count; /* <= total: cannot overflow */
        else
            r->delays[k++] = *d;
    }
    r->ndelays = k;
    return FS_OK;
}

/* The delay at 0-based position @p pos of the sorted, expanded delays. */
static uint64_t delay_at(const fs_handoff_report_t *r, uint64_t pos)
{
    for (size_t i = 0; i < r->ndelays; i++) {
        if (pos < r->delays[i].count)
            return r->delays[i].seconds;
        pos -= r->delays[i].count;
    }
    return 0; /* not reached for pos < total */
}

int fs_handoff_median_e2(const fs_handoff_report_t *r, uint64_t *hours_e2)
{
    uint64_t total = 0;
    for (size_t i = 0; i < r->ndelays; i++)
        total += r->delays[i].count; /* fs_handoff_finish() checked the sum */
    if (total == 0)
        return -1;
    __extension__ unsigned __int128 twice =
        (unsigned __int128)delay_at(r, (total - 1) / 2) + delay_at(r, total / 2);
    /* median hours × 100 = twice / 2 / 3600 × 100, rounded half up. */
    __extension__ unsigned __int128 e2 = (twice * 100 + HOUR) / (2 * HOUR);
    *hours_e2 = e2 > UINT64_MAX ? UINT64_MAX : (uint64_t)e2;
    return 0;
}

static const char *const bucket_labels[FS_HANDOFF_BUCKETS] = {"< 1h", "1-4h", "4-24h",
                                                              "1-2d", "2-7d", "> 7d"};

static int bucket_of(uint64_t seconds)
{
    if (seconds < HOUR)
        return 0;
    if (seconds < 4 * HOUR)
        return 1;
    if (seconds < 24 * HOUR)
        return 2;
    if (seconds < 48 * HOUR)
        return 3;
    if (seconds <= 7 * 24 * HOUR)
        return 4;
    return 5;
}

void fs_handoff_histogram(const fs_handoff_report_t *r,
                          uint64_t counts[FS_HANDOFF_BUCKETS],
                          const char *labels[FS_HANDOFF_BUCKETS])
{
    for (int b = 0; b < FS_HANDOFF_BUCKETS; b++) {
        counts[b] = 0;
        if (labels)
            labels[b] = bucket_labels[b];
    }
    for (size_t i = 0; i < r->ndelays; i++)
        counts[bucket_of(r->delays[i].seconds)] += r->delays[i].count;
}

/* "30.0", "30.5", "30.25": 2 decimals at most, 1 at least. */
static void hours_text(uint64_t e2, char out[32])
{
    if (e2 % 10 == 0)
        snprintf(out, 32, "%" PRIu64 ".%" PRIu64, e2 / 100, e2 % 100 / 10);
    else
        snprintf(out, 32, "%" PRIu64 ".%02" PRIu64, e2 / 100, e2 % 100);
}

/* The days of @p r and its median in hours, or @p null_median when there is none. */
static void summary_text(const fs_handoff_report_t *r, char from[11], char to[11],
                         char median[32], const char *null_median)
{
    uint64_t e2;
    fs_day_format(r->from, from);
    fs_day_format(r->to, to);
    if (fs_handoff_median_e2(r, &e2) == 0)
        hours_text(e2, median);
    else
        snprintf(median, 32, "%s", null_median);
}

static fs_err_t render_json(const void *report, fs_buf_t *out)
{
    const fs_handoff_report_t *r = report;
    char from[11], to[11], median[32];
    summary_text(r, from, to, median, "null");
    return fs_buf_printf(
        out,
        "{\"from\":\"%s\",\"to\":\"%s\",\"sla_days\":%lld,\"leads\":%" PRIu64
        ",\"handed_off_within_sla\":%" PRIu64 ",\"median_delay_hours\":%s}\n",
        from, to, r->sla_days, r->leads, r->within_sla, median);
}

static fs_err_t render_csv(const void *report, fs_buf_t *out)
{
    const fs_handoff_report_t *r = report;
    char from[11], to[11], median[32];
    summary_text(r, from, to, median, "");
    return fs_buf_printf(
        out,
        "from,to,sla_days,leads,handed_off_within_sla,median_delay_hours\n"
        "%s,%s,%lld,%" PRIu64 ",%" PRIu64 ",%s\n",
        from, to, r->sla_days, r->leads, r->within_sla, median);
}

#define BAR_MAX 40 /* characters of the longest histogram bar */

/* The delay histogram as aligned lines with bars (both tables). */
static fs_err_t histogram_table(const fs_handoff_report_t *r, fs_buf_t *out)
{
    uint64_t counts[FS_HANDOFF_BUCKETS], most = 0;
    const char *labels[FS_HANDOFF_BUCKETS];
    fs_err_t err;
    fs_handoff_histogram(r, counts, labels);
    for (int b = 0; b < FS_HANDOFF_BUCKETS; b++)
        most = counts[b] > most ? counts[b] : most;
    if (most == 0)
        return fs_buf_puts(out, "\n(no handoff delays recorded in this range)\n");
    char cells[FS_HANDOFF_BUCKETS][32];
    int wc = (int)strlen("handoffs");
    for (int b = 0; b < FS_HANDOFF_BUCKETS; b++) {
        fs_report_group_digits(counts[b], cells[b]);
        wc = (int)strlen(cells[b]) > wc ? (int)strlen(cells[b]) : wc;
    }
    err = fs_buf_printf(out, "\n%-5s  %*s\n", "delay", wc, "handoffs");
    for (int b = 0; !err && b < FS_HANDOFF_BUCKETS; b++) {
        /* Any non-zero count shows at least one mark. */
        __extension__ unsigned __int128 len =
            ((unsigned __int128)counts[b] * BAR_MAX + most - 1) / most;
        err = fs_buf_printf(out, "%-5s  %*s%s", labels[b], wc, cells[b], len ? "  " : "");
        for (unsigned i = 0; !err && i < (unsigned)len; i++)
            err = fs_buf_puts(out, "#");
        if (!err)
            err = fs_buf_puts(out, "\n");
    }
    return err;
}

static fs_err_t render_table(const void *report, fs_buf_t *out)
{
    const fs_handoff_report_t *r = report;
    char from[11], to[11], leads[32], within[32], share[96] = "", median[64] = "-";
    char label[64];
    uint64_t e2;
    int64_t e4;
    fs_day_format(r->from, from);
    fs_day_format(r->to, to);
    fs_report_group_digits(r->leads, leads);
    fs_report_group_digits(r->within_sla, within);
    /* Counts far beyond INT64_MAX are not real data; the share is then omitted. */
    if (r->leads <= INT64_MAX && r->within_sla <= INT64_MAX &&
        fs_report_share_e4((int64_t)r->within_sla, (int64_t)r->leads, &e4) == 0) {
        char pct[64];
        fs_report_decimal(e4, 2, 0, pct);
        snprintf(share, sizeof(share), "  (%s%% of leads)", pct);
    }
    if (fs_handoff_median_e2(r, &e2) == 0) {
        hours_text(e2, median);
        strcat(median, " h");
    }
    snprintf(label, sizeof(label), "handed off within SLA (%lld days)", r->sla_days);
    int w = (int)strlen(label), wv = (int)strlen(leads);
    wv = (int)strlen(within) > wv ? (int)strlen(within) : wv;
    wv = (int)strlen(median) > wv ? (int)strlen(median) : wv;

    fs_err_t err =
        fs_buf_printf(out,
                      "Marketing -> sales handoff %s .. %s (UTC, by lead day)\n\n"
                      "%-*s  %*s\n%-*s  %*s%s\n%-*s  %*s\n",
                      from, to, w, "leads", wv, leads, w, label, wv, within, share, w,
                      "median delay", wv, median);
    return err ? err : histogram_table(r, out);
}

fs_err_t fs_handoff_render(const fs_handoff_report_t *r, fs_report_format_t format,
                           fs_buf_t *out)
{
    static const fs_report_renderers_t handoff = {render_table, render_json, render_csv};
    return fs_report_render_as(&handoff, format, r, out);
}

/* ---- the delay histogram on its own ----------------------------------- */

static fs_err_t delays_json(const void *report, fs_buf_t *out)
{
    const fs_handoff_report_t *r = report;
    uint64_t counts[FS_HANDOFF_BUCKETS], total = 0;
    const char *labels[FS_HANDOFF_BUCKETS];
    char from[11], to[11];
    fs_day_format(r->from, from);
    fs_day_format(r->to, to);
    fs_handoff_histogram(r, counts, labels);
    for (int b = 0; b < FS_HANDOFF_BUCKETS; b++)
        total += counts[b]; /* fs_handoff_finish() checked the sum */
    fs_err_t err = fs_buf_printf(out,
                                 "{\"from\":\"%s\",\"to\":\"%s\",\"sla_days\":%lld,"
                                 "\"handoffs\":%" PRIu64 ",\"buckets\":[",
                                 from, to, r->sla_days, total);
    for (int b = 0; !err && b < FS_HANDOFF_BUCKETS; b++)
        err = fs_buf_printf(out, "%s{\"bucket\":\"%s\",\"handoffs\":%" PRIu64 "}",
                            b ? "," : "", labels[b], counts[b]);
    return err ? err : fs_buf_puts(out, "]}\n");
}

static fs_err_t delays_csv(const void *report, fs_buf_t *out)
{
    uint64_t counts[FS_HANDOFF_BUCKETS];
    const char *labels[FS_HANDOFF_BUCKETS];
    fs_handoff_histogram(report, counts, labels);
    fs_err_t err = fs_buf_puts(out, "bucket,handoffs\n");
    for (int b = 0; !err && b < FS_HANDOFF_BUCKETS; b++)
        err = fs_buf_printf(out, "%s,%" PRIu64 "\n", labels[b], counts[b]);
    return err;
}

static fs_err_t delays_table(const void *report, fs_buf_t *out)
{
    const fs_handoff_report_t *r = report;
    char from[11], to[11];
    fs_day_format(r->from, from);
    fs_day_format(r->to, to);
    fs_err_t err = fs_buf_printf(out,
                                 "Handoff delays %s .. %s (UTC, by lead day, SLA %lld "
                                 "days)\n",
                                 from, to, r->sla_days);
    return err ? err : histogram_table(r, out);
}

fs_err_t fs_handoff_delays_render(const fs_handoff_report_t *r, fs_report_format_t format,
                                  fs_buf_t *out)
{
    static const fs_report_renderers_t delays = {delays_table, delays_json, delays_csv};
    return fs_report_render_as(&delays, format, r, out);
}
