/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * refmountctl recover: Manager.Recover for one managed mount (a dead
 * network mount replaced by a fresh one, attachments kept).
 */
#include "config.h"

#include "refmountctl.h"

int
refmountctl_cmd_recover (RefmountCtl              *ctl,
                         const RefmountCtlCommand *command,
                         int                       argc,
                         char                    **argv)
{
  g_autoptr (RefmountMount) mount = NULL;
  g_autoptr (GError)        error = NULL;
  RefmountCtlAgent         *agent;
  gboolean                  recovered;
  int                       status = 0;

  mount = refmountctl_resolve_argument (ctl, command, argc, argv, &status);
  if (mount == NULL)
    return status;
  agent = refmountctl_call_begin (ctl, TRUE);
  recovered = refmount_client_recover_sync (ctl->client, refmount_mount_get_mountpoint (mount), NULL, &error);
  refmountctl_agent_stop (agent);
  if (!recovered)
    return refmountctl_fail (ctl, error);
  return REFMOUNTCTL_EXIT_OK;
}
