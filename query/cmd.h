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

#include <stddef.h>
#include <stdint.h>

#include "fs_buf.h"
#include "fs_conf.h"
#include "fs_err.h"
#include "fs_log.h"
#include "report.h"
#include "store.h"

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

/** `funnel` (docs/funnel-query.md): stage counts over a day range. */
int fs_cmd_funnel(const fs_conf_t *conf, fs_log_t *lg);

/** `attribution` (docs/funnel-query.md): credit of one model over a day range. */
int fs_cmd_attribution(const fs_conf_t *conf, fs_log_t *lg);

/** `handoff` (docs/funnel-query.md): marketing → sales handoff counts over lead days. */
int fs_cmd_handoff(const fs_conf_t *conf, fs_log_t *lg);

/** Prints "funnel-query: @p msg (see --help)" to stderr; returns FS_CMD_USAGE. */
int fs_cmd_usage_error(const char *msg);

/**
 * Fails when one of the NULL-terminated configuration @p keys was given as
 * a flag although subcommand @p cmd does not take it (prints why).
 * @returns 0, or FS_CMD_USAGE.
 */
int fs_cmd_reject_flags(const fs_conf_t *conf, const char *cmd, const char *const *keys);

/**
 * Resolves --from and --to into the inclusive day range *from..*to
 * (fs_report_range(), "today" by the clock).
 * @returns 0, or FS_CMD_USAGE after printing why (*from, *to untouched).
 */
int fs_cmd_range(const fs_conf_t *conf, int64_t *from, int64_t *to);

/**
 * Resolves --format: "table" for people at a terminal, "json" for scripts
 * and pipes when it is not given.
 * @returns 0, or FS_CMD_USAGE after printing why.
 */
int fs_cmd_format(const fs_conf_t *conf, fs_report_format_t *format);

/* The Redis and output half of one query, run by fs_cmd_query(). */
typedef struct fs_cmd_query {
    const char *name;          /* the subcommand, for the debug log */
    int64_t from, to;          /* the resolved range, for the debug log */
    fs_report_format_t format; /* resolved */
    /* Fills @p report from Redis (store.h); on failure @p errstr says why. */
    fs_err_t (*read)(fs_qstore_t *qs, void *report, char *errstr, size_t errstr_size);
    /* Appends the read @p report rendered as @p format to @p out. */
    fs_err_t (*render)(const void *report, fs_report_format_t format, fs_buf_t *out);
    void *report; /* the subcommand's own; borrowed for the call */
} fs_cmd_query_t;

/**
 * Runs @p q: connects (fs_qstore_open()), reads, logs the read's time at
 * debug level, renders and writes the report to stdout; the connection
 * and the rendering are gone on return.  A failure is printed to stderr:
 * the message of a failed connection or read goes through the caller's
 * @p errstr, so its @p errstr_size bounds what is printed.
 * @returns FS_CMD_OK, or FS_CMD_FAILED (Redis unreachable, refusing or
 *          holding bad data; out of memory; stdout closed).
 */
int fs_cmd_query(const fs_conf_t *conf, fs_log_t *lg, const fs_cmd_query_t *q,
                 char *errstr, size_t errstr_size);

/** Writes @p b to stdout and flushes; a closed pipe is a failure (FS_CMD_FAILED). */
int fs_cmd_write_stdout(const fs_buf_t *b);

/** Wall-clock time in epoch milliseconds. */
int64_t fs_cmd_now_ms(void);

#endif
