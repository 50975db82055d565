/*
 * load_gen.c — HTTP/1.1 keep-alive load generator of bench/collector_bench.
 *
 * Open loop (--rate R > 0): request k is due at t0 + k/R whatever happened to
 * the previous ones; a due request goes out on an idle connection, or waits
 * in a FIFO until one is free.  Latency is measured from the request's due
 * time (not from when it could be written), so a stalled server shows up in
 * the percentiles instead of silently slowing the generator down
 * ("coordinated omission").  The send-to-answer time is reported too.
 *
 * Closed loop (--rate 0): every connection sends its next request as soon as
 * the previous answer arrived: the maximum rate for that many connections.
 *
 * One thread, epoll, --conns connections opened up front.  Every request
 * POSTs the same --body file.  Requests due in the first --warmup seconds
 * are sent but left out of the statistics.  Prints one JSON object.
 *
 *   fs-bench-load-gen --port P --body FILE [--host 127.0.0.1] [--path /v1/events]
 *                     [--rate R] [--duration S] [--warmup S] [--conns C]
 *                     [--drain S] [--slow-log FILE]
 *
 * --slow-log FILE writes one line per counted answer that took 20 ms or more
 * from its due time: "due_ms sent_ms answer_ms" (milliseconds after the
 * start, whose CLOCK_REALTIME is the first line), to place stalls in time.
 *
 * SIGTERM/SIGINT end the run early (the report covers the time run).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct conn {
    int fd;
    int busy;
    int64_t due_ns;  /* when the request in flight was due */
    int64_t sent_ns; /* when it was written */
    int counted;     /* request in flight is past the warm-up */
    size_t woff;     /* bytes of the request written so far */
    char rbuf[16384];
    size_t rlen;
} conn_t;

static struct sockaddr_in addr;
static char *req;
static size_t req_len;
static int ep;
static volatile sig_atomic_t stop_now; /* SIGTERM/SIGINT: end the run early, report */

static void on_stop(int sig)
{
    (void)sig;
    stop_now = 1;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *m)
{
    fprintf(stderr, "fs-bench-load-gen: %s: %s\n", m, strerror(errno));
    exit(1);
}

static void conn_open(conn_t *c)
{
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        die("socket");
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0)
        die("connect");
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
        die("epoll_ctl");
    c->busy = 0;
    c->rlen = 0;
}

static void conn_reopen(conn_t *c)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    conn_open(c);
}

/* Writes what is left of the request; EPOLLOUT while incomplete. */
static int conn_write(conn_t *c)
{
    while (c->woff < req_len) {
        ssize_t n = write(c->fd, req + c->woff, req_len - c->woff);
        if (n < 0 && errno == EAGAIN) {
            struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
            epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
            return 0;
        }
        if (n <= 0)
            return -1;
        c->woff += (size_t)n;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static double pct(uint32_t *v, size_t n, double p)
{
    if (!n)
        return -1;
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i] / 1000.0; /* µs → ms */
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *path = "/v1/events", *body_file = NULL,
               *slow_file = NULL;
    int port = 0, nconns = 64;
    double rate = 0, duration = 10, warmup = 1, drain = 15;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "--host"))
            host = v;
        else if (!strcmp(a, "--port"))
            port = atoi(v);
        else if (!strcmp(a, "--path"))
            path = v;
        else if (!strcmp(a, "--body"))
            body_file = v;
        else if (!strcmp(a, "--rate"))
            rate = atof(v);
        else if (!strcmp(a, "--duration"))
            duration = atof(v);
        else if (!strcmp(a, "--warmup"))
            warmup = atof(v);
        else if (!strcmp(a, "--drain"))
            drain = atof(v);
        else if (!strcmp(a, "--slow-log"))
            slow_file = v;
        else if (!strcmp(a, "--conns"))
            nconns = atoi(v);
        else {
            fprintf(stderr, "fs-bench-load-gen: unknown option %s\n", a);
            return 2;
        }
    }
    if (!port || !body_file || nconns < 1 || duration <= 0) {
        fprintf(stderr, "usage: fs-bench-load-gen --port P --body FILE [--rate R] "
                        "[--duration S] [--warmup S] [--conns C] [--slow-log FILE]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_stop);
    signal(SIGINT, on_stop);
    FILE *f = fopen(body_file, "rb");
    if (!f)
        die(body_file);
    static char body[1 << 20];
    size_t blen = fread(body, 1, sizeof body, f);
    fclose(f);
    req = malloc(blen + 512);
    req_len =
        (size_t)sprintf(req,
                        "POST %s HTTP/1.1\r\nHost: %s:%d\r\n"
                        "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                        path, host, port, blen);
    memcpy(req + req_len, body, blen);
    req_len += blen;

    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1)
        die("--host must be an IPv4 address");
    ep = epoll_create1(EPOLL_CLOEXEC);
    conn_t *conns = calloc((size_t)nconns, sizeof *conns);
    int *idle = malloc(sizeof(int) * (size_t)nconns);
    int nidle = 0;
    for (int i = 0; i < nconns; i++) {
        conn_open(&conns[i]);
        idle[nidle++] = i;
    }

    /* Statistics storage: enough for the run at the scheduled rate, or a
     * generous bound for the closed loop. */
    size_t cap = rate > 0 ? (size_t)(rate * (duration + 1)) + 16 : 8u << 20;
    uint32_t *lat_due = malloc(cap * sizeof(uint32_t));
    uint32_t *lat_svc = malloc(cap * sizeof(uint32_t));
    size_t nlat = 0;
    /* FIFO of due times of requests waiting for an idle connection. */
    size_t qcap = rate > 0 ? (size_t)(rate * duration) + 16 : 1;
    int64_t *q = malloc(qcap * sizeof(int64_t));
    size_t qh = 0, qt = 0;
    uint64_t scheduled = 0, sent = 0, done_all = 0, codes[6] = {0}, errors = 0,
             max_backlog = 0;

    const int64_t t0 = now_ns() + 1000000; /* 1 ms from now */
    FILE *slow = NULL;
    if (slow_file) {
        struct timespec rt;
        clock_gettime(CLOCK_REALTIME, &rt);
        if (!(slow = fopen(slow_file, "w")))
            die(slow_file);
        fprintf(slow, "# start %lld.%03ld (CLOCK_REALTIME, s)\n", (long long)rt.tv_sec,
                rt.tv_nsec / 1000000);
    }
    const int64_t t_warm = t0 + (int64_t)(warmup * 1e9);
    int64_t t_end = t0 + (int64_t)(duration * 1e9);
    int64_t t_stop = t_end + (int64_t)(drain * 1e9);
    const double period_ns = rate > 0 ? 1e9 / rate : 0;
    int64_t first_done_ns = 0, last_done_ns = 0;
    uint64_t counted_done = 0;
    struct epoll_event evs[256];

    for (;;) {
        int64_t t = now_ns();
        if (stop_now && t < t_end) { /* answers still due are waited for, briefly */
            duration = (double)(t - t0) / 1e9;
            t_end = t;
            t_stop = t + 5000000000LL;
        }
        int inflight = nconns - nidle;
        if (t >= t_end && ((qh == qt && inflight == 0) || t >= t_stop))
            break;
        /* Schedule what is due. */
        if (rate > 0) {
            while (t < t_end) {
                int64_t due = t0 + (int64_t)((double)scheduled * period_ns);
                if (due > t || due >= t_end)
                    break;
                q[qt++] = due;
                scheduled++;
            }
            if (qt - qh > max_backlog)
                max_backlog = qt - qh;
        }
        /* Dispatch. */
        while (nidle > 0) {
            int64_t due;
            if (rate > 0) {
                if (qh == qt)
                    break;
                due = q[qh++];
            } else {
                if (t < t0 || t >= t_end)
                    break;
                due = now_ns();
                scheduled++;
            }
            conn_t *c = &conns[idle[--nidle]];
            c->busy = 1;
            c->due_ns = due;
            c->sent_ns = now_ns();
            c->counted = due >= t_warm;
            c->woff = 0;
            c->rlen = 0;
            sent++;
            if (conn_write(c) < 0) {
                errors++;
                conn_reopen(c);
                idle[nidle++] = (int)(c - conns);
            }
        }
        /* Wait for answers, or until the next request is due. */
        struct timespec to = {0, 50 * 1000000};
        if (rate > 0 && t < t_end) {
            int64_t due = t0 + (int64_t)((double)scheduled * period_ns);
            int64_t w = due - now_ns();
            if (w < 0)
                w = 0;
            if (w < 50000000) {
                to.tv_sec = 0;
                to.tv_nsec = w;
            }
        }
        int n = epoll_pwait2(ep, evs, 256, &to, NULL);
        if (n < 0 && errno != EINTR)
            die("epoll_pwait2");
        for (int i = 0; i < n; i++) {
            conn_t *c = evs[i].data.ptr;
            if ((evs[i].events & EPOLLOUT) && c->busy && c->woff < req_len) {
                if (conn_write(c) < 0)
                    goto broken;
            }
            if (!(evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
                continue;
            for (;;) {
                ssize_t r = read(c->fd, c->rbuf + c->rlen, sizeof c->rbuf - c->rlen - 1);
                if (r < 0 && errno == EAGAIN)
                    break;
                if (r <= 0)
                    goto broken;
                c->rlen += (size_t)r;
                c->rbuf[c->rlen] = 0;
                char *hend = strstr(c->rbuf, "\r\n\r\n");
                if (!hend)
                    continue;
                size_t clen = 0;
                for (char *l = strstr(c->rbuf, "\r\n"); l && l < hend;
                     l = strstr(l + 2, "\r\n"))
                    if (!strncasecmp(l + 2, "Content-Length:", 15))
                        clen = strtoul(l + 17, NULL, 10);
                size_t need = (size_t)(hend + 4 - c->rbuf) + clen;
                if (c->rlen < need)
                    continue;
                if (!c->busy)
                    goto broken; /* an answer nobody asked for */
                int status = atoi(c->rbuf + 9);
                int64_t tn = now_ns();
                done_all++;
                if (c->counted && nlat < cap) {
                    int64_t d = (tn - c->due_ns) / 1000, s = (tn - c->sent_ns) / 1000;
                    lat_due[nlat] = (uint32_t)(d > UINT32_MAX ? UINT32_MAX : d);
                    lat_svc[nlat] = (uint32_t)(s > UINT32_MAX ? UINT32_MAX : s);
                    nlat++;
                    if (slow && d >= 20000)
                        fprintf(slow, "%.3f %.3f %.3f\n", (c->due_ns - t0) / 1e6,
                                (c->sent_ns - t0) / 1e6, (tn - t0) / 1e6);
                    codes[status / 100 < 6 ? status / 100 : 0]++;
                    if (!counted_done++)
                        first_done_ns = tn;
                    last_done_ns = tn;
                }
                int close_it = strcasestr(c->rbuf, "\r\nConnection: close") != NULL;
                memmove(c->rbuf, c->rbuf + need, c->rlen - need);
                c->rlen -= need;
                c->busy = 0;
                if (close_it)
                    conn_reopen(c);
                idle[nidle++] = (int)(c - conns);
                break;
            }
            continue;
        broken:
            errors++;
            conn_reopen(c);
            if (c->busy)
                c->busy = 0;
            int found = 0;
            for (int k = 0; k < nidle; k++)
                found |= idle[k] == (int)(c - conns);
            if (!found)
                idle[nidle++] = (int)(c - conns);
        }
    }
    uint64_t unsent = qt - qh;
    qsort(lat_due, nlat, sizeof *lat_due, cmp_u32);
    qsort(lat_svc, nlat, sizeof *lat_svc, cmp_u32);
    double window = duration - warmup;
    printf(
        "{\"mode\":\"%s\",\"target_rps\":%.0f,\"conns\":%d,\"duration_s\":%.1f,"
        "\"warmup_s\":%.1f,\"scheduled\":%llu,\"sent\":%llu,\"answered\":%llu,"
        "\"unsent\":%llu,\"errors\":%llu,\"max_backlog\":%llu,"
        "\"measured\":%zu,\"rps\":%.1f,\"rps_answers\":%.1f,"
        "\"codes\":{\"2xx\":%llu,\"4xx\":%llu,\"5xx\":%llu,\"other\":%llu},"
        "\"lat_ms\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f},"
        "\"svc_ms\":{\"p50\":%.3f,\"p99\":%.3f}}\n",
        rate > 0 ? "open" : "closed", rate, nconns, duration, warmup,
        (unsigned long long)scheduled, (unsigned long long)sent,
        (unsigned long long)done_all, (unsigned long long)unsent,
        (unsigned long long)errors, (unsigned long long)max_backlog, nlat,
        (double)codes[2] / window,
        last_done_ns > first_done_ns
            ? (double)counted_done * 1e9 / (double)(last_done_ns - first_done_ns)
            : 0.0,
        (unsigned long long)codes[2], (unsigned long long)codes[4],
        (unsigned long long)codes[5],
        (unsigned long long)(codes[0] + codes[1] + codes[3]), pct(lat_due, nlat, 0.50),
        pct(lat_due, nlat, 0.90), pct(lat_due, nlat, 0.99), pct(lat_due, nlat, 0.999),
        nlat ? lat_due[nlat - 1] / 1000.0 : -1, pct(lat_svc, nlat, 0.50),
        pct(lat_svc, nlat, 0.99));
    if (slow && fclose(slow) != 0)
        die(slow_file);
    return 0;
}
