/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The mount roots of a configuration (helper/refmount-config-roots.c):
 * which directories are accepted, refused with which reason, and
 * created.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "config-fixture.h"
#include "refmount-config.h"
#include "test-namespace.h"

static RefmountConfig *
config_with_roots (const char *dir,
                   const char *roots)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *contents = g_strdup_printf ("[Daemon]\nMountRoots=%s\n", roots);
  g_autofree char   *path = write_file (dir, "roots.conf", contents);
  RefmountConfig    *config = refmount_config_load (path, FALSE, &error);

  g_assert_no_error (error);
  g_assert_nonnull (config);
  return config;
}

/* The checks below need the temporary directory's own ancestors to pass
 * (root-owned, sticky if world-writable, no symlinks). */
static gboolean
tmpdir_usable (const char *dir)
{
  g_autoptr (RefmountConfig) config = config_with_roots (dir, dir);
  g_autoptr (GError)         error = NULL;
  g_autofree char           *message = NULL;

  if (refmount_config_check_roots (config, getuid (), FALSE, &error))
    return TRUE;
  message = g_strdup_printf ("temporary directory not usable as a mount root: %s", error->message);
  g_test_skip (message);
  return FALSE;
}

static void
assert_roots (const char *dir,
              const char *root,
              gboolean    create,
              GQuark      domain,
              gint        code)
{
  g_autoptr (RefmountConfig) config = config_with_roots (dir, root);
  g_autoptr (GError)         error = NULL;
  gboolean                   ok = refmount_config_check_roots (config, getuid (), create, &error);

  g_test_message ("root %s", root);
  if (domain == 0)
    {
      g_assert_no_error (error);
      g_assert_true (ok);
    }
  else
    {
      g_assert_false (ok);
      g_assert_error (error, domain, code);
      g_assert_nonnull (strstr (error->message, root));
    }
}

static void
test_roots_ok (Fixture      *fixture,
               gconstpointer data)
{
  g_autofree char *a = NULL, *b = NULL, *both = NULL;

  if (!tmpdir_usable (fixture->dir))
    return;
  a = make_dir (fixture->dir, "a", 0755);
  b = make_dir (fixture->dir, "b", 0700);
  both = g_strdup_printf ("%s;%s;", a, b);

  assert_roots (fixture->dir, a, FALSE, 0, 0);
  assert_roots (fixture->dir, both, FALSE, 0, 0);

  /* An ancestor may be world-writable if it is sticky, like /tmp. */
  g_free (make_dir (fixture->dir, "sticky", 01777));
  g_free (make_dir (fixture->dir, "sticky/m", 0755));
  g_free (both);
  both = g_build_filename (fixture->dir, "sticky", "m", NULL);
  assert_roots (fixture->dir, both, FALSE, 0, 0);
}

static void
test_roots_rejected (Fixture      *fixture,
                     gconstpointer data)
{
  static const mode_t        bad_modes[] = { 0777, 0775, 0757, 0770, 01777 };
  g_autoptr (GError)         error = NULL;
  g_autoptr (RefmountConfig) config = NULL;
  g_autofree char           *real = NULL, *link_path = NULL, *file = NULL, *open_dir = NULL, *beneath = NULL;
  g_autofree char           *link_dir = NULL, *through_link = NULL, *missing = NULL;

  if (!tmpdir_usable (fixture->dir))
    return;

  for (gsize i = 0; i < G_N_ELEMENTS (bad_modes); i++)
    {
      g_autofree char *name = g_strdup_printf ("mode-%o", (guint) bad_modes[i]);
      g_autofree char *dir = make_dir (fixture->dir, name, bad_modes[i]);

      assert_roots (fixture->dir, dir, FALSE, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
      assert_roots (fixture->dir, dir, TRUE, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
    }

  /* The root itself a symlink to a good directory: refused, not replaced. */
  real = make_dir (fixture->dir, "real", 0755);
  link_path = g_build_filename (fixture->dir, "link", NULL);
  g_assert_cmpint (symlink (real, link_path), ==, 0);
  assert_roots (fixture->dir, link_path, FALSE, G_IO_ERROR, G_IO_ERROR_TOO_MANY_LINKS);
  assert_roots (fixture->dir, link_path, TRUE, G_IO_ERROR, G_IO_ERROR_TOO_MANY_LINKS);

  /* A symlink further up is refused too. */
  g_free (make_dir (real, "m", 0755));
  link_dir = g_build_filename (fixture->dir, "link-dir", NULL);
  g_assert_cmpint (symlink (real, link_dir), ==, 0);
  through_link = g_build_filename (link_dir, "m", NULL);
  assert_roots (fixture->dir, through_link, FALSE, G_IO_ERROR, G_IO_ERROR_TOO_MANY_LINKS);

  file = write_file (fixture->dir, "file", "");
  assert_roots (fixture->dir, file, FALSE, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY);

  /* Owned by someone else. */
  config = config_with_roots (fixture->dir, real);
  g_assert_false (refmount_config_check_roots (config, getuid () + 1, FALSE, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);

  /* A world-writable, non-sticky ancestor: refused, and nothing is
   * created beneath it. */
  open_dir = make_dir (fixture->dir, "open_dir", 0777);
  g_free (make_dir (open_dir, "m", 0755));
  beneath = g_build_filename (open_dir, "m", NULL);
  assert_roots (fixture->dir, beneath, FALSE, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  missing = g_build_filename (open_dir, "new", NULL);
  assert_roots (fixture->dir, missing, TRUE, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
}

/* What the walk refuses besides modes: a component that is not a
 * directory, an ancestor owned by neither root nor the owner, and a
 * hand-built root that is not a normalised absolute path (loaded
 * configurations are validated before they get here). */
static void
test_roots_errors (Fixture      *fixture,
                   gconstpointer data)
{
  static const char *const not_normalised[] = { "/", "relative/root", "/a/../b", "/a//b" };
  g_autofree char         *file = NULL, *through_file = NULL, *theirs = NULL, *beneath = NULL;

  if (!tmpdir_usable (fixture->dir))
    return;

  file = write_file (fixture->dir, "plain", "x");
  through_file = g_build_filename (file, "m", NULL);
  assert_roots (fixture->dir, through_file, FALSE, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY);
  assert_roots (fixture->dir, through_file, TRUE, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY);

  for (gsize i = 0; i < G_N_ELEMENTS (not_normalised); i++)
    {
      g_autoptr (RefmountConfig) config = refmount_config_new_default ();
      g_autoptr (GError)         error = NULL;

      g_strfreev (config->mount_roots);
      config->mount_roots = g_new0 (char *, 2);
      config->mount_roots[0] = g_strdup (not_normalised[i]);
      g_assert_false (refmount_config_check_roots (config, getuid (), TRUE, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, "normalised"));
    }

  /* Someone else's directory on the way: that user could swap what is
   * beneath it.  Needs chown(2), so root. */
  theirs = make_dir (fixture->dir, "theirs", 0755);
  beneath = make_dir (theirs, "m", 0755);
  if (chown (theirs, getuid () + 1, (gid_t) -1) < 0)
    {
      g_test_message ("not checking a foreign-owned ancestor: chown: %s", g_strerror (errno));
      return;
    }
  assert_roots (fixture->dir, beneath, FALSE, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
}

/* A root that cannot be created (a read-only file system; as root, EACCES
 * is not available): the reason is reported, not taken for success.  In
 * a subprocess with a private mount namespace, for the read-only mount. */
static void
test_roots_read_only (Fixture      *fixture,
                      gconstpointer data)
{
  g_autofree char *ro = NULL, *root = NULL;

  if (!test_in_private_namespace ())
    return;
  ro = make_dir (fixture->dir, "ro", 0755);
  g_assert_cmpint (mount ("refmount-test", ro, "tmpfs", MS_RDONLY, "mode=0755"), ==, 0);
  root = g_build_filename (ro, "new", "mounts", NULL);
  assert_roots (fixture->dir, root, TRUE, G_IO_ERROR, G_IO_ERROR_READ_ONLY);
  {
    g_autoptr (RefmountConfig) config = config_with_roots (fixture->dir, root);
    g_autoptr (GError)         error = NULL;

    g_assert_false (refmount_config_check_roots (config, getuid (), TRUE, &error));
    g_assert_nonnull (strstr (error->message, "cannot be created"));
  }
  g_assert_cmpint (umount2 (ro, MNT_DETACH), ==, 0);
}

static void
test_roots_create (Fixture      *fixture,
                   gconstpointer data)
{
  g_autofree char *root = NULL, *parent = NULL;
  struct stat      st;
  mode_t           old_umask;

  if (!tmpdir_usable (fixture->dir))
    return;

  root = g_build_filename (fixture->dir, "new", "a", "mounts", NULL);
  parent = g_path_get_dirname (root);

  assert_roots (fixture->dir, root, FALSE, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_false (g_file_test (parent, G_FILE_TEST_EXISTS));

  /* Mode 0755 whatever the umask: users need to reach their mounts. */
  old_umask = umask (077);
  assert_roots (fixture->dir, root, TRUE, 0, 0);
  umask (old_umask);

  g_assert_cmpint (lstat (root, &st), ==, 0);
  g_assert_true (S_ISDIR (st.st_mode));
  g_assert_cmpuint (st.st_mode & 07777, ==, 0755);
  g_assert_cmpuint (st.st_uid, ==, getuid ());
  g_assert_cmpint (lstat (parent, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 07777, ==, 0755);

  /* Existing now: fine without create. */
  assert_roots (fixture->dir, root, FALSE, 0, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/config/roots/ok", Fixture, NULL, fixture_setup, test_roots_ok, fixture_teardown);
  g_test_add ("/config/roots/rejected", Fixture, NULL, fixture_setup, test_roots_rejected, fixture_teardown);
  g_test_add ("/config/roots/create", Fixture, NULL, fixture_setup, test_roots_create, fixture_teardown);
  g_test_add ("/config/roots/errors", Fixture, NULL, fixture_setup, test_roots_errors, fixture_teardown);
  g_test_add ("/config/roots/read-only", Fixture, NULL, fixture_setup, test_roots_read_only, fixture_teardown);

  return g_test_run ();
}
