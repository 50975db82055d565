/*
 * fs_kafka.c — librdkafka configuration from fs_conf (see fs_kafka.h).
 */
#include "fs_kafka.h"

#include <stdio.h>

static int set(rd_kafka_conf_t *kc, const char *where, const char *name,
               const char *value, char *errstr, size_t sz)
{
    char err[512];
    if (rd_kafka_conf_set(kc, name, value, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
        snprintf(errstr, sz, "%s %s: %s", where, name, err);
        return -1;
    }
    return 0;
}

/* librdkafka's syslog levels (0 emerg .. 7 debug) onto ours. */
static fs_log_level_t level_of(int syslog_level)
{
    if (syslog_level <= 3)
        return FS_LOG_ERROR;
    if (syslog_level == 4)
        return FS_LOG_WARN;
    return syslog_level <= 6 ? FS_LOG_INFO : FS_LOG_DEBUG;
}

/* @locality any librdkafka thread (fs_log_write is thread-safe). */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    const fs_kafka_opaque_t *ko = rd_kafka_opaque(rk);
    fs_log_level_t lv = level_of(level);
    if (!ko || !fs_log_enabled(ko->lg, lv))
        return;
    fs_log_field_t f[] = {{"source", "librdkafka", 0},
                          {"facility", fac ? fac : "", 0},
                          {"client", rd_kafka_name(rk), 0}};
    fs_log_write_fields(ko->lg, lv, f, sizeof(f) / sizeof(f[0]), "%s", buf);
}

rd_kafka_conf_t *fs_kafka_conf_new(const fs_conf_t *conf, const char *const *defaults,
                                   char *errstr, size_t sz)
{
    rd_kafka_conf_t *kc = rd_kafka_conf_new();
    if (!kc) {
        snprintf(errstr, sz, "out of memory");
        return NULL;
    }
    rd_kafka_conf_set_log_cb(kc, log_cb);
    if (set(kc, "kafka.brokers", "bootstrap.servers", fs_conf_str(conf, "kafka.brokers"),
            errstr, sz))
        goto fail;
    for (; defaults && defaults[0] && defaults[1]; defaults += 2)
        if (set(kc, "default", defaults[0], defaults[1], errstr, sz))
            goto fail;
    for (size_t i = 0; i < fs_conf_nkafka(conf); i++) {
        const char *name, *value;
        fs_conf_kafka_at(conf, i, &name, &value);
        if (set(kc, "-X", name, value, errstr, sz))
            goto fail;
    }
    return kc;
fail:
    rd_kafka_conf_destroy(kc);
    return NULL;
}
