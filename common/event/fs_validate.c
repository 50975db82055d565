/*
 * fs_validate.c — docs/event.md validation of one event (see fs_validate.h and
 * docs/event-validation.md).
 *
 * Called by the producers for every incoming event, so it is on the hot
 * path: one pass over the object's keys, every check done on borrowed
 * strings of the parsed document (fs_json.h), and allocations only once
 * the event is known to be valid.  Must stay pure: never reads the clock,
 * never generates ids, never logs, never keeps state between calls.
 */
#include "fs_validate.h"

#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_utf8.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define REVENUE_LIMIT_UNITS 1000000000000LL /* 10^12 */
#define NAME_SHOWN_MAX 40                   /* bytes of a user-supplied name in errors */

/* ---- error accumulation ---------------------------------------------------------- */

typedef struct errs {
    char *buf; /* may be NULL */
    size_t size;
    size_t len;
    int n; /* problems found, even when buf is too small to hold them */
} errs_t;

static void add_err(errs_t *e, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_err(errs_t *e, const char *field, const char *fmt, ...)
{
    e->n++;
    if (!e->buf || e->size == 0 || e->len + 1 >= e->size)
        return;
    int w = snprintf(e->buf + e->len, e->size - e->len, "%s%s: ", e->n > 1 ? "; " : "",
                     field);
    if (w < 0)
        return;
    e->len += (size_t)w;
    if (e->len + 1 >= e->size) {
        e->len = e->size - 1;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    w = vsnprintf(e->buf + e->len, e->size - e->len, fmt, ap);
    va_end(ap);
    if (w < 0)
        return;
    e->len += (size_t)w;
    if (e->len + 1 >= e->size)
        e->len = e->size - 1;
}

/* ---- UTF-8 and text fields ------------------------------------------------------- */

/* Unicode White_Space, plus U+FEFF (a stray byte order mark is never meant). */
static int is_space_cp(uint32_t c)
{
    if (c < 0x80)
        return c == ' ' || (c >= 0x09 && c <= 0x0d);
    return c == 0x85 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
           c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000 ||
           c == 0xfeff;
}

/* C0, DEL and C1 control characters. */
static int is_ctrl_cp(uint32_t c)
{
    return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

typedef enum text_status { TXT_OK, TXT_UTF8, TXT_CTRL, TXT_LONG } text_status_t;

/* A borrowed slice of a document string. */
typedef struct text {
    const char *p; /* NULL = absent */
    size_t len;
} text_t;

/*
 * Trims @p s (@p len bytes) and checks it as a text field: valid UTF-8, no
 * control character between the first and last non-space character, at
 * most @p max_chars code points after trimming.  On TXT_OK *out is the
 * trimmed slice, with out->p NULL when nothing is left.
 */
static text_status_t check_text(const char *s, size_t len, size_t max_chars, text_t *out)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, ncp = 0;
    size_t first_b = SIZE_MAX, end_b = 0, first_cp = 0, last_cp = 0;
    int ctrl_pending = 0, ctrl = 0;

    while (i < len) {
        uint32_t cp;
        size_t n;
        if (u[i] > 0x20 && u[i] < 0x7f) {
            /* Fast path: a run of printable ASCII, the bulk of every id. */
            size_t j = i + 1;
            while (j < len && u[j] > 0x20 && u[j] < 0x7f)
                j++;
            if (ctrl_pending)
                ctrl = 1;
            if (first_b == SIZE_MAX) {
                first_b = i;
                first_cp = ncp;
            }
            ncp += j - i;
            last_cp = ncp - 1;
            end_b = j;
            i = j;
            continue;
        }
        if (u[i] < 0x80) {
            cp = u[i];
            n = 1;
        } else {
            n = fs_utf8_decode(s + i, len - i, &cp);
            if (n == 0)
                return TXT_UTF8;
        }
        if (is_space_cp(cp)) {
            /* A control that is also a space (\t, \n...) is only fine at the ends. */
            if (is_ctrl_cp(cp) && first_b != SIZE_MAX)
                ctrl_pending = 1;
        } else {
            if (is_ctrl_cp(cp) || ctrl_pending)
                ctrl = 1;
            if (first_b == SIZE_MAX) {
                first_b = i;
                first_cp = ncp;
            }
            end_b = i + n;
            last_cp = ncp;
        }
        i += n;
        ncp++;
    }
    if (ctrl)
        return TXT_CTRL;
    if (first_b == SIZE_MAX) {
        out->p = NULL;
        out->len = 0;
        return TXT_OK;
    }
    if (last_cp - first_cp + 1 > max_chars)
        return TXT_LONG;
    out->p = s + first_b;
    out->len = end_b - first_b;
    return TXT_OK;
}

/*
 * Copies a user-supplied name (@p len bytes) into @p dst for an error
 * message: at most NAME_SHOWN_MAX bytes, whole UTF-8 characters only,
 * control characters, quotes, backslashes and invalid bytes shown as '?'.
 */
static void show_name(char *dst, size_t dst_size, const char *s, size_t len)
{
    size_t o = 0, i = 0;

    while (i < len && o + 4 < dst_size) {
        uint32_t cp;
        size_t n = fs_utf8_decode(s + i, len - i, &cp);
        if (o + (n ? n : 1) > NAME_SHOWN_MAX)
            break;
        if (n == 0 || is_ctrl_cp(cp) || cp == '"' || cp == '\\') {
            dst[o++] = '?';
            i += n ? n : 1;
            continue;
        }
        memcpy(dst + o, s + i, n);
        o += n;
        i += n;
    }
    if (i < len && o + 3 < dst_size) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o] = '\0';
}

/* ---- revenue --------------------------------------------------------------------- */

/*
 * Exact decimal parse of @p len bytes at @p s.  @returns NULL and sets
 * *cents, or the reason it is not an acceptable amount.
 */
static const char *parse_revenue(const char *s, size_t len, int64_t *cents)
{
    size_t i = 0;
    int64_t units = 0;
    int int_digits = 0, significant = 0, frac_digits = 0, frac = 0, sub_cent = 0;

    if (len > 0 && s[0] == '-') {
        int64_t ignored;
        if (len > 1 && parse_revenue(s + 1, len - 1, &ignored) == NULL)
            return "must not be negative";
        return "must be a decimal number such as \"19.99\"";
    }
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        int_digits++;
        if (significant > 0 || s[i] != '0')
            significant++;
        if (significant <= 12)
            units = units * 10 + (s[i] - '0');
    }
    if (int_digits == 0)
        return "must be a decimal number such as \"19.99\"";
    if (i < len && s[i] == '.') {
        i++;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            frac_digits++;
            if (frac_digits <= 2)
                frac = frac * 10 + (s[i] - '0');
            else if (s[i] != '0')
                sub_cent = 1; /* trailing zeros beyond cents are harmless */
        }
        if (frac_digits == 0)
            return "must be a decimal number such as \"19.99\"";
    }
    if (i != len)
        return "must be a decimal number such as \"19.99\"";
    if (significant > 12)
        return "must be less than 10^12";
    if (sub_cent)
        return "at most 2 decimals";
    if (frac_digits == 1)
        frac *= 10;
    *cents = units * 100 + frac;
    return NULL;
}

fs_err_t fs_parse_revenue_cents(const char *s, int64_t *cents)
{
    return parse_revenue(s, strlen(s), cents) ? FS_ERR_INVALID : FS_OK;
}

/*
 * A JSON real: jansson kept only the double.  Every acceptable amount has
 * at most 14 significant digits, so "%.15g" reproduces the decimal the
 * client wrote (DBL_DIG is 15); an amount whose double needs more digits
 * to round-trip cannot have been a valid literal.
 */
static const char *revenue_from_real(double d, int64_t *cents)
{
    char buf[40];

    if (!isfinite(d))
        return "must be a decimal number such as \"19.99\"";
    if (d < 0)
        return "must not be negative";
    if (d >= (double)REVENUE_LIMIT_UNITS)
        return "must be less than 10^12";
    if (d == 0) {
        *cents = 0;
        return NULL;
    }
    snprintf(buf, sizeof(buf), "%.15g", d);
    if (strtod(buf, NULL) != d || strchr(buf, 'e'))
        return "at most 2 decimals"; /* < 10^12, so the extra digits are decimals */
    return parse_revenue(buf, strlen(buf), cents);
}

/* ---- timestamps ------------------------------------------------------------------ */

static int two_digits(const char *s, int *v)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
        return -1;
    *v = (s[0] - '0') * 10 + (s[1] - '0');
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dim[m - 1];
}

/* RFC 3339 date-time of @p len bytes; 0 and *ms on success, -1 otherwise. */
static int parse_rfc3339(const char *s, size_t len, int64_t *ms)
{
    int c1, c2, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
    size_t i;

    /* YYYY-MM-DDTHH:MM:SS is 19 bytes, the shortest offset 1 more. */
    if (len < 20 || two_digits(s, &c1) || two_digits(s + 2, &c2) || s[4] != '-' ||
        two_digits(s + 5, &mo) || s[7] != '-' || two_digits(s + 8, &d) ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || two_digits(s + 11, &h) ||
        s[13] != ':' || two_digits(s + 14, &mi) || s[16] != ':' ||
        two_digits(s + 17, &sec))
        return -1;
    int y = c1 * 100 + c2;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
        sec > 60)
        return -1;
    int frac_ms = 0;
    i = 19;
    if (s[i] == '.') {
        size_t start = ++i;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            if (i - start < 3)
                frac_ms = frac_ms * 10 + (s[i] - '0');
        if (i == start)
            return -1;
        for (size_t k = i - start; k < 3; k++)
            frac_ms *= 10;
    }
    if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < len && (s[i] == '+' || s[i] == '-')) {
        sign = s[i] == '+' ? 1 : -1;
        if (len - i < 6 || two_digits(s + i + 1, &oh) || s[i + 3] != ':' ||
            two_digits(s + i + 4, &om) || oh > 23 || om > 59)
            return -1;
        i += 6;
    } else {
        return -1;
    }
    if (i != len)
        return -1;
    int64_t days = days_from_civil(y, mo, d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - sign * (oh * 3600 + om * 60);
    *ms = secs * 1000 + frac_ms;
    return 0;
}

fs_err_t fs_parse_timestamp_ms(const char *s, int64_t *ms)
{
    return parse_rfc3339(s, strlen(s), ms) == 0 ? FS_OK : FS_ERR_INVALID;
}

/* ---- the event object ------------------------------------------------------------ */

enum field {
    F_EVENT_ID,
    F_TYPE,
    F_USER_ID,
    F_ANONYMOUS_ID,
    F_OCCURRED_AT,
    F_CHANNEL,
    F_CAMPAIGN,
    F_SOURCE,
    F_MEDIUM,
    F_CONTENT,
    F_TERM,
    F_REVENUE,
    F_CURRENCY,
    F_PROPERTIES,
    F__COUNT
};

static const struct {
    const char *name;
    size_t len;
} fields[F__COUNT] = {
#define FIELD(n)                                                                         \
    {                                                                                    \
        n, sizeof(n) - 1                                                                 \
    }
    FIELD("event_id"),    FIELD("type"),       FIELD("user_id"),  FIELD("anonymous_id"),
    FIELD("occurred_at"), FIELD("channel"),    FIELD("campaign"), FIELD("source"),
    FIELD("medium"),      FIELD("content"),    FIELD("term"),     FIELD("revenue"),
    FIELD("currency"),    FIELD("properties"),
#undef FIELD
};

static int field_index(const char *key, size_t klen)
{
    /* Candidates (field + 1, 0-terminated) by key length: at most 4 short memcmp()s. */
#define C(f) ((f) + 1)
    static const unsigned char by_len[13][5] = {
        [4] = {C(F_TYPE), C(F_TERM)},
        [6] = {C(F_SOURCE), C(F_MEDIUM)},
        [7] = {C(F_USER_ID), C(F_CHANNEL), C(F_CONTENT), C(F_REVENUE)},
        [8] = {C(F_EVENT_ID), C(F_CAMPAIGN), C(F_CURRENCY)},
        [10] = {C(F_PROPERTIES)},
        [11] = {C(F_OCCURRED_AT)},
        [12] = {C(F_ANONYMOUS_ID)},
    };
#undef C
    if (klen >= NELEM(by_len))
        return -1;
    for (const unsigned char *c = by_len[klen]; *c; c++)
        if (memcmp(fields[*c - 1].name, key, klen) == 0)
            return *c - 1;
    return -1;
}

/* One checked property, still borrowing from the document. */
typedef struct prop_in {
    const char *key;
    size_t klen;
    fs_prop_kind_t kind;
    const char *s; /* FS_PROP_STRING */
    size_t slen;
    int64_t l;
    double d;
    int b;
} prop_in_t;

/* Everything fs_validate_json() learned, before anything is allocated. */
typedef struct parsed {
    text_t text[F__COUNT]; /* trimmed text fields (event_id, type, ids, UTM...) */
    const fs_event_type_t *type;
    int64_t occurred_at_ms;
    int has_revenue;
    int64_t revenue_cents;
    char currency[4];
    size_t nprops;
    prop_in_t props[FS_PROPS_MAX];
} parsed_t;

static const char *text_reason(text_status_t st)
{
    switch (st) {
    case TXT_UTF8:
        return "must be valid UTF-8";
    case TXT_CTRL:
        return "must not contain control characters";
    case TXT_LONG:
        return "longer than 128 characters";
    case TXT_OK:
        break;
    }
    return "invalid";
}

/* A plain text field: string or null, ≤ FS_TEXT_MAX_CHARS characters. */
static void check_text_field(errs_t *e, int f, const fs_jval_t *v, text_t *out)
{
    if (v->type == FS_J_NULL)
        return;
    if (v->type != FS_J_STRING) {
        add_err(e, fields[f].name, "must be a string");
        return;
    }
    text_status_t st = check_text(v->u.s, v->len, FS_TEXT_MAX_CHARS, out);
    if (st != TXT_OK)
        add_err(e, fields[f].name, "%s", text_reason(st));
}

static void check_event_id(errs_t *e, const fs_jval_t *v, text_t *out)
{
    if (v->type == FS_J_NULL)
        return;
    if (v->type != FS_J_STRING) {
        add_err(e, "event_id", "must be a string");
        return;
    }
    text_status_t st = check_text(v->u.s, v->len, FS_EVENT_ID_MAX, out);
    if (st == TXT_LONG) {
        add_err(e, "event_id", "longer than %d characters", FS_EVENT_ID_MAX);
        return;
    }
    if (st == TXT_OK) {
        for (size_t i = 0; i < out->len; i++) {
            char c = out->p[i];
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' ||
                  c == '-')) {
                st = TXT_CTRL;
                break;
            }
        }
    }
    if (st != TXT_OK) {
        out->p = NULL;
        add_err(e, "event_id", "only letters, digits and . _ : - are allowed");
    }
}

static void check_type(errs_t *e, const fs_definition_t *def, const fs_jval_t *v,
                       text_t *t, const fs_event_type_t **type)
{
    char shown[NAME_SHOWN_MAX + 4];

    if (!v || v->type == FS_J_NULL) {
        add_err(e, "type", "required");
        return;
    }
    if (v->type != FS_J_STRING) {
        add_err(e, "type", "must be a string");
        return;
    }
    text_status_t st = check_text(v->u.s, v->len, FS_TEXT_MAX_CHARS, t);
    if (st != TXT_OK) {
        add_err(e, "type", "%s", text_reason(st));
        return;
    }
    if (!t->p) {
        add_err(e, "type", "required");
        return;
    }
    *type = def ? fs_definition_lookupn(def, t->p, t->len) : NULL;
    if (!*type) {
        show_name(shown, sizeof(shown), t->p, t->len);
        add_err(e, "type", "unknown event type \"%s\"", shown);
    }
}

static void check_occurred_at(errs_t *e, const fs_validate_ctx_t *ctx, const fs_jval_t *v,
                              int64_t *ms)
{
    static const char expect[] = "must be an RFC 3339 timestamp with offset (e.g. "
                                 "\"2026-11-27T05:12:01.123Z\") or "
                                 "integer epoch milliseconds";

    *ms = ctx->now_ms;
    if (!v || v->type == FS_J_NULL)
        return;
    if (v->type == FS_J_INT) {
        *ms = v->u.i;
    } else if (v->type == FS_J_STRING) {
        text_t t;
        if (check_text(v->u.s, v->len, 64, &t) != TXT_OK) {
            add_err(e, "occurred_at", "%s", expect);
            return;
        }
        if (!t.p)
            return; /* empty counts as absent */
        size_t digits = 0;
        while (digits < t.len && t.p[digits] >= '0' && t.p[digits] <= '9')
            digits++;
        if (digits == t.len && digits <= 15) {
            /* A string of digits is epoch ms (query strings have no integers). */
            int64_t v_ms = 0;
            for (size_t i = 0; i < digits; i++)
                v_ms = v_ms * 10 + (t.p[i] - '0');
            *ms = v_ms;
        } else if (parse_rfc3339(t.p, t.len, ms) != 0) {
            add_err(e, "occurred_at", "%s", expect);
            return;
        }
    } else {
        add_err(e, "occurred_at", "%s", expect);
        return;
    }
    if (*ms < FS_EPOCH_MIN_MS)
        add_err(e, "occurred_at", "before 2000-01-01");
    else if (ctx->now_ms <= INT64_MAX - FS_FUTURE_SLACK_MS &&
             *ms > ctx->now_ms + FS_FUTURE_SLACK_MS)
        add_err(e, "occurred_at", "more than 24h in the future");
}

static void check_revenue(errs_t *e, const fs_jval_t *v, int *has, int64_t *cents)
{
    const char *why = NULL;

    if (!v || v->type == FS_J_NULL)
        return;
    if (v->type == FS_J_INT) {
        int64_t units = v->u.i;
        if (units < 0)
            why = "must not be negative";
        else if (units >= REVENUE_LIMIT_UNITS)
            why = "must be less than 10^12";
        else
            *cents = (int64_t)units * 100;
    } else if (v->type == FS_J_REAL) {
        why = revenue_from_real(v->u.d, cents);
    } else if (v->type == FS_J_STRING) {
        text_t t;
        if (check_text(v->u.s, v->len, 64, &t) != TXT_OK)
            why = "must be a decimal number such as \"19.99\"";
        else if (!t.p)
            return; /* empty counts as absent */
        else
            why = parse_revenue(t.p, t.len, cents);
    } else {
        why = "must be a number or a decimal string";
    }
    if (why)
        add_err(e, "revenue", "%s", why);
    else
        *has = 1;
}

static void check_currency(errs_t *e, const fs_jval_t *v, char currency[4])
{
    memcpy(currency, "USD", 4);
    if (!v || v->type == FS_J_NULL)
        return;
    if (v->type != FS_J_STRING) {
        add_err(e, "currency", "must be a string");
        return;
    }
    text_t t;
    text_status_t st = check_text(v->u.s, v->len, 64, &t);
    if (st == TXT_OK && !t.p)
        return;
    if (st != TXT_OK || t.len != 3 || t.p[0] < 'A' || t.p[0] > 'Z' || t.p[1] < 'A' ||
        t.p[1] > 'Z' || t.p[2] < 'A' || t.p[2] > 'Z') {
        add_err(e, "currency", "must be 3 upper-case letters (ISO 4217, e.g. \"EUR\")");
        return;
    }
    memcpy(currency, t.p, 3);
    currency[3] = '\0';
}

/* Largest magnitude below which every integral double is an exact int64. */
#define EXACT_INT_DOUBLE 9007199254740992.0 /* 2^53 */

/* Adds "properties.KEY: reason" (the name is only formatted on this cold path). */
static void prop_err(errs_t *e, const char *key, size_t klen, const char *reason)
{
    char shown[NAME_SHOWN_MAX + 4];
    char field[NAME_SHOWN_MAX + 16];

    show_name(shown, sizeof(shown), key, klen);
    snprintf(field, sizeof(field), "properties.%s", shown);
    add_err(e, field, "%s", reason);
}

static void check_properties(errs_t *e, const fs_jval_t *v, parsed_t *p, size_t *bound)
{
    if (!v || v->type == FS_J_NULL)
        return;
    if (v->type != FS_J_OBJECT) {
        add_err(e, "properties", "must be an object");
        return;
    }
    if (v->len > FS_PROPS_MAX) {
        add_err(e, "properties", "more than %d keys", FS_PROPS_MAX);
        return;
    }
    for (size_t m = 0; m < v->len; m++) {
        const fs_jval_t *pv = &v->u.items[m];
        const char *key = pv->key;
        size_t klen = pv->klen;
        prop_in_t *pi = &p->props[p->nprops];
        text_t kt;
        text_status_t st = check_text(key, klen, FS_TEXT_MAX_CHARS, &kt);

        *bound += 6 * klen + 4 + fs_jval_size_bound(pv, FS_EVENT_MAX_BYTES);
        if (st == TXT_OK && (!kt.p || kt.len != klen)) {
            prop_err(e, key, klen, "keys must not be empty or have surrounding spaces");
            continue;
        }
        if (st != TXT_OK) {
            prop_err(e, key, klen,
                     st == TXT_UTF8   ? "key must be valid UTF-8"
                     : st == TXT_CTRL ? "key must not contain control characters"
                                      : "key longer than 128 characters");
            continue;
        }
        memset(pi, 0, sizeof(*pi));
        pi->key = key;
        pi->klen = klen;
        switch ((fs_jtype_t)pv->type) {
        case FS_J_STRING: {
            const char *s = pv->u.s;
            size_t slen = pv->len;
            if (!fs_utf8_valid(s, slen)) {
                prop_err(e, key, klen, "must be valid UTF-8 without NUL characters");
                goto next;
            }
            pi->kind = FS_PROP_STRING;
            pi->s = s;
            pi->slen = slen;
            break;
        }
        case FS_J_INT:
            pi->kind = FS_PROP_LONG;
            pi->l = pv->u.i;
            break;
        case FS_J_REAL: {
            double d = pv->u.d;
            if (!isfinite(d)) {
                prop_err(e, key, klen, "must be a finite number");
                goto next;
            }
            if (d > -EXACT_INT_DOUBLE && d < EXACT_INT_DOUBLE &&
                (double)(int64_t)d == d) {
                pi->kind = FS_PROP_LONG; /* 3.0 and 1e2 are integers */
                pi->l = (int64_t)d;
            } else {
                pi->kind = FS_PROP_DOUBLE;
                pi->d = d;
            }
            break;
        }
        case FS_J_TRUE:
        case FS_J_FALSE:
            pi->kind = FS_PROP_BOOL;
            pi->b = pv->type == FS_J_TRUE;
            break;
        case FS_J_OBJECT:
        case FS_J_ARRAY:
            prop_err(e, key, klen, "nested objects and arrays are not allowed");
            goto next;
        case FS_J_NULL:
            prop_err(e, key, klen, "must be a string, number or boolean");
            goto next;
        }
        p->nprops++;
    next:;
    }
}

/* Runs every check on @p obj; *p is filled for the parts that are valid. */
static void check_event(const fs_validate_ctx_t *ctx, const fs_jval_t *obj, parsed_t *p,
                        errs_t *e)
{
    const fs_jval_t *val[F__COUNT] = {0};
    char shown[NAME_SHOWN_MAX + 4];
    size_t bound = 2; /* "{}" */

    if (obj->type != FS_J_OBJECT) {
        add_err(e, "event", "must be a JSON object");
        return;
    }
    for (size_t m = 0; m < obj->len; m++) {
        const char *key = obj->u.items[m].key;
        size_t klen = obj->u.items[m].klen;
        int f = field_index(key, klen);
        if (f < 0) {
            show_name(shown, sizeof(shown), key, klen);
            add_err(e, shown[0] ? shown : "(empty key)", "unknown field");
            continue;
        }
        val[f] = &obj->u.items[m];
        if (f != F_PROPERTIES)
            bound += 6 * klen + 4 + fs_jval_size_bound(val[f], FS_EVENT_MAX_BYTES);
    }

    if (val[F_EVENT_ID])
        check_event_id(e, val[F_EVENT_ID], &p->text[F_EVENT_ID]);
    check_type(e, ctx->def, val[F_TYPE], &p->text[F_TYPE], &p->type);
    int errors_before_ids = e->n;
    for (int f = F_USER_ID; f <= F_TERM; f++) {
        if (f == F_OCCURRED_AT)
            check_occurred_at(e, ctx, val[f], &p->occurred_at_ms);
        else if (val[f])
            check_text_field(e, f, val[f], &p->text[f]);
        if (f == F_ANONYMOUS_ID && e->n == errors_before_ids && !p->text[F_USER_ID].p &&
            !p->text[F_ANONYMOUS_ID].p)
            add_err(e, "user_id", "user_id or anonymous_id is required");
    }
    check_revenue(e, val[F_REVENUE], &p->has_revenue, &p->revenue_cents);
    check_currency(e, val[F_CURRENCY], p->currency);
    if (val[F_PROPERTIES])
        bound += 6 * 10 + 4 + 2; /* "properties":{} */
    check_properties(e, val[F_PROPERTIES], p, &bound);

    /* Measure exactly only when the cheap bound says it might be too big. */
    if (e->n == 0 && bound > FS_EVENT_MAX_BYTES &&
        fs_jval_compact_larger(obj, FS_EVENT_MAX_BYTES))
        add_err(e, "event", "serialized form larger than 32 KiB");
}

/* Bytes of a NUL-terminated copy of an optional slice (0 when absent). */
static size_t text_bytes(text_t t)
{
    return t.p ? t.len + 1 : 0;
}

/* Copies @p len bytes of @p s and a NUL to *cur, advancing it; NULL for a
 * NULL @p s.  The block was sized by the caller. */
static char *carve(char **cur, const char *s, size_t len)
{
    if (!s)
        return NULL;
    char *d = *cur;
    memcpy(d, s, len);
    d[len] = '\0';
    *cur += len + 1;
    return d;
}

/* The optional text fields and where the event keeps each: one table for
 * sizing the block and for copying into it. */
#define EVENT_TEXT(f, member)                                                            \
    {                                                                                    \
        f, offsetof(fs_event_t, member)                                                  \
    }
static const struct {
    int field;
    size_t off;
} event_texts[] = {
    EVENT_TEXT(F_USER_ID, user_id), EVENT_TEXT(F_ANONYMOUS_ID, anonymous_id),
    EVENT_TEXT(F_CHANNEL, channel), EVENT_TEXT(F_CAMPAIGN, campaign),
    EVENT_TEXT(F_SOURCE, source),   EVENT_TEXT(F_MEDIUM, medium),
    EVENT_TEXT(F_CONTENT, content), EVENT_TEXT(F_TERM, term)};
#undef EVENT_TEXT

/* Builds the event of a fully valid *p in one allocation (ev->block): the
 * property array first, then every string.  One malloc and one free per
 * event instead of one per string: the collector builds 100 per request. */
static fs_err_t build_event(const fs_validate_ctx_t *ctx, const parsed_t *p,
                            fs_event_t *ev)
{
    size_t type_len = strlen(p->type->name);
    size_t src_len = ctx->ingest_source ? strlen(ctx->ingest_source) : 0;
    size_t size = p->nprops * sizeof(fs_prop_t) + type_len + 1 +
                  (ctx->ingest_source ? src_len + 1 : 0);
    for (size_t i = 0; i < NELEM(event_texts); i++)
        size += text_bytes(p->text[event_texts[i].field]);
    for (size_t i = 0; i < p->nprops; i++)
        size += p->props[i].klen + 1 +
                (p->props[i].kind == FS_PROP_STRING ? p->props[i].slen + 1 : 0);

    memset(ev, 0, sizeof(*ev));
    char *block = malloc(size);
    if (!block)
        return FS_ERR_NOMEM;
    ev->block = block;
    fs_prop_t *props = p->nprops ? (fs_prop_t *)(void *)block : NULL;
    char *cur = block + p->nprops * sizeof(fs_prop_t);

    memcpy(ev->event_id, p->text[F_EVENT_ID].p ? p->text[F_EVENT_ID].p : "",
           p->text[F_EVENT_ID].len);
    ev->event_id[p->text[F_EVENT_ID].len] = '\0';
    ev->type = carve(&cur, p->type->name, type_len);
    for (size_t i = 0; i < NELEM(event_texts); i++) {
        const text_t *t = &p->text[event_texts[i].field];
        *(char **)(void *)((char *)ev + event_texts[i].off) = carve(&cur, t->p, t->len);
    }
    ev->occurred_at_ms = p->occurred_at_ms;
    ev->received_at_ms = ctx->now_ms;
    ev->has_revenue = p->has_revenue;
    ev->revenue_cents = p->has_revenue ? p->revenue_cents : 0;
    memcpy(ev->currency, p->currency, sizeof(ev->currency));
    ev->ingest_source = carve(&cur, ctx->ingest_source, src_len);
    ev->props = props;
    ev->nprops = p->nprops;
    for (size_t i = 0; i < p->nprops; i++) {
        const prop_in_t *pi = &p->props[i];
        fs_prop_t *prop = &props[i];
        prop->key = carve(&cur, pi->key, pi->klen);
        prop->kind = pi->kind;
        switch (pi->kind) {
        case FS_PROP_STRING:
            prop->v.s = carve(&cur, pi->s, pi->slen);
            break;
        case FS_PROP_LONG:
            prop->v.l = pi->l;
            break;
        case FS_PROP_DOUBLE:
            prop->v.d = pi->d;
            break;
        case FS_PROP_BOOL:
            prop->v.b = pi->b;
            break;
        }
    }
    return FS_OK;
}

/* Channel grouping of a valid event without a channel: the derived name
 * (borrowed from the table, which outlives the call) becomes its channel
 * text, copied into the event's block like any other field. */
static void derive_channel(const fs_channel_table_t *t, parsed_t *p)
{
    text_t ref = {0}, url = {0};
    for (size_t i = 0; i < p->nprops; i++) {
        const prop_in_t *pi = &p->props[i];
        if (pi->kind != FS_PROP_STRING)
            continue;
        if (pi->klen == 8 && !memcmp(pi->key, "referrer", 8))
            ref = (text_t){pi->s, pi->slen};
        else if (pi->klen == 3 && !memcmp(pi->key, "url", 3))
            url = (text_t){pi->s, pi->slen};
    }
    const char *ch =
        fs_channel_derive(t, p->type->name, p->text[F_MEDIUM].p, p->text[F_MEDIUM].len,
                          ref.p, ref.len, url.p, url.len);
    if (ch)
        p->text[F_CHANNEL] = (text_t){ch, strlen(ch)};
}

fs_err_t fs_validate_jval(const fs_validate_ctx_t *ctx, const fs_jval_t *obj,
                          fs_event_t *out, char *errstr, size_t errstr_size)
{
    errs_t e = {errstr, errstr_size, 0, 0};
    parsed_t p;

    if (errstr && errstr_size > 0)
        errstr[0] = '\0';
    memset(&p, 0, offsetof(parsed_t, props)); /* props[] is filled as counted */
    if (!obj) {
        add_err(&e, "event", "must be a JSON object");
    } else {
        check_event(ctx, obj, &p, &e);
    }
    if (e.n > 0) {
        memset(out, 0, sizeof(*out));
        return FS_ERR_INVALID;
    }
    if (ctx->channels && !p.text[F_CHANNEL].p)
        derive_channel(ctx->channels, &p);
    if (build_event(ctx, &p, out) != FS_OK) {
        add_err(&e, "event", "out of memory");
        return FS_ERR_NOMEM;
    }
    return FS_OK;
}

fs_err_t fs_validate_json(const fs_validate_ctx_t *ctx, const json_t *obj,
                          fs_event_t *out, char *errstr, size_t errstr_size)
{
    fs_jdoc_t *doc = NULL;
    const fs_jval_t *v = obj ? fs_jdoc_from_json(obj, &doc) : NULL;
    if (obj && !v) {
        errs_t e = {errstr, errstr_size, 0, 0};
        if (errstr && errstr_size > 0)
            errstr[0] = '\0';
        memset(out, 0, sizeof(*out));
        add_err(&e, "event",
                "cannot be read (out of memory, or nested deeper than %d levels)",
                FS_JSON_MAX_DEPTH);
        return FS_ERR_NOMEM;
    }
    fs_err_t err = fs_validate_jval(ctx, v, out, errstr, errstr_size);
    fs_jdoc_free(doc);
    return err;
}

/* Copies the parse error for a message, bytes outside printable ASCII as '?'. */
static void show_ascii(char *dst, size_t dst_size, const char *s)
{
    size_t o = 0;
    for (; *s && o + 1 < dst_size; s++)
        dst[o++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
    dst[o] = '\0';
}

fs_err_t fs_validate_text(const fs_validate_ctx_t *ctx, const char *text, size_t len,
                          fs_event_t *out, char *errstr, size_t errstr_size)
{
    errs_t e = {errstr, errstr_size, 0, 0};

    if (errstr && errstr_size > 0)
        errstr[0] = '\0';
    memset(out, 0, sizeof(*out));
    if (len > FS_EVENT_MAX_BYTES) {
        add_err(&e, "event", "larger than 32 KiB (%zu bytes)", len);
        return FS_ERR_INVALID;
    }
    char why[160];
    fs_jdoc_t *doc;
    const fs_jval_t *obj = fs_jdoc_parse(text, len, &doc, why, sizeof(why));
    if (!obj) {
        char shown[sizeof(why)];
        show_ascii(shown, sizeof(shown), why);
        add_err(&e, "event", "invalid JSON: %s", shown);
        return FS_ERR_INVALID;
    }
    fs_err_t err = fs_validate_jval(ctx, obj, out, errstr, errstr_size);
    fs_jdoc_free(doc);
    return err;
}
