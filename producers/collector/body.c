/*
 * body.c — request bodies grown as bytes arrive, under a shared budget
 * (see body.h).
 */
#include "body.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define FIRST_CAP 4096

void fs_budget_init(fs_budget_t *b, size_t limit)
{
    atomic_init(&b->used, 0);
    b->limit = limit;
}

size_t fs_budget_used(const fs_budget_t *b)
{
    return atomic_load_explicit(&((fs_budget_t *)b)->used, memory_order_relaxed);
}

/* Takes @p n bytes if the budget has them; non-zero on success. */
static int budget_take(fs_budget_t *b, size_t n)
{
    size_t used = atomic_load_explicit(&b->used, memory_order_relaxed);
    do {
        if (b->limit && (n > b->limit || used > b->limit - n))
            return 0;
    } while (!atomic_compare_exchange_weak_explicit(
        &b->used, &used, used + n, memory_order_relaxed, memory_order_relaxed));
    return 1;
}

static void budget_give(fs_budget_t *b, size_t n)
{
    if (b && n)
        atomic_fetch_sub_explicit(&b->used, n, memory_order_relaxed);
}

/* Moves the body to a new storage of @p cap bytes: malloc below
 * FS_BODY_MMAP_MIN, a mapping (grown in place when the kernel can) from it. */
static fs_err_t regrow(fs_body_t *body, size_t cap)
{
    if (cap < FS_BODY_MMAP_MIN) {
        uint8_t *p = realloc(body->data, cap);
        if (!p)
            return FS_ERR_NOMEM;
        body->data = p;
        return FS_OK;
    }
    /* A new mapping and a copy (mremap is Linux-only): a body doubles at
     * most four times past FS_BODY_MMAP_MIN, copying under its final size. */
    void *m = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return FS_ERR_NOMEM;
    if (body->len)
        memcpy(m, body->data, body->len);
    if (body->mapped)
        munmap(body->data, body->cap);
    else
        free(body->data);
    body->data = m;
    body->mapped = 1;
    return FS_OK;
}

fs_err_t fs_body_append(fs_body_t *body, fs_budget_t *budget, const void *p, size_t n,
                        size_t max)
{
    if (n == 0)
        return FS_OK;
    if (n > max || body->len > max - n)
        return FS_ERR_INVALID;
    if (!body->budget)
        body->budget = budget;
    size_t need = body->len + n;
    if (need > body->cap) {
        size_t cap = body->cap ? body->cap : FIRST_CAP;
        while (cap < need)
            cap *= 2;
        if (cap > max)
            cap = max;
        if (!budget_take(body->budget, cap - body->cap))
            return FS_ERR_TRANSIENT;
        if (regrow(body, cap) != FS_OK) {
            budget_give(body->budget, cap - body->cap);
            return FS_ERR_NOMEM;
        }
        body->cap = cap;
    }
    memcpy(body->data + body->len, p, n);
    body->len = need;
    return FS_OK;
}

void fs_body_free(fs_body_t *body)
{
    if (body->mapped)
        munmap(body->data, body->cap);
    else
        free(body->data);
    budget_give(body->budget, body->cap);
    *body = (fs_body_t)FS_BODY_INIT;
}
