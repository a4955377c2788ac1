/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The libmount backend against the real kernel: what each failure of
 * mount(2) and umount(2) becomes (REFMOUNT_ERROR_MOUNT_FAILED with the
 * reason, BUSY, NOT_FOUND), and unmounting through the directory's fd
 * after it was renamed.  Needs root and a mount namespace of its own: each
 * case runs in a subprocess that unshares one (private propagation), so
 * nothing it mounts is seen outside.  Skipped otherwise.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "refmount-backend.h"
#include "refmount-error.h"
#include "test-namespace.h"
#include "test-openat2.h"

typedef struct
{
  char            *dir; /* a tmpfs of its own, in the private namespace */
  RefmountBackend *backend;
} Fixture;

static void
fixture_setup (Fixture      *f,
               gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  test_enter_private_namespace ();
  f->dir = g_dir_make_tmp ("refmount-backend-XXXXXX", &error);
  g_assert_no_error (error);
  g_assert_cmpint (mount ("refmount-test", f->dir, "tmpfs", 0, "size=1m,mode=0755"), ==, 0);
  f->backend = refmount_backend_libmount_new ();
}

static void
fixture_teardown (Fixture      *f,
                  gconstpointer data)
{
  refmount_backend_free (f->backend);
  /* The namespace dies with the subprocess; the directory stays on the
   * host's /tmp otherwise. */
  umount2 (f->dir, MNT_DETACH);
  g_rmdir (f->dir);
  g_free (f->dir);
}

static char *
make_dir (Fixture    *f,
          const char *name)
{
  char *path = g_build_filename (f->dir, name, NULL);

  g_assert_cmpint (g_mkdir (path, 0755), ==, 0);
  return path;
}

static int
open_path (const char *path)
{
  int fd = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);

  g_assert_cmpint (fd, >=, 0);
  return fd;
}

static gboolean
do_mount (Fixture    *f,
          const char *path,
          const char *fstype,
          const char *source,
          GError    **error)
{
  int      fd = open_path (path);
  gboolean ok = f->backend->ops->mount (f->backend, fd, path, fstype, source, "size=64k", NULL, FALSE, 0, error);

  close (fd);
  return ok;
}

/* Unmount @name inside @dir's parent, as the table does for a mountpoint
 * it only knows by path. */
static gboolean
do_umount (Fixture    *f,
           const char *name,
           gboolean    lazy,
           GError    **error)
{
  int              parent = open_path (f->dir);
  g_autofree char *path = g_build_filename (f->dir, name, NULL);
  gboolean         ok = f->backend->ops->umount (f->backend, parent, name, path, FALSE, lazy, error);

  close (parent);
  return ok;
}

static void
test_mount_and_lookup (Fixture      *f,
                       gconstpointer data)
{
  g_autofree char                *m = make_dir (f, "m");
  g_autoptr (GError)              error = NULL;
  g_autoptr (RefmountKernelMount) km = NULL;
  g_autoptr (GHashTable)          all = NULL;
  RefmountKernelMount            *listed;

  g_assert_true (do_mount (f, m, "tmpfs", "refmount-src", &error));
  g_assert_no_error (error);
  km = f->backend->ops->lookup (f->backend, m);
  g_assert_nonnull (km);
  g_assert_cmpstr (km->source, ==, "refmount-src");
  g_assert_cmpstr (km->fstype, ==, "tmpfs");
  all = f->backend->ops->list (f->backend, &error);
  g_assert_no_error (error);
  listed = g_hash_table_lookup (all, m);
  g_assert_nonnull (listed);
  g_assert_cmpstr (listed->source, ==, "refmount-src");

  g_assert_true (do_umount (f, "m", FALSE, &error));
  g_assert_no_error (error);
  g_clear_pointer (&km, refmount_kernel_mount_free);
  km = f->backend->ops->lookup (f->backend, m);
  g_assert_null (km);
}

/* The kernel's reason reaches the caller: an unknown filesystem type. */
static void
test_mount_failure (Fixture      *f,
                    gconstpointer data)
{
  g_autofree char   *m = make_dir (f, "m");
  g_autoptr (GError) error = NULL;

  g_assert_false (do_mount (f, m, "refmount-no-such-fs", "src", &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_MOUNT_FAILED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, m));
  /* libmount's words for ENODEV, not just "failed". */
  g_assert_nonnull (strstr (error->message, "failed: unknown filesystem type 'refmount-no-such-fs'"));
}

/* Nothing mounted there, or no such name: NOT_FOUND, which the table
 * takes for "already gone" (a plain directory is never unmounted). */
static void
test_umount_not_mounted (Fixture      *f,
                         gconstpointer data)
{
  g_autofree char   *plain = make_dir (f, "plain");
  g_autoptr (GError) error = NULL;
  int                fd;

  g_assert_false (do_umount (f, "plain", FALSE, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (do_umount (f, "missing", FALSE, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, g_strerror (ENOENT)));
  g_clear_error (&error);

  /* Through the directory's fd (what this process mounted on), with no
   * mount on it: umount(2) says EINVAL. */
  fd = open_path (plain);
  g_assert_false (f->backend->ops->umount (f->backend, fd, NULL, plain, FALSE, FALSE, &error));
  close (fd);
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND);
}

/* A file open on the mount: BUSY (the table defers and retries); a lazy
 * unmount detaches it anyway. */
static void
test_umount_busy (Fixture      *f,
                  gconstpointer data)
{
  g_autofree char   *m = make_dir (f, "m");
  g_autofree char   *file = NULL;
  g_autoptr (GError) error = NULL;
  int                held;

  g_assert_true (do_mount (f, m, "tmpfs", "src", &error));
  file = g_build_filename (m, "held", NULL);
  held = open (file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  g_assert_cmpint (held, >=, 0);

  g_assert_false (do_umount (f, "m", FALSE, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_BUSY);
  g_clear_error (&error);
  g_assert_true (do_umount (f, "m", TRUE, &error));
  g_assert_no_error (error);
  close (held);
  g_assert_null (f->backend->ops->lookup (f->backend, m));
}

/* The mount moves with its parent directory when that is renamed;
 * unmounting through the fd of the directory mounted on still reaches it
 * (the table does this for mounts it made itself). */
static void
test_umount_moved (Fixture      *f,
                   gconstpointer data)
{
  g_autofree char                *parent = make_dir (f, "p");
  g_autofree char                *m = g_build_filename (parent, "m", NULL);
  g_autofree char                *moved_parent = g_build_filename (f->dir, "q", NULL);
  g_autofree char                *moved = g_build_filename (moved_parent, "m", NULL);
  g_autoptr (GError)              error = NULL;
  g_autoptr (RefmountKernelMount) km = NULL;
  int                             fd;

  g_assert_cmpint (g_mkdir (m, 0755), ==, 0);
  fd = open_path (m);
  g_assert_true (f->backend->ops->mount (f->backend, fd, m, "tmpfs", "src", "size=64k", NULL, FALSE, 0, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_rename (parent, moved_parent), ==, 0);
  km = f->backend->ops->lookup (f->backend, moved);
  g_assert_nonnull (km);

  g_assert_true (f->backend->ops->umount (f->backend, fd, NULL, m, FALSE, FALSE, &error));
  g_assert_no_error (error);
  close (fd);
  g_clear_pointer (&km, refmount_kernel_mount_free);
  km = f->backend->ops->lookup (f->backend, moved);
  g_assert_null (km);
}

/* A mount helper of our own: /sbin/mount.refmounttest running @script.
 * libmount looks for helpers in /sbin only, so a tmpfs with just this
 * helper goes over it (/sbin is /usr/sbin on Debian 12), in the
 * subprocess's private namespace. */
static void
install_helper (const char *script)
{
  g_autofree char   *contents = g_strconcat ("#!/bin/sh\n", script, "\n", NULL);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (mount ("refmount-test-sbin", "/usr/sbin", "tmpfs", 0, "mode=0755"), ==, 0);
  g_assert_true (g_file_set_contents ("/usr/sbin/mount.refmounttest", contents, -1, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod ("/usr/sbin/mount.refmounttest", 0755), ==, 0);
}

static gboolean
do_helper_mount (Fixture    *f,
                 const char *path,
                 GError    **error)
{
  int      fd = open_path (path);
  gboolean ok = f->backend->ops->mount (f->backend, fd, path, "refmounttest", "//server/share", "vers=3", NULL,
                                        TRUE, g_get_monotonic_time () + 20 * G_USEC_PER_SEC, error);

  close (fd);
  return ok;
}

/* A helper that fails: its exit status and its own words reach the
 * caller (libmount's summary of a helper failure says little). */
static void
test_helper_failure (Fixture      *f,
                     gconstpointer data)
{
  g_autofree char   *m = make_dir (f, "m");
  g_autoptr (GError) error = NULL;

  install_helper ("echo 'refmounttest: //server/share: no such share' >&2\nexit 32");
  g_assert_false (do_helper_mount (f, m, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_MOUNT_FAILED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message,
                            "mount.refmounttest exited with status 32: refmounttest: //server/share: no such share"));
}

/* The process that runs the helper dies (here the helper kills it): the
 * caller learns how, rather than a made-up reason. */
static void
test_helper_process_killed (Fixture      *f,
                            gconstpointer data)
{
  g_autofree char   *m = make_dir (f, "m");
  g_autoptr (GError) error = NULL;

  install_helper ("kill -KILL $PPID");
  g_assert_false (do_helper_mount (f, m, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_MOUNT_FAILED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "the mount process was killed by signal 9"));
}

/* Each case in a subprocess with a private mount namespace. */
static void
in_namespace (gconstpointer data)
{
  const char      *name = data;
  g_autofree char *path = g_strconcat ("/backend/libmount/subprocess/", name, NULL);

  if (!test_can_unshare ())
    {
      g_test_skip ("needs root and a mount namespace of its own");
      return;
    }
  g_test_trap_subprocess (path, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

#define ADD(name, func)                                                                     \
  do                                                                                        \
    {                                                                                       \
      g_test_add ("/backend/libmount/subprocess/" name, Fixture, NULL, fixture_setup, func, \
                  fixture_teardown);                                                        \
      g_test_add_data_func ("/backend/libmount/" name, name, in_namespace);                 \
    }                                                                                       \
  while (0)

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  test_require_openat2 ();
  /* Unmount failures are logged on purpose; only criticals are bugs. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

  ADD ("mount-and-lookup", test_mount_and_lookup);
  ADD ("mount-failure", test_mount_failure);
  ADD ("umount-not-mounted", test_umount_not_mounted);
  ADD ("umount-busy", test_umount_busy);
  ADD ("umount-moved", test_umount_moved);
  ADD ("helper-failure", test_helper_failure);
  ADD ("helper-process-killed", test_helper_process_killed);

  return g_test_run ();
}
