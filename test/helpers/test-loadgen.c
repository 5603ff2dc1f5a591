/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-loadgen.c - a writer for crash-atomicity tests: appends sequence-numbered
 * records to files on K volumes, record n to file n % K, each made durable
 * (fdatasync) before the next is written, so that the records of all files
 * form one global order. A consistent cut of the K volumes (one instant)
 * holds a prefix of that order; see test/integration/test-atomic.sh. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RECORD_LEN 13   /* "%012llu\n" */
#define FILES_MAX 64

static volatile sig_atomic_t stop = 0;

static void on_signal(int sig) {
        (void) sig;
        stop = 1;
}

static void usage(FILE *f) {
        fprintf(f,
                "usage: test-loadgen [-n COUNT] FILE...\n\n"
                "Appends the records 0, 1, 2, ... (\"%%012llu\\n\", %d bytes each) to the\n"
                "FILEs: record n to FILE number n %% K (K FILEs), each written with O_APPEND\n"
                "and fdatasync()'ed before record n+1 is written. The FILEs must be empty\n"
                "or absent. Runs until SIGTERM or SIGINT (the record being written is\n"
                "finished first) or until COUNT records are written, then prints how many\n"
                "it wrote. A write blocked by a frozen file system just waits.\n\n"
                "  -n COUNT  stop after COUNT records\n",
                RECORD_LEN);
}

/* Writes all of buf, retrying after signals and short writes. */
static int write_all(int fd, const char *buf, size_t len) {
        while (len > 0) {
                ssize_t l = write(fd, buf, len);
                if (l < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                buf += l;
                len -= (size_t) l;
        }
        return 0;
}

static int sync_fd(int fd) {
        while (fdatasync(fd) < 0) {
                if (errno != EINTR)
                        return -errno;
        }
        return 0;
}

int main(int argc, char *argv[]) {
        unsigned long long count = 0, n;
        bool have_count = false;
        int fds[FILES_MAX], k, c, r = 0;
        struct sigaction sa = { .sa_handler = on_signal };

        while ((c = getopt(argc, argv, "hn:")) >= 0)
                switch (c) {
                case 'h':
                        usage(stdout);
                        return 0;
                case 'n': {
                        char *end;
                        errno = 0;
                        count = strtoull(optarg, &end, 10);
                        if (errno || *end || end == optarg || optarg[0] == '-') {
                                fprintf(stderr, "test-loadgen: invalid count '%s'\n", optarg);
                                return 2;
                        }
                        have_count = true;
                        break;
                }
                default:
                        usage(stderr);
                        return 2;
                }
        k = argc - optind;
        if (k < 1 || k > FILES_MAX) {
                usage(stderr);
                return 2;
        }

        /* No SA_RESTART: but a write to a frozen file system waits in the
         * kernel regardless, and is finished before the signal is seen. */
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0) {
                fprintf(stderr, "test-loadgen: sigaction: %s\n", strerror(errno));
                return 1;
        }

        for (int i = 0; i < k; i++) {
                struct stat st;
                fds[i] = open(argv[optind + i], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0644);
                if (fds[i] < 0) {
                        fprintf(stderr, "test-loadgen: cannot open %s: %s\n", argv[optind + i], strerror(errno));
                        return 1;
                }
                if (fstat(fds[i], &st) < 0 || st.st_size != 0) {
                        fprintf(stderr, "test-loadgen: %s is not empty; the records must start at 0\n",
                                argv[optind + i]);
                        return 1;
                }
        }
        for (n = 0; !stop && (!have_count || n < count); n++) {
                char rec[RECORD_LEN + 1];
                int fd = fds[n % (unsigned) k];

                snprintf(rec, sizeof rec, "%012llu\n", n);
                r = write_all(fd, rec, RECORD_LEN);
                if (r == 0)
                        r = sync_fd(fd);
                if (r < 0) {
                        fprintf(stderr, "test-loadgen: record %llu to %s: %s\n", n,
                                argv[optind + (int) (n % (unsigned) k)], strerror(-r));
                        break;
                }
        }

        printf("%llu\n", n);
        for (int i = 0; i < k; i++)
                close(fds[i]);
        return r < 0 || fflush(stdout) != 0 ? 1 : 0;
}
