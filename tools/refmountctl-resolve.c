/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which managed mount an argument names.  unmount and show accept what
 * mount accepted, as umount(8) does: a mountpoint (absolute, or relative
 * to the current directory), or a SOURCE ("fileserver:/export") that is
 * mounted at exactly one managed mountpoint, optionally narrowed down by
 * -t FSTYPE.  A SOURCE is not a path: it is never resolved against the
 * current directory.  When nothing matches, the closest managed
 * mountpoint is suggested.
 */
#include "config.h"

#include <string.h>

#include "refmount-error.h"
#include "refmountctl.h"

/* Levenshtein distance, byte-wise: enough to catch a typo. */
guint
refmountctl_edit_distance (const char *a,
                           const char *b)
{
  gsize             la = strlen (a), lb = strlen (b);
  g_autofree guint *row = g_new (guint, lb + 1);

  for (gsize j = 0; j <= lb; j++)
    row[j] = (guint) j;
  for (gsize i = 1; i <= la; i++)
    {
      guint diagonal = row[0];

      row[0] = (guint) i;
      for (gsize j = 1; j <= lb; j++)
        {
          guint above = row[j];
          guint cost = a[i - 1] == b[j - 1] ? 0 : 1;

          row[j] = MIN (MIN (row[j] + 1, row[j - 1] + 1), diagonal + cost);
          diagonal = above;
        }
    }
  return row[lb];
}

/* The candidate nearest to WORD, if it is near enough to be a typo of it:
 * at most a quarter of WORD's length wrong, and never more than 2 for
 * short words (so "frobnicate" suggests nothing). */
const char *
refmountctl_closest (const char        *word,
                     const char *const *candidates)
{
  const char *best = NULL;
  guint       best_distance = G_MAXUINT;
  guint       limit = MAX (2, (guint) strlen (word) / 4);

  for (gsize i = 0; candidates != NULL && candidates[i] != NULL; i++)
    {
      guint distance = refmountctl_edit_distance (word, candidates[i]);

      if (distance < best_distance)
        {
          best = candidates[i];
          best_distance = distance;
        }
    }
  return best_distance <= limit && best_distance > 0 ? best : NULL;
}

/* Mountpoints may be given relative to the current directory or with a
 * trailing slash (as shell completion leaves it); the daemon wants them
 * absolute and normalised.  Symlinks are not resolved: the daemon refuses
 * them anyway. */
char *
refmountctl_normalise_mountpoint (const char *arg)
{
  return arg[0] != '\0' ? g_canonicalize_filename (arg, NULL) : g_strdup ("");
}

static RefmountDBusMount *
find_mountpoint (GPtrArray  *mounts,
                 const char *mountpoint)
{
  for (guint i = 0; i < mounts->len; i++)
    if (g_strcmp0 (refmount_dbus_mount_get_mountpoint (mounts->pdata[i]), mountpoint) == 0)
      return g_object_ref (mounts->pdata[i]);
  return NULL;
}

static GPtrArray *
find_source (GPtrArray  *mounts,
             const char *fstype,
             const char *source)
{
  GPtrArray *found = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < mounts->len; i++)
    {
      RefmountDBusMount *mount = mounts->pdata[i];

      if (g_strcmp0 (refmount_dbus_mount_get_source (mount), source) == 0 &&
          (fstype == NULL || g_strcmp0 (refmount_dbus_mount_get_filesystem_type (mount), fstype) == 0))
        g_ptr_array_add (found, g_object_ref (mount));
    }
  return found;
}

static void
set_ambiguous (GError    **error,
               const char *source,
               GPtrArray  *found)
{
  g_autoptr (GString) list = g_string_new (NULL);

  for (guint i = 0; i < found->len; i++)
    g_string_append_printf (list, "%s%s (%s)", i > 0 ? ", " : "",
                            refmount_dbus_mount_get_mountpoint (found->pdata[i]),
                            refmount_dbus_mount_get_filesystem_type (found->pdata[i]));
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
               "Source '%s' is mounted at %u managed mountpoints: %s; name the mountpoint%s",
               source, found->len, list->str, " (or narrow it down with -t FSTYPE)");
}

/* NotFound, as refmountd would say it, plus the nearest mountpoint to what
 * was typed, or to the mountpoint it would have been. */
static void
set_not_found (GError    **error,
               GPtrArray  *mounts,
               const char *arg,
               const char *normalised)
{
  g_autofree const char **mountpoints = g_new0 (const char *, mounts->len + 1);
  const char             *closest;

  for (guint i = 0; i < mounts->len; i++)
    mountpoints[i] = refmount_dbus_mount_get_mountpoint (mounts->pdata[i]);
  closest = refmountctl_closest (normalised, mountpoints);
  if (closest == NULL)
    closest = refmountctl_closest (arg, mountpoints);
  if (closest != NULL)
    g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND,
                 "'%s' is neither a managed mountpoint nor the source of one; did you mean "
                 "'%s'?",
                 arg, closest);
  else
    g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND,
                 "'%s' is neither a managed mountpoint nor the source of one "
                 "(refmountctl list shows them)",
                 arg);
}

RefmountDBusMount *
refmountctl_resolve (RefmountCtl *ctl,
                     const char  *fstype,
                     const char  *arg,
                     GError     **error)
{
  g_autoptr (GDBusObjectManager) manager = NULL;
  g_autoptr (GPtrArray)          mounts = NULL;
  g_autoptr (GPtrArray)          by_source = NULL;
  g_autoptr (RefmountDBusMount)  by_mountpoint = NULL;
  g_autofree char               *normalised = refmountctl_normalise_mountpoint (arg);

  manager = refmountctl_object_manager_new (ctl, error);
  if (manager == NULL)
    return NULL;
  mounts = refmountctl_collect_mounts (manager);

  /* -t TYPE SOURCE, as mount(8) takes it, names a source. */
  if (fstype == NULL)
    by_mountpoint = find_mountpoint (mounts, normalised);
  /* An absolute path is a mountpoint first; anything else a source first,
   * so that "server:/export" never becomes "$PWD/server:/export". */
  if (by_mountpoint != NULL && g_path_is_absolute (arg))
    return g_steal_pointer (&by_mountpoint);
  by_source = find_source (mounts, fstype, arg);
  if (by_source->len == 1)
    return g_object_ref (by_source->pdata[0]);
  if (by_source->len > 1)
    {
      set_ambiguous (error, arg, by_source);
      return NULL;
    }
  if (by_mountpoint != NULL)
    return g_steal_pointer (&by_mountpoint);
  set_not_found (error, mounts, arg, normalised);
  return NULL;
}
