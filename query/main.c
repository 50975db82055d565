/*
 * main.c — funnel-query: reads the aggregates of the workers (docs/funnel-query.md).
 *
 * Wiring only: configuration table → fs_program_start() (load, --help,
 * --version, log sink) → one subcommand of cmd.h.  The subcommands own their
 * flow, the rules live in the pure report modules (report.c, attrib_report.c,
 * handoff_report.c) and the Redis reads in store.c.
 * Exit status: 0 success, 1 Redis or output failure, 2 bad usage.
 */
#include <stdio.h>
#include <string.h>

#include "attrib_report.h"
#include "cmd.h"
#include "fs_conf.h"
#include "fs_log.h"
#include "fs_program.h"
#include "report.h"

#define USAGE                                                                            \
    "funnel-query funnel      [--from D] [--to D] [--channel C | --campaign C] "         \
    "[--format table|json|csv]\n"                                                        \
    "       funnel-query attribution --model M [--by channel|campaign|department|type] " \
    "[--currency K] [--from D] [--to D] [--format ...]\n"                                \
    "       funnel-query handoff     [--from D] [--to D] [--format ...]"

static const fs_conf_def_t query_defs[] = {
    {"from", "from", NULL, FS_CONF_STRING, NULL, 0, 0, fs_report_check_day,
     "first day YYYY-MM-DD, UTC, inclusive (default: 29 days before --to)"},
    {"to", "to", NULL, FS_CONF_STRING, NULL, 0, 0, fs_report_check_day,
     "last day YYYY-MM-DD, UTC, inclusive (default: today)"},
    {"channel", "channel", NULL, FS_CONF_STRING, NULL, 0, 0, fs_report_check_label,
     "funnel: only events of this channel"},
    {"campaign", "campaign", NULL, FS_CONF_STRING, NULL, 0, 0, fs_report_check_label,
     "funnel: only events of this campaign"},
    {"format", "format", NULL, FS_CONF_STRING, NULL, 0, 0, fs_report_check_format,
     "table, json or csv (default: table on a terminal, json otherwise)"},
    {"model", "model", NULL, FS_CONF_STRING, NULL, 0, 0, fs_attr_check_model,
     "attribution (required): first_touch, last_touch, linear, position_based, "
     "time_decay, w_shaped"},
    {"by", "by", NULL, FS_CONF_STRING, NULL, 0, 0, fs_attr_check_by,
     "attribution: channel, campaign, department or type (default: channel)"},
    {"currency", "currency", NULL, FS_CONF_STRING, NULL, 0, 0, fs_attr_check_currency,
     "attribution: ISO 4217 currency code, 3 upper-case letters (default: USD)"},
};

static const char *const shared_keys[] = {"redis.url", "redis.password_file", "namespace",
                                          "sla_days",  "log.level",           "log.json",
                                          NULL};

static const struct subcommand {
    const char *name;
    fs_cmd_fn run;
} subcommands[] = {
    {"funnel", fs_cmd_funnel},
    {"attribution", fs_cmd_attribution},
    {"handoff", fs_cmd_handoff},
};

int main(int argc, char **argv)
{
    int rc;
    fs_log_t *lg = NULL;
    fs_conf_t *conf = fs_conf_new(FS_CMD_PROGRAM, USAGE);
    if (!conf || fs_conf_use(conf, shared_keys) != FS_OK ||
        fs_conf_add(conf, query_defs, sizeof(query_defs) / sizeof(query_defs[0])) !=
            FS_OK) {
        fprintf(stderr, "%s: cannot build the configuration table\n", FS_CMD_PROGRAM);
        rc = FS_CMD_FAILED;
        goto done;
    }
    /* Configuration errors, --help and --version end here. */
    if ((rc = fs_program_start(conf, argc, argv, FS_CMD_PROGRAM, &lg)) >= 0)
        goto done;
    if (fs_conf_npositional(conf) != 1) {
        rc = fs_cmd_usage_error(
            fs_conf_npositional(conf)
                ? "expected one subcommand"
                : "missing subcommand: funnel, attribution or handoff");
        goto done;
    }
    const char *cmd = fs_conf_positional(conf, 0);
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
        if (strcmp(subcommands[i].name, cmd) == 0) {
            rc = subcommands[i].run(conf, lg);
            goto done;
        }
    char errstr[128];
    snprintf(errstr, sizeof(errstr),
             "unknown subcommand \"%.32s\": funnel, attribution or handoff", cmd);
    rc = fs_cmd_usage_error(errstr);
done:
    fs_log_destroy(lg);
    fs_conf_destroy(conf);
    return rc;
}
