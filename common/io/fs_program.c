/*
 * fs_program.c — shared program start-up (see fs_program.h).
 */
#include "fs_program.h"

#include <stdio.h>

#include "fs_version.h"

extern char **environ;

int fs_program_start(fs_conf_t *conf, int argc, char **argv, const char *program,
                     fs_log_t **lg)
{
    char err[512];
    *lg = NULL;
    if (fs_conf_load(conf, argc, argv, environ, err, sizeof(err)) != FS_OK) {
        fprintf(stderr, "%s: %s\n", program, err);
        return 2;
    }
    if (fs_conf_markdown_requested(conf)) {
        fs_conf_print_markdown(conf, stdout);
        return 0;
    }
    if (fs_conf_help_requested(conf)) {
        fs_conf_print_help(conf, stdout);
        return 0;
    }
    if (fs_conf_version_requested(conf)) {
        fs_version_print(stdout, program);
        return 0;
    }
    fs_log_level_t level = FS_LOG_INFO;
    if (fs_log_level_parse(fs_conf_str(conf, "log.level"), &level) != FS_OK)
        level = FS_LOG_INFO; /* unreachable: validated by the table */
    *lg = fs_log_new(program, level, fs_conf_bool(conf, "log.json"), stderr);
    if (!*lg) {
        fprintf(stderr, "%s: out of memory\n", program);
        return 1;
    }
    fs_conf_set_log(conf, *lg);
    return -1;
}
