/*
 * test_channel.c — unit tests of channel grouping (fs_channel, docs/channels.md):
 * every row of the built-in table, host matching, the order of the rules,
 * table files, and the validator applying it to events without a channel.
 */
#include "fs_channel.h"
#include "fs_test.h"
#include "fs_validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static fs_channel_table_t *g_t; /* the built-in table, read-only */

static const char *derive(const char *type, const char *medium, const char *referrer,
                          const char *url)
{
    return fs_channel_derive(g_t, type, medium, medium ? strlen(medium) : 0, referrer,
                             referrer ? strlen(referrer) : 0, url, url ? strlen(url) : 0);
}

#define EXPECT(want, type, medium, referrer, url)                                        \
    do {                                                                                 \
        const char *got_ = derive(type, medium, referrer, url);                          \
        if ((want) == NULL)                                                              \
            ASSERT_STR_EQ(got_ ? got_ : "(null)", "(null)");                             \
        else                                                                             \
            ASSERT_STR_EQ(got_, (want));                                                 \
    } while (0)

static void test_medium_rows(void)
{
    static const char *const rows[][2] = {
        {"cpc", "paid_search"},
        {"ppc", "paid_search"},
        {"paidsearch", "paid_search"},
        {"email", "email"},
        {"social", "social"},
        {"social-paid", "social"},
        {"display", "display"},
        {"banner", "display"},
        {"cpm", "display"},
        {"affiliate", "affiliate"},
        {"referral", "referral"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        EXPECT(rows[i][1], "ad_click", rows[i][0], NULL, NULL);
        /* medium wins over a referrer */
        EXPECT(rows[i][1], "page_view", rows[i][0], "https://www.google.com/", NULL);
    }
    /* case-insensitive, surrounding spaces ignored */
    EXPECT("paid_search", "ad_click", "CPC", NULL, NULL);
    EXPECT("social", "ad_click", " Social-Paid ", NULL, NULL);
    EXPECT("email", "ad_click", "eMaIl", NULL, NULL);
    /* an unknown medium falls through to the referrer, then the type */
    EXPECT(NULL, "ad_click", "newsletter", NULL, NULL);
    EXPECT("organic", "page_view", "newsletter", "https://www.bing.com/search?q=x", NULL);
    EXPECT("direct", "page_view", "newsletter", NULL, NULL);
    EXPECT(NULL, "ad_click", "cpcx", NULL, NULL);
    EXPECT(NULL, "ad_click", "", NULL, NULL);
}

static void test_referrer_rows(void)
{
    static const char *const rows[][2] = {
        {"https://www.google.com/search?q=a", "organic"},
        {"https://google.co.uk/", "organic"},
        {"https://www.google.de", "organic"},
        {"https://news.google.com/x", "organic"},
        {"https://www.bing.com/search", "organic"},
        {"https://search.yahoo.com/search", "organic"},
        {"https://yahoo.co.jp/", "organic"},
        {"https://duckduckgo.com/?q=a", "organic"},
        {"https://www.baidu.com/s?wd=a", "organic"},
        {"https://yandex.ru/search/", "organic"},
        {"https://www.ecosia.org/search", "organic"},
        {"https://search.brave.com/search?q=a", "organic"},
        {"https://l.facebook.com/l.php?u=x", "social"},
        {"https://www.instagram.com/", "social"},
        {"https://www.linkedin.com/feed/", "social"},
        {"https://lnkd.in/abc", "social"},
        {"https://t.co/abc", "social"},
        {"https://twitter.com/x", "social"},
        {"https://x.com/x", "social"},
        {"https://old.reddit.com/r/x", "social"},
        {"https://m.youtube.com/watch", "social"},
        {"https://www.pinterest.fr/pin/1", "social"},
        {"https://www.tiktok.com/@x", "social"},
        {"https://blog.example.org/post", "referral"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        EXPECT(rows[i][1], "page_view", NULL, rows[i][0], NULL);
        EXPECT(rows[i][1], "content_download", NULL, rows[i][0], "https://shop.example/");
    }
}

static void test_host_matching(void)
{
    /* a subdomain matches, a longer name ending the same way does not */
    EXPECT("referral", "page_view", NULL, "https://notfacebook.com/", NULL);
    EXPECT("referral", "page_view", NULL, "https://facebook.com.evil.example/", NULL);
    EXPECT("social", "page_view", NULL, "https://WWW.FaceBook.COM./", NULL);
    /* NAME.* takes one or two labels after NAME, not three */
    EXPECT("organic", "page_view", NULL, "https://google.com.au/", NULL);
    EXPECT("referral", "page_view", NULL, "https://google.evil.example.com/", NULL);
    EXPECT("referral", "page_view", NULL, "https://mygoogle.com/", NULL);
    /* scheme, user info, port and path do not matter; bare hosts work */
    EXPECT("social", "page_view", NULL, "http://u:p@www.reddit.com:8443/r?x#y", NULL);
    EXPECT("organic", "page_view", NULL, "duckduckgo.com", NULL);
    /* an app's referrer names the app, not a listed host */
    EXPECT("referral", "page_view", NULL, "android-app://com.linkedin.android/", NULL);
    EXPECT("referral", "page_view", NULL, "https://[2001:db8::1]:8080/", NULL);
    /* no usable host: as if there were no referrer */
    EXPECT("direct", "page_view", NULL, "", NULL);
    EXPECT("direct", "page_view", NULL, "   ", NULL);
    EXPECT("direct", "page_view", NULL, "https:///path", NULL);
    EXPECT("direct", "page_view", NULL, "not a url", NULL);

    char h[16];
    ASSERT_EQ(fs_channel_host("https://WWW.Example.com:80/x", 28, h, sizeof(h)), 11);
    ASSERT_STR_EQ(h, "example.com");
    ASSERT_EQ(fs_channel_host("https://a-very-long-host.example/", 33, h, sizeof(h)), 0);
}

static void test_same_site_and_direct(void)
{
    /* the page's own host is internal navigation: no referrer */
    EXPECT("direct", "page_view", NULL, "https://shop.example/a",
           "https://shop.example/b");
    EXPECT("direct", "page_view", NULL, "https://www.shop.example/a",
           "https://SHOP.example/b?utm_x=1");
    EXPECT(NULL, "content_download", NULL, "https://shop.example/a",
           "https://shop.example/");
    /* another subdomain of the same site is another site */
    EXPECT("referral", "page_view", NULL, "https://blog.shop.example/",
           "https://shop.example/");
    /* direct only for the listed type */
    EXPECT("direct", "page_view", NULL, NULL, NULL);
    EXPECT(NULL, "content_download", NULL, NULL, NULL);
    EXPECT(NULL, "identify", NULL, NULL, NULL);
    EXPECT(NULL, NULL, NULL, NULL, NULL);
    ASSERT(fs_channel_derive(NULL, "page_view", NULL, 0, NULL, 0, NULL, 0) == NULL);
}

static void test_table_files(void)
{
    char err[256];
    const char *text = "# ours\n"
                       "medium Newsletter email   # trailing comment\n"
                       "referrer news.example.com  partner_news\n"
                       "referrer example.* partner\n"
                       "direct ad_click typed_in\n";
    fs_channel_table_t *t =
        fs_channel_table_parse(text, strlen(text), "t.txt", err, sizeof(err));
    ASSERT(t != NULL);
    ASSERT_STR_EQ(fs_channel_derive(t, "x", "NEWSLETTER", 10, NULL, 0, NULL, 0), "email");
    ASSERT(fs_channel_derive(t, "x", "cpc", 3, NULL, 0, NULL, 0) == NULL);
    /* first matching referrer rule wins */
    const char *r = "https://news.example.com/a";
    ASSERT_STR_EQ(fs_channel_derive(t, "x", NULL, 0, r, strlen(r), NULL, 0),
                  "partner_news");
    r = "https://example.co.uk/";
    ASSERT_STR_EQ(fs_channel_derive(t, "x", NULL, 0, r, strlen(r), NULL, 0), "partner");
    /* no other_referrer line: other sites get no channel, nor does direct */
    r = "https://elsewhere.org/";
    ASSERT(fs_channel_derive(t, "ad_click", NULL, 0, r, strlen(r), NULL, 0) == NULL);
    ASSERT_STR_EQ(fs_channel_derive(t, "ad_click", NULL, 0, NULL, 0, NULL, 0),
                  "typed_in");
    ASSERT(fs_channel_derive(t, "page_view", NULL, 0, NULL, 0, NULL, 0) == NULL);
    fs_channel_table_destroy(t);
    fs_channel_table_destroy(NULL);

    static const char *const bad[][2] = {
        {"medium cpc\n", "t.txt:1: expected: medium VALUE CHANNEL"},
        {"\nmedium cpc a b\n", "t.txt:2: expected: medium VALUE CHANNEL"},
        {"medium cpc a b c\n", "t.txt:1: too many words"},
        {"campaign x y\n", "t.txt:1: unknown rule"},
        {"medium cpc a\nmedium CPC b\n", "t.txt:2: medium listed twice"},
        {"referrer www.google.com x\n", "t.txt:1: host must not start with www."},
        {"referrer goo..gle x\n", "t.txt:1: host must be a name"},
        {"referrer *.google.com x\n", "t.txt:1: host must be a name"},
        {"other_referrer a\nother_referrer b\n", "t.txt:2: other_referrer given twice"},
        {"direct page_view\n", "t.txt:1: expected: direct TYPE CHANNEL"},
        {"medium cpc paid\x01search\n", "t.txt:1: channel must be printable ASCII"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        t = fs_channel_table_parse(bad[i][0], strlen(bad[i][0]), "t.txt", err,
                                   sizeof(err));
        if (t)
            fprintf(stderr, "accepted: %s", bad[i][0]);
        ASSERT(t == NULL);
        ASSERT_CONTAINS(err, bad[i][1]);
    }
    char longch[200];
    memset(longch, 'c', sizeof(longch));
    snprintf(longch, sizeof(longch), "medium x %0150d\n", 0);
    ASSERT(fs_channel_table_parse(longch, strlen(longch), "t", err, sizeof(err)) == NULL);
    ASSERT_CONTAINS(err, "longer than 128");
    ASSERT(fs_channel_table_parse("a\0b", 3, "t", err, sizeof(err)) == NULL);
    ASSERT_CONTAINS(err, "NUL byte");
    ASSERT(fs_channel_table_load("/nonexistent/table", err, sizeof(err)) == NULL);
    ASSERT_CONTAINS(err, "/nonexistent/table: ");
}

/* The validator applies grouping only to events without a channel. */
static void test_validator(void)
{
    char err[512];
    fs_definition_t *def = fs_definition_new_default(err, sizeof(err));
    ASSERT(def != NULL);
    fs_validate_ctx_t c = {def, 1795756321123LL, "collector", g_t};
    static const char *const cases[][2] = {
        {"{\"type\":\"page_view\",\"anonymous_id\":\"a\",\"medium\":\" CPC\"}",
         "paid_search"},
        {"{\"type\":\"page_view\",\"anonymous_id\":\"a\",\"channel\":\"events\","
         "\"medium\":\"cpc\"}",
         "events"},
        {"{\"type\":\"page_view\",\"anonymous_id\":\"a\",\"channel\":\"  \"}", "direct"},
        {"{\"type\":\"page_view\",\"anonymous_id\":\"a\",\"properties\":{\"referrer\":"
         "\"https://t.co/x\",\"url\":\"https://shop.example/\"}}",
         "social"},
        {"{\"type\":\"page_view\",\"anonymous_id\":\"a\",\"properties\":{\"referrer\":"
         "\"https://shop.example/a\",\"url\":\"https://shop.example/\"}}",
         "direct"},
        {"{\"type\":\"page_view\",\"anonymous_id\":\"a\",\"properties\":{\"referrer\":7}"
         "}",
         "direct"},
        {"{\"type\":\"content_download\",\"anonymous_id\":\"a\"}", "(null)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fs_event_t ev;
        ASSERT_EQ(
            fs_validate_text(&c, cases[i][0], strlen(cases[i][0]), &ev, err, sizeof(err)),
            FS_OK);
        ASSERT_STR_EQ(ev.channel ? ev.channel : "(null)", cases[i][1]);
        fs_event_clear(&ev);
    }
    /* without a table (funnel-ingest), nothing is derived */
    c.channels = NULL;
    fs_event_t ev;
    ASSERT_EQ(
        fs_validate_text(&c, cases[0][0], strlen(cases[0][0]), &ev, err, sizeof(err)),
        FS_OK);
    ASSERT(ev.channel == NULL);
    fs_event_clear(&ev);
    fs_definition_destroy(def);
}

int main(void)
{
    char err[256];
    g_t = fs_channel_table_default(err, sizeof(err));
    if (!g_t)
        fprintf(stderr, "%s\n", err);
    ASSERT(g_t != NULL);
    test_medium_rows();
    test_referrer_rows();
    test_host_matching();
    test_same_site_and_direct();
    test_table_files();
    test_validator();
    fs_channel_table_destroy(g_t);
    printf("test_channel: ok\n");
    return 0;
}
