/*
 * cmd.h — the subcommands of funnel-query and what they share.
 *
 * Owns nothing.  main.c parses the configuration and dispatches to one
 * fs_cmd_<name>() of this header; each subcommand lives in its own file
 * (funnel_cmd.c, attribution_cmd.c, handoff_cmd.c) and only wires the pure
 * report modules (report.c, attrib_report.c, handoff_report.c) to store.c
 * (Redis) and stdout.  Subcommands print user
 * errors to stderr and return an exit status; they never exit().
 */
#ifndef FS_QUERY_CMD_H
#define FS_QUERY_CMD_H

#include <stdint.h>

#include "fs_buf.h"
#include "fs_conf.h"
#include "fs_log.h"

#define FS_CMD_PROGRAM "funnel-query"

/* Exit statuses. */
enum {
    FS_CMD_OK = 0,
    FS_CMD_FAILED = 1, /* Redis unreachable or refusing, output not written */
    FS_CMD_USAGE = 2,  /* bad flags or values: the message names the flag */
};

/**
 * A subcommand: @p conf is loaded and validated (borrowed), @p lg is the
 * program's log sink (borrowed).  Returns an exit status.
 */
typedef int (*fs_cmd_fn)(const fs_conf_t *conf, fs_log_t *lg);

/** `funnel` (SPEC §8): stage counts over a day range. */
int fs_cmd_funnel(const fs_conf_t *conf, fs_log_t *lg);

/** `attribution` (SPEC §8): attribution credit of one model over a day range. */
int fs_cmd_attribution(const fs_conf_t *conf, fs_log_t *lg);

/** `handoff` (SPEC §8): marketing → sales handoff counts over lead days. */
int fs_cmd_handoff(const fs_conf_t *conf, fs_log_t *lg);

/** Prints "funnel-query: @p msg (see --help)" to stderr; returns FS_CMD_USAGE. */
int fs_cmd_usage_error(const char *msg);

/**
 * Fails when one of the NULL-terminated configuration @p keys was given as
 * a flag although subcommand @p cmd does not take it (prints why).
 * @returns 0, or FS_CMD_USAGE.
 */
int fs_cmd_reject_flags(const fs_conf_t *conf, const char *cmd, const char *const *keys);

/** Writes @p b to stdout and flushes; a closed pipe is a failure (FS_CMD_FAILED). */
int fs_cmd_write_stdout(const fs_buf_t *b);

/** Wall-clock time in epoch milliseconds. */
int64_t fs_cmd_now_ms(void);

#endif
