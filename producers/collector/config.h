/*
 * config.h — the collector's own settings (docs/collector.md) and what they build.
 *
 * Owns the `collector.*` rows of the configuration table (validated at
 * start-up, named in errors, listed by --help and docs/CONFIGURATION.md)
 * and turns a loaded fs_conf_t into server options: it reads the write-key
 * file and parses the origin list.  Called by main only, before the server
 * starts.  Never logs a write key, and never quotes one in an error.
 */
#ifndef FS_COLLECTOR_CONFIG_H
#define FS_COLLECTOR_CONFIG_H

#include <stddef.h>

#include "fs_conf.h"
#include "server.h"

extern const fs_conf_def_t fs_collector_defs[];
extern const size_t fs_collector_ndefs;

/**
 * Fills @p opts from @p conf (which must outlive @p opts: strings are
 * borrowed).  Allocates opts->write_keys and opts->cors, released by
 * fs_collector_opts_clear().  On failure @p errstr names the key and
 * nothing is left allocated.
 */
fs_err_t fs_collector_opts(const fs_conf_t *conf, fs_server_opts_t *opts, char *errstr,
                           size_t errstr_size) FS_WUR;

/** Frees what fs_collector_opts() allocated; safe on a zeroed @p opts. */
void fs_collector_opts_clear(fs_server_opts_t *opts);

#endif
