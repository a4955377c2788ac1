/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * refmountctl's pieces that need no daemon: the exit status for each
 * D-Bus error (from the error's domain and code, as GDBus decodes it, not
 * from its text), the error's name and words, the terminal width of table
 * cells, the "did you mean" suggestions, and the names of states and
 * health.
 */
#include "config.h"

#include <string.h>

#include "refmount-error.h"
#include "refmount-names.h"
#include "refmountctl.h"

/* An error as a reply from the bus turns into one: through GDBus's
 * decoding of the D-Bus error name. */
static GError *
remote_error (const char *name,
              const char *message)
{
  return g_dbus_error_new_for_dbus_error (name, message);
}

static void
test_exit_status (void)
{
  static const struct
  {
    const char *name;
    int         status;
  } cases[] = {
    { REFMOUNT_ERROR_PREFIX "Failed", REFMOUNTCTL_EXIT_ERROR },
    { REFMOUNT_ERROR_PREFIX "InvalidArgument", REFMOUNTCTL_EXIT_ERROR },
    { REFMOUNT_ERROR_PREFIX "LimitExceeded", REFMOUNTCTL_EXIT_ERROR },
    { REFMOUNT_ERROR_PREFIX "NotAuthorized", REFMOUNTCTL_EXIT_NOT_AUTHORIZED },
    { REFMOUNT_ERROR_PREFIX "NotFound", REFMOUNTCTL_EXIT_NOT_FOUND },
    { REFMOUNT_ERROR_PREFIX "NotAttached", REFMOUNTCTL_EXIT_NOT_FOUND },
    { REFMOUNT_ERROR_PREFIX "Conflict", REFMOUNTCTL_EXIT_CONFLICT },
    { REFMOUNT_ERROR_PREFIX "Busy", REFMOUNTCTL_EXIT_CONFLICT },
    { REFMOUNT_ERROR_PREFIX "MountFailed", REFMOUNTCTL_EXIT_MOUNT_FAILED },
    { REFMOUNT_ERROR_PREFIX "Timeout", REFMOUNTCTL_EXIT_TIMEOUT },
    { REFMOUNT_ERROR_PREFIX "ShuttingDown", REFMOUNTCTL_EXIT_UNAVAILABLE },
    { "org.freedesktop.DBus.Error.ServiceUnknown", REFMOUNTCTL_EXIT_UNAVAILABLE },
    { "org.freedesktop.DBus.Error.NameHasNoOwner", REFMOUNTCTL_EXIT_UNAVAILABLE },
    { "org.freedesktop.DBus.Error.Spawn.ChildExited", REFMOUNTCTL_EXIT_UNAVAILABLE },
    { "org.freedesktop.DBus.Error.AccessDenied", REFMOUNTCTL_EXIT_NOT_AUTHORIZED },
    { "org.freedesktop.DBus.Error.NoReply", REFMOUNTCTL_EXIT_TIMEOUT },
    { "org.freedesktop.DBus.Error.Timeout", REFMOUNTCTL_EXIT_TIMEOUT },
    { "org.freedesktop.DBus.Error.UnknownMethod", REFMOUNTCTL_EXIT_ERROR },
    { "com.example.Unheard.Of", REFMOUNTCTL_EXIT_ERROR },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      /* The text is deliberately misleading: only the name may count. */
      g_autoptr (GError) error = remote_error (cases[i].name, "Not authorized: timed out");
      g_autofree char   *name = refmountctl_error_name (error);

      g_test_message ("%s", cases[i].name);
      g_assert_cmpint (refmountctl_exit_status_for (error), ==, cases[i].status);
      g_assert_cmpstr (name, ==, cases[i].name);
      /* As librefmount-1 hands a mapped error over: the "GDBus.Error:NAME:"
       * prefix removed, the name left to the domain and code. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_DBUS_ERROR))
        {
          g_autoptr (GError) stripped = g_error_copy (error);
          g_autofree char   *stripped_name = NULL;

          g_assert_true (g_dbus_error_strip_remote_error (stripped));
          stripped_name = refmountctl_error_name (stripped);
          g_assert_cmpint (refmountctl_exit_status_for (stripped), ==, cases[i].status);
          g_assert_cmpstr (stripped_name, ==, cases[i].name);
        }
    }
  {
    g_autoptr (GError) timeout = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "x");
    g_autoptr (GError) local = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "x");
    g_autofree char   *no_name = refmountctl_error_name (local);

    g_assert_cmpint (refmountctl_exit_status_for (timeout), ==, REFMOUNTCTL_EXIT_TIMEOUT);
    g_assert_cmpint (refmountctl_exit_status_for (local), ==, REFMOUNTCTL_EXIT_ERROR);
    g_assert_null (no_name);
  }
  {
    /* Made here (refmountctl's own NotFound) and named like refmountd's. */
    g_autoptr (GError) error = g_error_new_literal (REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND, "x");
    g_autofree char   *name = refmountctl_error_name (error);

    g_assert_cmpstr (name, ==, REFMOUNT_ERROR_PREFIX "NotFound");
  }
}

/* Each thing said once: no "Not authorized: Not authorized ...", no
 * "GDBus.Error:" prefix, one line. */
static void
test_describe (void)
{
  g_autoptr (GError) denied = remote_error (REFMOUNT_ERROR_PREFIX "NotAuthorized",
                                            "Not authorized to perform 'org.refmount.mount'");
  g_autoptr (GError) gone = remote_error ("org.freedesktop.DBus.Error.ServiceUnknown",
                                          "The name org.refmount.Refmount1 was not provided");
  g_autoptr (GError) other = remote_error ("com.example.Odd", "two\nlines");
  g_autofree char   *text = refmountctl_describe_error (denied);
  g_autofree char   *gone_text = refmountctl_describe_error (gone);
  g_autofree char   *other_text = refmountctl_describe_error (other);

  g_assert_cmpstr (text, ==, "Not authorized to perform 'org.refmount.mount'");
  g_assert_cmpstr (gone_text, ==,
                   "refmountd is not available on the system bus: "
                   "The name org.refmount.Refmount1 was not provided");
  g_assert_cmpstr (other_text, ==, "two lines (com.example.Odd)");
}

static void
test_display_width (void)
{
  g_assert_cmpuint (refmountctl_display_width (""), ==, 0);
  g_assert_cmpuint (refmountctl_display_width ("/run/a"), ==, 6);
  /* Two bytes, one column. */
  g_assert_cmpuint (refmountctl_display_width ("/m/\xc3\xa9t\xc3\xa9"), ==, 6);
  /* CJK: three bytes, two columns each. */
  g_assert_cmpuint (refmountctl_display_width ("/m/\xe6\x97\xa5\xe6\x9c\xac"), ==, 7);
  /* A combining accent takes no column. */
  g_assert_cmpuint (refmountctl_display_width ("e\xcc\x81"), ==, 1);
  /* Not UTF-8: a column per byte. */
  g_assert_cmpuint (refmountctl_display_width ("\xff\xfe"), ==, 2);
}

static void
test_closest (void)
{
  const char *const commands[] = { "mount", "unmount", "umount", "list", "show", "status",
                                   "monitor", "reload", "help", NULL };
  const char *const mountpoints[] = { "/run/refmount/mounts/images",
                                      "/run/refmount/mounts/tmpfs-0123456789abcdef", NULL };

  g_assert_cmpuint (refmountctl_edit_distance ("kitten", "sitting"), ==, 3);
  g_assert_cmpuint (refmountctl_edit_distance ("", "abc"), ==, 3);
  g_assert_cmpstr (refmountctl_closest ("unmout", commands), ==, "unmount");
  g_assert_cmpstr (refmountctl_closest ("lsit", commands), ==, "list");
  g_assert_cmpstr (refmountctl_closest ("stauts", commands), ==, "status");
  g_assert_null (refmountctl_closest ("frobnicate", commands));
  /* The word itself is no suggestion. */
  g_assert_null (refmountctl_closest ("list", commands));
  g_assert_cmpstr (refmountctl_closest ("/run/refmount/mounts/imagse", mountpoints), ==,
                   "/run/refmount/mounts/images");
  g_assert_null (refmountctl_closest ("/srv/elsewhere", mountpoints));
}

/* States and health are printed as the D-Bus API spells them (the
 * library's enum nicks); a value this refmountctl does not know is
 * "unknown". */
static void
test_names (void)
{
  g_assert_cmpstr (refmountctl_state_name (REFMOUNT_MOUNT_STATE_MOUNTED), ==, REFMOUNT_STATE_MOUNTED);
  g_assert_cmpstr (refmountctl_state_name (REFMOUNT_MOUNT_STATE_BUSY), ==, REFMOUNT_STATE_BUSY);
  g_assert_cmpstr (refmountctl_state_name (REFMOUNT_MOUNT_STATE_STALE), ==, REFMOUNT_STATE_STALE);
  g_assert_cmpstr (refmountctl_state_name (REFMOUNT_MOUNT_STATE_UNKNOWN), ==, "unknown");
  g_assert_cmpstr (refmountctl_state_name ((RefmountMountState) 99), ==, "unknown");
  g_assert_cmpstr (refmountctl_health_name (REFMOUNT_MOUNT_HEALTH_OK), ==, REFMOUNT_HEALTH_NAME_OK);
  g_assert_cmpstr (refmountctl_health_name (REFMOUNT_MOUNT_HEALTH_UNRESPONSIVE), ==,
                   REFMOUNT_HEALTH_NAME_UNRESPONSIVE);
  g_assert_cmpstr (refmountctl_health_name (REFMOUNT_MOUNT_HEALTH_STALE_HANDLE), ==,
                   REFMOUNT_HEALTH_NAME_STALE_HANDLE);
  g_assert_cmpstr (refmountctl_health_name (REFMOUNT_MOUNT_HEALTH_UNKNOWN), ==, REFMOUNT_HEALTH_NAME_UNKNOWN);
  g_assert_cmpstr (refmountctl_health_name ((RefmountMountHealth) 99), ==, REFMOUNT_HEALTH_NAME_UNKNOWN);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* As refmountctl's main () does: decode refmountd's names. */
  (void) REFMOUNT_ERROR;
  g_test_add_func ("/refmountctl/exit-status", test_exit_status);
  g_test_add_func ("/refmountctl/describe", test_describe);
  g_test_add_func ("/refmountctl/display-width", test_display_width);
  g_test_add_func ("/refmountctl/closest", test_closest);
  g_test_add_func ("/refmountctl/names", test_names);
  return g_test_run ();
}
