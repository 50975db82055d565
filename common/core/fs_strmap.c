/*
 * fs_strmap.c — open-addressing string map with linear probing (see
 * fs_strmap.h).  At most three quarters full; doubles when it would be
 * more.  Each slot keeps its key's hash: a probe compares hashes and reads
 * the key (another cache line) only when they are equal, and growing does
 * not hash again.
 */
#include "fs_strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fs_hash.h"

typedef struct slot {
    char *key; /* NULL = empty */
    void *value;
    uint64_t hash; /* fs_hash64 of key */
} slot_t;

struct fs_strmap {
    slot_t *slots;
    size_t cap; /* power of two */
    size_t n;
};

fs_strmap_t *fs_strmap_new(void)
{
    fs_strmap_t *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->cap = 64;
    m->slots = calloc(m->cap, sizeof(*m->slots));
    if (!m->slots) {
        free(m);
        return NULL;
    }
    return m;
}

void fs_strmap_destroy(fs_strmap_t *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    free(m);
}

/* The slot of @p key (hash @p h): its entry, or the empty slot where it
 * belongs. */
static slot_t *find(const fs_strmap_t *m, const char *key, size_t len, uint64_t h)
{
    size_t i = (size_t)h & (m->cap - 1);
    for (;; i = (i + 1) & (m->cap - 1)) {
        slot_t *s = &m->slots[i];
        if (!s->key ||
            (s->hash == h && strncmp(s->key, key, len) == 0 && s->key[len] == '\0'))
            return s;
    }
}

void *fs_strmap_getn(const fs_strmap_t *m, const char *key, size_t len)
{
    slot_t *s = find(m, key, len, fs_hash64(key, len));
    return s->key ? s->value : NULL;
}

void *fs_strmap_get(const fs_strmap_t *m, const char *key)
{
    return fs_strmap_getn(m, key, strlen(key));
}

static fs_err_t grow(fs_strmap_t *m)
{
    slot_t *old = m->slots;
    size_t oldcap = m->cap;
    slot_t *slots = calloc(oldcap * 2, sizeof(*slots));
    if (!slots)
        return FS_ERR_NOMEM;
    m->slots = slots;
    m->cap = oldcap * 2;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].key) {
            size_t j = (size_t)old[i].hash & (m->cap - 1);
            while (slots[j].key) /* keys are distinct: the first empty slot */
                j = (j + 1) & (m->cap - 1);
            slots[j] = old[i];
        }
    free(old);
    return FS_OK;
}

fs_err_t fs_strmap_putn(fs_strmap_t *m, const char *key, size_t len, void *value)
{
    if ((m->n + 1) * 4 > m->cap * 3 && grow(m) != FS_OK)
        return FS_ERR_NOMEM;
    uint64_t h = fs_hash64(key, len);
    slot_t *s = find(m, key, len, h);
    if (!s->key) {
        if (!(s->key = malloc(len + 1)))
            return FS_ERR_NOMEM;
        memcpy(s->key, key, len);
        s->key[len] = '\0';
        s->hash = h;
        m->n++;
    }
    s->value = value;
    return FS_OK;
}

fs_err_t fs_strmap_put(fs_strmap_t *m, const char *key, void *value)
{
    return fs_strmap_putn(m, key, strlen(key), value);
}

size_t fs_strmap_count(const fs_strmap_t *m)
{
    return m->n;
}

int fs_strmap_next(const fs_strmap_t *m, size_t *pos, const char **key, void **value)
{
    while (*pos < m->cap) {
        slot_t *s = &m->slots[(*pos)++];
        if (s->key) {
            *key = s->key;
            *value = s->value;
            return 1;
        }
    }
    return 0;
}
