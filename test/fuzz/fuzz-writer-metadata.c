/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-writer-metadata.c - libFuzzer target: writer metadata that parses serializes to canonical JSON that parses back equal */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "writer-metadata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, const char *detail) {
        fprintf(stderr, "fuzz-writer-metadata: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        WriterMetadata *m = NULL, *m2 = NULL;
        char err[256], err2[256], small[8];
        char *j = NULL, *j2 = NULL;
        int r;

        memset(err, 'x', sizeof err);
        r = writer_metadata_parse((const char *) data, size, &m, err, sizeof err);
        /* Whatever the outcome, the message is a terminated string; a failure has one. */
        if (!memchr(err, 0, sizeof err))
                die("error message not terminated", NULL);
        if (r < 0) {
                if (m)
                        die("output written on failure", NULL);
                if (r != -ENOMEM && err[0] == 0)
                        die("failure without a message", NULL);
                /* A tiny buffer must not be overrun, and the result must not differ. */
                if (writer_metadata_parse((const char *) data, size, NULL, small, sizeof small) != r)
                        die("result depends on the error buffer", NULL);
                if (!memchr(small, 0, sizeof small))
                        die("short error message not terminated", NULL);
                return 0;
        }
        if (!m)
                die("no output on success", NULL);
        if (writer_metadata_validate(m, err, sizeof err) < 0)
                die("parsed metadata does not validate", err);

        r = writer_metadata_to_json(m, &j);
        if (r < 0)
                die("to_json failed on parsed metadata", NULL);
        r = writer_metadata_parse(j, strlen(j), &m2, err2, sizeof err2);
        if (r < 0) {
                fprintf(stderr, "%s\n", j);
                die("canonical JSON does not parse", err2);
        }
        if (!writer_metadata_equal(m, m2)) {
                fprintf(stderr, "%s\n", j);
                die("round trip changed the metadata", NULL);
        }
        /* Canonical: serializing the re-parsed struct gives the same text. */
        if (writer_metadata_to_json(m2, &j2) < 0)
                die("to_json failed on re-parsed metadata", NULL);
        if (strcmp(j, j2) != 0) {
                fprintf(stderr, "%s\n%s\n", j, j2);
                die("canonical JSON is not stable", NULL);
        }

        free(j);
        free(j2);
        writer_metadata_free(m);
        writer_metadata_free(m2);
        return 0;
}
