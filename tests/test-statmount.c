/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * refmount_statmount_lookup against /proc/self/mountinfo, on mounts every
 * Linux system (and container) has: it must give the same source and type
 * as the mount table, or decline so that the caller falls back to it.
 */
#include "config.h"

#include <fcntl.h>
#include <libmount.h>
#include <unistd.h>

#include "refmount-statmount.h"

/* The last (topmost) mountinfo entry for @target, as libmount reads it. */
static gboolean
mountinfo_entry (const char *target,
                 char      **source,
                 char      **fstype)
{
  struct libmnt_table *tb = mnt_new_table ();
  struct libmnt_iter  *iter = mnt_new_iter (MNT_ITER_BACKWARD);
  struct libmnt_fs    *fs;
  gboolean             found = FALSE;

  g_assert_cmpint (mnt_table_parse_file (tb, "/proc/self/mountinfo"), ==, 0);
  while (!found && mnt_table_next_fs (tb, iter, &fs) == 0)
    if (g_strcmp0 (mnt_fs_get_target (fs), target) == 0)
      {
        *source = g_strdup (mnt_fs_get_source (fs));
        *fstype = g_strdup (mnt_fs_get_fstype (fs));
        found = TRUE;
      }
  mnt_free_iter (iter);
  mnt_unref_table (tb);
  return found;
}

static void
test_matches_mountinfo (gconstpointer data)
{
  const char      *target = data;
  g_autofree char *want_source = NULL, *want_fstype = NULL;
  g_autofree char *source = NULL, *fstype = NULL;
  int              fd;

  if (!mountinfo_entry (target, &want_source, &want_fstype))
    {
      g_test_skip ("not a mount point here");
      return;
    }
  fd = open (target, O_PATH | O_DIRECTORY | O_CLOEXEC);
  g_assert_cmpint (fd, >=, 0);
  if (!refmount_statmount_lookup (fd, &source, &fstype))
    {
      close (fd);
      g_test_skip ("this kernel has no statmount(2) with source and type; mountinfo is used");
      return;
    }
  close (fd);
  g_assert_cmpstr (fstype, ==, want_fstype);
  g_assert_cmpstr (source, ==, want_source);
}

/* A closed or invalid fd is declined and the outputs are left alone. */
static void
test_bad_fd (void)
{
  g_autofree char *source = NULL, *fstype = NULL;

  g_assert_false (refmount_statmount_lookup (-1, &source, &fstype));
  g_assert_null (source);
  g_assert_null (fstype);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/statmount/proc", "/proc", test_matches_mountinfo);
  g_test_add_data_func ("/statmount/sys", "/sys", test_matches_mountinfo);
  g_test_add_data_func ("/statmount/dev", "/dev", test_matches_mountinfo);
  g_test_add_data_func ("/statmount/root", "/", test_matches_mountinfo);
  g_test_add_func ("/statmount/bad-fd", test_bad_fd);
  return g_test_run ();
}
