/* Unit tests of fs_conf: precedence, validation messages, file parsing. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fs_conf.h"
#include "fs_test.h"

static const fs_conf_def_t extra_defs[] = {
    {"batch.max", "batch-max", "FUNNEL_BATCH_MAX", FS_CONF_INT, "500", 1, 10000, NULL,
     "events per batch"},
    {"dry_run", "dry-run", NULL, FS_CONF_BOOL, "false", 0, 0, NULL, "do nothing"},
};

static const char *const shared_keys[] = {"kafka.brokers", "redis.url", "namespace",
                                          "lookback_days", "listen",    NULL};

static fs_conf_t *make(void)
{
    fs_conf_t *conf = fs_conf_new("test", "test [options]");
    ASSERT(conf);
    ASSERT_EQ(fs_conf_use(conf, shared_keys), FS_OK);
    ASSERT_EQ(fs_conf_add(conf, extra_defs, 2), FS_OK);
    fs_conf_allow_kafka_props(conf);
    return conf;
}

/* Loads with @p argv (NULL-terminated) and @p envp; returns the error. */
static fs_err_t load(fs_conf_t *conf, char **argv, char **envp, char *err, size_t sz)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    return fs_conf_load(conf, argc, argv, envp, err, sz);
}

static char *write_tmp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/fs_conf_test_%d.conf", (int)getpid());
    FILE *f = fopen(path, "w");
    ASSERT(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_defaults(void)
{
    fs_conf_t *conf = make();
    char err[256] = "";
    char *argv[] = {"prog", NULL};
    char *envp[] = {NULL};
    ASSERT_EQ(load(conf, argv, envp, err, sizeof(err)), FS_OK);
    ASSERT_STR_EQ(fs_conf_str(conf, "kafka.brokers"), "localhost:9092");
    ASSERT_STR_EQ(fs_conf_str(conf, "redis.url"), "redis://127.0.0.1:6379/0");
    ASSERT_EQ(fs_conf_int(conf, "lookback_days"), 30);
    ASSERT_EQ(fs_conf_int(conf, "batch.max"), 500);
    ASSERT_EQ(fs_conf_bool(conf, "dry_run"), 0);
    ASSERT_STR_EQ(fs_conf_origin(conf, "namespace"), "default");
    fs_conf_destroy(conf);
}

static void test_precedence(void)
{
    char *path = write_tmp("# comment\n\nnamespace = fromfile\nbatch.max=7\n"
                           "lookback_days = 9\nkafka.linger.ms = 5\n");
    char cfg[128];
    snprintf(cfg, sizeof(cfg), "--config=%s", path);
    fs_conf_t *conf = make();
    char err[256] = "";
    char *argv[] = {"prog", cfg,  "--batch-max", "42", "--dry-run",
                    "pos1", "-X", "acks=all",    "-",  NULL};
    char *envp[] = {"FUNNEL_NAMESPACE=fromenv", "FUNNEL_BATCH_MAX=11", "OTHER=1", NULL};
    ASSERT_EQ(load(conf, argv, envp, err, sizeof(err)), FS_OK);
    ASSERT_STR_EQ(fs_conf_str(conf, "namespace"), "fromenv"); /* env > file */
    ASSERT_EQ(fs_conf_int(conf, "batch.max"), 42);            /* flag > env > file */
    ASSERT_EQ(fs_conf_int(conf, "lookback_days"), 9);         /* file > default */
    ASSERT_EQ(fs_conf_bool(conf, "dry_run"), 1);              /* bare bool flag */
    ASSERT_STR_EQ(fs_conf_origin(conf, "batch.max"), "flag");
    ASSERT_EQ(fs_conf_npositional(conf), 2);
    ASSERT_STR_EQ(fs_conf_positional(conf, 0), "pos1");
    ASSERT_STR_EQ(fs_conf_positional(conf, 1), "-");
    ASSERT_EQ(fs_conf_nkafka(conf), 2);
    const char *n, *v;
    fs_conf_kafka_at(conf, 0, &n, &v);
    ASSERT_STR_EQ(n, "linger.ms"); /* file first, then flags */
    ASSERT_STR_EQ(v, "5");
    fs_conf_kafka_at(conf, 1, &n, &v);
    ASSERT_STR_EQ(n, "acks");
    ASSERT_STR_EQ(v, "all");
    fs_conf_destroy(conf);
    unlink(path);
}

/* Each bad configuration fails naming the source, the key and the reason. */
static void test_errors(void)
{
    struct {
        char *argv[4];
        char *env;
        const char *file;
        const char *want[3];
    } cases[] = {
        {{"prog", "--batch-max", "0"},
         NULL,
         NULL,
         {"--batch-max", "batch.max", "0 outside 1..10000"}},
        {{"prog", "--batch-max=x"}, NULL, NULL, {"--batch-max", "not an integer", NULL}},
        {{"prog"},
         "FUNNEL_REDIS_URL=redis://h:70000/0",
         NULL,
         {"FUNNEL_REDIS_URL", "redis.url", "port 70000 outside 1..65535"}},
        {{"prog"}, "FUNNEL_REDIS_URL=http://x", NULL, {"redis.url", "redis://", NULL}},
        {{"prog"},
         "FUNNEL_LOOKBACK_DAYS=400",
         NULL,
         {"FUNNEL_LOOKBACK_DAYS", "400 outside 1..365", NULL}},
        {{"prog"},
         "FUNNEL_KAFKA_BROKERS=nohostport",
         NULL,
         {"kafka.brokers", "missing \":port\"", NULL}},
        {{"prog"}, "FUNNEL_NAMESPACE=a b", NULL, {"namespace", "not allowed", NULL}},
        {{"prog"}, "FUNNEL_LISTEN=0.0.0.0:0", NULL, {"listen", "port 0 outside", NULL}},
        {{"prog", "--nope"}, NULL, NULL, {"--nope", "unknown option", NULL}},
        {{"prog", "--batch-max"}, NULL, NULL, {"--batch-max", "needs a value", NULL}},
        {{"prog", "-X", "novalue"}, NULL, NULL, {"-X", "prop=value", NULL}},
        {{"prog"},
         NULL,
         "namespace = ok\nbogus = 1\n",
         {":2:", "unknown key \"bogus\"", NULL}},
        {{"prog"}, NULL, "just words\n", {":1:", "key = value", NULL}},
        {{"prog"}, NULL, "batch.max = 99999\n", {":1", "batch.max", "99999 outside"}},
        {{"prog", "--config", "/nonexistent/x.conf"},
         NULL,
         NULL,
         {"--config", "cannot open", NULL}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fs_conf_t *conf = make();
        char err[512] = "";
        char *argv[8] = {0};
        int k = 0;
        for (; k < 4 && cases[i].argv[k]; k++)
            argv[k] = cases[i].argv[k];
        char cfg[128];
        char *path = NULL;
        if (cases[i].file) {
            path = write_tmp(cases[i].file);
            snprintf(cfg, sizeof(cfg), "--config=%s", path);
            argv[k++] = cfg;
        }
        char *envp[] = {cases[i].env, NULL};
        fprintf(stderr, "   case %zu\n", i);
        ASSERT_EQ(load(conf, argv, envp, err, sizeof(err)), FS_ERR_INVALID);
        for (int w = 0; w < 3 && cases[i].want[w]; w++)
            ASSERT_CONTAINS(err, cases[i].want[w]);
        fs_conf_destroy(conf);
        if (path)
            unlink(path);
    }
}

static void test_help_version(void)
{
    fs_conf_t *conf = make();
    char err[256];
    char *argv[] = {"prog", "--help", "--batch-max=bad", NULL};
    char *envp[] = {NULL};
    ASSERT_EQ(load(conf, argv, envp, err, sizeof(err)), FS_OK);
    ASSERT(fs_conf_help_requested(conf));
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    fs_conf_print_help(conf, m);
    fclose(m);
    ASSERT_CONTAINS(buf, "--batch-max");
    ASSERT_CONTAINS(buf, "FUNNEL_KAFKA_BROKERS");
    ASSERT_CONTAINS(buf, "-X prop=value");
    free(buf);
    fs_conf_destroy(conf);
}

int main(void)
{
    RUN(test_defaults);
    RUN(test_precedence);
    RUN(test_errors);
    RUN(test_help_version);
    return 0;
}
