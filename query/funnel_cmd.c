/*
 * funnel_cmd.c — the `funnel` subcommand of funnel-query (docs/funnel-query.md).
 *
 * Owns the order of one funnel query: options → range and filter
 * (report.c) → counts (store.c) → rendering (report.c) → stdout, the last
 * three through fs_cmd_query().  Holds no rule of its own: every rule is
 * in report.c, every Redis read in store.c.
 */
#include <string.h>

#include "cmd.h"
#include "report.h"
#include "store.h"

/* Options of other subcommands, refused here rather than silently ignored. */
static const char *const foreign_keys[] = {"model", "by", "currency", "sla_days", NULL};

static fs_err_t read_funnel(fs_qstore_t *qs, void *report, char *errstr, size_t sz)
{
    return fs_qstore_read_funnel(qs, report, errstr, sz);
}

static fs_err_t render_funnel(const void *report, fs_report_format_t format,
                              fs_buf_t *out)
{
    return fs_report_funnel_render(report, format, out);
}

int fs_cmd_funnel(const fs_conf_t *conf, fs_log_t *lg)
{
    char errstr[512];
    fs_funnel_report_t r;
    fs_cmd_query_t q = {"funnel", 0, 0, FS_REPORT_TABLE, read_funnel, render_funnel, &r};
    int rc;

    memset(&r, 0, sizeof(r));
    if ((rc = fs_cmd_reject_flags(conf, "funnel", foreign_keys)) ||
        (rc = fs_cmd_range(conf, &r.from, &r.to)))
        return rc;
    if (fs_report_filter(fs_conf_str(conf, "channel"), fs_conf_str(conf, "campaign"),
                         &r.filter, errstr, sizeof(errstr)) != FS_OK)
        return fs_cmd_usage_error(errstr);
    if ((rc = fs_cmd_format(conf, &q.format)))
        return rc;
    q.from = r.from;
    q.to = r.to;
    return fs_cmd_query(conf, lg, &q, errstr, sizeof(errstr));
}
