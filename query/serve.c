/*
 * serve.c — the dashboard's HTTP server on libmicrohttpd (see serve.h).
 *
 * Threads: opts.threads libmicrohttpd threads (poll(2), as the collector,
 * whose http.c explains why not epoll) answer requests synchronously:
 * a query takes about a millisecond of Redis round trips, so suspending
 * connections would buy nothing.  What they share is the connection pool
 * (pool_mu) and atomics (metrics, ready).
 */
#include "serve.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "api.h"
#include "fs_buf.h"
#include "fs_day.h"
#include "fs_httpd.h"
#include "serve_metrics.h"
#include "store.h"
#include "web_page.h"

#define MAX_PARAMS 32
#define POOL_MAX 64

struct fs_serve {
    const fs_conf_t *conf;
    fs_log_t *lg;
    fs_serve_opts_t opts;
    struct MHD_Daemon *mhd;
    fs_serve_metrics_t *metrics;
    atomic_int ready;
    pthread_mutex_t pool_mu;
    int pool_mu_init;
    fs_qstore_t *idle[POOL_MAX];
    size_t nidle;
};

/* Per request, from its first header to its completion. */
typedef struct request {
    struct timespec start;
} request_t;

typedef struct params {
    fs_api_param_t p[MAX_PARAMS];
    size_t n;
    int too_many;
} params_t;

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ---- Redis connections ------------------------------------------------ */

static fs_qstore_t *pool_take(fs_serve_t *sv, int *pooled, char *errstr, size_t sz)
{
    fs_qstore_t *qs = NULL;
    pthread_mutex_lock(&sv->pool_mu);
    if (sv->nidle)
        qs = sv->idle[--sv->nidle];
    pthread_mutex_unlock(&sv->pool_mu);
    *pooled = qs != NULL;
    return qs ? qs : fs_qstore_open(sv->conf, errstr, sz);
}

/* Returns @p qs to the pool, or closes it when it failed (its replies may
 * be out of step) or the pool is full. */
static void pool_put(fs_serve_t *sv, fs_qstore_t *qs, int healthy)
{
    if (qs && healthy) {
        pthread_mutex_lock(&sv->pool_mu);
        if (sv->nidle < POOL_MAX) {
            sv->idle[sv->nidle++] = qs;
            qs = NULL;
        }
        pthread_mutex_unlock(&sv->pool_mu);
    }
    fs_qstore_destroy(qs);
}

/* ---- answers ----------------------------------------------------------- */

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status,
                               const char *type, const void *body, size_t len,
                               int must_copy)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, (void *)body, must_copy ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (status == 405)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    if (!strncmp(type, "text/html", 9))
        /* Everything the page needs is in the page: nothing else may load. */
        MHD_add_response_header(resp, "Content-Security-Policy",
                                "default-src 'none'; script-src 'unsafe-inline'; "
                                "style-src 'unsafe-inline'; connect-src 'self'; "
                                "img-src data:; base-uri 'none'; form-action 'none'");
    enum MHD_Result ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

#define JSON_TYPE "application/json"

static enum MHD_Result respond_error(struct MHD_Connection *conn, unsigned status,
                                     const char *msg)
{
    fs_buf_t b = FS_BUF_INIT;
    enum MHD_Result ret;
    if (fs_api_error_body(msg, &b) != FS_OK)
        ret = respond(conn, 500, JSON_TYPE, "{\"error\":\"out of memory\"}\n", 26, 0);
    else
        ret = respond(conn, status, JSON_TYPE, b.data, b.len, 1);
    fs_buf_free(&b);
    return ret;
}

static enum MHD_Result collect_param(void *cls, enum MHD_ValueKind kind, const char *key,
                                     size_t key_size, const char *value,
                                     size_t value_size)
{
    params_t *ps = cls;
    (void)kind;
    if (ps->n == MAX_PARAMS) {
        ps->too_many = 1;
        return MHD_NO;
    }
    ps->p[ps->n++] = (fs_api_param_t){key, value, key_size, value ? value_size : 0};
    return MHD_YES;
}

static int64_t today(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return fs_day_from_ms((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Reads and renders one query; *status is the HTTP status on failure. */
static fs_err_t run_query(fs_serve_t *sv, fs_query_kind_t kind, const fs_query_opts_t *o,
                          fs_buf_t *out, unsigned *status, char *errstr, size_t sz)
{
    fs_err_t err = FS_OK;
    /* A pooled connection may have died with a Redis restart: one retry
     * on a fresh connection tells that apart from Redis being down. */
    for (int attempt = 0; attempt < 2; attempt++) {
        fs_query_t *q = NULL;
        int pooled = 0;
        fs_qstore_t *qs = NULL;
        out->len = 0;
        err = fs_query_new(kind, o, today(), FS_REPORT_JSON, "", &q, errstr, sz);
        if (err) {
            *status = err == FS_ERR_INVALID ? 400 : 500;
            return err;
        }
        if (!(qs = pool_take(sv, &pooled, errstr, sz)))
            err = FS_ERR_TRANSIENT;
        else if (!(err = fs_query_read(q, qs, errstr, sz)))
            err = fs_query_render(q, out);
        pool_put(sv, qs, err == FS_OK || err == FS_ERR_INVALID);
        fs_query_destroy(q);
        if (err == FS_ERR_TRANSIENT && pooled)
            continue;
        break;
    }
    switch (err) {
    case FS_OK:
        atomic_store(&sv->ready, 1);
        break;
    case FS_ERR_INVALID: /* the namespace keeps no attribution */
        *status = 409;
        break;
    case FS_ERR_TRANSIENT:
    case FS_ERR_IO:
        atomic_store(&sv->ready, 0);
        fs_serve_metrics_redis_error(sv->metrics);
        *status = 503;
        break;
    default:
        fs_serve_metrics_redis_error(sv->metrics);
        *status = 500;
        break;
    }
    return err;
}

static enum MHD_Result answer_query(fs_serve_t *sv, struct MHD_Connection *conn,
                                    fs_query_kind_t kind, unsigned *status)
{
    params_t ps = {.n = 0};
    fs_query_opts_t o;
    fs_buf_t out = FS_BUF_INIT;
    char errstr[768];
    enum MHD_Result ret;

    memset(&o, 0, sizeof(o));
    o.sla_days = sv->opts.sla_days;
    MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, collect_param, &ps);
    if (ps.too_many) {
        *status = 400;
        snprintf(errstr, sizeof(errstr), "query string: more than %d parameters",
                 MAX_PARAMS);
        return respond_error(conn, *status, errstr);
    }
    if (fs_api_params(ps.p, ps.n, &o, errstr, sizeof(errstr)) != FS_OK) {
        *status = 400;
        return respond_error(conn, *status, errstr);
    }
    *status = 200;
    if (run_query(sv, kind, &o, &out, status, errstr, sizeof(errstr)) != FS_OK) {
        if (*status >= 500)
            FS_WARN(sv->lg, "%s: %s", fs_query_kind_name(kind), errstr);
        ret = respond_error(conn, *status, errstr);
    } else {
        ret = respond(conn, 200, JSON_TYPE, out.data, out.len, 1);
    }
    fs_buf_free(&out);
    return ret;
}

static enum MHD_Result answer_readyz(fs_serve_t *sv, struct MHD_Connection *conn,
                                     unsigned *status)
{
    char errstr[512];
    int pooled;
    fs_qstore_t *qs = pool_take(sv, &pooled, errstr, sizeof(errstr));
    fs_err_t err = qs ? fs_qstore_ping(qs, errstr, sizeof(errstr)) : FS_ERR_TRANSIENT;
    pool_put(sv, qs, err == FS_OK);
    if (err && pooled) { /* a connection left over from before a Redis restart */
        qs = pool_take(sv, &pooled, errstr, sizeof(errstr));
        err = qs ? fs_qstore_ping(qs, errstr, sizeof(errstr)) : FS_ERR_TRANSIENT;
        pool_put(sv, qs, err == FS_OK);
    }
    atomic_store(&sv->ready, err == FS_OK);
    if (err) {
        fs_serve_metrics_redis_error(sv->metrics);
        *status = 503;
        return respond_error(conn, 503, errstr);
    }
    *status = 200;
    return respond(conn, 200, JSON_TYPE, "{\"ready\":true}\n", 15, 0);
}

static enum MHD_Result answer_metrics(fs_serve_t *sv, struct MHD_Connection *conn,
                                      unsigned *status)
{
    fs_buf_t b = FS_BUF_INIT;
    enum MHD_Result ret;
    if (fs_serve_metrics_render(sv->metrics, atomic_load(&sv->ready), &b) != FS_OK) {
        *status = 500;
        ret = respond_error(conn, 500, "out of memory");
    } else {
        *status = 200;
        ret = respond(conn, 200, "text/plain; version=0.0.4; charset=utf-8", b.data,
                      b.len, 1);
    }
    fs_buf_free(&b);
    return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version,
                              const char *upload_data, size_t *upload_data_size,
                              void **con_cls)
{
    fs_serve_t *sv = cls;
    request_t *req = *con_cls;
    fs_api_route_t route;
    fs_query_kind_t kind;
    unsigned status;
    enum MHD_Result ret;
    (void)version;
    (void)upload_data;

    if (!req) { /* headers only: answer once the (ignored) body is read */
        if (!(req = calloc(1, sizeof(*req))))
            return MHD_NO;
        clock_gettime(CLOCK_MONOTONIC, &req->start);
        *con_cls = req;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0; /* no route takes a body */
        return MHD_YES;
    }
    status = fs_api_route(method, url, &route);
    if (status == 404)
        ret = respond_error(conn, 404, "no such page");
    else if (status == 405)
        ret = respond_error(conn, 405, "method not allowed: use GET");
    else if (fs_api_route_kind(route, &kind) == 0)
        ret = answer_query(sv, conn, kind, &status);
    else if (route == FS_ROUTE_PAGE)
        ret = respond(conn, 200, "text/html; charset=utf-8", fs_web_index_html,
                      fs_web_index_html_len, 0);
    else if (route == FS_ROUTE_HEALTHZ)
        ret = respond(conn, 200, JSON_TYPE, "{\"alive\":true}\n", 15, 0);
    else if (route == FS_ROUTE_READYZ)
        ret = answer_readyz(sv, conn, &status);
    else
        ret = answer_metrics(sv, conn, &status);
    fs_serve_metrics_request(sv->metrics, route, status, since(&req->start));
    return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    free(*con_cls);
    *con_cls = NULL;
}

/* ---- lifecycle -------------------------------------------------------- */

fs_serve_t *fs_serve_new(const fs_conf_t *conf, const fs_serve_opts_t *opts, fs_log_t *lg,
                         char *errstr, size_t sz)
{
    fs_httpd_addr_t addr;
    fs_serve_t *sv = NULL;

    if (fs_httpd_resolve(opts->listen, "serve.listen", &addr, errstr, sz) != FS_OK)
        return NULL;
    if (!(sv = calloc(1, sizeof(*sv))) || !(sv->metrics = fs_serve_metrics_new())) {
        snprintf(errstr, sz, "out of memory");
        goto fail;
    }
    sv->conf = conf;
    sv->lg = lg;
    sv->opts = *opts;
    sv->opts.listen = NULL; /* borrowed for this call only */
    if (pthread_mutex_init(&sv->pool_mu, NULL) != 0) {
        snprintf(errstr, sz, "cannot create a mutex");
        goto fail;
    }
    sv->pool_mu_init = 1;
    atomic_store(&sv->ready, 0);
    /* 16 KiB per connection bounds a request's headers and URL: a longer
     * one is refused by libmicrohttpd (414/431) before it reaches us. */
    sv->mhd = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG |
            addr.mhd_flags,
        (uint16_t)addr.port, NULL, NULL, handle, sv, MHD_OPTION_NOTIFY_COMPLETED,
        completed, sv, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384, MHD_OPTION_SOCK_ADDR, addr.sa,
        MHD_OPTION_EXTERNAL_LOGGER, fs_httpd_log, lg, MHD_OPTION_CONNECTION_LIMIT,
        opts->max_connections, MHD_OPTION_LISTEN_BACKLOG_SIZE, 256u,
        opts->threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, opts->threads,
        MHD_OPTION_END);
    if (!sv->mhd) {
        snprintf(errstr, sz, "serve.listen: cannot serve on %s: %s", opts->listen,
                 errno ? strerror(errno) : "libmicrohttpd refused");
        goto fail;
    }
    fs_httpd_addr_free(&addr);
    return sv;
fail:
    fs_httpd_addr_free(&addr);
    fs_serve_destroy(sv);
    return NULL;
}

int fs_serve_port(const fs_serve_t *sv)
{
    return fs_httpd_port(sv->mhd);
}
void fs_serve_destroy(fs_serve_t *sv)
{
    if (!sv)
        return;
    if (sv->mhd)
        MHD_stop_daemon(sv->mhd); /* joins the threads: nothing runs after this */
    while (sv->nidle)
        fs_qstore_destroy(sv->idle[--sv->nidle]);
    if (sv->pool_mu_init)
        pthread_mutex_destroy(&sv->pool_mu);
    fs_serve_metrics_destroy(sv->metrics);
    free(sv);
}
