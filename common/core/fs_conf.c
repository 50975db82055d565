/*
 * fs_conf.c — table-driven configuration (see fs_conf.h).
 *
 * Values are kept as text and validated once after merging, so a value is
 * checked the same way wherever it came from.
 */
#include "fs_conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fs_log.h"
#include "fs_url.h"

#define MAX_DEFS 96
#define MAX_POSITIONAL 16
#define MAX_KAFKA 64

enum origin { ORIGIN_UNSET, ORIGIN_DEFAULT, ORIGIN_FILE, ORIGIN_ENV, ORIGIN_FLAG };
static const char *const origin_names[] = {"unset", "default", "file", "env", "flag"};

typedef struct slot {
    const fs_conf_def_t *def; /* borrowed */
    char *value;              /* owned, NULL when unset */
    enum origin origin;
    char where[300]; /* "FUNNEL_X", "--x", "file:3": for error messages */
} slot_t;

struct fs_conf {
    const char *program, *usage; /* borrowed */
    slot_t slots[MAX_DEFS];
    size_t nslots;
    char *positional[MAX_POSITIONAL];
    size_t npositional;
    char *kafka_name[MAX_KAFKA], *kafka_value[MAX_KAFKA];
    size_t nkafka;
    int allow_kafka;
    int help, version;
    struct fs_log *lg; /* borrowed: the program's log sink, for libraries' callbacks */
};

/* ---- the shared settings (docs/CONFIGURATION.md) ---------------------- */

fs_err_t fs_conf_check_log_level(const char *v, char *errstr, size_t sz)
{
    fs_log_level_t lvl;
    if (fs_log_level_parse(v, &lvl) != FS_OK) {
        snprintf(errstr, sz, "\"%s\" is not one of debug, info, warn, error, off", v);
        return FS_ERR_INVALID;
    }
    return FS_OK;
}

const fs_conf_def_t fs_conf_shared_defs[] = {
    {"kafka.brokers", "brokers", "FUNNEL_KAFKA_BROKERS", FS_CONF_STRING, "localhost:9092",
     0, 0, fs_conf_check_brokers, "Kafka bootstrap servers, host:port[,host:port...]"},
    {"kafka.topic", "topic", "FUNNEL_TOPIC", FS_CONF_STRING, "journey.events", 0, 0,
     fs_conf_check_topic, "events topic"},
    {"kafka.dlq_topic", "dlq-topic", "FUNNEL_DLQ_TOPIC", FS_CONF_STRING,
     "journey.events.dlq", 0, 0, fs_conf_check_topic, "dead-letter topic"},
    {"kafka.group", "group", "FUNNEL_GROUP", FS_CONF_STRING, "funnel-workers", 0, 0, NULL,
     "consumer group of the workers"},
    {"redis.url", "redis-url", "FUNNEL_REDIS_URL", FS_CONF_STRING,
     "redis://127.0.0.1:6379/0", 0, 0, fs_conf_check_redis_url,
     "Redis URL redis://[user[:password]@]host[:port][/db] or unix:///path"},
    {"redis.password_file", "redis-password-file", "FUNNEL_REDIS_PASSWORD_FILE",
     FS_CONF_STRING, NULL, 0, 0, fs_conf_check_readable_file,
     "file holding the Redis password (overrides the URL's)"},
    {"namespace", "namespace", "FUNNEL_NAMESPACE", FS_CONF_STRING, "funnel", 0, 0,
     fs_conf_check_namespace, "prefix of every Redis key"},
    {"listen", "listen", "FUNNEL_LISTEN", FS_CONF_STRING, "0.0.0.0:8080", 0, 0,
     fs_conf_check_hostport, "collector HTTP address host:port"},
    {"definition", "definition", "FUNNEL_DEFINITION", FS_CONF_STRING, NULL, 0, 0,
     fs_conf_check_readable_file, "funnel definition file (default: built-in)"},
    {"lookback_days", "lookback-days", "FUNNEL_LOOKBACK_DAYS", FS_CONF_INT, "30", 1, 365,
     NULL, "attribution lookback window in days"},
    {"half_life_days", "half-life-days", "FUNNEL_HALF_LIFE_DAYS", FS_CONF_INT, "7", 1,
     365, NULL, "time-decay half-life in days"},
    {"sla_days", "sla-days", "FUNNEL_SLA_DAYS", FS_CONF_INT, "7", 1, 365, NULL,
     "marketing to sales handoff SLA in days"},
    {"log.level", "log-level", "FUNNEL_LOG_LEVEL", FS_CONF_STRING, "info", 0, 0,
     fs_conf_check_log_level, "debug, info, warn, error or off"},
    {"log.json", "log-json", "FUNNEL_LOG_JSON", FS_CONF_BOOL, "false", 0, 0, NULL,
     "write logs as JSON lines"},
};
const size_t fs_conf_shared_ndefs =
    sizeof(fs_conf_shared_defs) / sizeof(fs_conf_shared_defs[0]);

/* ---- checks ----------------------------------------------------------- */

fs_err_t fs_conf_check_hostport(const char *v, char *errstr, size_t sz)
{
    fs_hostport_t hp;
    return fs_hostport_parse(v, &hp, errstr, sz);
}

fs_err_t fs_conf_check_redis_url(const char *v, char *errstr, size_t sz)
{
    fs_redis_url_t u;
    return fs_redis_url_parse(v, &u, errstr, sz);
}

fs_err_t fs_conf_check_brokers(const char *v, char *errstr, size_t sz)
{
    char buf[1024];
    if (!*v || strlen(v) >= sizeof(buf)) {
        snprintf(errstr, sz, "must be a list of host:port");
        return FS_ERR_INVALID;
    }
    snprintf(buf, sizeof(buf), "%s", v);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (isspace((unsigned char)*tok))
            tok++;
        const char *p = strstr(tok, "://"); /* allow PLAINTEXT://host:port */
        fs_hostport_t hp;
        char e[200];
        if (fs_hostport_parse(p ? p + 3 : tok, &hp, e, sizeof(e)) != FS_OK ||
            !hp.host[0]) {
            snprintf(errstr, sz, "\"%s\": %s", tok, hp.host[0] ? e : "missing host");
            return FS_ERR_INVALID;
        }
    }
    return FS_OK;
}

fs_err_t fs_conf_check_topic(const char *v, char *errstr, size_t sz)
{
    size_t n = strlen(v);
    if (n == 0 || n > 249 || !strcmp(v, ".") || !strcmp(v, "..")) {
        snprintf(errstr, sz, "a topic name has 1..249 characters");
        return FS_ERR_INVALID;
    }
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)v[i]) && !strchr("._-", v[i])) {
            snprintf(errstr, sz, "character '%c' not allowed in a topic name", v[i]);
            return FS_ERR_INVALID;
        }
    return FS_OK;
}

fs_err_t fs_conf_check_namespace(const char *v, char *errstr, size_t sz)
{
    size_t n = strlen(v);
    if (n == 0 || n > 64) {
        snprintf(errstr, sz, "a namespace has 1..64 characters");
        return FS_ERR_INVALID;
    }
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)v[i]) && !strchr("_-.", v[i])) {
            snprintf(errstr, sz,
                     "character '%c' not allowed (use letters, digits, _ - .)", v[i]);
            return FS_ERR_INVALID;
        }
    return FS_OK;
}

fs_err_t fs_conf_check_readable_file(const char *v, char *errstr, size_t sz)
{
    if (access(v, R_OK) != 0) {
        snprintf(errstr, sz, "cannot read \"%s\": %s", v, strerror(errno));
        return FS_ERR_INVALID;
    }
    return FS_OK;
}

/* ---- construction ----------------------------------------------------- */

fs_conf_t *fs_conf_new(const char *program, const char *usage)
{
    fs_conf_t *conf = calloc(1, sizeof(*conf));
    if (!conf)
        return NULL;
    conf->program = program;
    conf->usage = usage;
    return conf;
}

void fs_conf_set_log(fs_conf_t *conf, struct fs_log *lg)
{
    conf->lg = lg;
}

struct fs_log *fs_conf_log(const fs_conf_t *conf)
{
    return conf ? conf->lg : NULL;
}

void fs_conf_destroy(fs_conf_t *conf)
{
    if (!conf)
        return;
    for (size_t i = 0; i < conf->nslots; i++)
        free(conf->slots[i].value);
    for (size_t i = 0; i < conf->npositional; i++)
        free(conf->positional[i]);
    for (size_t i = 0; i < conf->nkafka; i++) {
        free(conf->kafka_name[i]);
        free(conf->kafka_value[i]);
    }
    free(conf);
}

static slot_t *find_key(const fs_conf_t *conf, const char *key)
{
    for (size_t i = 0; i < conf->nslots; i++)
        if (!strcmp(conf->slots[i].def->key, key))
            return (slot_t *)&conf->slots[i];
    return NULL;
}

static slot_t *find_flag(const fs_conf_t *conf, const char *flag, size_t n)
{
    for (size_t i = 0; i < conf->nslots; i++) {
        const char *f = conf->slots[i].def->flag;
        if (f && strlen(f) == n && !strncmp(f, flag, n))
            return (slot_t *)&conf->slots[i];
    }
    return NULL;
}

fs_err_t fs_conf_add(fs_conf_t *conf, const fs_conf_def_t *defs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (conf->nslots == MAX_DEFS || find_key(conf, defs[i].key))
            return FS_ERR_INVALID;
        conf->slots[conf->nslots++].def = &defs[i];
    }
    return FS_OK;
}

fs_err_t fs_conf_use(fs_conf_t *conf, const char *const *keys)
{
    for (; *keys; keys++) {
        size_t i = 0;
        while (i < fs_conf_shared_ndefs && strcmp(fs_conf_shared_defs[i].key, *keys))
            i++;
        if (i == fs_conf_shared_ndefs)
            return FS_ERR_NOT_FOUND;
        fs_err_t err = fs_conf_add(conf, &fs_conf_shared_defs[i], 1);
        if (err)
            return err;
    }
    return FS_OK;
}

void fs_conf_allow_kafka_props(fs_conf_t *conf)
{
    conf->allow_kafka = 1;
}

/* ---- loading ---------------------------------------------------------- */

static fs_err_t set_slot(slot_t *s, const char *value, size_t n, enum origin origin,
                         const char *where)
{
    char *v = strndup(value, n);
    if (!v)
        return FS_ERR_NOMEM;
    free(s->value);
    s->value = v;
    s->origin = origin;
    snprintf(s->where, sizeof(s->where), "%s", where);
    return FS_OK;
}

static fs_err_t add_kafka(fs_conf_t *conf, const char *name, size_t nlen,
                          const char *value, char *errstr, size_t sz, const char *where)
{
    if (nlen == 0) {
        snprintf(errstr, sz, "%s: empty Kafka property name", where);
        return FS_ERR_INVALID;
    }
    if (conf->nkafka == MAX_KAFKA) {
        snprintf(errstr, sz, "%s: more than %d Kafka properties", where, MAX_KAFKA);
        return FS_ERR_INVALID;
    }
    char *n = strndup(name, nlen), *v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        return FS_ERR_NOMEM;
    }
    conf->kafka_name[conf->nkafka] = n;
    conf->kafka_value[conf->nkafka++] = v;
    return FS_OK;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

/* Reads "key = value" lines; '#' starts a comment line. */
static fs_err_t load_file(fs_conf_t *conf, const char *path, char *errstr, size_t sz)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(errstr, sz, "--config: cannot open \"%s\": %s", path, strerror(errno));
        return FS_ERR_INVALID;
    }
    char line[4096];
    int lineno = 0;
    fs_err_t err = FS_OK;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        char where[300];
        snprintf(where, sizeof(where), "%s:%d", path, lineno);
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(errstr, sz, "%s: line longer than %zu bytes", where,
                     sizeof(line) - 2);
            err = FS_ERR_INVALID;
            break;
        }
        char *s = trim(line);
        if (!*s || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(errstr, sz, "%s: expected \"key = value\"", where);
            err = FS_ERR_INVALID;
            break;
        }
        *eq = '\0';
        char *key = trim(s), *value = trim(eq + 1);
        slot_t *slot = find_key(conf, key);
        if (slot) {
            if ((err = set_slot(slot, value, strlen(value), ORIGIN_FILE, where)))
                break;
        } else if (conf->allow_kafka && !strncmp(key, "kafka.", 6)) {
            if ((err =
                     add_kafka(conf, key + 6, strlen(key + 6), value, errstr, sz, where)))
                break;
        } else {
            snprintf(errstr, sz, "%s: unknown key \"%s\"", where, key);
            err = FS_ERR_INVALID;
            break;
        }
    }
    if (!err && ferror(f)) {
        snprintf(errstr, sz, "--config: error reading \"%s\"", path);
        err = FS_ERR_INVALID;
    }
    fclose(f);
    return err;
}

static const char *env_get(char **envp, const char *name)
{
    size_t n = strlen(name);
    for (; envp && *envp; envp++)
        if (!strncmp(*envp, name, n) && (*envp)[n] == '=')
            return *envp + n + 1;
    return NULL;
}

static int parse_bool(const char *v, int *out)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (!strcasecmp(v, yes[i])) {
            *out = 1;
            return 1;
        }
        if (!strcasecmp(v, no[i])) {
            *out = 0;
            return 1;
        }
    }
    return 0;
}

static int parse_int(const char *v, long long *out)
{
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || end == v || *end)
        return 0;
    *out = n;
    return 1;
}

static fs_err_t validate_slot(const slot_t *s, char *errstr, size_t sz)
{
    const fs_conf_def_t *d = s->def;
    char reason[512];
    reason[0] = '\0';
    if (!s->value)
        return FS_OK;
    if (d->type == FS_CONF_INT) {
        long long n;
        if (!parse_int(s->value, &n))
            snprintf(reason, sizeof(reason), "\"%s\" is not an integer", s->value);
        else if (n < d->min || n > d->max)
            snprintf(reason, sizeof(reason), "%lld outside %lld..%lld", n, d->min,
                     d->max);
    } else if (d->type == FS_CONF_BOOL) {
        int b;
        if (!parse_bool(s->value, &b))
            snprintf(reason, sizeof(reason), "\"%s\" is not a boolean (true/false)",
                     s->value);
    }
    if (!reason[0] && d->check && d->check(s->value, reason, sizeof(reason)) != FS_OK &&
        !reason[0])
        snprintf(reason, sizeof(reason), "invalid value");
    if (!reason[0])
        return FS_OK;
    if (s->origin == ORIGIN_DEFAULT)
        snprintf(errstr, sz, "%s (default): %s", d->key, reason);
    else if (!strcmp(s->where, d->key))
        snprintf(errstr, sz, "%s: %s", d->key, reason);
    else
        snprintf(errstr, sz, "%s (%s): %s", s->where, d->key, reason);
    return FS_ERR_INVALID;
}

/* One parsed command-line setting, applied after the file and environment. */
typedef struct flagval {
    slot_t *slot; /* NULL for -X name=value: len is the name's length */
    const char *value;
    size_t len;
    char where[64];
} flagval_t;

fs_err_t fs_conf_load(fs_conf_t *conf, int argc, char **argv, char **envp, char *errstr,
                      size_t sz)
{
    flagval_t *flags = calloc((size_t)(argc > 0 ? argc : 1), sizeof(*flags));
    size_t nflags = 0;
    const char *config_file = NULL;
    fs_err_t err = FS_OK;
    if (!flags)
        return FS_ERR_NOMEM;

    /* 1. Command line: remember flags, collect positionals and -X. */
    int only_positional = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_positional || a[0] != '-' || !strcmp(a, "-")) {
            if (conf->npositional == MAX_POSITIONAL) {
                snprintf(errstr, sz, "too many arguments");
                err = FS_ERR_INVALID;
                goto done;
            }
            if (!(conf->positional[conf->npositional] = strdup(a))) {
                err = FS_ERR_NOMEM;
                goto done;
            }
            conf->npositional++;
            continue;
        }
        if (!strcmp(a, "--")) {
            only_positional = 1;
            continue;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            conf->help = 1;
            continue;
        }
        if (!strcmp(a, "--help-markdown")) { /* docs/CONFIGURATION.md */
            conf->help = 2;
            continue;
        }
        if (!strcmp(a, "--version")) {
            conf->version = 1;
            continue;
        }
        if (!strcmp(a, "-X") || !strncmp(a, "-X", 2)) {
            const char *kv = a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : NULL);
            const char *eq = kv ? strchr(kv, '=') : NULL;
            if (!conf->allow_kafka) {
                snprintf(errstr, sz, "-X: this program has no Kafka client");
                err = FS_ERR_INVALID;
                goto done;
            }
            if (!eq) {
                snprintf(errstr, sz, "-X: expected prop=value");
                err = FS_ERR_INVALID;
                goto done;
            }
            /* Applied after the file so that flags win over kafka.* file keys. */
            flagval_t *fv = &flags[nflags++];
            fv->slot = NULL;
            fv->value = kv;
            fv->len = (size_t)(eq - kv);
            snprintf(fv->where, sizeof(fv->where), "-X");
            continue;
        }
        if (strncmp(a, "--", 2) != 0) {
            snprintf(errstr, sz, "%s: unknown option (see --help)", a);
            err = FS_ERR_INVALID;
            goto done;
        }
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        if (nlen == 6 && !strncmp(name, "config", 6)) {
            config_file = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!config_file) {
                snprintf(errstr, sz, "--config: needs a file name");
                err = FS_ERR_INVALID;
                goto done;
            }
            continue;
        }
        slot_t *slot = find_flag(conf, name, nlen);
        if (!slot) {
            snprintf(errstr, sz, "--%.*s: unknown option (see --help)", (int)nlen, name);
            err = FS_ERR_INVALID;
            goto done;
        }
        flagval_t *fv = &flags[nflags++];
        fv->slot = slot;
        snprintf(fv->where, sizeof(fv->where), "--%.*s", (int)nlen, name);
        if (eq) {
            fv->value = eq + 1;
        } else if (slot->def->type == FS_CONF_BOOL &&
                   (i + 1 >= argc || argv[i + 1][0] == '-' ||
                    !parse_bool(argv[i + 1], &(int){0}))) {
            fv->value = "true";
        } else if (i + 1 < argc) {
            fv->value = argv[++i];
        } else {
            snprintf(errstr, sz, "%s: needs a value", fv->where);
            err = FS_ERR_INVALID;
            goto done;
        }
        fv->len = strlen(fv->value);
    }
    if (conf->help || conf->version)
        goto done; /* nothing else matters; do not fail on a half-typed line */

    /* 2. Defaults, 3. file, 4. environment, 5. flags: later wins. */
    for (size_t i = 0; i < conf->nslots; i++) {
        slot_t *s = &conf->slots[i];
        if (s->def->def && (err = set_slot(s, s->def->def, strlen(s->def->def),
                                           ORIGIN_DEFAULT, s->def->key)))
            goto done;
    }
    if (!config_file)
        config_file = env_get(envp, "FUNNEL_CONFIG");
    if (config_file && (err = load_file(conf, config_file, errstr, sz)))
        goto done;
    for (size_t i = 0; i < conf->nslots; i++) {
        slot_t *s = &conf->slots[i];
        const char *v = s->def->env ? env_get(envp, s->def->env) : NULL;
        if (v && (err = set_slot(s, v, strlen(v), ORIGIN_ENV, s->def->env)))
            goto done;
    }
    for (size_t i = 0; i < nflags; i++) {
        const flagval_t *fv = &flags[i];
        if (!fv->slot)
            err = add_kafka(conf, fv->value, fv->len, fv->value + fv->len + 1, errstr, sz,
                            fv->where);
        else
            err = set_slot(fv->slot, fv->value, fv->len, ORIGIN_FLAG, fv->where);
        if (err)
            goto done;
    }

    /* 6. Validate every value where it came from. */
    for (size_t i = 0; i < conf->nslots; i++) {
        /* An empty environment variable or flag means "unset" for optional settings. */
        slot_t *s = &conf->slots[i];
        if (s->value && !s->value[0] && !s->def->def) {
            free(s->value);
            s->value = NULL;
            s->origin = ORIGIN_UNSET;
        }
        if ((err = validate_slot(s, errstr, sz)))
            goto done;
    }
done:
    if (err == FS_ERR_NOMEM)
        snprintf(errstr, sz, "out of memory reading the configuration");
    free(flags);
    return err;
}

int fs_conf_help_requested(const fs_conf_t *conf)
{
    return conf->help;
}

int fs_conf_markdown_requested(const fs_conf_t *conf)
{
    return conf->help == 2;
}

int fs_conf_version_requested(const fs_conf_t *conf)
{
    return conf->version;
}

static const slot_t *must_find(const fs_conf_t *conf, const char *key)
{
    const slot_t *s = find_key(conf, key);
    if (!s) {
        /* A programming error: the program reads a key it never declared. */
        fprintf(stderr, "fs_conf: undeclared key \"%s\"\n", key);
        abort();
    }
    return s;
}

const char *fs_conf_str(const fs_conf_t *conf, const char *key)
{
    return must_find(conf, key)->value;
}

long long fs_conf_int(const fs_conf_t *conf, const char *key)
{
    long long n = 0;
    const slot_t *s = must_find(conf, key);
    if (s->value)
        (void)parse_int(s->value, &n);
    return n;
}

int fs_conf_bool(const fs_conf_t *conf, const char *key)
{
    int b = 0;
    const slot_t *s = must_find(conf, key);
    if (s->value)
        (void)parse_bool(s->value, &b);
    return b;
}

const char *fs_conf_origin(const fs_conf_t *conf, const char *key)
{
    return origin_names[must_find(conf, key)->origin];
}

size_t fs_conf_npositional(const fs_conf_t *conf)
{
    return conf->npositional;
}

const char *fs_conf_positional(const fs_conf_t *conf, size_t i)
{
    return i < conf->npositional ? conf->positional[i] : NULL;
}

size_t fs_conf_nkafka(const fs_conf_t *conf)
{
    return conf->nkafka;
}

void fs_conf_kafka_at(const fs_conf_t *conf, size_t i, const char **name,
                      const char **value)
{
    *name = conf->kafka_name[i];
    *value = conf->kafka_value[i];
}

static const char *type_hint(const fs_conf_def_t *d)
{
    return d->type == FS_CONF_INT ? "N" : d->type == FS_CONF_BOOL ? "[BOOL]" : "VALUE";
}

void fs_conf_print_help(const fs_conf_t *conf, FILE *out)
{
    fprintf(out, "Usage: %s\n\nOptions (flag, environment, config-file key):\n",
            conf->usage ? conf->usage : conf->program);
    for (size_t i = 0; i < conf->nslots; i++) {
        const fs_conf_def_t *d = conf->slots[i].def;
        char flag[96];
        snprintf(flag, sizeof(flag), "--%s %s", d->flag, type_hint(d));
        fprintf(out, "  %-30s %s", flag, d->help);
        if (d->type == FS_CONF_INT)
            fprintf(out, " (%lld..%lld)", d->min, d->max);
        fprintf(out, "\n  %-30s   [%s%skey %s%s%s]\n", "", d->env ? d->env : "",
                d->env ? ", " : "", d->key, d->def ? ", default " : "",
                d->def ? d->def : "");
    }
    fprintf(out, "  %-30s %s\n", "--config FILE",
            "read \"key = value\" lines (FUNNEL_CONFIG)");
    if (conf->allow_kafka)
        fprintf(out, "  %-30s %s\n", "-X prop=value",
                "librdkafka property, passed through (file: kafka.prop = value)");
    fprintf(out,
            "  %-30s %s\n  %-30s %s\n\nPrecedence: flags, then environment, then "
            "--config file, then defaults.\n",
            "--help", "show this help", "--version", "show versions and exit");
}

void fs_conf_print_markdown(const fs_conf_t *conf, FILE *out)
{
    fprintf(out,
            "| key | flag | environment | default | meaning |\n|---|---|---|---|---|\n");
    for (size_t i = 0; i < conf->nslots; i++) {
        const fs_conf_def_t *d = conf->slots[i].def;
        fprintf(out, "| `%s` | `--%s` | %s%s%s | %s%s%s | %s", d->key, d->flag,
                d->env ? "`" : "", d->env ? d->env : "", d->env ? "`" : "",
                d->def ? "`" : "", d->def ? d->def : "(unset)", d->def ? "`" : "",
                d->help);
        if (d->type == FS_CONF_INT)
            fprintf(out, " (%lld..%lld)", d->min, d->max);
        fprintf(out, " |\n");
    }
}
