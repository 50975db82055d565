/*
 * fs_conf.h — table-driven configuration of every program.
 *
 * Owns: the values of one program's settings, merged from (highest first)
 * command-line flags, environment variables, an optional `--config FILE`
 * and the defaults of the table; plus Kafka client properties passed
 * through verbatim (`-X prop=value` flags, `kafka.<prop>` file keys).
 * One fs_conf_def_t table drives parsing, validation (types, ranges,
 * checks, file:line in errors), `--help` and docs/CONFIGURATION.md.
 * Unknown flags and file keys are errors.  Never prints except where asked
 * (fs_conf_print_help / fs_conf_print_markdown).  Not thread-safe; build
 * it at start-up, then read it from any thread.
 */
#ifndef FS_CONF_H
#define FS_CONF_H

#include <stddef.h>
#include <stdio.h>

#include "fs_err.h"

typedef enum fs_conf_type {
    FS_CONF_STRING,
    FS_CONF_INT,  /* decimal integer within [min, max] */
    FS_CONF_BOOL, /* true/false/yes/no/on/off/1/0; a bare --flag means true */
} fs_conf_type_t;

/** Extra validation of a value; fills @p errstr with the reason (no key). */
typedef fs_err_t (*fs_conf_check_fn)(const char *value, char *errstr, size_t errstr_size);

typedef struct fs_conf_def {
    const char *key;  /* file key and canonical name, e.g. "redis.url" */
    const char *flag; /* long flag without "--", e.g. "redis-url" */
    const char *env;  /* environment variable, or NULL */
    fs_conf_type_t type;
    const char *def;        /* default as text, or NULL for "unset" */
    long long min, max;     /* FS_CONF_INT range */
    fs_conf_check_fn check; /* or NULL */
    const char *help;
} fs_conf_def_t;

typedef struct fs_conf fs_conf_t;

/**
 * The settings of docs/CONFIGURATION.md shared by the programs.  A program picks the ones
 * it uses with fs_conf_use().
 */
extern const fs_conf_def_t fs_conf_shared_defs[];
extern const size_t fs_conf_shared_ndefs;

/** @p program and @p usage are borrowed (string literals). NULL on OOM. */
fs_conf_t *fs_conf_new(const char *program, const char *usage);
void fs_conf_destroy(fs_conf_t *conf);

struct fs_log;
/**
 * Attaches the program's log sink (borrowed; must outlive every client
 * built from @p conf), so that what librdkafka logs from its own threads
 * reaches the same sink (fs_kafka_conf_new).  fs_program_start does it.
 */
void fs_conf_set_log(fs_conf_t *conf, struct fs_log *lg);
/** The attached log sink, or NULL. */
struct fs_log *fs_conf_log(const fs_conf_t *conf);

/** Adds @p n definitions (borrowed: static tables). */
fs_err_t fs_conf_add(fs_conf_t *conf, const fs_conf_def_t *defs, size_t n) FS_WUR;

/** Adds the shared definitions named by the NULL-terminated list @p keys. */
fs_err_t fs_conf_use(fs_conf_t *conf, const char *const *keys) FS_WUR;

/** Accept -X prop=value and kafka.* file keys (for programs with a Kafka client). */
void fs_conf_allow_kafka_props(fs_conf_t *conf);

/**
 * Parses @p argv (flags, positional arguments, --config, -X, --help,
 * --version) and @p envp, loads the file, applies defaults and validates
 * every value.  On FS_ERR_INVALID @p errstr names the source and key:
 * "FUNNEL_REDIS_URL (redis.url): port 70000 outside 1..65535",
 * "--lookback-days: 0 outside 1..365", "my.conf:3: unknown key \"fo\"".
 */
fs_err_t fs_conf_load(fs_conf_t *conf, int argc, char **argv, char **envp, char *errstr,
                      size_t errstr_size) FS_WUR;

int fs_conf_help_requested(const fs_conf_t *conf);
/** Non-zero after --help-markdown (the table for docs/CONFIGURATION.md). */
int fs_conf_markdown_requested(const fs_conf_t *conf);
int fs_conf_version_requested(const fs_conf_t *conf);

/** Value of @p key (borrowed until destroy), NULL when unset.  Aborts on an undefined
 * key. */
const char *fs_conf_str(const fs_conf_t *conf, const char *key);
long long fs_conf_int(const fs_conf_t *conf, const char *key);
int fs_conf_bool(const fs_conf_t *conf, const char *key);
/** Where the value of @p key came from: "default", "file", "env", "flag" or "unset". */
const char *fs_conf_origin(const fs_conf_t *conf, const char *key);

size_t fs_conf_npositional(const fs_conf_t *conf);
const char *fs_conf_positional(const fs_conf_t *conf, size_t i);

/** Kafka properties passed through, in the order given (later ones win in librdkafka). */
size_t fs_conf_nkafka(const fs_conf_t *conf);
void fs_conf_kafka_at(const fs_conf_t *conf, size_t i, const char **name,
                      const char **value);

void fs_conf_print_help(const fs_conf_t *conf, FILE *out);
/** A Markdown table of the settings, for docs/CONFIGURATION.md. */
void fs_conf_print_markdown(const fs_conf_t *conf, FILE *out);

/* Checks usable in tables. */
fs_err_t fs_conf_check_hostport(const char *v, char *errstr, size_t errstr_size);
fs_err_t fs_conf_check_redis_url(const char *v, char *errstr, size_t errstr_size);
fs_err_t fs_conf_check_brokers(const char *v, char *errstr, size_t errstr_size);
fs_err_t fs_conf_check_topic(const char *v, char *errstr, size_t errstr_size);
fs_err_t fs_conf_check_namespace(const char *v, char *errstr, size_t errstr_size);
fs_err_t fs_conf_check_readable_file(const char *v, char *errstr, size_t errstr_size);
fs_err_t fs_conf_check_log_level(const char *v, char *errstr, size_t errstr_size);

#endif
