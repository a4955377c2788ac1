/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A minimal real FUSE filesystem for test-fuse-hang.sh: a root directory
 * (uid 0, mode 0755) in which directories can be made (one level, up to
 * MAX_DIRS), and nothing else: rmdir(2) is not implemented (ENOSYS).  The test stops it with
 * SIGSTOP, after which every request that reaches it (a LOOKUP beneath
 * the root) waits in the kernel's request_wait_answer, as it does for an
 * sshfs whose server went away.
 *
 *   refmount-stuck-fuse MOUNTPOINT [OPTIONS]   (foreground, single-threaded)
 *
 * OPTIONS are passed on as "-o OPTIONS"; "entry_timeout=0,attr_timeout=0"
 * makes every path walk ask the server, as a network filesystem without
 * caching does, instead of only the ones after the kernel's 1 s cache.
 */
#define FUSE_USE_VERSION 31

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <fuse.h>

#define MAX_DIRS 16

static char dirs[MAX_DIRS][64];
static int  n_dirs;

static int
find_dir (const char *path)
{
  for (int i = 0; i < n_dirs; i++)
    if (path[0] == '/' && strcmp (path + 1, dirs[i]) == 0)
      return i;
  return -1;
}

static int
stuck_getattr (const char            *path,
               struct stat           *st,
               struct fuse_file_info *fi)
{
  (void) fi;
  memset (st, 0, sizeof *st);
  if (strcmp (path, "/") != 0 && find_dir (path) < 0)
    return -ENOENT;
  st->st_mode = S_IFDIR | 0755;
  st->st_nlink = 2;
  return 0;
}

static int
stuck_mkdir (const char *path,
             mode_t      mode)
{
  (void) mode;
  if (find_dir (path) >= 0)
    return -EEXIST;
  if (n_dirs == MAX_DIRS || strchr (path + 1, '/') != NULL || strlen (path + 1) >= sizeof dirs[0])
    return -ENOSPC;
  strcpy (dirs[n_dirs++], path + 1);
  return 0;
}

static int
stuck_chmod (const char            *path,
             mode_t                 mode,
             struct fuse_file_info *fi)
{
  (void) mode;
  (void) fi;
  return strcmp (path, "/") == 0 || find_dir (path) >= 0 ? 0 : -ENOENT;
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
  for (int i = 0; i < n_dirs; i++)
    filler (buf, dirs[i], NULL, 0, 0);
  return 0;
}

static const struct fuse_operations stuck_ops = {
  .getattr = stuck_getattr,
  .mkdir = stuck_mkdir,
  .chmod = stuck_chmod,
  .readdir = stuck_readdir,
};

int
main (int    argc,
      char **argv)
{
  char *args[] = { argv[0], "-f", "-s", "-o", "fsname=refmount-stuck,subtype=refmountstuck", NULL, NULL, NULL };
  int   n = 5;

  if (argc != 2 && argc != 3)
    return 64;
  if (argc == 3)
    {
      args[n++] = "-o";
      args[n++] = argv[2];
    }
  args[n++] = argv[1];
  return fuse_main (n, args, &stuck_ops, NULL);
}
