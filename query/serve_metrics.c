/*
 * serve_metrics.c — the dashboard's counters (see serve_metrics.h).
 */
#include "serve_metrics.h"

#include <stdatomic.h>
#include <stdlib.h>

/* The codes the dashboard answers with; anything else counts as "other". */
static const unsigned codes[] = {200, 400, 404, 405, 409, 413, 414, 500, 503};
#define NCODES (sizeof(codes) / sizeof(codes[0]))

/* Seconds.  A 30-day API answer takes about a millisecond against a local
 * Redis (bench/dashboard_bench), so the low buckets are the useful ones. */
static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02,
                                0.05,   0.1,   0.25,   0.5,   1,    5};
#define NBOUNDS (sizeof(bounds) / sizeof(bounds[0]))

struct fs_serve_metrics {
    atomic_ullong requests[FS_ROUTE__COUNT][NCODES + 1]; /* last: "other" */
    atomic_ullong buckets[FS_ROUTE__COUNT][NBOUNDS + 1]; /* not cumulative; last +Inf */
    atomic_ullong sum_us[FS_ROUTE__COUNT];
    atomic_ullong redis_errors;
};

fs_serve_metrics_t *fs_serve_metrics_new(void)
{
    return calloc(1, sizeof(fs_serve_metrics_t)); /* all-zero bits are zeroed atomics */
}

void fs_serve_metrics_destroy(fs_serve_metrics_t *m)
{
    free(m);
}

void fs_serve_metrics_request(fs_serve_metrics_t *m, fs_api_route_t route,
                              unsigned status, double seconds)
{
    size_t c = NCODES, b = 0;
    if ((unsigned)route >= FS_ROUTE__COUNT)
        route = FS_ROUTE_OTHER;
    for (size_t i = 0; i < NCODES; i++)
        if (codes[i] == status)
            c = i;
    while (b < NBOUNDS && seconds > bounds[b])
        b++;
    atomic_fetch_add_explicit(&m->requests[route][c], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->buckets[route][b], 1, memory_order_relaxed);
    if (seconds > 0)
        atomic_fetch_add_explicit(&m->sum_us[route], (unsigned long long)(seconds * 1e6),
                                  memory_order_relaxed);
}

void fs_serve_metrics_redis_error(fs_serve_metrics_t *m)
{
    atomic_fetch_add_explicit(&m->redis_errors, 1, memory_order_relaxed);
}

static unsigned long long load(const atomic_ullong *a)
{
    /* C11 atomic_load takes a non-const pointer in older headers. */
    return atomic_load_explicit((atomic_ullong *)a, memory_order_relaxed);
}

#define REQUESTS "funnel_dashboard_requests_total"
#define DURATION "funnel_dashboard_request_duration_seconds"
#define REDIS_ERRORS "funnel_dashboard_redis_errors_total"
#define READY "funnel_dashboard_redis_ready"

fs_err_t fs_serve_metrics_render(const fs_serve_metrics_t *m, int ready, fs_buf_t *out)
{
    fs_err_t e = fs_buf_puts(out, "# HELP " REQUESTS
                                  " HTTP requests answered, by path and status code.\n"
                                  "# TYPE " REQUESTS " counter\n");
    for (int r = 0; !e && r < FS_ROUTE__COUNT; r++)
        for (size_t c = 0; !e && c <= NCODES; c++) {
            unsigned long long v = load(&m->requests[r][c]);
            if (!v)
                continue; /* absent series read as 0 in rate()/increase() */
            if (c < NCODES)
                e = fs_buf_printf(out, REQUESTS "{path=\"%s\",code=\"%u\"} %llu\n",
                                  fs_api_route_name((fs_api_route_t)r), codes[c], v);
            else
                e = fs_buf_printf(out, REQUESTS "{path=\"%s\",code=\"other\"} %llu\n",
                                  fs_api_route_name((fs_api_route_t)r), v);
        }
    if (!e)
        e = fs_buf_puts(out, "# HELP " DURATION
                             " Time from a request's arrival to its answer, by path.\n"
                             "# TYPE " DURATION " histogram\n");
    for (int r = 0; !e && r < FS_ROUTE__COUNT; r++) {
        const char *path = fs_api_route_name((fs_api_route_t)r);
        unsigned long long cum = 0;
        for (size_t b = 0; !e && b < NBOUNDS; b++) {
            cum += load(&m->buckets[r][b]);
            e = fs_buf_printf(out, DURATION "_bucket{path=\"%s\",le=\"%g\"} %llu\n", path,
                              bounds[b], cum);
        }
        cum += load(&m->buckets[r][NBOUNDS]);
        if (!e)
            e = fs_buf_printf(
                out,
                DURATION "_bucket{path=\"%s\",le=\"+Inf\"} %llu\n" DURATION
                         "_sum{path=\"%s\"} %.6f\n" DURATION "_count{path=\"%s\"} %llu\n",
                path, cum, path, (double)load(&m->sum_us[r]) / 1e6, path, cum);
    }
    if (!e)
        e = fs_buf_printf(out,
                          "# HELP " REDIS_ERRORS
                          " Redis reads that failed (unreachable, refusing, bad data).\n"
                          "# TYPE " REDIS_ERRORS " counter\n" REDIS_ERRORS " %llu\n"
                          "# HELP " READY " 1 when Redis answered the last check.\n"
                          "# TYPE " READY " gauge\n" READY " %d\n",
                          load(&m->redis_errors), ready ? 1 : 0);
    return e;
}
