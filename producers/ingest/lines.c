/*
 * lines.c — NDJSON line splitting (see lines.h).
 */
#include "lines.h"

#include <string.h>

void fs_lines_init(fs_lines_t *ls, size_t max_len, uint64_t offset, uint64_t line_no)
{
    memset(ls, 0, sizeof(*ls));
    ls->max_len = max_len;
    ls->offset = offset;
    ls->line_no = line_no;
}

void fs_lines_free(fs_lines_t *ls)
{
    fs_buf_free(&ls->carry);
    ls->carrying = 0;
    ls->carry_total = 0;
}

/* Keeps at most max_len + 1 bytes of the carried line (the extra byte may be
 * the "\r" of a CRLF line of exactly max_len) but counts them all. */
static int carry_append(fs_lines_t *ls, const char *p, size_t n)
{
    if (!ls->carrying) {
        fs_buf_reset(&ls->carry); /* the previous carried line was handed out */
        ls->carry_total = 0;
        ls->carrying = 1;
    }
    if (n == 0)
        return 0;
    size_t cap = ls->max_len + 1;
    size_t room = ls->carry.len < cap ? cap - ls->carry.len : 0;
    size_t keep = n < room ? n : room;
    if (keep && fs_buf_append(&ls->carry, p, keep) != FS_OK)
        return -1;
    ls->carry_total += n;
    ls->carry_last = p[n - 1];
    return 0;
}

/* Fills @p out with a line of @p total bytes (terminator excluded) whose
 * first bytes are at @p text, @p have of them available; @p last is its last
 * byte and @p nl 1 when a "\n" ends it. */
static void emit(fs_lines_t *ls, const char *text, size_t have, size_t total, char last,
                 size_t nl, fs_line_t *out)
{
    size_t term = nl;
    if (total > 0 && last == '\r') { /* CRLF: the "\r" belongs to the terminator */
        total--;
        term++;
    }
    out->text = text;
    out->len = total < ls->max_len ? total : ls->max_len;
    if (out->len > have)
        out->len = have; /* unreachable: have >= min(total, max_len) */
    out->total = total;
    out->line_no = ++ls->line_no;
    out->start = ls->offset;
    out->end = ls->offset + total + term;
    out->overlong = total > ls->max_len;
    ls->offset = out->end;
}

int fs_lines_next(fs_lines_t *ls, const char *chunk, size_t len, size_t *pos, int eof,
                  fs_line_t *out)
{
    size_t p = *pos;
    if (p < len) {
        const char *nl = memchr(chunk + p, '\n', len - p);
        if (nl && !ls->carrying) { /* the common case: no copy */
            size_t n = (size_t)(nl - (chunk + p));
            emit(ls, chunk + p, n, n, n ? chunk[p + n - 1] : 0, 1, out);
            *pos = p + n + 1;
            return 1;
        }
        size_t n = nl ? (size_t)(nl - (chunk + p)) : len - p;
        if (carry_append(ls, chunk + p, n) < 0)
            return -1;
        *pos = p + n + (nl ? 1 : 0);
        if (nl) {
            ls->carrying = 0; /* carry's bytes stay valid until the next carry starts */
            emit(ls, (const char *)ls->carry.data, ls->carry.len, ls->carry_total,
                 ls->carry_total ? ls->carry_last : 0, 1, out);
            return 1;
        }
    }
    if (eof && ls->carrying) {
        ls->carrying = 0;
        if (ls->carry_total > 0) {
            emit(ls, (const char *)ls->carry.data, ls->carry.len, ls->carry_total,
                 ls->carry_last, 0, out);
            return 1;
        }
    }
    return 0;
}

int fs_lines_blank(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r')
            return 0;
    return 1;
}
