/*
 * cmd.h — the subcommands of funnel-query.
 *
 * Owns nothing.  main.c parses the configuration and dispatches to
 * fs_cmd_query() for the reports (funnel, attribution, handoff, series:
 * the rules live in query.c and the report modules) or to fs_cmd_serve()
 * (serve_cmd.c) for the dashboard.  Subcommands print user errors to
 * stderr and return an exit status; they never exit().
 */
#ifndef FS_QUERY_CMD_H
#define FS_QUERY_CMD_H

#include <stdint.h>

#include "fs_conf.h"
#include "fs_log.h"
#include "query.h"

#define FS_CMD_PROGRAM "funnel-query"

/* Exit statuses. */
enum {
    FS_CMD_OK = 0,
    FS_CMD_FAILED = 1, /* Redis unreachable or refusing, output not written */
    FS_CMD_USAGE = 2,  /* bad flags or values: the message names the flag */
};

/* Settings of `serve` only (serve_cmd.c), refused as flags elsewhere. */
extern const char *const fs_cmd_serve_keys[];

/**
 * One report subcommand (docs/funnel-query.md and `series`): the query options of
 * @p conf (borrowed) → fs_query_new() → Redis → stdout in --format.
 * Options @p kind does not take are refused when given as flags, never
 * ignored.  @p lg is the program's log sink (borrowed).
 * @returns FS_CMD_OK, FS_CMD_USAGE (message names the flag) or
 *          FS_CMD_FAILED (Redis unreachable, refusing or holding bad data;
 *          out of memory; stdout closed).
 */
int fs_cmd_query(const fs_conf_t *conf, fs_log_t *lg, fs_query_kind_t kind);

/** `serve`: the dashboard and its JSON API until SIGTERM/SIGINT (serve_cmd.c). */
int fs_cmd_serve(const fs_conf_t *conf, fs_log_t *lg);

/**
 * Prints "funnel-query: @p msg@p tail" to stderr.  Messages quote flag
 * values and Redis fields, i.e. stored labels: escaped like the table
 * (fs_text.h), so they cannot drive the terminal either.
 */
void fs_cmd_print_error(const char *msg, const char *tail);

/** Prints "funnel-query: @p msg (see --help)" to stderr; returns FS_CMD_USAGE. */
int fs_cmd_usage_error(const char *msg);

/**
 * Fails when one of the NULL-terminated configuration @p keys was given as
 * a flag although subcommand @p cmd does not take it (prints why).
 * @returns 0, or FS_CMD_USAGE.
 */
int fs_cmd_reject_flags(const fs_conf_t *conf, const char *cmd, const char *const *keys);

/**
 * The query options of @p conf for @p kind: the values of the options it
 * takes, plus any other option given as a flag (so fs_query_new() refuses
 * it by name); values from the environment or a file that @p kind does
 * not take are left out.
 */
void fs_cmd_query_opts(const fs_conf_t *conf, fs_query_kind_t kind, fs_query_opts_t *o);

/** Wall-clock time in epoch milliseconds. */
int64_t fs_cmd_now_ms(void);

#endif
