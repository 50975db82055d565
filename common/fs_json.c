/*
 * fs_json.c — JSON text → arena document, lexed by yajl; conversions to
 * and from jansson; the compact size bound (see fs_json.h).
 *
 * yajl does the lexing and the grammar; its callbacks build the document.
 * Where yajl is more lenient than jansson the difference is closed here:
 *   - strings and keys are checked with fs_utf8_valid(), jansson's rules
 *     (no overlong forms or encoded surrogates, which yajl's own check
 *     lets through, so yajl's is off) — the whole text in one pass, and
 *     each string on its own only when that pass fails;
 *   - scan_text() looks first for what jansson rejects and yajl does not:
 *     \u0000 and unpaired surrogates in \u escapes, \v and \f as white space;
 *   - numbers come raw and are converted as jansson does: no '.', 'e' or
 *     'E' → integer (out of range: rejected), else a double (overflow:
 *     rejected);
 *   - duplicate keys, nesting beyond FS_JSON_MAX_DEPTH and anything but
 *     white space after the value are rejected (yajl accepts an unfinished
 *     token there).
 *
 * Building: values wait on a stack until their container closes; then
 * the container's members are copied, contiguous, into the arena.  Keys
 * of an object are compared one by one while it has few members, then
 * through a hash map.
 */
#include "fs_json.h"

#include <errno.h>
#include <math.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "fs_strmap.h"
#include "fs_utf8.h"

#define FEW_KEYS 16         /* members of an object checked without a map */
#define BLOCK_MIN 4096      /* bytes of the smallest arena block */
#define BLOCK_MAX (1 << 20) /* blocks stop doubling here */

/* ---- the arena ----------------------------------------------------------- */

typedef struct block {
    struct block *next;
    size_t used, cap;
    alignas(max_align_t) unsigned char data[];
} block_t;

struct fs_jdoc {
    block_t *blocks; /* newest first */
    size_t next_cap; /* size of the next block */
};

static fs_jdoc_t *doc_new(size_t hint)
{
    fs_jdoc_t *d = calloc(1, sizeof(*d));
    if (d)
        d->next_cap = hint < BLOCK_MIN ? BLOCK_MIN : hint > BLOCK_MAX ? BLOCK_MAX : hint;
    return d;
}

/* @p n bytes aligned for any fs_jval_t, valid until fs_jdoc_free(). */
static void *doc_alloc(fs_jdoc_t *d, size_t n)
{
    if (n > SIZE_MAX / 2)
        return NULL;
    n = (n + 7) & ~(size_t)7;
    block_t *b = d->blocks;
    if (!b || b->cap - b->used < n) {
        size_t cap = d->next_cap > n ? d->next_cap : n;
        if (!(b = malloc(sizeof(*b) + cap)))
            return NULL;
        b->cap = cap;
        b->used = 0;
        b->next = d->blocks;
        d->blocks = b;
        if (d->next_cap < BLOCK_MAX)
            d->next_cap *= 2;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

static const char *doc_strdup(fs_jdoc_t *d, const char *s, size_t len)
{
    char *c = doc_alloc(d, len + 1);
    if (c) {
        memcpy(c, s, len);
        c[len] = '\0';
    }
    return c;
}

void fs_jdoc_free(fs_jdoc_t *doc)
{
    if (!doc)
        return;
    for (block_t *b = doc->blocks, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(doc);
}

/* ---- building from yajl's callbacks ------------------------------------- */

/* An open container. */
typedef struct frame {
    size_t start;     /* its first member in builder.vals */
    int is_object;    /* else an array */
    const char *key;  /* its own key in the parent object, or NULL */
    uint32_t klen;    /* bytes of key */
    fs_strmap_t *map; /* keys of its members once it has more than FEW_KEYS */
    uint64_t seen;    /* bit key_bit() of every member's key (before the map) */
} frame_t;

/* Document under construction; owned by one fs_jdoc_parse() call. */
typedef struct builder {
    fs_jdoc_t *doc;
    fs_jval_t *root; /* the value parsed (in the arena), once complete */
    fs_jval_t *vals; /* members of the open containers, in order */
    size_t nvals, capvals;
    frame_t *frames; /* open containers, innermost last */
    size_t depth, capframes;
    const char *key; /* pending object key (in the arena), waiting for its value */
    uint32_t klen;
    const char *why; /* our reason when a callback stopped the parse */
    yajl_handle h;   /* the parser calling back */
    int finishing;   /* inside yajl_complete_parse (which lexes its own " ") */
    int text_utf8;   /* the whole text is UTF-8 without NUL: so is every string */
    size_t len;      /* length of the text */
    size_t end;      /* offset just past the root value, once complete */
} builder_t;

/* Array @p arr of @p elem-byte items reallocated to twice *@p cap items
 * (16 the first time), *@p cap updated; NULL when out of memory, leaving
 * both as they were. */
static void *grow(void *arr, size_t *cap, size_t elem)
{
    size_t n = *cap ? 2 * *cap : 16;
    void *p = n <= SIZE_MAX / elem ? realloc(arr, n * elem) : NULL;
    if (p)
        *cap = n;
    return p;
}

static int stop(builder_t *b, const char *why)
{
    if (!b->why)
        b->why = why;
    return 0;
}

/* The root value @p v is complete: keep it, and where it ended in the text. */
static int root_done(builder_t *b, const fs_jval_t *v)
{
    if (!(b->root = doc_alloc(b->doc, sizeof(*b->root))))
        return stop(b, "out of memory");
    *b->root = *v;
    b->end = b->finishing ? b->len : yajl_get_bytes_consumed(b->h);
    return 1;
}

/* One of 64 bits for a key: a member whose bit is not yet set in the
 * frame cannot have the same key, and needs no comparison. */
static uint64_t key_bit(const char *key, uint32_t klen)
{
    uint32_t h = klen * 31u;
    if (klen)
        h += (unsigned char)key[0] * 7u + (unsigned char)key[klen - 1];
    return 1ull << (h & 63);
}

/* Non-zero when the pending key is already a member of the innermost
 * (object) frame; -1 when out of memory. */
static int key_taken(builder_t *b)
{
    frame_t *f = &b->frames[b->depth - 1];
    size_t n = b->nvals - f->start;
    if (!f->map && n < FEW_KEYS) {
        uint64_t bit = key_bit(b->key, b->klen);
        int maybe = (f->seen & bit) != 0;
        f->seen |= bit;
        if (!maybe)
            return 0;
        for (size_t i = f->start; i < b->nvals; i++)
            if (b->vals[i].klen == b->klen &&
                memcmp(b->vals[i].key, b->key, b->klen) == 0)
                return 1;
        return 0;
    }
    if (!f->map) {
        if (!(f->map = fs_strmap_new()))
            return -1;
        for (size_t i = f->start; i < b->nvals; i++)
            if (fs_strmap_putn(f->map, b->vals[i].key, b->vals[i].klen, f) != FS_OK)
                return -1;
    }
    if (fs_strmap_getn(f->map, b->key, b->klen))
        return 1;
    return fs_strmap_putn(f->map, b->key, b->klen, f) == FS_OK ? 0 : -1;
}

/* Where a value goes: 0 = stop; else its key is set in @p v (NULL outside
 * objects) once checked: valid UTF-8, not yet a member. */
static int place(builder_t *b, fs_jval_t *v)
{
    v->key = NULL;
    v->klen = 0;
    if (b->depth == 0 || !b->frames[b->depth - 1].is_object)
        return 1;
    if (!b->text_utf8 && !fs_utf8_valid(b->key, b->klen))
        return stop(b, "object key is not valid UTF-8");
    int taken = key_taken(b);
    if (taken)
        return stop(b, taken < 0 ? "out of memory" : "duplicate object key");
    v->key = b->key;
    v->klen = b->klen;
    return 1;
}

/* Adds scalar or closed container @p v (already placed) where the parse is. */
static int push(builder_t *b, const fs_jval_t *v)
{
    if (b->depth == 0)
        return root_done(b, v);
    if (b->nvals == b->capvals) {
        fs_jval_t *nv = grow(b->vals, &b->capvals, sizeof(*nv));
        if (!nv)
            return stop(b, "out of memory");
        b->vals = nv;
    }
    b->vals[b->nvals++] = *v;
    return 1;
}

static int add_scalar(builder_t *b, fs_jval_t *v)
{
    return place(b, v) && push(b, v);
}

static int on_null(void *ctx)
{
    fs_jval_t v = {.type = FS_J_NULL};
    return add_scalar(ctx, &v);
}

static int on_boolean(void *ctx, int yes)
{
    fs_jval_t v = {.type = yes ? FS_J_TRUE : FS_J_FALSE};
    return add_scalar(ctx, &v);
}

static int on_number(void *ctx, const char *s, size_t len)
{
    builder_t *b = ctx;
    char buf[64];
    char *copy = len < sizeof(buf) ? buf : malloc(len + 1);
    if (!copy)
        return stop(b, "out of memory");
    memcpy(copy, s, len);
    copy[len] = '\0';
    fs_jval_t v = {.type = FS_J_INT};
    errno = 0;
    if (memchr(s, '.', len) || memchr(s, 'e', len) || memchr(s, 'E', len)) {
        v.type = FS_J_REAL;
        v.u.d = strtod(copy, NULL);
        if (errno == ERANGE && (v.u.d == HUGE_VAL || v.u.d == -HUGE_VAL))
            stop(b, "real number overflow");
    } else {
        v.u.i = strtoll(copy, NULL, 10);
        if (errno == ERANGE)
            stop(b, "too big integer");
    }
    if (copy != buf)
        free(copy);
    return b->why ? 0 : add_scalar(b, &v);
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
    builder_t *b = ctx;
    fs_jval_t v = {.type = FS_J_STRING, .len = len};
    if (!b->text_utf8 && !fs_utf8_valid((const char *)s, len))
        return stop(b, "string is not valid UTF-8");
    if (!place(b, &v))
        return 0;
    if (!(v.u.s = doc_strdup(b->doc, (const char *)s, len)))
        return stop(b, "out of memory");
    return push(b, &v);
}

static int on_key(void *ctx, const unsigned char *s, size_t len)
{
    builder_t *b = ctx;
    /* A NUL cannot get here: scan_text refuses \u0000, yajl a raw NUL.
     * The key is checked when its value comes (place()), as jansson did. */
    if (len > UINT32_MAX)
        return stop(b, "object key too long");
    if (!(b->key = doc_strdup(b->doc, (const char *)s, len)))
        return stop(b, "out of memory");
    b->klen = (uint32_t)len;
    return 1;
}

static int open_container(builder_t *b, int is_object)
{
    fs_jval_t v;
    if (b->depth >= FS_JSON_MAX_DEPTH)
        return stop(b, "maximum parsing depth reached");
    if (!place(b, &v))
        return 0;
    if (b->depth == b->capframes) {
        frame_t *nf = grow(b->frames, &b->capframes, sizeof(*nf));
        if (!nf)
            return stop(b, "out of memory");
        b->frames = nf;
    }
    b->frames[b->depth++] = (frame_t){b->nvals, is_object, v.key, v.klen, NULL, 0};
    return 1;
}

static int on_start_map(void *ctx)
{
    return open_container(ctx, 1);
}

static int on_start_array(void *ctx)
{
    return open_container(ctx, 0);
}

static int on_end(void *ctx)
{
    builder_t *b = ctx;
    frame_t f = b->frames[--b->depth];
    fs_strmap_destroy(f.map);
    fs_jval_t v = {.type = f.is_object ? FS_J_OBJECT : FS_J_ARRAY,
                   .len = b->nvals - f.start,
                   .key = f.key,
                   .klen = f.klen};
    if (v.len > 0) {
        fs_jval_t *items = doc_alloc(b->doc, v.len * sizeof(*items));
        if (!items)
            return stop(b, "out of memory");
        memcpy(items, b->vals + f.start, v.len * sizeof(*items));
        v.u.items = items;
    }
    b->nvals = f.start;
    return push(b, &v);
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

const fs_jval_t *fs_jdoc_parse(const char *text, size_t len, fs_jdoc_t **doc,
                               char *errstr, size_t errstr_size)
{
    builder_t b;
    memset(&b, 0, sizeof(b));
    *doc = NULL;
    size_t bad = scan_text(text, len);
    if (bad < len) {
        snprintf(errstr, errstr_size, "%s (byte %zu)",
                 text[bad] == '\\' ? "\\u0000 or an unpaired surrogate"
                                   : "vertical tab or form feed outside a string",
                 bad);
        return NULL;
    }
    /* Strings and nodes take about as many bytes as the text. */
    yajl_handle h =
        (b.doc = doc_new(len + len / 2)) ? yajl_alloc(&callbacks, NULL, &b) : NULL;
    if (!h) {
        fs_jdoc_free(b.doc);
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    if (!yajl_config(h, yajl_dont_validate_strings, 1)) { /* ours is stricter */
        yajl_free(h);
        fs_jdoc_free(b.doc);
        snprintf(errstr, errstr_size, "yajl refused its configuration");
        return NULL;
    }
    b.h = h;
    b.len = len;
    /* One pass over the text instead of one per string and key.  Quotes are ASCII, so a
     * string between them is a whole part of a valid text; an escape decodes to valid
     * UTF-8 once scan_text has refused \u0000 and lone surrogates. Otherwise each string
     * is checked, to name the first bad one. */
    b.text_utf8 = fs_utf8_valid(text, len);
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
    const fs_jval_t *root = NULL;
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
    } else {
        root = b.root;
    }
    /* A stopped parse may leave containers open, with their maps. */
    while (b.depth > 0)
        fs_strmap_destroy(b.frames[--b.depth].map);
    yajl_free(h);
    free(b.vals);
    free(b.frames);
    if (root)
        *doc = b.doc;
    else
        fs_jdoc_free(b.doc);
    return root;
}

/* ---- conversions ---------------------------------------------------------- */

/* Fills @p out from @p j at nesting @p depth; 0 on failure. */
static int from_json(fs_jdoc_t *d, const json_t *j, fs_jval_t *out, int depth)
{
    memset(out, 0, sizeof(*out));
    switch (json_typeof(j)) {
    case JSON_NULL:
        out->type = FS_J_NULL;
        return 1;
    case JSON_TRUE:
        out->type = FS_J_TRUE;
        return 1;
    case JSON_FALSE:
        out->type = FS_J_FALSE;
        return 1;
    case JSON_INTEGER:
        out->type = FS_J_INT;
        out->u.i = json_integer_value(j);
        return 1;
    case JSON_REAL:
        out->type = FS_J_REAL;
        out->u.d = json_real_value(j);
        return 1;
    case JSON_STRING:
        out->type = FS_J_STRING;
        out->len = json_string_length(j);
        return (out->u.s = doc_strdup(d, json_string_value(j), out->len)) != NULL;
    case JSON_ARRAY:
    case JSON_OBJECT:
        break;
    }
    if (depth >= FS_JSON_MAX_DEPTH)
        return 0;
    int is_object = json_is_object(j);
    out->type = is_object ? FS_J_OBJECT : FS_J_ARRAY;
    out->len = is_object ? json_object_size(j) : json_array_size(j);
    if (out->len == 0)
        return 1;
    if (out->len > SIZE_MAX / sizeof(fs_jval_t))
        return 0;
    fs_jval_t *items = doc_alloc(d, out->len * sizeof(*items));
    if (!items)
        return 0;
    out->u.items = items;
    if (!is_object) {
        for (size_t i = 0; i < out->len; i++)
            if (!from_json(d, json_array_get(j, i), &items[i], depth + 1))
                return 0;
        return 1;
    }
    size_t i = 0;
    /* jansson's iteration API is not const-correct; j is only read. */
    for (void *it = json_object_iter((json_t *)j); it && i < out->len;
         it = json_object_iter_next((json_t *)j, it), i++) {
        size_t klen = json_object_iter_key_len(it);
        const char *key = json_object_iter_key(it);
        if (klen > UINT32_MAX ||
            !from_json(d, json_object_iter_value(it), &items[i], depth + 1) ||
            !(items[i].key = doc_strdup(d, key, klen)))
            return 0;
        items[i].klen = (uint32_t)klen;
    }
    return i == out->len;
}

const fs_jval_t *fs_jdoc_from_json(const json_t *j, fs_jdoc_t **doc)
{
    *doc = NULL;
    fs_jdoc_t *d = j ? doc_new(BLOCK_MIN) : NULL;
    fs_jval_t *root = d ? doc_alloc(d, sizeof(*root)) : NULL;
    if (!root || !from_json(d, j, root, 0)) {
        fs_jdoc_free(d);
        return NULL;
    }
    *doc = d;
    return root;
}

json_t *fs_jval_to_json(const fs_jval_t *v)
{
    json_t *j = NULL;
    switch ((fs_jtype_t)v->type) {
    case FS_J_NULL:
        return json_null();
    case FS_J_FALSE:
        return json_false();
    case FS_J_TRUE:
        return json_true();
    case FS_J_INT:
        return json_integer((json_int_t)v->u.i);
    case FS_J_REAL:
        return json_real(v->u.d);
    case FS_J_STRING:
        return json_stringn_nocheck(v->u.s, v->len);
    case FS_J_ARRAY:
        if (!(j = json_array()))
            return NULL;
        for (size_t i = 0; i < v->len; i++)
            if (json_array_append_new(j, fs_jval_to_json(&v->u.items[i])) != 0)
                goto fail;
        return j;
    case FS_J_OBJECT:
        if (!(j = json_object()))
            return NULL;
        for (size_t i = 0; i < v->len; i++) {
            const fs_jval_t *m = &v->u.items[i];
            if (json_object_setn_new_nocheck(j, m->key, m->klen, fs_jval_to_json(m)) != 0)
                goto fail;
        }
        return j;
    }
    return NULL;
fail:
    json_decref(j);
    return NULL;
}

json_t *fs_json_parse(const char *text, size_t len, char *errstr, size_t errstr_size)
{
    fs_jdoc_t *doc;
    const fs_jval_t *v = fs_jdoc_parse(text, len, &doc, errstr, errstr_size);
    if (!v)
        return NULL;
    json_t *j = fs_jval_to_json(v);
    fs_jdoc_free(doc);
    if (!j)
        snprintf(errstr, errstr_size, "out of memory");
    return j;
}

/* ---- compact size --------------------------------------------------------- */

/* fs_jval_size_bound() at nesting @p depth. */
static size_t bound_at(const fs_jval_t *v, size_t limit, int depth)
{
    size_t n = 2; /* {} or [] */

    switch ((fs_jtype_t)v->type) {
    case FS_J_STRING:
        return 6 * v->len + 2;
    case FS_J_INT:  /* at most 20 characters */
    case FS_J_REAL: /* "%.17g" and a ".0": at most 26 */
        return 26;
    case FS_J_TRUE:
    case FS_J_FALSE:
    case FS_J_NULL:
        return 5;
    case FS_J_OBJECT:
    case FS_J_ARRAY:
        if (depth > 64)
            return limit + 1;
        for (size_t i = 0; i < v->len && n <= limit; i++) {
            const fs_jval_t *m = &v->u.items[i];
            n += 1 + bound_at(m, limit, depth + 1);
            if (v->type == FS_J_OBJECT)
                n += 6 * (size_t)m->klen + 3; /* "key": */
        }
        return n;
    }
    return limit + 1;
}

size_t fs_jval_size_bound(const fs_jval_t *v, size_t limit)
{
    return bound_at(v, limit, 0);
}

int fs_jval_compact_larger(const fs_jval_t *v, size_t limit)
{
    if (bound_at(v, limit, 0) <= limit)
        return 0;
    json_t *j = fs_jval_to_json(v);
    if (!j)
        return 1;
    int larger = json_dumpb(j, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY) > limit;
    json_decref(j);
    return larger;
}
