/*
 * handoff_cmd.c — the `handoff` subcommand of funnel-query (docs/funnel-query.md).
 *
 * Owns the order of one handoff query: options → range (report.c) →
 * counts and delays (store.c into handoff_report.c) → rendering
 * (handoff_report.c) → stdout, the last three through fs_cmd_query().
 * Holds no rule of its own.
 */
#include <string.h>

#include "cmd.h"
#include "handoff_report.h"
#include "report.h"
#include "store.h"

/* Options of other subcommands, refused here rather than silently ignored. */
static const char *const foreign_keys[] = {"channel", "campaign", "model",
                                           "by",      "currency", NULL};

static fs_err_t read_handoff(fs_qstore_t *qs, void *report, char *errstr, size_t sz)
{
    fs_err_t err = fs_qstore_require_attribution(qs, errstr, sz);
    return err ? err : fs_qstore_read_handoff(qs, report, errstr, sz);
}

static fs_err_t render_handoff(const void *report, fs_report_format_t format,
                               fs_buf_t *out)
{
    return fs_handoff_render(report, format, out);
}

int fs_cmd_handoff(const fs_conf_t *conf, fs_log_t *lg)
{
    char errstr[768];
    fs_handoff_report_t r;
    fs_cmd_query_t q = {"handoff",      0, 0, FS_REPORT_TABLE, read_handoff,
                        render_handoff, &r};
    int rc;

    memset(&r, 0, sizeof(r));
    if ((rc = fs_cmd_reject_flags(conf, "handoff", foreign_keys)) ||
        (rc = fs_cmd_range(conf, &r.from, &r.to)) ||
        (rc = fs_cmd_format(conf, &q.format)))
        return rc;
    /* The SLA the workers count with: the shared FUNNEL_SLA_DAYS (1..365). */
    r.sla_days = fs_conf_int(conf, "sla_days");
    q.from = r.from;
    q.to = r.to;
    rc = fs_cmd_query(conf, lg, &q, errstr, sizeof(errstr));
    fs_handoff_report_free(&r);
    return rc;
}
