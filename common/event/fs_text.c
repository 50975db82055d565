/*
 * fs_text.c — labels made safe for terminals, tables and CSV (see fs_text.h).
 */
#include "fs_text.h"

#include <stdint.h>
#include <string.h>

#include "fs_utf8.h"

int fs_text_is_unsafe(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c || cp == 0x200e ||
           cp == 0x200f || (cp >= 0x2028 && cp <= 0x2029) ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

typedef struct range {
    uint32_t first, last;
} range_t;

/* Combining marks and zero-width characters: no column of their own. */
static const range_t zero_width[] = {
    {0x0300, 0x036f}, {0x0483, 0x0489}, {0x0591, 0x05bd},   {0x0610, 0x061a},
    {0x064b, 0x065f}, {0x0e31, 0x0e31}, {0x0e34, 0x0e3a},   {0x1ab0, 0x1aff},
    {0x1dc0, 0x1dff}, {0x200b, 0x200d}, {0x20d0, 0x20ff},   {0xfe00, 0xfe0f},
    {0xfe20, 0xfe2f}, {0xfeff, 0xfeff}, {0xe0100, 0xe01ef},
};

/* East Asian wide and fullwidth characters and the emoji blocks: two columns. */
static const range_t wide[] = {
    {0x1100, 0x115f},   {0x2329, 0x232a},   {0x2e80, 0x303e},   {0x3040, 0xa4cf},
    {0xac00, 0xd7a3},   {0xf900, 0xfaff},   {0xfe10, 0xfe19},   {0xfe30, 0xfe6f},
    {0xff00, 0xff60},   {0xffe0, 0xffe6},   {0x1f300, 0x1f64f}, {0x1f680, 0x1f6ff},
    {0x1f900, 0x1f9ff}, {0x1fa70, 0x1faff}, {0x20000, 0x2fffd}, {0x30000, 0x3fffd},
};

static int in(uint32_t cp, const range_t *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (cp >= r[i].first && cp <= r[i].last)
            return 1;
    return 0;
}

static size_t char_width(uint32_t cp)
{
    if (in(cp, zero_width, sizeof(zero_width) / sizeof(zero_width[0])))
        return 0;
    return in(cp, wide, sizeof(wide) / sizeof(wide[0])) ? 2 : 1;
}

/*
 * The length of the next unit of @p s: a character copied as it is
 * (*escape = 0) or bytes to escape (*escape = 1), either a whole character
 * or one byte that starts none.
 */
static size_t next_unit(const char *s, size_t n, uint32_t *cp, int *escape)
{
    size_t len = fs_utf8_decode(s, n, cp);
    if (len == 0) {
        *escape = 1;
        return 1;
    }
    *escape = fs_text_is_unsafe(*cp);
    return len;
}

fs_err_t fs_text_escape(fs_buf_t *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0; /* start of the bytes copied unchanged, not yet appended */
    fs_err_t err = FS_OK;
    for (size_t i = 0; !err && i < n;) {
        uint32_t cp;
        int escape;
        size_t len = next_unit(s + i, n - i, &cp, &escape);
        if (escape) {
            err = fs_buf_append(out, s + run, i - run);
            for (size_t k = 0; !err && k < len; k++) {
                unsigned char c = (unsigned char)s[i + k];
                char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
                err = fs_buf_append(out, e, sizeof(e));
            }
            run = i + len;
        }
        i += len;
    }
    return err ? err : fs_buf_append(out, s + run, n - run);
}

size_t fs_text_width(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int escape;
        size_t len = next_unit(s + i, n - i, &cp, &escape);
        w += escape ? 4 * len : char_width(cp);
        i += len;
    }
    return w;
}

/* The OWASP list of first characters that make a spreadsheet evaluate a cell. */
static int starts_formula(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] == ' ')
        i++;
    return i < n && s[i] != '\0' && strchr("=+-@\t\r", s[i]);
}

fs_err_t fs_text_csv_field(fs_buf_t *out, const char *s, size_t n)
{
    fs_buf_t esc = FS_BUF_INIT;
    fs_err_t err = FS_OK;
    if (starts_formula(s, n))
        err = fs_buf_puts(&esc, "'");
    if (!err)
        err = fs_text_escape(&esc, s, n);
    if (err)
        goto done;
    /* Escaping leaves no CR or LF; the check keeps the quoting rule whole. */
    int quote = 0;
    for (size_t i = 0; i < esc.len; i++)
        quote |= esc.data[i] == ',' || esc.data[i] == '"' || esc.data[i] == '\r' ||
                 esc.data[i] == '\n';
    if (!quote) {
        err = fs_buf_append(out, esc.data, esc.len);
        goto done;
    }
    err = fs_buf_puts(out, "\"");
    size_t run = 0;
    for (size_t i = 0; !err && i < esc.len; i++)
        if (esc.data[i] == '"') {
            err = fs_buf_append(out, esc.data + run, i + 1 - run); /* the quote, */
            run = i;                                               /* and again */
        }
    if (!err)
        err = fs_buf_append(out, esc.data + run, esc.len - run);
    if (!err)
        err = fs_buf_puts(out, "\"");
done:
    fs_buf_free(&esc);
    return err;
}
