/*
 * test_text.c — common/event/fs_text.c on hostile labels: what a terminal, a
 * table and a spreadsheet receive for each.
 */
#include <string.h>

#include "fs_test.h"
#include "fs_text.h"
#include "fs_utf8.h"

/* One hostile (or harmless) label and what each rendering must make of it. */
typedef struct text_case {
    const char *in;
    size_t len; /* 0: strlen(in) */
    const char *escaped;
    size_t width;
    const char *csv;
} text_case_t;

static const text_case_t cases[] = {
    /* harmless labels are unchanged */
    {"paid_search", 0, "paid_search", 11, "paid_search"},
    {"", 0, "", 0, ""},
    {"q4:partner", 0, "q4:partner", 10, "q4:partner"},
    {"a\\x1b", 0, "a\\x1b", 5, "a\\x1b"}, /* a backslash is copied */
    {"(none)", 0, "(none)", 6, "(none)"},
    /* spreadsheet formulas: neutralised in CSV only */
    {"=HYPERLINK(\"http://x\",\"y\")", 0, "=HYPERLINK(\"http://x\",\"y\")", 26,
     "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""},
    {"=1+1", 0, "=1+1", 4, "'=1+1"},
    {"+1", 0, "+1", 2, "'+1"},
    {"-5", 0, "-5", 2, "'-5"},
    {"@SUM(A1)", 0, "@SUM(A1)", 8, "'@SUM(A1)"},
    {"  =1+1", 0, "  =1+1", 6, "'  =1+1"},
    {"\t=1", 0, "\\x09=1", 6, "'\\x09=1"},
    {"\r=1", 0, "\\x0d=1", 6, "'\\x0d=1"},
    {"a=b", 0, "a=b", 3, "a=b"},
    {"e-mail", 0, "e-mail", 6, "e-mail"},
    /* RFC 4180 */
    {"a,b", 0, "a,b", 3, "\"a,b\""},
    {"say \"hi\"", 0, "say \"hi\"", 8, "\"say \"\"hi\"\"\""},
    {"two\nlines", 0, "two\\x0alines", 12, "two\\x0alines"},
    {"cr\r\nlf", 0, "cr\\x0d\\x0alf", 12, "cr\\x0d\\x0alf"},
    /* C0, DEL, C1 */
    {"\x1b[31mred\x1b[0m", 0, "\\x1b[31mred\\x1b[0m", 18, "\\x1b[31mred\\x1b[0m"},
    {"ding\x07", 0, "ding\\x07", 8, "ding\\x07"},
    {"\x1b]0;title\x07", 0, "\\x1b]0;title\\x07", 16, "\\x1b]0;title\\x07"},
    {"del\x7f", 0, "del\\x7f", 7, "del\\x7f"},
    {"nul\0x", 5, "nul\\x00x", 8, "nul\\x00x"},
    {"csi\xc2\x9b"
     "31m",
     0, "csi\\xc2\\x9b31m", 14, "csi\\xc2\\x9b31m"},
    {"\xc2\x85next", 0, "\\xc2\\x85next", 12, "\\xc2\\x85next"},
    {"\xc2\xa0nbsp", 0, "\xc2\xa0nbsp", 5, "\xc2\xa0nbsp"}, /* U+00A0 is no control */
    /* lines reordered or broken */
    {"abc\xe2\x80\xae"
     "def",
     0, "abc\\xe2\\x80\\xaedef", 18, "abc\\xe2\\x80\\xaedef"},
    {"x\xe2\x81\xa6y", 0, "x\\xe2\\x81\\xa6y", 14, "x\\xe2\\x81\\xa6y"},
    {"x\xe2\x80\xa8y", 0, "x\\xe2\\x80\\xa8y", 14, "x\\xe2\\x80\\xa8y"},
    /* invalid UTF-8: each byte that starts no character */
    {"\xff", 0, "\\xff", 4, "\\xff"},
    {"a\xc3", 0, "a\\xc3", 5, "a\\xc3"},                           /* truncated */
    {"\xc0\xaf", 0, "\\xc0\\xaf", 8, "\\xc0\\xaf"},                /* overlong '/' */
    {"\xed\xa0\x80", 0, "\\xed\\xa0\\x80", 12, "\\xed\\xa0\\x80"}, /* surrogate */
    {"\xf4\x90\x80\x80", 0, "\\xf4\\x90\\x80\\x80", 16, "\\xf4\\x90\\x80\\x80"},
    {"\xe2\x82", 0, "\\xe2\\x82", 8, "\\xe2\\x82"},
    {"\x80=1", 0, "\\x80=1", 6, "\\x80=1"}, /* the formula is not first */
    /* display width of valid UTF-8 */
    {"caf\xc3\xa9", 0, "caf\xc3\xa9", 4, "caf\xc3\xa9"},
    {"cafe\xcc\x81", 0, "cafe\xcc\x81", 4, "cafe\xcc\x81"}, /* combining acute */
    {"\xe6\x97\xa5\xe6\x9c\xac", 0, "\xe6\x97\xa5\xe6\x9c\xac", 4,
     "\xe6\x97\xa5\xe6\x9c\xac"}, /* 日本 */
    {"\xef\xbc\x9d"
     "1",
     0,
     "\xef\xbc\x9d"
     "1",
     3,
     "\xef\xbc\x9d"
     "1"}, /* fullwidth = */
    {"\xf0\x9f\x9a\x80go", 0, "\xf0\x9f\x9a\x80go", 4, "\xf0\x9f\x9a\x80go"}, /* rocket */
    {"\xd0\xba\xd0\xb0\xd0\xbc", 0, "\xd0\xba\xd0\xb0\xd0\xbc", 3,
     "\xd0\xba\xd0\xb0\xd0\xbc"},
};

/* No byte a terminal or a spreadsheet would act on is left in @p b. */
static void assert_inert(const fs_buf_t *b)
{
    ASSERT(fs_utf8_valid((const char *)b->data, b->len));
    for (size_t i = 0; i < b->len; i++) {
        unsigned char c = b->data[i];
        ASSERT(c >= 0x20 && c != 0x7f);
        if (c == 0xc2 && i + 1 < b->len)
            ASSERT(b->data[i + 1] < 0x80 || b->data[i + 1] > 0x9f);
    }
}

static void test_cases(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const text_case_t *c = &cases[i];
        size_t len = c->len ? c->len : strlen(c->in);
        fs_buf_t esc = FS_BUF_INIT, csv = FS_BUF_INIT;
        ASSERT_EQ(fs_text_escape(&esc, c->in, len), FS_OK);
        ASSERT_EQ(fs_text_csv_field(&csv, c->in, len), FS_OK);
        ASSERT_EQ(fs_buf_puts(&esc, ""), FS_OK);
        ASSERT_EQ(fs_buf_append(&esc, "", 1), FS_OK); /* NUL-terminated for the checks */
        ASSERT_EQ(fs_buf_append(&csv, "", 1), FS_OK);
        esc.len--;
        csv.len--;
        if (strcmp((const char *)esc.data, c->escaped) != 0 ||
            strcmp((const char *)csv.data, c->csv) != 0 ||
            fs_text_width(c->in, len) != c->width)
            fprintf(stderr, "case %zu\n", i);
        ASSERT_STR_EQ((const char *)esc.data, c->escaped);
        ASSERT_STR_EQ((const char *)csv.data, c->csv);
        ASSERT_EQ(fs_text_width(c->in, len), c->width);
        assert_inert(&esc);
        assert_inert(&csv);
        fs_buf_free(&esc);
        fs_buf_free(&csv);
    }
}

/* Appends to what the buffer already holds; never touches it otherwise. */
static void test_appends(void)
{
    fs_buf_t b = FS_BUF_INIT;
    ASSERT_EQ(fs_buf_puts(&b, "k,"), FS_OK);
    ASSERT_EQ(fs_text_csv_field(&b, "=x", 2), FS_OK);
    ASSERT_EQ(fs_buf_puts(&b, ","), FS_OK);
    ASSERT_EQ(fs_text_escape(&b, "\x1b", 1), FS_OK);
    ASSERT_EQ(fs_buf_append(&b, "", 1), FS_OK);
    ASSERT_STR_EQ((const char *)b.data, "k,'=x,\\x1b");
    fs_buf_free(&b);
}

/* Every single byte and every pair: escaping always leaves inert text. */
static void test_every_byte_pair(void)
{
    fs_buf_t b = FS_BUF_INIT;
    for (unsigned x = 0; x < 256; x++)
        for (unsigned y = 0; y < 256; y++) {
            char in[2] = {(char)x, (char)y};
            fs_buf_reset(&b);
            ASSERT_EQ(fs_text_escape(&b, in, 2), FS_OK);
            assert_inert(&b);
            fs_buf_reset(&b);
            ASSERT_EQ(fs_text_csv_field(&b, in, 2), FS_OK);
            assert_inert(&b);
            ASSERT(b.data[0] != '=' && b.data[0] != '+' && b.data[0] != '-' &&
                   b.data[0] != '@');
        }
    fs_buf_free(&b);
}

static void test_utf8_decode(void)
{
    uint32_t cp = 7;
    ASSERT_EQ(fs_utf8_decode("A", 1, &cp), 1);
    ASSERT_EQ(cp, 'A');
    ASSERT_EQ(fs_utf8_decode("\0", 1, &cp), 1);
    ASSERT_EQ(cp, 0);
    ASSERT_EQ(fs_utf8_decode("\xe2\x82\xac", 3, &cp), 3);
    ASSERT_EQ(cp, 0x20ac);
    ASSERT_EQ(fs_utf8_decode("\xf0\x9f\x9a\x80", 4, &cp), 4);
    ASSERT_EQ(cp, 0x1f680);
    cp = 7;
    ASSERT_EQ(fs_utf8_decode("\xe2\x82\xac", 2, &cp), 0); /* cut by n */
    ASSERT_EQ(fs_utf8_decode("", 0, &cp), 0);
    ASSERT_EQ(fs_utf8_decode("\xc0\x80", 2, &cp), 0);
    ASSERT_EQ(cp, 7);
    /* fs_utf8_valid keeps its rules: a NUL is refused, a character is not. */
    ASSERT(!fs_utf8_valid("ab\0cdefghij", 11));
    ASSERT(fs_utf8_valid("abcdefgh\xc3\xa9", 10));
}

int main(void)
{
    test_cases();
    test_appends();
    test_every_byte_pair();
    test_utf8_decode();
    printf("test_text: ok\n");
    return 0;
}
