/*
 * fs_program.h — the start-up every program shares: load the
 * configuration, answer --help / --version, report a bad setting with its
 * key and exit 2, and open the log sink.  Keeps each main.c to wiring.
 */
#ifndef FS_PROGRAM_H
#define FS_PROGRAM_H

#include "fs_conf.h"
#include "fs_log.h"

/**
 * Loads @p conf from @p argv and the environment.  Returns -1 when the
 * program should go on (then *lg is a new log sink the caller destroys), or
 * the exit code to return now: 0 after --help/--version, 2 after a bad
 * setting (already printed to stderr).  @p conf needs "log.level" and
 * "log.json" among its keys.
 */
int fs_program_start(fs_conf_t *conf, int argc, char **argv, const char *program,
                     fs_log_t **lg);

#endif
