/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The mount helper's process when the kernel says no: close_range(2)
 * missing (kernels before 5.11, or a seccomp filter), no fd left for the
 * helper's output, fork(2) refused.  Each case runs in a subprocess that
 * narrows what the kernel allows (a seccomp filter returning an errno, a
 * lower RLIMIT_NOFILE) before calling the code under test.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <libmount.h>
#include <linux/audit.h>
#include <linux/sched.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "refmount-helper-child.h"

#if defined(__x86_64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif

#ifdef TEST_AUDIT_ARCH
/* Make system calls @nr1 and @nr2 fail with @err for this process. */
static void
refuse_syscalls (int nr1,
                 int nr2,
                 int err)
{
  struct sock_filter filter[] = {
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, arch)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, TEST_AUDIT_ARCH, 1, 0),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, (unsigned int) nr1, 2, 0),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, (unsigned int) nr2, 1, 0),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((unsigned int) err & SECCOMP_RET_DATA)),
  };
  struct sock_fprog prog = { G_N_ELEMENTS (filter), filter };

  g_assert_cmpint (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), ==, 0);
  g_assert_cmpint (prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog), ==, 0);
}
#endif

static gboolean
is_cloexec (int fd)
{
  int flags = fcntl (fd, F_GETFD);

  g_assert_cmpint (flags, >=, 0);
  return (flags & FD_CLOEXEC) != 0;
}

/* Three fds without close-on-exec; all three get it. */
static void
check_cloexec_from (void)
{
  int fds[3];

  for (guint i = 0; i < G_N_ELEMENTS (fds); i++)
    {
      fds[i] = open ("/dev/null", O_RDONLY);
      g_assert_cmpint (fds[i], >=, 0);
      g_assert_false (is_cloexec (fds[i]));
    }
  refmount_fds_set_cloexec_from (fds[0]);
  for (guint i = 0; i < G_N_ELEMENTS (fds); i++)
    {
      g_assert_true (is_cloexec (fds[i]));
      close (fds[i]);
    }
}

static void
test_cloexec (void)
{
  check_cloexec_from ();
}

/* Without close_range(2) every fd is flagged one by one. */
static void
test_cloexec_fallback (void)
{
#ifdef TEST_AUDIT_ARCH
  if (g_test_subprocess ())
    {
      refuse_syscalls (SYS_close_range, SYS_close_range, ENOSYS);
      g_assert_cmpint (syscall (SYS_close_range, 100u, ~0u, 0u), ==, -1);
      g_assert_cmpint (errno, ==, ENOSYS);
      check_cloexec_from ();
      exit (0);
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
#else
  g_test_skip ("no seccomp architecture constant for this machine");
#endif
}

/* No fd left for the helper's output: an error, nothing started. */
static void
test_no_fd (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr (GError)     error = NULL;
      struct libmnt_context *cxt = mnt_new_context ();
      RefmountHelperResult   result;
      struct rlimit          rl, saved;
      int                    next = dup (0);

      g_assert_cmpint (next, >=, 0);
      close (next);
      /* The lowest free fd becomes the first one past the limit. */
      g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &saved), ==, 0);
      rl = saved;
      rl.rlim_cur = (rlim_t) next;
      g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &rl), ==, 0);
      g_assert_false (refmount_helper_child_mount (cxt, 0, &result, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES);
      g_assert_nonnull (strstr (error->message, "Cannot prepare the mount helper's process"));
      /* Back to normal: LeakSanitizer and gcov need fds at exit. */
      g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &saved), ==, 0);
      mnt_free_context (cxt);
      exit (0);
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

#ifdef TEST_AUDIT_ARCH
/* fork(2) fails with EAGAIN: clone(2) without CLONE_VM (a fork, not a
 * thread: LeakSanitizer's own clone at exit must still work), and clone3
 * with ENOSYS (glibc then uses clone). */
static void
refuse_fork (void)
{
  struct sock_filter filter[] = {
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, arch)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, TEST_AUDIT_ARCH, 1, 0),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 1, 0),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    /* x86_64 and arm64 both pass the clone flags first. */
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, args[0])),
    BPF_JUMP (BPF_JMP | BPF_JSET | BPF_K, CLONE_VM, 0, 1),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EAGAIN),
  };
  struct sock_fprog prog = { G_N_ELEMENTS (filter), filter };

  g_assert_cmpint (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), ==, 0);
  g_assert_cmpint (prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog), ==, 0);
}
#endif

/* fork(2) refused (EAGAIN: out of processes): an error, no fd leaked. */
static void
test_no_fork (void)
{
#ifdef TEST_AUDIT_ARCH
  if (g_test_subprocess ())
    {
      g_autoptr (GError)     error = NULL;
      struct libmnt_context *cxt = mnt_new_context ();
      RefmountHelperResult   result;
      int                    before = dup (0), after;

      close (before);
      refuse_fork ();
      g_assert_false (refmount_helper_child_mount (cxt, 0, &result, &error));
      g_assert_nonnull (error);
      g_assert_nonnull (strstr (error->message, "Cannot start the mount helper's process"));
      after = dup (0);
      g_assert_cmpint (after, ==, before);
      close (after);
      mnt_free_context (cxt);
      exit (0);
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
#else
  g_test_skip ("no seccomp architecture constant for this machine");
#endif
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/helper-child/cloexec", test_cloexec);
  g_test_add_func ("/helper-child/cloexec-without-close-range", test_cloexec_fallback);
  g_test_add_func ("/helper-child/no-fd-for-output", test_no_fd);
  g_test_add_func ("/helper-child/fork-refused", test_no_fork);
  return g_test_run ();
}
