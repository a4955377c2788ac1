/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Check of the configured mount roots (doc/design.md "Validation and
 * confinement"): no symlink anywhere on the way, and nobody but root (or the
 * daemon's uid) able to replace the root or any ancestor, or a component
 * could be swapped after the check.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>

#include "refmount-config.h"
#include "refmount-syntax.h"

static gboolean
fail_root (GError    **error,
           gint        code,
           const char *root,
           const char *path,
           const char *reason)
{
  g_autofree char *escaped_root = refmount_syntax_escape (root);
  g_autofree char *escaped_path = refmount_syntax_escape (path);

  if (strcmp (root, path) == 0)
    g_set_error (error, G_IO_ERROR, code, "Mount root '%s': %s", escaped_root, reason);
  else
    g_set_error (error, G_IO_ERROR, code, "Mount root '%s': ancestor '%s' %s",
                 escaped_root, escaped_path, reason);
  return FALSE;
}

/*
 * Nobody but root and @owner_uid may be able to replace any directory on
 * the way to the root, or the root could be swapped for a symlink after
 * this check.  A group/world-writable ancestor is acceptable only with the
 * sticky bit (/tmp): then only the owner of the next component — itself
 * checked to be root or @owner_uid — can rename or remove it.
 */
static gboolean
check_dir (const struct stat *st,
           const char        *root,
           const char        *path,
           gboolean           is_root,
           uid_t              owner_uid,
           GError           **error)
{
  if (S_ISLNK (st->st_mode))
    return fail_root (error, G_IO_ERROR_TOO_MANY_LINKS, root, path,
                      is_root ? "is a symbolic link, not a directory" : "is a symbolic link");
  if (!S_ISDIR (st->st_mode))
    return fail_root (error, G_IO_ERROR_NOT_DIRECTORY, root, path, "is not a directory");

  if (is_root)
    {
      if (st->st_uid != owner_uid)
        {
          g_autofree char *reason = g_strdup_printf ("is owned by uid %u, not uid %u",
                                                     (guint) st->st_uid, (guint) owner_uid);
          return fail_root (error, G_IO_ERROR_PERMISSION_DENIED, root, path, reason);
        }
      if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0)
        return fail_root (error, G_IO_ERROR_PERMISSION_DENIED, root, path,
                          "must not be group or world writable");
      return TRUE;
    }

  if (st->st_uid != 0 && st->st_uid != owner_uid)
    {
      g_autofree char *reason = g_strdup_printf ("is owned by uid %u, not by root or uid %u",
                                                 (guint) st->st_uid, (guint) owner_uid);
      return fail_root (error, G_IO_ERROR_PERMISSION_DENIED, root, path, reason);
    }
  if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st->st_mode & S_ISVTX) == 0)
    return fail_root (error, G_IO_ERROR_PERMISSION_DENIED, root, path,
                      "is group or world writable without the sticky bit");
  return TRUE;
}

static gboolean
fail_errno (GError    **error,
            int         errsv,
            const char *root,
            const char *path,
            const char *what)
{
  g_autofree char *reason = g_strdup_printf ("%s: %s", what, g_strerror (errsv));

  return fail_root (error, g_io_error_from_errno (errsv), root, path, reason);
}

static gboolean
check_one_root (const char *root,
                uid_t       owner_uid,
                gboolean    create,
                GError    **error)
{
  g_auto (GStrv) components = g_strsplit (root + 1, "/", -1);
  g_autoptr (GString) path = g_string_new ("");
  struct stat         st;
  gsize               i;

  /* Ancestors are checked top-down before anything is created beneath
   * them, so every mkdir happens in a directory only root or the owner can
   * modify. */
  if (lstat ("/", &st) < 0)
    return fail_errno (error, errno, root, "/", "cannot be examined");
  if (!check_dir (&st, root, "/", FALSE, owner_uid, error))
    return FALSE;

  for (i = 0; components[i] != NULL; i++)
    {
      gboolean is_root = components[i + 1] == NULL;

      g_string_append_c (path, '/');
      g_string_append (path, components[i]);

      if (lstat (path->str, &st) < 0)
        {
          int errsv = errno;

          if (errsv != ENOENT)
            return fail_errno (error, errsv, root, path->str, "cannot be examined");
          if (!create)
            return fail_root (error, G_IO_ERROR_NOT_FOUND, root, path->str, "does not exist");

          if (mkdir (path->str, 0755) < 0)
            {
              errsv = errno;
              if (errsv != EEXIST)
                return fail_errno (error, errsv, root, path->str, "cannot be created");
            }
          /* The umask must not make the root unusable (0700) for the
           * users the mounts are for. */
          else if (chmod (path->str, 0755) < 0)
            return fail_errno (error, errno, root, path->str, "cannot be made mode 0755");

          if (lstat (path->str, &st) < 0)
            return fail_errno (error, errno, root, path->str, "cannot be examined");
        }

      if (!check_dir (&st, root, path->str, is_root, owner_uid, error))
        return FALSE;
    }

  return TRUE;
}

gboolean
refmount_config_check_roots (const RefmountConfig *config,
                             uid_t                 owner_uid,
                             gboolean              create,
                             GError              **error)
{
  gsize i;

  for (i = 0; config->mount_roots != NULL && config->mount_roots[i] != NULL; i++)
    {
      const char *root = config->mount_roots[i];

      /* Loaded configs are validated already; this guards hand-built ones,
       * since the walk below relies on a normalised absolute path. */
      if (refmount_syntax_path_problem (root) != NULL || strcmp (root, "/") == 0)
        return fail_root (error, G_IO_ERROR_INVALID_ARGUMENT, root, root,
                          "is not an absolute, normalised path below '/'");
      if (!check_one_root (root, owner_uid, create, error))
        return FALSE;
    }

  return TRUE;
}
