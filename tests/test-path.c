/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Confinement beneath a mount root: symlinks (static and raced), "..",
 * non-directories, creation modes and directory removal.  Needs no
 * privileges: everything happens in a temporary directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "refmount-path.h"
#include "test-openat2.h"

typedef struct
{
  char *base;    /* temporary directory */
  char *root;    /* base/root: the mount root under test */
  char *outside; /* base/outside: must never be written to */
} Fixture;

static void
fixture_set_up (Fixture      *f,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->base = g_dir_make_tmp ("refmount-test-path-XXXXXX", &error);
  g_assert_no_error (error);
  f->root = g_build_filename (f->base, "root", NULL);
  f->outside = g_build_filename (f->base, "outside", NULL);
  g_assert_cmpint (g_mkdir (f->root, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (f->outside, 0755), ==, 0);
}

static void
remove_tree (const char *path)
{
  GStatBuf st;

  if (g_lstat (path, &st) < 0)
    return;
  if (S_ISDIR (st.st_mode))
    {
      g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
      const char      *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
        }
      g_assert_cmpint (g_rmdir (path), ==, 0);
    }
  else
    g_assert_cmpint (g_unlink (path), ==, 0);
}

static void
fixture_tear_down (Fixture      *f,
                   gconstpointer data)
{
  remove_tree (f->base);
  g_free (f->base);
  g_free (f->root);
  g_free (f->outside);
}

static char *
fd_path (int fd)
{
  g_autofree char *proc = g_strdup_printf ("/proc/self/fd/%d", fd);

  return g_file_read_link (proc, NULL);
}

static void
make_dirs (Fixture    *f,
           const char *relative)
{
  g_autofree char *path = g_build_filename (f->root, relative, NULL);

  g_assert_cmpint (g_mkdir_with_parents (path, 0755), ==, 0);
}

static void
make_symlink (Fixture    *f,
              const char *relative,
              const char *target)
{
  g_autofree char *path = g_build_filename (f->root, relative, NULL);

  g_assert_cmpint (symlink (target, path), ==, 0);
}

static guint
count_entries (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint            n = 0;

  g_assert_nonnull (d);
  while (g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static void
test_open_existing (Fixture      *f,
                    gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *expected = g_build_filename (f->root, "a/b/c", NULL);
  g_autofree char   *actual = NULL;
  gboolean           created = TRUE;
  int                fd;

  make_dirs (f, "a/b/c");
  fd = refmount_path_open_beneath (f->root, "a/b/c", FALSE, &created, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fd, >=, 0);
  g_assert_false (created);
  actual = fd_path (fd);
  g_assert_cmpstr (actual, ==, expected);
  g_assert_cmpint (fcntl (fd, F_GETFL) & O_PATH, ==, O_PATH);
  g_assert_cmpint (fcntl (fd, F_GETFD) & FD_CLOEXEC, ==, FD_CLOEXEC);
  close (fd);
}

static void
test_create (Fixture      *f,
             gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *path = g_build_filename (f->root, "x/y/z", NULL);
  GStatBuf           st;
  gboolean           created = FALSE;
  mode_t             old_umask = umask (077);
  int                fd;

  fd = refmount_path_open_beneath (f->root, "x/y/z", TRUE, &created, &error);
  umask (old_umask);
  g_assert_no_error (error);
  g_assert_cmpint (fd, >=, 0);
  g_assert_true (created);
  close (fd);
  /* 0755 whatever the daemon's umask: callers must be able to use it. */
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0755);

  fd = refmount_path_open_beneath (f->root, "x/y/z", TRUE, &created, &error);
  g_assert_no_error (error);
  g_assert_false (created);
  close (fd);
}

static void
test_missing_without_create (Fixture      *f,
                             gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  int                fd = refmount_path_open_beneath (f->root, "nope/deeper", FALSE, NULL, &error);

  g_assert_cmpint (fd, ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "nope/deeper"));
  g_assert_cmpuint (count_entries (f->root), ==, 0);
}

static void
test_symlink_components (Fixture      *f,
                         gconstpointer data)
{
  const char *const requests[] = { "out/child", "in/child", "out", "a/b/loop" };

  make_symlink (f, "out", f->outside);
  make_dirs (f, "real");
  make_symlink (f, "in", "real"); /* even a link that stays inside */
  make_dirs (f, "a/b");
  make_symlink (f, "a/b/loop", "../../a");

  for (gsize i = 0; i < G_N_ELEMENTS (requests); i++)
    for (int create = 0; create <= 1; create++)
      {
        g_autoptr (GError) error = NULL;
        int                fd = refmount_path_open_beneath (f->root, requests[i], create, NULL, &error);

        g_test_message ("%s (create=%d): %s", requests[i], create, error ? error->message : "opened");
        g_assert_cmpint (fd, ==, -1);
        g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_LINKS);
      }
  g_assert_cmpuint (count_entries (f->outside), ==, 0);
  g_assert_cmpuint (count_entries (f->root), ==, 4);
}

static void
test_root_is_symlink (Fixture      *f,
                      gconstpointer data)
{
  g_autofree char   *link = g_build_filename (f->base, "link-root", NULL);
  g_autoptr (GError) error = NULL;
  int                fd;

  g_assert_cmpint (symlink (f->outside, link), ==, 0);
  fd = refmount_path_open_beneath (link, "a", TRUE, NULL, &error);
  g_assert_cmpint (fd, ==, -1);
  g_assert_nonnull (error);
  g_assert_cmpuint (count_entries (f->outside), ==, 0);
}

static void
test_not_normalised (Fixture      *f,
                     gconstpointer data)
{
  const char *const bad[] = { "", "..", "a/../b", "./a", "a/.", "a//b", "a/", "/a" };

  make_dirs (f, "a/b");
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GError) parent_error = NULL;
      const char        *name = NULL;
      int                fd = refmount_path_open_beneath (f->root, bad[i], TRUE, NULL, &error);

      g_test_message ("'%s': %s", bad[i], error ? error->message : "opened");
      g_assert_cmpint (fd, ==, -1);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      fd = refmount_path_open_parent (f->root, bad[i], &name, &parent_error);
      g_assert_cmpint (fd, ==, -1);
      g_assert_error (parent_error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    }
  g_assert_cmpuint (count_entries (f->root), ==, 1);
}

static void
test_file_component (Fixture      *f,
                     gconstpointer data)
{
  g_autofree char   *file = g_build_filename (f->root, "file", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) error2 = NULL;
  int                fd;

  g_assert_true (g_file_set_contents (file, "x", 1, NULL));
  fd = refmount_path_open_beneath (f->root, "file", TRUE, NULL, &error);
  g_assert_cmpint (fd, ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY);
  fd = refmount_path_open_beneath (f->root, "file/below", TRUE, NULL, &error2);
  g_assert_cmpint (fd, ==, -1);
  g_assert_error (error2, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY);
}

static void
test_open_parent (Fixture      *f,
                  gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *expected = g_build_filename (f->root, "a/b", NULL);
  g_autofree char   *actual = NULL;
  g_autofree char   *actual_root = NULL;
  const char        *name = NULL;
  int                fd;

  make_dirs (f, "a/b/c");
  fd = refmount_path_open_parent (f->root, "a/b/c", &name, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (name, ==, "c");
  actual = fd_path (fd);
  g_assert_cmpstr (actual, ==, expected);
  close (fd);

  fd = refmount_path_open_parent (f->root, "a", &name, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (name, ==, "a");
  actual_root = fd_path (fd);
  g_assert_cmpstr (actual_root, ==, f->root);
  close (fd);

  make_symlink (f, "l", "a");
  fd = refmount_path_open_parent (f->root, "l/b", &name, &error);
  g_assert_cmpint (fd, ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_LINKS);
}

static void
test_remove_dir (Fixture      *f,
                 gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *c = g_build_filename (f->root, "a/b/c", NULL);
  g_autofree char   *b = g_build_filename (f->root, "a/b", NULL);
  g_autofree char   *target = g_build_filename (f->outside, "victim", NULL);
  g_autofree char   *linked = g_build_filename (f->root, "a/link", NULL);

  make_dirs (f, "a/b/c");
  g_assert_true (refmount_path_remove_dir (f->root, "a/b/c", &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (c, G_FILE_TEST_EXISTS));

  /* Already gone, or its parent gone: nothing to do. */
  g_assert_true (refmount_path_remove_dir (f->root, "a/b/c", &error));
  g_assert_no_error (error);
  g_assert_true (refmount_path_remove_dir (f->root, "gone/c", &error));
  g_assert_no_error (error);

  /* Not empty: left alone, with an error naming it. */
  make_dirs (f, "a/b/c");
  g_assert_false (refmount_path_remove_dir (f->root, "a/b", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_EMPTY);
  g_assert_nonnull (strstr (error->message, "a/b"));
  g_clear_error (&error);
  g_assert_true (g_file_test (b, G_FILE_TEST_IS_DIR));

  /* A symlink swapped in for the directory is neither followed nor removed. */
  g_assert_cmpint (g_mkdir (target, 0755), ==, 0);
  g_assert_cmpint (symlink (target, linked), ==, 0);
  g_assert_false (refmount_path_remove_dir (f->root, "a/link", &error));
  g_assert_nonnull (error);
  g_assert_true (g_file_test (target, G_FILE_TEST_IS_DIR));
  g_assert_true (g_file_test (linked, G_FILE_TEST_IS_SYMLINK));
}

static void
test_mount_root (Fixture      *f,
                 gconstpointer data)
{
  int fd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  int sub;

  g_assert_cmpint (fd, >=, 0);
  g_assert_true (refmount_path_fd_is_mount_root (fd));
  close (fd);

  make_dirs (f, "plain");
  sub = refmount_path_open_beneath (f->root, "plain", FALSE, NULL, NULL);
  g_assert_cmpint (sub, >=, 0);
  g_assert_false (refmount_path_fd_is_mount_root (sub));
  close (sub);
  g_assert_false (refmount_path_fd_is_mount_root (-1));
}

/*
 * A second thread keeps replacing "a" with a symlink to the outside and
 * back while the main thread creates and opens "a/b".  Every successful
 * open must be inside the root and nothing may ever appear outside.
 */
typedef struct
{
  Fixture      *f;
  volatile gint stop;
  guint         swaps;
} Race;

static gpointer
swapper (gpointer data)
{
  Race            *race = data;
  g_autofree char *a = g_build_filename (race->f->root, "a", NULL);
  g_autofree char *aside = g_build_filename (race->f->root, "a.real", NULL);
  g_autofree char *tmp_link = g_build_filename (race->f->root, "a.link", NULL);

  while (!g_atomic_int_get (&race->stop))
    {
      /* Swap atomically with rename so the opener sees either. */
      (void) unlink (tmp_link);
      if (symlink (race->f->outside, tmp_link) == 0 && rename (a, aside) == 0)
        {
          (void) rename (tmp_link, a);
          g_thread_yield ();
          (void) unlink (a);
          (void) rename (aside, a);
          race->swaps++;
        }
    }
  return NULL;
}

static void
test_symlink_race (Fixture      *f,
                   gconstpointer data)
{
  Race      race = { f, 0, 0 };
  GThread  *thread;
  guint     opened = 0, refused = 0;
  const int tries = 2000;

  make_dirs (f, "a");
  thread = g_thread_new ("swapper", swapper, &race);
  for (int i = 0; i < tries; i++)
    {
      g_autoptr (GError) error = NULL;
      int                fd = refmount_path_open_beneath (f->root, "a/b", TRUE, NULL, &error);

      if (fd >= 0)
        {
          g_autofree char *where = fd_path (fd);

          g_assert_true (g_str_has_prefix (where, f->root));
          opened++;
          close (fd);
        }
      else
        refused++;
    }
  g_atomic_int_set (&race.stop, 1);
  g_thread_join (thread);
  g_test_message ("%d tries: %u opened, %u refused, %u swaps", tries, opened, refused, race.swaps);
  g_assert_cmpuint (opened + refused, ==, tries);
  g_assert_cmpuint (count_entries (f->outside), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  test_require_openat2 ();

#define ADD(name, fn) g_test_add ("/path/" name, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("open-existing", test_open_existing);
  ADD ("create", test_create);
  ADD ("missing-without-create", test_missing_without_create);
  ADD ("symlink-components", test_symlink_components);
  ADD ("root-is-symlink", test_root_is_symlink);
  ADD ("not-normalised", test_not_normalised);
  ADD ("file-component", test_file_component);
  ADD ("open-parent", test_open_parent);
  ADD ("remove-dir", test_remove_dir);
  ADD ("mount-root", test_mount_root);
  ADD ("symlink-race", test_symlink_race);
#undef ADD
  return g_test_run ();
}
