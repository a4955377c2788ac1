/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel type aliases (issue 13, part 1): the kernel may report a mount of
 * a requested type under another name (nfs -> nfs4, glusterfs ->
 * fuse.glusterfs, smb3 <-> cifs, sshfs -> fuse.sshfs).  Each alias is run
 * through every place that compares types: the check after mounting,
 * adoption of an unrecorded mount, the vanished check, the last detach of
 * a stale record, and the start-up reconcile.
 */
#include "config.h"

#include <glib/gstdio.h>

#include "refmount-error.h"
#include "refmount-fstype.h"
#include "refmount-names.h"
#include "table-fixture.h"
#include "test-openat2.h"

#define SOURCE "srv:/export"

typedef struct
{
  const char *requested;
  const char *kernel;
} Alias;

static const Alias aliases[] = {
  { "nfs", "nfs" },
  { "nfs", "nfs4" },
  { "nfs4", "nfs4" },
  { "cifs", "cifs" },
  { "cifs", "smb3" },
  { "smb3", "smb3" },
  { "smb3", "cifs" },
  { "glusterfs", "fuse.glusterfs" },
  { "glusterfs", "glusterfs" },
  { "fuse.glusterfs", "fuse.glusterfs" },
  { "sshfs", "fuse.sshfs" },
  { "fuse.sshfs", "fuse.sshfs" },
  { "tmpfs", "tmpfs" },
};

/* Pairs that must never match: another filesystem is mounted there. */
static const Alias strangers[] = {
  { "nfs4", "nfs" },
  { "nfs", "cifs" },
  { "glusterfs", "fuse.sshfs" },
  { "fuse.glusterfs", "glusterfs" },
  { "fuse.sshfs", "fuse" },
  { "fuse.sshfs", "sshfs" },
  { "tmpfs", "nfs" },
  { "tmpfs", NULL },
};

static gboolean
attach_type (Fixture    *fx,
             const char *fstype,
             const char *mountpoint,
             const char *attachment,
             GError    **error)
{
  RefmountAttachRequest request = { 0 };

  request.fstype = fstype;
  request.source = SOURCE;
  request.mountpoint = mountpoint;
  request.attachment = attachment;
  request.uid = 1000;
  request.pid = 1;
  request.bus_name = ":1.1";
  return refmount_table_attach (fx->table, fx->config, &request, error);
}

static void
set_kernel_fstype (Fixture    *fx,
                   const char *kernel)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&fx->fake->lock);

  g_free (fx->fake->kernel_fstype);
  fx->fake->kernel_fstype = g_strdup (kernel);
}

static void
restart (Fixture *fx)
{
  g_autoptr (GError) error = NULL;

  refmount_table_free (fx->table);
  fx->table = refmount_table_new (&fx->fake->parent, fx->state_dir, fx->context, NULL, NULL);
  g_assert_true (refmount_table_start (fx->table, fx->config, NULL, NULL, &error));
  g_assert_no_error (error);
}

static void
assert_state (Fixture    *fx,
              const char *m,
              const char *state,
              guint       attachments)
{
  g_autoptr (RefmountRecord) record = refmount_table_get_record (fx->table, m);

  g_assert_nonnull (record);
  g_assert_cmpstr (refmount_mount_state_to_string (record->state), ==, state);
  g_assert_cmpuint (record->attachments->len, ==, attachments);
}

static void
test_matches (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (aliases); i++)
    g_assert_true (refmount_fstype_kernel_matches (aliases[i].requested, aliases[i].kernel));
  for (gsize i = 0; i < G_N_ELEMENTS (strangers); i++)
    g_assert_false (refmount_fstype_kernel_matches (strangers[i].requested, strangers[i].kernel));
  g_assert_false (refmount_fstype_kernel_matches (NULL, "nfs"));
  /* A type without aliases is itself only. */
  g_assert_true (refmount_fstype_kernel_matches ("fuse.other", "fuse.other"));
  g_assert_false (refmount_fstype_kernel_matches ("fuse.other", "fuse"));
}

/* The mount succeeds and stays: before, the alias made it look replaced
 * ("was replaced while it was being mounted") and it was undone.  The
 * record keeps the requested type; the last detach unmounts it. */
static void
test_mount (Fixture      *fx,
            gconstpointer data)
{
  const Alias       *alias = data;
  g_autofree char   *m = mp (fx, "a");
  g_autoptr (GError) error = NULL;
  gboolean           unmounted = FALSE;

  set_kernel_fstype (fx, alias->kernel);
  g_assert_true (attach_type (fx, alias->requested, m, "vol1", &error));
  g_assert_no_error (error);
  g_assert_true (fake_backend_is_mounted (fx->fake, m));
  g_assert_cmpuint (fx->fake->umount_calls, ==, 0);
  assert_state (fx, m, REFMOUNT_STATE_MOUNTED, 1);
  {
    g_autoptr (RefmountRecord) record = refmount_table_get_record (fx->table, m);
    g_assert_cmpstr (record->fstype, ==, alias->requested);
  }

  /* Still ours for the vanished check, and a second attachment. */
  refmount_table_check_vanished (fx->table, 5, G_MAXINT64);
  assert_state (fx, m, REFMOUNT_STATE_MOUNTED, 1);
  g_assert_true (attach_type (fx, alias->requested, m, "vol2", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fx->fake->mount_calls, ==, 1);

  g_assert_true (detach (fx, m, "vol1", &unmounted, &error));
  g_assert_false (unmounted);
  g_assert_true (detach (fx, m, "vol2", &unmounted, &error));
  g_assert_no_error (error);
  g_assert_true (unmounted);
  g_assert_false (fake_backend_is_mounted (fx->fake, m));
}

/* An unrecorded mount of an alias type (a crash between mount(2) and the
 * state write) is adopted, not a Conflict. */
static void
test_adopt (Fixture      *fx,
            gconstpointer data)
{
  const Alias       *alias = data;
  g_autofree char   *m = mp (fx, "a");
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir (m, 0755), ==, 0);
  fake_backend_set_mounted (fx->fake, m, SOURCE, alias->kernel);
  g_assert_true (attach_type (fx, alias->requested, m, "vol1", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fx->fake->mount_calls, ==, 0);
  assert_state (fx, m, REFMOUNT_STATE_MOUNTED, 1);
}

/* Start-up: an alias mount is adopted with its attachments, and a stale
 * record whose mount came back under an alias is unmounted by the last
 * detach rather than just dropped. */
static void
test_reconcile (Fixture      *fx,
                gconstpointer data)
{
  const Alias       *alias = data;
  g_autofree char   *m = mp (fx, "a");
  g_autoptr (GError) error = NULL;
  gboolean           unmounted = FALSE;

  set_kernel_fstype (fx, alias->kernel);
  g_assert_true (attach_type (fx, alias->requested, m, "vol1", &error));
  g_assert_true (attach_type (fx, alias->requested, m, "vol2", &error));
  g_assert_no_error (error);

  restart (fx);
  assert_state (fx, m, REFMOUNT_STATE_MOUNTED, 2);

  /* Gone while refmountd was down: stale.  Back (under the alias) before
   * the last detach: that detach unmounts it. */
  fake_backend_set_unmounted (fx->fake, m);
  restart (fx);
  assert_state (fx, m, REFMOUNT_STATE_STALE, 2);
  fake_backend_set_mounted (fx->fake, m, SOURCE, alias->kernel);
  g_assert_true (detach (fx, m, "vol1", &unmounted, &error));
  g_assert_true (detach (fx, m, "vol2", &unmounted, &error));
  g_assert_no_error (error);
  g_assert_true (unmounted);
  g_assert_cmpuint (fx->fake->umount_calls, ==, 1);
  g_assert_false (fake_backend_is_mounted (fx->fake, m));
}

/* What is not an alias still counts as somebody else's mount. */
static void
test_stranger (Fixture      *fx,
               gconstpointer data)
{
  const Alias       *stranger = data;
  g_autofree char   *m = mp (fx, "a");
  g_autofree char   *n = mp (fx, "b");
  g_autoptr (GError) error = NULL;

  if (stranger->kernel == NULL)
    return;

  /* Adoption: Conflict. */
  g_assert_cmpint (g_mkdir (m, 0755), ==, 0);
  fake_backend_set_mounted (fx->fake, m, SOURCE, stranger->kernel);
  g_assert_false (attach_type (fx, stranger->requested, m, "vol1", &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_CONFLICT);
  g_clear_error (&error);

  /* After mounting: replaced, undone. */
  set_kernel_fstype (fx, stranger->kernel);
  g_assert_false (attach_type (fx, stranger->requested, n, "vol1", &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_MOUNT_FAILED);
  g_clear_error (&error);
  g_assert_null (refmount_table_get_record (fx->table, n));
}

static void
add_each (const char  *name,
          const Alias *list,
          gsize        n,
          void (*func) (Fixture *, gconstpointer))
{
  for (gsize i = 0; i < n; i++)
    {
      g_autofree char *path = g_strdup_printf ("/fstype/%s/%s-%s", name, list[i].requested,
                                               list[i].kernel != NULL ? list[i].kernel : "none");

      g_test_add (path, Fixture, &list[i], fixture_setup, func, fixture_teardown);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  test_require_openat2 ();
  /* Failure paths log warnings on purpose; only criticals are bugs. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

  g_test_add_func ("/fstype/matches", test_matches);
  add_each ("mount", aliases, G_N_ELEMENTS (aliases), test_mount);
  add_each ("adopt", aliases, G_N_ELEMENTS (aliases), test_adopt);
  add_each ("reconcile", aliases, G_N_ELEMENTS (aliases), test_reconcile);
  add_each ("stranger", strangers, G_N_ELEMENTS (strangers), test_stranger);
  return g_test_run ();
}
