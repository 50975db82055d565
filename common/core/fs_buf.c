/*
 * fs_buf.c — growable byte buffer (see fs_buf.h).  Pure memory.
 */
#include "fs_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

fs_err_t fs_buf_reserve(fs_buf_t *b, size_t extra)
{
    if (extra <= b->cap - b->len)
        return FS_OK;
    if (extra > SIZE_MAX / 2 - b->len)
        return FS_ERR_NOMEM;
    size_t cap = b->cap ? b->cap : 64;
    while (cap - b->len < extra)
        cap *= 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p)
        return FS_ERR_NOMEM;
    b->data = p;
    b->cap = cap;
    return FS_OK;
}

fs_err_t fs_buf_append(fs_buf_t *b, const void *p, size_t n)
{
    if (n == 0)
        return FS_OK;
    fs_err_t err = fs_buf_reserve(b, n);
    if (err)
        return err;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return FS_OK;
}

fs_err_t fs_buf_puts(fs_buf_t *b, const char *s)
{
    return fs_buf_append(b, s, strlen(s));
}

fs_err_t fs_buf_put_i64(fs_buf_t *b, int64_t v)
{
    char tmp[24];
    size_t n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[sizeof(tmp) - 1 - n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        tmp[sizeof(tmp) - 1 - n++] = '-';
    return fs_buf_append(b, tmp + sizeof(tmp) - n, n);
}

fs_err_t fs_buf_printf(fs_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return FS_ERR_INVALID;
    fs_err_t err = fs_buf_reserve(b, (size_t)n + 1);
    if (err)
        return err;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return FS_OK;
}

void fs_buf_reset(fs_buf_t *b)
{
    b->len = 0;
}

void fs_buf_free(fs_buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
