/*
 * cmd.c — helpers shared by the subcommands of funnel-query (see cmd.h).
 */
#include "cmd.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int fs_cmd_usage_error(const char *msg)
{
    fprintf(stderr, "%s: %s (see --help)\n", FS_CMD_PROGRAM, msg);
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
