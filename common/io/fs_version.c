/*
 * fs_version.c — version banner (see fs_version.h).
 *
 * librdkafka reports its runtime version; avro-c has no version call, so
 * the version pkg-config found at build time is printed; hiredis and the
 * others report their header versions.
 */
#include "fs_version.h"

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <microhttpd.h>

void fs_version_print(FILE *out, const char *program)
{
    fprintf(out, "%s %s\n", program, FS_VERSION);
    fprintf(out, "  librdkafka %s\n", rd_kafka_version_str());
    fprintf(out, "  avro-c %s\n", FS_AVRO_VERSION);
    fprintf(out, "  hiredis %d.%d.%d\n", HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH);
    fprintf(out, "  jansson %s\n", jansson_version_str());
    fprintf(out, "  libmicrohttpd %s\n", MHD_get_version());
}
