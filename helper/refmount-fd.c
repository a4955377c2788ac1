/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "refmount-fd.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

void
refmount_clear_fd (int *fd)
{
  int errsv = errno;

  /* Not retried on EINTR: Linux has released the descriptor whatever
   * close(2) returns, and a second close could hit another thread's. */
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
  errno = errsv;
}

int
refmount_dup_cloexec (int fd)
{
  return fcntl (fd, F_DUPFD_CLOEXEC, 3);
}

gboolean
refmount_write_all (int         fd,
                    const void *data,
                    gsize       len)
{
  const guint8 *p = data;

  while (len > 0)
    {
      ssize_t n = write (fd, p, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          if (n == 0)
            errno = ENOSPC;
          return FALSE;
        }
      p += n;
      len -= (gsize) n;
    }
  return TRUE;
}

gsize
refmount_read_all (int       fd,
                   void     *buf,
                   gsize     len,
                   gint64    deadline,
                   gboolean *timed_out)
{
  guint8 *p = buf;
  gsize   got = 0;

  *timed_out = FALSE;
  while (got < len)
    {
      struct pollfd pfd = { fd, POLLIN, 0 };
      int           timeout_ms = -1;
      int           n;
      ssize_t       r;

      if (deadline > 0)
        {
          gint64 left = deadline - g_get_monotonic_time ();

          if (left <= 0)
            {
              *timed_out = TRUE;
              break;
            }
          timeout_ms = (int) MIN ((left + 999) / 1000, G_MAXINT);
        }

      n = poll (&pfd, 1, timeout_ms);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        break;
      if (n == 0)
        continue; /* the deadline check above decides */

      r = read (fd, p + got, len - got);
      if (r < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      if (r <= 0)
        break;
      got += (gsize) r;
    }
  return got;
}

gssize
refmount_pread_all (int    fd,
                    void  *buf,
                    gsize  len,
                    gint64 offset)
{
  guint8 *p = buf;
  gsize   got = 0;

  while (got < len)
    {
      ssize_t n = pread (fd, p + got, len - got, (off_t) (offset + (gint64) got));

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      if (n == 0)
        break;
      got += (gsize) n;
    }
  return (gssize) got;
}

gboolean
refmount_fsync_dir (const char *dir)
{
  refmount_autofd int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  return fd >= 0 && fsync (fd) == 0;
}

/* close_range(CLOSE_RANGE_CLOEXEC) needs Linux 5.11 (and may be refused
 * by a seccomp filter); then every fd is flagged one by one. */
void
refmount_fds_set_cloexec_from (int lowfd)
{
  struct rlimit rl;

  if (syscall (SYS_close_range, (unsigned int) lowfd, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
    return;
  if (getrlimit (RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1048576)
    rl.rlim_cur = 1048576;
  for (int fd = lowfd; fd < (int) rl.rlim_cur; fd++)
    {
      int flags = fcntl (fd, F_GETFD);

      if (flags >= 0 && !(flags & FD_CLOEXEC))
        fcntl (fd, F_SETFD, flags | FD_CLOEXEC);
    }
}
