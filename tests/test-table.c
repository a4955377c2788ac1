/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "refmount-error.h"
#include "refmount-names.h"
#include "table-fixture.h"
#include "test-openat2.h"

/* Two attachments mount once; the filesystem goes after the last one. */
static void
test_refcount (Fixture      *fx,
               gconstpointer data)
{
  g_autofree char   *m = mp (fx, "a");
  g_autoptr (GError) error = NULL;
  gboolean           unmounted = TRUE;

  g_assert_true (attach (fx, m, "vol1", &error));
  g_assert_no_error (error);
  g_assert_true (attach (fx, m, "vol2", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fx->fake->mount_calls, ==, 1);
  g_assert_true (fake_backend_is_mounted (fx->fake, m));
  g_assert_true (g_file_test (m, G_FILE_TEST_IS_DIR));
  g_assert_cmpuint (n_attachments (fx, m), ==, 2);

  g_assert_true (detach (fx, m, "vol1", &unmounted, &error));
  g_assert_no_error (error);
  g_assert_false (unmounted);
  g_assert_true (fake_backend_is_mounted (fx->fake, m));
  g_assert_cmpuint (fx->fake->umount_calls, ==, 0);

  g_assert_true (detach (fx, m, "vol2", &unmounted, &error));
  g_assert_no_error (error);
  g_assert_true (unmounted);
  g_assert_false (fake_backend_is_mounted (fx->fake, m));
  g_assert_cmpuint (fx->fake->umount_calls, ==, 1);
  g_assert_null (refmount_table_get_record (fx->table, m));
  /* refmount created the directory, so it removes it. */
  g_assert_false (g_file_test (m, G_FILE_TEST_EXISTS));
}

static void
test_existing_dir_kept (Fixture      *fx,
                        gconstpointer data)
{
  g_autofree char   *m = mp (fx, "pre");
  g_autoptr (GError) error = NULL;
  gboolean           unmounted = FALSE;

  g_assert_cmpint (g_mkdir (m, 0755), ==, 0);
  g_assert_true (attach (fx, m, "a", &error));
  g_assert_true (detach (fx, m, "a", &unmounted, &error));
  g_assert_no_error (error);
  g_assert_true (unmounted);
  g_assert_true (g_file_test (m, G_FILE_TEST_IS_DIR));
}

static void
test_same_attachment_twice (Fixture      *fx,
                            gconstpointer data)
{
  g_autofree char   *m = mp (fx, "a");
  g_autoptr (GError) error = NULL;
  gboolean           unmounted = FALSE;

  g_assert_true (attach (fx, m, "vol1", &error));
  g_assert_true (attach (fx, m, "vol1", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fx->fake->mount_calls, ==, 1);
  g_assert_cmpuint (n_attachments (fx, m), ==, 1);
  /* One detach releases it: the re-attach did not count twice. */
  g_assert_true (detach (fx, m, "vol1", &unmounted, &error));
  g_assert_true (unmounted);

  /* The same id from another uid is not silently merged. */
  g_assert_true (attach (fx, m, "vol1", &error));
  g_assert_false (attach_full (fx, m, "src", "vol1", 1001, NULL, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_CONFLICT);
}

static void
test_mount_failure (Fixture      *fx,
                    gconstpointer data)
{
  g_autofree char   *m = mp (fx, "a");
  g_autoptr (GError) error = NULL;

  fx->fake->fail_mounts = 1;
  g_assert_false (attach (fx, m, "vol1", &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_MOUNT_FAILED);
  g_assert_nonnull (strstr (error->message, g_strerror (5)));
  g_assert_null (refmount_table_get_record (fx->table, m));
  g_assert_false (g_file_test (m, G_FILE_TEST_EXISTS));
  g_clear_error (&error);

  /* Nothing half-done remains: the next attempt works normally. */
  g_assert_true (attach (fx, m, "vol1", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_attachments (fx, m), ==, 1);
}

static void
test_mount_error_but_mounted (Fixture      *fx,
                              gconstpointer data)
{
  g_autofree char   *m = mp (fx, "a");
  g_autoptr (GError) error = NULL;
  g_autofree char   *state = NULL;

  fx->fake->fail_but_mounted = TRUE;
  g_assert_true (attach (fx, m, "vol1", &error));
  g_assert_no_error (error);
  state = record_state (fx, m);
  g_assert_cmpstr (state, ==, REFMOUNT_STATE_MOUNTED);
  g_assert_cmpuint (n_attachments (fx, m), ==, 1);
}

static void
test_not_attached (Fixture      *fx,
                   gconstpointer data)
{
  g_autofree char   *m = mp (fx, "a");
  g_autofree char   *other = mp (fx, "b");
  g_autoptr (GError) error = NULL;
  gboolean           unmounted = FALSE;
  guint32            owner = 0;

  g_assert_false (detach (fx, other, "vol1", &unmounted, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (attach (fx, m, "vol1", &error));
  g_assert_false (detach (fx, m, "nope", &unmounted, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_ATTACHED);
  g_assert_nonnull (strstr (error->message, "nope"));
  g_clear_error (&error);
  g_assert_cmpuint (n_attachments (fx, m), ==, 1);
  g_assert_true (fake_backend_is_mounted (fx->fake, m));

  /* Someone else's attachment is not released without permission. */
  g_assert_false (detach_full (fx, m, "vol1", 2000, FALSE, &unmounted, &owner, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_AUTHORIZED);
  g_assert_cmpuint (owner, ==, 1000);
  g_clear_error (&error);
  g_assert_cmpuint (n_attachments (fx, m), ==, 1);
  g_assert_true (detach_full (fx, m, "vol1", 2000, TRUE, &unmounted, &owner, &error));
  g_assert_no_error (error);
  g_assert_true (unmounted);
}

static void
test_busy (Fixture      *fx,
           gconstpointer data)
{
  g_autofree char   *m = mp (fx, "a");
  g_autoptr (GError) error = NULL;
  g_autofree char   *state = NULL;
  gboolean           unmounted = TRUE;

  g_assert_true (attach (fx, m, "vol1", &error));
  fx->fake->busy_umounts = 1;
  g_assert_true (detach (fx, m, "vol1", &unmounted, &error));
  g_assert_no_error (error);
  g_assert_false (unmounted);
  state = record_state (fx, m);
  g_assert_cmpstr (state, ==, REFMOUNT_STATE_BUSY);
  g_assert_cmpuint (n_attachments (fx, m), ==, 0);
  g_assert_true (fake_backend_is_mounted (fx->fake, m));

  /* The retry (after about a second) unmounts it. */
  iterate_until (fx, is_unmounted, m);
  g_assert_true (is_unmounted (fx, m));
  g_assert_cmpuint (fx->fake->umount_calls, ==, 2);
}

static void
test_busy_reused (Fixture      *fx,
                  gconstpointer data)
{
  g_autofree char   *m = mp (fx, "a");
  g_autoptr (GError) error = NULL;
  g_autofree char   *state = NULL;
  gboolean           unmounted = TRUE;

  g_assert_true (attach (fx, m, "vol1", &error));
  fx->fake->busy_umounts = 1;
  g_assert_true (detach (fx, m, "vol1", &unmounted, &error));
  g_assert_false (unmounted);

  g_assert_true (attach (fx, m, "vol2", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fx->fake->mount_calls, ==, 1);
  state = record_state (fx, m);
  g_assert_cmpstr (state, ==, REFMOUNT_STATE_MOUNTED);

  /* The pending retry must not unmount a mount that is in use again. */
  for (int i = 0; i < 150; i++)
    {
      g_main_context_iteration (fx->context, FALSE);
      g_usleep (10000);
    }
  g_assert_true (fake_backend_is_mounted (fx->fake, m));
  g_assert_cmpuint (n_attachments (fx, m), ==, 1);
}

static void
test_conflict (Fixture      *fx,
               gconstpointer data)
{
  g_autofree char   *m = mp (fx, "a");
  g_autofree char   *foreign = mp (fx, "foreign");
  g_autoptr (GError) error = NULL;
  const char        *ro[] = { "ro", NULL };

  g_assert_true (attach (fx, m, "vol1", &error));
  g_assert_false (attach_full (fx, m, "other-src", "vol2", 1000, NULL, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_CONFLICT);
  g_assert_nonnull (strstr (error->message, "other-src"));
  g_clear_error (&error);
  g_assert_false (attach_full (fx, m, "src", "vol2", 1000, ro, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_cmpuint (n_attachments (fx, m), ==, 1);

  /* A mount refmount does not manage. */
  g_assert_cmpint (g_mkdir (foreign, 0755), ==, 0);
  fake_backend_set_mounted (fx->fake, foreign, "/dev/sda1", "ext4");
  g_assert_false (attach (fx, foreign, "vol1", &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_CONFLICT);
  g_assert_null (refmount_table_get_record (fx->table, foreign));
  g_assert_cmpuint (fx->fake->mount_calls, ==, 1);
}

static void
test_adopt (Fixture      *fx,
            gconstpointer data)
{
  g_autofree char   *m = mp (fx, "crashed");
  g_autoptr (GError) error = NULL;
  gboolean           unmounted = FALSE;

  /* A crash between mount(2) and the state write. */
  g_assert_cmpint (g_mkdir (m, 0755), ==, 0);
  fake_backend_set_mounted (fx->fake, m, "src", "tmpfs");
  g_assert_true (attach (fx, m, "vol1", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fx->fake->mount_calls, ==, 0);
  g_assert_true (detach (fx, m, "vol1", &unmounted, &error));
  g_assert_true (unmounted);
  g_assert_false (fake_backend_is_mounted (fx->fake, m));
}

typedef struct
{
  Fixture    *fx;
  const char *mountpoint;
  const char *attachment;
  gboolean    ok;
  GError     *error;
} ThreadArgs;

static gpointer
attach_thread (gpointer data)
{
  ThreadArgs *args = data;

  args->ok = attach (args->fx, args->mountpoint, args->attachment, &args->error);
  return NULL;
}

static gpointer
detach_thread (gpointer data)
{
  ThreadArgs *args = data;
  gboolean    unmounted;

  args->ok = detach (args->fx, args->mountpoint, args->attachment, &unmounted, &args->error);
  return NULL;
}

static void
test_serialized (Fixture      *fx,
                 gconstpointer data)
{
  g_autofree char *m = mp (fx, "a");
  ThreadArgs       args[4];
  GThread         *threads[4];

  fx->fake->mount_delay_ms = 100;
  for (int i = 0; i < 4; i++)
    {
      args[i] = (ThreadArgs){ fx, m, NULL, FALSE, NULL };
      args[i].attachment = g_strdup_printf ("vol%d", i);
      threads[i] = g_thread_new ("attach", attach_thread, &args[i]);
    }
  for (int i = 0; i < 4; i++)
    {
      g_thread_join (threads[i]);
      g_assert_no_error (args[i].error);
      g_assert_true (args[i].ok);
      g_free ((char *) args[i].attachment);
    }
  g_assert_cmpuint (fx->fake->mount_calls, ==, 1);
  g_assert_cmpuint (fx->fake->max_mounts_per_path_seen, ==, 1);
  g_assert_cmpuint (n_attachments (fx, m), ==, 4);
}

static void
test_parallel (Fixture      *fx,
               gconstpointer data)
{
  ThreadArgs args[4];
  GThread   *threads[4];

  fx->fake->mount_delay_ms = 200;
  for (int i = 0; i < 4; i++)
    {
      args[i] = (ThreadArgs){ fx, NULL, "vol", FALSE, NULL };
      args[i].mountpoint = g_strdup_printf ("%s/p%d", fx->root, i);
      threads[i] = g_thread_new ("attach", attach_thread, &args[i]);
    }
  for (int i = 0; i < 4; i++)
    {
      g_thread_join (threads[i]);
      g_assert_no_error (args[i].error);
      g_free ((char *) args[i].mountpoint);
    }
  /* Different mountpoints were inside the "kernel" at the same time. */
  g_assert_cmpuint (fx->fake->max_in_call, >=, 2);
  g_assert_cmpuint (fake_backend_count (fx->fake), ==, 4);
}

/* An entry deleted while a caller waited for its lock is never used. */
static void
test_deleted_while_waiting (Fixture      *fx,
                            gconstpointer data)
{
  g_autofree char   *m = mp (fx, "a");
  g_autoptr (GError) error = NULL;
  ThreadArgs         detacher = { fx, NULL, "vol1", FALSE, NULL };
  ThreadArgs         attacher = { fx, NULL, "vol2", FALSE, NULL };
  GThread           *t1, *t2;

  detacher.mountpoint = m;
  attacher.mountpoint = m;
  g_assert_true (attach (fx, m, "vol1", &error));
  fx->fake->umount_delay_ms = 300;
  t1 = g_thread_new ("detach", detach_thread, &detacher);
  while (TRUE)
    {
      g_mutex_lock (&fx->fake->lock);
      if (fx->fake->in_call > 0)
        {
          g_mutex_unlock (&fx->fake->lock);
          break;
        }
      g_mutex_unlock (&fx->fake->lock);
      g_usleep (1000);
    }
  /* The detacher holds the entry and is unmounting it. */
  t2 = g_thread_new ("attach", attach_thread, &attacher);
  g_thread_join (t1);
  g_thread_join (t2);
  g_assert_no_error (detacher.error);
  g_assert_no_error (attacher.error);
  g_assert_true (attacher.ok);
  /* The waiter mounted afresh instead of joining the dead entry. */
  g_assert_cmpuint (fx->fake->mount_calls, ==, 2);
  g_assert_true (fake_backend_is_mounted (fx->fake, m));
  g_assert_cmpuint (n_attachments (fx, m), ==, 1);
}

static void
test_limits (Fixture      *fx,
             gconstpointer data)
{
  g_autofree char   *a = mp (fx, "a");
  g_autofree char   *b = mp (fx, "b");
  g_autoptr (GError) error = NULL;

  fx->config->max_mounts = 1;
  fx->config->max_attachments_per_user = 2;
  g_assert_true (attach (fx, a, "v1", &error));
  g_assert_false (attach (fx, b, "v1", &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_LIMIT_EXCEEDED);
  g_clear_error (&error);
  g_assert_false (fake_backend_is_mounted (fx->fake, b));
  g_assert_true (attach (fx, a, "v2", &error));
  g_assert_false (attach (fx, a, "v3", &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_LIMIT_EXCEEDED);
  g_clear_error (&error);
  /* Re-attaching an existing id is not a new attachment. */
  g_assert_true (attach (fx, a, "v2", &error));
  /* Another uid has its own budget. */
  g_assert_true (attach_full (fx, a, "src", "v3", 1001, NULL, &error));
  g_assert_no_error (error);
}

/* A state "directory" that is a file, for a journal that has yet to be
 * started there: every state write fails. */
static void
break_state_dir (Fixture *fx)
{
  g_autofree char *bad = g_build_filename (fx->tmpdir, "not-a-dir", NULL);

  g_assert_true (g_file_set_contents (bad, "x", 1, NULL));
  refmount_journal_free (fx->table->journal);
  fx->table->journal = refmount_journal_new (bad);
}

static void
test_persist_failure_rolls_back (Fixture      *fx,
                                 gconstpointer data)
{
  g_autofree char   *m = mp (fx, "a");
  g_autoptr (GError) error = NULL;

  break_state_dir (fx);
  g_assert_false (attach (fx, m, "vol1", &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_false (fake_backend_is_mounted (fx->fake, m));
  g_assert_null (refmount_table_get_record (fx->table, m));
  g_assert_false (g_file_test (m, G_FILE_TEST_EXISTS));
}

static void
test_persist_failure_detach (Fixture      *fx,
                             gconstpointer data)
{
  g_autofree char   *m = mp (fx, "a");
  g_autoptr (GError) error = NULL;
  gboolean           unmounted = FALSE;

  g_assert_true (attach (fx, m, "vol1", &error));
  g_assert_true (attach (fx, m, "vol2", &error));
  break_state_dir (fx);
  g_assert_false (detach (fx, m, "vol1", &unmounted, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED);
  /* Nothing acknowledged changed: both attachments remain. */
  g_assert_cmpuint (n_attachments (fx, m), ==, 2);
}

/* The last release is durable before the unmount: when it cannot be
 * written, nothing is unmounted and the attachment stays. */
static void
test_persist_failure_last_detach (Fixture      *fx,
                                  gconstpointer data)
{
  g_autofree char   *m = mp (fx, "a");
  g_autoptr (GError) error = NULL;
  gboolean           unmounted = FALSE;

  g_assert_true (attach (fx, m, "vol1", &error));
  break_state_dir (fx);
  g_assert_false (detach (fx, m, "vol1", &unmounted, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED);
  g_assert_cmpuint (n_attachments (fx, m), ==, 1);
  g_assert_true (fake_backend_is_mounted (fx->fake, m));
}

/* A mount that vanished behind refmount's back is marked stale and the
 * next attach (even a re-attach) mounts it again. */
static void
test_vanished_remounted (Fixture      *fx,
                         gconstpointer data)
{
  g_autofree char           *m = mp (fx, "a");
  g_autoptr (GError)         error = NULL;
  g_autoptr (RefmountRecord) record = NULL;

  g_assert_true (attach (fx, m, "vol1", &error));
  fake_backend_set_unmounted (fx->fake, m);
  refmount_table_check_vanished (fx->table, 5, G_MAXINT64);
  record = refmount_table_get_record (fx->table, m);
  g_assert_nonnull (record);
  g_assert_cmpint (record->state, ==, REFMOUNT_MOUNT_STATE_STALE);
  g_assert_true (attach (fx, m, "vol1", &error));
  g_assert_no_error (error);
  g_assert_true (fake_backend_is_mounted (fx->fake, m));
  g_clear_pointer (&record, refmount_record_free);
  record = refmount_table_get_record (fx->table, m);
  g_assert_cmpint (record->state, ==, REFMOUNT_MOUNT_STATE_MOUNTED);
}

/* The vanished check reads the kernel's table once and looks closer
 * (a path walk on the runner each) only at the mounts that are not in
 * it as recorded. */
static void
test_vanished_listed_first (Fixture      *fx,
                            gconstpointer data)
{
  g_autofree char           *a = mp (fx, "a");
  g_autofree char           *b = mp (fx, "b");
  g_autofree char           *c = mp (fx, "c");
  g_autoptr (GError)         error = NULL;
  g_autoptr (RefmountRecord) record = NULL;
  guint                      lookups;

  g_assert_true (attach (fx, a, "vol1", &error));
  g_assert_true (attach (fx, b, "vol1", &error));
  g_assert_true (attach (fx, c, "vol1", &error));
  g_assert_no_error (error);

  lookups = fx->fake->lookup_calls;
  g_assert_true (refmount_table_check_vanished (fx->table, 5, G_MAXINT64));
  g_assert_cmpuint (fx->fake->lookup_calls, ==, lookups);

  /* b gone, c replaced by another filesystem behind refmount's back. */
  fake_backend_set_unmounted (fx->fake, b);
  fake_backend_set_mounted (fx->fake, c, "someone-else", "tmpfs");
  g_assert_true (refmount_table_check_vanished (fx->table, 5, G_MAXINT64));
  g_assert_cmpuint (fx->fake->lookup_calls, ==, lookups + 2);
  record = refmount_table_get_record (fx->table, a);
  g_assert_cmpint (record->state, ==, REFMOUNT_MOUNT_STATE_MOUNTED);
  g_clear_pointer (&record, refmount_record_free);
  record = refmount_table_get_record (fx->table, b);
  g_assert_cmpint (record->state, ==, REFMOUNT_MOUNT_STATE_STALE);
  g_clear_pointer (&record, refmount_record_free);
  record = refmount_table_get_record (fx->table, c);
  g_assert_cmpint (record->state, ==, REFMOUNT_MOUNT_STATE_STALE);

  /* Stale ones are not looked at again. */
  lookups = fx->fake->lookup_calls;
  g_assert_true (refmount_table_check_vanished (fx->table, 5, G_MAXINT64));
  g_assert_cmpuint (fx->fake->lookup_calls, ==, lookups);
}

/* An attach to a mounted mountpoint looks the mount up only when the
 * kernel's mount table changed since the lookup that last found it (the
 * backend's changes count); an unmount behind refmount's back between
 * two attaches is still seen by the second. */
static void
test_hit_lookup_skipped (Fixture      *fx,
                         gconstpointer data)
{
  g_autofree char           *m = mp (fx, "a");
  g_autoptr (GError)         error = NULL;
  g_autoptr (RefmountRecord) record = NULL;
  guint                      lookups, mounts;

  g_assert_true (attach (fx, m, "vol1", &error));
  /* The mount itself changed the table: the first hit looks. */
  lookups = fx->fake->lookup_calls;
  g_assert_true (attach (fx, m, "vol2", &error));
  g_assert_cmpuint (fx->fake->lookup_calls, ==, lookups + 1);
  /* Nothing changed since: no lookup. */
  g_assert_true (attach (fx, m, "vol3", &error));
  g_assert_true (attach (fx, m, "vol2", &error));
  g_assert_cmpuint (fx->fake->lookup_calls, ==, lookups + 1);

  /* Unmounted behind refmount's back: the next attach looks, finds it
   * gone and mounts again. */
  mounts = fx->fake->mount_calls;
  fake_backend_set_unmounted (fx->fake, m);
  g_assert_true (attach (fx, m, "vol4", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fx->fake->lookup_calls, >, lookups + 1);
  g_assert_cmpuint (fx->fake->mount_calls, ==, mounts + 1);
  g_assert_true (fake_backend_is_mounted (fx->fake, m));
  record = refmount_table_get_record (fx->table, m);
  g_assert_cmpint (record->state, ==, REFMOUNT_MOUNT_STATE_MOUNTED);
  g_assert_cmpuint (record->attachments->len, ==, 4);

  /* A change elsewhere in the table counts too. */
  lookups = fx->fake->lookup_calls;
  g_assert_true (attach (fx, m, "vol5", &error));
  g_assert_cmpuint (fx->fake->lookup_calls, ==, lookups + 1);
  fake_backend_set_mounted (fx->fake, "/elsewhere", "src", "tmpfs");
  g_assert_true (attach (fx, m, "vol6", &error));
  g_assert_cmpuint (fx->fake->lookup_calls, ==, lookups + 2);

  /* A backend that cannot tell: every attach looks. */
  fx->fake->no_changes = TRUE;
  lookups = fx->fake->lookup_calls;
  g_assert_true (attach (fx, m, "vol7", &error));
  g_assert_true (attach (fx, m, "vol8", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fx->fake->lookup_calls, ==, lookups + 2);
}

/* What clients see (the published record) follows each change, and an
 * idle entry keeps only its flat committed record, not an unpacked copy. */
static void
test_published_and_shed (Fixture      *fx,
                         gconstpointer data)
{
  g_autofree char     *m = mp (fx, "a");
  g_autoptr (GError)   error = NULL;
  g_autoptr (GVariant) published = NULL;
  g_autoptr (GVariant) attachments = NULL;
  RefmountEntry       *entry;
  gboolean             unmounted = FALSE;

  g_assert_null (refmount_table_lookup_published (fx->table, m));
  g_assert_true (attach (fx, m, "vol1", &error));
  g_assert_true (attach (fx, m, "vol2", &error));
  g_assert_no_error (error);

  published = refmount_table_lookup_published (fx->table, m);
  g_assert_nonnull (published);
  g_assert_cmpstr (g_variant_get_type_string (published), ==, REFMOUNT_RECORD_VARIANT_TYPE);
  attachments = g_variant_get_child_value (published, 7);
  g_assert_cmpuint (g_variant_n_children (attachments), ==, 2);

  entry = g_hash_table_lookup (fx->table->entries, m);
  g_assert_nonnull (entry);
  g_assert_null (entry->record);
  g_assert_true (entry->committed == entry->published);
  {
    g_autoptr (GPtrArray) all = refmount_table_list_published (fx->table);
    g_assert_cmpuint (all->len, ==, 1);
  }

  /* The next operation unpacks it again and works on the right data. */
  g_assert_true (detach (fx, m, "vol1", &unmounted, &error));
  g_assert_no_error (error);
  g_assert_false (unmounted);
  g_assert_cmpuint (n_attachments (fx, m), ==, 1);
  g_assert_true (detach (fx, m, "vol2", &unmounted, &error));
  g_assert_true (unmounted);
  g_assert_null (refmount_table_lookup_published (fx->table, m));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  test_require_openat2 ();
  /* Failure paths log warnings on purpose; only criticals are bugs. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

  ADD ("/table/refcount", test_refcount);
  ADD ("/table/published-and-shed", test_published_and_shed);
  ADD ("/table/existing-dir-kept", test_existing_dir_kept);
  ADD ("/table/same-attachment-twice", test_same_attachment_twice);
  ADD ("/table/mount-failure", test_mount_failure);
  ADD ("/table/mount-error-but-mounted", test_mount_error_but_mounted);
  ADD ("/table/not-attached", test_not_attached);
  ADD ("/table/busy", test_busy);
  ADD ("/table/busy-reused", test_busy_reused);
  ADD ("/table/conflict", test_conflict);
  ADD ("/table/adopt", test_adopt);
  ADD ("/table/serialized", test_serialized);
  ADD ("/table/parallel", test_parallel);
  ADD ("/table/deleted-while-waiting", test_deleted_while_waiting);
  ADD ("/table/limits", test_limits);
  ADD ("/table/persist-failure-rolls-back", test_persist_failure_rolls_back);
  ADD ("/table/persist-failure-detach", test_persist_failure_detach);
  ADD ("/table/persist-failure-last-detach", test_persist_failure_last_detach);
  ADD ("/table/vanished-remounted", test_vanished_remounted);
  ADD ("/table/hit-lookup-skipped", test_hit_lookup_skipped);
  ADD ("/table/vanished-listed-first", test_vanished_listed_first);

  return g_test_run ();
}
