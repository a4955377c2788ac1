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

static void
check_done (GObject      *source,
            GAsyncResult *res,
            gpointer      user_data)
{
  g_autoptr (GTask)                     task = user_data;
  g_autoptr (PolkitAuthorizationResult) result = NULL;
  g_autoptr (GError)                    local_error = NULL;
  const char                           *action_id = g_task_get_task_data (task);
  gboolean                              interactive = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (task), "interactive"));

  result = polkit_authority_check_authorization_finish (POLKIT_AUTHORITY (source), res, &local_error);
  if (result == NULL)
    {
      /* Cancelled (deadline, caller gone, shutdown): the caller of the
       * check knows why and says so. */
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&local_error));
          return;
        }
      /* Fail closed: without polkitd nobody but root gets in.  The reason
       * reaches the log with the denial (rate-limited per uid), not as a
       * line of its own per call. */
      g_task_return_new_error (task, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_AUTHORIZED,
                               "Not authorized to perform '%s': the authorization service is unavailable (%s)",
                               action_id, local_error->message);
      return;
    }

  if (polkit_authorization_result_get_is_authorized (result))
    g_task_return_boolean (task, TRUE);
  else if (polkit_authorization_result_get_dismissed (result))
    g_task_return_new_error (task, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_AUTHORIZED_DISMISSED,
                             "Not authorized to perform '%s': the authentication dialog was dismissed",
                             action_id);
  /* With interaction allowed, a challenge means no authentication agent
   * of the caller's session took it up. */
  else if (polkit_authorization_result_get_is_challenge (result) && interactive)
    g_task_return_new_error (task, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_AUTHORIZED,
                             "Not authorized to perform '%s': authentication is required and no "
                             "authentication agent completed it",
                             action_id);
  else if (polkit_authorization_result_get_is_challenge (result))
    g_task_return_new_error (task, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_AUTHORIZED,
                             "Not authorized to perform '%s': authentication is required and the call "
                             "did not allow interactive authorization",
                             action_id);
  else
    g_task_return_new_error (task, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_AUTHORIZED,
                             "Not authorized to perform '%s'", action_id);
}

void
refmount_auth_check_async (const char                *sender,
                           guint32                    caller_uid,
                           gboolean                   interactive,
                           const char                *action_id,
                           const RefmountAuthDetails *auth_details,
                           GCancellable              *cancellable,
                           GAsyncReadyCallback        callback,
                           gpointer                   user_data)
{
  g_autoptr (GTask)             task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr (PolkitAuthority)   authority = NULL;
  g_autoptr (PolkitSubject)     subject = NULL;
  g_autoptr (PolkitDetails)     details = NULL;
  g_autoptr (GError)            local_error = NULL;
  PolkitCheckAuthorizationFlags flags = POLKIT_CHECK_AUTHORIZATION_FLAGS_NONE;

  g_task_set_source_tag (task, refmount_auth_check_async);
  g_task_set_task_data (task, g_strdup (action_id), g_free);
  g_object_set_data (G_OBJECT (task), "interactive", GINT_TO_POINTER (interactive));
  if (caller_uid == 0)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (interactive)
    flags |= POLKIT_CHECK_AUTHORIZATION_FLAGS_ALLOW_USER_INTERACTION;

  /* The bus name, not a pid: a pid can be recycled by the time polkit
   * looks at it, a unique bus name never is. */
  subject = polkit_system_bus_name_new (sender);
  details = polkit_details_new ();
  if (auth_details != NULL)
    {
      add_detail (details, "fstype", auth_details->fstype);
      add_detail (details, "source", auth_details->source);
      add_detail (details, "mountpoint", auth_details->mountpoint);
      add_detail (details, "attachment", auth_details->attachment);
      if (auth_details->options != NULL)
        {
          g_autofree char *options = g_strjoinv (",", (char **) auth_details->options);
          add_detail (details, "options", options);
        }
      add_detail (details, "owner", auth_details->owner);
    }
  /* No polkit.message: the action's own message (with its $(detail)
   * placeholders, translated for the agent's locale) is what pkaction
   * shows too, and an override would only make the two disagree. */

  authority = get_authority (&local_error);
  if (authority == NULL)
    {
      g_task_return_new_error (task, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_AUTHORIZED,
                               "Not authorized to perform '%s': the authorization service is unavailable (%s)",
                               action_id, local_error->message);
      return;
    }
  /* The reply comes to this thread's main context.  With a cancellable,
   * polkit also withdraws the check from polkitd (and an agent's prompt)
   * when it is cancelled. */
  polkit_authority_check_authorization (authority, subject, action_id, details, flags, cancellable,
                                        check_done, g_steal_pointer (&task));
}

gboolean
refmount_auth_check_finish (GAsyncResult *result,
                            GError      **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
refmount_auth_init (void)
{
  g_autoptr (GError)          error = NULL;
  g_autoptr (PolkitAuthority) authority = get_authority (&error);

  if (authority == NULL)
    g_debug ("polkit authority not available yet: %s", error->message);
}
