/*
 * fs_rng.h — the project's deterministic pseudo-random numbers:
 * splitmix64 (seeding, hashing of seeds) and xoshiro256** (streams).
 *
 * Pure and reproducible on every machine: the synthetic data of funnel-gen
 * and of the benchmarks depend on nothing but their seed.  Not for secrets
 * (event ids use getrandom, fs_uuid.h).  Header-only: each state is the
 * caller's.
 */
#ifndef FS_RNG_H
#define FS_RNG_H

#include <stdint.h>

typedef struct fs_rng {
    uint64_t s[4];
} fs_rng_t;

/** Advances @p x and returns the next splitmix64 output. */
static inline uint64_t fs_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t fs_rng_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/** The next xoshiro256** output. */
static inline uint64_t fs_rng_next(fs_rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t out = fs_rng_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = fs_rng_rotl(s[3], 45);
    return out;
}

/** Seeds @p r from splitmix64 starting at @p x. */
static inline void fs_rng_seed_from(fs_rng_t *r, uint64_t x)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = fs_splitmix64(&x);
}

#endif
