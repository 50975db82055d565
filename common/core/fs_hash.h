/*
 * fs_hash.h — the project's one non-cryptographic hash: 64-bit FNV-1a.
 *
 * For hash tables (fs_strmap.c, the funnel definition's type index) and
 * short digests of keys (the collector's rate-limit key).  Pure; not for
 * anything an attacker must not be able to collide.
 */
#ifndef FS_HASH_H
#define FS_HASH_H

#include <stddef.h>
#include <stdint.h>

/** 64-bit FNV-1a of the @p n bytes at @p p (standard offset basis and prime). */
static inline uint64_t fs_hash64(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 14695981039346656037ULL; /* 0xcbf29ce484222325 */
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

#endif
