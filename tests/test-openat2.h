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
 * (ENOSYS), so under "meson test --setup valgrind" (which sets
 * REFMOUNT_UNDER_VALGRIND) these tests report themselves skipped (TAP
 * plan 0).  Anywhere else ENOSYS means the code under test cannot work
 * (a seccomp filter, an old kernel): that is a failure, not a skip, or a
 * CI machine could go green without running them.  Call after
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
  if (errno == ENOSYS && g_getenv ("REFMOUNT_UNDER_VALGRIND") != NULL)
    {
      printf ("1..0 # SKIP openat2(2) is not implemented by valgrind\n");
      exit (0);
    }
  if (errno == ENOSYS)
    {
      printf ("Bail out! openat2(2) fails with ENOSYS here (a seccomp filter? a kernel older than 5.6?)\n");
      exit (1);
    }
}
