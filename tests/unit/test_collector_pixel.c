/* Unit tests of the tracking pixel: query parameters → event object → validation. */
#include <stdlib.h>
#include <string.h>

#include "fs_definition.h"
#include "fs_test.h"
#include "intake.h"
#include "pixel.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static fs_definition_t *def;

static char *build(const fs_pixel_param_t *p, size_t n, fs_err_t want, char *err,
                   size_t sz)
{
    json_t *obj = NULL;
    err[0] = '\0';
    ASSERT_EQ(fs_pixel_event(p, n, &obj, err, sz), want);
    ASSERT(obj);
    char *text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(obj);
    return text;
}

static void test_fields(void)
{
    char err[256];
    fs_pixel_param_t p[] = {{"type", "email_open"},
                            {"user_id", "crm-42"},
                            {"channel", "email"},
                            {"utm_campaign", "bf26"},
                            {"utm_source", "newsletter"},
                            {"occurred_at", "1795756321000"},
                            {"revenue", "12.50"},
                            {"properties.variant", "B"},
                            {"write_key", "secret"},
                            {"_", "123"},
                            {"cb", "x"},
                            {"", "ignored"}};
    char *t = build(p, N(p), FS_OK, err, sizeof(err));
    ASSERT_STR_EQ(
        t, "{\"campaign\":\"bf26\",\"channel\":\"email\",\"occurred_at\":1795756321000,"
           "\"properties\":{\"variant\":\"B\"},\"revenue\":\"12.50\",\"source\":"
           "\"newsletter\",\"type\":\"email_open\",\"user_id\":\"crm-42\"}");
    ASSERT(!strstr(t, "secret"));
    free(t);

    /* an RFC 3339 occurred_at stays a string; a bare ?name is "" */
    fs_pixel_param_t q[] = {{"occurred_at", "2026-11-27T05:12:01Z"},
                            {"anonymous_id", NULL}};
    t = build(q, N(q), FS_OK, err, sizeof(err));
    ASSERT_STR_EQ(t, "{\"anonymous_id\":\"\",\"occurred_at\":\"2026-11-27T05:12:01Z\"}");
    free(t);
}

static void test_errors(void)
{
    char err[256];
    fs_pixel_param_t dup[] = {
        {"type", "ad_click"}, {"campaign", "a"}, {"utm_campaign", "b"}};
    char *t = build(dup, N(dup), FS_ERR_INVALID, err, sizeof(err));
    ASSERT_STR_EQ(err, "campaign: given more than once (as utm_campaign)");
    ASSERT_CONTAINS(t, "\"campaign\":\"a\""); /* the first value stays */
    free(t);

    fs_pixel_param_t dup2[] = {{"type", "ad_click"}, {"type", "sale"}};
    t = build(dup2, N(dup2), FS_ERR_INVALID, err, sizeof(err));
    ASSERT_STR_EQ(err, "type: given more than once");
    free(t);

    fs_pixel_param_t utf[] = {{"type", "ad_click"}, {"user_id", "\xff\xfe"}};
    t = build(utf, N(utf), FS_ERR_INVALID, err, sizeof(err));
    ASSERT_STR_EQ(err, "user_id: not valid UTF-8");
    free(t);
}

/* The object goes through the same validation as a POSTed event. */
static void test_validated_like_post(void)
{
    fs_validate_ctx_t ctx = {def, 1795756321000LL, "collector", NULL};
    struct {
        fs_pixel_param_t p[3];
        size_t n;
        const char *error; /* NULL = accepted */
    } cases[] = {
        {{{"type", "email_open"}, {"user_id", "u1"}}, 2, NULL},
        {{{"type", "email_open"}}, 1, "user_id: user_id or anonymous_id is required"},
        {{{"type", "nope"}, {"anonymous_id", "a"}}, 2, "type: unknown event type"},
        {{{"type", "ad_click"}, {"anonymous_id", "a"}, {"chanel", "x"}},
         3,
         "chanel: unknown field"},
        {{{"type", "ad_click"}, {"anonymous_id", "a"}, {"occurred_at", "99"}},
         3,
         "occurred_at: before 2000-01-01"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        json_t *obj = NULL;
        char err[256];
        ASSERT_EQ(fs_pixel_event(cases[i].p, cases[i].n, &obj, err, sizeof(err)), FS_OK);
        fs_intake_t in;
        ASSERT_EQ(fs_intake_object(&ctx, obj, NULL, &in), FS_OK);
        json_decref(obj);
        ASSERT_EQ(in.n, 1);
        if (!cases[i].error) {
            ASSERT_EQ(in.accepted, 1);
            ASSERT_STR_EQ(in.items[0].ev.type, "email_open");
        } else {
            ASSERT_EQ(in.accepted, 0);
            ASSERT_CONTAINS(in.items[0].error, cases[i].error);
            ASSERT(in.items[0].raw);
        }
        fs_intake_clear(&in);
    }
    /* a preset error (duplicate parameter) rejects without validating */
    json_t *obj = json_pack("{s:s,s:s}", "type", "ad_click", "user_id", "u");
    fs_intake_t in;
    ASSERT_EQ(fs_intake_object(&ctx, obj, "type: given more than once", &in), FS_OK);
    ASSERT_EQ(in.accepted, 0);
    ASSERT_STR_EQ(in.items[0].error, "type: given more than once");
    ASSERT_STR_EQ(in.items[0].raw, "{\"type\":\"ad_click\",\"user_id\":\"u\"}");
    fs_intake_clear(&in);
    json_decref(obj);
}

static void test_gif(void)
{
    ASSERT_EQ(sizeof(fs_pixel_gif), 43);
    ASSERT(!memcmp(fs_pixel_gif, "GIF89a", 6));
    ASSERT_EQ(fs_pixel_gif[6], 1);     /* width 1 */
    ASSERT_EQ(fs_pixel_gif[8], 1);     /* height 1 */
    ASSERT_EQ(fs_pixel_gif[42], 0x3b); /* trailer */
}

int main(void)
{
    char err[256];
    def = fs_definition_new_default(err, sizeof(err));
    ASSERT(def);
    RUN(test_fields);
    RUN(test_errors);
    RUN(test_validated_like_post);
    RUN(test_gif);
    fs_definition_destroy(def);
    return 0;
}
