/*
 * fs_json.c — JSON text → jansson tree, lexed by yajl, and the compact
 * size bound of a tree (see fs_json.h).
 *
 * yajl does the lexing and the grammar; its callbacks build the tree.
 * Where yajl is more lenient than jansson the difference is closed here:
 *   - strings and keys are UTF-8-checked by jansson's own constructors
 *     (json_stringn, json_object_setn), which reject overlong forms and
 *     encoded surrogates that yajl's check lets through (so yajl's is off);
 *   - scan_text() looks first for what jansson rejects and yajl does not:
 *     \u0000 and unpaired surrogates in \u escapes, \v and \f as white space;
 *   - numbers come raw and are converted as jansson does: no '.', 'e' or
 *     'E' → integer (out of range: rejected), else a double (overflow:
 *     rejected);
 *   - duplicate keys, nesting beyond FS_JSON_MAX_DEPTH and anything but
 *     white space after the value are rejected (yajl accepts an unfinished
 *     token there).
 */
#include "fs_json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

/* Tree under construction; owned by one fs_json_parse() call. */
typedef struct builder {
    json_t *root;    /* the value parsed, once its first token was seen */
    json_t **stack;  /* open containers, innermost last (borrowed from root) */
    size_t depth;    /* entries used in stack */
    size_t cap;      /* entries allocated in stack */
    char *key;       /* pending object key, waiting for its value */
    size_t klen;     /* its length */
    size_t kcap;     /* bytes allocated in key */
    const char *why; /* our reason when a callback stopped the parse */
    yajl_handle h;   /* the parser calling back */
    int finishing;   /* inside yajl_complete_parse (which lexes its own " ") */
    size_t len;      /* length of the text */
    size_t end;      /* offset just past the root value, once complete */
} builder_t;

/* The root value is complete: remember where it ended in the text. */
static void root_done(builder_t *b)
{
    b->end = b->finishing ? b->len : yajl_get_bytes_consumed(b->h);
}

/* Adds @p v (a new reference, consumed) where the parse is; 0 = stop. */
static int add_value(builder_t *b, json_t *v)
{
    if (!v) {
        if (!b->why)
            b->why = "out of memory";
        return 0;
    }
    if (b->depth == 0) {
        b->root = v;
        if (!json_is_object(v) && !json_is_array(v))
            root_done(b);
        return 1;
    }
    json_t *top = b->stack[b->depth - 1];
    if (json_is_array(top)) {
        if (json_array_append_new(top, v) != 0) {
            b->why = "out of memory";
            return 0;
        }
        return 1;
    }
    if (json_object_getn(top, b->key, b->klen)) {
        json_decref(v);
        b->why = "duplicate object key";
        return 0;
    }
    /* The checking variant: rejects keys that are not valid UTF-8.  (A NUL
     * cannot get here: scan_text refuses \u0000, yajl a raw NUL.) */
    if (json_object_setn_new(top, b->key, b->klen, v) != 0) {
        b->why = "object key is not valid UTF-8";
        return 0;
    }
    return 1;
}

static int on_null(void *ctx)
{
    return add_value(ctx, json_null());
}

static int on_boolean(void *ctx, int v)
{
    return add_value(ctx, json_boolean(v));
}

static int on_number(void *ctx, const char *s, size_t len)
{
    builder_t *b = ctx;
    char buf[64];
    char *copy = len < sizeof(buf) ? buf : malloc(len + 1);
    if (!copy) {
        b->why = "out of memory";
        return 0;
    }
    memcpy(copy, s, len);
    copy[len] = '\0';
    json_t *v = NULL;
    errno = 0;
    if (memchr(s, '.', len) || memchr(s, 'e', len) || memchr(s, 'E', len)) {
        double d = strtod(copy, NULL);
        if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL))
            b->why = "real number overflow";
        else
            v = json_real(d);
    } else {
        long long i = strtoll(copy, NULL, 10);
        if (errno == ERANGE)
            b->why = "too big integer";
        else
            v = json_integer((json_int_t)i);
    }
    if (copy != buf)
        free(copy);
    return b->why ? 0 : add_value(b, v);
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
    builder_t *b = ctx;
    /* The checking constructor: NULL for invalid UTF-8 (or no memory). */
    json_t *v = json_stringn((const char *)s, len);
    if (!v && !b->why)
        b->why = "string is not valid UTF-8";
    return add_value(b, v);
}

static int on_key(void *ctx, const unsigned char *s, size_t len)
{
    builder_t *b = ctx;
    if (len + 1 > b->kcap) {
        size_t cap = b->kcap ? b->kcap : 64;
        while (cap < len + 1)
            cap *= 2;
        char *k = realloc(b->key, cap);
        if (!k) {
            b->why = "out of memory";
            return 0;
        }
        b->key = k;
        b->kcap = cap;
    }
    memcpy(b->key, s, len);
    b->key[len] = '\0';
    b->klen = len;
    return 1;
}

static int open_container(builder_t *b, json_t *c)
{
    if (!c) {
        b->why = "out of memory";
        return 0;
    }
    if (b->depth >= FS_JSON_MAX_DEPTH) {
        json_decref(c);
        b->why = "maximum parsing depth reached";
        return 0;
    }
    if (b->depth == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 16;
        json_t **st = realloc(b->stack, cap * sizeof(*st));
        if (!st) {
            json_decref(c);
            b->why = "out of memory";
            return 0;
        }
        b->stack = st;
        b->cap = cap;
    }
    if (!add_value(b, c))
        return 0;
    b->stack[b->depth++] = c; /* borrowed: the parent (or root) holds it */
    return 1;
}

static int on_start_map(void *ctx)
{
    return open_container(ctx, json_object());
}

static int on_start_array(void *ctx)
{
    return open_container(ctx, json_array());
}

static int on_end(void *ctx)
{
    builder_t *b = ctx;
    if (--b->depth == 0)
        root_done(b);
    return 1;
}

static const yajl_callbacks callbacks = {
    .yajl_null = on_null,
    .yajl_boolean = on_boolean,
    .yajl_number = on_number,
    .yajl_string = on_string,
    .yajl_start_map = on_start_map,
    .yajl_map_key = on_key,
    .yajl_end_map = on_end,
    .yajl_start_array = on_start_array,
    .yajl_end_array = on_end,
};

static int hex4(const char *p, const char *end, unsigned *out)
{
    unsigned v = 0;
    if (end - p < 4)
        return 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return 0;
    }
    *out = v;
    return 1;
}

/*
 * What yajl takes and jansson refuses, found before parsing: a vertical tab
 * or form feed as white space, and the \u escapes \u0000, a high surrogate
 * not followed by a \u low surrogate, a lone low surrogate (yajl would
 * decode them).  Strings are found by their quotes; in text that is not
 * JSON this may misread, but yajl rejects such text anyway.  Returns the
 * offset of the first such byte, or len when there is none.
 */
static size_t scan_text(const char *text, size_t len)
{
    const char *p, *end = text + len;
    if (!memchr(text, '\\', len) && !memchr(text, '\v', len) && !memchr(text, '\f', len))
        return len; /* the usual event: nothing to look at */
    int in_string = 0;
    for (p = text; p < end; p++) {
        if (!in_string) {
            if (*p == '\v' || *p == '\f')
                return (size_t)(p - text);
            in_string = *p == '"';
            continue;
        }
        if (*p == '"') {
            in_string = 0;
        } else if (*p == '\\' && p + 1 < end) {
            p++;
            unsigned u, lo;
            if (*p != 'u' || !hex4(p + 1, end, &u))
                continue; /* other escapes, and malformed ones: yajl's business */
            const char *esc = p - 1;
            p += 4;
            if (u == 0 || (u >= 0xDC00 && u <= 0xDFFF))
                return (size_t)(esc - text);
            if (u >= 0xD800 && u <= 0xDBFF) {
                if (end - p < 3 || p[1] != '\\' || p[2] != 'u' ||
                    !hex4(p + 3, end, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                    return (size_t)(esc - text);
                p += 6;
            }
        }
    }
    return len;
}

/* fs_json_size_bound() at nesting @p depth. */
static size_t tree_bound(const json_t *j, size_t limit, int depth)
{
    size_t n = 2; /* {} or [] */

    switch (json_typeof(j)) {
    case JSON_STRING:
        return 6 * json_string_length(j) + 2;
    case JSON_INTEGER: /* at most 20 characters */
    case JSON_REAL:    /* "%.17g" and a ".0": at most 26 */
        return 26;
    case JSON_TRUE:
    case JSON_FALSE:
    case JSON_NULL:
        return 5;
    case JSON_OBJECT: {
        const char *key;
        size_t klen;
        json_t *v;
        if (depth > 64)
            return limit + 1;
        json_object_keylen_foreach((json_t *)j, key, klen, v)
        {
            n += 6 * klen + 4 + tree_bound(v, limit, depth + 1);
            if (n > limit)
                return n;
        }
        return n;
    }
    case JSON_ARRAY:
        if (depth > 64)
            return limit + 1;
        for (size_t i = 0; i < json_array_size(j) && n <= limit; i++)
            n += 1 + tree_bound(json_array_get(j, i), limit, depth + 1);
        return n;
    }
    return limit + 1;
}

json_t *fs_json_parse(const char *text, size_t len, char *errstr, size_t errstr_size)
{
    builder_t b;
    memset(&b, 0, sizeof(b));
    size_t bad = scan_text(text, len);
    if (bad < len) {
        snprintf(errstr, errstr_size, "%s (byte %zu)",
                 text[bad] == '\\' ? "\\u0000 or an unpaired surrogate"
                                   : "vertical tab or form feed outside a string",
                 bad);
        return NULL;
    }
    yajl_handle h = yajl_alloc(&callbacks, NULL, &b);
    if (!h) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    if (!yajl_config(h, yajl_dont_validate_strings, 1)) { /* jansson checks, stricter */
        yajl_free(h);
        snprintf(errstr, errstr_size, "yajl refused its configuration");
        return NULL;
    }
    b.h = h;
    b.len = len;
    const unsigned char *u = (const unsigned char *)text;
    yajl_status st = yajl_parse(h, u, len);
    if (st == yajl_status_ok) {
        b.finishing = 1;
        st = yajl_complete_parse(h);
    }
    /* yajl lets an unfinished token after the value pass ("1 \"x"). */
    size_t at = 0; /* where the text went wrong */
    if (st == yajl_status_ok && b.root && !b.why) {
        at = b.end;
        while (at < len && (text[at] == ' ' || text[at] == '\t' || text[at] == '\r' ||
                            text[at] == '\n'))
            at++;
        if (at < len) {
            b.why = "trailing garbage";
            st = yajl_status_client_canceled;
        }
    } else {
        at = yajl_get_bytes_consumed(h); /* within the text unless finishing */
        if (b.finishing)
            at = len;
    }
    if (st != yajl_status_ok || !b.root) {
        if (b.why) {
            snprintf(errstr, errstr_size, "%s (byte %zu)", b.why, at);
        } else if (st != yajl_status_ok) {
            unsigned char *msg = yajl_get_error(h, 0, u, len);
            const char *m = msg ? (const char *)msg : "parse error";
            size_t mlen = strcspn(m, "\n");
            snprintf(errstr, errstr_size, "%.*s (byte %zu)", (int)mlen, m, at);
            if (msg)
                yajl_free_error(h, msg);
        } else {
            snprintf(errstr, errstr_size, "no JSON value (byte %zu)", len);
        }
        json_decref(b.root);
        b.root = NULL;
    }
    yajl_free(h);
    free(b.stack);
    free(b.key);
    return b.root;
}

size_t fs_json_size_bound(const json_t *j, size_t limit)
{
    return tree_bound(j, limit, 0);
}

int fs_json_compact_larger(const json_t *j, size_t limit)
{
    if (tree_bound(j, limit, 0) <= limit)
        return 0;
    return json_dumpb(j, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY) > limit;
}
