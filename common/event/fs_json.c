/*
 * fs_json.c — JSON text → arena document; conversions to and from jansson;
 * the compact size bound (see fs_json.h).
 *
 * The lexer and grammar are ours: one pass, no recursion, building the
 * document as values complete.  yajl did this before; it took 1.15 µs of
 * the collector's ~5.4 µs per event (bench/bench_intake), and this parser
 * about a third of that, which the batched-ingest target needed.  Its
 * contract is jansson's parser, checked by tests/unit/test_json.c and by
 * tests/fuzz/fuzz_json.c against jansson on arbitrary input:
 *   - strings and keys are checked with fs_utf8_valid(), jansson's rules
 *     (no overlong forms or encoded surrogates) — the whole text in one
 *     pass, and each string on its own only when that pass fails;
 *   - \u0000 and unpaired surrogates in \u escapes are refused, as are
 *     control characters in strings and white space other than space,
 *     tab, CR and LF;
 *   - numbers follow JSON's grammar and are converted as jansson does: no
 *     '.', 'e' or 'E' → integer (out of range: rejected), else a double
 *     (overflow: rejected);
 *   - duplicate keys, nesting beyond FS_JSON_MAX_DEPTH and anything but
 *     white space after the value are rejected.
 * Errors name the reason and the byte offset where the parse stopped.
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

/* ---- building ------------------------------------------------------------ */

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
    const char *why; /* the reason the parse stopped */
    int text_utf8;   /* the whole text is UTF-8 without NUL: so is every string */
    char *sbuf;      /* a string with escapes, decoded (owned) */
    size_t sbufcap;
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
 * objects) once checked: valid UTF-8, not yet a member.  Like jansson,
 * every value counts as a level, so inside FS_JSON_MAX_DEPTH open
 * containers nothing more fits. */
static int place(builder_t *b, fs_jval_t *v)
{
    v->key = NULL;
    v->klen = 0;
    if (b->depth >= FS_JSON_MAX_DEPTH)
        return stop(b, "maximum parsing depth reached");
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
    if (b->depth == 0) {
        if (!(b->root = doc_alloc(b->doc, sizeof(*b->root))))
            return stop(b, "out of memory");
        *b->root = *v;
        return 1;
    }
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

/* The number @p s of @p len bytes (valid JSON grammar), converted as
 * jansson does: with a fraction or exponent a double, else an integer. */
static int add_number(builder_t *b, const char *s, size_t len, int is_real)
{
    fs_jval_t v = {.type = is_real ? FS_J_REAL : FS_J_INT};
    int neg = s[0] == '-';
    if (!is_real && len - (size_t)neg <= 18) { /* cannot overflow */
        int64_t n = 0;
        for (size_t i = (size_t)neg; i < len; i++)
            n = n * 10 + (s[i] - '0');
        v.u.i = neg ? -n : n;
        return add_scalar(b, &v);
    }
    char buf[64];
    char *copy = len < sizeof(buf) ? buf : malloc(len + 1);
    if (!copy)
        return stop(b, "out of memory");
    memcpy(copy, s, len);
    copy[len] = '\0';
    errno = 0;
    if (is_real) {
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

static int add_string(builder_t *b, const char *s, size_t len)
{
    fs_jval_t v = {.type = FS_J_STRING, .len = len};
    if (!b->text_utf8 && !fs_utf8_valid(s, len))
        return stop(b, "string is not valid UTF-8");
    if (!place(b, &v))
        return 0;
    if (!(v.u.s = doc_strdup(b->doc, s, len)))
        return stop(b, "out of memory");
    return push(b, &v);
}

/* Keeps the key of the next member; it is checked when its value comes
 * (place()), as jansson does.  No NUL can be in it: the lexer refuses a
 * raw one and \u0000. */
static int set_key(builder_t *b, const char *s, size_t len)
{
    if (len > UINT32_MAX)
        return stop(b, "object key too long");
    if (!(b->key = doc_strdup(b->doc, s, len)))
        return stop(b, "out of memory");
    b->klen = (uint32_t)len;
    return 1;
}

static int open_container(builder_t *b, int is_object)
{
    fs_jval_t v;
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

static int close_container(builder_t *b)
{
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

/* ---- lexing --------------------------------------------------------------- */

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

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A byte a string holds as it is: not a quote, a backslash or a control
 * character. */
static int is_plain(char c)
{
    return (unsigned char)c >= 0x20 && c != '"' && c != '\\';
}

/* Past the bytes from @p p up to @p end that a string holds as they are,
 * eight at a time: in a word w, (w - 0x20..20) & ~w & 0x80..80 marks the
 * bytes below 0x20, and the same of w ^ c..c the bytes equal to c.  Bytes
 * above the first marked one may be marked wrongly (a borrow), the first
 * never: on a little-endian machine its index is the count of trailing
 * zero bits over 8. */
static const char *skip_plain(const char *p, const char *end)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    while (end - p >= 8) {
        uint64_t w, q, bs;
        memcpy(&w, p, 8);
        q = w ^ (ones * '"');
        bs = w ^ (ones * '\\');
        uint64_t marks = ((w - ones * 0x20) & ~w & highs) | ((q - ones) & ~q & highs) |
                         ((bs - ones) & ~bs & highs);
        if (marks)
            return p + (__builtin_ctzll(marks) >> 3);
        p += 8;
    }
#endif
    while (p < end && is_plain(*p))
        p++;
    return p;
}

static size_t put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The string whose opening quote *@p pp points at, up to @p end: its bytes,
 * escapes decoded, in *@p s (the text itself when it has no escape, else
 * the builder's sbuf), *@p len of them; *@p pp moves past the closing
 * quote.  0 with the reason in b->why and *@p pp at the bad byte. */
static int lex_string(builder_t *b, const char **pp, const char *end, const char **s,
                      size_t *len)
{
    const char *start = *pp + 1, *p = skip_plain(start, end);
    if (p < end && *p == '"') { /* the usual string: no escape */
        *s = start;
        *len = (size_t)(p - start);
        *pp = p + 1;
        return 1;
    }
    /* A decoded escape is never longer than its text, so the rest of the
     * text bounds the string (one more byte: never a null buffer). */
    size_t need = (size_t)(end - start) + 1;
    if (need > b->sbufcap) {
        char *nb = realloc(b->sbuf, need);
        if (!nb)
            return stop(b, "out of memory");
        b->sbuf = nb;
        b->sbufcap = need;
    }
    char *out = b->sbuf;
    size_t n = (size_t)(p - start);
    memcpy(out, start, n);
    for (;;) {
        const char *run = skip_plain(p, end);
        memcpy(out + n, p, (size_t)(run - p));
        n += (size_t)(run - p);
        p = run;
        if (p >= end) {
            *pp = p;
            return stop(b, "unexpected end of text in a string");
        }
        if (*p == '"')
            break;
        if (*p != '\\') {
            *pp = p;
            return stop(b, "control character in a string");
        }
        *pp = p; /* where an escape error is reported */
        if (end - p < 2)
            return stop(b, "unexpected end of text in a string");
        char c = p[1];
        switch (c) {
        case '"':
        case '\\':
        case '/':
            out[n++] = c;
            break;
        case 'b':
            out[n++] = '\b';
            break;
        case 'f':
            out[n++] = '\f';
            break;
        case 'n':
            out[n++] = '\n';
            break;
        case 'r':
            out[n++] = '\r';
            break;
        case 't':
            out[n++] = '\t';
            break;
        case 'u': {
            unsigned u, lo;
            if (!hex4(p + 2, end, &u))
                return stop(b, "invalid \\u escape");
            if (u == 0 || (u >= 0xDC00 && u <= 0xDFFF))
                return stop(b, "\\u0000 or an unpaired surrogate");
            if (u >= 0xD800 && u <= 0xDBFF) {
                if (end - p < 12 || p[6] != '\\' || p[7] != 'u' ||
                    !hex4(p + 8, end, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                    return stop(b, "\\u0000 or an unpaired surrogate");
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            }
            n += put_utf8(out + n, u);
            p += 4;
            break;
        }
        default:
            return stop(b, "invalid escape in a string");
        }
        p += 2;
    }
    *s = out;
    *len = n;
    *pp = p + 1;
    return 1;
}

/* The number at *@p pp, in JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?
 * ([eE][+-]?[0-9]+)?; *@p pp moves past it. */
static int lex_number(builder_t *b, const char **pp, const char *end)
{
    const char *s = *pp, *p = s;
    int is_real = 0;
    if (*p == '-')
        p++;
    if (p == end || !is_digit(*p))
        goto bad;
    if (*p++ != '0')
        while (p < end && is_digit(*p))
            p++;
    if (p < end && *p == '.') {
        is_real = 1;
        if (++p == end || !is_digit(*p))
            goto bad;
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        is_real = 1;
        if (++p < end && (*p == '+' || *p == '-'))
            p++;
        if (p == end || !is_digit(*p))
            goto bad;
        while (p < end && is_digit(*p))
            p++;
    }
    *pp = p;
    return add_number(b, s, (size_t)(p - s), is_real);
bad:
    *pp = p;
    return stop(b, p == end ? "unexpected end of text in a number" : "invalid number");
}

static int is_space(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* The reason for byte *@p p where a value, key or delimiter (@p wanted)
 * should be. */
static int unexpected(builder_t *b, const char *p, const char *end, const char *wanted)
{
    if (p == end)
        return stop(b, "unexpected end of text");
    if (*p == '\v' || *p == '\f')
        return stop(b, "vertical tab or form feed outside a string");
    return stop(b, wanted);
}

static const char *skip_space(const char *p, const char *end)
{
    while (p < end && is_space(*p))
        p++;
    return p;
}

/*
 * The grammar, without recursion: the builder's open frames say what may
 * follow a complete value.  Returns 1 with b->root set and *@p at just
 * past it, else 0 with b->why set and *@p at the byte that failed.
 */
static int parse_value(builder_t *b, const char *text, size_t len, size_t *at)
{
    const char *p = skip_space(text, text + len), *end = text + len, *s;
    size_t slen;
    int ok, in_object;
    if (p == end) {
        *at = len;
        return stop(b, "no JSON value");
    }
value: /* a value must start at p (after white space) */
    p = skip_space(p, end);
    switch (p < end ? *p : '\0') { /* the end of the text: the default */
    case '{':
    case '[':
        in_object = *p++ == '{';
        if (!(ok = open_container(b, in_object)))
            goto out;
        p = skip_space(p, end);
        if (p < end && *p == (in_object ? '}' : ']'))
            goto close; /* empty */
        if (in_object)
            goto key;
        goto value;
    case '"':
        if (!(ok = lex_string(b, &p, end, &s, &slen)) || !(ok = add_string(b, s, slen)))
            goto out;
        goto after;
    case 't':
    case 'f':
    case 'n': {
        static const struct {
            const char *word;
            size_t len;
            fs_jtype_t type;
        } lits[] = {
            {"true", 4, FS_J_TRUE}, {"false", 5, FS_J_FALSE}, {"null", 4, FS_J_NULL}};
        size_t w = *p == 't' ? 0 : *p == 'f' ? 1 : 2;
        if ((size_t)(end - p) < lits[w].len ||
            memcmp(p, lits[w].word, lits[w].len) != 0) {
            ok = stop(b, "invalid literal");
            goto out;
        }
        p += lits[w].len;
        fs_jval_t v = {.type = lits[w].type};
        if (!(ok = add_scalar(b, &v)))
            goto out;
        goto after;
    }
    default:
        if (p < end && (*p == '-' || is_digit(*p))) {
            if (!(ok = lex_number(b, &p, end)))
                goto out;
            goto after;
        }
        ok = unexpected(b, p, end, "expected a value");
        goto out;
    }
key: /* an object member must start at p */
    p = skip_space(p, end);
    if (p == end || *p != '"') {
        ok = unexpected(b, p, end, "expected a string as object key");
        goto out;
    }
    if (!(ok = lex_string(b, &p, end, &s, &slen)) || !(ok = set_key(b, s, slen)))
        goto out;
    p = skip_space(p, end);
    if (p == end || *p != ':') {
        ok = unexpected(b, p, end, "expected ':' after an object key");
        goto out;
    }
    p++;
    goto value;
after: /* a value is complete */
    if (b->depth == 0) {
        ok = 1;
        goto out;
    }
    p = skip_space(p, end);
    in_object = b->frames[b->depth - 1].is_object;
    if (p < end && *p == ',') {
        p++;
        if (in_object)
            goto key;
        goto value;
    }
    if (p < end && *p == (in_object ? '}' : ']'))
        goto close;
    ok = unexpected(b, p, end,
                    in_object ? "expected ',' or '}' after an object member"
                              : "expected ',' or ']' after an array element");
    goto out;
close: /* p is at the closing bracket of the innermost container */
    p++;
    if (!(ok = close_container(b)))
        goto out;
    goto after;
out:
    *at = (size_t)(p - text);
    return ok;
}

const fs_jval_t *fs_jdoc_parse(const char *text, size_t len, fs_jdoc_t **doc,
                               char *errstr, size_t errstr_size)
{
    builder_t b;
    memset(&b, 0, sizeof(b));
    *doc = NULL;
    /* Strings and nodes take about as many bytes as the text. */
    if (!(b.doc = doc_new(len + len / 2))) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    /* One pass over the text instead of one per string and key.  Quotes are ASCII, so a
     * string between them is a whole part of a valid text; an escape decodes to valid
     * UTF-8 once the lexer has refused \u0000 and lone surrogates. Otherwise each string
     * is checked, to name the first bad one. */
    b.text_utf8 = fs_utf8_valid(text, len);
    size_t at = 0; /* where the text went wrong, or where the value ended */
    int ok = parse_value(&b, text, len, &at);
    if (ok) {
        at = (size_t)(skip_space(text + at, text + len) - text);
        if (at < len)
            ok = stop(&b, "trailing garbage");
    }
    if (ok) {
        *doc = b.doc;
    } else {
        snprintf(errstr, errstr_size, "%s (byte %zu)", b.why ? b.why : "parse error", at);
        fs_jdoc_free(b.doc);
    }
    /* A stopped parse may leave containers open, with their maps. */
    while (b.depth > 0)
        fs_strmap_destroy(b.frames[--b.depth].map);
    free(b.vals);
    free(b.frames);
    free(b.sbuf);
    return ok ? b.root : NULL;
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
