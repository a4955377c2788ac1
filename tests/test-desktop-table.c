/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Mount flags "show" and "owner" at the table (issue 15), over the
 * fake backend: the utab options reach the backend only with the call
 * that mounts, and are no part of the record or of the conflict check;
 * an owned mount's options keep other uids out (Conflict).
 */
#include "config.h"

#include <string.h>

#include "refmount-error.h"
#include "refmount-owner.h"
#include "refmount-show.h"
#include "table-fixture.h"

static gboolean
attach_with (Fixture           *fx,
             const char        *mountpoint,
             const char        *attachment,
             guint32            uid,
             const char *const *options,
             const char        *user_options,
             GError           **error)
{
  RefmountAttachRequest request = { 0 };

  request.fstype = "tmpfs";
  request.source = "scratch";
  request.mountpoint = mountpoint;
  request.options = options;
  request.user_options = user_options;
  request.attachment = attachment;
  request.uid = uid;
  request.pid = 1;
  request.bus_name = ":1.1";
  return refmount_table_attach (fx->table, fx->config, &request, error);
}

static void
test_show_options (void)
{
  g_autofree char *plain = refmount_show_user_options ("scratch");
  g_autofree char *cifs = refmount_show_user_options ("//host/My,Share=x");

  g_assert_cmpstr (plain, ==, "x-gvfs-show,x-gvfs-name=scratch");
  /* Escaped: no ',' or '=' inside the option's value. */
  g_assert_cmpstr (cifs, ==, "x-gvfs-show,x-gvfs-name=%2F%2Fhost%2FMy%2CShare%3Dx");
}

static void
test_show_reaches_backend_only_when_mounting (Fixture      *fx,
                                              gconstpointer data)
{
  g_autofree char   *m = mp (fx, "shown");
  g_autofree char   *show = refmount_show_user_options ("scratch");
  g_autofree char   *state = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (attach_with (fx, m, "a1", 1000, NULL, show, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fx->fake->mount_calls, ==, 1);
  g_assert_cmpstr (fx->fake->last_user_options, ==, show);
  g_assert_null (strstr (fx->fake->last_options, "x-gvfs"));

  /* Attaching without the flag is no conflict (the utab options are no
   * mount options) and mounts nothing. */
  g_assert_true (attach_with (fx, m, "a2", 1000, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fx->fake->mount_calls, ==, 1);
  state = record_state (fx, m);
  g_assert_nonnull (state);
  g_assert_null (strstr (state, "x-gvfs"));
}

static void
test_owned_mount_not_shared (Fixture      *fx,
                             gconstpointer data)
{
  g_autofree char   *m = mp (fx, "owned");
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) alice = refmount_owner_append_options (NULL, "tmpfs", 1000, 1000, NULL);
  g_auto (GStrv) bob = refmount_owner_append_options (NULL, "tmpfs", 1001, 1001, NULL);

  g_assert_true (attach_with (fx, m, "alice-1", 1000, (const char *const *) alice, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (attach_with (fx, m, "alice-2", 1000, (const char *const *) alice, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (attach_with (fx, m, "bob-1", 1001, (const char *const *) bob, NULL, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_false (attach_with (fx, m, "bob-2", 1001, NULL, NULL, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_CONFLICT);
  g_assert_cmpuint (n_attachments (fx, m), ==, 2);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/desktop/show-options", test_show_options);
  ADD ("/desktop/show-reaches-backend-only-when-mounting", test_show_reaches_backend_only_when_mounting);
  ADD ("/desktop/owned-mount-not-shared", test_owned_mount_not_shared);
  return g_test_run ();
}
