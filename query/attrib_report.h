/*
 * attrib_report.h — the attribution report of funnel-query (docs/attribution.md step 5,
 * §8): the rules of its options (--model, --by, --currency), the sums of
 * the per-day credit hashes and their rendering as a table, JSON or CSV.
 *
 * Owns: the sums (fs_attr_sums_t) and the sorted rows it hands out.
 * Called by query/attribution_cmd.c (options, rendering) and
 * query/store.c (which feeds it the fields of each day's hash).  Pure:
 * never touches Redis, a file, the clock or a terminal, so every rule is
 * unit-tested in tests/unit/test_report_attrib.c.
 *
 * Money is integers only: revenue in cents, conversions in millionths
 * (1 conversion = 1,000,000), as the worker stores them; the decimal
 * strings of the report are formatted from those integers, never through
 * a binary float.
 */
#ifndef FS_QUERY_ATTRIB_REPORT_H
#define FS_QUERY_ATTRIB_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "fs_buf.h"
#include "fs_err.h"
#include "report.h"

/* ---- options ------------------------------------------------------- */

/*
 * fs_conf checks (fs_conf_check_fn); fs_conf prefixes the flag.
 *   model:    first_touch, last_touch, linear, position_based, time_decay,
 *             w_shaped.
 *   by:       channel, campaign, department, type.
 *   currency: an ISO 4217 code as the collector stores it: exactly three
 *             upper-case ASCII letters ("USD"; "usd" is refused).
 */
fs_err_t fs_attr_check_model(const char *v, char *errstr, size_t errstr_size);
fs_err_t fs_attr_check_by(const char *v, char *errstr, size_t errstr_size);
fs_err_t fs_attr_check_currency(const char *v, char *errstr, size_t errstr_size);

/** The models, comma-separated, for messages: "first_touch, last_touch, ...". */
extern const char fs_attr_model_list[];

#define FS_ATTR_DEFAULT_BY "channel"
#define FS_ATTR_DEFAULT_CURRENCY "USD"

/* ---- sums ---------------------------------------------------------- */

/*
 * Credit per value (channel, campaign, department or touch type) summed
 * over the days of a range, plus the running total.  A hash table keyed
 * by the value: a query over years of campaigns stays linear.
 */
typedef struct fs_attr_sums fs_attr_sums_t;

/** An empty set of sums, or NULL when memory runs out. */
fs_attr_sums_t *fs_attr_sums_new(void);

/** Frees @p s and its keys.  NULL is a no-op. */
void fs_attr_sums_destroy(fs_attr_sums_t *s);

/**
 * Adds one field of a `<ns>:v1:attr:...` hash (docs/redis-keys.md):
 * `r:<value>` → cents, `c:<value>` → millionths; the value is everything
 * after the first colon and may itself contain colons.  Other fields are
 * ignored (a later layout may add some).  @p field and @p value are
 * length-delimited bytes, borrowed for the call.
 * @returns FS_OK; FS_ERR_CORRUPT with @p errstr naming the field when the
 *          value is not a decimal 64-bit integer, the field holds a NUL
 *          byte, or a sum (or the total) overflows 64 bits; FS_ERR_NOMEM.
 *          On failure @p s is unchanged.
 */
fs_err_t fs_attr_sums_add(fs_attr_sums_t *s, const char *field, size_t field_len,
                          const char *value, size_t value_len, char *errstr,
                          size_t errstr_size) FS_WUR;

/**
 * Parses a stored Redis integer: optional '-', then 1..19 decimal digits,
 * within int64_t.  @p v is @p len bytes, not NUL-terminated.
 * @returns 0 and sets *out, or -1 (*out untouched).
 */
int fs_attr_parse_int64(const char *v, size_t len, int64_t *out);

/** Total revenue (cents) and conversions (millionths) of everything added. */
void fs_attr_sums_total(const fs_attr_sums_t *s, int64_t *revenue, int64_t *conversions);

/** Revenue and conversions of value @p key (0, 0 when absent). */
void fs_attr_sums_get(const fs_attr_sums_t *s, const char *key, int64_t *revenue,
                      int64_t *conversions);

/* One row of the report. */
typedef struct fs_attr_row {
    const char *key;     /* borrowed from the sums: lives until they are destroyed */
    int64_t revenue;     /* cents */
    int64_t conversions; /* millionths */
} fs_attr_row_t;

/**
 * The rows of @p s in report order: revenue descending, then key
 * ascending bytewise (strcmp).  A value whose revenue and conversions
 * both sum to 0 (credit retracted by a re-attribution) is left out; the
 * rows still sum to the total.
 * @returns FS_OK with *rows (the caller free()s it; NULL when *n is 0) and
 *          *n, or FS_ERR_NOMEM.
 */
fs_err_t fs_attr_sums_rows(const fs_attr_sums_t *s, fs_attr_row_t **rows,
                           size_t *n) FS_WUR;

/* ---- rendering ----------------------------------------------------- */

typedef struct fs_attr_report {
    const char *model, *by, *currency; /* validated; borrowed */
    int64_t from, to;                  /* UTC days, inclusive */
    const fs_attr_sums_t *sums;        /* by @p by; borrowed */
    /*
     * The same model, range and currency by department, for the marketing
     * / sales subtotals under the table; NULL when not read (JSON and CSV,
     * or when @p by is already "department").  Borrowed.
     */
    const fs_attr_sums_t *departments;
} fs_attr_report_t;

/**
 * Appends @p r rendered as @p format to @p out, ending with a newline.
 *  JSON (docs/funnel-query.md, one line): {"model":..,"by":..,"from":..,"to":..,
 *    "currency":..,"total":{"revenue":"12345.67","conversions":"42.000000"},
 *    "rows":[{"key":..,"revenue":..,"conversions":..},...]}.
 *  CSV: `key,revenue,conversions,share`, one line per row; share is the
 *    row's part of the total revenue with 4 decimals ("0.4860"), empty
 *    when the total revenue is 0.
 *  Table: aligned key / revenue / share % / conversions columns, a total
 *    line and, when r->departments or by department, the marketing /
 *    sales / unattributed subtotals.
 * @returns FS_OK or FS_ERR_NOMEM (@p out then holds a partial rendering).
 */
fs_err_t fs_attr_render(const fs_attr_report_t *r, fs_report_format_t format,
                        fs_buf_t *out) FS_WUR;

#endif
