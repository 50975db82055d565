/*
 * endpoint.c — the worker's /metrics, /healthz, /readyz (see endpoint.h).
 */
#include "endpoint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "fs_buf.h"
#include "fs_httpd.h"
#include "fs_redis.h"

#define REDIS_TIMEOUT_MS 1000
/* Per partition; after one failure the rest of the scrape uses the cached
 * watermarks, so a broker outage costs a scrape one timeout, not one per
 * partition. */
#define WATERMARK_TIMEOUT_MS 1000

struct fs_worker_endpoint {
    struct MHD_Daemon *mhd;
    const fs_conf_t *conf;   /* borrowed */
    fs_counters_t *counters; /* borrowed */
    rd_kafka_t *rk;          /* borrowed */
    char topic[256];
    redisContext *redis; /* MHD thread only */
    int broker_failed;   /* MHD thread only: this scrape gave up asking */
};

/* PING on the endpoint's own connection, reconnecting when it broke.
 * @locality the MHD thread. */
static int redis_up(fs_worker_endpoint_t *ep, char *why, size_t sz)
{
    if (!ep->redis) {
        if (!(ep->redis = fs_redis_connect(ep->conf, REDIS_TIMEOUT_MS, why, sz)))
            return 0;
    }
    redisReply *r = redisCommand(ep->redis, "PING");
    int ok = fs_redis_reply_ok(ep->redis, r, "redis PING", why, sz) == 0;
    if (r)
        freeReplyObject(r);
    if (!ok) {
        redisFree(ep->redis); /* the next check reconnects */
        ep->redis = NULL;
    }
    return ok;
}

/* @locality the MHD thread. */
static int watermarks(void *ctx, int32_t p, int64_t *lo, int64_t *hi)
{
    fs_worker_endpoint_t *ep = ctx;
    /* Asked, not cached: librdkafka's cached high watermark only moves with
     * fetches, which stop while the worker is busy or Redis is down —
     * exactly when the lag matters. */
    if (!ep->broker_failed &&
        rd_kafka_query_watermark_offsets(ep->rk, ep->topic, p, lo, hi,
                                         WATERMARK_TIMEOUT_MS) == 0)
        return 0;
    ep->broker_failed = 1;
    return rd_kafka_get_watermark_offsets(ep->rk, ep->topic, p, lo, hi) == 0 ? 0 : -1;
}

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status,
                              const char *type, const void *body, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result text(struct MHD_Connection *conn, unsigned status, const char *s)
{
    return answer(conn, status, "text/plain; charset=utf-8", s, strlen(s));
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version,
                              const char *upload_data, size_t *upload_size,
                              void **con_cls)
{
    fs_worker_endpoint_t *ep = cls;
    (void)version;
    (void)upload_data;
    (void)con_cls;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        if (*upload_size) { /* bodies are not read: drop them */
            *upload_size = 0;
            return MHD_YES;
        }
        return text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n");
    }
    char why[512];
    if (strcmp(url, "/healthz") == 0)
        return text(conn, MHD_HTTP_OK, "ok\n");
    if (strcmp(url, "/readyz") == 0) {
        int owned = fs_counters_owned(ep->counters);
        if (!redis_up(ep, why, sizeof(why))) {
            char body[600];
            snprintf(body, sizeof(body), "not ready: %s\n", why);
            return text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, body);
        }
        if (owned == 0)
            return text(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
                        "not ready: owns no partition of the events topic\n");
        return text(conn, MHD_HTTP_OK, "ready\n");
    }
    if (strcmp(url, "/metrics") == 0) {
        fs_buf_t out = FS_BUF_INIT;
        int up = redis_up(ep, why, sizeof(why));
        ep->broker_failed = 0;
        enum MHD_Result ret;
        if (fs_counters_render(ep->counters, ep->topic, watermarks, ep, up, &out) ==
            FS_OK)
            ret = answer(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
                         out.data ? (const char *)out.data : "", out.len);
        else
            ret = text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
        fs_buf_free(&out);
        return ret;
    }
    return text(conn, MHD_HTTP_NOT_FOUND, "not found: /metrics, /healthz, /readyz\n");
}

fs_worker_endpoint_t *fs_worker_endpoint_new(const char *listen, const fs_conf_t *conf,
                                             fs_counters_t *counters, rd_kafka_t *rk,
                                             const char *topic, fs_log_t *lg,
                                             char *errstr, size_t sz)
{
    fs_httpd_addr_t addr;
    if (fs_httpd_resolve(listen, "worker.listen", &addr, errstr, sz) != FS_OK)
        return NULL;
    fs_worker_endpoint_t *ep = calloc(1, sizeof(*ep));
    if (!ep) {
        fs_httpd_addr_free(&addr);
        snprintf(errstr, sz, "out of memory");
        return NULL;
    }
    ep->conf = conf;
    ep->counters = counters;
    ep->rk = rk;
    snprintf(ep->topic, sizeof(ep->topic), "%s", topic);
    /* One internal thread, poll(2): a handful of scrapes, no suspension. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG |
                     addr.mhd_flags;
    errno = 0;
    ep->mhd =
        MHD_start_daemon(flags, (uint16_t)addr.port, NULL, NULL, handle, ep,
                         /* the logger first, or MHD logs the options before it itself */
                         MHD_OPTION_EXTERNAL_LOGGER, fs_httpd_log, lg,
                         MHD_OPTION_SOCK_ADDR, addr.sa, MHD_OPTION_CONNECTION_TIMEOUT,
                         10u, MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_END);
    int mhd_errno = errno;
    fs_httpd_addr_free(&addr);
    if (!ep->mhd) {
        snprintf(errstr, sz, "worker.listen: cannot serve on %s: %s", listen,
                 mhd_errno ? strerror(mhd_errno) : "libmicrohttpd refused");
        free(ep);
        return NULL;
    }
    return ep;
}

void fs_worker_endpoint_destroy(fs_worker_endpoint_t *ep)
{
    if (!ep)
        return;
    if (ep->mhd)
        MHD_stop_daemon(ep->mhd); /* joins the thread: nothing uses redis after */
    if (ep->redis)
        redisFree(ep->redis);
    free(ep);
}
