/*
 * fs_schema_tool.c — prints the Parsing Canonical Form or the CRC-64-AVRO
 * fingerprint of schema files, one line per file, for the referee checks
 * (check_schema_python.py, check_schema_java.sh) that compare them with
 * python's and Java's Avro.  Test tool only: it owns nothing.
 *
 *   fs-schema-tool canonical|fingerprint FILE...
 *   fingerprint lines are "<16 hex digits> <file name>"
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_schema.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap || ferror(f))
            break;
        char *p = realloc(buf, cap * 2);
        if (!p) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = p;
        cap *= 2;
    }
    if (buf && ferror(f)) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    if (argc < 3 ||
        (strcmp(argv[1], "canonical") != 0 && strcmp(argv[1], "fingerprint") != 0)) {
        fprintf(stderr, "usage: fs-schema-tool canonical|fingerprint FILE...\n");
        return 2;
    }
    int rc = 0;
    for (int i = 2; i < argc; i++) {
        size_t len;
        char err[256];
        char *text = slurp(argv[i], &len);
        char *canon = text ? fs_schema_canonical_form(text, len, err, sizeof err) : NULL;
        if (!text)
            snprintf(err, sizeof err, "cannot read");
        if (!canon) {
            fprintf(stderr, "%s: %s\n", argv[i], err);
            rc = 1;
        } else if (argv[1][0] == 'c') {
            printf("%s\n", canon);
        } else {
            printf("%016" PRIx64 " %s\n", fs_schema_fingerprint64(canon, strlen(canon)),
                   argv[i]);
        }
        free(canon);
        free(text);
    }
    return rc;
}
