/*
 * cmd.c — the report subcommands of funnel-query and what the subcommands
 * share (see cmd.h).
 */
#include "cmd.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fs_buf.h"
#include "fs_day.h"
#include "fs_text.h"

void fs_cmd_print_error(const char *msg, const char *tail)
{
    fs_buf_t esc = FS_BUF_INIT;
    if (fs_text_escape(&esc, msg, strlen(msg)) == FS_OK)
        fprintf(stderr, "%s: %.*s%s\n", FS_CMD_PROGRAM, (int)esc.len,
                (const char *)esc.data, tail);
    else
        fprintf(stderr, "%s: out of memory reporting an error\n", FS_CMD_PROGRAM);
    fs_buf_free(&esc);
}
#include "store.h"

const char *const fs_cmd_serve_keys[] = {"serve.listen", "serve.max_connections",
                                         "serve.threads", NULL};

int fs_cmd_usage_error(const char *msg)
{
    fs_cmd_print_error(msg, " (see --help)");
    return FS_CMD_USAGE;
}

int fs_cmd_reject_flags(const fs_conf_t *conf, const char *cmd, const char *const *keys)
{
    for (; *keys; keys++)
        if (strcmp(fs_conf_origin(conf, *keys), "flag") == 0) {
            char flag[64];
            /* Flags spell the keys' underscores as dashes (sla_days → --sla-days)
             * and drop the section (serve.listen → --listen). */
            const char *dot = strchr(*keys, '.');
            snprintf(flag, sizeof(flag), "%s", dot ? dot + 1 : *keys);
            for (char *p = flag; *p; p++)
                *p = *p == '_' ? '-' : *p;
            fprintf(stderr, "%s: --%s: not an option of \"%s\" (see --help)\n",
                    FS_CMD_PROGRAM, flag, cmd);
            return FS_CMD_USAGE;
        }
    return 0;
}

void fs_cmd_query_opts(const fs_conf_t *conf, fs_query_kind_t kind, fs_query_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    for (int i = 0; i < FS_OPT__COUNT; i++) {
        const char *key = fs_query_opt_name((fs_query_opt_t)i);
        if (fs_query_takes(kind, (fs_query_opt_t)i) ||
            strcmp(fs_conf_origin(conf, key), "flag") == 0)
            o->v[i] = fs_conf_str(conf, key);
    }
    o->sla_days = fs_conf_int(conf, "sla_days");
}

static int write_stdout(const fs_buf_t *b)
{
    if ((b->len && fwrite(b->data, 1, b->len, stdout) != b->len) || fflush(stdout) != 0) {
        perror(FS_CMD_PROGRAM ": writing the report");
        return FS_CMD_FAILED;
    }
    return FS_CMD_OK;
}

int fs_cmd_query(const fs_conf_t *conf, fs_log_t *lg, fs_query_kind_t kind)
{
    static const char *const sla_key[] = {"sla_days", NULL};
    const char *name = fs_query_kind_name(kind);
    char errstr[768];
    fs_query_opts_t o;
    fs_query_t *q = NULL;
    fs_qstore_t *qs = NULL;
    fs_buf_t out = FS_BUF_INIT;
    fs_report_format_t format;
    int64_t from, to;
    int rc;

    if ((rc = fs_cmd_reject_flags(conf, name, fs_cmd_serve_keys)) ||
        (kind != FS_QUERY_HANDOFF && kind != FS_QUERY_HANDOFF_DELAYS &&
         (rc = fs_cmd_reject_flags(conf, name, sla_key))))
        goto done;
    if (fs_report_format_parse(fs_conf_str(conf, "format"), isatty(STDOUT_FILENO),
                               &format) != FS_OK) {
        rc = fs_cmd_usage_error("--format: expected table, json or csv");
        goto done;
    }
    fs_cmd_query_opts(conf, kind, &o);
    fs_err_t err = fs_query_new(kind, &o, fs_day_from_ms(fs_cmd_now_ms()), format, "--",
                                &q, errstr, sizeof(errstr));
    if (err) {
        rc = err == FS_ERR_INVALID ? fs_cmd_usage_error(errstr) : FS_CMD_FAILED;
        if (err != FS_ERR_INVALID)
            fs_cmd_print_error(errstr, "");
        goto done;
    }

    int64_t started = fs_cmd_now_ms();
    if (!(qs = fs_qstore_open(conf, errstr, sizeof(errstr))) ||
        fs_query_read(q, qs, errstr, sizeof(errstr)) != FS_OK) {
        fs_cmd_print_error(errstr, "");
        rc = FS_CMD_FAILED; /* the settings were validated: this is Redis's answer */
        goto done;
    }
    fs_query_range(q, &from, &to);
    FS_DEBUG(lg, "%s: read %lld days in %lld ms", name, (long long)(to - from + 1),
             (long long)(fs_cmd_now_ms() - started));
    if (fs_query_render(q, &out) != FS_OK) {
        fprintf(stderr, "%s: out of memory rendering the report\n", FS_CMD_PROGRAM);
        rc = FS_CMD_FAILED;
        goto done;
    }
    rc = write_stdout(&out);
done:
    fs_buf_free(&out);
    fs_qstore_destroy(qs);
    fs_query_destroy(q);
    return rc;
}

int64_t fs_cmd_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
