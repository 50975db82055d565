/*
 * fs_prom.h — pieces of the Prometheus text exposition format shared by
 * the daemons' /metrics (collector, worker).
 *
 * Owns nothing but the histogram's own counters: the family header
 * (# HELP / # TYPE) and a fixed-bucket histogram whose observations are
 * lock-free atomics, so any thread may observe while /metrics renders.
 * Pure: appends text to an fs_buf, no I/O.
 */
#ifndef FS_PROM_H
#define FS_PROM_H

#include <stdatomic.h>
#include <stddef.h>

#include "fs_buf.h"
#include "fs_err.h"

/** Appends "# HELP name help\n# TYPE name type\n". */
fs_err_t fs_prom_header(fs_buf_t *out, const char *name, const char *type,
                        const char *help) FS_WUR;

#define FS_PROM_HIST_MAX 16 /* most finite buckets of a histogram */

/** A histogram of seconds; zero it (calloc) then fs_prom_hist_init. */
typedef struct fs_prom_hist {
    const double *bounds; /* borrowed, ascending upper bounds in seconds */
    size_t nbounds;       /* <= FS_PROM_HIST_MAX */
    atomic_ullong buckets[FS_PROM_HIST_MAX + 1]; /* not cumulative; last = +Inf */
    atomic_ullong sum_us; /* microseconds: an integer sum needs no CAS loop */
} fs_prom_hist_t;

/** @p bounds must outlive @p h; more than FS_PROM_HIST_MAX are ignored. */
void fs_prom_hist_init(fs_prom_hist_t *h, const double *bounds, size_t nbounds);

/** One observation.  @locality any thread. */
void fs_prom_hist_observe(fs_prom_hist_t *h, double seconds);

/** Appends the family @p name: header, cumulative _bucket lines, _sum, _count. */
fs_err_t fs_prom_hist_render(const fs_prom_hist_t *h, const char *name, const char *help,
                             fs_buf_t *out) FS_WUR;

#endif
