/*
 * fs_prom.c — Prometheus text exposition helpers (see fs_prom.h).
 */
#include "fs_prom.h"

fs_err_t fs_prom_header(fs_buf_t *out, const char *name, const char *type,
                        const char *help)
{
    return fs_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void fs_prom_hist_init(fs_prom_hist_t *h, const double *bounds, size_t nbounds)
{
    h->bounds = bounds;
    h->nbounds = nbounds < FS_PROM_HIST_MAX ? nbounds : FS_PROM_HIST_MAX;
}

void fs_prom_hist_observe(fs_prom_hist_t *h, double seconds)
{
    size_t b = 0;
    while (b < h->nbounds && seconds > h->bounds[b])
        b++;
    atomic_fetch_add_explicit(&h->buckets[b], 1, memory_order_relaxed);
    if (seconds > 0)
        atomic_fetch_add_explicit(&h->sum_us, (unsigned long long)(seconds * 1e6 + 0.5),
                                  memory_order_relaxed);
}

fs_err_t fs_prom_hist_render(const fs_prom_hist_t *ch, const char *name, const char *help,
                             fs_buf_t *out)
{
    /* C11 atomic_load takes a non-const pointer in older compilers' headers. */
    fs_prom_hist_t *h = (fs_prom_hist_t *)ch;
    fs_err_t e = fs_prom_header(out, name, "histogram", help);
    unsigned long long cum = 0;
    for (size_t b = 0; !e && b <= h->nbounds; b++) {
        cum += atomic_load_explicit(&h->buckets[b], memory_order_relaxed);
        if (b < h->nbounds)
            e = fs_buf_printf(out, "%s_bucket{le=\"%g\"} %llu\n", name, h->bounds[b],
                              cum);
        else
            e = fs_buf_printf(
                out, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n", name,
                cum, name,
                (double)atomic_load_explicit(&h->sum_us, memory_order_relaxed) / 1e6,
                name, cum);
    }
    return e;
}
