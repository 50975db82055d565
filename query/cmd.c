/*
 * cmd.c — helpers shared by the subcommands of funnel-query (see cmd.h).
 */
#include "cmd.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fs_day.h"
#include "fs_text.h"

/*
 * Prints "funnel-query: @p msg@p tail" to stderr.  Messages quote flag
 * values and Redis fields, i.e. stored labels: escaped like the table
 * (fs_text.h), so they cannot drive the terminal either.
 */
static void print_error(const char *msg, const char *tail)
{
    fs_buf_t esc = FS_BUF_INIT;
    if (fs_text_escape(&esc, msg, strlen(msg)) == FS_OK)
        fprintf(stderr, "%s: %.*s%s\n", FS_CMD_PROGRAM, (int)esc.len,
                (const char *)esc.data, tail);
    else
        fprintf(stderr, "%s: out of memory reporting an error\n", FS_CMD_PROGRAM);
    fs_buf_free(&esc);
}

int fs_cmd_usage_error(const char *msg)
{
    print_error(msg, " (see --help)");
    return FS_CMD_USAGE;
}

int fs_cmd_reject_flags(const fs_conf_t *conf, const char *cmd, const char *const *keys)
{
    for (; *keys; keys++)
        if (strcmp(fs_conf_origin(conf, *keys), "flag") == 0) {
            char flag[64];
            /* Flags spell the keys' underscores as dashes (sla_days → --sla-days). */
            snprintf(flag, sizeof(flag), "%s", *keys);
            for (char *p = flag; *p; p++)
                *p = *p == '_' ? '-' : *p;
            fprintf(stderr, "%s: --%s: not an option of \"%s\" (see --help)\n",
                    FS_CMD_PROGRAM, flag, cmd);
            return FS_CMD_USAGE;
        }
    return 0;
}

int fs_cmd_range(const fs_conf_t *conf, int64_t *from, int64_t *to)
{
    /* The values were checked as dates by the configuration table: the
     * messages are short. */
    char errstr[512];
    if (fs_report_range(fs_conf_str(conf, "from"), fs_conf_str(conf, "to"),
                        fs_day_from_ms(fs_cmd_now_ms()), from, to, errstr,
                        sizeof(errstr)) != FS_OK)
        return fs_cmd_usage_error(errstr);
    return 0;
}

int fs_cmd_format(const fs_conf_t *conf, fs_report_format_t *format)
{
    if (fs_report_format_parse(fs_conf_str(conf, "format"), isatty(STDOUT_FILENO),
                               format) != FS_OK)
        return fs_cmd_usage_error("--format: expected table, json or csv");
    return 0;
}

int fs_cmd_query(const fs_conf_t *conf, fs_log_t *lg, const fs_cmd_query_t *q,
                 char *errstr, size_t errstr_size)
{
    fs_buf_t out = FS_BUF_INIT;
    int rc;

    int64_t started = fs_cmd_now_ms();
    fs_qstore_t *qs = fs_qstore_open(conf, errstr, errstr_size);
    fs_err_t err = qs ? q->read(qs, q->report, errstr, errstr_size) : FS_ERR_TRANSIENT;
    if (err) {
        print_error(errstr, "");
        rc = FS_CMD_FAILED; /* the settings were validated: this is Redis's answer */
        goto done;
    }
    FS_DEBUG(lg, "%s: read %lld days in %lld ms", q->name,
             (long long)(q->to - q->from + 1), (long long)(fs_cmd_now_ms() - started));

    if (q->render(q->report, q->format, &out) != FS_OK) {
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

int fs_cmd_write_stdout(const fs_buf_t *b)
{
    if ((b->len && fwrite(b->data, 1, b->len, stdout) != b->len) || fflush(stdout) != 0) {
        perror(FS_CMD_PROGRAM ": writing the report");
        return FS_CMD_FAILED;
    }
    return FS_CMD_OK;
}

int64_t fs_cmd_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
