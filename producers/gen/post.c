/*
 * post.c — batches, paces and posts events to the collector (see post.h).
 *
 * One libcurl easy handle is reused for every request, so libcurl keeps the
 * connection alive between batches.  A batch is kept byte for byte until
 * the collector answers 2xx, then dropped; a retry re-sends the same bytes.
 */
#include "post.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fs_buf.h"
#include "fs_signal.h"

#define NS_PER_MS 1000000LL
#define NS_PER_S 1000000000LL
#define LINGER_NS (200 * NS_PER_MS) /* longest a queued event waits for its batch */
#define MAX_ATTEMPTS 12             /* ~2.5 min of capped backoff before giving up */
#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 30000
#define RETRY_AFTER_MAX_S 60 /* a Retry-After longer than this is capped */
#define MAX_LOGGED_REJECTS 5 /* per response, so a bad run cannot flood the log */
#define MAX_RESPONSE (1 << 20)

struct fs_post {
    CURL *curl;
    struct curl_slist *headers;
    char *url, *write_key, *user_agent;
    fs_log_t *lg; /* borrowed */
    long long rate;
    size_t batch;
    fs_buf_t body; /* "[e0,e1,...": the queued events as a JSON array without ']' */
    size_t nqueued;
    size_t offsets[FS_POST_MAX_BATCH]; /* where each queued event starts in body */
    int64_t batch_t0_ns;               /* when the oldest queued event was added */
    int64_t start_ns;                  /* pacing origin: the first event */
    unsigned long long paced;          /* events released by the pacer */
    fs_buf_t resp;
    fs_post_stats_t st;
    char curl_err[CURL_ERROR_SIZE];
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

/* Sleeps until @p deadline (monotonic ns) in short steps so SIGINT/SIGTERM
 * is noticed quickly.  Returns non-zero when a stop was requested. */
static int sleep_until(int64_t deadline)
{
    for (;;) {
        if (fs_signal_stop_requested())
            return 1;
        int64_t left = deadline - now_ns();
        if (left <= 0)
            return 0;
        if (left > 100 * NS_PER_MS)
            left = 100 * NS_PER_MS;
        struct timespec ts = {0, (long)left};
        nanosleep(&ts, NULL); /* EINTR: the loop re-checks the flag and the time */
    }
}

fs_err_t fs_post_check_url(const char *url, char *errstr, size_t sz)
{
    const char *host = !strncmp(url, "http://", 7)    ? url + 7
                       : !strncmp(url, "https://", 8) ? url + 8
                                                      : NULL;
    if (!host) {
        snprintf(errstr, sz, "\"%s\" is not an http:// or https:// URL", url);
        return FS_ERR_INVALID;
    }
    if (!*host || *host == '/' || *host == ':') {
        snprintf(errstr, sz, "\"%s\" has no host", url);
        return FS_ERR_INVALID;
    }
    for (const char *p = url; *p; p++)
        if ((unsigned char)*p <= ' ') {
            snprintf(errstr, sz, "a URL cannot contain spaces or control characters");
            return FS_ERR_INVALID;
        }
    return FS_OK;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *opaque)
{
    fs_post_t *post = opaque;
    size_t n = size * nmemb;
    if (post->resp.len + n > MAX_RESPONSE)
        return n; /* keep the start; the rest cannot be a response of ours */
    return fs_buf_append(&post->resp, data, n) == FS_OK ? n : 0;
}

fs_post_t *fs_post_new(const fs_post_opts_t *opts, fs_log_t *lg, char *errstr, size_t sz)
{
    fs_post_t *post = NULL;
    if (opts->batch < 1 || opts->batch > FS_POST_MAX_BATCH || opts->rate < 0) {
        snprintf(errstr, sz, "batch: outside 1..%d", FS_POST_MAX_BATCH);
        return NULL;
    }
    if (fs_post_check_url(opts->url, errstr, sz) != FS_OK)
        return NULL;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(errstr, sz, "libcurl initialisation failed");
        return NULL;
    }
    if (!(post = calloc(1, sizeof(*post))))
        goto nomem;
    post->lg = lg;
    post->rate = opts->rate;
    post->batch = (size_t)opts->batch;
    size_t n = strlen(opts->url);
    while (n > 0 && opts->url[n - 1] == '/')
        n--;
    const char *suffix =
        n >= 10 && !strncmp(opts->url + n - 10, "/v1/events", 10) ? "" : "/v1/events";
    if (!(post->url = malloc(n + strlen(suffix) + 1)))
        goto nomem;
    memcpy(post->url, opts->url, n);
    strcpy(post->url + n, suffix);
    if (opts->write_key && !(post->write_key = strdup(opts->write_key)))
        goto nomem;
    if (!(post->user_agent = strdup(opts->user_agent ? opts->user_agent : "funnel-gen")))
        goto nomem;
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    if (!h)
        goto nomem;
    post->headers = h;
    /* No "Expect: 100-continue" round trip before bodies over 1 KiB. */
    if (!(h = curl_slist_append(post->headers, "Expect:")))
        goto nomem;
    post->headers = h;
    if (!(post->curl = curl_easy_init()))
        goto nomem;

    CURL *c = post->curl;
    CURLcode rc = CURLE_OK;
#define SETOPT(opt, val)                                                                 \
    if (rc == CURLE_OK)                                                                  \
    rc = curl_easy_setopt(c, opt, val)
    SETOPT(CURLOPT_URL, post->url);
    SETOPT(CURLOPT_POST, 1L);
    SETOPT(CURLOPT_HTTPHEADER, post->headers);
    SETOPT(CURLOPT_USERAGENT, post->user_agent);
    SETOPT(CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(CURLOPT_WRITEDATA, post);
    SETOPT(CURLOPT_ERRORBUFFER, post->curl_err);
    SETOPT(CURLOPT_NOSIGNAL, 1L);
    SETOPT(CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    SETOPT(CURLOPT_TIMEOUT_MS, 30000L); /* the collector waits for Kafka acks */
    SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
    if (post->write_key) {
        SETOPT(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        SETOPT(CURLOPT_USERNAME, post->write_key);
        SETOPT(CURLOPT_PASSWORD, "");
    }
#undef SETOPT
    if (rc != CURLE_OK) {
        snprintf(errstr, sz, "libcurl: %s", curl_easy_strerror(rc));
        fs_post_destroy(post);
        return NULL;
    }
    return post;

nomem:
    snprintf(errstr, sz, "out of memory");
    fs_post_destroy(post);
    if (!post)
        curl_global_cleanup();
    return NULL;
}

void fs_post_destroy(fs_post_t *post)
{
    if (!post)
        return;
    if (post->curl)
        curl_easy_cleanup(post->curl);
    curl_slist_free_all(post->headers);
    free(post->url);
    free(post->write_key);
    free(post->user_agent);
    fs_buf_free(&post->body);
    fs_buf_free(&post->resp);
    free(post);
    curl_global_cleanup();
}

/* The event_id of queued event @p i, for messages ("?" when it has none). */
static void event_id_at(const fs_post_t *post, size_t i, char *out, size_t outsz)
{
    const char *start = (const char *)post->body.data + post->offsets[i];
    const char *end = i + 1 < post->nqueued
                          ? (const char *)post->body.data + post->offsets[i + 1]
                          : (const char *)post->body.data + post->body.len;
    static const char key[] = "\"event_id\":\"";
    snprintf(out, outsz, "?");
    for (const char *p = start; p + sizeof(key) - 1 < end; p++)
        if (!memcmp(p, key, sizeof(key) - 1)) {
            p += sizeof(key) - 1;
            size_t n = 0;
            while (p + n < end && p[n] != '"' && n + 1 < outsz && n < 64)
                n++;
            snprintf(out, outsz, "%.*s", (int)n, p);
            return;
        }
}

/* Counts and logs the "rejected" list of a response; returns how many, and
 * the first reason in @p first ("event g7-3: type: required"). */
static size_t note_rejections(fs_post_t *post, json_t *root, char *first, size_t firstsz)
{
    json_t *rej = json_object_get(root, "rejected");
    size_t n = json_is_array(rej) ? json_array_size(rej) : 0;
    first[0] = '\0';
    for (size_t k = 0; k < n; k++) {
        json_t *item = json_array_get(rej, k);
        json_t *jidx = json_object_get(item, "index");
        const char *why = json_string_value(json_object_get(item, "error"));
        char id[80] = "?";
        if (json_is_integer(jidx) && json_integer_value(jidx) >= 0 &&
            (size_t)json_integer_value(jidx) < post->nqueued)
            event_id_at(post, (size_t)json_integer_value(jidx), id, sizeof(id));
        if (k == 0)
            snprintf(first, firstsz, "event %s: %s", id, why ? why : "no reason given");
        if (k < MAX_LOGGED_REJECTS)
            FS_WARN(post->lg, "collector rejected event %s: %s", id,
                    why ? why : "no reason");
    }
    if (n > MAX_LOGGED_REJECTS)
        FS_WARN(post->lg, "collector rejected %zu more events of this batch",
                n - MAX_LOGGED_REJECTS);
    return n;
}

static void on_accepted(fs_post_t *post, long status)
{
    size_t n = post->nqueued;
    json_error_t jerr;
    json_t *root = json_loadb((const char *)post->resp.data, post->resp.len, 0, &jerr);
    json_t *jacc = json_object_get(root, "accepted");
    if (!json_is_integer(jacc)) {
        /* 2xx means durable (docs/collector.md), whatever the body says. */
        FS_WARN(post->lg, "HTTP %ld without an \"accepted\" count; counting %zu accepted",
                status, n);
        post->st.accepted += n;
        json_decref(root);
        return;
    }
    char first[512];
    size_t nrej = note_rejections(post, root, first, sizeof(first));
    long long acc = json_integer_value(jacc);
    if (acc < 0 || (unsigned long long)acc + nrej != n)
        FS_WARN(post->lg, "collector counted %lld accepted + %zu rejected of %zu sent",
                acc, nrej, n);
    post->st.accepted += acc > 0 ? (unsigned long long)acc : 0;
    post->st.rejected += nrej;
    json_decref(root);
}

/* A 4xx other than 429: the request itself is wrong, retrying cannot help. */
static fs_err_t on_refused(fs_post_t *post, long status, char *errstr, size_t sz)
{
    size_t n = post->nqueued;
    json_error_t jerr;
    json_t *root = json_loadb((const char *)post->resp.data, post->resp.len, 0, &jerr);
    const char *msg = json_string_value(json_object_get(root, "error"));
    char first[512];
    size_t nrej = note_rejections(post, root, first, sizeof(first));
    post->st.rejected += nrej;
    if (status == 400 && nrej)
        snprintf(errstr, sz,
                 "collector rejected all %zu events of a batch (HTTP 400); %s", n, first);
    else if (status == 401 || status == 403)
        snprintf(errstr, sz,
                 "collector refused the write key (HTTP %ld): set --write-key or "
                 "FUNNEL_WRITE_KEY to a configured key",
                 status);
    else if (status == 413)
        snprintf(errstr, sz,
                 "collector refused a batch of %zu events as too large (HTTP 413): "
                 "lower --batch",
                 n);
    else
        snprintf(errstr, sz, "collector answered HTTP %ld to POST %s%s%s", status,
                 post->url, msg ? ": " : "", msg ? msg : "");
    json_decref(root);
    return FS_ERR_INVALID;
}

/* Posts the queued batch until it is accepted or refused, or retries run out. */
static fs_err_t send_batch(fs_post_t *post, char *errstr, size_t sz)
{
    size_t n = post->nqueued;
    fs_err_t err = FS_OK;
    if (!n)
        return FS_OK;
    if ((err = fs_buf_puts(&post->body, "]"))) {
        snprintf(errstr, sz, "out of memory");
        return err;
    }
    post->st.sent += n;
    int64_t backoff_ms = BACKOFF_MIN_MS;
    for (int attempt = 1;; attempt++) {
        char why[CURL_ERROR_SIZE + 64];
        long status = 0;
        curl_off_t retry_after = 0;
        fs_buf_reset(&post->resp);
        post->curl_err[0] = '\0';
        post->st.requests++;
        CURLcode rc = curl_easy_setopt(post->curl, CURLOPT_POSTFIELDSIZE_LARGE,
                                       (curl_off_t)post->body.len);
        if (rc == CURLE_OK)
            rc = curl_easy_setopt(post->curl, CURLOPT_POSTFIELDS, post->body.data);
        if (rc == CURLE_OK)
            rc = curl_easy_perform(post->curl);
        if (rc != CURLE_OK) {
            snprintf(why, sizeof(why), "%s",
                     post->curl_err[0] ? post->curl_err : curl_easy_strerror(rc));
        } else if (curl_easy_getinfo(post->curl, CURLINFO_RESPONSE_CODE, &status) !=
                   CURLE_OK) {
            snprintf(why, sizeof(why), "no HTTP status");
        } else if (status >= 200 && status < 300) {
            on_accepted(post, status);
            goto done;
        } else if (status == 429 || status >= 500) {
            snprintf(why, sizeof(why), "HTTP %ld", status);
            if (curl_easy_getinfo(post->curl, CURLINFO_RETRY_AFTER, &retry_after) !=
                CURLE_OK)
                retry_after = 0;
        } else {
            err = on_refused(post, status, errstr, sz);
            goto done;
        }
        if (attempt == MAX_ATTEMPTS) {
            snprintf(errstr, sz,
                     "collector at %s unavailable (%s) after %d attempts; %zu events "
                     "not delivered",
                     post->url, why, attempt, n);
            err = FS_ERR_TRANSIENT;
            goto done;
        }
        int64_t wait_ms =
            retry_after > 0
                ? (retry_after > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : retry_after) *
                      1000
                : backoff_ms;
        /* Up to +25% jitter so several generators do not retry in lockstep. */
        wait_ms += (now_ns() / NS_PER_MS) % (wait_ms / 4 + 1);
        backoff_ms = backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff_ms * 2;
        FS_WARN(post->lg,
                "POST %s: %s; retrying %zu events in %lld ms (attempt %d of %d)",
                post->url, why, n, (long long)wait_ms, attempt + 1, MAX_ATTEMPTS);
        post->st.retries++;
        if (sleep_until(now_ns() + wait_ms * NS_PER_MS)) {
            snprintf(errstr, sz, "stopped while retrying: %zu events not delivered", n);
            err = FS_ERR_TRANSIENT;
            goto done;
        }
    }
done:
    fs_buf_reset(&post->body);
    post->nqueued = 0;
    return err;
}

fs_err_t fs_post_add(fs_post_t *post, const char *json, size_t len, char *errstr,
                     size_t sz)
{
    fs_err_t err;
    while (len > 0 && (json[len - 1] == '\n' || json[len - 1] == '\r'))
        len--;
    if (post->rate > 0) {
        if (!post->paced)
            post->start_ns = now_ns();
        /* Event k is due k/rate seconds after the first; behind schedule, no sleep. */
        unsigned long long k = post->paced++;
        int64_t due =
            post->start_ns + (int64_t)(k / (unsigned long long)post->rate) * NS_PER_S +
            (int64_t)(k % (unsigned long long)post->rate) * NS_PER_S / post->rate;
        if (post->nqueued && due > post->batch_t0_ns + LINGER_NS) {
            /* Do not hold queued events while waiting for this one. */
            if (sleep_until(post->batch_t0_ns + LINGER_NS) == 0 &&
                (err = send_batch(post, errstr, sz)))
                return err;
        }
        (void)sleep_until(due); /* a stop request is seen by the caller's loop */
    }
    if ((err = fs_buf_puts(&post->body, post->nqueued ? "," : "[")) ||
        (err = fs_buf_reserve(&post->body, len))) {
        snprintf(errstr, sz, "out of memory");
        return err;
    }
    post->offsets[post->nqueued] = post->body.len;
    if ((err = fs_buf_append(&post->body, json, len))) {
        snprintf(errstr, sz, "out of memory");
        return err;
    }
    if (post->nqueued++ == 0)
        post->batch_t0_ns = now_ns();
    return post->nqueued >= post->batch ? send_batch(post, errstr, sz) : FS_OK;
}

fs_err_t fs_post_flush(fs_post_t *post, char *errstr, size_t sz)
{
    return send_batch(post, errstr, sz);
}

void fs_post_stats(const fs_post_t *post, fs_post_stats_t *out)
{
    *out = post->st;
}
