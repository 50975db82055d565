/* Unit tests of the collector's intake: body shapes, limits, per-event errors. */
#include <stdlib.h>
#include <string.h>

#include "fs_definition.h"
#include "fs_test.h"
#include "intake.h"

static fs_definition_t *def;

static fs_err_t parse(const char *body, size_t max, fs_intake_t *in, char *err, size_t sz)
{
    /* now = 2026-11-27T05:12:01Z */
    fs_validate_ctx_t ctx = {def, 1795756321000LL, "collector", NULL};
    memset(in, 0, sizeof(*in));
    return fs_intake_parse(&ctx, body, strlen(body), max, in, err, sz);
}

static void test_shapes(void)
{
    fs_intake_t in;
    char err[512];
    ASSERT_EQ(
        parse("{\"type\":\"ad_click\",\"user_id\":\"u\"}", 500, &in, err, sizeof(err)),
        FS_OK);
    ASSERT_EQ(in.n, 1);
    ASSERT_EQ(in.accepted, 1);
    ASSERT_STR_EQ(in.items[0].ev.ingest_source, "collector");
    fs_intake_clear(&in);

    ASSERT_EQ(parse("[{\"type\":\"ad_click\",\"user_id\":\"u\"},{\"type\":\"x\"},7]", 500,
                    &in, err, sizeof(err)),
              FS_OK);
    ASSERT_EQ(in.n, 3);
    ASSERT_EQ(in.accepted, 1);
    ASSERT(!in.items[1].ok);
    ASSERT_CONTAINS(in.items[1].error, "type");
    ASSERT(in.items[1].raw);
    ASSERT_CONTAINS(in.items[2].error, "must be a JSON object");
    ASSERT_STR_EQ(in.items[2].raw, "7");
    fs_intake_clear(&in);

    ASSERT_EQ(parse("{\"batch\":[{\"type\":\"sale\",\"anonymous_id\":\"a\",\"revenue\":"
                    "\"1.5\"}]}",
                    500, &in, err, sizeof(err)),
              FS_OK);
    ASSERT_EQ(in.accepted, 1);
    ASSERT_EQ(in.items[0].ev.revenue_cents, 150);
    fs_intake_clear(&in);
}

static void test_body_errors(void)
{
    fs_intake_t in;
    char err[512];
    struct {
        const char *body;
        const char *want;
    } cases[] = {
        {"not json", "not valid JSON"},
        {"\"str\"", "expected an event object"},
        {"[]", "no events"},
        {"{\"batch\":{}}", "batch: must be an array"},
        {"[{},{},{}]", "3 events, at most 2"},
        {"{\"a\":1,\"a\":2}", "not valid JSON"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ASSERT_EQ(parse(cases[i].body, 2, &in, err, sizeof(err)), FS_ERR_INVALID);
        ASSERT_CONTAINS(err, cases[i].want);
        ASSERT_EQ(in.n, 0);
    }
}

static void test_event_size_limit(void)
{
    size_t n = 33 * 1024;
    char *body = malloc(n + 100);
    ASSERT(body);
    int k = snprintf(body, 100,
                     "{\"type\":\"ad_click\",\"user_id\":\"u\",\"properties\":{\"p\":\"");
    memset(body + k, 'x', n);
    strcpy(body + k + n, "\"}}");
    fs_intake_t in;
    char err[512];
    ASSERT_EQ(parse(body, 500, &in, err, sizeof(err)), FS_OK);
    ASSERT_EQ(in.accepted, 0);
    ASSERT_CONTAINS(in.items[0].error, "32 KiB");
    ASSERT(strlen(in.items[0].raw) <= 8192); /* bounded for the dead letter */
    fs_intake_clear(&in);
    free(body);
}

int main(void)
{
    char err[256];
    def = fs_definition_new_default(err, sizeof(err));
    ASSERT(def);
    RUN(test_shapes);
    RUN(test_body_errors);
    RUN(test_event_size_limit);
    fs_definition_destroy(def);
    return 0;
}
