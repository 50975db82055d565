/*
 * report.c — funnel query options and rendering (see report.h).  Pure.
 *
 * Numbers are formatted from integers only: rates are computed in exact
 * integer arithmetic in ten-thousandths, so "0.4386" never depends on how
 * a binary float rounds.
 */
#include "report.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fs_day.h"

/* ---- options ------------------------------------------------------- */

fs_err_t fs_report_check_day(const char *v, char *errstr, size_t sz)
{
    int64_t day;
    if (fs_day_parse(v, &day) != FS_OK) {
        snprintf(errstr, sz, "\"%s\" is not a date YYYY-MM-DD", v);
        return FS_ERR_INVALID;
    }
    return FS_OK;
}

fs_err_t fs_report_check_format(const char *v, char *errstr, size_t sz)
{
    fs_report_format_t f;
    if (fs_report_format_parse(v, 0, &f) != FS_OK) {
        snprintf(errstr, sz, "\"%s\" is not one of table, json, csv", v);
        return FS_ERR_INVALID;
    }
    return FS_OK;
}

/* Length in bytes of the UTF-8 sequence at @p s (NUL-terminated), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n;
    unsigned cp, min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, cp = c & 0x1f, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, cp = c & 0x0f, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, cp = c & 0x07, min = 0x10000;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
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
        size_t n = utf8_seq((const unsigned char *)v + i);
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
    for (const unsigned char *p = (const unsigned char *)s; !err && *p; p++) {
        if (*p == '"' || *p == '\\')
            err = fs_buf_printf(out, "\\%c", *p);
        else if (*p == '\n')
            err = fs_buf_puts(out, "\\n");
        else if (*p == '\t')
            err = fs_buf_puts(out, "\\t");
        else if (*p < 0x20)
            err = fs_buf_printf(out, "\\u%04x", *p);
        else
            err = fs_buf_append(out, p, 1);
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
        for (const char *p = r->filter.value; !err && *p; p++)
            err = fs_buf_printf(out, "%c",
                                (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p);
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
    int w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; w++) {
        size_t n = utf8_seq(p);
        p += n ? n : 1;
    }
    return w;
}

fs_err_t fs_report_cell(fs_buf_t *out, const char *s, int width, int right_align)
{
    int pad = width - fs_report_width(s);
    fs_err_t err = FS_OK;
    for (int i = 0; !err && right_align && i < pad; i++)
        err = fs_buf_puts(out, " ");
    for (const unsigned char *p = (const unsigned char *)s; !err && *p; p++)
        err = fs_buf_append(out, *p < 0x20 || *p == 0x7f ? (const unsigned char *)"?" : p,
                            1);
    for (int i = 0; !err && !right_align && i < pad; i++)
        err = fs_buf_puts(out, " ");
    return err;
}

fs_err_t fs_report_csv_field(fs_buf_t *out, const char *s)
{
    if (!strpbrk(s, ",\"\r\n"))
        return fs_buf_puts(out, s);
    fs_err_t err = fs_buf_puts(out, "\"");
    for (const char *p = s; !err && *p; p++)
        err = *p == '"' ? fs_buf_puts(out, "\"\"") : fs_buf_append(out, p, 1);
    return err ? err : fs_buf_puts(out, "\"");
}
