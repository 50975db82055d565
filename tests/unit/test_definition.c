/*
 * test_definition.c — unit tests of fs_definition (funnel-definition.md): the built-in
 * table row by row, the shipped default file, and every way a hand-edited
 * file can be wrong (each must name the right line and reason).
 */
#include "fs_definition.h"
#include "fs_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The default, transcribed as text independently of fs_definition.c's table. */
static const struct {
    const char *type, *stage, *dept, *role, *milestone;
} spec_rows[] = {
    {"ad_impression", "awareness", "marketing", "none", "-"},
    {"ad_click", "awareness", "marketing", "touch", "-"},
    {"social_engagement", "awareness", "marketing", "touch", "-"},
    {"page_view", "interest", "marketing", "none", "-"},
    {"content_download", "interest", "marketing", "touch", "-"},
    {"email_signup", "interest", "marketing", "touch", "lead"},
    {"email_open", "interest", "marketing", "none", "-"},
    {"email_click", "interest", "marketing", "touch", "-"},
    {"webinar_attended", "desire", "marketing", "touch", "-"},
    {"demo_requested", "desire", "sales", "touch", "-"},
    {"sales_call", "desire", "sales", "touch", "-"},
    {"demo_attended", "desire", "sales", "touch", "opportunity"},
    {"quote_sent", "desire", "sales", "touch", "-"},
    {"sale", "action", "sales", "conversion", "-"},
    {"repeat_purchase", "loyalty", "sales", "conversion", "-"},
    {"referral", "loyalty", "marketing", "touch", "-"},
    {"identify", "-", "-", "identity", "-"},
};
#define NROWS (sizeof(spec_rows) / sizeof(spec_rows[0]))

static void check_matches_spec(const fs_definition_t *def)
{
    ASSERT_EQ(fs_definition_count(def), NROWS);
    for (size_t i = 0; i < NROWS; i++) {
        const fs_event_type_t *t = fs_definition_lookup(def, spec_rows[i].type);
        ASSERT(t != NULL);
        ASSERT(fs_definition_at(def, i) == t); /* documented order */
        ASSERT_STR_EQ(t->name, spec_rows[i].type);
        ASSERT_STR_EQ(fs_stage_name(t->stage), spec_rows[i].stage);
        ASSERT_STR_EQ(fs_dept_name(t->dept), spec_rows[i].dept);
        ASSERT_STR_EQ(fs_role_name(t->role), spec_rows[i].role);
        ASSERT_STR_EQ(fs_milestone_name(t->milestone), spec_rows[i].milestone);
    }
    ASSERT(fs_definition_at(def, NROWS) == NULL);
}

static void test_default_matches_spec(void)
{
    char err[256];
    fs_definition_t *def = fs_definition_new_default(err, sizeof(err));
    ASSERT(def != NULL);
    check_matches_spec(def);

    /* A few rows spelled out with enum values, so a wrong name table cannot hide. */
    const fs_event_type_t *t = fs_definition_lookup(def, "email_signup");
    ASSERT_EQ(t->stage, FS_STAGE_INTEREST);
    ASSERT_EQ(t->dept, FS_DEPT_MARKETING);
    ASSERT_EQ(t->role, FS_ROLE_TOUCH);
    ASSERT_EQ(t->milestone, FS_MILESTONE_LEAD);
    t = fs_definition_lookup(def, "sale");
    ASSERT_EQ(t->stage, FS_STAGE_ACTION);
    ASSERT_EQ(t->dept, FS_DEPT_SALES);
    ASSERT_EQ(t->role, FS_ROLE_CONVERSION);
    t = fs_definition_lookup(def, "identify");
    ASSERT_EQ(t->stage, FS_STAGE_NONE);
    ASSERT_EQ(t->dept, FS_DEPT_NONE);
    ASSERT_EQ(t->role, FS_ROLE_IDENTITY);
    t = fs_definition_lookup(def, "demo_attended");
    ASSERT_EQ(t->milestone, FS_MILESTONE_OPPORTUNITY);

    ASSERT(fs_definition_lookup(def, "Sale") == NULL);
    ASSERT(fs_definition_lookup(def, "sal") == NULL);
    ASSERT(fs_definition_lookup(def, "sales") == NULL);
    ASSERT(fs_definition_lookup(def, "") == NULL);
    ASSERT(fs_definition_lookupn(def, "sale_xyz", 4) ==
           fs_definition_lookup(def, "sale"));
    fs_definition_destroy(def);
    fs_definition_destroy(NULL);
}

static void test_shipped_file_equals_builtin(void)
{
    char path[4096], err[512];
    const char *src = getenv("FS_SOURCE_DIR");
    ASSERT(src != NULL);
    snprintf(path, sizeof(path), "%s/schemas/funnel-definition.default", src);

    fs_definition_t *file = fs_definition_load(path, err, sizeof(err));
    if (!file)
        fprintf(stderr, "%s\n", err);
    ASSERT(file != NULL);
    fs_definition_t *builtin = fs_definition_new_default(err, sizeof(err));
    ASSERT(builtin != NULL);
    ASSERT(fs_definition_equal(file, builtin));
    check_matches_spec(file);
    fs_definition_destroy(file);
    fs_definition_destroy(builtin);
}

static void test_names_round_trip(void)
{
    for (int s = FS_STAGE_NONE; s < FS_STAGE__COUNT; s++) {
        fs_stage_t out = FS_STAGE__COUNT;
        ASSERT_EQ(fs_stage_parse(fs_stage_name((fs_stage_t)s), &out), 0);
        ASSERT_EQ(out, s);
    }
    for (int d = FS_DEPT_NONE; d <= FS_DEPT_SALES; d++) {
        fs_dept_t out = 99;
        ASSERT_EQ(fs_dept_parse(fs_dept_name((fs_dept_t)d), &out), 0);
        ASSERT_EQ(out, d);
    }
    for (int r = FS_ROLE_NONE; r <= FS_ROLE_IDENTITY; r++) {
        fs_role_t out = 99;
        ASSERT_EQ(fs_role_parse(fs_role_name((fs_role_t)r), &out), 0);
        ASSERT_EQ(out, r);
    }
    for (int m = FS_MILESTONE_NONE; m <= FS_MILESTONE_OPPORTUNITY; m++) {
        fs_milestone_t out = 99;
        ASSERT_EQ(fs_milestone_parse(fs_milestone_name((fs_milestone_t)m), &out), 0);
        ASSERT_EQ(out, m);
    }
    fs_stage_t st = FS_STAGE_DESIRE;
    ASSERT_EQ(fs_stage_parse("Awareness", &st), -1);
    ASSERT_EQ(st, FS_STAGE_DESIRE);
    fs_role_t r;
    ASSERT_EQ(fs_role_parse("", &r), -1);
    ASSERT_STR_EQ(fs_stage_name((fs_stage_t)42), "?");
    ASSERT_STR_EQ(fs_role_name((fs_role_t)42), "?");
}

static fs_definition_t *parse_str(const char *text, char *err, size_t err_size)
{
    return fs_definition_parse(text, strlen(text), "f.def", err, err_size);
}

static void test_valid_variants(void)
{
    char err[256];
    /* Tabs, CRLF, BOM, trailing comments, "-" milestone, no final newline. */
    fs_definition_t *def =
        parse_str("\xef\xbb\xbf# héllo wörld\r\n"
                  "\tsignup\tinterest\tmarketing\ttouch\tlead # first\r\n"
                  "\n   \n"
                  "buy action sales conversion -\n"
                  "link - - identity",
                  err, sizeof(err));
    if (!def)
        fprintf(stderr, "%s\n", err);
    ASSERT(def != NULL);
    ASSERT_EQ(fs_definition_count(def), 3);
    const fs_event_type_t *t = fs_definition_lookup(def, "signup");
    ASSERT(t != NULL);
    ASSERT_EQ(t->milestone, FS_MILESTONE_LEAD);
    ASSERT_EQ(fs_definition_lookup(def, "buy")->role, FS_ROLE_CONVERSION);
    ASSERT_EQ(fs_definition_lookup(def, "link")->role, FS_ROLE_IDENTITY);
    ASSERT(fs_definition_lookup(def, "ad_click") == NULL); /* replaces the default */
    fs_definition_destroy(def);

    /* 64-character name is the maximum; many types grow the hash table. */
    char big[200000];
    size_t o = 0;
    o += (size_t)snprintf(
        big + o, sizeof(big) - o, "%s awareness marketing touch\n",
        "a123456789012345678901234567890123456789012345678901234567890123");
    for (int i = 0; i < 1000; i++)
        o += (size_t)snprintf(big + o, sizeof(big) - o, "t%d desire sales touch\n", i);
    def = parse_str(big, err, sizeof(err));
    ASSERT(def != NULL);
    ASSERT_EQ(fs_definition_count(def), 1001);
    for (int i = 0; i < 1000; i++) {
        char name[16];
        snprintf(name, sizeof(name), "t%d", i);
        ASSERT(fs_definition_lookup(def, name) == fs_definition_at(def, (size_t)i + 1));
    }
    fs_definition_destroy(def);
}

static void test_invalid_files(void)
{
    static const struct {
        const char *text;
        const char *error; /* exact "FILE:LINE: reason" prefix */
    } cases[] = {
        {"", "f.def:1: no event types defined"},
        {"# only a comment\n\n", "f.def:2: no event types defined"},
        {"a awareness marketing\n", "f.def:1: expected 4 or 5 columns"},
        {"ok awareness marketing touch\nb awareness marketing touch lead extra\n",
         "f.def:2: expected 4 or 5 columns"},
        {"\n\nBad awareness marketing touch\n",
         "f.def:3: invalid event type name \"Bad\""},
        {"9lives awareness marketing touch\n", "f.def:1: invalid event type name"},
        {"a-b awareness marketing touch\n", "f.def:1: invalid event type name"},
        {"a12345678901234567890123456789012345678901234567890123456789012345 awareness "
         "marketing touch\n",
         "f.def:1: event type name longer than 64 characters"},
        {"a awarenes marketing touch\n", "f.def:1: unknown stage \"awarenes\""},
        {"a awareness finance touch\n", "f.def:1: unknown department \"finance\""},
        {"a awareness marketing click\n", "f.def:1: unknown role \"click\""},
        {"a awareness marketing touch deal\n", "f.def:1: unknown milestone \"deal\""},
        {"a awareness marketing identity\n", "f.def:1: an identity type has no stage"},
        {"a - marketing identity\n", "f.def:1: an identity type has no department"},
        {"a - marketing touch\n",
         "f.def:1: a stage is required unless the role is identity"},
        {"a desire - conversion\n",
         "f.def:1: a department is required unless the role is identity"},
        {"a action sales conversion lead\n",
         "f.def:1: only a touch can carry a milestone"},
        {"a - - identity opportunity\n", "f.def:1: only a touch can carry a milestone"},
        {"x awareness marketing touch\ny desire sales touch\nx action sales conversion\n",
         "f.def:3: duplicate event type \"x\" (first defined on line 1)"},
        {"x awareness marketing touch\n# caf\xe9\n", "f.def:2: invalid UTF-8"},
        {"x awareness marketing touch\ny awareness marketing\xc3\xa9 touch\n",
         "f.def:2: unknown department (expected"},
        {"x awareness\xc2\xa0marketing touch\n", "f.def:1: expected 4 or 5 columns"},
    };
    char err[256];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        err[0] = '\0';
        fs_definition_t *def = parse_str(cases[i].text, err, sizeof(err));
        if (def || strncmp(err, cases[i].error, strlen(cases[i].error)) != 0)
            fprintf(stderr, "case %zu: got \"%s\", want \"%s\"\n", i, err,
                    cases[i].error);
        ASSERT(def == NULL);
        ASSERT(strncmp(err, cases[i].error, strlen(cases[i].error)) == 0);
    }

    /* NUL byte (text is length-delimited, so it can carry one). */
    static const char nul[] =
        "x awareness marketing touch\ny awar\0eness marketing touch\n";
    fs_definition_t *def =
        fs_definition_parse(nul, sizeof(nul) - 1, "n.def", err, sizeof(err));
    ASSERT(def == NULL);
    ASSERT_STR_EQ(err, "n.def:2: NUL byte");

    /* Line too long: 1025 bytes, even inside a comment. */
    char longline[1100];
    memset(longline, ' ', 1025);
    longline[0] = '#';
    longline[1025] = '\0';
    def = parse_str(longline, err, sizeof(err));
    ASSERT(def == NULL);
    ASSERT_STR_EQ(err, "f.def:1: line longer than 1024 bytes");

    /* A 1024-byte line is fine. */
    char okline[1100];
    memset(okline, ' ', sizeof(okline));
    memcpy(okline, "a action sales conversion", 25);
    okline[1024] = '\0';
    def = parse_str(okline, err, sizeof(err));
    ASSERT(def != NULL);
    fs_definition_destroy(def);

    /* The errstr buffer may be small or absent. */
    def = parse_str("bogus", NULL, 0);
    ASSERT(def == NULL);
    char tiny[8];
    def = parse_str("bogus", tiny, sizeof(tiny));
    ASSERT(def == NULL);
    ASSERT_STR_EQ(tiny, "f.def:1");
}

static void test_load_errors(void)
{
    char err[512];
    fs_definition_t *def =
        fs_definition_load("/nonexistent/funnel.def", err, sizeof(err));
    ASSERT(def == NULL);
    ASSERT_CONTAINS(err, "/nonexistent/funnel.def: cannot open:");

    /* A file with an error reports its own path and line. */
    char path[] = "/tmp/fs_test_definition_XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    FILE *f = fdopen(fd, "w");
    ASSERT(f != NULL);
    fputs(
        "ad_click awareness marketing touch\nsale action sales conversion opportunity\n",
        f);
    ASSERT_EQ(fclose(f), 0);
    def = fs_definition_load(path, err, sizeof(err));
    ASSERT(def == NULL);
    char want[600];
    snprintf(want, sizeof(want), "%s:2: only a touch can carry a milestone", path);
    ASSERT_STR_EQ(err, want);
    ASSERT_EQ(remove(path), 0);
}

int main(void)
{
    RUN(test_default_matches_spec);
    RUN(test_shipped_file_equals_builtin);
    RUN(test_names_round_trip);
    RUN(test_valid_variants);
    RUN(test_invalid_files);
    RUN(test_load_errors);
    return 0;
}
