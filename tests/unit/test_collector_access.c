/* Unit tests of the collector's access modules: write keys (parsing, lookup,
 * HTTP Basic), CORS origin matching and the log-safe client address. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "cors.h"
#include "fs_test.h"
#include "netaddr.h"
#include "writekeys.h"

static void test_writekeys_parse(void)
{
    char err[256];
    fs_writekeys_t *wk = fs_writekeys_new();
    ASSERT(wk);
    ASSERT_EQ(fs_writekeys_count(wk), 0);
    ASSERT_EQ(
        fs_writekeys_add_list(wk, " wk_live_1 ,wk_live_2,,wk_live_1", err, sizeof(err)),
        FS_OK);
    ASSERT_EQ(fs_writekeys_count(wk), 2);
    ASSERT_EQ(fs_writekeys_add_text(wk,
                                    "# production keys\n"
                                    "wk_file_a\r\n"
                                    "\n"
                                    "   # indented comment\n"
                                    "  wk_file_b  \n"
                                    "wk_file_c",
                                    err, sizeof(err)),
              FS_OK);
    ASSERT_EQ(fs_writekeys_count(wk), 5);
    ASSERT(fs_writekeys_match(wk, "wk_live_1"));
    ASSERT(fs_writekeys_match(wk, "wk_file_a"));
    ASSERT(fs_writekeys_match(wk, "wk_file_b"));
    ASSERT(fs_writekeys_match(wk, "wk_file_c"));
    ASSERT(!fs_writekeys_match(wk, "wk_file_"));
    ASSERT(!fs_writekeys_match(wk, "wk_file_cc"));
    ASSERT(!fs_writekeys_match(wk, "WK_FILE_C"));
    ASSERT(!fs_writekeys_match(wk, ""));
    ASSERT(!fs_writekeys_match(wk, NULL));
    ASSERT(!fs_writekeys_match(wk, "# production keys"));
    fs_writekeys_destroy(wk);
    fs_writekeys_destroy(NULL);
}

static void test_writekeys_errors(void)
{
    char err[256];
    fs_writekeys_t *wk = fs_writekeys_new();
    ASSERT_EQ(fs_writekeys_add_text(wk, "good\nhas space\n", err, sizeof(err)),
              FS_ERR_INVALID);
    ASSERT_CONTAINS(err, "line 2:");
    ASSERT(!strstr(err, "has space")); /* never quote a key */
    ASSERT_EQ(fs_writekeys_add_list(wk, "a,b:c", err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_CONTAINS(err, "item 2:");
    char longkey[FS_WRITEKEY_MAX + 2];
    memset(longkey, 'k', sizeof(longkey) - 1);
    longkey[sizeof(longkey) - 1] = '\0';
    ASSERT_EQ(fs_writekeys_add_list(wk, longkey, err, sizeof(err)), FS_ERR_INVALID);
    ASSERT_CONTAINS(err, "longer than 256");
    longkey[FS_WRITEKEY_MAX] = '\0'; /* exactly the maximum is fine */
    ASSERT_EQ(fs_writekeys_add_list(wk, longkey, err, sizeof(err)), FS_OK);
    ASSERT(fs_writekeys_match(wk, longkey));
    fs_writekeys_destroy(wk);
}

static void test_basic(void)
{
    char user[FS_WRITEKEY_MAX + 1];
    /* "wk_live_1:" and "wk_live_1:ignored" */
    ASSERT_EQ(fs_writekeys_basic_user("Basic d2tfbGl2ZV8xOg==", user), FS_OK);
    ASSERT_STR_EQ(user, "wk_live_1");
    ASSERT_EQ(fs_writekeys_basic_user("basic   d2tfbGl2ZV8xOmlnbm9yZWQ=  ", user), FS_OK);
    ASSERT_STR_EQ(user, "wk_live_1");
    /* "a:b:c": the user name ends at the first ':' */
    ASSERT_EQ(fs_writekeys_basic_user("Basic YTpiOmM=", user), FS_OK);
    ASSERT_STR_EQ(user, "a");
    ASSERT_EQ(fs_writekeys_basic_user("Bearer d2tfbGl2ZV8xOg==", user), FS_ERR_INVALID);
    ASSERT_EQ(fs_writekeys_basic_user("Basic", user), FS_ERR_INVALID);
    ASSERT_EQ(fs_writekeys_basic_user("Basicd2tf", user), FS_ERR_INVALID);
    ASSERT_EQ(fs_writekeys_basic_user("Basic !!!!", user), FS_ERR_INVALID);
    ASSERT_EQ(fs_writekeys_basic_user("Basic bm9jb2xvbg==", user),
              FS_ERR_INVALID); /* "nocolon" */
    ASSERT_EQ(fs_writekeys_basic_user("Basic OnBhc3M=", user),
              FS_ERR_INVALID); /* ":pass" */
    ASSERT_EQ(fs_writekeys_basic_user("Basic YQ==Yg==", user), FS_ERR_INVALID);
    ASSERT_EQ(fs_writekeys_basic_user(NULL, user), FS_ERR_INVALID);
    /* an over-long credential is refused, not truncated */
    char big[4200] = "Basic ";
    memset(big + 6, 'Q', sizeof(big) - 7);
    big[sizeof(big) - 1] = '\0';
    ASSERT_EQ(fs_writekeys_basic_user(big, user), FS_ERR_INVALID);
}

static void test_cors(void)
{
    char err[256];
    fs_cors_t *c =
        fs_cors_new("https://shop.example, http://localhost:3000,https://[::1]:8443", err,
                    sizeof(err));
    ASSERT(c);
    ASSERT(fs_cors_enabled(c));
    ASSERT(fs_cors_allowed(c, "https://shop.example"));
    ASSERT(fs_cors_allowed(c, "HTTPS://SHOP.EXAMPLE"));
    ASSERT(fs_cors_allowed(c, "http://localhost:3000"));
    ASSERT(fs_cors_allowed(c, "https://[::1]:8443"));
    ASSERT(!fs_cors_allowed(c, "http://shop.example"));      /* scheme matters */
    ASSERT(!fs_cors_allowed(c, "https://shop.example:444")); /* port matters */
    ASSERT(!fs_cors_allowed(c, "https://evil.shop.example"));
    ASSERT(!fs_cors_allowed(c, "https://shop.example.evil"));
    ASSERT(!fs_cors_allowed(c, "null"));
    ASSERT(!fs_cors_allowed(c, NULL));
    fs_cors_destroy(c);

    c = fs_cors_new("*", err, sizeof(err));
    ASSERT(c && fs_cors_enabled(c));
    ASSERT(fs_cors_allowed(c, "https://anything.example"));
    ASSERT(!fs_cors_allowed(c, "null")); /* sandboxed/file origins never */
    ASSERT(!fs_cors_allowed(c, "https://a.example\r\nSet-Cookie: x")); /* never echoed */
    fs_cors_destroy(c);

    c = fs_cors_new(NULL, err, sizeof(err));
    ASSERT(c && !fs_cors_enabled(c));
    ASSERT(!fs_cors_allowed(c, "https://shop.example"));
    fs_cors_destroy(c);
    fs_cors_destroy(NULL);

    const char *bad[] = {
        "shop.example", "https://shop.example/",   "https://shop.example/x", "https://",
        "ftp:/x",       "https://a.example:123456"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ASSERT(fs_cors_new(bad[i], err, sizeof(err)) == NULL);
        ASSERT_CONTAINS(err, "item 1");
        ASSERT_EQ(fs_cors_check(bad[i], err, sizeof(err)), FS_ERR_INVALID);
    }
    ASSERT(fs_cors_new("https://ok.example,bad", err, sizeof(err)) == NULL);
    ASSERT_CONTAINS(err, "item 2 \"bad\"");
    ASSERT_EQ(fs_cors_check("https://ok.example", err, sizeof(err)), FS_OK);
}

static void test_netaddr(void)
{
    char out[FS_NETADDR_STRLEN];
    struct sockaddr_in v4 = {.sin_family = AF_INET};
    inet_pton(AF_INET, "192.0.2.77", &v4.sin_addr);
    fs_netaddr_log_prefix((struct sockaddr *)&v4, out);
    ASSERT_STR_EQ(out, "192.0.2.0/24");
    fs_netaddr_rate_key((struct sockaddr *)&v4, out);
    ASSERT_STR_EQ(out, "ip:192.0.2.77");

    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
    inet_pton(AF_INET6, "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", &v6.sin6_addr);
    fs_netaddr_log_prefix((struct sockaddr *)&v6, out);
    ASSERT_STR_EQ(out, "2001:db8:aaaa::/48");
    fs_netaddr_rate_key((struct sockaddr *)&v6, out);
    ASSERT_STR_EQ(out, "ip:2001:db8:aaaa:bbbb::/64");

    inet_pton(AF_INET6, "::ffff:198.51.100.9", &v6.sin6_addr); /* IPv4-mapped */
    fs_netaddr_log_prefix((struct sockaddr *)&v6, out);
    ASSERT_STR_EQ(out, "198.51.100.0/24");
    fs_netaddr_rate_key((struct sockaddr *)&v6, out);
    ASSERT_STR_EQ(out, "ip:198.51.100.9");

    fs_netaddr_log_prefix(NULL, out);
    ASSERT_STR_EQ(out, "-");
}

int main(void)
{
    RUN(test_writekeys_parse);
    RUN(test_writekeys_errors);
    RUN(test_basic);
    RUN(test_cors);
    RUN(test_netaddr);
    return 0;
}
