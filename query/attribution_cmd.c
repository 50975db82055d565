/*
 * attribution_cmd.c — the `attribution` of funnel-query (docs/funnel-query.md).
 *
 * Owns the order of one attribution query: options → range (report.c) →
 * credit sums (store.c into attrib_report.c) → rendering (attrib_report.c)
 * → stdout, the last three through fs_cmd_query().  The table also reads
 * the same model's department breakdown for the marketing / sales
 * subtotals.  Holds no rule of its own.
 */
#include <stdio.h>
#include <string.h>

#include "attrib_report.h"
#include "cmd.h"
#include "report.h"
#include "store.h"

/* Options of other subcommands, refused here rather than silently ignored. */
static const char *const foreign_keys[] = {"channel", "campaign", "sla_days", NULL};

/* The report and the sums it borrows, which the reads fill. */
typedef struct attribution {
    fs_attr_report_t r;
    fs_attr_sums_t *sums, *departments; /* owned; departments NULL when not read */
} attribution_t;

static const char *or_default(const char *v, const char *def)
{
    return v ? v : def;
}

static fs_err_t read_attribution(fs_qstore_t *qs, void *report, char *errstr, size_t sz)
{
    attribution_t *a = report;
    const fs_attr_report_t *r = &a->r;
    fs_err_t err = fs_qstore_require_attribution(qs, errstr, sz);
    if (!err)
        err = fs_qstore_read_attribution(qs, r->from, r->to, r->model, r->by, r->currency,
                                         a->sums, errstr, sz);
    if (!err && a->departments)
        err = fs_qstore_read_attribution(qs, r->from, r->to, r->model, "department",
                                         r->currency, a->departments, errstr, sz);
    return err;
}

static fs_err_t render_attribution(const void *report, fs_report_format_t format,
                                   fs_buf_t *out)
{
    return fs_attr_render(&((const attribution_t *)report)->r, format, out);
}

int fs_cmd_attribution(const fs_conf_t *conf, fs_log_t *lg)
{
    char errstr[768];
    attribution_t a;
    fs_attr_report_t *r = &a.r;
    fs_cmd_query_t q = {"attribution",      0, 0, FS_REPORT_TABLE, read_attribution,
                        render_attribution, &a};
    int rc;

    memset(&a, 0, sizeof(a));
    if ((rc = fs_cmd_reject_flags(conf, "attribution", foreign_keys)))
        goto done;
    /* --model, --by and --currency values were checked by the configuration table. */
    if (!(r->model = fs_conf_str(conf, "model"))) {
        snprintf(errstr, sizeof(errstr), "--model: required, one of %s",
                 fs_attr_model_list);
        rc = fs_cmd_usage_error(errstr);
        goto done;
    }
    r->by = or_default(fs_conf_str(conf, "by"), FS_ATTR_DEFAULT_BY);
    r->currency = or_default(fs_conf_str(conf, "currency"), FS_ATTR_DEFAULT_CURRENCY);
    if ((rc = fs_cmd_range(conf, &r->from, &r->to)) ||
        (rc = fs_cmd_format(conf, &q.format)))
        goto done;
    if (!(a.sums = fs_attr_sums_new()) ||
        (q.format == FS_REPORT_TABLE && strcmp(r->by, "department") != 0 &&
         !(a.departments = fs_attr_sums_new()))) {
        fprintf(stderr, "%s: out of memory\n", FS_CMD_PROGRAM);
        rc = FS_CMD_FAILED;
        goto done;
    }
    r->sums = a.sums;
    r->departments = a.departments;
    q.from = r->from;
    q.to = r->to;
    rc = fs_cmd_query(conf, lg, &q, errstr, sizeof(errstr));
done:
    fs_attr_sums_destroy(a.departments);
    fs_attr_sums_destroy(a.sums);
    return rc;
}
