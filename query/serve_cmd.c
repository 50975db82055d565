/*
 * serve_cmd.c — the `serve` subcommand of funnel-query (docs/dashboard.md).
 *
 * Owns the order of the dashboard's life: settings → a start-up check of
 * Redis → serve.h until SIGTERM/SIGINT → stop.  The start-up check runs
 * every kind of query once over today: a wrong password or an ACL that
 * forbids a command or key the dashboard reads cannot be fixed by
 * retrying, so it stops the program naming it (docs/guarantees.md, item 9); Redis
 * merely unreachable is not fatal — /readyz says so until it answers.
 */
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "fs_day.h"
#include "fs_signal.h"
#include "serve.h"
#include "store.h"

/* Messages of failures that retrying cannot fix. */
static int misconfigured(const char *errstr)
{
    /* fs_redis_connect() prefixes the failed step ("AUTH: ...", "SELECT: ..."). */
    static const char *const marks[] = {"AUTH: ", "SELECT: ", "WRONGPASS",
                                        "NOPERM", "NOAUTH",   "password_file"};
    for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
        if (strstr(errstr, marks[i]))
            return 1;
    return 0;
}

/* One query of each kind over today, as the API would run them.
 * @returns 0, or -1 with @p errstr. */
static int probe(fs_qstore_t *qs, long long sla_days, char *errstr, size_t sz)
{
    static const struct {
        fs_query_kind_t kind;
        const char *model, *metric, *stage, *channel;
    } probes[] = {
        {FS_QUERY_FUNNEL, NULL, NULL, NULL, NULL},
        {FS_QUERY_ATTRIBUTION, "linear", NULL, NULL, NULL},
        {FS_QUERY_HANDOFF, NULL, NULL, NULL, NULL},
        {FS_QUERY_SERIES, NULL, "users", "awareness", NULL},
        {FS_QUERY_SERIES, NULL, "revenue", NULL, NULL},
        {FS_QUERY_SERIES, "linear", "revenue", NULL, "(none)"},
    };
    int64_t today = fs_day_from_ms(fs_cmd_now_ms());
    for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        fs_query_opts_t o;
        fs_query_t *q = NULL;
        memset(&o, 0, sizeof(o));
        o.sla_days = sla_days;
        o.v[FS_OPT_MODEL] = probes[i].model;
        o.v[FS_OPT_METRIC] = probes[i].metric;
        o.v[FS_OPT_STAGE] = probes[i].stage;
        o.v[FS_OPT_CHANNEL] = probes[i].channel;
        fs_err_t err =
            fs_query_new(probes[i].kind, &o, today, FS_REPORT_JSON, "", &q, errstr, sz);
        /* FS_ERR_INVALID from the read: the namespace keeps no attribution,
         * which the dashboard shows; not a reason to stop. */
        if (!err && (err = fs_query_read(q, qs, errstr, sz)) == FS_ERR_INVALID)
            err = FS_OK;
        fs_query_destroy(q);
        if (err)
            return -1;
    }
    return 0;
}

int fs_cmd_serve(const fs_conf_t *conf, fs_log_t *lg)
{
    static const char *const report_keys[] = {"from",  "to",     "channel",  "campaign",
                                              "model", "by",     "currency", "metric",
                                              "stage", "format", NULL};
    char errstr[768];
    fs_serve_opts_t opts = {
        .listen = fs_conf_str(conf, "serve.listen"),
        .max_connections = (unsigned)fs_conf_int(conf, "serve.max_connections"),
        .threads = (unsigned)fs_conf_int(conf, "serve.threads"),
        .sla_days = fs_conf_int(conf, "sla_days"),
    };
    int rc;
    if ((rc = fs_cmd_reject_flags(conf, "serve", report_keys)))
        return rc;
    if (fs_signal_install() != FS_OK) {
        fprintf(stderr, "%s: cannot install signal handlers\n", FS_CMD_PROGRAM);
        return FS_CMD_FAILED;
    }

    errstr[0] = '\0';
    fs_qstore_t *qs = fs_qstore_open(conf, errstr, sizeof(errstr));
    int ok = qs && probe(qs, opts.sla_days, errstr, sizeof(errstr)) == 0;
    fs_qstore_destroy(qs);
    if (!ok && misconfigured(errstr)) {
        fprintf(stderr, "%s: serve: Redis refuses the dashboard: %s\n", FS_CMD_PROGRAM,
                errstr);
        return FS_CMD_FAILED;
    }
    if (!ok)
        FS_WARN(lg, "%s; serving, /readyz is false until Redis answers", errstr);

    fs_serve_t *sv = fs_serve_new(conf, &opts, lg, errstr, sizeof(errstr));
    if (!sv) {
        fprintf(stderr, "%s: %s\n", FS_CMD_PROGRAM, errstr);
        return FS_CMD_FAILED;
    }
    FS_INFO(lg, "dashboard on http://%s/ (port %d)", opts.listen, fs_serve_port(sv));
    while (!fs_signal_stop_requested())
        usleep(100 * 1000);
    FS_INFO(lg, "stopping");
    fs_serve_destroy(sv);
    return FS_CMD_OK;
}
