/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A minimal real FUSE filesystem for test-fuse-hang.sh: an empty root
 * directory (uid 0, mode 0755) and nothing else.  The test stops it with
 * SIGSTOP, after which every request that reaches it (a LOOKUP beneath
 * the root) waits in the kernel's request_wait_answer, as it does for an
 * sshfs whose server went away.
 *
 *   refmount-stuck-fuse MOUNTPOINT     (foreground, single-threaded)
 */
#define FUSE_USE_VERSION 31

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <fuse.h>

static int
stuck_getattr (const char            *path,
               struct stat           *st,
               struct fuse_file_info *fi)
{
  (void) fi;
  memset (st, 0, sizeof *st);
  if (strcmp (path, "/") != 0)
    return -ENOENT;
  st->st_mode = S_IFDIR | 0755;
  st->st_nlink = 2;
  return 0;
}

static int
stuck_readdir (const char             *path,
               void                   *buf,
               fuse_fill_dir_t         filler,
               off_t                   offset,
               struct fuse_file_info  *fi,
               enum fuse_readdir_flags flags)
{
  (void) offset;
  (void) fi;
  (void) flags;
  if (strcmp (path, "/") != 0)
    return -ENOENT;
  filler (buf, ".", NULL, 0, 0);
  filler (buf, "..", NULL, 0, 0);
  return 0;
}

static const struct fuse_operations stuck_ops = {
  .getattr = stuck_getattr,
  .readdir = stuck_readdir,
};

int
main (int    argc,
      char **argv)
{
  char *args[] = { argv[0], "-f", "-s", "-o", "fsname=refmount-stuck,subtype=refmountstuck", NULL, NULL };

  if (argc != 2)
    return 64;
  args[5] = argv[1];
  return fuse_main (6, args, &stuck_ops, NULL);
}
