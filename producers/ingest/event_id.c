/*
 * event_id.c — SHA-1 and UUIDv5 ids of ingested lines (see event_id.h).
 *
 * SHA-1 is used as RFC 9562 prescribes for version-5 UUIDs: as a name
 * hash, not for security.  Written out here (≈60 lines) rather than
 * pulling in libcrypto for one function.
 */
#include "event_id.h"

#include <stdio.h>
#include <string.h>

static const uint8_t id_namespace_bytes[16] = {0xa1, 0xaa, 0x77, 0x6f, 0xc4, 0xf4,
                                               0x5f, 0xeb, 0x87, 0x95, 0x68, 0x28,
                                               0x8c, 0x10, 0x2f, 0xb1};

static uint32_t rol(uint32_t x, int n)
{
    return (x << n) | (x >> (32 - n));
}

static void sha1_block(uint32_t h[5], const uint8_t *p)
{
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    for (int i = 16; i < 80; i++)
        w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20)
            f = (b & c) | (~b & d), k = 0x5A827999;
        else if (i < 40)
            f = b ^ c ^ d, k = 0x6ED9EBA1;
        else if (i < 60)
            f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
        else
            f = b ^ c ^ d, k = 0xCA62C1D6;
        uint32_t t = rol(a, 5) + f + e + k + w[i];
        e = d;
        d = c;
        c = rol(b, 30);
        b = a;
        a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

void fs_sha1_init(fs_sha1_ctx_t *c)
{
    static const uint32_t iv[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476,
                                   0xC3D2E1F0};
    memcpy(c->h, iv, sizeof(iv));
    c->total = 0;
    c->used = 0;
}

void fs_sha1_update(fs_sha1_ctx_t *c, const void *data, size_t len)
{
    const uint8_t *p = data;
    c->total += len;
    if (c->used) {
        size_t n = 64 - c->used < len ? 64 - c->used : len;
        memcpy(c->block + c->used, p, n);
        c->used += n;
        p += n;
        len -= n;
        if (c->used < 64)
            return;
        sha1_block(c->h, c->block);
        c->used = 0;
    }
    for (; len >= 64; p += 64, len -= 64)
        sha1_block(c->h, p);
    memcpy(c->block, p, len);
    c->used = len;
}

void fs_sha1_final(fs_sha1_ctx_t *c, uint8_t digest[20])
{
    uint64_t bits = c->total * 8;
    uint8_t pad = 0x80;
    fs_sha1_update(c, &pad, 1);
    pad = 0;
    while (c->used != 56)
        fs_sha1_update(c, &pad, 1);
    uint8_t len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (uint8_t)(bits >> (56 - 8 * i));
    fs_sha1_update(c, len, 8);
    for (int i = 0; i < 5; i++) {
        digest[4 * i] = (uint8_t)(c->h[i] >> 24);
        digest[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
        digest[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
        digest[4 * i + 3] = (uint8_t)c->h[i];
    }
}

void fs_sha1(const void *data, size_t len, uint8_t digest[20])
{
    fs_sha1_ctx_t c;
    fs_sha1_init(&c);
    fs_sha1_update(&c, data, len);
    fs_sha1_final(&c, digest);
}

void fs_ingest_event_id(const char *id_namespace, uint64_t line_no, const char *line,
                        size_t len, char out[FS_INGEST_ID_STRLEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    char num[24];
    int n = snprintf(num, sizeof(num), "\n%llu\n", (unsigned long long)line_no);
    uint8_t d[20];
    fs_sha1_ctx_t c;
    fs_sha1_init(&c);
    fs_sha1_update(&c, id_namespace_bytes, sizeof(id_namespace_bytes));
    fs_sha1_update(&c, id_namespace, strlen(id_namespace));
    fs_sha1_update(&c, num, (size_t)n);
    fs_sha1_update(&c, line, len);
    fs_sha1_final(&c, d);
    d[6] = (uint8_t)((d[6] & 0x0f) | 0x50); /* version 5 */
    d[8] = (uint8_t)((d[8] & 0x3f) | 0x80); /* variant 10xx */
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[d[i] >> 4];
        out[o++] = hex[d[i] & 15];
    }
    out[o] = '\0';
}
