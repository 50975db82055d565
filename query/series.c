/*
 * series.c — daily series: options, sources and rendering (see series.h).
 * Pure.
 */
#include "series.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrib_report.h"
#include "fs_day.h"

static const char *const metric_names[] = {"events", "users", "revenue", "leads"};
#define NMETRICS (sizeof(metric_names) / sizeof(metric_names[0]))

int fs_series_metric_parse(const char *v, fs_series_metric_t *out)
{
    for (size_t i = 0; i < NMETRICS; i++)
        if (strcmp(v, metric_names[i]) == 0) {
            *out = (fs_series_metric_t)i;
            return 0;
        }
    return -1;
}

const char *fs_series_metric_name(fs_series_metric_t m)
{
    return (size_t)m < NMETRICS ? metric_names[m] : "?";
}

fs_err_t fs_series_check_metric(const char *v, char *errstr, size_t sz)
{
    fs_series_metric_t m;
    if (fs_series_metric_parse(v, &m) == 0)
        return FS_OK;
    snprintf(errstr, sz, "\"%.64s\" is not one of events, users, revenue, leads", v);
    return FS_ERR_INVALID;
}

fs_err_t fs_series_check_stage(const char *v, char *errstr, size_t sz)
{
    fs_stage_t st;
    if (fs_stage_parse(v, &st) == 0 && st != FS_STAGE_NONE)
        return FS_OK;
    snprintf(errstr, sz,
             "\"%.64s\" is not one of awareness, interest, desire, action, loyalty", v);
    return FS_ERR_INVALID;
}

fs_err_t fs_series_alloc(fs_series_t *s)
{
    size_t n = (size_t)(s->to - s->from + 1);
    s->values = calloc(n, sizeof(*s->values));
    return s->values ? FS_OK : FS_ERR_NOMEM;
}

void fs_series_free(fs_series_t *s)
{
    free(s->values);
    s->values = NULL;
}

fs_err_t fs_series_source(const fs_series_t *s, char kind[FS_SERIES_KIND_MAX],
                          char suffix[FS_SERIES_SUFFIX_MAX],
                          char field[FS_SERIES_FIELD_MAX])
{
    int n = 0;
    suffix[0] = '\0';
    switch (s->metric) {
    case FS_SERIES_EVENTS:
    case FS_SERIES_USERS: {
        const char *stage = fs_stage_name(s->stage);
        snprintf(kind, FS_SERIES_KIND_MAX, "%s",
                 s->metric == FS_SERIES_EVENTS ? "events" : "users");
        if (s->filter.kind == FS_FILTER_CHANNEL)
            n = snprintf(field, FS_SERIES_FIELD_MAX, "sc:%s:%s", stage, s->filter.value);
        else if (s->filter.kind == FS_FILTER_CAMPAIGN)
            n = snprintf(field, FS_SERIES_FIELD_MAX, "sk:%s:%s", stage, s->filter.value);
        else
            n = snprintf(field, FS_SERIES_FIELD_MAX, "s:%s", stage);
        break;
    }
    case FS_SERIES_REVENUE:
        if (s->filter.kind == FS_FILTER_NONE) {
            snprintf(kind, FS_SERIES_KIND_MAX, "revenue");
            n = snprintf(field, FS_SERIES_FIELD_MAX, "r:%s", s->currency);
        } else {
            snprintf(kind, FS_SERIES_KIND_MAX, "attr");
            /* model and currency were validated: short words. */
            snprintf(suffix, FS_SERIES_SUFFIX_MAX, "%s:%s:%s", s->model,
                     s->filter.kind == FS_FILTER_CHANNEL ? "channel" : "campaign",
                     s->currency);
            n = snprintf(field, FS_SERIES_FIELD_MAX, "r:%s", s->filter.value);
        }
        break;
    case FS_SERIES_LEADS:
        snprintf(kind, FS_SERIES_KIND_MAX, "handoff");
        n = snprintf(field, FS_SERIES_FIELD_MAX, "leads");
        break;
    }
    return n < 0 || n >= FS_SERIES_FIELD_MAX ? FS_ERR_INVALID : FS_OK;
}

fs_err_t fs_series_set(fs_series_t *s, int64_t day, const char *v, size_t len,
                       char *errstr, size_t sz)
{
    int64_t n;
    if (day < s->from || day > s->to)
        return FS_ERR_INVALID;
    if (fs_attr_parse_int64(v, len, &n) != 0) {
        snprintf(errstr, sz, "\"%.*s\" is not an integer", (int)(len > 40 ? 40 : len), v);
        return FS_ERR_CORRUPT;
    }
    s->values[day - s->from] = n;
    return FS_OK;
}

int fs_series_total(const fs_series_t *s, int64_t *total)
{
    int64_t t = 0;
    for (int64_t d = 0; d <= s->to - s->from; d++) {
        int64_t v = s->values[d];
        if (v > 0 ? t > INT64_MAX - v : t < INT64_MIN - v)
            return -1;
        t += v;
    }
    *total = t;
    return 0;
}

static const char *filter_key(fs_filter_kind_t kind)
{
    return kind == FS_FILTER_CHANNEL ? "channel" : "campaign";
}

/* The value of day index @p i as text: cents as "12.50", counts as "12". */
static void value_text(const fs_series_t *s, int64_t v, int grouped, char out[64])
{
    if (s->metric == FS_SERIES_REVENUE)
        fs_report_decimal(v, 2, grouped, out);
    else
        fs_report_decimal(v, 0, grouped, out);
}

static fs_err_t render_json(const void *report, fs_buf_t *out)
{
    const fs_series_t *s = report;
    char from[11], to[11], day[11], v[64];
    int money = s->metric == FS_SERIES_REVENUE;
    fs_day_format(s->from, from);
    fs_day_format(s->to, to);
    fs_err_t err = fs_buf_printf(out, "{\"metric\":\"%s\",\"from\":\"%s\",\"to\":\"%s\"",
                                 fs_series_metric_name(s->metric), from, to);
    if (!err && (s->metric == FS_SERIES_EVENTS || s->metric == FS_SERIES_USERS))
        err = fs_buf_printf(out, ",\"stage\":\"%s\"", fs_stage_name(s->stage));
    if (!err && money) {
        err = fs_buf_printf(out, ",\"currency\":\"%s\"", s->currency);
        if (!err && s->filter.kind != FS_FILTER_NONE)
            err = fs_buf_printf(out, ",\"model\":\"%s\"", s->model);
    }
    if (!err)
        err = fs_buf_puts(out, ",\"filter\":{");
    if (!err && s->filter.kind != FS_FILTER_NONE &&
        !(err = fs_buf_printf(out, "\"%s\":", filter_key(s->filter.kind))))
        err = fs_report_json_string(out, s->filter.value);
    if (!err)
        err = fs_buf_puts(out, "},\"points\":[");
    for (int64_t d = s->from; !err && d <= s->to; d++) {
        fs_day_format(d, day);
        value_text(s, s->values[d - s->from], 0, v);
        err = fs_buf_printf(out,
                            money ? "%s{\"day\":\"%s\",\"value\":\"%s\"}"
                                  : "%s{\"day\":\"%s\",\"value\":%s}",
                            d == s->from ? "" : ",", day, v);
    }
    return err ? err : fs_buf_puts(out, "]}\n");
}

static fs_err_t render_csv(const void *report, fs_buf_t *out)
{
    const fs_series_t *s = report;
    char day[11], v[64];
    fs_err_t err = fs_buf_puts(out, "day,value\n");
    for (int64_t d = s->from; !err && d <= s->to; d++) {
        fs_day_format(d, day);
        value_text(s, s->values[d - s->from], 0, v);
        err = fs_buf_printf(out, "%s,%s\n", day, v);
    }
    return err;
}

static fs_err_t render_table(const void *report, fs_buf_t *out)
{
    const fs_series_t *s = report;
    char from[11], to[11], day[11], v[64], total[64] = "overflow";
    int64_t t;
    int w = 5; /* "value" */
    fs_day_format(s->from, from);
    fs_day_format(s->to, to);
    if (fs_series_total(s, &t) == 0)
        value_text(s, t, 1, total);
    w = (int)strlen(total) > w ? (int)strlen(total) : w;
    for (int64_t d = s->from; d <= s->to; d++) {
        value_text(s, s->values[d - s->from], 1, v);
        w = (int)strlen(v) > w ? (int)strlen(v) : w;
    }
    fs_err_t err = fs_buf_printf(out, "%s per day %s .. %s (UTC)",
                                 fs_series_metric_name(s->metric), from, to);
    if (!err && (s->metric == FS_SERIES_EVENTS || s->metric == FS_SERIES_USERS))
        err = fs_buf_printf(out, ", stage %s", fs_stage_name(s->stage));
    if (!err && s->metric == FS_SERIES_REVENUE)
        err = fs_buf_printf(out, ", %s", s->currency);
    if (!err && s->filter.kind != FS_FILTER_NONE) {
        err = fs_buf_printf(out, ", %s ", filter_key(s->filter.kind));
        if (!err)
            err = fs_report_cell(out, s->filter.value, 0, 0);
        if (!err && s->metric == FS_SERIES_REVENUE)
            err = fs_buf_printf(out, " (%s model)", s->model);
    }
    if (!err)
        err = fs_buf_printf(out, "\n\n%-10s  %*s\n", "day", w, "value");
    for (int64_t d = s->from; !err && d <= s->to; d++) {
        fs_day_format(d, day);
        value_text(s, s->values[d - s->from], 1, v);
        err = fs_buf_printf(out, "%s  %*s\n", day, w, v);
    }
    if (!err)
        err = fs_buf_printf(out, "%-10s  %*s\n", "total", w, total);
    return err;
}

fs_err_t fs_series_render(const fs_series_t *s, fs_report_format_t format, fs_buf_t *out)
{
    static const fs_report_renderers_t series = {render_table, render_json, render_csv};
    return fs_report_render_as(&series, format, s, out);
}
