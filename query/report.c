/*
 * report.c — funnel query options and rendering (see report.h).  Pure.
 *
 * Numbers are formatted from integers only: rates are computed in exact
 * integer arithmetic in ten-thousandths, so "0.4386" never depends on how
 * a binary float rounds.
 */
#include "report.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "fs_day.h"
#include "fs_text.h"
#include "fs_utf8.h"

/* ---- options ------------------------------------------------------- */

void fs_report_quote(const char *v, char out[FS_REPORT_QUOTE_MAX])
{
    fs_buf_t esc = FS_BUF_INIT;
    size_t n;
    if (fs_text_escape(&esc, v, strlen(v)) != FS_OK) {
        snprintf(out, FS_REPORT_QUOTE_MAX, "(the value)");
    } else if ((n = esc.len) < FS_REPORT_QUOTE_MAX) {
        if (n) /* an empty value leaves esc.data NULL */
            memcpy(out, esc.data, n);
        out[n] = '\0';
    } else {
        n = FS_REPORT_QUOTE_MAX - 4;
        while (n > 0 && fs_utf8_is_continuation((unsigned char)esc.data[n]))
            n--;
        memcpy(out, esc.data, n);
        memcpy(out + n, "...", 4);
    }
    fs_buf_free(&esc);
}

fs_err_t fs_report_check_day(const char *v, char *errstr, size_t sz)
{
    int64_t day;
    char shown[FS_REPORT_QUOTE_MAX];
    if (fs_day_parse(v, &day) != FS_OK) {
        fs_report_quote(v, shown);
        snprintf(errstr, sz, "\"%s\" is not a date YYYY-MM-DD", shown);
        return FS_ERR_INVALID;
    }
    return FS_OK;
}

fs_err_t fs_report_check_format(const char *v, char *errstr, size_t sz)
{
    fs_report_format_t f;
    char shown[FS_REPORT_QUOTE_MAX];
    if (fs_report_format_parse(v, 0, &f) != FS_OK) {
        fs_report_quote(v, shown);
        snprintf(errstr, sz, "\"%s\" is not one of table, json, csv", shown);
        return FS_ERR_INVALID;
    }
    return FS_OK;
}

static int is_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

fs_err_t fs_report_check_label(const char *v, char *errstr, size_t sz)
{
    size_t len = strlen(v), chars = 0;
    if (len == 0) {
        snprintf(errstr, sz, "must not be empty");
        return FS_ERR_INVALID;
    }
    if (is_space((unsigned char)v[0]) || is_space((unsigned char)v[len - 1])) {
        snprintf(errstr, sz,
                 "leading or trailing white space never matches (values are "
                 "trimmed when collected)");
        return FS_ERR_INVALID;
    }
    for (size_t i = 0; i < len; chars++) {
        uint32_t cp;
        size_t n = fs_utf8_decode(v + i, len - i, &cp);
        if (!n) {
            snprintf(errstr, sz, "not valid UTF-8 (byte %zu)", i + 1);
            return FS_ERR_INVALID;
        }
        i += n;
    }
    if (chars > FS_REPORT_LABEL_MAX) {
        snprintf(errstr, sz, "%zu characters, at most %d", chars, FS_REPORT_LABEL_MAX);
        return FS_ERR_INVALID;
    }
    return FS_OK;
}

fs_err_t fs_report_format_parse(const char *s, int stdout_is_tty, fs_report_format_t *out)
{
    if (!s)
        *out = stdout_is_tty ? FS_REPORT_TABLE : FS_REPORT_JSON;
    else if (!strcmp(s, "table"))
        *out = FS_REPORT_TABLE;
    else if (!strcmp(s, "json"))
        *out = FS_REPORT_JSON;
    else if (!strcmp(s, "csv"))
        *out = FS_REPORT_CSV;
    else
        return FS_ERR_INVALID;
    return FS_OK;
}

fs_err_t fs_report_range(const char *from, const char *to, int64_t today,
                         int64_t *from_day, int64_t *to_day, char *errstr, size_t sz)
{
    int64_t f, t = today;
    char fs[11], ts[11];
    if (to && fs_day_parse(to, &t) != FS_OK) {
        snprintf(errstr, sz, "--to: \"%s\" is not a date YYYY-MM-DD", to);
        return FS_ERR_INVALID;
    }
    f = t - (FS_REPORT_DEFAULT_DAYS - 1);
    if (from && fs_day_parse(from, &f) != FS_OK) {
        snprintf(errstr, sz, "--from: \"%s\" is not a date YYYY-MM-DD", from);
        return FS_ERR_INVALID;
    }
    fs_day_format(f, fs);
    fs_day_format(t, ts);
    if (f > t) {
        snprintf(errstr, sz, "--from: %s is after %s %s", fs, to ? "--to" : "today,", ts);
        return FS_ERR_INVALID;
    }
    if (t - f + 1 > FS_REPORT_MAX_DAYS) {
        snprintf(errstr, sz, "--from/--to: %s..%s spans %" PRId64 " days, at most %d", fs,
                 ts, t - f + 1, FS_REPORT_MAX_DAYS);
        return FS_ERR_INVALID;
    }
    *from_day = f;
    *to_day = t;
    return FS_OK;
}

fs_err_t fs_report_filter(const char *channel, const char *campaign, fs_filter_t *out,
                          char *errstr, size_t sz)
{
    if (channel && campaign) {
        snprintf(errstr, sz, "--channel and --campaign are mutually exclusive");
        return FS_ERR_INVALID;
    }
    out->kind = channel    ? FS_FILTER_CHANNEL
                : campaign ? FS_FILTER_CAMPAIGN
                           : FS_FILTER_NONE;
    out->value = channel ? channel : campaign;
    return FS_OK;
}

/* ---- rendering ----------------------------------------------------- */

int fs_report_rate_e4(const fs_funnel_report_t *r, fs_stage_t stage, uint64_t *rate_e4)
{
    if (stage <= FS_STAGE_AWARENESS || stage >= FS_STAGE__COUNT)
        return -1;
    const fs_funnel_row_t *cur = &r->rows[stage], *prev = &r->rows[stage - 1];
    if (!cur->users_known || !prev->users_known || prev->users == 0)
        return -1;
    /* round(users * 10000 / prev) half up, in 128 bits: users may exceed prev. */
    __extension__ unsigned __int128 q =
        ((unsigned __int128)cur->users * 20000u + prev->users) /
        (2u * (unsigned __int128)prev->users);
    *rate_e4 = q > UINT64_MAX ? UINT64_MAX : (uint64_t)q;
    return 0;
}

static const char *filter_key(fs_filter_kind_t kind)
{
    return kind == FS_FILTER_CHANNEL    ? "channel"
           : kind == FS_FILTER_CAMPAIGN ? "campaign"
                                        : "";
}

fs_err_t fs_report_json_string(fs_buf_t *out, const char *s)
{
    fs_err_t err = fs_buf_puts(out, "\"");
    size_t n = strlen(s);
    for (size_t i = 0; !err && i < n;) {
        uint32_t cp;
        size_t len = fs_utf8_decode(s + i, n - i, &cp);
        if (len == 0) { /* not UTF-8: JSON text cannot hold the byte */
            err = fs_buf_puts(out, "\\ufffd");
            len = 1;
        } else if (cp == '"' || cp == '\\') {
            err = fs_buf_printf(out, "\\%c", (char)cp);
        } else if (cp == '\n') {
            err = fs_buf_puts(out, "\\n");
        } else if (cp == '\t') {
            err = fs_buf_puts(out, "\\t");
        } else if (fs_text_is_unsafe(cp)) { /* C0, DEL, C1, bidi: all below U+FFFF */
            err = fs_buf_printf(out, "\\u%04x", (unsigned)cp);
        } else {
            err = fs_buf_append(out, s + i, len);
        }
        i += len;
    }
    return err ? err : fs_buf_puts(out, "\"");
}

static fs_err_t render_json(const void *report, fs_buf_t *out)
{
    const fs_funnel_report_t *r = report;
    char from[11], to[11];
    fs_day_format(r->from, from);
    fs_day_format(r->to, to);
    fs_err_t err =
        fs_buf_printf(out, "{\"from\":\"%s\",\"to\":\"%s\",\"filter\":{", from, to);
    if (!err && r->filter.kind != FS_FILTER_NONE) {
        if (!(err = fs_buf_printf(out, "\"%s\":", filter_key(r->filter.kind))))
            err = fs_report_json_string(out, r->filter.value);
    }
    if (!err)
        err = fs_buf_puts(out, "},\"stages\":[");
    for (int s = 0; !err && s < FS_STAGE__COUNT; s++) {
        const fs_funnel_row_t *row = &r->rows[s];
        uint64_t rate;
        err = fs_buf_printf(out, "%s{\"stage\":\"%s\",\"events\":%" PRIu64 ",\"users\":",
                            s ? "," : "", fs_stage_name((fs_stage_t)s), row->events);
        if (!err)
            err = row->users_known ? fs_buf_printf(out, "%" PRIu64, row->users)
                                   : fs_buf_puts(out, "null");
        if (!err)
            err = fs_buf_puts(out, ",\"rate_from_previous\":");
        if (!err)
            err = fs_report_rate_e4(r, (fs_stage_t)s, &rate)
                      ? fs_buf_puts(out, "null")
                      : fs_buf_printf(out, "%" PRIu64 ".%04" PRIu64, rate / 10000,
                                      rate % 10000);
        if (!err)
            err = fs_buf_puts(out, "}");
    }
    return err ? err : fs_buf_puts(out, "]}\n");
}

static fs_err_t render_csv(const void *report, fs_buf_t *out)
{
    const fs_funnel_report_t *r = report;
    fs_err_t err = fs_buf_puts(out, "stage,events,users,rate_from_previous\n");
    for (int s = 0; !err && s < FS_STAGE__COUNT; s++) {
        const fs_funnel_row_t *row = &r->rows[s];
        uint64_t rate;
        err = fs_buf_printf(out, "%s,%" PRIu64 ",", fs_stage_name((fs_stage_t)s),
                            row->events);
        if (!err && row->users_known)
            err = fs_buf_printf(out, "%" PRIu64, row->users);
        if (!err && fs_report_rate_e4(r, (fs_stage_t)s, &rate) == 0)
            err = fs_buf_printf(out, ",%" PRIu64 ".%04" PRIu64 "\n", rate / 10000,
                                rate % 10000);
        else if (!err)
            err = fs_buf_puts(out, ",\n");
    }
    return err;
}

/* The cells of one table row, as text. */
typedef struct cells {
    char stage[32], events[32], users[32], rate[32];
} cells_t;

void fs_report_group_digits(uint64_t n, char out[32])
{
    char digits[24];
    int len = snprintf(digits, sizeof(digits), "%" PRIu64, n), o = 0;
    for (int i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
}

static void row_cells(const fs_funnel_report_t *r, int s, cells_t *c)
{
    const fs_funnel_row_t *row = &r->rows[s];
    uint64_t rate;
    snprintf(c->stage, sizeof(c->stage), "%s", fs_stage_name((fs_stage_t)s));
    fs_report_group_digits(row->events, c->events);
    if (row->users_known)
        fs_report_group_digits(row->users, c->users);
    else
        snprintf(c->users, sizeof(c->users), "-");
    if (fs_report_rate_e4(r, (fs_stage_t)s, &rate) == 0)
        snprintf(c->rate, sizeof(c->rate), "%" PRIu64 ".%02" PRIu64 "%%", rate / 100,
                 rate % 100);
    else
        snprintf(c->rate, sizeof(c->rate), "-");
}

static int max_int(int a, int b)
{
    return a > b ? a : b;
}

static fs_err_t render_table(const void *report, fs_buf_t *out)
{
    const fs_funnel_report_t *r = report;
    cells_t head = {"stage", "events", "users", "from previous"}, rows[FS_STAGE__COUNT];
    int w0 = (int)strlen(head.stage), w1 = (int)strlen(head.events);
    int w2 = (int)strlen(head.users), w3 = (int)strlen(head.rate), any_users = 0;
    for (int s = 0; s < FS_STAGE__COUNT; s++) {
        row_cells(r, s, &rows[s]);
        w0 = max_int(w0, (int)strlen(rows[s].stage));
        w1 = max_int(w1, (int)strlen(rows[s].events));
        w2 = max_int(w2, (int)strlen(rows[s].users));
        w3 = max_int(w3, (int)strlen(rows[s].rate));
        any_users |= r->rows[s].users_known;
    }

    char from[11], to[11];
    fs_day_format(r->from, from);
    fs_day_format(r->to, to);
    fs_err_t err = fs_buf_printf(out, "Funnel %s .. %s (UTC)", from, to);
    if (!err && r->filter.kind != FS_FILTER_NONE) {
        err = fs_buf_printf(out, ", %s ", filter_key(r->filter.kind));
        /* The label comes from the command line: never echo control bytes to a terminal.
         */
        if (!err)
            err = fs_text_escape(out, r->filter.value, strlen(r->filter.value));
    }
    if (!err)
        err = fs_buf_printf(out, "\n\n%-*s  %*s  %*s  %*s\n", w0, head.stage, w1,
                            head.events, w2, head.users, w3, head.rate);
    for (int s = 0; !err && s < FS_STAGE__COUNT; s++)
        err = fs_buf_printf(out, "%-*s  %*s  %*s  %*s\n", w0, rows[s].stage, w1,
                            rows[s].events, w2, rows[s].users, w3, rows[s].rate);
    if (!err && !any_users)
        err =
            fs_buf_puts(out, "\n(users per stage are not recorded for this range yet)\n");
    return err;
}

fs_err_t fs_report_funnel_render(const fs_funnel_report_t *r, fs_report_format_t format,
                                 fs_buf_t *out)
{
    static const fs_report_renderers_t funnel = {render_table, render_json, render_csv};
    return fs_report_render_as(&funnel, format, r, out);
}

/* ---- helpers shared by the reports --------------------------------- */

int fs_report_parse_count(const char *s, size_t len, uint64_t *out)
{
    uint64_t n = 0;
    if (len == 0 || len > 20)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9' || n > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
            return -1;
        n = n * 10 + (uint64_t)(s[i] - '0');
    }
    *out = n;
    return 0;
}

fs_err_t fs_report_render_as(const fs_report_renderers_t *renderers,
                             fs_report_format_t format, const void *report, fs_buf_t *out)
{
    switch (format) {
    case FS_REPORT_JSON:
        return renderers->json(report, out);
    case FS_REPORT_CSV:
        return renderers->csv(report, out);
    case FS_REPORT_TABLE:
        return renderers->table(report, out);
    }
    return FS_ERR_INVALID;
}

void fs_report_decimal(int64_t v, unsigned decimals, int grouped, char out[64])
{
    /* The magnitude as unsigned: -INT64_MIN does not fit an int64_t. */
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, scale = 1;
    if (decimals > 18)
        decimals = 18;
    for (unsigned i = 0; i < decimals; i++)
        scale *= 10;
    char ip[32];
    if (grouped)
        fs_report_group_digits(mag / scale, ip);
    else
        snprintf(ip, sizeof(ip), "%" PRIu64, mag / scale);
    if (decimals)
        snprintf(out, 64, "%s%s.%0*" PRIu64, v < 0 ? "-" : "", ip, (int)decimals,
                 mag % scale);
    else
        snprintf(out, 64, "%s%s", v < 0 ? "-" : "", ip);
}

int fs_report_share_e4(int64_t part, int64_t whole, int64_t *share_e4)
{
    if (whole <= 0)
        return -1;
    __extension__ __int128 num = (__int128)part * 10000, w = whole;
    __extension__ __int128 q = (num < 0 ? num - w / 2 : num + w / 2) / w;
    /* |part| <= 2^63 and whole >= 1: q fits in 64 bits only for sane inputs. */
    *share_e4 = q > INT64_MAX ? INT64_MAX : q < INT64_MIN ? INT64_MIN : (int64_t)q;
    return 0;
}

int fs_report_width(const char *s)
{
    size_t w = fs_text_width(s, strlen(s));
    return w > INT_MAX ? INT_MAX : (int)w;
}

fs_err_t fs_report_cell(fs_buf_t *out, const char *s, int width, int right_align)
{
    int pad = width - fs_report_width(s);
    fs_err_t err = FS_OK;
    for (int i = 0; !err && right_align && i < pad; i++)
        err = fs_buf_puts(out, " ");
    if (!err)
        err = fs_text_escape(out, s, strlen(s));
    for (int i = 0; !err && !right_align && i < pad; i++)
        err = fs_buf_puts(out, " ");
    return err;
}

fs_err_t fs_report_csv_field(fs_buf_t *out, const char *s)
{
    return fs_text_csv_field(out, s, strlen(s));
}
