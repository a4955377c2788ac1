/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "refmount-error.h"
#include "refmount-fake-backend.h"
#include "refmount-names.h"
#include "refmount-table-private.h"
#include "table-fixture.h"

void
fixture_setup (Fixture      *fx,
               gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fx->tmpdir = g_dir_make_tmp ("refmount-table-XXXXXX", &error);
  g_assert_no_error (error);
  fx->root = g_build_filename (fx->tmpdir, "root", NULL);
  fx->state_dir = g_build_filename (fx->tmpdir, "state", NULL);
  g_assert_cmpint (g_mkdir (fx->root, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (fx->state_dir, 0755), ==, 0);

  fx->config = refmount_config_new_default ();
  g_strfreev (fx->config->mount_roots);
  fx->config->mount_roots = g_new0 (char *, 2);
  fx->config->mount_roots[0] = g_strdup (fx->root);
  fx->config->mount_timeout_sec = 5;

  fx->fake = fake_backend_new ();
  fx->context = g_main_context_new ();
  fx->table = refmount_table_new (&fx->fake->parent, fx->state_dir, fx->context, NULL, NULL);
  g_assert_true (refmount_table_start (fx->table, fx->config, NULL, NULL, &error));
  g_assert_no_error (error);
}

void
rm_rf (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char      *name;

  if (dir != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);
        rm_rf (child);
      }
  g_remove (path);
}

void
fixture_teardown (Fixture      *fx,
                  gconstpointer data)
{
  refmount_table_free (fx->table);
  refmount_backend_free (&fx->fake->parent);
  g_main_context_unref (fx->context);
  refmount_config_unref (fx->config);
  rm_rf (fx->tmpdir);
  g_free (fx->tmpdir);
  g_free (fx->root);
  g_free (fx->state_dir);
}

char *
mp (Fixture    *fx,
    const char *name)
{
  return g_build_filename (fx->root, name, NULL);
}

gboolean
attach_full (Fixture           *fx,
             const char        *mountpoint,
             const char        *source,
             const char        *attachment,
             guint32            uid,
             const char *const *options,
             GError           **error)
{
  RefmountAttachRequest request = { 0 };

  request.fstype = "tmpfs";
  request.source = source;
  request.mountpoint = mountpoint;
  request.options = options;
  request.attachment = attachment;
  request.uid = uid;
  request.pid = 1;
  request.bus_name = ":1.1";
  return refmount_table_attach (fx->table, fx->config, &request, error);
}

gboolean
attach (Fixture    *fx,
        const char *mountpoint,
        const char *attachment,
        GError    **error)
{
  return attach_full (fx, mountpoint, "src", attachment, 1000, NULL, error);
}

gboolean
detach_full (Fixture    *fx,
             const char *mountpoint,
             const char *attachment,
             guint32     uid,
             gboolean    others_allowed,
             gboolean   *unmounted,
             guint32    *owner,
             GError    **error)
{
  RefmountDetachRequest request = { mountpoint, attachment, uid, 1, others_allowed, FALSE, FALSE };

  return refmount_table_detach (fx->table, fx->config, &request, unmounted, owner, error);
}

gboolean
detach (Fixture    *fx,
        const char *mountpoint,
        const char *attachment,
        gboolean   *unmounted,
        GError    **error)
{
  return detach_full (fx, mountpoint, attachment, 1000, FALSE, unmounted, NULL, error);
}

guint
n_attachments (Fixture    *fx,
               const char *mountpoint)
{
  g_autoptr (RefmountRecord) record = refmount_table_get_record (fx->table, mountpoint);

  return record != NULL ? record->attachments->len : 0;
}

char *
record_state (Fixture    *fx,
              const char *mountpoint)
{
  g_autoptr (RefmountRecord) record = refmount_table_get_record (fx->table, mountpoint);

  return record != NULL ? g_strdup (refmount_mount_state_to_string (record->state)) : NULL;
}

void
iterate_until (Fixture *fx,
               gboolean (*cond) (Fixture *fx, const char *m),
               const char *m)
{
  gint64 end = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;

  while (!cond (fx, m) && g_get_monotonic_time () < end)
    {
      g_main_context_iteration (fx->context, FALSE);
      g_usleep (10000);
    }
}

gboolean
is_unmounted (Fixture    *fx,
              const char *m)
{
  g_autoptr (RefmountRecord) record = refmount_table_get_record (fx->table, m);

  return !fake_backend_is_mounted (fx->fake, m) && record == NULL;
}
