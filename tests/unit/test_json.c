/* Unit tests of fs_json.h: fs_json_parse case by case, each checked
 * against jansson's own parser on the same text, and the compact-size
 * bound against jansson's serializer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fs_json.h"
#include "fs_test.h"

/* Parses @p len bytes both ways; returns 1 when both accept with equal
 * trees (same serialization, so same key order), 0 when both reject. */
static int both(const char *text, size_t len)
{
    char why[160];
    json_t *ours = fs_json_parse(text, len, why, sizeof(why));
    json_t *ref = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
    ASSERT_EQ(!ours, !ref);
    int accepted = ours != NULL;
    if (ours) {
        char *a = json_dumps(ours, JSON_COMPACT | JSON_ENCODE_ANY);
        char *b = json_dumps(ref, JSON_COMPACT | JSON_ENCODE_ANY);
        ASSERT(a && b);
        ASSERT_STR_EQ(a, b);
        free(a);
        free(b);
    } else {
        ASSERT_CONTAINS(why, "(byte ");
    }
    json_decref(ours);
    json_decref(ref);
    return accepted;
}

#define BOTH(s) both((s), sizeof(s) - 1)

static void test_accepts_what_jansson_accepts(void)
{
    ASSERT_EQ(BOTH("{\"b\":1,\"a\":[true,false,null,\"x\"],\"c\":{}}"),
              1); /* key order */
    ASSERT_EQ(BOTH(" \t\r\n[1, -0, -0.0, 2.5e-3, 1E2, 9223372036854775807] \n"), 1);
    ASSERT_EQ(BOTH("-9223372036854775808"), 1);
    ASSERT_EQ(BOTH("\"caf\\u00e9 \\ud83d\\ude00 \\\" \\\\ \\/ \\b\\f\\n\\r\\t\""), 1);
    ASSERT_EQ(BOTH("\"caf\xc3\xa9\""), 1);
    ASSERT_EQ(BOTH("1e-400"), 1); /* underflow is zero, not an error */
    ASSERT_EQ(BOTH("[[],{},[[]]]"), 1);
}

static void test_rejects_what_jansson_rejects(void)
{
    ASSERT_EQ(BOTH(""), 0);
    ASSERT_EQ(BOTH("   "), 0);
    ASSERT_EQ(BOTH("{\"a\":1,\"a\":2}"), 0); /* duplicate key */
    ASSERT_EQ(BOTH("{\"a\":{\"b\":1,\"b\":1}}"), 0);
    ASSERT_EQ(BOTH("9223372036854775808"), 0); /* too big integer */
    ASSERT_EQ(BOTH("-9223372036854775809"), 0);
    ASSERT_EQ(BOTH("1e400"), 0); /* real overflow */
    ASSERT_EQ(BOTH("\"\\u0000\""), 0);
    ASSERT_EQ(BOTH("{\"a\\u0000\":1}"), 0);
    ASSERT_EQ(BOTH("\"\\ud800\""), 0);        /* lone high surrogate */
    ASSERT_EQ(BOTH("\"\\ud800\\u0041\""), 0); /* ...followed by a non-surrogate */
    ASSERT_EQ(BOTH("\"\\udc00\""), 0);        /* lone low surrogate */
    ASSERT_EQ(BOTH("\"\xed\xa0\x80\""), 0);   /* encoded surrogate */
    ASSERT_EQ(BOTH("\"\xc0\xaf\""), 0);       /* overlong */
    ASSERT_EQ(BOTH("{\"\xff\":1}"), 0);       /* key not UTF-8 */
    ASSERT_EQ(BOTH("\"a\nb\""), 0);           /* raw control character */
    ASSERT_EQ(BOTH("\v1"), 0);                /* white space JSON does not have */
    ASSERT_EQ(BOTH("[1,\f2]"), 0);
    ASSERT_EQ(BOTH("1 2"), 0);
    ASSERT_EQ(BOTH("1 \"x"), 0); /* unfinished token after the value */
    ASSERT_EQ(BOTH("{} x"), 0);
    ASSERT_EQ(BOTH("[1,]"), 0);
    ASSERT_EQ(BOTH("{\"a\":1,}"), 0);
    ASSERT_EQ(BOTH("/* c */ 1"), 0);
    ASSERT_EQ(BOTH("01"), 0);
    ASSERT_EQ(BOTH("1."), 0);
    ASSERT_EQ(BOTH("+1"), 0);
    ASSERT_EQ(BOTH("NaN"), 0);
    ASSERT_EQ(BOTH("[1"), 0);
    ASSERT_EQ(BOTH("\"\\x\""), 0);
    ASSERT_EQ(BOTH("\"\\u12\""), 0);
}

static void test_depth_limit(void)
{
    /* FS_JSON_MAX_DEPTH nested arrays parse, one more does not. */
    size_t n = FS_JSON_MAX_DEPTH + 1;
    char *t = malloc(2 * n);
    ASSERT(t != NULL);
    memset(t, '[', n);
    memset(t + n, ']', n);
    ASSERT_EQ(both(t + 1, 2 * n - 2), 1);
    ASSERT_EQ(both(t, 2 * n), 0);
    char why[160];
    ASSERT(fs_json_parse(t, 2 * n, why, sizeof(why)) == NULL);
    ASSERT_CONTAINS(why, "maximum parsing depth");
    free(t);

    /* Every value is a level, as in jansson: a scalar, a string or a
     * non-empty container inside FS_JSON_MAX_DEPTH open containers is one
     * too deep; one container fewer and it fits. */
    static const char *const inner[] = {"1", "\"s\"", "null", "{\"a\":1}", "[2]"};
    for (size_t k = 0; k < sizeof(inner) / sizeof(inner[0]); k++) {
        for (size_t open = FS_JSON_MAX_DEPTH - 2; open <= FS_JSON_MAX_DEPTH; open++) {
            size_t il = strlen(inner[k]), tl = 2 * open + il;
            char *u = malloc(tl);
            ASSERT(u != NULL);
            memset(u, '[', open);
            memcpy(u + open, inner[k], il);
            memset(u + open + il, ']', open);
            int nested = inner[k][0] == '{' || inner[k][0] == '[';
            ASSERT_EQ(both(u, tl), open + 1 + nested <= FS_JSON_MAX_DEPTH);
            free(u);
        }
    }
    /* ...and so is each object member's value. */
    size_t open = FS_JSON_MAX_DEPTH;
    char *o = malloc(6 * open + 1);
    ASSERT(o != NULL);
    size_t ol = 0;
    for (size_t i = 0; i < open; i++)
        memcpy(o + ol, "{\"\":", 4), ol += 4;
    o[ol++] = '1';
    memset(o + ol, '}', open);
    ol += open;
    ASSERT_EQ(both(o, ol), 0);
    ASSERT_EQ(both(o + 4, ol - 5), 1);
    free(o);
}

static void test_messages(void)
{
    char why[160];
    ASSERT(fs_json_parse("{\"a\":1,\"a\":2}", 13, why, sizeof(why)) == NULL);
    ASSERT_CONTAINS(why, "duplicate object key");
    ASSERT(fs_json_parse("10\0", 3, why, sizeof(why)) == NULL); /* jansson: 10 */
    ASSERT(fs_json_parse("[1] \"x", 6, why, sizeof(why)) == NULL);
    ASSERT_STR_EQ(why, "trailing garbage (byte 4)");
    ASSERT(fs_json_parse("[1,", 3, why, sizeof(why)) == NULL);
    ASSERT_CONTAINS(why, "(byte 3)"); /* the end of the text */
    ASSERT(fs_json_parse("[1,2", 4, why, sizeof(why)) == NULL);
    ASSERT(why[0] != '\0' && !strchr(why, '\n'));
    /* The text is checked as UTF-8 in one pass; when that fails, each
     * string is checked on its own so that the message names the bad one. */
    static const char bad_key[] = "{\"caf\xc3\xa9\":\"\xe6\x97\xa5\",\"k\xff\":[]}";
    ASSERT(fs_json_parse(bad_key, sizeof(bad_key) - 1, why, sizeof(why)) == NULL);
    ASSERT_STR_EQ(why, "object key is not valid UTF-8 (byte 21)");
    static const char bad_string[] = "[\"\xc3\xa9\",\"\xc3\"]";
    ASSERT(fs_json_parse(bad_string, sizeof(bad_string) - 1, why, sizeof(why)) == NULL);
    ASSERT_STR_EQ(why, "string is not valid UTF-8 (byte 9)");
    /* Long keys and numbers take the heap path. */
    char big[600];
    memset(big, '7', sizeof(big));
    json_t *j = fs_json_parse(big, 18, why, sizeof(why));
    ASSERT(j && json_integer_value(j) == 777777777777777777LL);
    json_decref(j);
    memcpy(big, "1.", 2);
    j = fs_json_parse(big, 300, why, sizeof(why));
    ASSERT(j && json_is_real(j));
    json_decref(j);
}

/* Each way a text goes wrong has its own reason and the byte where the
 * parse stopped: the sender of a bad body is told what and where. */
static void test_reasons_and_offsets(void)
{
    static const struct {
        const char *text, *why;
    } cases[] = {
        {"", "no JSON value (byte 0)"},
        {" \n ", "no JSON value (byte 3)"},
        {"[1 2]", "expected ',' or ']' after an array element (byte 3)"},
        {"{\"a\":1 \"b\":2}", "expected ',' or '}' after an object member (byte 7)"},
        {"{\"a\" 1}", "expected ':' after an object key (byte 5)"},
        {"{1:2}", "expected a string as object key (byte 1)"},
        {"{\"a\":1,}", "expected a string as object key (byte 7)"},
        {"[1,]", "expected a value (byte 3)"},
        {"[1,", "unexpected end of text (byte 3)"},
        {"{\"a\":", "unexpected end of text (byte 5)"},
        {"tru", "invalid literal (byte 0)"},
        {"[nul]", "invalid literal (byte 1)"},
        {"-", "unexpected end of text in a number (byte 1)"},
        {"1.x", "invalid number (byte 2)"},
        {"1e+", "unexpected end of text in a number (byte 3)"},
        {"\"ab", "unexpected end of text in a string (byte 3)"},
        {"\"a\\", "unexpected end of text in a string (byte 2)"},
        {"\"a\\x\"", "invalid escape in a string (byte 2)"},
        {"\"\\u12g4\"", "invalid \\u escape (byte 1)"},
        {"[\"x\",\"\\u0000\"]", "\\u0000 or an unpaired surrogate (byte 6)"},
        {"\"\\ud800\\u0041\"", "\\u0000 or an unpaired surrogate (byte 1)"},
        {"\"a\tb\"", "control character in a string (byte 2)"},
        {"[1,\v2]", "vertical tab or form feed outside a string (byte 3)"},
        {"{} x", "trailing garbage (byte 3)"},
        {"01", "trailing garbage (byte 1)"},
        {"[01]", "expected ',' or ']' after an array element (byte 2)"},
        {"{\"a\":1,\"a\":2}", "duplicate object key (byte 12)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char why[160];
        json_t *j = fs_json_parse(cases[i].text, strlen(cases[i].text), why, sizeof(why));
        ASSERT(j == NULL);
        ASSERT_STR_EQ(why, cases[i].why);
        ASSERT_EQ(both(cases[i].text, strlen(cases[i].text)), 0);
    }
}

/* Strings are skipped eight bytes at a time: a quote, backslash, control
 * or multibyte character at every offset of a word, in strings of every
 * length around it, is found as jansson finds it. */
static void test_string_boundaries(void)
{
    static const char *const specials[] = {"\\n",  "\\\"", "\\u00e9", "\\ud83d\\ude00",
                                           "\x01", "\x1f", "\x7f",    "\xc3\xa9",
                                           "\xc3", "\"",   "\\"};
    for (size_t k = 0; k < sizeof(specials) / sizeof(specials[0]); k++) {
        for (size_t len = 0; len <= 20; len++) {
            for (size_t at = 0; at <= len; at++) {
                char text[64];
                size_t o = 0;
                text[o++] = '[';
                text[o++] = '"';
                memset(text + o, 'a', at);
                o += at;
                size_t sl = strlen(specials[k]);
                memcpy(text + o, specials[k], sl);
                o += sl;
                memset(text + o, 'b', len - at);
                o += len - at;
                text[o++] = '"';
                text[o++] = ']';
                /* the special byte cut short: the text ends inside it */
                both(text, o);
                both(text, 2 + at + 1);
            }
        }
    }
}

/* Objects with more members than the pairwise key check covers go
 * through a map: duplicates are still found, at any position, for values
 * of every kind; and arrays keep every member in order. */
static void test_many_members(void)
{
    static const char *const values[] = {"1", "\"s\"", "{}", "[1,[2]]", "null", "2.5"};
    for (int members = 3; members <= 70; members += 67) {
        for (int dup_at = -1; dup_at < members; dup_at += members / 3 + 1) {
            char text[4096];
            size_t o = 0;
            text[o++] = '{';
            for (int i = 0; i < members; i++)
                o += (size_t)snprintf(text + o, sizeof(text) - o, "%s\"k%d\":%s",
                                      i ? "," : "", i == dup_at ? 0 : i, values[i % 6]);
            text[o++] = '}';
            /* dup_at 0 repeats nothing (k0 is k0): only later positions do */
            ASSERT_EQ(both(text, o), dup_at <= 0);
        }
    }
    char arr[4096];
    size_t o = 0;
    arr[o++] = '[';
    for (int i = 0; i < 300; i++)
        o += (size_t)snprintf(arr + o, sizeof(arr) - o, "%s%d", i ? "," : "", i);
    arr[o++] = ']';
    ASSERT_EQ(both(arr, o), 1);
    ASSERT_EQ(
        BOTH("{\"a\":{\"a\":1},\"b\":[{\"a\":2,\"b\":{}}],\"c\":{\"a\":{\"a\":[]}}}"), 1);
    ASSERT_EQ(BOTH("{\"a\":{\"x\":1},\"b\":2,\"a\":[]}"), 0);
    ASSERT_EQ(BOTH("{\"a\":{\"x\":1,\"x\":[]},\"b\":2}"), 0);
}

/* A random JSON value: strings with bytes that need escaping, numbers of
 * every width, and containers nested up to @p depth levels. */
static json_t *random_value(uint64_t *seed, int depth)
{
    *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
    unsigned r = (unsigned)(*seed >> 33);
    switch (depth > 0 ? r % 7 : r % 5) {
    case 0: {
        static const char alphabet[] = "ab\"\\\n\x01\x1f/ ";
        char s[48];
        size_t n = r % 40;
        for (size_t i = 0; i < n; i++)
            s[i] = alphabet[(r >> (i % 24)) % (sizeof(alphabet) - 1)];
        if (r & 1)
            memcpy(s + n, "\xc3\xa9", 2), n += 2; /* é: UTF-8 is written as is */
        return json_stringn(s, n);
    }
    case 1:
        return json_integer((json_int_t)*seed);
    case 2:
        return json_real((double)(int64_t)*seed / (double)(r | 1));
    case 3:
        return r & 64 ? json_true() : json_false();
    case 4:
        return json_null();
    case 5: {
        json_t *o = json_object();
        for (unsigned i = 0; i < r % 5; i++) {
            char key[16];
            snprintf(key, sizeof(key), "k\t%u", i);
            json_object_set_new(o, key, random_value(seed, depth - 1));
        }
        return o;
    }
    default: {
        json_t *a = json_array();
        for (unsigned i = 0; i < r % 5; i++)
            json_array_append_new(a, random_value(seed, depth - 1));
        return a;
    }
    }
}

static void test_compact_larger(void)
{
    /* Against jansson's own serializer, at the exact size and around it. */
    uint64_t seed = 20261127;
    for (int i = 0; i < 2000; i++) {
        json_t *j = random_value(&seed, i % 6);
        ASSERT(j != NULL);
        size_t exact = json_dumpb(j, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
        ASSERT(exact > 0);
        fs_jdoc_t *doc;
        const fs_jval_t *v = fs_jdoc_from_json(j, &doc);
        ASSERT(v != NULL);
        ASSERT_EQ(fs_jval_compact_larger(v, exact), 0);
        ASSERT_EQ(fs_jval_compact_larger(v, exact + 1), 0);
        ASSERT_EQ(fs_jval_compact_larger(v, exact - 1), 1);
        ASSERT_EQ(fs_jval_compact_larger(v, exact / 2), exact / 2 < exact);
        /* The document converts back to the same tree. */
        json_t *back = fs_jval_to_json(v);
        ASSERT(back != NULL && json_equal(back, j));
        json_decref(back);
        fs_jdoc_free(doc);
        json_decref(j);
    }
    /* Deeper than the bound follows: counted exactly. */
    json_t *deep = json_string("x");
    for (int i = 0; i < 100; i++) {
        json_t *a = json_array();
        json_array_append_new(a, deep);
        deep = a;
    }
    ASSERT_EQ(json_dumpb(deep, NULL, 0, JSON_COMPACT), 203);
    fs_jdoc_t *doc;
    const fs_jval_t *v = fs_jdoc_from_json(deep, &doc);
    ASSERT(v != NULL);
    ASSERT_EQ(fs_jval_compact_larger(v, 203), 0);
    ASSERT_EQ(fs_jval_compact_larger(v, 202), 1);
    fs_jdoc_free(doc);
    json_decref(deep);
}

int main(void)
{
    RUN(test_accepts_what_jansson_accepts);
    RUN(test_rejects_what_jansson_rejects);
    RUN(test_depth_limit);
    RUN(test_messages);
    RUN(test_reasons_and_offsets);
    RUN(test_string_boundaries);
    RUN(test_many_members);
    RUN(test_compact_larger);
    return 0;
}
