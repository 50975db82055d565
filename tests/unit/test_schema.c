/*
 * test_schema.c — unit tests of fs_schema.c: Parsing Canonical Form and the
 * CRC-64-AVRO fingerprint.
 *
 * The expected values below were produced by Java's
 * org.apache.avro.SchemaNormalization 1.11.1 (tests/unit/CanonRef.java), the
 * reference implementation; check_schema_java.sh and check_schema_python.py
 * re-check the same files live against Java and python-avro.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_schema.h"
#include "fs_test.h"

typedef struct pinned {
    const char *path; /* relative to FS_SOURCE_DIR */
    uint64_t fp;
    const char *canonical;
} pinned_t;

static const pinned_t pinned[] = {
    {"schemas/dead_letter.v1.avsc", 0xc775289bd7d6d285ULL,
     "{\"name\":\"funnelstream.DeadLetter\",\"type\":\"record\",\"fields\":[{\"name\":"
     "\"reason\",\"type\":\"string\"},{\"name\":\"source\",\"type\":\"string\"},{"
     "\"name\":\"at\",\"type\":\"long\"},{\"name\":\"raw\",\"type\":\"bytes\"},{\"name\":"
     "\"raw_truncated\",\"type\":\"boolean\"},{\"name\":\"raw_length\",\"type\":\"long\"}"
     ",{\"name\":\"fingerprint\",\"type\":[\"null\",\"long\"]},{\"name\":\"topic\","
     "\"type\":[\"null\",\"string\"]},{\"name\":\"partition\",\"type\":[\"null\",\"int\"]"
     "},{\"name\":\"offset\",\"type\":[\"null\",\"long\"]}]}"},
    {"schemas/journey_event.v1.avsc", 0x1edb3d66b72d1641ULL,
     "{\"name\":\"funnelstream.JourneyEvent\",\"type\":\"record\",\"fields\":[{\"name\":"
     "\"event_id\",\"type\":\"string\"},{\"name\":\"type\",\"type\":\"string\"},{"
     "\"name\":\"user_id\",\"type\":[\"null\",\"string\"]},{\"name\":\"anonymous_id\","
     "\"type\":[\"null\",\"string\"]},{\"name\":\"occurred_at\",\"type\":\"long\"},{"
     "\"name\":\"received_at\",\"type\":\"long\"},{\"name\":\"channel\",\"type\":["
     "\"null\",\"string\"]},{\"name\":\"campaign\",\"type\":[\"null\",\"string\"]},{"
     "\"name\":\"source\",\"type\":[\"null\",\"string\"]},{\"name\":\"medium\",\"type\":["
     "\"null\",\"string\"]},{\"name\":\"content\",\"type\":[\"null\",\"string\"]},{"
     "\"name\":\"term\",\"type\":[\"null\",\"string\"]},{\"name\":\"revenue_cents\","
     "\"type\":[\"null\",\"long\"]},{\"name\":\"currency\",\"type\":\"string\"},{"
     "\"name\":\"properties\",\"type\":{\"type\":\"map\",\"values\":[\"string\",\"long\","
     "\"double\",\"boolean\"]}}]}"},
    {"schemas/journey_event.v2.avsc", 0x587959f25dd45e32ULL,
     "{\"name\":\"funnelstream.JourneyEvent\",\"type\":\"record\",\"fields\":[{\"name\":"
     "\"event_id\",\"type\":\"string\"},{\"name\":\"type\",\"type\":\"string\"},{"
     "\"name\":\"user_id\",\"type\":[\"null\",\"string\"]},{\"name\":\"anonymous_id\","
     "\"type\":[\"null\",\"string\"]},{\"name\":\"occurred_at\",\"type\":\"long\"},{"
     "\"name\":\"received_at\",\"type\":\"long\"},{\"name\":\"channel\",\"type\":["
     "\"null\",\"string\"]},{\"name\":\"campaign\",\"type\":[\"null\",\"string\"]},{"
     "\"name\":\"source\",\"type\":[\"null\",\"string\"]},{\"name\":\"medium\",\"type\":["
     "\"null\",\"string\"]},{\"name\":\"content\",\"type\":[\"null\",\"string\"]},{"
     "\"name\":\"term\",\"type\":[\"null\",\"string\"]},{\"name\":\"revenue_cents\","
     "\"type\":[\"null\",\"long\"]},{\"name\":\"currency\",\"type\":\"string\"},{"
     "\"name\":\"properties\",\"type\":{\"type\":\"map\",\"values\":[\"string\",\"long\","
     "\"double\",\"boolean\"]}},{\"name\":\"ingest_source\",\"type\":[\"null\","
     "\"string\"]}]}"},
    {"tests/unit/schemas/enum_fixed_top.avsc", 0xbcb51ba5b16d3489ULL,
     "{\"name\":\"cards.Suit\",\"type\":\"enum\",\"symbols\":[\"SPADES\",\"HEARTS\","
     "\"DIAMONDS\",\"CLUBS\"]}"},
    {"tests/unit/schemas/escapes_whitespace.avsc", 0x8be6460431550331ULL,
     "{\"name\":\"ws.Escaped\",\"type\":\"record\",\"fields\":[{\"name\":\"f1\",\"type\":"
     "{\"type\":\"array\",\"items\":\"int\"}}]}"},
    {"tests/unit/schemas/named_in_containers.avsc", 0x43c5cf8b1d764c6eULL,
     "{\"name\":\"c.ns.Container\",\"type\":\"record\",\"fields\":[{\"name\":\"arr\","
     "\"type\":{\"type\":\"array\",\"items\":{\"name\":\"c.ns.Item\",\"type\":\"record\","
     "\"fields\":[{\"name\":\"k\",\"type\":{\"name\":\"c.ns.Kind\",\"type\":\"enum\","
     "\"symbols\":[\"X\",\"Y\",\"Z\"]}}]}}},{\"name\":\"map\",\"type\":{\"type\":\"map\","
     "\"values\":\"c.ns.Item\"}},{\"name\":\"u\",\"type\":[\"null\",\"c.ns.Item\",{"
     "\"name\":\"c.ns.F4\",\"type\":\"fixed\",\"size\":4},\"c.ns.Kind\"]},{\"name\":"
     "\"self\",\"type\":[\"null\",\"c.ns.Container\"]}]}"},
    {"tests/unit/schemas/nested_namespaces.avsc", 0x4831bc303c7e5f80ULL,
     "{\"name\":\"com.example.Outer\",\"type\":\"record\",\"fields\":[{\"name\":"
     "\"inner\",\"type\":{\"name\":\"com.example.Inner\",\"type\":\"record\",\"fields\":["
     "{\"name\":\"x\",\"type\":\"int\"}]}},{\"name\":\"other\",\"type\":{\"name\":\"org."
     "other.Other\",\"type\":\"record\",\"fields\":[{\"name\":\"deep\",\"type\":{"
     "\"name\":\"org.other.Deep\",\"type\":\"enum\",\"symbols\":[\"A\",\"B\"]}},{"
     "\"name\":\"again\",\"type\":\"org.other.Deep\"},{\"name\":\"outer_ref\",\"type\":"
     "\"com.example.Inner\"}]}},{\"name\":\"dotted\",\"type\":{\"name\":\"net.dot.Hash\","
     "\"type\":\"fixed\",\"size\":16}},{\"name\":\"dotted_ref\",\"type\":\"net.dot."
     "Hash\"},{\"name\":\"inner_ref\",\"type\":\"com.example.Inner\"},{\"name\":\"null_"
     "ns\",\"type\":{\"name\":\"Bare\",\"type\":\"record\",\"fields\":[{\"name\":\"y\","
     "\"type\":\"long\"}]}}]}"},
    {"tests/unit/schemas/primitive_top.avsc", 0x8f014872634503c7ULL, "\"string\""},
    {"tests/unit/schemas/primitives_object_form.avsc", 0x253935591cbecc74ULL,
     "{\"name\":\"Prims\",\"type\":\"record\",\"fields\":[{\"name\":\"a\",\"type\":"
     "\"int\"},{\"name\":\"b\",\"type\":\"bytes\"},{\"name\":\"c\",\"type\":\"string\"},{"
     "\"name\":\"d\",\"type\":\"float\"},{\"name\":\"e\",\"type\":\"double\"},{\"name\":"
     "\"f\",\"type\":\"null\"},{\"name\":\"g\",\"type\":\"long\"},{\"name\":\"h\","
     "\"type\":\"int\"}]}"},
    {"tests/unit/schemas/union_top.avsc", 0x4b8fcbfa2e1b06feULL,
     "[\"null\",{\"name\":\"md5\",\"type\":\"fixed\",\"size\":16},{\"type\":\"array\","
     "\"items\":\"md5\"}]"},
    {"tests/unit/schemas/unions_defaults.avsc", 0xdcb66bc67671cc0dULL,
     "{\"name\":\"t.Defaults\",\"type\":\"record\",\"fields\":[{\"name\":\"u\",\"type\":["
     "\"null\",\"string\",{\"type\":\"array\",\"items\":\"long\"}]},{\"name\":\"m\","
     "\"type\":{\"type\":\"map\",\"values\":{\"type\":\"map\",\"values\":\"double\"}}},{"
     "\"name\":\"b\",\"type\":\"boolean\"},{\"name\":\"s\",\"type\":\"string\"}]}"},
};

static char *slurp(const char *rel, size_t *len)
{
    const char *src = getenv("FS_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", src ? src : ".", rel);
    FILE *f = fopen(path, "rb");
    ASSERT(f != NULL);
    char *buf = malloc(1 << 20);
    ASSERT(buf != NULL);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static char *canon(const char *json)
{
    char err[256] = "";
    char *c = fs_schema_canonical_form(json, strlen(json), err, sizeof err);
    if (!c)
        fprintf(stderr, "   (error: %s)\n", err);
    return c;
}

static void expect_canon(const char *json, const char *want)
{
    char *c = canon(json);
    ASSERT_STR_EQ(c, want);
    free(c);
}

static void expect_error(const char *json, const char *needle)
{
    char err[256] = "";
    char *c = fs_schema_canonical_form(json, strlen(json), err, sizeof err);
    ASSERT(c == NULL);
    ASSERT_CONTAINS(err, needle);
}

static void test_fingerprint_table(void)
{
    /* The spec's definition, bit by bit, against our table version. */
    ASSERT_U64_EQ(fs_schema_fingerprint64(NULL, 0), FS_SCHEMA_FP_EMPTY);
    uint8_t data[300];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 131 + 7);
    for (size_t n = 0; n <= sizeof data; n += 37) {
        uint64_t fp = FS_SCHEMA_FP_EMPTY;
        for (size_t i = 0; i < n; i++) {
            fp ^= data[i];
            for (int b = 0; b < 8; b++)
                fp = (fp >> 1) ^ (FS_SCHEMA_FP_EMPTY & (0 - (fp & 1)));
        }
        ASSERT_U64_EQ(fs_schema_fingerprint64(data, n), fp);
    }
    /* Well-known values from the Avro test suite / Java. */
    ASSERT_U64_EQ(fs_schema_fingerprint64("\"int\"", 5), 0x7275d51a3f395c8fULL);
    ASSERT_U64_EQ(fs_schema_fingerprint64("\"string\"", 8), 0x8f014872634503c7ULL);
}

static void test_pinned_files(void)
{
    for (size_t i = 0; i < sizeof pinned / sizeof pinned[0]; i++) {
        size_t len;
        char *text = slurp(pinned[i].path, &len);
        char err[256] = "";
        char *c = fs_schema_canonical_form(text, len, err, sizeof err);
        if (!c)
            fprintf(stderr, "%s: %s\n", pinned[i].path, err);
        ASSERT_STR_EQ(c, pinned[i].canonical);
        ASSERT_U64_EQ(fs_schema_fingerprint64(c, strlen(c)), pinned[i].fp);
        free(c);
        free(text);
    }
}

static void test_primitives_and_strip(void)
{
    expect_canon("\"int\"", "\"int\"");
    expect_canon(" { \"type\" : \"null\" } ", "\"null\"");
    expect_canon("{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}", "\"long\"");
    expect_canon("{\"type\":\"array\",\"items\":{\"type\":\"int\"},\"doc\":\"x\","
                 "\"default\":[]}",
                 "{\"type\":\"array\",\"items\":\"int\"}");
    expect_canon("{\"values\":\"bytes\",\"type\":\"map\",\"foo\":1}",
                 "{\"type\":\"map\",\"values\":\"bytes\"}");
    /* ORDER: attributes come out name,type,fields/symbols/size whatever the
     * input order; INTEGERS: 1.6e1 is not an integer size. */
    expect_canon("{\"size\":16,\"type\":\"fixed\",\"name\":\"F\",\"namespace\":\"n\"}",
                 "{\"name\":\"n.F\",\"type\":\"fixed\",\"size\":16}");
    expect_canon(
        "{\"symbols\":[\"A\"],\"name\":\"E\",\"type\":\"enum\",\"aliases\":[\"x\"]}",
        "{\"name\":\"E\",\"type\":\"enum\",\"symbols\":[\"A\"]}");
    /* STRINGS: escapes become UTF-8 (names are ASCII, so \u escapes of ASCII). */
    expect_canon("\"\\u0069nt\"", "\"int\"");
}

static void test_namespaces(void)
{
    /* Inherited by nested named types, overridden by a nested namespace,
     * ignored when the name is dotted, null with "". */
    expect_canon(
        "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"a\",\"fields\":["
        "{\"name\":\"f\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"X\"]}}"
        ","
        "{\"name\":\"g\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"namespace\":\"b\","
        "\"size\":1}},"
        "{\"name\":\"h\",\"type\":{\"type\":\"fixed\",\"name\":\"c.G\",\"namespace\":"
        "\"z\",\"size\":2}},"
        "{\"name\":\"i\",\"type\":\"E\"},{\"name\":\"j\",\"type\":\"b.F\"},"
        "{\"name\":\"k\",\"type\":{\"type\":\"record\",\"name\":\"N\",\"namespace\":\"\","
        "\"fields\":[{\"name\":\"l\",\"type\":\"a.E\"}]}}]}",
        "{\"name\":\"a.R\",\"type\":\"record\",\"fields\":["
        "{\"name\":\"f\",\"type\":{\"name\":\"a.E\",\"type\":\"enum\",\"symbols\":[\"X\"]"
        "}},"
        "{\"name\":\"g\",\"type\":{\"name\":\"b.F\",\"type\":\"fixed\",\"size\":1}},"
        "{\"name\":\"h\",\"type\":{\"name\":\"c.G\",\"type\":\"fixed\",\"size\":2}},"
        "{\"name\":\"i\",\"type\":\"a.E\"},{\"name\":\"j\",\"type\":\"b.F\"},"
        "{\"name\":\"k\",\"type\":{\"name\":\"N\",\"type\":\"record\",\"fields\":["
        "{\"name\":\"l\",\"type\":\"a.E\"}]}}]}");
    /* Within a dotted name's record, its namespace is inherited. */
    expect_canon(
        "{\"type\":\"record\",\"name\":\"p.q.R\",\"fields\":[{\"name\":\"s\",\"type\":"
        "{\"type\":\"record\",\"name\":\"S\",\"fields\":[]}}]}",
        "{\"name\":\"p.q.R\",\"type\":\"record\",\"fields\":[{\"name\":\"s\",\"type\":"
        "{\"name\":\"p.q.S\",\"type\":\"record\",\"fields\":[]}}]}");
    /* Recursive reference; the unqualified name falls back to the null
     * namespace, as in Java. */
    expect_canon(
        "{\"type\":\"record\",\"name\":\"L\",\"fields\":[{\"name\":\"next\","
        "\"type\":[\"null\",\"L\"]},{\"name\":\"m\",\"type\":{\"type\":\"record\","
        "\"name\":\"M\",\"namespace\":\"x\",\"fields\":[{\"name\":\"b\",\"type\":\"L\"}]}"
        "}]}",
        "{\"name\":\"L\",\"type\":\"record\",\"fields\":[{\"name\":\"next\","
        "\"type\":[\"null\",\"L\"]},{\"name\":\"m\",\"type\":{\"name\":\"x.M\","
        "\"type\":\"record\",\"fields\":[{\"name\":\"b\",\"type\":\"L\"}]}}]}");
}

static void test_errors(void)
{
    expect_error("{", "not JSON");
    expect_error("\"Nope\"", "unknown type");
    expect_error("{\"type\":\"record\",\"fields\":[]}", "without a \"name\"");
    expect_error("{\"type\":\"record\",\"name\":\"R\"}", "fields");
    expect_error(
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":"
        "\"int\"},{\"name\":\"a\",\"type\":\"int\"}]}",
        "twice");
    expect_error("[{\"type\":\"fixed\",\"name\":\"F\",\"size\":1},"
                 "{\"type\":\"fixed\",\"name\":\"F\",\"size\":2}]",
                 "defined twice");
    expect_error("{\"type\":\"fixed\",\"name\":\"F\",\"size\":-1}", "size");
    expect_error("{\"type\":\"fixed\",\"name\":\"F\",\"size\":1.5}", "size");
    expect_error("{\"type\":\"enum\",\"name\":\"9E\",\"symbols\":[]}", "invalid name");
    expect_error("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"a-b\"]}", "symbol");
    expect_error("{\"type\":\"array\"}", "items");
    expect_error("{\"type\":\"map\"}", "values");
    expect_error("42", "must be");
    expect_error("{\"type\":\"record\",\"name\":\"R\",\"fields\":[],\"name\":\"S\"}",
                 "not JSON"); /* duplicate key */
    /* Deep nesting is refused, not a stack overflow. */
    char deep[2000];
    size_t n = 0;
    for (int i = 0; i < 300; i++)
        deep[n++] = '[';
    memcpy(deep + n, "\"int\"", 5);
    n += 5;
    for (int i = 0; i < 300; i++)
        deep[n++] = ']';
    deep[n] = '\0';
    expect_error(deep, "deeper");
    /* errstr may be NULL/0. */
    ASSERT(fs_schema_canonical_form("{", 1, NULL, 0) == NULL);
}

int main(void)
{
    RUN(test_fingerprint_table);
    RUN(test_pinned_files);
    RUN(test_primitives_and_strip);
    RUN(test_namespaces);
    RUN(test_errors);
    return 0;
}
