/*
 * fs_definition.h — the funnel definition (docs/funnel-definition.md): which stage,
 * department, role and milestone each event type has.
 *
 * Owns the table of event types.  Built once at start-up (the built-in
 * default or a file named by FUNNEL_DEFINITION), then immutable: every
 * thread may read it without locks for as long as it lives.  Called by the
 * validator (is this type known?), the producers and the worker (stage,
 * role, department of an event).  Never reads the environment and never
 * logs: errors are returned as "FILE:LINE: reason" sentences.
 *
 * File format (docs/funnel-definition.md): one event type per line,
 * whitespace-separated columns `type stage department role [milestone]`,
 * `#` starts a comment, blank lines are ignored, `-` stands for "none".
 */
#ifndef FS_DEFINITION_H
#define FS_DEFINITION_H

#include <stddef.h>

#include "fs_err.h"

#define FS_TYPE_NAME_MAX 64 /* bytes of an event type name: [a-z][a-z0-9_]{0,63} */
#define FS_DEFINITION_MAX_TYPES 4096
#define FS_DEFINITION_MAX_LINE 1024           /* bytes per line, without the newline */
#define FS_DEFINITION_MAX_BYTES (1024 * 1024) /* size of a definition file */

typedef enum fs_stage {
    FS_STAGE_NONE = -1, /* identity types have no stage */
    FS_STAGE_AWARENESS = 0,
    FS_STAGE_INTEREST,
    FS_STAGE_DESIRE,
    FS_STAGE_ACTION,
    FS_STAGE_LOYALTY,
    FS_STAGE__COUNT
} fs_stage_t;

typedef enum fs_dept { FS_DEPT_NONE, FS_DEPT_MARKETING, FS_DEPT_SALES } fs_dept_t;

/* FS_ROLE_NONE is the role "none" (counted only), not an absent role. */
typedef enum fs_role {
    FS_ROLE_NONE,
    FS_ROLE_TOUCH,
    FS_ROLE_CONVERSION,
    FS_ROLE_IDENTITY
} fs_role_t;

typedef enum fs_milestone {
    FS_MILESTONE_NONE,
    FS_MILESTONE_LEAD,
    FS_MILESTONE_OPPORTUNITY
} fs_milestone_t;

typedef struct fs_event_type {
    char name[FS_TYPE_NAME_MAX + 1];
    fs_stage_t stage; /* FS_STAGE_NONE iff role is identity */
    fs_dept_t dept;   /* FS_DEPT_NONE iff role is identity */
    fs_role_t role;
    fs_milestone_t milestone; /* only touches carry a milestone */
} fs_event_type_t;

/* Opaque; immutable after construction, safe to read from any thread. */
typedef struct fs_definition fs_definition_t;

/**
 * The built-in docs/funnel-definition.md table (17 types).
 * @returns a new definition owned by the caller (fs_definition_destroy()),
 *          or NULL when out of memory (errstr says so).
 */
fs_definition_t *fs_definition_new_default(char *errstr, size_t errstr_size);

/**
 * Parses a definition from @p len bytes of @p text (need not be
 * NUL-terminated; a NUL byte is an error).  @p filename is only used in
 * error messages.  On failure returns NULL and fills @p errstr with
 * "FILENAME:LINE: reason" (the first problem found); nothing is allocated.
 */
fs_definition_t *fs_definition_parse(const char *text, size_t len, const char *filename,
                                     char *errstr, size_t errstr_size);

/**
 * Reads the file at @p path (at most FS_DEFINITION_MAX_BYTES) and parses it.
 * On failure returns NULL with "PATH: reason" or "PATH:LINE: reason" in
 * @p errstr.  The only function of this module that does I/O.
 */
fs_definition_t *fs_definition_load(const char *path, char *errstr, size_t errstr_size);

/** Frees @p def.  NULL is a no-op. */
void fs_definition_destroy(fs_definition_t *def);

/**
 * The entry for event type @p type (NUL-terminated), or NULL when the
 * definition does not know it.  O(1): an open-addressing hash table.
 * The returned pointer is borrowed and lives as long as @p def.
 */
const fs_event_type_t *fs_definition_lookup(const fs_definition_t *def, const char *type);

/** As fs_definition_lookup() for @p len bytes of @p type (not NUL-terminated). */
const fs_event_type_t *fs_definition_lookupn(const fs_definition_t *def, const char *type,
                                             size_t len);

/** Number of event types (at least 1). */
size_t fs_definition_count(const fs_definition_t *def);

/** The @p i-th type in definition (file) order, or NULL when @p i is out of range. */
const fs_event_type_t *fs_definition_at(const fs_definition_t *def, size_t i);

/** Non-zero when @p a and @p b define the same types, in the same order, identically. */
int fs_definition_equal(const fs_definition_t *a, const fs_definition_t *b);

/*
 * Names as written in definition files and aggregates ("awareness",
 * "marketing", "touch", "lead").  The "none" value of stage, department and
 * milestone is "-"; out-of-range values give "?".  Static storage, never NULL.
 */
const char *fs_stage_name(fs_stage_t s);
const char *fs_dept_name(fs_dept_t d);
const char *fs_role_name(fs_role_t r);
const char *fs_milestone_name(fs_milestone_t m);

/*
 * Inverses of the *_name() functions (exact, case-sensitive; "-" gives the
 * NONE value for stage, department and milestone).
 * @returns 0 and sets *out, or -1 for an unknown word (*out untouched).
 */
int fs_stage_parse(const char *s, fs_stage_t *out);
int fs_dept_parse(const char *s, fs_dept_t *out);
int fs_role_parse(const char *s, fs_role_t *out);
int fs_milestone_parse(const char *s, fs_milestone_t *out);

#endif
