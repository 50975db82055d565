/*
 * funnel_cmd.c — the `funnel` subcommand of funnel-query (SPEC §8).
 *
 * Owns the order of one funnel query: options → range and filter
 * (report.c) → counts (store.c) → rendering (report.c) → stdout.  Holds no
 * rule of its own: every rule is in report.c, every Redis read in store.c.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "fs_day.h"
#include "report.h"
#include "store.h"

/* Options of other subcommands, refused here rather than silently ignored. */
static const char *const foreign_keys[] = {"model", "by", "currency", "sla_days", NULL};

int fs_cmd_funnel(const fs_conf_t *conf, fs_log_t *lg)
{
    char errstr[512];
    fs_funnel_report_t r;
    fs_report_format_t format;
    fs_qstore_t *qs = NULL;
    fs_buf_t out = FS_BUF_INIT;
    fs_err_t err;
    int rc;

    memset(&r, 0, sizeof(r));
    if ((rc = fs_cmd_reject_flags(conf, "funnel", foreign_keys)))
        goto done;
    if (fs_report_range(fs_conf_str(conf, "from"), fs_conf_str(conf, "to"),
                        fs_day_from_ms(fs_cmd_now_ms()), &r.from, &r.to, errstr,
                        sizeof(errstr)) != FS_OK ||
        fs_report_filter(fs_conf_str(conf, "channel"), fs_conf_str(conf, "campaign"),
                         &r.filter, errstr, sizeof(errstr)) != FS_OK) {
        rc = fs_cmd_usage_error(errstr);
        goto done;
    }
    /* "table" for people at a terminal, "json" for scripts and pipes. */
    if (fs_report_format_parse(fs_conf_str(conf, "format"), isatty(STDOUT_FILENO),
                               &format) != FS_OK) {
        rc = fs_cmd_usage_error("--format: expected table, json or csv");
        goto done;
    }

    int64_t started = fs_cmd_now_ms();
    qs = fs_qstore_open(conf, errstr, sizeof(errstr));
    err = qs ? fs_qstore_read_funnel(qs, &r, errstr, sizeof(errstr)) : FS_ERR_TRANSIENT;
    if (err) {
        fprintf(stderr, "%s: %s\n", FS_CMD_PROGRAM, errstr);
        rc = FS_CMD_FAILED; /* the settings were validated: this is Redis's answer */
        goto done;
    }
    FS_DEBUG(lg, "funnel: read %lld days in %lld ms", (long long)(r.to - r.from + 1),
             (long long)(fs_cmd_now_ms() - started));

    if (fs_report_funnel_render(&r, format, &out) != FS_OK) {
        fprintf(stderr, "%s: out of memory rendering the report\n", FS_CMD_PROGRAM);
        rc = FS_CMD_FAILED;
        goto done;
    }
    rc = fs_cmd_write_stdout(&out);
done:
    fs_buf_free(&out);
    fs_qstore_destroy(qs);
    return rc;
}
