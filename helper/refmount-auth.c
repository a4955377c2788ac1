/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <polkit/polkit.h>

#include "refmount-auth.h"
#include "refmount-error.h"
#include "refmount-log.h"
#include "refmount-names.h"

static void
add_detail (PolkitDetails *details,
            const char    *key,
            const char    *value)
{
  if (value != NULL)
    polkit_details_insert (details, key, value);
}

/* polkit_authority_get_sync() hands out a singleton that is destroyed
 * with its last reference: dropping it after each check would set up a
 * new proxy (and its bus round trips) for every call.  A failure is not
 * kept, so a polkitd that starts later is found. */
static PolkitAuthority *
get_authority (GError **error)
{
  static GMutex            lock;
  static PolkitAuthority  *authority;
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&lock);

  if (authority == NULL)
    authority = polkit_authority_get_sync (NULL, error);
  return authority != NULL ? g_object_ref (authority) : NULL;
}

gboolean
refmount_auth_check (GDBusMessage              *call,
                     guint32                    caller_uid,
                     const char                *action_id,
                     const RefmountAuthDetails *auth_details,
                     GError                   **error)
{
  g_autoptr (PolkitAuthority)           authority = NULL;
  g_autoptr (PolkitSubject)             subject = NULL;
  g_autoptr (PolkitDetails)             details = NULL;
  g_autoptr (PolkitAuthorizationResult) result = NULL;
  g_autoptr (GError)                    local_error = NULL;
  PolkitCheckAuthorizationFlags         flags = POLKIT_CHECK_AUTHORIZATION_FLAGS_NONE;

  if (caller_uid == 0)
    return TRUE;

  if (g_dbus_message_get_flags (call) & G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION)
    flags |= POLKIT_CHECK_AUTHORIZATION_FLAGS_ALLOW_USER_INTERACTION;

  /* The bus name, not a pid: a pid can be recycled by the time polkit
   * looks at it, a unique bus name never is. */
  subject = polkit_system_bus_name_new (g_dbus_message_get_sender (call));
  details = polkit_details_new ();
  if (auth_details != NULL)
    {
      g_autofree char *options = NULL;

      add_detail (details, "fstype", auth_details->fstype);
      add_detail (details, "source", auth_details->source);
      add_detail (details, "mountpoint", auth_details->mountpoint);
      add_detail (details, "attachment", auth_details->attachment);
      if (auth_details->options != NULL)
        {
          options = g_strjoinv (",", (char **) auth_details->options);
          add_detail (details, "options", options);
        }
      add_detail (details, "owner", auth_details->owner);
    }
  /* No polkit.message: the action's own message (with its $(detail)
   * placeholders, translated for the agent's locale) is what pkaction
   * shows too, and an override would only make the two disagree. */

  authority = get_authority (&local_error);
  if (authority != NULL)
    result = polkit_authority_check_authorization_sync (authority, subject, action_id, details,
                                                        flags, NULL, &local_error);
  if (result == NULL)
    {
      /* Fail closed: without polkitd nobody but root gets in. */
      g_warning ("Authorization check for %s failed: %s", action_id, local_error->message);
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_AUTHORIZED,
                   "Not authorized to perform '%s': the authorization service is unavailable (%s)",
                   action_id, local_error->message);
      return FALSE;
    }

  if (polkit_authorization_result_get_is_authorized (result))
    return TRUE;

  if (polkit_authorization_result_get_dismissed (result))
    {
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_AUTHORIZED_DISMISSED,
                   "Not authorized to perform '%s': the authentication dialog was dismissed",
                   action_id);
      return FALSE;
    }

  /* With interaction allowed, a challenge means no authentication agent
   * of the caller's session took it up. */
  if (polkit_authorization_result_get_is_challenge (result) &&
      (flags & POLKIT_CHECK_AUTHORIZATION_FLAGS_ALLOW_USER_INTERACTION))
    g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_AUTHORIZED,
                 "Not authorized to perform '%s': authentication is required and no "
                 "authentication agent completed it",
                 action_id);
  else if (polkit_authorization_result_get_is_challenge (result))
    g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_AUTHORIZED,
                 "Not authorized to perform '%s': authentication is required and the call "
                 "did not allow interactive authorization",
                 action_id);
  else
    g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_AUTHORIZED,
                 "Not authorized to perform '%s'", action_id);
  return FALSE;
}
