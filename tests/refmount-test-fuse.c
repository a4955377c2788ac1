/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * refmount-test-fuse: a tiny FUSE filesystem (libfuse3) for the health
 * and recovery tests, whose behaviour is switched at run time through a
 * control file outside the mount:
 *
 *   ok      answer normally (a root directory with one file, "hello")
 *   hang    block every request until the mode changes (an unreachable
 *           server: statfs(2) on the mount hangs in the kernel)
 *   estale  fail every request with ESTALE (a stale file handle)
 *   eio     fail every request with EIO
 *
 * Usage: refmount-test-fuse CONTROL-FILE [FUSE OPTIONS...] MOUNTPOINT
 * (the arguments after CONTROL-FILE are fuse_main()'s, e.g. -o
 * fsname=SRC,subtype=glusterfs).  The control file is re-read on every
 * request, so "echo hang > CONTROL-FILE" takes effect at once; a missing
 * or unreadable file means "ok".  Runs multithreaded, so a hanging request
 * does not stop the others from seeing a mode change.
 */
#define FUSE_USE_VERSION 35

#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef enum
{
  MODE_OK,
  MODE_HANG,
  MODE_ESTALE,
  MODE_EIO,
} Mode;

static const char *control_path;
static const char  hello_content[] = "served by refmount-test-fuse\n";

static Mode
read_mode (void)
{
  char    buf[32] = { 0 };
  int     fd = open (control_path, O_RDONLY | O_CLOEXEC);
  ssize_t n;

  if (fd < 0)
    return MODE_OK;
  n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n <= 0)
    return MODE_OK;
  if (strncmp (buf, "hang", 4) == 0)
    return MODE_HANG;
  if (strncmp (buf, "estale", 6) == 0)
    return MODE_ESTALE;
  if (strncmp (buf, "eio", 3) == 0)
    return MODE_EIO;
  return MODE_OK;
}

/* 0 to answer normally, else the negative errno to fail with; in "hang"
 * mode, waits until the mode changes. */
static int
gate (void)
{
  for (;;)
    {
      Mode                  mode = read_mode ();
      const struct timespec tick = { 0, 50 * 1000 * 1000 };

      switch (mode)
        {
        case MODE_OK:
          return 0;
        case MODE_ESTALE:
          return -ESTALE;
        case MODE_EIO:
          return -EIO;
        case MODE_HANG:
          nanosleep (&tick, NULL);
          break;
        }
    }
}

static int
tf_getattr (const char            *path,
            struct stat           *st,
            struct fuse_file_info *fi)
{
  int rc = gate ();

  if (rc != 0)
    return rc;
  memset (st, 0, sizeof *st);
  if (strcmp (path, "/") == 0)
    {
      st->st_mode = S_IFDIR | 0755;
      st->st_nlink = 2;
      return 0;
    }
  if (strcmp (path, "/hello") == 0)
    {
      st->st_mode = S_IFREG | 0444;
      st->st_nlink = 1;
      st->st_size = sizeof hello_content - 1;
      return 0;
    }
  return -ENOENT;
}

static int
tf_readdir (const char             *path,
            void                   *buf,
            fuse_fill_dir_t         filler,
            off_t                   offset,
            struct fuse_file_info  *fi,
            enum fuse_readdir_flags flags)
{
  int rc = gate ();

  if (rc != 0)
    return rc;
  if (strcmp (path, "/") != 0)
    return -ENOENT;
  filler (buf, ".", NULL, 0, 0);
  filler (buf, "..", NULL, 0, 0);
  filler (buf, "hello", NULL, 0, 0);
  return 0;
}

static int
tf_open (const char            *path,
         struct fuse_file_info *fi)
{
  int rc = gate ();

  if (rc != 0)
    return rc;
  if (strcmp (path, "/hello") != 0)
    return -ENOENT;
  if ((fi->flags & O_ACCMODE) != O_RDONLY)
    return -EACCES;
  return 0;
}

static int
tf_read (const char            *path,
         char                  *buf,
         size_t                 size,
         off_t                  offset,
         struct fuse_file_info *fi)
{
  size_t len = sizeof hello_content - 1;
  int    rc = gate ();

  if (rc != 0)
    return rc;
  if ((size_t) offset >= len)
    return 0;
  if (offset + size > len)
    size = len - offset;
  memcpy (buf, hello_content + offset, size);
  return (int) size;
}

/* Fixed figures, so a test can compare Usage with them exactly. */
static int
tf_statfs (const char     *path,
           struct statvfs *st)
{
  int rc = gate ();

  if (rc != 0)
    return rc;
  memset (st, 0, sizeof *st);
  st->f_bsize = 4096;
  st->f_frsize = 4096;
  st->f_blocks = 1000;
  st->f_bfree = 600;
  st->f_bavail = 500;
  st->f_files = 100;
  st->f_ffree = 90;
  st->f_namemax = 255;
  return 0;
}

static const struct fuse_operations operations = {
  .getattr = tf_getattr,
  .readdir = tf_readdir,
  .open = tf_open,
  .read = tf_read,
  .statfs = tf_statfs,
};

int
main (int   argc,
      char *argv[])
{
  if (argc < 3)
    {
      fprintf (stderr, "usage: %s CONTROL-FILE [FUSE OPTIONS...] MOUNTPOINT\n", argv[0]);
      return 2;
    }
  control_path = argv[1];
  argv[1] = argv[0];
  return fuse_main (argc - 1, argv + 1, &operations, NULL);
}
