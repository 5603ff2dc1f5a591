/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-rcu.c - expedited RCU grace periods for the moments of FIFREEZE */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "macro.h"
#include "stasisd-rcu.h"

int rcu_expedited_get(void) {
        _cleanup_close_ int fd = open(RCU_EXPEDITED_PATH, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        char c;

        if (fd < 0)
                return -errno;
        if (read(fd, &c, 1) != 1)
                return -EIO;
        return c == '0' ? 0 : 1;
}

int rcu_expedite_begin(void) {
        _cleanup_close_ int fd = open(RCU_EXPEDITED_PATH, O_RDWR | O_CLOEXEC | O_NOCTTY);
        char c;

        if (fd < 0)
                return -errno;
        if (read(fd, &c, 1) != 1)
                return -EIO;
        if (c != '0')
                return 1;       /* on already: leave it as it is */
        if (pwrite(fd, "1", 1, 0) != 1)
                return -errno;
        return 0;
}

void rcu_expedite_end(int old) {
        if (old != 0)
                return;
        _cleanup_close_ int fd = open(RCU_EXPEDITED_PATH, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd >= 0)
                (void) !write(fd, "0", 1);
}
