/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * File descriptors and the I/O loops around them, in one place.  Every
 * function here is async-signal-safe unless it says otherwise: the helper
 * child (refmount-helper-child.c) uses them between fork(2) and exec.
 * None changes errno except to report its own failure.
 */

/* Close *@fd if it is open and set it to -1; errno is kept.  g_clear_fd()
 * and g_autofd need GLib 2.76; refmount builds against 2.74. */
void refmount_clear_fd (int *fd);

/* An int that closes itself at the end of its scope:
 *   refmount_autofd int fd = open (...);
 * Hand it on with refmount_steal_fd(). */
#define refmount_autofd __attribute__ ((cleanup (refmount_clear_fd)))

static inline int
refmount_steal_fd (int *fd)
{
  int stolen = *fd;

  *fd = -1;
  return stolen;
}

/* dup() that keeps close-on-exec: a plain dup() drops it, and a mount
 * helper forked meanwhile would inherit the directory of another caller's
 * mountpoint.  The copy stays above the standard streams. */
int refmount_dup_cloexec (int fd);

/* write(2) all of @len bytes, retrying short writes and EINTR.  FALSE
 * with errno set (ENOSPC for a write of nothing). */
gboolean refmount_write_all (int         fd,
                             const void *data,
                             gsize       len);

/* read(2) until @len bytes, end of file, an error or, when @deadline (on
 * g_get_monotonic_time()'s clock) is positive, the deadline: then
 * *@timed_out is TRUE.  Returns how much was read.  Not async-signal-safe
 * (the clock is GLib's). */
gsize refmount_read_all (int       fd,
                         void     *buf,
                         gsize     len,
                         gint64    deadline,
                         gboolean *timed_out);

/* pread(2) from @offset until @len bytes or end of file, retrying short
 * reads and EINTR.  The count, or -1 with errno. */
gssize refmount_pread_all (int    fd,
                           void  *buf,
                           gsize  len,
                           gint64 offset);

/* fsync(2) the directory @dir, making a rename or creation in it durable.
 * FALSE with errno. */
gboolean refmount_fsync_dir (const char *dir);

/* Mark every fd from @lowfd up close-on-exec (close_range with
 * CLOSE_RANGE_CLOEXEC, or one by one). */
void refmount_fds_set_cloexec_from (int lowfd);

G_END_DECLS
