/*
 * fs_version.h — the --version banner of every program: its own version
 * and the versions of the linked librdkafka, avro-c and hiredis (docs/CONFIGURATION.md).
 */
#ifndef FS_VERSION_H
#define FS_VERSION_H

#include <stdio.h>

/** Prints "<program> <version>" and one line per dependency to @p out. */
void fs_version_print(FILE *out, const char *program);

#endif
