/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * Path confinement needs openat2(2), and refmount deliberately has no
 * fallback without it.  valgrind 3.19 (Debian 12) does not implement it
 * (ENOSYS), so under "meson test --setup valgrind" these tests report
 * themselves skipped (TAP plan 0) instead of failing.  Call after
 * g_test_init.
 */
static inline void
test_require_openat2 (void)
{
  struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC };
  int             fd = (int) syscall (SYS_openat2, AT_FDCWD, "/", &how, sizeof how);

  if (fd >= 0)
    {
      close (fd);
      return;
    }
  if (errno == ENOSYS)
    {
      printf ("1..0 # SKIP openat2(2) is not implemented here (valgrind?)\n");
      exit (0);
    }
}
