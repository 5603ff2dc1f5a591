/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ini.h - systemd-style INI files: [Section] headers, KEY=VALUE lines, '#' and ';' comments */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define INI_FILE_MAX (64 * 1024)        /* bytes in one file */
#define INI_LINE_MAX 4096               /* bytes in one line */

/* Called once for each problem: level is LOG_ERR or LOG_WARNING, line 0 means
 * the file as a whole. message has no file, line or final period. */
typedef void (*IniReport)(void *userdata, int level, const char *file, unsigned line, const char *message);

typedef struct IniParser {
        const char *file;               /* for messages; may be NULL */
        unsigned line;                  /* the line being parsed, from 1 */
        unsigned n_errors;              /* LOG_ERR reports so far */
        IniReport report;
        void *userdata;                 /* given to report */
        void *data;                     /* the parse's own, for the assignment handler */
} IniParser;

/* One KEY=VALUE line, blanks around both trimmed. section is NULL when the
 * line comes before any section header. Unknown keys and bad values are the
 * handler's to report with ini_report(); a negative return (-ENOMEM) stops
 * the parse and is returned by ini_parse(). Lines in a section not listed as
 * known are reported once, at the header, and not handed over. */
typedef int (*IniAssignment)(IniParser *p, const char *section, const char *key, const char *value);

/* Reports a problem at the current line; LOG_ERR counts as an error. */
void ini_report(IniParser *p, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A short, printable rendering of n bytes of s for messages (non-printable
 * bytes as \xNN, cut with "..." to fit size). Returns buf. */
const char *ini_quote(const char *s, size_t n, char *buf, size_t size);

/* Parses size bytes of text (no NUL terminator needed), read from file.
 * sections: the known section names, NULL-terminated. Every problem is
 * reported; returns 0 if there was no error, -EINVAL if there was any (a
 * line too long, a NUL byte, a line that is not a header, an assignment or a
 * comment, an unknown section, or anything the handler reported as an
 * error), or the handler's negative return. The handler finds data in
 * p->data. */
int ini_parse(const char *text, size_t size, const char *file, const char *const *sections,
              IniAssignment on_assignment, void *data, IniReport report, void *userdata);

/* Reads path for a process that acts on it as root: it and every directory
 * above it must be root's (or this process's user's) and writable by nobody
 * else (path_open_trusted()); it must be a regular file of at most
 * INI_FILE_MAX bytes. Returns 0 with *ret_text (malloc'd, NUL-terminated)
 * and *ret_size; -ENOENT, not reported, when it does not exist and
 * !must_exist; otherwise a reported -errno (-EPERM for an untrusted file,
 * -EINVAL for one that is not regular or too long). */
int ini_read_trusted(const char *path, bool must_exist, IniReport report, void *userdata,
                     char **ret_text, size_t *ret_size);
