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
#include "fs_log.h"

/**
 * What librdkafka logs (from its own threads) goes through the program's
 * log sink, so --log-json covers it too.  The log callback finds the sink
 * through the client's opaque: every opaque given to rd_kafka_conf_set_opaque
 * on a configuration from fs_kafka_conf_new must be a struct whose FIRST
 * member is an fs_kafka_opaque_t (as struct sockaddr_in begins like struct
 * sockaddr).  With no sink (lg NULL) the lines are dropped.
 */
typedef struct fs_kafka_opaque {
    fs_log_t *lg; /* borrowed; outlives the client */
} fs_kafka_opaque_t;

/**
 * Also installs the log callback above (the opaque convention applies).
 * @p defaults: NULL-terminated name, value, name, value... list (borrowed).
 * Returns a new configuration, or NULL with @p errstr naming the property
 * ("-X linger.ms: ...").  On failure nothing is left allocated.
 */
rd_kafka_conf_t *fs_kafka_conf_new(const fs_conf_t *conf, const char *const *defaults,
                                   char *errstr, size_t errstr_size);

#endif
