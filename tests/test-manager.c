/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Manager's semantics without a bus (refmount-manager.c): the method
 * table's authorization steps, validation order, the two-step
 * unmount-others authorization (its second step a plain function of
 * request, caller and record), where the owner flag's user database
 * lookup happens, the entry queue and the release-on-exit race, over the
 * fake backend.
 */
#include "config.h"

#include <string.h>

#include "refmount-admission.h"
#include "refmount-error.h"
#include "refmount-manager.h"
#include "refmount-names.h"
#include "table-fixture.h"

/* ---- helpers ---------------------------------------------------------------- */

typedef struct
{
  RefmountTableWaiter *waiter;
  gboolean             granted;
  GError              *error;
} Grant;

static void
grant_cb (RefmountTableWaiter *waiter,
          const GError        *error,
          gpointer             data)
{
  Grant *grant = data;

  grant->granted = TRUE;
  if (error != NULL)
    grant->error = g_error_copy (error);
}

/* A waiter for @mountpoint, started. */
static Grant *
wait_entry (Fixture    *fx,
            const char *mountpoint,
            gboolean    create)
{
  Grant *grant = g_new0 (Grant, 1);

  grant->waiter = refmount_table_waiter_new (fx->table, mountpoint, create, 0, grant_cb, grant);
  refmount_table_waiter_start (grant->waiter);
  return grant;
}

static void
grant_free (Grant *grant)
{
  refmount_table_waiter_free (grant->waiter);
  g_clear_error (&grant->error);
  g_free (grant);
}

static GVariant *
mount_body (const char *fstype,
            const char *source,
            const char *mountpoint,
            const char *option,
            const char *attachment,
            gboolean    release_on_exit)
{
  const char *const options[] = { option, NULL };
  GVariantBuilder   flags;

  g_variant_builder_init (&flags, G_VARIANT_TYPE_VARDICT);
  if (release_on_exit)
    g_variant_builder_add (&flags, "{sv}", REFMOUNT_FLAG_RELEASE_ON_EXIT, g_variant_new_boolean (TRUE));
  return g_variant_ref_sink (g_variant_new ("(sss^ass@a{sv})", fstype, source, mountpoint,
                                            option != NULL ? options : (const char *const *) &options[1],
                                            attachment, g_variant_builder_end (&flags)));
}

static GVariant *
unmount_body (const char *mountpoint,
              const char *attachment,
              gboolean    force)
{
  GVariantBuilder flags;

  g_variant_builder_init (&flags, G_VARIANT_TYPE_VARDICT);
  if (force)
    g_variant_builder_add (&flags, "{sv}", REFMOUNT_FLAG_FORCE, g_variant_new_boolean (TRUE));
  return g_variant_ref_sink (g_variant_new ("(ss@a{sv})", mountpoint, attachment, g_variant_builder_end (&flags)));
}

/* A body for @member whose flags hold @flag (NULL: none). */
static GVariant *
flags_body (const char *member,
            const char *mountpoint,
            const char *flag)
{
  GVariantBuilder flags;

  g_variant_builder_init (&flags, G_VARIANT_TYPE_VARDICT);
  if (flag != NULL)
    g_variant_builder_add (&flags, "{sv}", flag, g_variant_new_boolean (TRUE));
  if (g_str_equal (member, "Mount"))
    return g_variant_ref_sink (g_variant_new ("(sss^as&s@a{sv})", "tmpfs", "src", mountpoint,
                                              (const char *const[]){ "size=1m", NULL }, "att",
                                              g_variant_builder_end (&flags)));
  if (g_str_equal (member, "Unmount"))
    return g_variant_ref_sink (g_variant_new ("(ss@a{sv})", mountpoint, "att", g_variant_builder_end (&flags)));
  return g_variant_ref_sink (g_variant_new ("(s@a{sv})", mountpoint, g_variant_builder_end (&flags)));
}

static gboolean
parse (Fixture         *fx,
       const char      *member,
       GVariant        *body,
       RefmountRequest *request,
       GError         **error)
{
  g_autoptr (GVariant) owned = body;

  return refmount_request_parse (request, refmount_method_lookup (member), owned, fx->config, error);
}

static GVariant *
do_mount (Fixture    *fx,
          const char *mountpoint,
          const char *attachment,
          guint32     uid,
          const char *bus_name,
          gboolean    release_on_exit,
          GError    **error)
{
  RefmountRequest request;
  RefmountCaller  caller = { uid, -1, bus_name };
  Grant          *grant;
  GVariant       *value;

  g_assert_true (parse (fx, "Mount", mount_body ("tmpfs", "src", mountpoint, "size=1m", attachment, release_on_exit),
                        &request, NULL));
  grant = wait_entry (fx, request.mountpoint, TRUE);
  g_assert_true (grant->granted);
  g_assert_no_error (grant->error);
  value = refmount_manager_mount (fx->table, fx->config, grant->waiter, &request, &caller,
                                  g_get_monotonic_time () + 5 * G_USEC_PER_SEC, error);
  grant_free (grant);
  refmount_request_clear (&request);
  return value != NULL ? g_variant_ref_sink (value) : NULL;
}

/* ---- the method table ----------------------------------------------------------- */

static void
test_method_table (void)
{
  RefmountRequest request = { 0 };

  /* Deny by default: what the table does not list is not served. */
  g_assert_null (refmount_method_lookup ("Bogus"));
  g_assert_null (refmount_method_lookup ("mount"));
  g_assert_null (refmount_method_lookup (NULL));

  g_assert_cmpstr (refmount_method_auth_step (refmount_method_lookup ("Mount"), &request)->action, ==,
                   REFMOUNT_ACTION_MOUNT);
  g_assert_cmpstr (refmount_method_auth_step (refmount_method_lookup ("Reload"), &request)->action, ==,
                   REFMOUNT_ACTION_MANAGE);
  g_assert_null (refmount_method_auth_step (refmount_method_lookup ("GetMount"), &request)->action);
  /* One's own attachment: nothing to ask; force/lazy: manage. */
  g_assert_null (refmount_method_auth_step (refmount_method_lookup ("Unmount"), &request)->action);
  request.lazy = TRUE;
  g_assert_cmpstr (refmount_method_auth_step (refmount_method_lookup ("Unmount"), &request)->action, ==,
                   REFMOUNT_ACTION_MANAGE);
  g_assert_true (refmount_method_lookup ("Unmount")->owner_dependent);
  g_assert_cmpstr (refmount_method_lookup ("Unmount")->others.action, ==, REFMOUNT_ACTION_UNMOUNT_OTHERS);
  g_assert_false (refmount_method_lookup ("Mount")->owner_dependent);
  g_assert_true (refmount_method_lookup ("Mount")->needs_entry);
  g_assert_false (refmount_method_lookup ("GetMount")->needs_entry);
  g_assert_false (refmount_method_lookup ("Reload")->needs_entry);
  /* Recover waits for its entry in the queue (after manage), never on a
   * thread, and never creates one. */
  g_assert_true (refmount_method_lookup ("Recover")->needs_entry);
  g_assert_false (refmount_method_lookup ("Recover")->creates_entry);
  g_assert_cmpstr (refmount_method_auth_step (refmount_method_lookup ("Recover"), &request)->action, ==,
                   REFMOUNT_ACTION_MANAGE);
}

/* ---- validation order ------------------------------------------------------------- */

static void
assert_rejects (Fixture    *fx,
                GVariant   *body,
                const char *member,
                const char *argument)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *named = g_strdup_printf ("Invalid %s", argument);
  RefmountRequest    request;

  g_assert_false (parse (fx, member, body, &request, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT);
  g_test_message ("%s: %s", member, error->message);
  g_assert_nonnull (strstr (error->message, named));
  refmount_request_clear (&request);
}

static void
test_validation_order (Fixture      *fx,
                       gconstpointer data)
{
  g_autofree char *good = mp (fx, "v");
  RefmountRequest  request;

  /* Every argument bad: the first in the documented order is named. */
  assert_rejects (fx, mount_body ("proc", "-x", "relative", "suid", "a b", FALSE), "Mount", "fstype");
  assert_rejects (fx, mount_body ("tmpfs", "a b", "relative", "suid", "a b", FALSE), "Mount", "source");
  assert_rejects (fx, mount_body ("tmpfs", "src", "relative", "suid", "a b", FALSE), "Mount", "options");
  assert_rejects (fx, mount_body ("tmpfs", "src", "relative", "size=1m", "a b", FALSE), "Mount", "attachment");
  assert_rejects (fx, mount_body ("tmpfs", "src", "relative", "size=1m", "att", FALSE), "Mount", "mountpoint");
  assert_rejects (fx, unmount_body ("relative", "a b", FALSE), "Unmount", "mountpoint");
  assert_rejects (fx, unmount_body (good, "a b", FALSE), "Unmount", "attachment");

  /* Flags come after the attachment and before the mountpoint. */
  assert_rejects (fx, flags_body ("Mount", "relative", "bogus"), "Mount", "flags");
  assert_rejects (fx, flags_body ("Unmount", good, "bogus"), "Unmount", "flags");
  assert_rejects (fx, flags_body ("Recover", "relative", NULL), "Recover", "mountpoint");
  assert_rejects (fx, flags_body ("Recover", good, "force"), "Recover", "flags");
  assert_rejects (fx, g_variant_ref_sink (g_variant_new ("(s)", "relative")), "GetMount", "mountpoint");
  /* A valid request of each kind parses. */
  g_assert_true (parse (fx, "Recover", flags_body ("Recover", good, NULL), &request, NULL));
  g_assert_cmpstr (request.mountpoint, ==, good);
  refmount_request_clear (&request);

  /* An empty mountpoint is derived, beneath the first root. */
  g_assert_true (parse (fx, "Mount", mount_body ("tmpfs", "src", "", NULL, "att", TRUE), &request, NULL));
  g_assert_true (g_str_has_prefix (request.mountpoint, fx->root));
  g_assert_true (request.release_on_exit);
  refmount_request_clear (&request);
}

/* ---- unmount-others: two steps ------------------------------------------------------ */

static void
test_unmount_others (Fixture      *fx,
                     gconstpointer data)
{
  g_autofree char     *m = mp (fx, "others");
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError)   error = NULL;
  RefmountCaller       other = { 1001, -1, ":1.2" };
  RefmountRequest      request;
  gboolean             needs_others = FALSE;
  GVariant            *value;
  Grant               *grant;

  reply = do_mount (fx, m, "owned", 1000, ":1.1", FALSE, &error);
  g_assert_no_error (error);

  g_assert_true (parse (fx, "Unmount", unmount_body (m, "owned", FALSE), &request, NULL));
  /* Step one, without the grant: refused, nothing changed. */
  grant = wait_entry (fx, m, FALSE);
  value = refmount_manager_unmount (fx->table, fx->config, grant->waiter, &request, &other, FALSE,
                                    g_get_monotonic_time () + 5 * G_USEC_PER_SEC, &needs_others, &error);
  grant_free (grant);
  g_assert_null (value);
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_AUTHORIZED);
  g_assert_true (needs_others);
  g_assert_cmpuint (n_attachments (fx, m), ==, 1);
  g_assert_true (fake_backend_is_mounted (fx->fake, m));
  g_clear_error (&error);

  /* Step two, with org.refmount.unmount-others granted: released. */
  grant = wait_entry (fx, m, FALSE);
  value = refmount_manager_unmount (fx->table, fx->config, grant->waiter, &request, &other, TRUE,
                                    g_get_monotonic_time () + 5 * G_USEC_PER_SEC, &needs_others, &error);
  grant_free (grant);
  g_assert_no_error (error);
  g_assert_false (needs_others);
  g_assert_cmpvariant (g_variant_ref_sink (value), g_variant_new ("(b)", TRUE));
  g_variant_unref (value);
  g_assert_false (fake_backend_is_mounted (fx->fake, m));
  refmount_request_clear (&request);
}

/* The second step as a plain function of (request, caller, record). */
static void
test_unmount_step (Fixture      *fx,
                   gconstpointer data)
{
  g_autoptr (RefmountRecord) record = refmount_record_new ();
  g_autoptr (GError)         error = NULL;
  RefmountRequest            request = { 0 };
  RefmountCaller             owner = { 1000, -1, ":1.1" };
  RefmountCaller             other = { 1001, -1, ":1.2" };
  RefmountCaller             root = { 0, -1, ":1.3" };
  const RefmountAuthStep    *step;
  guint32                    found = 0;

  request.kind = REFMOUNT_METHOD_UNMOUNT;
  request.mountpoint = (char *) "/m";
  request.attachment = "a";
  g_ptr_array_add (record->attachments, refmount_attachment_new ("a", 1000, 1, FALSE, NULL));

  /* Nothing to release: NotFound, NotAttached; nothing to ask. */
  g_assert_null (refmount_manager_unmount_step (&request, &owner, NULL, FALSE, NULL, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND);
  g_clear_error (&error);
  request.attachment = "b";
  g_assert_null (refmount_manager_unmount_step (&request, &other, record, TRUE, NULL, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_ATTACHED);
  g_clear_error (&error);
  request.attachment = "a";

  /* One's own attachment: nothing, also with force (the first step,
   * manage, is the method table's). */
  step = refmount_manager_unmount_step (&request, &owner, record, FALSE, &found, &error);
  g_assert_no_error (error);
  g_assert_null (step->action);
  g_assert_cmpuint (found, ==, 1000);
  request.force = TRUE;
  g_assert_null (refmount_manager_unmount_step (&request, &owner, record, FALSE, NULL, NULL)->action);
  g_assert_cmpstr (refmount_method_auth_step (refmount_method_lookup ("Unmount"), &request)->action, ==,
                   REFMOUNT_ACTION_MANAGE);
  request.force = FALSE;

  /* Another uid's: unmount-others, the method's owner-dependent step;
   * nothing more once granted; root is not asked. */
  found = 0;
  step = refmount_manager_unmount_step (&request, &other, record, FALSE, &found, NULL);
  g_assert_true (step == &refmount_method_lookup ("Unmount")->others);
  g_assert_cmpstr (step->action, ==, REFMOUNT_ACTION_UNMOUNT_OTHERS);
  g_assert_cmpuint (found, ==, 1000);
  g_assert_null (refmount_manager_unmount_step (&request, &other, record, TRUE, NULL, NULL)->action);
  g_assert_null (refmount_manager_unmount_step (&request, &root, record, FALSE, NULL, NULL)->action);
}

/* The ownership options: checked before authorization without asking the
 * user database (the main thread runs that check); the group is looked up
 * in the Mount operation, with the entry held. */
static void
test_owner_lookup_with_entry (Fixture      *fx,
                              gconstpointer data)
{
  g_autofree char           *m = mp (fx, "owned");
  g_autoptr (GError)         error = NULL;
  g_autoptr (RefmountRecord) record = NULL;
  RefmountCaller             unknown = { 4000000123u, -1, ":1.9" };
  RefmountCaller             root = { 0, -1, ":1.1" };
  RefmountRequest            request;
  GVariant                  *body;
  GVariantBuilder            flags;
  Grant                     *grant;
  GVariant                  *value;

  g_variant_builder_init (&flags, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&flags, "{sv}", REFMOUNT_FLAG_OWNER, g_variant_new_boolean (TRUE));
  body = g_variant_ref_sink (g_variant_new ("(sss^as&s@a{sv})", "tmpfs", "src", m,
                                            (const char *const[]){ "size=1m", NULL }, "att",
                                            g_variant_builder_end (&flags)));
  g_assert_true (parse (fx, "Mount", body, &request, NULL));

  /* A uid with no passwd entry passes the check: it looked nothing up. */
  g_assert_true (refmount_request_check_caller (&request, &unknown, &error));
  g_assert_no_error (error);

  /* The lookup happens in the operation: InvalidArgument, and the fresh
   * entry is dropped again. */
  grant = wait_entry (fx, m, TRUE);
  g_assert_true (grant->granted);
  value = refmount_manager_mount (fx->table, fx->config, grant->waiter, &request, &unknown,
                                  g_get_monotonic_time () + 5 * G_USEC_PER_SEC, &error);
  grant_free (grant);
  g_assert_null (value);
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "no entry in the user database"));
  g_clear_error (&error);
  g_assert_null (refmount_table_get_record (fx->table, m));
  g_assert_false (fake_backend_is_mounted (fx->fake, m));

  /* Root has an entry: the mount carries uid=0,gid=0 and the mode. */
  grant = wait_entry (fx, m, TRUE);
  g_assert_true (grant->granted);
  g_assert_no_error (grant->error);
  value = refmount_manager_mount (fx->table, fx->config, grant->waiter, &request, &root,
                                  g_get_monotonic_time () + 5 * G_USEC_PER_SEC, &error);
  grant_free (grant);
  g_assert_no_error (error);
  g_variant_unref (g_variant_ref_sink (value));
  record = refmount_table_get_record (fx->table, m);
  g_assert_true (g_strv_contains ((const char *const *) record->options, "uid=0"));
  g_assert_true (g_strv_contains ((const char *const *) record->options, "gid=0"));
  g_assert_true (g_strv_contains ((const char *const *) record->options, "mode=0700"));
  refmount_request_clear (&request);

  /* A type that cannot be owned is refused before authorization. */
  request.kind = REFMOUNT_METHOD_MOUNT;
  request.owner = TRUE;
  request.fstype = "nfs";
  g_assert_false (refmount_request_check_caller (&request, &root, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "'owner'"));
}

/* ---- the entry queue ------------------------------------------------------------------ */

static void
test_queue_fifo_and_cancel (Fixture      *fx,
                            gconstpointer data)
{
  g_autofree char     *m = mp (fx, "queue");
  g_autoptr (GVariant) reply = NULL;
  Grant               *first, *second, *third;

  reply = do_mount (fx, m, "a", 1000, ":1.1", FALSE, NULL);
  g_assert_nonnull (reply);

  first = wait_entry (fx, m, FALSE);
  g_assert_true (first->granted);
  /* Queued, not waiting on a thread: the calls return at once. */
  second = wait_entry (fx, m, FALSE);
  third = wait_entry (fx, m, FALSE);
  g_assert_false (second->granted);
  g_assert_false (third->granted);

  /* A deadline takes the second out of the queue; it is never granted. */
  g_assert_true (refmount_table_cancel_wait (fx->table, second->waiter));
  g_assert_false (refmount_table_cancel_wait (fx->table, first->waiter));

  /* Freeing the holder hands the lock to the next one still queued. */
  grant_free (first);
  g_assert_false (second->granted);
  g_assert_true (third->granted);
  g_assert_no_error (third->error);
  grant_free (third);
  grant_free (second);

  /* NotFound for a mountpoint that is not managed, through the grant. */
  first = wait_entry (fx, "/nowhere/x", FALSE);
  g_assert_true (first->granted);
  g_assert_error (first->error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND);
  grant_free (first);
}

/* ---- the release-on-exit race ---------------------------------------------------------- */

/* The client leaves while its Mount holds the entry: the attachment is
 * not committed yet, so the release that NameOwnerChanged triggers finds
 * nothing to release — the Mount itself must check afterwards (the
 * pipeline does, refmount_daemon_name_alive).  A release queued behind an
 * operation on the entry releases what is committed when it gets its
 * turn. */
static void
test_release_on_exit_race (Fixture      *fx,
                           gconstpointer data)
{
  g_autofree char      *m = mp (fx, "roe");
  g_autoptr (GVariant)  reply = NULL;
  g_autoptr (GPtrArray) listed = NULL;
  g_autoptr (GError)    error = NULL;
  RefmountRequest       request;
  RefmountCaller        caller = { 1000, -1, ":1.7" };
  Grant                *mount_grant, *release_grant;
  GVariant             *value;

  g_assert_true (parse (fx, "Mount", mount_body ("tmpfs", "src", m, "size=1m", "roe", TRUE), &request, NULL));
  mount_grant = wait_entry (fx, m, TRUE);
  g_assert_true (mount_grant->granted);

  /* The client left now: nothing committed yet, nothing to release. */
  listed = refmount_table_list_bus_name (fx->table, ":1.7");
  g_assert_cmpuint (listed->len, ==, 0);
  g_clear_pointer (&listed, g_ptr_array_unref);

  /* A release of another of its mountpoints would queue; here, one
   * queued behind the Mount on the same entry. */
  release_grant = wait_entry (fx, m, FALSE);
  g_assert_false (release_grant->granted);

  value = refmount_manager_mount (fx->table, fx->config, mount_grant->waiter, &request, &caller,
                                  g_get_monotonic_time () + 5 * G_USEC_PER_SEC, &error);
  g_assert_no_error (error);
  g_variant_unref (g_variant_ref_sink (value));
  grant_free (mount_grant);
  refmount_request_clear (&request);

  /* Committed now: listed, and the queued release got the entry. */
  listed = refmount_table_list_bus_name (fx->table, ":1.7");
  g_assert_cmpuint (listed->len, ==, 1);
  g_assert_true (release_grant->granted);
  g_assert_no_error (release_grant->error);
  refmount_table_release_bus_name_held (fx->table, fx->config, release_grant->waiter, ":1.7",
                                        g_get_monotonic_time () + 5 * G_USEC_PER_SEC);
  grant_free (release_grant);
  g_assert_false (fake_backend_is_mounted (fx->fake, m));
  g_clear_pointer (&listed, g_ptr_array_unref);
  listed = refmount_table_list_bus_name (fx->table, ":1.7");
  g_assert_cmpuint (listed->len, ==, 0);
}

/* A release queued behind the Unmount that removes the entry is never
 * given the removed entry: it looks the mountpoint up again and finds
 * nothing (NotFound), so it neither waits on a thread nor touches a mount
 * that is gone. */
static void
test_release_behind_last_unmount (Fixture      *fx,
                                  gconstpointer data)
{
  g_autofree char     *m = mp (fx, "roe-gone");
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError)   error = NULL;
  RefmountRequest      request;
  RefmountCaller       caller = { 1000, -1, ":1.8" };
  gboolean             needs_others = FALSE;
  Grant               *unmount_grant, *release_grant;
  GVariant            *value;

  reply = do_mount (fx, m, "roe", 1000, ":1.8", TRUE, &error);
  g_assert_no_error (error);
  g_assert_true (parse (fx, "Unmount", unmount_body (m, "roe", FALSE), &request, NULL));
  unmount_grant = wait_entry (fx, m, FALSE);
  g_assert_true (unmount_grant->granted);
  release_grant = wait_entry (fx, m, FALSE);
  g_assert_false (release_grant->granted);

  value = refmount_manager_unmount (fx->table, fx->config, unmount_grant->waiter, &request, &caller, FALSE,
                                    g_get_monotonic_time () + 5 * G_USEC_PER_SEC, &needs_others, &error);
  g_assert_no_error (error);
  g_assert_cmpvariant (g_variant_ref_sink (value), g_variant_new ("(b)", TRUE));
  g_variant_unref (value);
  grant_free (unmount_grant);
  refmount_request_clear (&request);

  g_assert_true (release_grant->granted);
  g_assert_error (release_grant->error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND);
  grant_free (release_grant);
  g_assert_false (fake_backend_is_mounted (fx->fake, m));
}

/* ---- GetMount needs no lock -------------------------------------------------------------- */

static void
test_get_mount_lock_free (Fixture      *fx,
                          gconstpointer data)
{
  g_autofree char     *m = mp (fx, "get");
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError)   error = NULL;
  RefmountRequest      request;
  GVariant            *value;
  Grant               *holder;

  reply = do_mount (fx, m, "a", 1000, ":1.1", FALSE, NULL);
  holder = wait_entry (fx, m, FALSE);
  g_assert_true (holder->granted);
  /* While a call holds the entry, GetMount still answers. */
  g_assert_true (parse (fx, "GetMount", g_variant_ref_sink (g_variant_new ("(s)", m)), &request, NULL));
  value = refmount_manager_get_mount (fx->table, &request, &error);
  g_assert_no_error (error);
  g_variant_unref (g_variant_ref_sink (value));
  refmount_request_clear (&request);
  grant_free (holder);
}

/* ---- admission ------------------------------------------------------------------------- */

static void
test_admission (void)
{
  RefmountAdmission      *admission = refmount_admission_new ();
  RefmountAdmissionLimits limits = { 2, 3, 4 };
  g_autoptr (GError)      error = NULL;
  guint64                 refused, dropped;

  g_assert_true (refmount_admission_enter_client (admission, ":1.1", &limits, NULL));
  g_assert_true (refmount_admission_enter_client (admission, ":1.1", &limits, NULL));
  g_assert_false (refmount_admission_enter_client (admission, ":1.1", &limits, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_LIMIT_EXCEEDED);
  g_assert_nonnull (strstr (error->message, "MaxCallsPerClient=2"));
  g_clear_error (&error);
  g_assert_true (refmount_admission_enter_client (admission, ":1.2", &limits, NULL));
  g_assert_true (refmount_admission_enter_client (admission, ":1.3", &limits, NULL));
  g_assert_false (refmount_admission_enter_client (admission, ":1.4", &limits, &error));
  g_assert_nonnull (strstr (error->message, "MaxCallsTotal=4"));
  g_clear_error (&error);
  refmount_admission_leave_client (admission, ":1.1");
  g_assert_true (refmount_admission_enter_client (admission, ":1.4", &limits, NULL));
  g_assert_cmpuint (refmount_admission_get_in_flight (admission), ==, 4);

  for (guint i = 0; i < 3; i++)
    g_assert_true (refmount_admission_enter_uid (admission, 1000, &limits, NULL));
  g_assert_false (refmount_admission_enter_uid (admission, 1000, &limits, &error));
  g_assert_nonnull (strstr (error->message, "MaxCallsPerUser=3"));
  /* Root is exempt from the per-uid bound. */
  for (guint i = 0; i < 10; i++)
    g_assert_true (refmount_admission_enter_uid (admission, 0, &limits, NULL));
  refmount_admission_leave_uid (admission, 1000);
  g_assert_true (refmount_admission_enter_uid (admission, 1000, &limits, NULL));

  g_assert_true (refmount_admission_note_refused (admission, FALSE));
  g_assert_false (refmount_admission_note_refused (admission, TRUE));
  g_assert_false (refmount_admission_note_refused (admission, TRUE));
  refmount_admission_take_refused (admission, &refused, &dropped);
  g_assert_cmpuint (refused, ==, 1);
  g_assert_cmpuint (dropped, ==, 2);
  g_assert_true (refmount_admission_note_refused (admission, TRUE));
  g_assert_cmpuint (refmount_admission_get_dropped_total (admission), ==, 3);
  refmount_admission_free (admission);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/manager/method-table", test_method_table);
  g_test_add_func ("/manager/admission", test_admission);
  ADD ("/manager/validation-order", test_validation_order);
  ADD ("/manager/unmount-others", test_unmount_others);
  ADD ("/manager/queue-fifo-and-cancel", test_queue_fifo_and_cancel);
  ADD ("/manager/release-on-exit-race", test_release_on_exit_race);
  ADD ("/manager/release-behind-last-unmount", test_release_behind_last_unmount);
  ADD ("/manager/unmount-step", test_unmount_step);
  ADD ("/manager/owner-lookup-with-entry", test_owner_lookup_with_entry);
  ADD ("/manager/get-mount-lock-free", test_get_mount_lock_free);
  return g_test_run ();
}
