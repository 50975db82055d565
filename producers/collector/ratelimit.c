/*
 * ratelimit.c — token buckets in a fixed-size LRU table (see ratelimit.h).
 *
 * Layout: one array of `capacity` entries, a power-of-two array of hash
 * chain heads (twice the capacity, so chains stay short) and a doubly
 * linked recency list threaded through the entries by index.  Lookup,
 * insert and eviction are O(1) on average; nothing is allocated after
 * fs_ratelimit_new().
 */
#include "ratelimit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NIL UINT32_MAX

typedef struct entry {
    char key[FS_RATELIMIT_KEY_MAX + 1];
    uint64_t hash;
    double tokens;
    int64_t last_ms;
    uint32_t chain;      /* next entry of the same hash chain */
    uint32_t prev, next; /* recency list: head = most recent */
} entry_t;

struct fs_ratelimit {
    double rate_per_ms, burst;
    size_t capacity, used;
    entry_t *entries;
    uint32_t *heads;
    size_t mask;
    uint32_t mru, lru;
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

/* Keys longer than the slot are stored as their digest: two long keys with
 * the same 64-bit FNV-1a hash would share a bucket, which is harmless. */
static void slot_key(const char *key, char out[FS_RATELIMIT_KEY_MAX + 1])
{
    if (strlen(key) <= FS_RATELIMIT_KEY_MAX)
        strcpy(out, key);
    else
        snprintf(out, FS_RATELIMIT_KEY_MAX + 1, "#%016llx",
                 (unsigned long long)fnv1a(key));
}

fs_ratelimit_t *fs_ratelimit_new(double rate_per_s, double burst, size_t capacity)
{
    if (!(rate_per_s > 0) || !(burst >= 1) || capacity == 0 || capacity >= NIL / 2)
        return NULL;
    fs_ratelimit_t *rl = calloc(1, sizeof(*rl));
    if (!rl)
        return NULL;
    size_t nheads = 1;
    while (nheads < capacity * 2)
        nheads <<= 1;
    rl->entries = calloc(capacity, sizeof(*rl->entries));
    rl->heads = malloc(nheads * sizeof(*rl->heads));
    if (!rl->entries || !rl->heads) {
        fs_ratelimit_destroy(rl);
        return NULL;
    }
    for (size_t i = 0; i < nheads; i++)
        rl->heads[i] = NIL;
    rl->mask = nheads - 1;
    rl->rate_per_ms = rate_per_s / 1000.0;
    rl->burst = burst;
    rl->capacity = capacity;
    rl->mru = rl->lru = NIL;
    return rl;
}

void fs_ratelimit_destroy(fs_ratelimit_t *rl)
{
    if (!rl)
        return;
    free(rl->entries);
    free(rl->heads);
    free(rl);
}

size_t fs_ratelimit_size(const fs_ratelimit_t *rl)
{
    return rl->used;
}

static void list_unlink(fs_ratelimit_t *rl, uint32_t i)
{
    entry_t *e = &rl->entries[i];
    if (e->prev != NIL)
        rl->entries[e->prev].next = e->next;
    else
        rl->mru = e->next;
    if (e->next != NIL)
        rl->entries[e->next].prev = e->prev;
    else
        rl->lru = e->prev;
    e->prev = e->next = NIL;
}

static void list_push_front(fs_ratelimit_t *rl, uint32_t i)
{
    entry_t *e = &rl->entries[i];
    e->prev = NIL;
    e->next = rl->mru;
    if (rl->mru != NIL)
        rl->entries[rl->mru].prev = i;
    rl->mru = i;
    if (rl->lru == NIL)
        rl->lru = i;
}

static void chain_remove(fs_ratelimit_t *rl, uint32_t i)
{
    uint32_t *p = &rl->heads[rl->entries[i].hash & rl->mask];
    while (*p != NIL && *p != i)
        p = &rl->entries[*p].chain;
    if (*p == i)
        *p = rl->entries[i].chain;
}

/* The bucket of @p key, refilled to @p now_ms and made most recent; a new
 * (or recycled least recent) entry starts full. */
static entry_t *bucket(fs_ratelimit_t *rl, const char *key, int64_t now_ms)
{
    char k[FS_RATELIMIT_KEY_MAX + 1];
    slot_key(key, k);
    uint64_t h = fnv1a(k);
    uint32_t i = rl->heads[h & rl->mask];
    while (i != NIL && (rl->entries[i].hash != h || strcmp(rl->entries[i].key, k) != 0))
        i = rl->entries[i].chain;
    if (i == NIL) {
        if (rl->used < rl->capacity) {
            i = (uint32_t)rl->used++;
        } else {
            i = rl->lru;
            list_unlink(rl, i);
            chain_remove(rl, i);
        }
        entry_t *e = &rl->entries[i];
        memcpy(e->key, k, sizeof(k));
        e->hash = h;
        e->tokens = rl->burst;
        e->last_ms = now_ms;
        e->chain = rl->heads[h & rl->mask];
        rl->heads[h & rl->mask] = i;
        list_push_front(rl, i);
        return e;
    }
    list_unlink(rl, i);
    list_push_front(rl, i);
    entry_t *e = &rl->entries[i];
    if (now_ms > e->last_ms) {
        e->tokens =
            fmin(rl->burst, e->tokens + (double)(now_ms - e->last_ms) * rl->rate_per_ms);
        e->last_ms = now_ms;
    }
    return e;
}

int fs_ratelimit_admit(fs_ratelimit_t *rl, const char *key, int64_t now_ms,
                       int *retry_after_s)
{
    entry_t *e = bucket(rl, key, now_ms);
    if (e->tokens >= 1.0)
        return 1;
    if (retry_after_s) {
        double s = ceil((1.0 - e->tokens) / (rl->rate_per_ms * 1000.0));
        *retry_after_s = s < 1 ? 1 : s > 86400 ? 86400 : (int)s;
    }
    return 0;
}

void fs_ratelimit_charge(fs_ratelimit_t *rl, const char *key, double tokens,
                         int64_t now_ms)
{
    bucket(rl, key, now_ms)->tokens -= tokens;
}

void fs_ratelimit_charge_capped(fs_ratelimit_t *rl, const char *key, double tokens,
                                int64_t now_ms)
{
    if (tokens <= 0)
        return;
    entry_t *b = bucket(rl, key, now_ms);
    double take = b->tokens < tokens ? b->tokens : tokens;
    if (take > 0)
        b->tokens -= take;
}
