/*
 * Unit tests of query/api.c and query/serve_metrics.c: the dashboard's
 * routes, its query parameters (every refusal names the parameter), error
 * bodies that stay valid JSON whatever a client sends, and the Prometheus
 * text of its counters.  No socket, no Redis.
 */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "fs_test.h"
#include "serve_metrics.h"

/* @p b's bytes as a C string (a NUL is appended). */
static const char *text(fs_buf_t *b)
{
    ASSERT_EQ(fs_buf_append(b, "", 1), FS_OK);
    return (const char *)b->data;
}

static void test_routes(void)
{
    fs_api_route_t r;
    fs_query_kind_t k;
    ASSERT_EQ(fs_api_route("GET", "/", &r), 200);
    ASSERT_EQ(r, FS_ROUTE_PAGE);
    ASSERT_EQ(fs_api_route("GET", "/api/series", &r), 200);
    ASSERT_EQ(fs_api_route_kind(r, &k), 0);
    ASSERT_EQ(k, FS_QUERY_SERIES);
    ASSERT_EQ(fs_api_route("HEAD", "/api/funnel", &r), 200);
    ASSERT_EQ(fs_api_route("POST", "/api/funnel", &r), 405);
    ASSERT_EQ(fs_api_route("DELETE", "/metrics", &r), 405);
    ASSERT_EQ(fs_api_route("GET", "/api/funnel/ordered", &r), 404);
    ASSERT_EQ(r, FS_ROUTE_OTHER);
    ASSERT_EQ(fs_api_route("GET", "/../../etc/passwd", &r), 404);
    ASSERT_EQ(fs_api_route("GET", "/index.html/..", &r), 404);
    ASSERT_EQ(fs_api_route("POST", "/nope", &r), 404);
    ASSERT_EQ(fs_api_route_kind(FS_ROUTE_READYZ, &k), -1);
    ASSERT_STR_EQ(fs_api_route_name(FS_ROUTE_HANDOFF), "/api/handoff");
}

#define P(k, v)                                                                          \
    {                                                                                    \
        k, v, sizeof(k) - 1, sizeof(v) - 1                                               \
    }

static fs_err_t params(const fs_api_param_t *p, size_t n, fs_query_opts_t *o, char *e)
{
    memset(o, 0, sizeof(*o));
    e[0] = '\0';
    return fs_api_params(p, n, o, e, 256);
}

static void test_params(void)
{
    fs_query_opts_t o;
    char e[256];
    const fs_api_param_t ok[] = {P("from", "2026-11-01"), P("model", "linear")};
    ASSERT_EQ(params(ok, 2, &o, e), FS_OK);
    ASSERT_STR_EQ(o.v[FS_OPT_FROM], "2026-11-01");
    ASSERT_STR_EQ(o.v[FS_OPT_MODEL], "linear");
    ASSERT(o.v[FS_OPT_TO] == NULL);

    const fs_api_param_t unknown[] = {P("from", "2026-11-01"), P("frm", "x")};
    ASSERT_EQ(params(unknown, 2, &o, e), FS_ERR_INVALID);
    ASSERT_STR_EQ(e, "frm: unknown parameter");

    const fs_api_param_t twice[] = {P("to", "2026-11-01"), P("to", "2026-11-02")};
    ASSERT_EQ(params(twice, 2, &o, e), FS_ERR_INVALID);
    ASSERT_STR_EQ(e, "to: given twice");

    const fs_api_param_t empty[] = {P("channel", "")};
    ASSERT_EQ(params(empty, 1, &o, e), FS_ERR_INVALID);
    ASSERT_STR_EQ(e, "channel: empty value");

    const fs_api_param_t novalue[] = {{"channel", NULL, 7, 0}};
    ASSERT_EQ(params(novalue, 1, &o, e), FS_ERR_INVALID);
    ASSERT_STR_EQ(e, "channel: empty value");

    /* A decoded %00 inside a value. */
    const fs_api_param_t nul[] = {{"from", "2026\0-11-01", 4, 11}};
    ASSERT_EQ(params(nul, 1, &o, e), FS_ERR_INVALID);
    ASSERT_STR_EQ(e, "from: contains a NUL byte");

    const fs_api_param_t ctl[] = {{"fr\x01om\xff", "1", 6, 1}};
    ASSERT_EQ(params(ctl, 1, &o, e), FS_ERR_INVALID);
    ASSERT_STR_EQ(e, "fr?om?: unknown parameter");

    /* 10 kB: refused by length, naming the longest parameter. */
    static char big[10241];
    memset(big, 'A', 10240);
    const fs_api_param_t longp[] = {P("to", "2026-11-01"), {"campaign", big, 8, 10240}};
    ASSERT_EQ(params(longp, 2, &o, e), FS_ERR_INVALID);
    ASSERT_STR_EQ(e, "campaign: 10248 bytes; the parameters hold at most 2048 in all");
}

static void test_error_body(void)
{
    fs_buf_t b = FS_BUF_INIT;
    ASSERT_EQ(fs_api_error_body("from: \"x\\\x01\" bad", &b), FS_OK);
    ASSERT_STR_EQ(text(&b), "{\"error\":\"from: \\\"x\\\\\\u0001\\\" bad\"}\n");
    fs_buf_reset(&b);
    /* Invalid UTF-8 (a lone continuation byte, a truncated sequence) becomes '?';
     * valid UTF-8 passes. */
    ASSERT_EQ(fs_api_error_body("a\x80 b\xc3 \xc3\xa9t\xc3\xa9 \xe2\x82", &b), FS_OK);
    ASSERT_STR_EQ(text(&b), "{\"error\":\"a? b? \xc3\xa9t\xc3\xa9 ??\"}\n");
    fs_buf_free(&b);
}

static void test_metrics(void)
{
    fs_serve_metrics_t *m = fs_serve_metrics_new();
    fs_buf_t b = FS_BUF_INIT;
    ASSERT(m);
    fs_serve_metrics_request(m, FS_ROUTE_FUNNEL, 200, 0.0004);
    fs_serve_metrics_request(m, FS_ROUTE_FUNNEL, 200, 0.003);
    fs_serve_metrics_request(m, FS_ROUTE_FUNNEL, 400, 0.0001);
    fs_serve_metrics_request(m, FS_ROUTE_OTHER, 418, 30);
    fs_serve_metrics_redis_error(m);
    ASSERT_EQ(fs_serve_metrics_render(m, 1, &b), FS_OK);
    const char *t = text(&b);
    ASSERT_CONTAINS(t, "# TYPE funnel_dashboard_requests_total counter\n");
    ASSERT_CONTAINS(
        t, "funnel_dashboard_requests_total{path=\"/api/funnel\",code=\"200\"} 2\n");
    ASSERT_CONTAINS(
        t, "funnel_dashboard_requests_total{path=\"/api/funnel\",code=\"400\"} 1\n");
    ASSERT_CONTAINS(t,
                    "funnel_dashboard_requests_total{path=\"other\",code=\"other\"} 1\n");
    ASSERT_CONTAINS(t, "# TYPE funnel_dashboard_request_duration_seconds histogram\n");
    ASSERT_CONTAINS(t, "funnel_dashboard_request_duration_seconds_bucket{path=\"/api/"
                       "funnel\",le=\"0.0005\"} 2\n");
    ASSERT_CONTAINS(t, "funnel_dashboard_request_duration_seconds_bucket{path=\"/api/"
                       "funnel\",le=\"0.005\"} 3\n");
    ASSERT_CONTAINS(t, "funnel_dashboard_request_duration_seconds_bucket{path=\"other\","
                       "le=\"5\"} 0\n");
    ASSERT_CONTAINS(t, "funnel_dashboard_request_duration_seconds_bucket{path=\"other\","
                       "le=\"+Inf\"} 1\n");
    ASSERT_CONTAINS(
        t, "funnel_dashboard_request_duration_seconds_count{path=\"/api/funnel\"} 3\n");
    ASSERT_CONTAINS(t, "funnel_dashboard_redis_errors_total 1\n");
    ASSERT_CONTAINS(t, "funnel_dashboard_redis_ready 1\n");
    fs_buf_free(&b);
    fs_serve_metrics_destroy(m);
    fs_serve_metrics_destroy(NULL);
}

int main(void)
{
    RUN(test_routes);
    RUN(test_params);
    RUN(test_error_body);
    RUN(test_metrics);
    return 0;
}
