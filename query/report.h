/*
 * report.h — the funnel report of funnel-query (docs/funnel-query.md): the option
 * rules of a query (date range, filter, output format) and the rendering
 * of per-stage counts as a table, JSON or CSV.
 *
 * Owns: nothing beyond the caller's fs_funnel_report_t and fs_buf_t.
 * Called by query/main.c and query/cmd.c (option checks), the
 * subcommands (rendering) and query/store.c (which fills the counts).  Pure: never
 * touches Redis, a file, the clock or a terminal — "today" and "is a TTY" are the
 * caller's inputs — so every rule here is unit-tested in tests/unit/test_report.c.
 */
#ifndef FS_QUERY_REPORT_H
#define FS_QUERY_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "fs_buf.h"
#include "fs_definition.h"
#include "fs_err.h"

#define FS_REPORT_DEFAULT_DAYS                                                           \
    30                          /* --from/--to absent: the last 30 days ending today     \
                                 */
#define FS_REPORT_MAX_DAYS 3660 /* about ten years; bounds the Redis round trips */
#define FS_REPORT_LABEL_MAX 128 /* characters of a channel or campaign (event.md) */

typedef enum fs_report_format {
    FS_REPORT_TABLE, /* aligned, for people; the default on a TTY */
    FS_REPORT_JSON,  /* the docs/funnel-query.md shape, one line; the default otherwise */
    FS_REPORT_CSV,   /* header row, then one row per stage */
} fs_report_format_t;

typedef enum fs_filter_kind {
    FS_FILTER_NONE,
    FS_FILTER_CHANNEL,
    FS_FILTER_CAMPAIGN,
} fs_filter_kind_t;

typedef struct fs_filter {
    fs_filter_kind_t kind;
    const char *value; /* borrowed (lives as long as the configuration); NULL iff NONE */
} fs_filter_t;

/* The counts of one stage over the whole range. */
typedef struct fs_funnel_row {
    uint64_t events;
    uint64_t users;  /* persons first reaching the stage in the range */
    int users_known; /* 0: the worker writes no user counts here; users is then 0 */
} fs_funnel_row_t;

/*
 * A funnel report: what the user asked for plus the counts.  Rows are
 * indexed by fs_stage_t (awareness .. loyalty).  Rates are not stored:
 * the renderer derives them from users, so they are never inconsistent.
 */
typedef struct fs_funnel_report {
    int64_t from, to; /* UTC days (fs_day.h), inclusive, from <= to */
    fs_filter_t filter;
    fs_funnel_row_t rows[FS_STAGE__COUNT];
} fs_funnel_report_t;

/* ---- options ------------------------------------------------------- */

/*
 * fs_conf checks (fs_conf_check_fn) for the query flags.  On failure they
 * fill @p errstr with the reason only; fs_conf prefixes the flag.
 *   day:    exactly YYYY-MM-DD, a real calendar date.
 *   format: table, json or csv.
 *   label:  a channel or campaign as stored: valid UTF-8, 1..128
 *           characters, no leading or trailing white space (the collector
 *           trims, so such a filter could never match).
 */
fs_err_t fs_report_check_day(const char *v, char *errstr, size_t errstr_size);
fs_err_t fs_report_check_format(const char *v, char *errstr, size_t errstr_size);
fs_err_t fs_report_check_label(const char *v, char *errstr, size_t errstr_size);

/**
 * Parses @p s ("table", "json", "csv").  NULL picks the default: table
 * when @p stdout_is_tty, json otherwise.
 * @returns FS_OK, or FS_ERR_INVALID for another word (*out untouched).
 */
fs_err_t fs_report_format_parse(const char *s, int stdout_is_tty,
                                fs_report_format_t *out) FS_WUR;

/**
 * Resolves the inclusive day range of a query from the --from and --to
 * values (each NULL when not given) and @p today (a UTC day number):
 * --to defaults to today, --from to 29 days before --to.
 * @returns FS_OK, or FS_ERR_INVALID with a sentence naming the flag in
 *          @p errstr: an unparsable date, --from after --to, or a range
 *          longer than FS_REPORT_MAX_DAYS days.  *from_day and *to_day are
 *          set only on success.
 */
fs_err_t fs_report_range(const char *from, const char *to, int64_t today,
                         int64_t *from_day, int64_t *to_day, char *errstr,
                         size_t errstr_size) FS_WUR;

/**
 * Builds the filter from the --channel and --campaign values (NULL when
 * not given; borrowed by @p out).
 * @returns FS_OK, or FS_ERR_INVALID when both are given (they are
 *          mutually exclusive) with the reason in @p errstr.
 */
fs_err_t fs_report_filter(const char *channel, const char *campaign, fs_filter_t *out,
                          char *errstr, size_t errstr_size) FS_WUR;

/* ---- rendering ----------------------------------------------------- */

/**
 * rate_from_previous of row @p stage in ten-thousandths (0.4386 → 4386):
 * users / users of the previous stage, rounded half up.
 * @returns 0 and sets *rate_e4, or -1 when the rate is null: the first
 *          stage, unknown users, or a previous stage with zero users.
 */
int fs_report_rate_e4(const fs_funnel_report_t *r, fs_stage_t stage, uint64_t *rate_e4);

/**
 * Appends @p r rendered as @p format to @p out, ending with a newline.
 * JSON is exactly docs/funnel-query.md: {"from":..,"to":..,"filter":{}|{"channel":..}|
 * {"campaign":..},"stages":[{"stage":..,"events":N,"users":N|null,
 * "rate_from_previous":0.4386|null},...]}, strings escaped.  CSV has the
 * header `stage,events,users,rate_from_previous` and empty fields for null.
 * @returns FS_OK or FS_ERR_NOMEM (@p out then holds a partial rendering).
 */
fs_err_t fs_report_funnel_render(const fs_funnel_report_t *r, fs_report_format_t format,
                                 fs_buf_t *out) FS_WUR;

/* ---- helpers shared by the reports (attrib_report.c, handoff_report.c, store.c) */

/**
 * Parses a stored count: decimal digits only (1..20 of them, no sign),
 * at most UINT64_MAX.  @p s is @p len bytes, not NUL-terminated.
 * @returns 0 and sets *out, or -1 (*out untouched).
 */
int fs_report_parse_count(const char *s, size_t len, uint64_t *out);

/* The three renderings of one kind of report; each appends to @p out. */
typedef struct fs_report_renderers {
    fs_err_t (*table)(const void *report, fs_buf_t *out);
    fs_err_t (*json)(const void *report, fs_buf_t *out);
    fs_err_t (*csv)(const void *report, fs_buf_t *out);
} fs_report_renderers_t;

/**
 * Appends @p report (borrowed) rendered by the renderer of @p format.
 * @returns the renderer's result, or FS_ERR_INVALID for an unknown format.
 */
fs_err_t fs_report_render_as(const fs_report_renderers_t *renderers,
                             fs_report_format_t format, const void *report,
                             fs_buf_t *out) FS_WUR;

/**
 * Appends @p s as a JSON string literal: quotes, backslashes and what
 * fs_text_is_unsafe() names (C0, DEL, C1, bidi formatting) escaped
 * ("\u001b", "\u009b", "\u202e"), so the exact label survives and no
 * control reaches a terminal; a byte that is not UTF-8 becomes "\ufffd".
 * Other UTF-8 passes through unchanged.
 */
fs_err_t fs_report_json_string(fs_buf_t *out, const char *s) FS_WUR;

#define FS_REPORT_QUOTE_MAX 96 /* bytes of fs_report_quote()'s output, NUL included */

/**
 * Writes @p v, a flag value quoted in an error message, into @p out:
 * escaped by fs_text_escape() (a value may be a label pasted from data),
 * cut after whole characters with "..." when longer than the buffer.
 */
void fs_report_quote(const char *v, char out[FS_REPORT_QUOTE_MAX]);

/** Writes @p n with thousands separators: 1234567 → "1,234,567". */
void fs_report_group_digits(uint64_t n, char out[32]);

/**
 * Writes the fixed-point integer @p v / 10^@p decimals (decimals 0..18) as
 * an exact decimal: (1, 2) → "0.01", (123456789, 6) → "123.456789",
 * (-5, 2) → "-0.05", (0, 6) → "0.000000".  With @p grouped the integer
 * part has thousands separators ("1,000,000.00").  Never goes through a
 * binary float; INT64_MIN included.
 */
void fs_report_decimal(int64_t v, unsigned decimals, int grouped, char out[64]);

/**
 * @p part / @p whole in ten-thousandths, rounded half away from zero
 * (exact, 128-bit): 1/3 → 3333, 2/3 → 6667.
 * @returns 0, or -1 (null) when @p whole <= 0.
 */
int fs_report_share_e4(int64_t part, int64_t whole, int64_t *share_e4);

/** Terminal columns that fs_report_cell() takes to show @p s (fs_text_width()). */
int fs_report_width(const char *s);

/**
 * Appends @p s as one cell of a terminal table: escaped by fs_text_escape()
 * (controls, bidi overrides and invalid UTF-8 as "\xHH", so stored labels
 * cannot drive the terminal), padded with spaces to @p width display
 * columns, on the left when @p right_align.
 */
fs_err_t fs_report_cell(fs_buf_t *out, const char *s, int width, int right_align) FS_WUR;

/**
 * Appends the label @p s as a CSV field by fs_text_csv_field(): escaped,
 * a formula neutralised with a leading "'", quoted per RFC 4180 when
 * needed.  Only for labels; numbers are written as they are.
 */
fs_err_t fs_report_csv_field(fs_buf_t *out, const char *s) FS_WUR;

#endif
