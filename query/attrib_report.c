/*
 * attrib_report.c — attribution options, sums and rendering (see
 * attrib_report.h).  Pure.
 */
#include "attrib_report.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_day.h"
#include "fs_strmap.h"

/* ---- options ------------------------------------------------------- */

static const char *const models[] = {"first_touch",    "last_touch", "linear",
                                     "position_based", "time_decay", "w_shaped"};
static const char *const bys[] = {"channel", "campaign", "department", "type"};

const char fs_attr_model_list[] =
    "first_touch, last_touch, linear, position_based, time_decay, w_shaped";

static int one_of(const char *v, const char *const *words, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v, words[i]) == 0)
            return 1;
    return 0;
}

fs_err_t fs_attr_check_model(const char *v, char *errstr, size_t sz)
{
    char shown[FS_REPORT_QUOTE_MAX];
    if (one_of(v, models, sizeof(models) / sizeof(models[0])))
        return FS_OK;
    fs_report_quote(v, shown);
    snprintf(errstr, sz, "\"%s\" is not one of %s", shown, fs_attr_model_list);
    return FS_ERR_INVALID;
}

fs_err_t fs_attr_check_by(const char *v, char *errstr, size_t sz)
{
    char shown[FS_REPORT_QUOTE_MAX];
    if (one_of(v, bys, sizeof(bys) / sizeof(bys[0])))
        return FS_OK;
    fs_report_quote(v, shown);
    snprintf(errstr, sz, "\"%s\" is not one of channel, campaign, department, type",
             shown);
    return FS_ERR_INVALID;
}

fs_err_t fs_attr_check_currency(const char *v, char *errstr, size_t sz)
{
    if (strlen(v) == 3 && v[0] >= 'A' && v[0] <= 'Z' && v[1] >= 'A' && v[1] <= 'Z' &&
        v[2] >= 'A' && v[2] <= 'Z')
        return FS_OK;
    char shown[FS_REPORT_QUOTE_MAX];
    fs_report_quote(v, shown);
    snprintf(errstr, sz, "\"%s\" is not an ISO 4217 code of 3 upper-case letters (USD)",
             shown);
    return FS_ERR_INVALID;
}

/* ---- sums ---------------------------------------------------------- */

/* The sums of one value; the map owns the value's text. */
typedef struct entry {
    int64_t revenue, conversions;
} entry_t;

struct fs_attr_sums {
    fs_strmap_t *values;          /* value → entry_t (owned) */
    int64_t revenue, conversions; /* totals */
};

fs_attr_sums_t *fs_attr_sums_new(void)
{
    fs_attr_sums_t *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    if (!(s->values = fs_strmap_new())) {
        free(s);
        return NULL;
    }
    return s;
}

void fs_attr_sums_destroy(fs_attr_sums_t *s)
{
    const char *key;
    void *e;
    if (!s)
        return;
    for (size_t pos = 0; fs_strmap_next(s->values, &pos, &key, &e);)
        free(e);
    fs_strmap_destroy(s->values);
    free(s);
}

int fs_attr_parse_int64(const char *v, size_t len, int64_t *out)
{
    size_t i = len && v[0] == '-';
    uint64_t limit = i ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, n = 0;
    if (i == len)
        return -1;
    for (; i < len; i++) {
        if (v[i] < '0' || v[i] > '9' || n > (limit - (uint64_t)(v[i] - '0')) / 10)
            return -1;
        n = n * 10 + (uint64_t)(v[i] - '0');
    }
    *out = v[0] == '-' ? (int64_t)(0 - n) : (int64_t)n;
    return 0;
}

static int add_overflows(int64_t a, int64_t b)
{
    return b > 0 ? a > INT64_MAX - b : a < INT64_MIN - b;
}

fs_err_t fs_attr_sums_add(fs_attr_sums_t *s, const char *field, size_t flen,
                          const char *value, size_t vlen, char *errstr, size_t sz)
{
    int64_t v;
    if (flen < 2 || field[1] != ':' || (field[0] != 'r' && field[0] != 'c'))
        return FS_OK; /* not ours: a later layout may add fields */
    int is_revenue = field[0] == 'r';
    const char *key = field + 2;
    size_t klen = flen - 2;
    if (memchr(key, '\0', klen)) {
        snprintf(errstr, sz, "field \"%c:...\" holds a NUL byte", field[0]);
        return FS_ERR_CORRUPT;
    }
    if (fs_attr_parse_int64(value, vlen, &v) != 0) {
        snprintf(errstr, sz, "field %.*s: \"%.*s\" is not an integer",
                 (int)(flen > 300 ? 300 : flen), field, (int)(vlen > 40 ? 40 : vlen),
                 value);
        return FS_ERR_CORRUPT;
    }
    entry_t *e = fs_strmap_getn(s->values, key, klen);
    int64_t *cell = e ? (is_revenue ? &e->revenue : &e->conversions) : NULL;
    int64_t *total = is_revenue ? &s->revenue : &s->conversions;
    if ((cell && add_overflows(*cell, v)) || add_overflows(*total, v)) {
        snprintf(errstr, sz, "field %.*s: the sum over the range overflows",
                 (int)(flen > 300 ? 300 : flen), field);
        return FS_ERR_CORRUPT;
    }
    if (!e) {
        if (!(e = calloc(1, sizeof(*e))))
            goto nomem;
        if (fs_strmap_putn(s->values, key, klen, e) != FS_OK) {
            free(e);
            goto nomem;
        }
        cell = is_revenue ? &e->revenue : &e->conversions;
    }
    *cell += v;
    *total += v;
    return FS_OK;
nomem:
    snprintf(errstr, sz, "out of memory summing the attribution");
    return FS_ERR_NOMEM;
}

void fs_attr_sums_total(const fs_attr_sums_t *s, int64_t *revenue, int64_t *conversions)
{
    *revenue = s->revenue;
    *conversions = s->conversions;
}

void fs_attr_sums_get(const fs_attr_sums_t *s, const char *key, int64_t *revenue,
                      int64_t *conversions)
{
    const entry_t *e = fs_strmap_get(s->values, key);
    *revenue = e ? e->revenue : 0;
    *conversions = e ? e->conversions : 0;
}

static int row_order(const void *a, const void *b)
{
    const fs_attr_row_t *x = a, *y = b;
    if (x->revenue != y->revenue)
        return x->revenue > y->revenue ? -1 : 1;
    return strcmp(x->key, y->key);
}

fs_err_t fs_attr_sums_rows(const fs_attr_sums_t *s, fs_attr_row_t **rows, size_t *n)
{
    size_t k = 0, count = fs_strmap_count(s->values);
    const char *key;
    void *v;
    *rows = NULL;
    *n = 0;
    if (count && !(*rows = malloc(count * sizeof(**rows))))
        return FS_ERR_NOMEM;
    for (size_t pos = 0; fs_strmap_next(s->values, &pos, &key, &v);) {
        const entry_t *e = v;
        if (e->revenue || e->conversions)
            (*rows)[k++] = (fs_attr_row_t){key, e->revenue, e->conversions};
    }
    if (k == 0) {
        free(*rows);
        *rows = NULL;
    } else {
        qsort(*rows, k, sizeof(**rows), row_order);
    }
    *n = k;
    return FS_OK;
}

/* ---- rendering ----------------------------------------------------- */

static fs_err_t render_json(const fs_attr_report_t *r, const fs_attr_row_t *rows,
                            size_t n, fs_buf_t *out)
{
    char from[11], to[11], rev[64], conv[64];
    int64_t total_rev, total_conv;
    fs_day_format(r->from, from);
    fs_day_format(r->to, to);
    fs_attr_sums_total(r->sums, &total_rev, &total_conv);
    fs_report_decimal(total_rev, 2, 0, rev);
    fs_report_decimal(total_conv, 6, 0, conv);
    /* model, by and currency were validated: plain words, nothing to escape. */
    fs_err_t err = fs_buf_printf(
        out,
        "{\"model\":\"%s\",\"by\":\"%s\",\"from\":\"%s\",\"to\":\"%s\",\"currency\":"
        "\"%s\",\"total\":{\"revenue\":\"%s\",\"conversions\":\"%s\"},\"rows\":[",
        r->model, r->by, from, to, r->currency, rev, conv);
    for (size_t i = 0; !err && i < n; i++) {
        fs_report_decimal(rows[i].revenue, 2, 0, rev);
        fs_report_decimal(rows[i].conversions, 6, 0, conv);
        if (!(err = fs_buf_puts(out, i ? ",{\"key\":" : "{\"key\":")) &&
            !(err = fs_report_json_string(out, rows[i].key)))
            err = fs_buf_printf(out, ",\"revenue\":\"%s\",\"conversions\":\"%s\"}", rev,
                                conv);
    }
    return err ? err : fs_buf_puts(out, "]}\n");
}

static fs_err_t render_csv(const fs_attr_report_t *r, const fs_attr_row_t *rows, size_t n,
                           fs_buf_t *out)
{
    char rev[64], conv[64], share[64];
    int64_t total_rev, total_conv, e4;
    fs_attr_sums_total(r->sums, &total_rev, &total_conv);
    fs_err_t err = fs_buf_puts(out, "key,revenue,conversions,share\n");
    for (size_t i = 0; !err && i < n; i++) {
        fs_report_decimal(rows[i].revenue, 2, 0, rev);
        fs_report_decimal(rows[i].conversions, 6, 0, conv);
        share[0] = '\0';
        if (fs_report_share_e4(rows[i].revenue, total_rev, &e4) == 0)
            fs_report_decimal(e4, 4, 0, share);
        if (!(err = fs_report_csv_field(out, rows[i].key)))
            err = fs_buf_printf(out, ",%s,%s,%s\n", rev, conv, share);
    }
    return err;
}

/* The cells of one table line. */
typedef struct line {
    const char *key; /* borrowed */
    char revenue[64], share[64], conversions[64];
} line_t;

static void fill_line(line_t *l, const char *key, int64_t revenue, int64_t conversions,
                      int64_t total_revenue)
{
    int64_t e4;
    l->key = key;
    fs_report_decimal(revenue, 2, 1, l->revenue);
    fs_report_decimal(conversions, 6, 1, l->conversions);
    if (fs_report_share_e4(revenue, total_revenue, &e4) == 0) {
        fs_report_decimal(e4, 2, 0, l->share);
        strcat(l->share, "%");
    } else {
        snprintf(l->share, sizeof(l->share), "-");
    }
}

static int max_int(int a, int b)
{
    return a > b ? a : b;
}

static void widen(int w[4], const line_t *l)
{
    w[0] = max_int(w[0], fs_report_width(l->key));
    w[1] = max_int(w[1], (int)strlen(l->revenue));
    w[2] = max_int(w[2], (int)strlen(l->share));
    w[3] = max_int(w[3], (int)strlen(l->conversions));
}

static fs_err_t put_line(fs_buf_t *out, const int w[4], const line_t *l)
{
    fs_err_t err = fs_report_cell(out, l->key, w[0], 0);
    if (!err)
        err = fs_buf_printf(out, "  %*s  %*s  %*s\n", w[1], l->revenue, w[2], l->share,
                            w[3], l->conversions);
    return err;
}

/* The departments (docs/attribution.md step 4), in the order of the subtotals. */
static const char *const departments[] = {"marketing", "sales", "unattributed"};
#define NDEPTS 3

static fs_err_t render_table(const fs_attr_report_t *r, const fs_attr_row_t *rows,
                             size_t n, fs_buf_t *out)
{
    char from[11], to[11];
    int64_t total_rev, total_conv;
    fs_err_t err;
    fs_day_format(r->from, from);
    fs_day_format(r->to, to);
    fs_attr_sums_total(r->sums, &total_rev, &total_conv);

    err = fs_buf_printf(out,
                        "Attribution %s .. %s (UTC, by conversion day), %s model, %s, "
                        "by %s\n\n",
                        from, to, r->model, r->currency, r->by);
    if (err || n == 0)
        return err ? err : fs_buf_puts(out, "(no conversions in this range)\n");

    line_t *lines = malloc(n * sizeof(*lines));
    line_t head = {r->by, "revenue", "share", "conversions"}, total, dept[NDEPTS + 1];
    int w[4] = {0, 0, 0, 0}, ndept = 0;
    if (!lines)
        return FS_ERR_NOMEM;
    widen(w, &head);
    for (size_t i = 0; i < n; i++) {
        fill_line(&lines[i], rows[i].key, rows[i].revenue, rows[i].conversions,
                  total_rev);
        widen(w, &lines[i]);
    }
    fill_line(&total, "total", total_rev, total_conv, total_rev);
    widen(w, &total);
    if (r->departments && strcmp(r->by, "department") != 0) {
        int64_t dept_rev, dept_conv, rest_rev, rest_conv;
        fs_attr_sums_total(r->departments, &dept_rev, &dept_conv);
        rest_rev = dept_rev;
        rest_conv = dept_conv;
        for (int d = 0; d < NDEPTS; d++, ndept++) {
            int64_t rv, cv;
            fs_attr_sums_get(r->departments, departments[d], &rv, &cv);
            fill_line(&dept[d], departments[d], rv, cv, dept_rev);
            widen(w, &dept[d]);
            rest_rev -= rv;
            rest_conv -= cv;
        }
        /* Only a definition file with other departments gets here. */
        if (rest_rev || rest_conv) {
            fill_line(&dept[ndept], "other", rest_rev, rest_conv, dept_rev);
            widen(w, &dept[ndept++]);
        }
    }

    err = fs_report_cell(out, head.key, w[0], 0);
    if (!err)
        err = fs_buf_printf(out, "  %*s  %*s  %*s\n", w[1], head.revenue, w[2],
                            head.share, w[3], head.conversions);
    for (size_t i = 0; !err && i < n; i++)
        err = put_line(out, w, &lines[i]);
    for (int i = 0; !err && i < w[0] + w[1] + w[2] + w[3] + 6; i++)
        err = fs_buf_puts(out, "-");
    if (!err)
        err = fs_buf_puts(out, "\n");
    if (!err)
        err = put_line(out, w, &total);
    if (!err && ndept)
        err = fs_buf_puts(out, "\nby department\n");
    for (int d = 0; !err && d < ndept; d++)
        err = put_line(out, w, &dept[d]);
    free(lines);
    return err;
}

fs_err_t fs_attr_render(const fs_attr_report_t *r, fs_report_format_t format,
                        fs_buf_t *out)
{
    fs_attr_row_t *rows;
    size_t n;
    fs_err_t err = fs_attr_sums_rows(r->sums, &rows, &n);
    if (err)
        return err;
    switch (format) {
    case FS_REPORT_JSON:
        err = render_json(r, rows, n, out);
        break;
    case FS_REPORT_CSV:
        err = render_csv(r, rows, n, out);
        break;
    case FS_REPORT_TABLE:
        err = render_table(r, rows, n, out);
        break;
    default:
        err = FS_ERR_INVALID;
    }
    free(rows);
    return err;
}
