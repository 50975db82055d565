/*
 * main.c — funnel-gen: wires the configuration, the generator (gen.c) and
 * one output, stdout or a collector (post.c); no journey logic, no HTTP.
 * Exit status: 0 done or stopped (SIGINT/SIGTERM, reader of stdout gone),
 * 1 the output failed or events were rejected, 2 invalid configuration.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fs_buf.h"
#include "fs_conf.h"
#include "fs_day.h"
#include "fs_log.h"
#include "fs_program.h"
#include "fs_signal.h"
#include "gen.h"
#include "post.h"

static const fs_conf_def_t gen_defs[] = {
    {"seed", "seed", NULL, FS_CONF_INT, "1", 0, INT64_MAX, NULL,
     "random seed: the same options and seed give byte-identical output"},
    {"users", "users", NULL, FS_CONF_INT, "1000", 1, FS_GEN_MAX_USERS, NULL,
     "journeys to generate"},
    {"days", "days", NULL, FS_CONF_INT, "14", 1, 3650, NULL,
     "journeys start over this many days ending with --end"},
    {"end", "end", NULL, FS_CONF_STRING, NULL, 0, 0, fs_gen_check_day,
     "last day YYYY-MM-DD (UTC, not after today), for reproducible output; default: now"},
    {"scenario", "scenario", NULL, FS_CONF_STRING, "mixed", 0, 0, fs_gen_check_scenario,
     "hot-tub, b2b or mixed"},
    {"duplicate_rate", "duplicate-rate", NULL, FS_CONF_STRING, "0.02", 0, 0,
     fs_gen_check_rate,
     "share of events written twice with the same event_id (0.02 or 2%)"},
    {"late_rate", "late-rate", NULL, FS_CONF_STRING, "0.05", 0, 0, fs_gen_check_rate,
     "share of events written out of time order, minutes to 3 days late"},
    {"anonymous_rate", "anonymous-rate", NULL, FS_CONF_STRING, "0.3", 0, 0,
     fs_gen_check_rate,
     "share of users browsing with only an anonymous_id until they sign up"},
    {"currency_mix", "currency-mix", NULL, FS_CONF_STRING, "USD:90,EUR:10", 0, 0,
     fs_gen_check_currency_mix, "currencies of users and their weights"},
    {"max_events", "max-events", NULL, FS_CONF_INT, "0", 0, INT64_MAX, NULL,
     "stop after this many lines (0: no limit)"},
    {"post", "post", "FUNNEL_COLLECTOR_URL", FS_CONF_STRING, NULL, 0, 0,
     fs_post_check_url,
     "post to this collector (http://host:port) instead of writing NDJSON to stdout"},
    {"rate", "rate", NULL, FS_CONF_INT, "0", 0, 1000000, NULL,
     "with --post: events per second (0: as fast as the collector takes them)"},
    {"batch", "batch", NULL, FS_CONF_INT, "100", 1, FS_POST_MAX_BATCH, NULL,
     "with --post: events per request"},
    {"write_key", "write-key", "FUNNEL_WRITE_KEY", FS_CONF_STRING, NULL, 0, 0, NULL,
     "with --post: write key (HTTP Basic user name)"},
};

/* Options → generator options; "now" is read once by the caller. */
static fs_err_t gen_opts(const fs_conf_t *conf, int64_t now_ms, fs_gen_opts_t *o,
                         char *errstr, size_t sz)
{
    fs_gen_opts_default(o);
    o->seed = (uint64_t)fs_conf_int(conf, "seed");
    o->users = (uint32_t)fs_conf_int(conf, "users");
    o->max_events = (uint64_t)fs_conf_int(conf, "max_events");
    o->days = (uint32_t)fs_conf_int(conf, "days");
    o->now_ms = now_ms;
    const char *end = fs_conf_str(conf, "end");
    /* Every value passed the table's checks already: these parses cannot fail. */
    if ((end && fs_day_parse(end, &o->end_day)) ||
        fs_gen_parse_scenario(fs_conf_str(conf, "scenario"), &o->scenario, errstr, sz) ||
        fs_gen_parse_rate(fs_conf_str(conf, "duplicate_rate"), &o->duplicate_ppm, errstr,
                          sz) ||
        fs_gen_parse_rate(fs_conf_str(conf, "late_rate"), &o->late_ppm, errstr, sz) ||
        fs_gen_parse_rate(fs_conf_str(conf, "anonymous_rate"), &o->anonymous_ppm, errstr,
                          sz) ||
        fs_gen_parse_currency_mix(fs_conf_str(conf, "currency_mix"), o->currencies,
                                  &o->ncurrencies, errstr, sz))
        return FS_ERR_INVALID;
    return FS_OK;
}

/* Generates until the end, --max-events or a stop request. Returns the exit status. */
static int run(fs_gen_t *g, fs_post_t *post, fs_log_t *lg)
{
    fs_buf_t line = FS_BUF_INIT;
    char errstr[1024] = "out of memory";
    fs_err_t err = FS_OK;
    int more = 0, werrno = 0;
    while (!err && !fs_signal_stop_requested() && (more = fs_gen_next(g, &line)) == 1) {
        if (post)
            err = fs_post_add(post, (const char *)line.data, line.len, errstr,
                              sizeof(errstr));
        else if (fwrite(line.data, 1, line.len, stdout) != line.len)
            err = FS_ERR_IO, werrno = errno;
        fs_buf_reset(&line);
    }
    fs_buf_free(&line);
    if (!err && more < 0)
        err = FS_ERR_NOMEM;
    else if (!err && post)
        err = fs_post_flush(post, errstr, sizeof(errstr));
    else if (!err && fflush(stdout) != 0)
        err = FS_ERR_IO, werrno = errno;
    if (err == FS_ERR_IO && werrno == EPIPE)
        return 0; /* the reader went away: `funnel-gen | head` is a normal stop */
    if (err == FS_ERR_IO)
        snprintf(errstr, sizeof(errstr), "writing stdout: %s", strerror(werrno));
    if (err)
        FS_ERROR(lg, "%s", errstr);
    return err ? 1 : 0;
}

int main(int argc, char **argv)
{
    static const char *const shared[] = {"log.level", "log.json", NULL};
    char errstr[1024];
    int rc = 1;
    fs_log_t *lg = NULL;
    fs_gen_t *g = NULL;
    fs_post_t *post = NULL;
    fs_gen_opts_t opts;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now); /* the one reading of "now" */
    int64_t now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;

    fs_conf_t *conf = fs_conf_new(
        "funnel-gen", "funnel-gen [options]   (NDJSON on stdout, or --post URL)");
    if (!conf || fs_conf_use(conf, shared) ||
        fs_conf_add(conf, gen_defs, sizeof(gen_defs) / sizeof(gen_defs[0]))) {
        fprintf(stderr, "funnel-gen: out of memory\n");
        goto out;
    }
    if ((rc = fs_program_start(conf, argc, argv, "funnel-gen", &lg)) >= 0)
        goto out; /* --help, --version, or a bad setting (exit 2) */
    rc = 2;
    if (gen_opts(conf, now_ms, &opts, errstr, sizeof(errstr)) ||
        !(g = fs_gen_new(&opts, errstr, sizeof(errstr)))) {
        fprintf(stderr, "funnel-gen: %s\n", errstr); /* as fs_program_start reports */
        goto out;
    }
    rc = 1;
    if (fs_signal_install()) {
        FS_ERROR(lg, "cannot install signal handlers");
        goto out;
    }
    if (fs_conf_str(conf, "post")) {
        fs_post_opts_t po = {fs_conf_str(conf, "post"), fs_conf_str(conf, "write_key"),
                             fs_conf_int(conf, "rate"), (int)fs_conf_int(conf, "batch"),
                             "funnel-gen/" FS_VERSION};
        if (!(post = fs_post_new(&po, lg, errstr, sizeof(errstr)))) {
            FS_ERROR(lg, "--post: %s", errstr);
            goto out;
        }
    }
    rc = run(g, post, lg);

    fs_gen_stats_t gs;
    fs_gen_stats(g, &gs);
    FS_INFO(lg, "generated %llu events (%llu duplicates, %llu late) for %llu users",
            gs.lines, gs.duplicates, gs.late, gs.users);
    if (post) {
        fs_post_stats_t ps;
        fs_post_stats(post, &ps);
        FS_INFO(lg, "posted: sent %llu, accepted %llu, rejected %llu, retries %llu",
                ps.sent, ps.accepted, ps.rejected, ps.retries);
        if (ps.rejected && rc == 0) {
            FS_ERROR(lg, "the collector rejected %llu events (reasons above)",
                     ps.rejected);
            rc = 1;
        }
    }
out:
    fs_post_destroy(post);
    fs_gen_destroy(g);
    fs_log_destroy(lg);
    fs_conf_destroy(conf);
    return rc;
}
