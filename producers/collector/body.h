/*
 * body.h — request body storage under a shared memory budget (docs/security.md).
 *
 * Owns: the bytes of one request body (fs_body_t) and the count of body
 * bytes held by all requests together (fs_budget_t).  A body grows as its
 * bytes arrive — never from the length a client announces — by doubling,
 * up to the request limit; every byte of capacity is charged to the budget
 * first, and a growth the budget cannot cover is refused (the caller
 * answers 503).  Capacity beyond FS_BODY_MMAP_MIN lives in its own
 * anonymous mapping, so freeing a large body returns its memory to the
 * operating system at once, whatever malloc the program links (mimalloc
 * and glibc both keep freed 512 KiB blocks for reuse: 2 GB stayed resident
 * after thousands of large bodies had gone).
 *
 * Thread-safe: the budget is one atomic counter; a body belongs to one
 * request and is used by one thread at a time.  No I/O.
 */
#ifndef FS_BODY_H
#define FS_BODY_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "fs_err.h"

/** Capacity from which a body is kept in its own mapping instead of malloc's heap. */
#define FS_BODY_MMAP_MIN (64 * 1024)

typedef struct fs_budget {
    atomic_size_t used; /* bytes of capacity held by every body */
    size_t limit;       /* 0 = no limit */
} fs_budget_t;

/** Starts a budget of @p limit bytes (0 = unlimited). */
void fs_budget_init(fs_budget_t *b, size_t limit);

/** Bytes currently charged. */
size_t fs_budget_used(const fs_budget_t *b);

typedef struct fs_body {
    uint8_t *data;
    size_t len;
    size_t cap;          /* charged to budget */
    int mapped;          /* data is an mmap of cap bytes */
    fs_budget_t *budget; /* borrowed, set by the first append */
} fs_body_t;

#define FS_BODY_INIT                                                                     \
    {                                                                                    \
        NULL, 0, 0, 0, NULL                                                              \
    }

/**
 * Appends @p n bytes, growing the capacity (doubling from 4 KiB, at most
 * @p max) and charging the growth to @p budget.  Returns FS_OK;
 * FS_ERR_INVALID when len + n would exceed @p max (nothing
 * appended), FS_ERR_TRANSIENT when @p budget cannot cover the growth
 * (nothing appended, nothing charged), FS_ERR_NOMEM when the memory cannot
 * be had.  On any error the body keeps what it held.
 */
fs_err_t fs_body_append(fs_body_t *body, fs_budget_t *budget, const void *p, size_t n,
                        size_t max) FS_WUR;

/** Frees the bytes and gives their capacity back to the budget; the body is empty. */
void fs_body_free(fs_body_t *body);

#endif
