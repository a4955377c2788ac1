/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * refmountctl's errors: an exit status per kind of failure, the error in
 * words (once: refmountd's messages already name the problem and the
 * offending value, so nothing is put in front of them), what to do next,
 * and, with --json, all of it as a JSON object on stderr.
 *
 * Errors are told apart by their GError domain and code, never by their
 * text: refmountd's names are registered as REFMOUNT_ERROR (main ()
 * does it) and GIO maps the bus's own to G_DBUS_ERROR.
 */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "refmount-error.h"
#include "refmountctl.h"

int
refmountctl_exit_status_for (const GError *error)
{
  if (error->domain == REFMOUNT_ERROR)
    switch ((RefmountError) error->code)
      {
      case REFMOUNT_ERROR_NOT_AUTHORIZED:
      case REFMOUNT_ERROR_NOT_AUTHORIZED_DISMISSED:
        return REFMOUNTCTL_EXIT_NOT_AUTHORIZED;
      case REFMOUNT_ERROR_NOT_FOUND:
      case REFMOUNT_ERROR_NOT_ATTACHED:
        return REFMOUNTCTL_EXIT_NOT_FOUND;
      case REFMOUNT_ERROR_CONFLICT:
      case REFMOUNT_ERROR_BUSY:
        return REFMOUNTCTL_EXIT_CONFLICT;
      case REFMOUNT_ERROR_MOUNT_FAILED:
        return REFMOUNTCTL_EXIT_MOUNT_FAILED;
      case REFMOUNT_ERROR_TIMEOUT:
        return REFMOUNTCTL_EXIT_TIMEOUT;
      case REFMOUNT_ERROR_SHUTTING_DOWN:
        return REFMOUNTCTL_EXIT_UNAVAILABLE;
      case REFMOUNT_ERROR_FAILED:
      case REFMOUNT_ERROR_INVALID_ARGUMENT:
      case REFMOUNT_ERROR_LIMIT_EXCEEDED:
        return REFMOUNTCTL_EXIT_ERROR;
      }
  if (error->domain == G_DBUS_ERROR)
    switch (error->code)
      {
      case G_DBUS_ERROR_SERVICE_UNKNOWN:
      case G_DBUS_ERROR_NAME_HAS_NO_OWNER:
      case G_DBUS_ERROR_SPAWN_EXEC_FAILED:
      case G_DBUS_ERROR_SPAWN_FORK_FAILED:
      case G_DBUS_ERROR_SPAWN_CHILD_EXITED:
      case G_DBUS_ERROR_SPAWN_CHILD_SIGNALED:
      case G_DBUS_ERROR_SPAWN_FAILED:
      case G_DBUS_ERROR_SPAWN_SERVICE_INVALID:
      case G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND:
      case G_DBUS_ERROR_SPAWN_PERMISSIONS_INVALID:
      case G_DBUS_ERROR_SPAWN_FILE_INVALID:
      case G_DBUS_ERROR_SPAWN_NO_MEMORY:
        return REFMOUNTCTL_EXIT_UNAVAILABLE;
      case G_DBUS_ERROR_ACCESS_DENIED:
      case G_DBUS_ERROR_AUTH_FAILED:
        return REFMOUNTCTL_EXIT_NOT_AUTHORIZED;
      case G_DBUS_ERROR_NO_REPLY:
      case G_DBUS_ERROR_TIMEOUT:
      case G_DBUS_ERROR_TIMED_OUT:
        return REFMOUNTCTL_EXIT_TIMEOUT;
      default:
        return REFMOUNTCTL_EXIT_ERROR;
      }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return REFMOUNTCTL_EXIT_TIMEOUT;
  /* g_bus_get_sync () failing: no system bus, so no refmountd either. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    return REFMOUNTCTL_EXIT_UNAVAILABLE;
  return REFMOUNTCTL_EXIT_ERROR;
}

/* The D-Bus error name: the remote one, or the registered name of a
 * REFMOUNT_ERROR or G_DBUS_ERROR made here; NULL for local failures. */
char *
refmountctl_error_name (const GError *error)
{
  char *remote = g_dbus_error_get_remote_error (error);

  if (remote != NULL)
    return remote;
  if (error->domain == REFMOUNT_ERROR || error->domain == G_DBUS_ERROR)
    return g_dbus_error_encode_gerror (error);
  return NULL;
}

/* Words for the bus's errors, whose messages speak of names and services
 * rather than of refmountd.  refmountd's own messages need none. */
static const char *
bus_error_words (const GError *error)
{
  if (error->domain != G_DBUS_ERROR)
    return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ? "No reply from refmountd"
                                                                     : NULL;
  switch (refmountctl_exit_status_for (error))
    {
    case REFMOUNTCTL_EXIT_UNAVAILABLE:
      return error->code == G_DBUS_ERROR_SERVICE_UNKNOWN || error->code == G_DBUS_ERROR_NAME_HAS_NO_OWNER
               ? "refmountd is not available on the system bus"
               : "refmountd could not be started";
    case REFMOUNTCTL_EXIT_NOT_AUTHORIZED:
      return "The D-Bus policy denies access";
    case REFMOUNTCTL_EXIT_TIMEOUT:
      return "No reply from refmountd";
    default:
      return error->code == G_DBUS_ERROR_UNKNOWN_METHOD
               ? "refmountd does not know this call (version mismatch?)"
               : NULL;
    }
}

/* One line.  Newlines in the message are flattened so that scripts can
 * rely on one line. */
char *
refmountctl_describe_error (const GError *error)
{
  g_autoptr (GError) copy = g_error_copy (error);
  const char        *words = bus_error_words (error);
  g_autofree char   *name = refmountctl_error_name (error);
  char              *text;

  g_dbus_error_strip_remote_error (copy);
  if (words != NULL)
    text = g_strdup_printf ("%s: %s", words, copy->message);
  else if (name != NULL && error->domain != REFMOUNT_ERROR && error->domain != G_DBUS_ERROR)
    /* An error refmountctl has no words for: its name says what it is. */
    text = g_strdup_printf ("%s (%s)", copy->message, name);
  else
    text = g_strdup (copy->message);
  g_strdelimit (text, "\r\n", ' ');
  return text;
}

void
refmountctl_print_error (RefmountCtl *ctl,
                         const char  *error_name,
                         const char  *message,
                         const char  *hint,
                         int          status)
{
  if (ctl->json != REFMOUNTCTL_JSON_OFF)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode)    root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "command");
      if (ctl->command != NULL)
        json_builder_add_string_value (builder, ctl->command);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "error");
      if (error_name != NULL)
        json_builder_add_string_value (builder, error_name);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, message);
      if (hint != NULL)
        {
          json_builder_set_member_name (builder, "hint");
          json_builder_add_string_value (builder, hint);
        }
      json_builder_set_member_name (builder, "exit_status");
      json_builder_add_int_value (builder, status);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      refmountctl_print_json_to (stderr, root, refmountctl_output (ctl, FALSE) == REFMOUNTCTL_OUTPUT_JSON_PRETTY);
      return;
    }
  fprintf (stderr, "refmountctl%s%s: %s\n", ctl->command != NULL ? " " : "",
           ctl->command != NULL ? ctl->command : "", message);
  /* A usage error's pointer to --help is part of the message; other hints
   * are advice that -q leaves out. */
  if (hint != NULL && (status == REFMOUNTCTL_EXIT_USAGE || !ctl->quiet))
    fprintf (stderr, "%s\n", hint);
}

/* A denial that nobody could have answered: say where the answer comes
 * from (a password asked on a terminal, or a polkit rule). */
static const char *
authorization_hint (RefmountCtl *ctl)
{
  if (ctl->no_ask_password)
    return "Hint: without --no-ask-password, polkit can ask for a password (the desktop "
           "session's authentication agent, or pkttyagent on a terminal); or allow it with a "
           "polkit rule (examples: polkit/examples/, installed in "
           "/usr/share/doc/refmount/examples/).";
  /* On a terminal pkttyagent was there to ask: a denial is a denial. */
  if (!isatty (STDIN_FILENO))
    return "Hint: no authentication agent answered: run refmountctl in a desktop session "
           "(its agent asks) or from a terminal (pkttyagent asks), or allow it with a polkit "
           "rule (examples: polkit/examples/, installed in /usr/share/doc/refmount/examples/).";
  return NULL;
}

int
refmountctl_fail_with_hint (RefmountCtl  *ctl,
                            const GError *error,
                            const char   *hint)
{
  g_autofree char *text = refmountctl_describe_error (error);
  g_autofree char *name = refmountctl_error_name (error);
  g_autofree char *full_hint = NULL;
  int              status = refmountctl_exit_status_for (error);

  if (hint != NULL)
    full_hint = g_str_has_prefix (hint, "Hint: ") ? g_strdup (hint)
                                                  : g_strconcat ("Hint: ", hint, NULL);
  else if (g_error_matches (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_AUTHORIZED))
    full_hint = g_strdup (authorization_hint (ctl));
  refmountctl_print_error (ctl, name, text, full_hint, status);
  return status;
}

int
refmountctl_fail (RefmountCtl  *ctl,
                  const GError *error)
{
  return refmountctl_fail_with_hint (ctl, error, NULL);
}
