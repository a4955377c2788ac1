/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * refmountctl list, show, status, monitor and reload: the commands that
 * read refmountd's state (and reload, which changes only its
 * configuration).
 */
#include "config.h"

#include <stdio.h>

#include "refmountctl.h"

/* What list and status start with: no argument, a connection, a client
 * that follows refmountd's mounts (ctl->client).  FALSE with *@status set
 * (0 after --help) otherwise. */
static gboolean
open_without_arguments (RefmountCtl              *ctl,
                        const RefmountCtlCommand *command,
                        int                       argc,
                        char                    **argv,
                        int                      *status)
{
  g_autoptr (GError) error = NULL;

  if (!refmountctl_parse_options (ctl, command, NULL, &argc, &argv, status) ||
      !refmountctl_check_arguments (ctl, argc, argv, 0, 0, "", status))
    return FALSE;
  if ((*status = refmountctl_connect_or_fail (ctl)) != 0)
    return FALSE;
  if (!refmountctl_open (ctl, REFMOUNT_CLIENT_FLAGS_REQUIRE_DAEMON, &error))
    {
      *status = refmountctl_fail (ctl, error);
      return FALSE;
    }
  return TRUE;
}

int
refmountctl_cmd_list (RefmountCtl              *ctl,
                      const RefmountCtlCommand *command,
                      int                       argc,
                      char                    **argv)
{
  g_autoptr (GPtrArray) mounts = NULL;
  int                   status = 0;

  if (!open_without_arguments (ctl, command, argc, argv, &status))
    return status;
  mounts = refmountctl_collect_mounts (ctl->client);
  refmountctl_print_list (mounts, refmountctl_output (ctl, TRUE), !ctl->no_legend);
  return REFMOUNTCTL_EXIT_OK;
}

int
refmountctl_cmd_show (RefmountCtl              *ctl,
                      const RefmountCtlCommand *command,
                      int                       argc,
                      char                    **argv)
{
  g_autoptr (RefmountMount) mount = NULL;
  int                       status = 0;

  mount = refmountctl_resolve_argument (ctl, command, argc, argv, &status);
  if (mount == NULL)
    return status;
  refmountctl_print_show (mount, refmountctl_output (ctl, TRUE));
  return REFMOUNTCTL_EXIT_OK;
}

int
refmountctl_cmd_status (RefmountCtl              *ctl,
                        const RefmountCtlCommand *command,
                        int                       argc,
                        char                    **argv)
{
  g_autoptr (GPtrArray) mounts = NULL;
  g_autoptr (GError)    error = NULL;
  g_autofree char      *version = NULL;
  int                   status = 0;

  if (!open_without_arguments (ctl, command, argc, argv, &status))
    return status;
  /* Every refmountd publishes its Version: none means no Manager. */
  version = refmount_client_dup_version (ctl->client);
  if (version == NULL)
    {
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "refmountd exports no %s object at %s", REFMOUNT_MANAGER_INTERFACE,
                   REFMOUNT_MANAGER_PATH);
      return refmountctl_fail (ctl, error);
    }
  mounts = refmountctl_collect_mounts (ctl->client);
  refmountctl_print_status (ctl->client, mounts, refmountctl_output (ctl, TRUE),
                            !ctl->no_legend);
  return REFMOUNTCTL_EXIT_OK;
}

int
refmountctl_cmd_monitor (RefmountCtl              *ctl,
                         const RefmountCtlCommand *command,
                         int                       argc,
                         char                    **argv)
{
  int status = 0;

  if (!refmountctl_parse_options (ctl, command, NULL, &argc, &argv, &status) ||
      !refmountctl_check_arguments (ctl, argc, argv, 0, 0, "", &status))
    return status;
  if ((status = refmountctl_connect_or_fail (ctl)) != 0)
    return status;
  /* One event per line unless --json=pretty asks otherwise. */
  return refmountctl_monitor (ctl, refmountctl_output (ctl, FALSE));
}

int
refmountctl_cmd_reload (RefmountCtl              *ctl,
                        const RefmountCtlCommand *command,
                        int                       argc,
                        char                    **argv)
{
  g_autoptr (GError) error = NULL;
  RefmountCtlAgent  *agent;
  gboolean           reloaded;
  int                status = 0;

  if (!refmountctl_parse_options (ctl, command, NULL, &argc, &argv, &status) ||
      !refmountctl_check_arguments (ctl, argc, argv, 0, 0, "", &status))
    return status;
  if ((status = refmountctl_connect_or_fail (ctl)) != 0)
    return status;
  if (!refmountctl_open (ctl, REFMOUNT_CLIENT_FLAGS_DO_NOT_FOLLOW, &error))
    return refmountctl_fail (ctl, error);
  agent = refmountctl_call_begin (ctl, TRUE);
  reloaded = refmount_client_reload_sync (ctl->client, NULL, &error);
  refmountctl_agent_stop (agent);
  if (!reloaded)
    return refmountctl_fail (ctl, error);
  return REFMOUNTCTL_EXIT_OK;
}
