/*
 * fs_buf.h — a growable byte buffer.
 *
 * Owns its bytes; callers borrow data/len until the next append, reset or
 * free.  Pure memory, no I/O.
 */
#ifndef FS_BUF_H
#define FS_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "fs_err.h"

typedef struct fs_buf {
    uint8_t *data; /* NULL until the first append */
    size_t len;
    size_t cap;
} fs_buf_t;

#define FS_BUF_INIT                                                                      \
    {                                                                                    \
        NULL, 0, 0                                                                       \
    }

/** Ensures room for @p extra more bytes.  FS_ERR_NOMEM leaves @p b unchanged. */
fs_err_t fs_buf_reserve(fs_buf_t *b, size_t extra) FS_WUR;
/** Appends @p n bytes. */
fs_err_t fs_buf_append(fs_buf_t *b, const void *p, size_t n) FS_WUR;
/** Appends a NUL-terminated string without its NUL. */
fs_err_t fs_buf_puts(fs_buf_t *b, const char *s) FS_WUR;
/** Appends @p v in decimal, without printf (hot paths of the worker). */
fs_err_t fs_buf_put_i64(fs_buf_t *b, int64_t v) FS_WUR;
/** printf-style append. */
fs_err_t fs_buf_printf(fs_buf_t *b, const char *fmt, ...) FS_WUR
    __attribute__((format(printf, 2, 3)));
/** Empties the buffer, keeping its memory. */
void fs_buf_reset(fs_buf_t *b);
/** Releases the memory; the buffer is empty and reusable afterwards. */
void fs_buf_free(fs_buf_t *b);

#endif
