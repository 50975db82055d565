/*
 * fs_kafka.h — builds librdkafka configurations from an fs_conf.
 *
 * Owns nothing after returning: the rd_kafka_conf_t goes to the caller,
 * who hands it to rd_kafka_new().  Applies, in order: bootstrap servers,
 * the caller's defaults for its role (idempotent producer, manual commits,
 * ...), then every pass-through property (-X / kafka.* keys), so a user can
 * override anything, SASL/SSL included, without code.
 */
#ifndef FS_KAFKA_H
#define FS_KAFKA_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include "fs_conf.h"

/**
 * @p defaults: NULL-terminated name, value, name, value... list (borrowed).
 * Returns a new configuration, or NULL with @p errstr naming the property
 * ("-X linger.ms: ...").  On failure nothing is left allocated.
 */
rd_kafka_conf_t *fs_kafka_conf_new(const fs_conf_t *conf, const char *const *defaults,
                                   char *errstr, size_t errstr_size);

#endif
