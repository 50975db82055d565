/*
 * main.c — funnel-query: reads the aggregates of the workers (docs/funnel-query.md).
 *
 * Wiring only: configuration table → fs_program_start() (load, --help,
 * --version, log sink) → one subcommand of cmd.h: a report (cmd.c, whose
 * rules live in query.c and the pure report modules, its Redis reads in
 * store.c) or the dashboard (serve_cmd.c).
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
#include "series.h"

#define USAGE                                                                            \
    "funnel-query funnel      [--from D] [--to D] [--channel C | --campaign C] "         \
    "[--format table|json|csv]\n"                                                        \
    "       funnel-query attribution --model M [--by channel|campaign|department|type] " \
    "[--currency K] [--from D] [--to D] [--format ...]\n"                                \
    "       funnel-query handoff     [--from D] [--to D] [--format ...]\n"               \
    "       funnel-query handoff-delays [--from D] [--to D] [--format ...]\n"            \
    "       funnel-query series      --metric events|users|revenue|leads [--stage S] "   \
    "[--from D] [--to D] [--channel C | --campaign C] [--model M] [--currency K] "       \
    "[--format ...]\n"                                                                   \
    "       funnel-query serve       [--listen ADDR]"

static const fs_conf_def_t query_defs[] = {
    {"from", "from", NULL, FS_CONF_STRING, NULL, 0, 0, fs_report_check_day,
     "first day YYYY-MM-DD, UTC, inclusive (default: 29 days before --to)"},
    {"to", "to", NULL, FS_CONF_STRING, NULL, 0, 0, fs_report_check_day,
     "last day YYYY-MM-DD, UTC, inclusive (default: today)"},
    {"channel", "channel", NULL, FS_CONF_STRING, NULL, 0, 0, fs_report_check_label,
     "funnel, series: only events of this channel"},
    {"campaign", "campaign", NULL, FS_CONF_STRING, NULL, 0, 0, fs_report_check_label,
     "funnel, series: only events of this campaign"},
    {"format", "format", NULL, FS_CONF_STRING, NULL, 0, 0, fs_report_check_format,
     "table, json or csv (default: table on a terminal, json otherwise)"},
    {"model", "model", NULL, FS_CONF_STRING, NULL, 0, 0, fs_attr_check_model,
     "attribution (required), revenue series with a filter: first_touch, last_touch, "
     "linear, position_based, time_decay, w_shaped"},
    {"by", "by", NULL, FS_CONF_STRING, NULL, 0, 0, fs_attr_check_by,
     "attribution: channel, campaign, department or type (default: channel)"},
    {"currency", "currency", NULL, FS_CONF_STRING, NULL, 0, 0, fs_attr_check_currency,
     "attribution, series: ISO 4217 currency code, 3 upper-case letters (default: USD)"},
    {"metric", "metric", NULL, FS_CONF_STRING, NULL, 0, 0, fs_series_check_metric,
     "series (required): events, users, revenue or leads"},
    {"stage", "stage", NULL, FS_CONF_STRING, NULL, 0, 0, fs_series_check_stage,
     "series of events or users (required there): awareness, interest, desire, "
     "action, loyalty"},
    {"serve.listen", "listen", "FUNNEL_DASHBOARD_LISTEN", FS_CONF_STRING,
     "127.0.0.1:8090", 0, 0, fs_conf_check_hostport,
     "serve: HTTP address of the dashboard and its API"},
    {"serve.max_connections", "max-connections", NULL, FS_CONF_INT, "64", 1, 10000, NULL,
     "serve: connections held at once; more wait in the listen backlog"},
    {"serve.threads", "threads", NULL, FS_CONF_INT, "4", 1, 64, NULL,
     "serve: HTTP threads (each answers one request at a time, with its own Redis "
     "connection)"},
};

static const char *const shared_keys[] = {"redis.url", "redis.password_file", "namespace",
                                          "sla_days",  "log.level",           "log.json",
                                          NULL};

#define SUBCOMMANDS "funnel, attribution, handoff, handoff-delays, series or serve"

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
        rc = fs_cmd_usage_error(fs_conf_npositional(conf)
                                    ? "expected one subcommand"
                                    : "missing subcommand: " SUBCOMMANDS);
        goto done;
    }
    const char *cmd = fs_conf_positional(conf, 0);
    fs_query_kind_t kind;
    if (strcmp(cmd, "serve") == 0) {
        rc = fs_cmd_serve(conf, lg);
        goto done;
    }
    if (fs_query_kind_parse(cmd, &kind) == 0) {
        rc = fs_cmd_query(conf, lg, kind);
        goto done;
    }
    char errstr[128];
    snprintf(errstr, sizeof(errstr), "unknown subcommand \"%.32s\": " SUBCOMMANDS, cmd);
    rc = fs_cmd_usage_error(errstr);
done:
    fs_log_destroy(lg);
    fs_conf_destroy(conf);
    return rc;
}
