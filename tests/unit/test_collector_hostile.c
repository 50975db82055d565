/* Unit tests of the collector's defences against hostile clients: strict
 * header and parameter checks (httpcheck), request bodies under a budget
 * (body), connection deadlines on a fake clock (conns). */
#include <stdio.h>
#include <string.h>

#include "body.h"
#include "conns.h"
#include "fs_test.h"
#include "httpcheck.h"

#define KV(n, v)                                                                         \
    {                                                                                    \
        n, sizeof(n) - 1, v, sizeof(v) - 1                                               \
    }

static fs_err_t check(const fs_httpcheck_kv_t *h, size_t n, char *err)
{
    return fs_httpcheck_headers(h, n, err, 256);
}

static void test_headers_table(void)
{
    static const struct {
        fs_httpcheck_kv_t h[3];
        size_t n;
        const char *error; /* NULL: accepted */
    } cases[] = {
        {{KV("Host", "x"), KV("Content-Length", "12")}, 2, NULL},
        {{KV("content-length", "0")}, 1, NULL},
        {{KV("Transfer-Encoding", "Chunked")}, 1, NULL},
        {{KV("Content-Length", "2"), KV("Content-Length", "30")},
         2,
         "Content-Length: given more than once"},
        {{KV("Content-Length", "2"), KV("content-LENGTH", "2")},
         2,
         "Content-Length: given more than once"},
        {{KV("Content-Length ", "2")}, 1, "header: malformed name"},
        {{KV("Content Length", "2")}, 1, "header: malformed name"},
        {{KV("X-A\x01", "2")}, 1, "header: malformed name"},
        {{KV("", "2")}, 1, "header: empty name"},
        {{KV("Content-Length", "")}, 1, "Content-Length: not a decimal number"},
        {{KV("Content-Length", "+5")}, 1, "Content-Length: not a decimal number"},
        {{KV("Content-Length", "5 ")}, 1, "Content-Length: not a decimal number"},
        {{KV("Content-Length", "0x10")}, 1, "Content-Length: not a decimal number"},
        {{KV("Content-Length", "12345678901234567890")},
         1,
         "Content-Length: not a decimal number"},
        {{KV("Content-Length", "5"), KV("Transfer-Encoding", "chunked")},
         2,
         "Content-Length: not allowed together with Transfer-Encoding"},
        {{KV("Transfer-Encoding", "chunked"), KV("Content-Length", "5")},
         2,
         "Content-Length: not allowed together with Transfer-Encoding"},
        {{KV("Transfer-Encoding", "gzip, chunked")},
         1,
         "Transfer-Encoding: only \"chunked\""},
        {{KV("Transfer-Encoding", "chunked"), KV("Transfer-Encoding", "chunked")},
         2,
         "Transfer-Encoding: given more than once"},
        {{KV("X-Note", "a\0b")}, 1, "X-Note: contains a control character"},
        {{KV("X-Note", "tab\tok")}, 1, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[256] = "";
        fs_err_t e = check(cases[i].h, cases[i].n, err);
        if (!cases[i].error) {
            ASSERT_EQ(e, FS_OK);
        } else {
            ASSERT_EQ(e, FS_ERR_INVALID);
            ASSERT_CONTAINS(err, cases[i].error);
        }
    }
}

static void test_params(void)
{
    char err[256];
    fs_httpcheck_kv_t ok = KV("user_id", "crm-42");
    ASSERT_EQ(fs_httpcheck_param(&ok, err, sizeof(err)), FS_OK);
    fs_httpcheck_kv_t flag = {"cb", 2, NULL, 0}; /* a parameter without '=' */
    ASSERT_EQ(fs_httpcheck_param(&flag, err, sizeof(err)), FS_OK);
    fs_httpcheck_kv_t nul = KV("write_key", "k1\0junk");
    ASSERT_EQ(fs_httpcheck_param(&nul, err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_STR_EQ(err, "write_key: contains a control character");
    fs_httpcheck_kv_t del = KV("campaign", "a\x7f");
    ASSERT_EQ(fs_httpcheck_param(&del, err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_STR_EQ(err, "campaign: contains a control character");
    fs_httpcheck_kv_t badname = KV("us\0er", "x");
    ASSERT_EQ(fs_httpcheck_param(&badname, err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_CONTAINS(err, "query: ");
    fs_httpcheck_kv_t utf8 = KV("campaign", "caf\xc3\xa9");
    ASSERT_EQ(fs_httpcheck_param(&utf8, err, sizeof(err)), FS_OK);
}

static void test_body_grows_under_budget(void)
{
    fs_budget_t budget;
    fs_budget_init(&budget, 300 * 1024);
    fs_body_t a = FS_BODY_INIT, b = FS_BODY_INIT;
    char chunk[1000];
    memset(chunk, 'x', sizeof(chunk));
    /* nothing is taken before bytes arrive, and then only a little */
    ASSERT_EQ(fs_budget_used(&budget), 0);
    ASSERT_EQ(fs_body_append(&a, &budget, chunk, 10, 512 * 1024), FS_OK);
    ASSERT_EQ(fs_budget_used(&budget), 4096);
    ASSERT_EQ(a.mapped, 0);
    /* past FS_BODY_MMAP_MIN the body has its own mapping; bytes are kept */
    for (int i = 0; i < 100; i++)
        ASSERT_EQ(fs_body_append(&a, &budget, chunk, sizeof(chunk), 512 * 1024), FS_OK);
    ASSERT_EQ(a.len, 100010);
    ASSERT_EQ(a.cap, 128 * 1024);
    ASSERT_EQ(a.mapped, 1);
    ASSERT_EQ(a.data[0], 'x');
    ASSERT_EQ(a.data[100009], 'x');
    ASSERT_EQ(fs_budget_used(&budget), 128 * 1024);
    /* a second body cannot take more than is left: refused, nothing charged */
    for (int i = 0; i < 130; i++)
        ASSERT_EQ(fs_body_append(&b, &budget, chunk, sizeof(chunk), 512 * 1024), FS_OK);
    ASSERT_EQ(fs_budget_used(&budget), 128 * 1024 + b.cap);
    size_t before = b.len;
    fs_err_t e = FS_OK;
    for (int i = 0; i < 200 && e == FS_OK; i++)
        e = fs_body_append(&b, &budget, chunk, sizeof(chunk), 512 * 1024);
    ASSERT_EQ(e, FS_ERR_TRANSIENT);
    ASSERT_LE(fs_budget_used(&budget), 300 * 1024);
    ASSERT_GE(b.len, before);
    /* the limit of one request */
    fs_body_t c = FS_BODY_INIT;
    ASSERT_EQ(fs_body_append(&c, &budget, chunk, sizeof(chunk), 999), FS_ERR_INVALID);
    ASSERT_EQ(c.len, 0);
    /* freeing gives everything back */
    fs_body_free(&a);
    fs_body_free(&b);
    fs_body_free(&c);
    ASSERT_EQ(fs_budget_used(&budget), 0);
    ASSERT(a.data == NULL && a.len == 0 && a.cap == 0);
    fs_body_free(&a); /* twice is harmless */
}

static void test_body_capacity_capped_at_limit(void)
{
    fs_budget_t budget;
    fs_budget_init(&budget, 0); /* unlimited */
    fs_body_t a = FS_BODY_INIT;
    static char big[300 * 1000];
    ASSERT_EQ(fs_body_append(&a, &budget, big, sizeof(big), 300 * 1000), FS_OK);
    ASSERT_EQ(a.cap, 300 * 1000); /* not 512 KiB: never beyond the request limit */
    ASSERT_EQ(fs_body_append(&a, &budget, big, 1, 300 * 1000), FS_ERR_INVALID);
    fs_body_free(&a);
    ASSERT_EQ(fs_budget_used(&budget), 0);
}

static int expired_fds[8];
static size_t n_expired;

static void on_expire(void *arg, int fd)
{
    (void)arg;
    if (n_expired < 8)
        expired_fds[n_expired++] = fd;
}

static void test_conn_deadlines(void)
{
    fs_conns_t *cs = fs_conns_new();
    ASSERT(cs);
    fs_conn_t *slow = fs_conns_add(cs, 11, 1000);
    fs_conn_t *done = fs_conns_add(cs, 12, 1000);
    fs_conn_t *keep = fs_conns_add(cs, 13, 1000);
    ASSERT(slow && done && keep);
    ASSERT_EQ(fs_conns_count(cs), 3);
    fs_conn_arrived(done); /* e.g. waiting for Kafka: not the client's time */
    ASSERT_EQ(fs_conns_sweep(cs, 31000, 30000, on_expire, NULL), 0); /* exactly at it */
    fs_conn_arrived(keep);
    fs_conn_next_request(keep, 20000); /* keep-alive: the next request's clock */
    ASSERT_EQ(fs_conns_sweep(cs, 31001, 30000, on_expire, NULL), 1);
    ASSERT_EQ(expired_fds[0], 11);
    ASSERT_EQ(fs_conns_sweep(cs, 50000, 30000, on_expire, NULL), 0);
    ASSERT_EQ(fs_conns_sweep(cs, 50001, 30000, on_expire, NULL), 1);
    ASSERT_EQ(expired_fds[1], 13);
    ASSERT_EQ(fs_conns_sweep(cs, 90000, 30000, on_expire, NULL), 0); /* each only once */
    ASSERT_EQ(n_expired, 2);
    fs_conns_remove(cs, slow);
    fs_conns_remove(cs, NULL);
    ASSERT_EQ(fs_conns_count(cs), 2);
    fs_conns_destroy(cs); /* frees what is left */
    fs_conns_destroy(NULL);
}

int main(void)
{
    RUN(test_headers_table);
    RUN(test_params);
    RUN(test_body_grows_under_budget);
    RUN(test_body_capacity_capped_at_limit);
    RUN(test_conn_deadlines);
    return 0;
}
