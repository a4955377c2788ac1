/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Manager.Recover (doc/network-filesystems.md, "Recovering a mount"): run
 * on a worker like the other methods; the work is the table's
 * (refmount-table-recover.c), which bounds it by MountTimeoutSec.
 */
#include "config.h"

#include "refmount-auth.h"
#include "refmount-daemon-private.h"
#include "refmount-error.h"
#include "refmount-log.h"
#include "refmount-names.h"
#include "refmount-table.h"
#include "refmount-validate.h"

/* No flag is defined yet; the argument exists so that one can be added
 * without a new method.  Unknown keys are refused, as for Mount. */
static gboolean
validate_recover_flags (GVariant *flags,
                        GError  **error)
{
  GVariantIter iter;
  const char  *key;

  g_variant_iter_init (&iter, flags);
  if (g_variant_iter_next (&iter, "{&sv}", &key, NULL))
    {
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT,
                   "Invalid flags: unknown flag '%s' for Recover (it takes none)", key);
      return FALSE;
    }
  return TRUE;
}

GVariant *
refmount_daemon_do_recover (Daemon         *daemon,
                            RefmountConfig *config,
                            GDBusMessage   *call,
                            const Caller   *caller,
                            GError        **error)
{
  g_autoptr (RefmountRecord) record = NULL;
  g_autoptr (GVariant)       flags = NULL;
  RefmountAuthDetails        details = { 0 };
  const char                *mountpoint;

  g_variant_get (g_dbus_message_get_body (call), "(&s@a{sv})", &mountpoint, &flags);
  if (!refmount_validate_mountpoint (config, mountpoint, NULL, NULL, error) ||
      !validate_recover_flags (flags, error))
    return NULL;

  record = refmount_table_get_record (daemon->table, mountpoint);
  details.mountpoint = mountpoint;
  if (record != NULL)
    {
      details.fstype = record->fstype;
      details.source = record->source;
      details.options = (const char *const *) record->options;
    }
  /* Before looking any further: whether a mountpoint is managed is not
   * for an unauthorized caller to learn from the error. */
  if (!refmount_auth_check (call, caller->uid, REFMOUNT_ACTION_MANAGE, &details, error))
    {
      RefmountLogContext ctx = { mountpoint, details.source, details.fstype, NULL, caller->uid, caller->pid };

      refmount_log_event (G_LOG_LEVEL_WARNING, "denied", &ctx, "Recover denied: %s", (*error)->message);
      return NULL;
    }
  if (!refmount_table_recover (daemon->table, config, mountpoint, caller->uid, caller->pid, error))
    return NULL;
  return g_variant_new ("()");
}
