/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <sys/stat.h>

#include <glib/gstdio.h>

#include "config-fixture.h"

static void
remove_tree (const char *path)
{
  struct stat st;

  if (lstat (path, &st) < 0)
    return;
  if (S_ISDIR (st.st_mode))
    {
      g_autoptr (GDir) dir = NULL;
      const char      *name;

      /* Undo modes a test set, so the walk below can enter it. */
      g_assert_cmpint (chmod (path, 0700), ==, 0);
      dir = g_dir_open (path, 0, NULL);
      g_assert_nonnull (dir);
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          remove_tree (child);
        }
      g_assert_cmpint (g_rmdir (path), ==, 0);
    }
  else
    g_assert_cmpint (g_unlink (path), ==, 0);
}

void
fixture_setup (Fixture      *fixture,
               gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("refmount-test-config-XXXXXX", &error);
  g_assert_no_error (error);
}

void
fixture_teardown (Fixture      *fixture,
                  gconstpointer data)
{
  remove_tree (fixture->dir);
  g_free (fixture->dir);
}

char *
write_file (const char *dir,
            const char *name,
            const char *contents)
{
  g_autoptr (GError) error = NULL;
  char              *path = g_build_filename (dir, name, NULL);

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  return path;
}

char *
make_dir (const char *dir,
          const char *name,
          mode_t      mode)
{
  char *path = g_build_filename (dir, name, NULL);

  g_assert_cmpint (mkdir (path, 0700), ==, 0);
  g_assert_cmpint (chmod (path, mode), ==, 0);
  return path;
}
