/*
 * config.c — the collector's settings table and its translation into
 * server options (see config.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cors.h"
#include "cpus.h"
#include "fs_file.h"
#include "writekeys.h"

#define KEYS_FILE_MAX (1 << 20)

/* Reads all of @p path (at most KEYS_FILE_MAX bytes) into a new string. */
static char *slurp(const char *path, char *errstr, size_t sz)
{
    size_t n;
    char *text = fs_file_read(path, KEYS_FILE_MAX, &n, errstr, sz);
    if (text && memchr(text, '\0', n)) {
        snprintf(errstr, sz, "%s: contains a NUL byte (not a text file)", path);
        free(text);
        return NULL;
    }
    return text;
}

/* Loads @p list and the file @p path (either may be NULL) into a new set;
 * a configured source without any key is an error, so that an empty file
 * never silently turns authentication off. */
static fs_writekeys_t *load_keys(const char *list, const char *path, const char **bad_key,
                                 char *errstr, size_t sz)
{
    char e[300];
    fs_writekeys_t *wk = fs_writekeys_new();
    char *text = NULL;
    if (!wk) {
        snprintf(errstr, sz, "out of memory");
        return NULL;
    }
    if (list) {
        *bad_key = "collector.write_keys";
        if (fs_writekeys_add_list(wk, list, e, sizeof(e)) != FS_OK) {
            snprintf(errstr, sz, "%s", e);
            goto fail;
        }
        if (fs_writekeys_count(wk) == 0) {
            snprintf(errstr, sz, "no key in the list");
            goto fail;
        }
    }
    if (path) {
        size_t before = fs_writekeys_count(wk);
        *bad_key = "collector.write_keys_file";
        if (!(text = slurp(path, errstr, sz)))
            goto fail;
        if (fs_writekeys_add_text(wk, text, e, sizeof(e)) != FS_OK) {
            snprintf(errstr, sz, "%s: %s", path, e);
            goto fail;
        }
        if (fs_writekeys_count(wk) == before) {
            snprintf(errstr, sz, "%s: no key in the file", path);
            goto fail;
        }
    }
    free(text);
    return wk;
fail:
    free(text);
    fs_writekeys_destroy(wk);
    return NULL;
}

static fs_err_t check_keys_list(const char *v, char *errstr, size_t sz)
{
    const char *which;
    fs_writekeys_t *wk = load_keys(v, NULL, &which, errstr, sz);
    fs_writekeys_destroy(wk);
    return wk ? FS_OK : FS_ERR_INVALID;
}

static fs_err_t check_keys_file(const char *v, char *errstr, size_t sz)
{
    const char *which;
    fs_writekeys_t *wk = load_keys(NULL, v, &which, errstr, sz);
    fs_writekeys_destroy(wk);
    return wk ? FS_OK : FS_ERR_INVALID;
}

static fs_err_t check_channel_table(const char *v, char *errstr, size_t sz)
{
    fs_channel_table_t *t = fs_channel_table_load(v, errstr, sz);
    fs_channel_table_destroy(t);
    return t ? FS_OK : FS_ERR_INVALID;
}

const fs_conf_def_t fs_collector_defs[] = {
    {"collector.ack_timeout_ms", "ack-timeout-ms", "FUNNEL_ACK_TIMEOUT_MS", FS_CONF_INT,
     "10000", 100, 300000, NULL,
     "how long Kafka may take to acknowledge events before the request gets 503"},
    {"collector.max_body_bytes", "max-body-bytes", NULL, FS_CONF_INT, "524288", 1024,
     524288, NULL, "largest request body (413 above)"},
    {"collector.max_events", "max-events", NULL, FS_CONF_INT, "500", 1, 500, NULL,
     "most events per request (400 above)"},
    {"collector.conn_timeout_s", "conn-timeout-s", NULL, FS_CONF_INT, "30", 1, 3600, NULL,
     "a connection on which nothing arrives for this long is closed"},
    {"collector.request_deadline_s", "request-deadline-s", NULL, FS_CONF_INT, "30", 1,
     3600, NULL,
     "a request's headers and body must arrive whole within this, however steadily the "
     "bytes trickle in; the connection is closed otherwise (counted from the connection, "
     "or from the end of the previous request on a keep-alive connection)"},
    {"collector.body_budget_bytes", "body-budget-bytes", NULL, FS_CONF_INT, "268435456",
     1048576, 68719476736LL, NULL,
     "bytes of request bodies held by all connections together; memory is taken as "
     "bytes arrive, and a request that would take it past this gets 503 with "
     "Retry-After"},
    {"collector.max_connections", "max-connections", NULL, FS_CONF_INT, "4096", 16,
     1000000, NULL,
     "open client connections at most (raise the file descriptor limit to match); "
     "further connections are closed at once"},
    {"collector.max_conns_per_addr", "max-conns-per-addr", NULL, FS_CONF_INT, "256", 0,
     1000000, NULL,
     "open connections at most per client IP address (0 = no cap); further ones are "
     "closed at once.  Behind a proxy every client has the proxy's address: raise it or "
     "set 0"},
    {"collector.health_listen", "health-listen", NULL, FS_CONF_STRING, NULL, 0, 0, NULL,
     "host:port of a second listener serving only /healthz, /readyz and /metrics, with "
     "its own thread and connections, so probes are answered when the main listener is "
     "full; unset = none (they are served on listen as always)"},
    {"collector.conn_memory_limit", "conn-memory-limit", NULL, FS_CONF_INT, "16384", 8192,
     16777216, NULL,
     "bytes of memory per connection for the request line, headers and read buffer; a "
     "request whose headers do not fit gets 431 (bodies are copied out, so this does not "
     "bound them; libmicrohttpd clears it at every keep-alive request)"},
    {"collector.http_threads", "http-threads", "FUNNEL_HTTP_THREADS", FS_CONF_INT, "0", 0,
     64, NULL,
     "threads serving HTTP (a libmicrohttpd thread pool); 0 = one more than the CPUs "
     "the process may use (its affinity and cgroup CPU quota; at most 64): a connection "
     "stays on one "
     "thread, and the spare one keeps the cores busy when one thread's connections all "
     "wait for Kafka"},
    {"collector.bulk_linger_ms", "bulk-linger-ms", "FUNNEL_BULK_LINGER_MS", FS_CONF_INT,
     "50", 0, 1000, NULL,
     "linger.ms of a second Kafka producer that takes requests of bulk_min_events or "
     "more "
     "events: fewer, larger produce requests for batches, while single events and small "
     "batches keep the first producer's linger.ms (5, or -X linger.ms); 0 = one producer "
     "for everything"},
    {"collector.bulk_min_events", "bulk-min-events", "FUNNEL_BULK_MIN_EVENTS",
     FS_CONF_INT, "20", 2, 500, NULL,
     "accepted events from which a request goes to the bulk producer (at most "
     "collector.max_events)"},
    {"collector.drain_ms", "drain-ms", NULL, FS_CONF_INT, "15000", 0, 600000, NULL,
     "on SIGTERM, how long in-flight requests may take to finish"},
    {"collector.write_keys", "write-keys", "FUNNEL_WRITE_KEYS", FS_CONF_STRING, NULL, 0,
     0, check_keys_list,
     "comma-separated write keys; when set (or write_keys_file), POST /v1/events and the "
     "pixel need one as the HTTP Basic user name or ?write_key= (401 otherwise)"},
    {"collector.write_keys_file", "write-keys-file", "FUNNEL_WRITE_KEYS_FILE",
     FS_CONF_STRING, NULL, 0, 0, check_keys_file,
     "file of write keys, one per line, # comments; adds to collector.write_keys"},
    {"collector.rate_per_s", "rate-per-s", NULL, FS_CONF_INT, "0", 0, 10000000, NULL,
     "events per second allowed per write key (or per client IP without one); 0 = no "
     "limit; above it requests get 429 with Retry-After"},
    {"collector.burst", "burst", NULL, FS_CONF_INT, "0", 0, 100000000, NULL,
     "events a client may send at once before rate_per_s applies; 0 = one second's worth "
     "(rate_per_s)"},
    {"collector.rate_table_size", "rate-table-size", NULL, FS_CONF_INT, "65536", 16,
     16777216, NULL,
     "most clients whose rate is tracked at once (about 100 bytes each); the least "
     "recently seen is forgotten first"},
    {"collector.cors_origins", "cors-origins", "FUNNEL_CORS_ORIGINS", FS_CONF_STRING,
     NULL, 0, 0, fs_cors_check,
     "comma-separated browser origins (scheme://host[:port]) allowed to call /v1/events, "
     "the Segment API, /v1/definition and the pixel, or * for any; unset = no CORS "
     "headers"},
    {"collector.channel_table", "channel-table", "FUNNEL_CHANNEL_TABLE", FS_CONF_STRING,
     NULL, 0, 0, check_channel_table,
     "file replacing the built-in channel grouping table (docs/channels.md), applied to "
     "every event that arrives without a channel"},
    {"collector.cors_max_age_s", "cors-max-age-s", NULL, FS_CONF_INT, "600", 0, 86400,
     NULL, "how long browsers may cache a CORS preflight answer"},
};
const size_t fs_collector_ndefs =
    sizeof(fs_collector_defs) / sizeof(fs_collector_defs[0]);

fs_err_t fs_collector_opts(const fs_conf_t *conf, fs_server_opts_t *opts, char *errstr,
                           size_t sz)
{
    char e[400];
    const char *which = "collector.write_keys";
    memset(opts, 0, sizeof(*opts));
    opts->listen = fs_conf_str(conf, "listen");
    opts->max_body_bytes = (size_t)fs_conf_int(conf, "collector.max_body_bytes");
    opts->max_events = (size_t)fs_conf_int(conf, "collector.max_events");
    opts->conn_timeout_s = (unsigned)fs_conf_int(conf, "collector.conn_timeout_s");
    opts->request_deadline_s =
        (unsigned)fs_conf_int(conf, "collector.request_deadline_s");
    opts->body_budget_bytes = (size_t)fs_conf_int(conf, "collector.body_budget_bytes");
    opts->max_connections = (unsigned)fs_conf_int(conf, "collector.max_connections");
    opts->max_conns_per_addr =
        (unsigned)fs_conf_int(conf, "collector.max_conns_per_addr");
    opts->health_listen = fs_conf_str(conf, "collector.health_listen");
    opts->conn_memory_limit = (size_t)fs_conf_int(conf, "collector.conn_memory_limit");
    opts->threads = (unsigned)fs_conf_int(conf, "collector.http_threads");
    if (opts->threads == 0) {
        long cpus = fs_usable_cpus();
        opts->threads = cpus >= 63 ? 64 : (unsigned)cpus + 1;
    }
    opts->bulk_min_events = (size_t)fs_conf_int(conf, "collector.bulk_min_events");
    if (fs_conf_int(conf, "collector.bulk_linger_ms") > 0 &&
        opts->bulk_min_events > opts->max_events) {
        snprintf(
            errstr, sz,
            "collector.bulk_min_events: %zu is above collector.max_events (%zu), so the "
            "bulk producer would take nothing; lower it, or set "
            "collector.bulk_linger_ms = 0 for one producer",
            opts->bulk_min_events, opts->max_events);
        goto fail;
    }
    opts->retry_after_s = 2;
    opts->rate_per_s = (double)fs_conf_int(conf, "collector.rate_per_s");
    opts->burst = (double)fs_conf_int(conf, "collector.burst");
    if (opts->burst == 0)
        opts->burst = opts->rate_per_s;
    opts->rate_table_size = (size_t)fs_conf_int(conf, "collector.rate_table_size");
    opts->cors_max_age_s = (int)fs_conf_int(conf, "collector.cors_max_age_s");
    const char *list = fs_conf_str(conf, "collector.write_keys");
    const char *path = fs_conf_str(conf, "collector.write_keys_file");
    if (list || path) {
        opts->write_keys = load_keys(list, path, &which, e, sizeof(e));
        if (!opts->write_keys) {
            snprintf(errstr, sz, "%s: %s", which, e);
            goto fail;
        }
    }
    opts->cors = fs_cors_new(fs_conf_str(conf, "collector.cors_origins"), e, sizeof(e));
    if (!opts->cors) {
        snprintf(errstr, sz, "collector.cors_origins: %s", e);
        goto fail;
    }
    const char *table = fs_conf_str(conf, "collector.channel_table");
    opts->channels = table ? fs_channel_table_load(table, e, sizeof(e))
                           : fs_channel_table_default(e, sizeof(e));
    if (!opts->channels) {
        snprintf(errstr, sz, "collector.channel_table: %s", e);
        goto fail;
    }
    return FS_OK;
fail:
    fs_collector_opts_clear(opts);
    return FS_ERR_INVALID;
}

void fs_collector_opts_clear(fs_server_opts_t *opts)
{
    fs_writekeys_destroy(opts->write_keys);
    fs_cors_destroy(opts->cors);
    fs_channel_table_destroy(opts->channels);
    opts->channels = NULL;
    opts->write_keys = NULL;
    opts->cors = NULL;
}
