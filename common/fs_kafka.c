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

rd_kafka_conf_t *fs_kafka_conf_new(const fs_conf_t *conf, const char *const *defaults,
                                   char *errstr, size_t sz)
{
    rd_kafka_conf_t *kc = rd_kafka_conf_new();
    if (!kc) {
        snprintf(errstr, sz, "out of memory");
        return NULL;
    }
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
