/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The libmount backend against the real kernel: what each failure of
 * mount(2) and umount(2) becomes (REFMOUNT_ERROR_MOUNT_FAILED with the
 * reason, BUSY, NOT_FOUND), and unmounting through the directory's fd
 * after it was renamed, what a mount helper's run leaves (its words, a
 * mount it made before it failed or was killed), the userspace options in
 * utab, and the kernel or the file system failing underneath (no
 * CAP_SYS_ADMIN, a dead FUSE connection, no free file descriptor, a
 * read-only utab, no /proc).  Needs root and a mount namespace of its
 * own: each case runs in a subprocess that unshares one (private
 * propagation), so nothing it mounts is seen outside.  Skipped otherwise.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "refmount-backend.h"
#include "refmount-error.h"
#include "test-namespace.h"
#include "test-openat2.h"

typedef struct
{
  char            *dir; /* a tmpfs of its own, in the private namespace */
  char            *utab;
  RefmountBackend *backend;
} Fixture;

/* The daemon's messages and warnings (its stderr), one string each. */
static GPtrArray *logged;

static GLogWriterOutput
capture_writer (GLogLevelFlags   level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    return g_log_writer_default (level, fields, n_fields, user_data);
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE"))
      {
        g_ptr_array_add (logged, g_strdup (fields[i].value));
        g_test_message ("logged: %s", (const char *) fields[i].value);
      }
  return G_LOG_WRITER_HANDLED;
}

static gboolean
was_logged (const char *text)
{
  for (guint i = 0; i < logged->len; i++)
    if (strstr (g_ptr_array_index (logged, i), text) != NULL)
      return TRUE;
  return FALSE;
}

static void
fixture_setup (Fixture      *f,
               gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  test_enter_private_namespace ();
  f->dir = g_dir_make_tmp ("refmount-backend-XXXXXX", &error);
  g_assert_no_error (error);
  g_assert_cmpint (mount ("refmount-test", f->dir, "tmpfs", 0, "size=1m,mode=0755"), ==, 0);
  /* utab of our own: the host's /run/mount is the same file in this
   * namespace. */
  f->utab = g_build_filename (f->dir, "utab", NULL);
  g_setenv ("LIBMOUNT_UTAB", f->utab, TRUE);
  f->backend = refmount_backend_libmount_new ();
  logged = g_ptr_array_new_with_free_func (g_free);
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
  g_free (f->utab);
  g_clear_pointer (&logged, g_ptr_array_unref);
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

/* A kernel mount (no helper), with userspace options @user_options. */
static gboolean
do_mount_full (Fixture    *f,
               const char *path,
               const char *fstype,
               const char *source,
               const char *user_options,
               GError    **error)
{
  int      fd = open_path (path);
  gboolean ok = f->backend->ops->mount (f->backend, fd, path, fstype, source, "size=64k", user_options, FALSE, 0,
                                        error);

  close (fd);
  return ok;
}

static gboolean
do_mount (Fixture    *f,
          const char *path,
          const char *fstype,
          const char *source,
          GError    **error)
{
  return do_mount_full (f, path, fstype, source, NULL, error);
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

/* The changes count moves with every change of this namespace's mount
 * table, through the backend or behind its back, and only then. */
static void
test_changes (Fixture      *f,
              gconstpointer data)
{
  g_autofree char   *m = make_dir (f, "m");
  g_autofree char   *other = make_dir (f, "other");
  g_autoptr (GError) error = NULL;
  guint64            c;

  c = f->backend->ops->changes (f->backend);
  g_assert_cmpuint (c, !=, 0);
  g_assert_cmpuint (f->backend->ops->changes (f->backend), ==, c);

  g_assert_true (do_mount (f, m, "tmpfs", "refmount-src", &error));
  g_assert_cmpuint (f->backend->ops->changes (f->backend), >, c);
  c = f->backend->ops->changes (f->backend);
  g_assert_cmpuint (f->backend->ops->changes (f->backend), ==, c);

  g_assert_cmpint (mount ("refmount-other", other, "tmpfs", 0, "size=64k"), ==, 0);
  g_assert_cmpuint (f->backend->ops->changes (f->backend), >, c);
  c = f->backend->ops->changes (f->backend);
  g_assert_cmpint (umount2 (other, MNT_DETACH), ==, 0);
  g_assert_cmpuint (f->backend->ops->changes (f->backend), >, c);
  c = f->backend->ops->changes (f->backend);

  g_assert_true (do_umount (f, "m", FALSE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->backend->ops->changes (f->backend), >, c);
  c = f->backend->ops->changes (f->backend);
  g_assert_cmpuint (f->backend->ops->changes (f->backend), ==, c);
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
do_helper_mount_full (Fixture    *f,
                      const char *path,
                      const char *user_options,
                      int         timeout_sec,
                      GError    **error)
{
  int      fd = open_path (path);
  gboolean ok = f->backend->ops->mount (f->backend, fd, path, "refmounttest", "//server/share", "vers=3",
                                        user_options, TRUE,
                                        g_get_monotonic_time () + timeout_sec * G_USEC_PER_SEC, error);

  close (fd);
  return ok;
}

static gboolean
do_helper_mount (Fixture    *f,
                 const char *path,
                 GError    **error)
{
  return do_helper_mount_full (f, path, NULL, 20, error);
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

/* The utab line recording @path's userspace options, or NULL. */
static char *
utab_line (Fixture    *f,
           const char *path)
{
  g_autofree char *contents = NULL;
  g_autofree char *target = g_strdup_printf (" TARGET=%s ", path);
  g_auto (GStrv) utab_lines = NULL;

  if (!g_file_get_contents (f->utab, &contents, NULL, NULL))
    return NULL;
  utab_lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; utab_lines[i] != NULL; i++)
    if (strstr (utab_lines[i], target) != NULL)
      return g_strdup (utab_lines[i]);
  return NULL;
}

/* CAP_SYS_ADMIN in or out of the effective set (the permitted set keeps
 * it, so it can be had back). */
static void
set_sys_admin (gboolean on)
{
  struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct   caps[2];

  g_assert_cmpint (syscall (SYS_capget, &header, caps), ==, 0);
  if (on)
    caps[0].effective |= 1U << CAP_SYS_ADMIN;
  else
    caps[0].effective &= ~(1U << CAP_SYS_ADMIN);
  g_assert_cmpint (syscall (SYS_capset, &header, caps), ==, 0);
}

/* umount(2) failing for another reason than busy or not mounted (here
 * EPERM): FAILED with libmount's reason, and the mount is still there. */
static void
test_umount_not_permitted (Fixture      *f,
                           gconstpointer data)
{
  g_autofree char                *m = make_dir (f, "m");
  g_autofree char                *prefix = g_strdup_printf ("Unmounting mountpoint '%s' failed: ", m);
  g_autoptr (GError)              error = NULL;
  g_autoptr (RefmountKernelMount) km = NULL;
  gboolean                        ok;

  g_assert_true (do_mount (f, m, "tmpfs", "src", &error));
  set_sys_admin (FALSE);
  ok = do_umount (f, "m", FALSE, &error);
  set_sys_admin (TRUE);
  g_assert_false (ok);
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, prefix));
  g_assert_cmpuint (strlen (error->message), >, strlen (prefix));
  km = f->backend->ops->lookup (f->backend, m);
  g_assert_nonnull (km);
  g_clear_error (&error);
  g_assert_true (do_umount (f, "m", FALSE, &error));
  g_assert_no_error (error);
}

/* A FUSE mount whose server is gone (the /dev/fuse descriptor closed
 * before it ever answered): every access to it fails with ENOTCONN, yet
 * it is found and unmounted.  Its kernel type is plain "fuse", for which
 * lookup asks mountinfo; with no /proc, it cannot tell, and list() says
 * why. */
static void
test_dead_fuse (Fixture      *f,
                gconstpointer data)
{
  g_autofree char                *m = make_dir (f, "m");
  g_autofree char                *options = NULL;
  g_autoptr (GError)              error = NULL;
  g_autoptr (RefmountKernelMount) km = NULL;
  g_autoptr (GHashTable)          all = NULL;
  int                             fuse;

  /* in_namespace_with_fuse() skipped the case where there is none. */
  fuse = open ("/dev/fuse", O_RDWR | O_CLOEXEC);
  g_assert_cmpint (fuse, >=, 0);
  options = g_strdup_printf ("fd=%d,rootmode=40000,user_id=0,group_id=0", fuse);
  g_assert_cmpint (mount ("refmount-dead", m, "fuse", MS_NOSUID | MS_NODEV, options), ==, 0);
  close (fuse);

  km = f->backend->ops->lookup (f->backend, m);
  g_assert_nonnull (km);
  g_assert_cmpstr (km->source, ==, "refmount-dead");
  g_assert_cmpstr (km->fstype, ==, "fuse");
  g_clear_pointer (&km, refmount_kernel_mount_free);

  /* No mountinfo. */
  g_assert_cmpint (mount ("refmount-no-proc", "/proc", "tmpfs", 0, "size=4k"), ==, 0);
  g_assert_null (f->backend->ops->lookup (f->backend, m));
  all = f->backend->ops->list (f->backend, &error);
  g_assert_null (all);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "Cannot parse /proc/self/mountinfo: No such file or directory");
  g_clear_error (&error);
  g_assert_cmpint (umount ("/proc"), ==, 0);

  g_assert_true (do_umount (f, "m", FALSE, &error));
  g_assert_no_error (error);
  g_assert_null (f->backend->ops->lookup (f->backend, m));
}

/* Userspace options (x-gvfs-show) go to utab with the mount and leave
 * with it; a mount that fails leaves none behind. */
static void
test_user_options (Fixture      *f,
                   gconstpointer data)
{
  g_autofree char   *m = make_dir (f, "m");
  g_autofree char   *line = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (do_mount_full (f, m, "tmpfs", "src", "x-gvfs-show", &error));
  g_assert_no_error (error);
  line = utab_line (f, m);
  g_assert_nonnull (line);
  g_assert_nonnull (strstr (line, "OPTS=x-gvfs-show"));
  g_assert_true (do_umount (f, "m", FALSE, &error));
  g_assert_no_error (error);
  g_clear_pointer (&line, g_free);
  g_assert_null (utab_line (f, m));

  g_assert_false (do_mount_full (f, m, "refmount-no-such-fs", "src", "x-gvfs-show", &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_MOUNT_FAILED);
  g_assert_null (utab_line (f, m));
}

/* utab cannot be written (a read-only directory): the mount and the
 * unmount go ahead, and the warning names the mountpoint. */
static void
test_user_options_read_only (Fixture      *f,
                             gconstpointer data)
{
  g_autofree char                *m = make_dir (f, "m");
  g_autofree char                *ro = make_dir (f, "ro");
  g_autofree char                *record = g_strdup_printf ("Cannot record the userspace mount options of '%s' in ", m);
  g_autofree char                *remove = g_strdup_printf ("Cannot remove the userspace mount options of '%s' in ", m);
  g_autofree char                *writable = g_build_filename (f->dir, "utab-writable", NULL);
  g_autofree char                *contents = NULL;
  g_autoptr (GError)              error = NULL;
  g_autoptr (RefmountKernelMount) found = NULL;

  g_assert_cmpint (mount ("refmount-ro", ro, "tmpfs", MS_RDONLY, "size=64k"), ==, 0);
  g_free (f->utab);
  f->utab = g_build_filename (ro, "utab", NULL);
  g_setenv ("LIBMOUNT_UTAB", f->utab, TRUE);
  g_assert_true (do_mount_full (f, m, "tmpfs", "src", "x-gvfs-show", &error));
  g_assert_no_error (error);
  g_assert_true (was_logged (record));
  found = f->backend->ops->lookup (f->backend, m);
  g_assert_nonnull (found);
  g_assert_true (do_umount (f, "m", FALSE, &error));
  g_assert_no_error (error);

  /* utab itself writable (a file of another file system bound over it)
   * in a read-only directory: libmount cannot take its lock file, so
   * the entry stays, and the unmount still succeeds. */
  g_assert_cmpint (umount (ro), ==, 0);
  g_assert_cmpint (mount ("refmount-ro", ro, "tmpfs", 0, "size=64k"), ==, 0);
  g_assert_true (do_mount_full (f, m, "tmpfs", "src", "x-gvfs-show", &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (f->utab, &contents, NULL, &error));
  g_assert_true (g_file_set_contents (writable, contents, -1, &error));
  g_assert_cmpint (mount (writable, f->utab, NULL, MS_BIND, NULL), ==, 0);
  g_assert_cmpint (mount (NULL, ro, NULL, MS_REMOUNT | MS_RDONLY, NULL), ==, 0);
  g_assert_true (do_umount (f, "m", FALSE, &error));
  g_assert_no_error (error);
  g_assert_true (was_logged (remove));
  g_assert_null (f->backend->ops->lookup (f->backend, m));
}

/* A helper that mounts and says something: the mount stands, and its
 * words are logged. */
static void
test_helper_said (Fixture      *f,
                  gconstpointer data)
{
  g_autofree char                *m = make_dir (f, "m");
  g_autofree char                *said = g_strdup_printf ("mount.refmounttest for %s said: refmounttest: mounted, "
                                                                         "with a warning",
                                                          m);
  g_autoptr (GError)              error = NULL;
  g_autoptr (RefmountKernelMount) km = NULL;

  install_helper ("mount -t tmpfs -o size=64k \"$1\" \"$2\" && echo 'refmounttest: mounted, with a warning'");
  g_assert_true (do_helper_mount (f, m, &error));
  g_assert_no_error (error);
  g_assert_true (was_logged (said));
  km = f->backend->ops->lookup (f->backend, m);
  g_assert_nonnull (km);
  g_assert_cmpstr (km->source, ==, "//server/share");
}

/* A helper that mounted and then failed: MountFailed, and the mount and
 * its utab entry are kept (the daemon keeps what the kernel has). */
static void
test_helper_failed_after_mount (Fixture      *f,
                                gconstpointer data)
{
  g_autofree char                *m = make_dir (f, "m");
  g_autofree char                *line = NULL;
  g_autoptr (GError)              error = NULL;
  g_autoptr (RefmountKernelMount) km = NULL;

  install_helper ("mount -t tmpfs -o size=64k \"$1\" \"$2\"\necho 'refmounttest: mounted, then failed' >&2\nexit 32");
  g_assert_false (do_helper_mount_full (f, m, "x-gvfs-show", 20, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_MOUNT_FAILED);
  g_assert_nonnull (strstr (error->message, "mount.refmounttest exited with status 32: refmounttest: mounted, then "
                                            "failed"));
  km = f->backend->ops->lookup (f->backend, m);
  g_assert_nonnull (km);
  g_assert_cmpstr (km->source, ==, "//server/share");
  line = utab_line (f, m);
  g_assert_nonnull (line);
  g_assert_nonnull (strstr (line, "OPTS=x-gvfs-show"));
}

/* A helper that mounted and then hangs until the deadline: Timeout, and
 * the mount it left is detached (nobody would ever unmount it). */
static void
test_helper_killed_after_mount (Fixture      *f,
                                gconstpointer data)
{
  g_autofree char   *m = make_dir (f, "m");
  g_autofree char   *detached = g_strdup_printf ("mount.refmounttest was killed after it had mounted %s; detached "
                                                   "that mount",
                                                 m);
  g_autoptr (GError) error = NULL;

  install_helper ("mount -t tmpfs -o size=64k \"$1\" \"$2\" && echo 'refmounttest: mounted' && exec sleep 1000");
  g_assert_false (do_helper_mount_full (f, m, "x-gvfs-show", 5, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_TIMEOUT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "mount.refmounttest did not finish within MountTimeoutSec and was "
                                            "killed: refmounttest: mounted"));
  g_assert_true (was_logged (detached));
  g_assert_null (f->backend->ops->lookup (f->backend, m));
  g_assert_null (utab_line (f, m));
}

/* No file descriptor left for the helper's process (its output file):
 * MountFailed saying so, not a crash or a mount without a helper. */
static void
test_helper_no_fd (Fixture      *f,
                   gconstpointer data)
{
  g_autofree char   *m = make_dir (f, "m");
  g_autoptr (GError) error = NULL;
  struct rlimit      saved, none;
  int                fd = open_path (m), lowest;
  gboolean           ok;

  install_helper ("mount -t tmpfs -o size=64k \"$1\" \"$2\"");
  lowest = dup (0);
  g_assert_cmpint (lowest, >=, 0);
  close (lowest);
  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &saved), ==, 0);
  none = saved;
  none.rlim_cur = lowest;
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &none), ==, 0);
  ok = f->backend->ops->mount (f->backend, fd, m, "refmounttest", "//server/share", "", NULL, TRUE,
                               g_get_monotonic_time () + 20 * G_USEC_PER_SEC, &error);
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &saved), ==, 0);
  close (fd);
  g_assert_false (ok);
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_MOUNT_FAILED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "failed: Cannot prepare the mount helper's process: "));
  g_assert_nonnull (strstr (error->message, g_strerror (EMFILE)));
  g_assert_null (f->backend->ops->lookup (f->backend, m));
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

/* A skip in the subprocess would pass as success: the parent skips. */
static void
in_namespace_with_fuse (gconstpointer data)
{
  if (access ("/dev/fuse", R_OK | W_OK) != 0)
    {
      g_test_skip ("needs /dev/fuse (the fuse module)");
      return;
    }
  in_namespace (data);
}

#define ADD_WITH(name, func, run)                                                           \
  do                                                                                        \
    {                                                                                       \
      g_test_add ("/backend/libmount/subprocess/" name, Fixture, NULL, fixture_setup, func, \
                  fixture_teardown);                                                        \
      g_test_add_data_func ("/backend/libmount/" name, name, run);                          \
    }                                                                                       \
  while (0)
#define ADD(name, func) ADD_WITH (name, func, in_namespace)

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  test_require_openat2 ();
  /* Unmount failures are logged on purpose; only criticals are bugs. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  g_log_set_writer_func (capture_writer, NULL, NULL);

  ADD ("mount-and-lookup", test_mount_and_lookup);
  ADD ("changes", test_changes);
  ADD ("mount-failure", test_mount_failure);
  ADD ("umount-not-mounted", test_umount_not_mounted);
  ADD ("umount-busy", test_umount_busy);
  ADD ("umount-moved", test_umount_moved);
  ADD ("helper-failure", test_helper_failure);
  ADD ("helper-process-killed", test_helper_process_killed);
  ADD ("umount-not-permitted", test_umount_not_permitted);
  ADD_WITH ("dead-fuse", test_dead_fuse, in_namespace_with_fuse);
  ADD ("user-options", test_user_options);
  ADD ("user-options-read-only", test_user_options_read_only);
  ADD ("helper-said", test_helper_said);
  ADD ("helper-failed-after-mount", test_helper_failed_after_mount);
  ADD ("helper-killed-after-mount", test_helper_killed_after_mount);
  ADD ("helper-no-fd", test_helper_no_fd);

  return g_test_run ();
}
