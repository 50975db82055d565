/*
 * attribution_cmd.c — the `attribution` subcommand of funnel-query (SPEC §8).
 *
 * Owns the order of one attribution query: options → range (report.c) →
 * credit sums (store.c into attrib_report.c) → rendering (attrib_report.c)
 * → stdout.  The table also reads the same model's department breakdown
 * for the marketing / sales subtotals.  Holds no rule of its own.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "attrib_report.h"
#include "cmd.h"
#include "fs_day.h"
#include "report.h"
#include "store.h"

/* Options of other subcommands, refused here rather than silently ignored. */
static const char *const foreign_keys[] = {"channel", "campaign", "sla_days", NULL};

static const char *or_default(const char *v, const char *def)
{
    return v ? v : def;
}

int fs_cmd_attribution(const fs_conf_t *conf, fs_log_t *lg)
{
    char errstr[768];
    fs_attr_report_t r;
    fs_report_format_t format;
    fs_attr_sums_t *sums = NULL, *departments = NULL;
    fs_qstore_t *qs = NULL;
    fs_buf_t out = FS_BUF_INIT;
    fs_err_t err;
    int rc;

    memset(&r, 0, sizeof(r));
    if ((rc = fs_cmd_reject_flags(conf, "attribution", foreign_keys)))
        goto done;
    /* --model, --by and --currency values were checked by the configuration table. */
    if (!(r.model = fs_conf_str(conf, "model"))) {
        snprintf(errstr, sizeof(errstr), "--model: required, one of %s",
                 fs_attr_model_list);
        rc = fs_cmd_usage_error(errstr);
        goto done;
    }
    r.by = or_default(fs_conf_str(conf, "by"), FS_ATTR_DEFAULT_BY);
    r.currency = or_default(fs_conf_str(conf, "currency"), FS_ATTR_DEFAULT_CURRENCY);
    if (fs_report_range(fs_conf_str(conf, "from"), fs_conf_str(conf, "to"),
                        fs_day_from_ms(fs_cmd_now_ms()), &r.from, &r.to, errstr,
                        sizeof(errstr)) != FS_OK) {
        rc = fs_cmd_usage_error(errstr);
        goto done;
    }
    if (fs_report_format_parse(fs_conf_str(conf, "format"), isatty(STDOUT_FILENO),
                               &format) != FS_OK) {
        rc = fs_cmd_usage_error("--format: expected table, json or csv");
        goto done;
    }
    if (!(sums = fs_attr_sums_new()) ||
        (format == FS_REPORT_TABLE && strcmp(r.by, "department") != 0 &&
         !(departments = fs_attr_sums_new()))) {
        fprintf(stderr, "%s: out of memory\n", FS_CMD_PROGRAM);
        rc = FS_CMD_FAILED;
        goto done;
    }

    int64_t started = fs_cmd_now_ms();
    qs = fs_qstore_open(conf, errstr, sizeof(errstr));
    err = qs ? fs_qstore_read_attribution(qs, r.from, r.to, r.model, r.by, r.currency,
                                          sums, errstr, sizeof(errstr))
             : FS_ERR_TRANSIENT;
    if (!err && departments)
        err = fs_qstore_read_attribution(qs, r.from, r.to, r.model, "department",
                                         r.currency, departments, errstr, sizeof(errstr));
    if (err) {
        fprintf(stderr, "%s: %s\n", FS_CMD_PROGRAM, errstr);
        rc = FS_CMD_FAILED; /* the settings were validated: this is Redis's answer */
        goto done;
    }
    FS_DEBUG(lg, "attribution: read %lld days in %lld ms", (long long)(r.to - r.from + 1),
             (long long)(fs_cmd_now_ms() - started));

    r.sums = sums;
    r.departments = departments;
    if (fs_attr_render(&r, format, &out) != FS_OK) {
        fprintf(stderr, "%s: out of memory rendering the report\n", FS_CMD_PROGRAM);
        rc = FS_CMD_FAILED;
        goto done;
    }
    rc = fs_cmd_write_stdout(&out);
done:
    fs_buf_free(&out);
    fs_qstore_destroy(qs);
    fs_attr_sums_destroy(departments);
    fs_attr_sums_destroy(sums);
    return rc;
}
