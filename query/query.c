/*
 * query.c — one query, from options to rendering (see query.h).
 *
 * The rules of each option live in the report modules (report.c,
 * attrib_report.c, series.c); this file only says which kind takes which
 * option and in what order they are checked, so the CLI and the API can
 * never disagree.
 */
#include "query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrib_report.h"
#include "handoff_report.h"
#include "series.h"

static const char *const kind_names[FS_QUERY__COUNT] = {
    [FS_QUERY_FUNNEL] = "funnel",   [FS_QUERY_ATTRIBUTION] = "attribution",
    [FS_QUERY_HANDOFF] = "handoff", [FS_QUERY_HANDOFF_DELAYS] = "handoff-delays",
    [FS_QUERY_SERIES] = "series",
};

static const struct option {
    const char *name;
    fs_conf_check_fn check;
} options[FS_OPT__COUNT] = {
    [FS_OPT_FROM] = {"from", fs_report_check_day},
    [FS_OPT_TO] = {"to", fs_report_check_day},
    [FS_OPT_CHANNEL] = {"channel", fs_report_check_label},
    [FS_OPT_CAMPAIGN] = {"campaign", fs_report_check_label},
    [FS_OPT_MODEL] = {"model", fs_attr_check_model},
    [FS_OPT_BY] = {"by", fs_attr_check_by},
    [FS_OPT_CURRENCY] = {"currency", fs_attr_check_currency},
    [FS_OPT_METRIC] = {"metric", fs_series_check_metric},
    [FS_OPT_STAGE] = {"stage", fs_series_check_stage},
};

#define B(o) (1u << (o))
static const unsigned takes[FS_QUERY__COUNT] = {
    [FS_QUERY_FUNNEL] =
        B(FS_OPT_FROM) | B(FS_OPT_TO) | B(FS_OPT_CHANNEL) | B(FS_OPT_CAMPAIGN),
    [FS_QUERY_ATTRIBUTION] = B(FS_OPT_FROM) | B(FS_OPT_TO) | B(FS_OPT_MODEL) |
                             B(FS_OPT_BY) | B(FS_OPT_CURRENCY),
    [FS_QUERY_HANDOFF] = B(FS_OPT_FROM) | B(FS_OPT_TO),
    [FS_QUERY_HANDOFF_DELAYS] = B(FS_OPT_FROM) | B(FS_OPT_TO),
    [FS_QUERY_SERIES] = B(FS_OPT_FROM) | B(FS_OPT_TO) | B(FS_OPT_CHANNEL) |
                        B(FS_OPT_CAMPAIGN) | B(FS_OPT_MODEL) | B(FS_OPT_CURRENCY) |
                        B(FS_OPT_METRIC) | B(FS_OPT_STAGE),
};

struct fs_query {
    fs_query_kind_t kind;
    fs_report_format_t format;
    int64_t from, to;
    fs_funnel_report_t funnel;
    fs_attr_report_t attr;
    fs_attr_sums_t *sums, *departments; /* owned; departments only for the table */
    fs_handoff_report_t handoff;
    fs_series_t series;
};

const char *fs_query_kind_name(fs_query_kind_t kind)
{
    return (unsigned)kind < FS_QUERY__COUNT ? kind_names[kind] : "?";
}

int fs_query_kind_parse(const char *name, fs_query_kind_t *kind)
{
    for (int k = 0; k < FS_QUERY__COUNT; k++)
        if (strcmp(name, kind_names[k]) == 0) {
            *kind = (fs_query_kind_t)k;
            return 0;
        }
    return -1;
}

const char *fs_query_opt_name(fs_query_opt_t opt)
{
    return (unsigned)opt < FS_OPT__COUNT ? options[opt].name : "?";
}

int fs_query_opt_parse(const char *name, fs_query_opt_t *opt)
{
    for (int o = 0; o < FS_OPT__COUNT; o++)
        if (strcmp(name, options[o].name) == 0) {
            *opt = (fs_query_opt_t)o;
            return 0;
        }
    return -1;
}

int fs_query_takes(fs_query_kind_t kind, fs_query_opt_t opt)
{
    return (unsigned)kind < FS_QUERY__COUNT && (unsigned)opt < FS_OPT__COUNT &&
           (takes[kind] & B(opt)) != 0;
}

/* Copies @p msg, a report module's sentence naming flags ("--from: ..."),
 * into @p errstr with each "--" replaced by @p prefix. */
static void reprefix(const char *msg, const char *prefix, char *errstr, size_t sz)
{
    size_t o = 0, plen = strlen(prefix);
    for (const char *p = msg; *p && o + 1 < sz;) {
        if (p[0] == '-' && p[1] == '-') {
            for (size_t i = 0; i < plen && o + 1 < sz; i++)
                errstr[o++] = prefix[i];
            p += 2;
        } else {
            errstr[o++] = *p++;
        }
    }
    if (sz)
        errstr[o] = '\0';
}

static fs_err_t invalid(char *errstr, size_t sz, const char *prefix, fs_query_opt_t opt,
                        const char *why)
{
    snprintf(errstr, sz, "%s%s: %s", prefix, options[opt].name, why);
    return FS_ERR_INVALID;
}

/* Series: which options each metric needs and refuses. */
static fs_err_t prepare_series(fs_query_t *q, const fs_query_opts_t *o,
                               const char *prefix, char *errstr, size_t sz)
{
    fs_series_t *s = &q->series;
    const char *const *v = o->v;
    if (!v[FS_OPT_METRIC])
        return invalid(errstr, sz, prefix, FS_OPT_METRIC,
                       "required, one of events, users, revenue, leads");
    if (fs_series_metric_parse(v[FS_OPT_METRIC], &s->metric) != 0)
        return invalid(errstr, sz, prefix, FS_OPT_METRIC, "unknown metric");
    int counts = s->metric == FS_SERIES_EVENTS || s->metric == FS_SERIES_USERS;
    s->stage = FS_STAGE_NONE;
    if (counts && !v[FS_OPT_STAGE])
        return invalid(errstr, sz, prefix, FS_OPT_STAGE,
                       "required for events and users: awareness, interest, desire, "
                       "action or loyalty");
    if (!counts && v[FS_OPT_STAGE])
        return invalid(errstr, sz, prefix, FS_OPT_STAGE, "only for events and users");
    if (counts && fs_stage_parse(v[FS_OPT_STAGE], &s->stage) != 0)
        return invalid(errstr, sz, prefix, FS_OPT_STAGE, "unknown stage");
    if (s->metric != FS_SERIES_REVENUE && v[FS_OPT_CURRENCY])
        return invalid(errstr, sz, prefix, FS_OPT_CURRENCY, "only for revenue");
    if (s->metric == FS_SERIES_LEADS && (v[FS_OPT_CHANNEL] || v[FS_OPT_CAMPAIGN]))
        return invalid(errstr, sz, prefix,
                       v[FS_OPT_CHANNEL] ? FS_OPT_CHANNEL : FS_OPT_CAMPAIGN,
                       "leads are counted per lead day only, without a filter");
    int filtered = v[FS_OPT_CHANNEL] || v[FS_OPT_CAMPAIGN];
    if (v[FS_OPT_MODEL] && !(s->metric == FS_SERIES_REVENUE && filtered))
        return invalid(errstr, sz, prefix, FS_OPT_MODEL,
                       "only for revenue with channel or campaign (booked revenue is "
                       "the same under every model)");
    if (s->metric == FS_SERIES_REVENUE && filtered && !v[FS_OPT_MODEL]) {
        char why[160];
        snprintf(why, sizeof(why), "required for revenue with %s%s, one of %s", prefix,
                 v[FS_OPT_CHANNEL] ? "channel" : "campaign", fs_attr_model_list);
        return invalid(errstr, sz, prefix, FS_OPT_MODEL, why);
    }
    s->model = v[FS_OPT_MODEL];
    s->currency = v[FS_OPT_CURRENCY] ? v[FS_OPT_CURRENCY] : FS_ATTR_DEFAULT_CURRENCY;
    s->from = q->from;
    s->to = q->to;
    return fs_series_alloc(s);
}

fs_err_t fs_query_new(fs_query_kind_t kind, const fs_query_opts_t *o, int64_t today,
                      fs_report_format_t format, const char *prefix, fs_query_t **qp,
                      char *errstr, size_t sz)
{
    char why[512];
    fs_err_t err = FS_ERR_INVALID;
    fs_query_t *q = NULL;
    *qp = NULL;
    if ((unsigned)kind >= FS_QUERY__COUNT) {
        snprintf(errstr, sz, "unknown query");
        return FS_ERR_INVALID;
    }
    for (int i = 0; i < FS_OPT__COUNT; i++) {
        if (!o->v[i])
            continue;
        if (!fs_query_takes(kind, (fs_query_opt_t)i)) {
            snprintf(errstr, sz, "%s%s: not an option of \"%s\"", prefix, options[i].name,
                     kind_names[kind]);
            return FS_ERR_INVALID;
        }
        if (options[i].check(o->v[i], why, sizeof(why)) != FS_OK)
            return invalid(errstr, sz, prefix, (fs_query_opt_t)i, why);
    }
    if (!(q = calloc(1, sizeof(*q)))) {
        snprintf(errstr, sz, "out of memory");
        return FS_ERR_NOMEM;
    }
    q->kind = kind;
    q->format = format;
    if (o->v[FS_OPT_CHANNEL] && o->v[FS_OPT_CAMPAIGN]) {
        snprintf(why, sizeof(why), "%schannel and %scampaign are mutually exclusive",
                 prefix, prefix);
        invalid(errstr, sz, prefix, FS_OPT_CHANNEL, why);
        goto fail;
    }
    if (fs_report_range(o->v[FS_OPT_FROM], o->v[FS_OPT_TO], today, &q->from, &q->to, why,
                        sizeof(why)) != FS_OK ||
        fs_report_filter(o->v[FS_OPT_CHANNEL], o->v[FS_OPT_CAMPAIGN], &q->funnel.filter,
                         why, sizeof(why)) != FS_OK) {
        reprefix(why, prefix, errstr, sz);
        goto fail;
    }
    switch (kind) {
    case FS_QUERY_FUNNEL:
        q->funnel.from = q->from;
        q->funnel.to = q->to;
        break;
    case FS_QUERY_ATTRIBUTION: {
        fs_attr_report_t *r = &q->attr;
        if (!(r->model = o->v[FS_OPT_MODEL])) {
            snprintf(why, sizeof(why), "required, one of %s", fs_attr_model_list);
            invalid(errstr, sz, prefix, FS_OPT_MODEL, why);
            goto fail;
        }
        r->by = o->v[FS_OPT_BY] ? o->v[FS_OPT_BY] : FS_ATTR_DEFAULT_BY;
        r->currency =
            o->v[FS_OPT_CURRENCY] ? o->v[FS_OPT_CURRENCY] : FS_ATTR_DEFAULT_CURRENCY;
        r->from = q->from;
        r->to = q->to;
        /* The table shows the same model's department subtotals too. */
        if (!(q->sums = fs_attr_sums_new()) ||
            (format == FS_REPORT_TABLE && strcmp(r->by, "department") != 0 &&
             !(q->departments = fs_attr_sums_new())))
            goto nomem;
        r->sums = q->sums;
        r->departments = q->departments;
        break;
    }
    case FS_QUERY_HANDOFF:
    case FS_QUERY_HANDOFF_DELAYS:
        q->handoff.from = q->from;
        q->handoff.to = q->to;
        q->handoff.sla_days = o->sla_days;
        break;
    case FS_QUERY_SERIES:
        q->series.filter = q->funnel.filter;
        if ((err = prepare_series(q, o, prefix, errstr, sz)) == FS_ERR_NOMEM)
            goto nomem;
        if (err)
            goto fail;
        break;
    default:
        break;
    }
    *qp = q;
    return FS_OK;
nomem:
    snprintf(errstr, sz, "out of memory");
    err = FS_ERR_NOMEM;
fail:
    fs_query_destroy(q);
    return err;
}

void fs_query_destroy(fs_query_t *q)
{
    if (!q)
        return;
    fs_attr_sums_destroy(q->departments);
    fs_attr_sums_destroy(q->sums);
    fs_handoff_report_free(&q->handoff);
    fs_series_free(&q->series);
    free(q);
}

void fs_query_range(const fs_query_t *q, int64_t *from, int64_t *to)
{
    *from = q->from;
    *to = q->to;
}

fs_err_t fs_query_read(fs_query_t *q, fs_qstore_t *qs, char *errstr, size_t sz)
{
    const fs_attr_report_t *r = &q->attr;
    fs_err_t err;
    switch (q->kind) {
    case FS_QUERY_FUNNEL:
        return fs_qstore_read_funnel(qs, &q->funnel, errstr, sz);
    case FS_QUERY_ATTRIBUTION:
        err = fs_qstore_require_attribution(qs, errstr, sz);
        if (!err)
            err = fs_qstore_read_attribution(qs, r->from, r->to, r->model, r->by,
                                             r->currency, q->sums, errstr, sz);
        if (!err && q->departments)
            err = fs_qstore_read_attribution(qs, r->from, r->to, r->model, "department",
                                             r->currency, q->departments, errstr, sz);
        return err;
    case FS_QUERY_HANDOFF:
    case FS_QUERY_HANDOFF_DELAYS:
        err = fs_qstore_require_attribution(qs, errstr, sz);
        return err ? err : fs_qstore_read_handoff(qs, &q->handoff, errstr, sz);
    case FS_QUERY_SERIES:
        return fs_qstore_read_series(qs, &q->series, errstr, sz);
    default:
        break;
    }
    snprintf(errstr, sz, "unknown query");
    return FS_ERR_INVALID;
}

fs_err_t fs_query_render(const fs_query_t *q, fs_buf_t *out)
{
    switch (q->kind) {
    case FS_QUERY_FUNNEL:
        return fs_report_funnel_render(&q->funnel, q->format, out);
    case FS_QUERY_ATTRIBUTION:
        return fs_attr_render(&q->attr, q->format, out);
    case FS_QUERY_HANDOFF:
        return fs_handoff_render(&q->handoff, q->format, out);
    case FS_QUERY_HANDOFF_DELAYS:
        return fs_handoff_delays_render(&q->handoff, q->format, out);
    case FS_QUERY_SERIES:
        return fs_series_render(&q->series, q->format, out);
    default:
        break;
    }
    return FS_ERR_INVALID;
}
