/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gio/gio.h>

#include "refmount-fd.h"
#include "refmount-path.h"

/* No symlink anywhere — not even one pointing inside the root — and no
 * /proc magic links: the resolved directory is exactly the named one.  No
 * mount crossed either: a filesystem mounted on a component (another
 * caller's mount, or one refmount does not manage) is never walked into,
 * so no directory is created and nothing is mounted inside it. */
#define RESOLVE_FLAGS (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)

static int
openat2_dir_flags (int         dirfd,
                   const char *name,
                   guint64     resolve)
{
  struct open_how how = { 0 };

  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = resolve;
  return (int) syscall (SYS_openat2, dirfd, name, &how, sizeof how);
}

static int
openat2_dir (int         dirfd,
             const char *name)
{
  return openat2_dir_flags (dirfd, name, RESOLVE_FLAGS);
}

/* The mount an fd is on (statx STATX_MNT_ID), or 0 if unknown. */
static guint64
fd_mount_id (int fd)
{
  struct statx stx = { 0 };

  if (statx (fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC, STATX_MNT_ID, &stx) < 0 ||
      !(stx.stx_mask & STATX_MNT_ID))
    return 0;
  return stx.stx_mnt_id;
}

static void
set_path_error (GError    **error,
                int         errsv,
                const char *root,
                const char *relative,
                const char *what)
{
  if (errsv == ELOOP)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_LINKS,
                 "%s/%s: a path component is a symbolic link", root, relative);
  else if (errsv == EXDEV)
    g_set_error (error, G_IO_ERROR, REFMOUNT_PATH_ERROR_CROSSES_MOUNT,
                 "%s/%s: a path component has another filesystem mounted on it "
                 "(or resolves outside its mount root)",
                 root, relative);
  else
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                 "%s %s/%s: %s", what, root, relative, g_strerror (errsv));
}

static int
open_root (const char *root,
           GError    **error)
{
  int fd = open (root, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

  if (fd < 0)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Cannot open mount root %s: %s", root, g_strerror (errsv));
    }
  return fd;
}

static gboolean
check_components (char      **components,
                  const char *root,
                  const char *relative,
                  GError    **error)
{
  if (components[0] == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "%s: empty path below the mount root", root);
      return FALSE;
    }
  for (guint i = 0; components[i] != NULL; i++)
    if (components[i][0] == '\0' || g_str_equal (components[i], ".") || g_str_equal (components[i], ".."))
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                     "%s/%s: path is not normalised", root, relative);
        return FALSE;
      }
  return TRUE;
}

static int
open_beneath (const char *root,
              const char *relative,
              gboolean    create,
              gboolean    last_may_be_mounted,
              gboolean   *out_created,
              GError    **error)
{
  g_auto (GStrv) components = g_strsplit (relative, "/", -1);
  gboolean            created = FALSE;
  guint64             root_mnt_id;
  refmount_autofd int fd = -1;

  if (!check_components (components, root, relative, error))
    return -1;
  fd = open_root (root, error);
  if (fd < 0)
    return -1;
  root_mnt_id = fd_mount_id (fd);

  /* One component at a time, each from the fd of its parent: a directory
   * renamed or replaced by a symlink between two steps is caught by
   * openat2 (ELOOP/EXDEV) instead of being followed. */
  for (guint i = 0; components[i] != NULL; i++)
    {
      gboolean            last = components[i + 1] == NULL;
      refmount_autofd int next = openat2_dir (fd, components[i]);

      /* The mountpoint itself may carry a mount (one to adopt or to
       * refuse: the caller looks); only the components above it may not. */
      if (next < 0 && errno == EXDEV && last && last_may_be_mounted)
        next = openat2_dir_flags (fd, components[i], RESOLVE_FLAGS & ~(guint64) RESOLVE_NO_XDEV);

      created = FALSE;
      if (next < 0 && errno == ENOENT && create)
        {
          int r;

          /* Never create a directory on a filesystem other than the mount
           * root's (RESOLVE_NO_XDEV already keeps every step on it). */
          if (root_mnt_id != 0 && fd_mount_id (fd) != root_mnt_id)
            {
              set_path_error (error, EXDEV, root, relative, "Cannot create");
              return -1;
            }
          r = mkdirat (fd, components[i], 0755);

          if (r < 0 && errno != EEXIST)
            {
              set_path_error (error, errno, root, relative, "Cannot create");
              return -1;
            }
          created = r == 0;
          /* mkdir honours the umask; mountpoints are 0755 regardless. */
          next = openat2_dir (fd, components[i]);
          if (next >= 0 && created)
            {
              g_autofree char *proc = g_strdup_printf ("/proc/self/fd/%d", next);
              (void) chmod (proc, 0755);
            }
        }
      if (next < 0)
        {
          set_path_error (error, errno, root, relative, "Cannot open");
          return -1;
        }
      refmount_clear_fd (&fd);
      fd = refmount_steal_fd (&next);
    }

  if (out_created != NULL)
    *out_created = created;
  return refmount_steal_fd (&fd);
}

int
refmount_path_open_beneath (const char *root,
                            const char *relative,
                            gboolean    create,
                            gboolean   *out_created,
                            GError    **error)
{
  return open_beneath (root, relative, create, TRUE, out_created, error);
}

int
refmount_path_open_parent (const char  *root,
                           const char  *relative,
                           const char **out_name,
                           GError     **error)
{
  const char      *slash = strrchr (relative, '/');
  g_autofree char *parent = NULL;

  if (slash == NULL)
    {
      g_auto (GStrv) components = g_strsplit (relative, "/", -1);

      if (!check_components (components, root, relative, error))
        return -1;
      *out_name = relative;
      return open_root (root, error);
    }

  parent = g_strndup (relative, slash - relative);
  *out_name = slash + 1;
  if ((*out_name)[0] == '\0' || g_str_equal (*out_name, ".") || g_str_equal (*out_name, ".."))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "%s/%s: path is not normalised", root, relative);
      return -1;
    }
  /* The parent of a mountpoint is walked through, so it may not carry a
   * mount of its own. */
  return open_beneath (root, parent, FALSE, FALSE, NULL, error);
}

gboolean
refmount_path_remove_dir (const char *root,
                          const char *relative,
                          GError    **error)
{
  g_autoptr (GError)  local_error = NULL;
  const char         *name = NULL;
  refmount_autofd int parent = refmount_path_open_parent (root, relative, &name, &local_error);
  int                 r;

  if (parent < 0)
    {
      /* The parent is already gone: so is the directory. */
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  r = unlinkat (parent, name, AT_REMOVEDIR);
  if (r < 0 && errno != ENOENT)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Cannot remove directory %s/%s: %s", root, relative, g_strerror (errsv));
      return FALSE;
    }
  return TRUE;
}

gboolean
refmount_path_fd_is_mount_root (int fd)
{
  struct statx stx = { 0 };

  /* DONT_SYNC: the mount-root attribute comes from the VFS, and a FUSE
   * filesystem whose server died would fail a synced stat with ENOTCONN,
   * making its mount look like no mount at all. */
  if (statx (fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &stx) < 0)
    return FALSE;
  return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
         (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}
