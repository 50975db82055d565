/*
 * writekeys.c — write-key set, constant-time lookup, Basic parsing (see
 * writekeys.h).
 */
#include "writekeys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct fs_writekeys {
    char **keys;
    size_t n, cap;
};

fs_writekeys_t *fs_writekeys_new(void)
{
    return calloc(1, sizeof(fs_writekeys_t));
}

void fs_writekeys_destroy(fs_writekeys_t *wk)
{
    if (!wk)
        return;
    for (size_t i = 0; i < wk->n; i++) {
        /* Keys are secrets: do not leave them in freed heap memory. */
        volatile char *p = wk->keys[i];
        while (*p)
            *p++ = 0;
        free(wk->keys[i]);
    }
    free(wk->keys);
    free(wk);
}

size_t fs_writekeys_count(const fs_writekeys_t *wk)
{
    return wk->n;
}

/* Equal in time depending on strlen(a) and blen only. */
static int ct_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    unsigned diff = alen != blen;
    for (size_t i = 0; i < blen; i++)
        diff |= (unsigned char)(alen ? a[i % alen] : 0) ^ (unsigned char)b[i];
    return diff == 0;
}

int fs_writekeys_match(const fs_writekeys_t *wk, const char *key)
{
    if (!key)
        return 0;
    size_t len = strnlen(key, FS_WRITEKEY_MAX + 1);
    int found = 0;
    for (size_t i = 0; i < wk->n; i++)
        found |= ct_equal(key, len, wk->keys[i], strlen(wk->keys[i]));
    return found;
}

/* Adds @p len bytes at @p s after trimming; @p where names the item for errors. */
static fs_err_t add_one(fs_writekeys_t *wk, const char *s, size_t len, const char *what,
                        size_t where, char *errstr, size_t sz)
{
    while (len && (*s == ' ' || *s == '\t'))
        s++, len--;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
        len--;
    if (!len)
        return FS_OK;
    if (len > FS_WRITEKEY_MAX) {
        snprintf(errstr, sz, "%s %zu: key longer than %d characters", what, where,
                 FS_WRITEKEY_MAX);
        return FS_ERR_INVALID;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == 0x7f || c == ':' || c == ',') {
            snprintf(
                errstr, sz,
                "%s %zu: a key may not contain spaces, control characters, ':' or ','",
                what, where);
            return FS_ERR_INVALID;
        }
    }
    for (size_t i = 0; i < wk->n; i++)
        if (strlen(wk->keys[i]) == len && !memcmp(wk->keys[i], s, len))
            return FS_OK; /* duplicates are harmless */
    if (wk->n == wk->cap) {
        size_t cap = wk->cap ? wk->cap * 2 : 8;
        char **k = realloc(wk->keys, cap * sizeof(*k));
        if (!k)
            goto nomem;
        wk->keys = k;
        wk->cap = cap;
    }
    char *copy = strndup(s, len);
    if (!copy)
        goto nomem;
    wk->keys[wk->n++] = copy;
    return FS_OK;
nomem:
    snprintf(errstr, sz, "out of memory");
    return FS_ERR_NOMEM;
}

fs_err_t fs_writekeys_add_list(fs_writekeys_t *wk, const char *list, char *errstr,
                               size_t sz)
{
    size_t item = 0;
    for (const char *p = list; p && *p;) {
        size_t n = strcspn(p, ",");
        fs_err_t e = add_one(wk, p, n, "item", ++item, errstr, sz);
        if (e)
            return e;
        p += n + (p[n] == ',');
    }
    return FS_OK;
}

fs_err_t fs_writekeys_add_text(fs_writekeys_t *wk, const char *text, char *errstr,
                               size_t sz)
{
    size_t line = 0;
    for (const char *p = text; p && *p;) {
        size_t n = strcspn(p, "\n");
        line++;
        const char *s = p + strspn(p, " \t");
        if (s >= p + n || *s != '#') {
            fs_err_t e = add_one(wk, p, n, "line", line, errstr, sz);
            if (e)
                return e;
        }
        p += n + (p[n] == '\n');
    }
    return FS_OK;
}

static int b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

fs_err_t fs_writekeys_basic_user(const char *header, char out[FS_WRITEKEY_MAX + 1])
{
    /* user:password of at most KEY_MAX + a generous password, decoded */
    unsigned char dec[3 * 512];
    size_t n = 0;
    out[0] = '\0';
    if (!header || strncasecmp(header, "Basic", 5) != 0 ||
        (header[5] != ' ' && header[5] != '\t'))
        return FS_ERR_INVALID;
    const char *p = header + 5;
    p += strspn(p, " \t");
    unsigned acc = 0;
    int bits = 0, pad = 0;
    for (; *p && *p != ' ' && *p != '\t'; p++) {
        if (*p == '=') {
            pad++;
            continue;
        }
        int v = b64val((unsigned char)*p);
        if (v < 0 || pad)
            return FS_ERR_INVALID;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n == sizeof(dec))
                return FS_ERR_INVALID;
            dec[n++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (pad > 2 || p[strspn(p, " \t")] != '\0')
        return FS_ERR_INVALID;
    unsigned char *colon = memchr(dec, ':', n);
    size_t ulen = colon ? (size_t)(colon - dec) : 0;
    if (!colon || ulen == 0 || ulen > FS_WRITEKEY_MAX || memchr(dec, '\0', ulen))
        return FS_ERR_INVALID;
    memcpy(out, dec, ulen);
    out[ulen] = '\0';
    return FS_OK;
}
