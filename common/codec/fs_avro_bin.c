/*
 * fs_avro_bin.c — Avro binary encoding of primitives (see fs_avro_bin.h).
 */
#include "fs_avro_bin.h"

#include <string.h>

/* Writes @p v zig-zag varint encoded at @p p (room for FS_AVRO_LONG_MAX
 * bytes); returns the number of bytes written. */
static size_t write_long(uint8_t *p, int64_t v)
{
    /* Zig-zag: 0, -1, 1, -2 ... → 0, 1, 2, 3 ...; computed on unsigned
     * values, so INT64_MIN is no overflow. */
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    size_t n = 0;
    while (z >= 0x80) {
        p[n++] = (uint8_t)(z | 0x80);
        z >>= 7;
    }
    p[n++] = (uint8_t)z;
    return n;
}

fs_err_t fs_avro_put_long(fs_buf_t *b, int64_t v)
{
    if (fs_buf_reserve(b, FS_AVRO_LONG_MAX) != FS_OK)
        return FS_ERR_NOMEM;
    b->len += write_long(b->data + b->len, v);
    return FS_OK;
}

fs_err_t fs_avro_put_string(fs_buf_t *b, const char *s, size_t n)
{
    if (n > (size_t)INT64_MAX || n > SIZE_MAX - FS_AVRO_LONG_MAX ||
        fs_buf_reserve(b, FS_AVRO_LONG_MAX + n) != FS_OK)
        return FS_ERR_NOMEM;
    b->len += write_long(b->data + b->len, (int64_t)n);
    if (n > 0)
        memcpy(b->data + b->len, s, n);
    b->len += n;
    return FS_OK;
}

fs_err_t fs_avro_put_double(fs_buf_t *b, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    if (fs_buf_reserve(b, 8) != FS_OK)
        return FS_ERR_NOMEM;
    for (int i = 0; i < 8; i++)
        b->data[b->len + (size_t)i] = (uint8_t)(bits >> (8 * i));
    b->len += 8;
    return FS_OK;
}

fs_err_t fs_avro_put_boolean(fs_buf_t *b, int v)
{
    if (fs_buf_reserve(b, 1) != FS_OK)
        return FS_ERR_NOMEM;
    b->data[b->len++] = v ? 1 : 0;
    return FS_OK;
}

int fs_avro_get_long(const uint8_t **p, const uint8_t *end, int64_t *v)
{
    const uint8_t *q = *p;
    uint64_t z = 0;
    for (int shift = 0;; shift += 7) {
        if (q == end)
            return -1;
        uint8_t b = *q++;
        if (shift == 63 && b > 1)
            return -2;
        z |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80))
            break;
    }
    *p = q;
    *v = (int64_t)((z >> 1) ^ (~(z & 1) + 1)); /* zig-zag back */
    return 0;
}

double fs_avro_get_double(const uint8_t *p)
{
    uint64_t bits = 0;
    for (int i = 0; i < 8; i++)
        bits |= (uint64_t)p[i] << (8 * i);
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}
