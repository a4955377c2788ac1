/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * refmountctl's bus access: the system bus connection (plain GIO: its
 * closing is refmountctl's to report), RefmountClients on it, and the
 * interactive-authorization state around a call (which
 * refmountctl_agent_stop () ends).  Errors are put into
 * words in refmountctl-errors.c.
 */
#include "config.h"

#include <stdio.h>

#include "refmountctl.h"

gboolean
refmountctl_connect (RefmountCtl *ctl,
                     GError     **error)
{
  /* The system bus; DBUS_SYSTEM_BUS_ADDRESS overrides its address (the
   * tests and tools/refmount-sandbox point it at a private bus). */
  ctl->connection = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, error);
  if (ctl->connection == NULL)
    {
      g_prefix_error (error, "Cannot connect to the system bus: ");
      return FALSE;
    }
  /* monitor and mount --release-on-exit notice a lost bus themselves and
   * say so; GDBus would just raise SIGTERM. */
  g_dbus_connection_set_exit_on_close (ctl->connection, FALSE);
  return TRUE;
}

/* A client on ctl's connection whose calls give up after
 * REFMOUNTCTL_CALL_TIMEOUT_MSEC.  REFMOUNT_CLIENT_FLAGS_REQUIRE_DAEMON
 * starts refmountd through D-Bus activation if needed and tells "not
 * running" apart from "no mounts". */
RefmountClient *
refmountctl_client_new (RefmountCtl        *ctl,
                        RefmountClientFlags flags,
                        GError            **error)
{
  return g_initable_new (REFMOUNT_TYPE_CLIENT, NULL, error, "connection", ctl->connection, "flags", flags,
                         "timeout", REFMOUNTCTL_CALL_TIMEOUT_MSEC, NULL);
}

/* The command's client (ctl->client), made once. */
gboolean
refmountctl_open (RefmountCtl        *ctl,
                  RefmountClientFlags flags,
                  GError            **error)
{
  g_return_val_if_fail (ctl->client == NULL, FALSE);
  ctl->client = refmountctl_client_new (ctl, flags, error);
  return ctl->client != NULL;
}

/* Around a call of ctl->client: calls that may ask for a password allow
 * interactive authorization (and then wait without a timeout) unless
 * --no-ask-password, with a text agent on a terminal; the others never
 * ask. */
RefmountCtlAgent *
refmountctl_call_begin (RefmountCtl *ctl,
                        gboolean     may_ask_password)
{
  RefmountCtlAgent *agent = NULL;
  gboolean          interactive = FALSE;

  if (may_ask_password)
    agent = refmountctl_agent_start_if_interactive (ctl->no_ask_password, &interactive);
  refmount_client_set_interactive (ctl->client, interactive);
  return agent;
}

/* The client's mounts, sorted by mountpoint. */
GPtrArray *
refmountctl_collect_mounts (RefmountClient *client)
{
  GPtrArray                 *mounts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autolist (RefmountMount) list = refmount_client_get_mounts (client);

  for (GList *l = list; l != NULL; l = l->next)
    g_ptr_array_add (mounts, g_object_ref (l->data));
  return mounts;
}
