/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Tests that need mount(2) (a read-only or a tiny file system, a real
 * mount) run in a subprocess (g_test_trap_subprocess) that unshares a
 * mount namespace with private propagation: nothing it mounts is seen
 * outside, and it all goes when the subprocess exits.  They need root.
 */

/* Root, and allowed to make a mount namespace of its own?  Tried in a
 * throw-away child: the test process keeps the host's namespace. */
static inline gboolean
test_can_unshare (void)
{
  pid_t pid;
  int   status = 0;

  if (geteuid () != 0)
    return FALSE;
  pid = fork ();
  if (pid == 0)
    _exit (unshare (CLONE_NEWNS) == 0 ? 0 : 1);
  return pid > 0 && waitpid (pid, &status, 0) == pid && WIFEXITED (status) && WEXITSTATUS (status) == 0;
}

/* In the subprocess: a private mount namespace. */
static inline void
test_enter_private_namespace (void)
{
  g_assert_cmpint (unshare (CLONE_NEWNS), ==, 0);
  g_assert_cmpint (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), ==, 0);
}

/* In the test: TRUE in the subprocess, which goes on with the test body;
 * in the parent, run the subprocess (or skip) and return FALSE. */
static inline gboolean
test_in_private_namespace (void)
{
  if (g_test_subprocess ())
    {
      test_enter_private_namespace ();
      return TRUE;
    }
  if (!test_can_unshare ())
    g_test_skip ("needs root and a mount namespace of its own");
  else
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
    }
  return FALSE;
}
