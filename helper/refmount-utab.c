/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <libmount.h>

#include "refmount-error.h"
#include "refmount-utab.h"

typedef struct libmnt_update libmnt_update;
typedef struct libmnt_fs     libmnt_fs;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (libmnt_update, mnt_free_update)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (libmnt_fs, mnt_unref_fs)

/* mnt_update_set_fs(): 0 = prepared, 1 = nothing to do; then
 * mnt_update_table() takes utab's lock, rewrites it and renames it into
 * place, so concurrent libmount writers (mount(8), udisks) are safe. */
static gboolean
run_update (libmnt_update *upd,
            int            rc,
            const char    *what,
            const char    *mountpoint,
            GError       **error)
{
  if (rc == 0)
    rc = mnt_update_table (upd, NULL);
  if (rc < 0)
    {
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED,
                   "Cannot %s the userspace mount options of '%s' in %s: %s", what, mountpoint,
                   mnt_update_get_filename (upd) ? mnt_update_get_filename (upd) : "utab",
                   g_strerror (-rc));
      return FALSE;
    }
  return TRUE;
}

gboolean
refmount_utab_add (const char *mountpoint,
                   const char *source,
                   const char *fstype,
                   const char *user_options,
                   GError    **error)
{
  g_autoptr (libmnt_update) upd = mnt_new_update ();
  g_autoptr (libmnt_fs)     fs = mnt_new_fs ();
  int                       rc;

  /* An entry left by a mount that vanished behind our back would be
   * merged into this one (same target): replace it. */
  if (!refmount_utab_remove (mountpoint, error))
    return FALSE;
  mnt_fs_set_source (fs, source);
  mnt_fs_set_target (fs, mountpoint);
  mnt_fs_set_fstype (fs, fstype);
  /* What mountinfo shows for the mount of a whole filesystem; readers
   * match utab entries on target, root and source. */
  mnt_fs_set_root (fs, "/");
  mnt_fs_set_options (fs, user_options);
  rc = mnt_update_set_fs (upd, 0, NULL, fs);
  return run_update (upd, rc, "record", mountpoint, error);
}

gboolean
refmount_utab_remove (const char *mountpoint,
                      GError    **error)
{
  g_autoptr (libmnt_update) upd = mnt_new_update ();
  int                       rc = mnt_update_set_fs (upd, 0, mountpoint, NULL);
  const char               *filename = rc == 0 ? mnt_update_get_filename (upd) : NULL;

  /* Called for every unmount: without a usable utab (rc != 0: libmount
   * found none and could not create one) or with none written yet there
   * is nothing to remove, and no reason to create its directory or lock
   * file. */
  if (rc != 0 || filename == NULL || !g_file_test (filename, G_FILE_TEST_EXISTS))
    return TRUE;
  return run_update (upd, rc, "remove", mountpoint, error);
}
