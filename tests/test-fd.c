/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * helper/refmount-fd.c: the fd cleanup attribute closes exactly once and
 * keeps errno, and the I/O loops go on after short reads and writes and
 * stop where they should (end of file, an error, the deadline).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "refmount-fd.h"

static gboolean
fd_is_open (int fd)
{
  return fcntl (fd, F_GETFD) >= 0;
}

static void
test_autofd (void)
{
  int kept, dropped;

  {
    refmount_autofd int a = open ("/dev/null", O_RDONLY | O_CLOEXEC);
    refmount_autofd int b = open ("/dev/null", O_RDONLY | O_CLOEXEC);
    refmount_autofd int none = -1;

    g_assert_cmpint (a, >=, 0);
    g_assert_cmpint (b, >=, 0);
    g_assert_cmpint (none, ==, -1);
    dropped = a;
    kept = refmount_steal_fd (&b);
    g_assert_cmpint (b, ==, -1);
  }
  g_assert_false (fd_is_open (dropped));
  g_assert_true (fd_is_open (kept));
  g_assert_cmpint (close (kept), ==, 0);
}

static void
test_clear_fd (void)
{
  int fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  int copy = fd;

  errno = EXDEV;
  refmount_clear_fd (&fd);
  g_assert_cmpint (errno, ==, EXDEV);
  g_assert_cmpint (fd, ==, -1);
  g_assert_false (fd_is_open (copy));
  /* Twice is harmless: -1 is left alone. */
  errno = EXDEV;
  refmount_clear_fd (&fd);
  g_assert_cmpint (fd, ==, -1);
  g_assert_cmpint (errno, ==, EXDEV);
}

static void
test_dup_cloexec (void)
{
  refmount_autofd int fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  refmount_autofd int copy = refmount_dup_cloexec (fd);

  g_assert_cmpint (copy, >, 2);
  g_assert_cmpint (copy, !=, fd);
  g_assert_cmpint (fcntl (copy, F_GETFD) & FD_CLOEXEC, ==, FD_CLOEXEC);
}

/* RLIMIT_FSIZE turns the second half of one write into a short write and
 * the next into EFBIG: the loop goes on after the first and reports the
 * second.  The soft limit and SIGXFSZ are put back afterwards. */
static void
test_write_all_short (void)
{
  g_autofree char    *dir = g_dir_make_tmp ("refmount-test-fd-XXXXXX", NULL);
  g_autofree char    *path = g_build_filename (dir, "f", NULL);
  refmount_autofd int fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  struct rlimit       saved, limit;
  struct sigaction    ignore = { 0 }, saved_action;
  guint8              data[3000];
  gboolean            first, second;
  int                 second_errno;
  GStatBuf            st;

  g_assert_cmpint (fd, >=, 0);
  memset (data, 'x', sizeof data);
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  if (saved.rlim_max != RLIM_INFINITY && saved.rlim_max < 1000)
    {
      g_test_skip ("RLIMIT_FSIZE is below 1000 bytes here");
      return;
    }
  limit = saved;
  limit.rlim_cur = 1000;
  ignore.sa_handler = SIG_IGN;
  g_assert_cmpint (sigaction (SIGXFSZ, &ignore, &saved_action), ==, 0);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);
  first = refmount_write_all (fd, data, 600);
  errno = 0;
  second = refmount_write_all (fd, data, sizeof data);
  second_errno = errno;
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &saved), ==, 0);
  g_assert_cmpint (sigaction (SIGXFSZ, &saved_action, NULL), ==, 0);

  g_assert_true (first);
  g_assert_false (second);
  g_assert_cmpint (second_errno, ==, EFBIG);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_size, ==, 1000);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_write_all_full (void)
{
  refmount_autofd int fd = open ("/dev/full", O_WRONLY | O_CLOEXEC);

  if (fd < 0)
    {
      g_test_skip ("no /dev/full here");
      return;
    }
  errno = 0;
  g_assert_false (refmount_write_all (fd, "abc", 3));
  g_assert_cmpint (errno, ==, ENOSPC);
  /* Nothing to write is done at once. */
  g_assert_true (refmount_write_all (fd, "", 0));
}

/* Writes half, waits until the reader has taken it, writes the rest.  A
 * child process rather than a thread: valgrind counts a joined thread's
 * TLS as possibly lost. */
G_GNUC_NORETURN static void
write_in_two (int fd)
{
  int queued = 1;

  if (!refmount_write_all (fd, "hello ", 6))
    _exit (1);
  while (queued > 0)
    {
      if (ioctl (fd, FIONREAD, &queued) < 0)
        _exit (1);
      if (queued > 0)
        usleep (1000);
    }
  _exit (refmount_write_all (fd, "world", 5) ? 0 : 1);
}

static void
test_read_all (void)
{
  int      fds[2];
  char     buf[16] = { 0 };
  gboolean timed_out = TRUE;
  pid_t    writer;
  int      status = 0;

  g_assert_cmpint (pipe2 (fds, O_CLOEXEC), ==, 0);
  writer = fork ();
  g_assert_cmpint (writer, >=, 0);
  if (writer == 0)
    write_in_two (fds[1]);
  g_assert_cmpuint (refmount_read_all (fds[0], buf, 11, 0, &timed_out), ==, 11);
  g_assert_false (timed_out);
  g_assert_cmpstr (buf, ==, "hello world");
  g_assert_cmpint (waitpid (writer, &status, 0), ==, writer);
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);

  /* End of file before the count: what there was. */
  g_assert_true (refmount_write_all (fds[1], "abc", 3));
  refmount_clear_fd (&fds[1]);
  memset (buf, 0, sizeof buf);
  g_assert_cmpuint (refmount_read_all (fds[0], buf, sizeof buf, 0, &timed_out), ==, 3);
  g_assert_false (timed_out);
  g_assert_cmpstr (buf, ==, "abc");
  refmount_clear_fd (&fds[0]);
}

static void
test_read_all_deadline (void)
{
  refmount_autofd int r = -1;
  refmount_autofd int w = -1;
  int                 fds[2];
  char                buf[4];
  gboolean            timed_out = FALSE;

  g_assert_cmpint (pipe2 (fds, O_CLOEXEC), ==, 0);
  r = fds[0];
  w = fds[1];
  g_assert_true (refmount_write_all (w, "ab", 2));
  /* Two bytes come, the other two never: the deadline ends the wait. */
  g_assert_cmpuint (refmount_read_all (r, buf, sizeof buf, g_get_monotonic_time () + G_TIME_SPAN_MILLISECOND * 50,
                                       &timed_out),
                    ==, 2);
  g_assert_true (timed_out);
  /* A deadline already past reads nothing. */
  g_assert_cmpuint (refmount_read_all (r, buf, sizeof buf, g_get_monotonic_time () - 1, &timed_out), ==, 0);
  g_assert_true (timed_out);
}

static void
test_pread_all (void)
{
  refmount_autofd int fd = memfd_create ("refmount-test-fd", MFD_CLOEXEC);
  char                buf[32] = { 0 };

  g_assert_cmpint (fd, >=, 0);
  g_assert_true (refmount_write_all (fd, "0123456789", 10));
  g_assert_cmpint (refmount_pread_all (fd, buf, 4, 3), ==, 4);
  g_assert_cmpstr (buf, ==, "3456");
  /* Up to the end of the file; the file position is not moved. */
  memset (buf, 0, sizeof buf);
  g_assert_cmpint (refmount_pread_all (fd, buf, sizeof buf, 6), ==, 4);
  g_assert_cmpstr (buf, ==, "6789");
  g_assert_cmpint (lseek (fd, 0, SEEK_CUR), ==, 10);
  g_assert_cmpint (refmount_pread_all (-1, buf, 1, 0), ==, -1);
  g_assert_cmpint (errno, ==, EBADF);
}

static void
test_fsync_dir (void)
{
  g_autofree char *dir = g_dir_make_tmp ("refmount-test-fd-XXXXXX", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing", NULL);
  g_autofree char *file = g_build_filename (dir, "file", NULL);

  g_assert_true (refmount_fsync_dir (dir));
  g_assert_false (refmount_fsync_dir (missing));
  g_assert_cmpint (errno, ==, ENOENT);
  g_assert_true (g_file_set_contents (file, "x", 1, NULL));
  g_assert_false (refmount_fsync_dir (file));
  g_assert_cmpint (errno, ==, ENOTDIR);
  g_unlink (file);
  g_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/fd/autofd", test_autofd);
  g_test_add_func ("/fd/clear", test_clear_fd);
  g_test_add_func ("/fd/dup-cloexec", test_dup_cloexec);
  g_test_add_func ("/fd/write-all/short", test_write_all_short);
  g_test_add_func ("/fd/write-all/full", test_write_all_full);
  g_test_add_func ("/fd/read-all", test_read_all);
  g_test_add_func ("/fd/read-all/deadline", test_read_all_deadline);
  g_test_add_func ("/fd/pread-all", test_pread_all);
  g_test_add_func ("/fd/fsync-dir", test_fsync_dir);
  return g_test_run ();
}
