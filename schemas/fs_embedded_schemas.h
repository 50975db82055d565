/*
 * fs_embedded_schemas.h — every schemas/ .avsc files, compiled into the programs.
 *
 * The arrays are generated at build time by schemas/embed.cmake (library
 * fs_schemas); the codec's schema store (fs_codec.c) is their one reader.
 * Read-only data: nothing here is ever written.
 */
#ifndef FS_EMBEDDED_SCHEMAS_H
#define FS_EMBEDDED_SCHEMAS_H

#include <stddef.h>

/** Number of embedded schemas. */
extern const size_t fs_embedded_schema_count;
/** File names ("journey_event.v2.avsc"), sorted, NULL-terminated. */
extern const char *const fs_embedded_schema_names[];
/** Schema JSON texts, NUL-terminated, in the order of the names. */
extern const char *const fs_embedded_schemas[];
/** Lengths of the texts in bytes, without the NUL. */
extern const size_t fs_embedded_schema_lens[];

#endif
