/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * refmountctl list, show, status, monitor and reload: the commands that
 * read refmountd's state (and reload, which changes only its
 * configuration).
 */
#include "config.h"

#include <stdio.h>

#include "refmount-names.h"
#include "refmountctl.h"

/* What list and status start with: no argument, a connection, the
 * object manager.  NULL with *@status set (0 after --help) otherwise. */
static GDBusObjectManager *
open_without_arguments (RefmountCtl              *ctl,
                        const RefmountCtlCommand *command,
                        int                       argc,
                        char                    **argv,
                        int                      *status)
{
  g_autoptr (GError)  error = NULL;
  GDBusObjectManager *manager;

  if (!refmountctl_parse_options (ctl, command, NULL, &argc, &argv, status) ||
      !refmountctl_check_arguments (ctl, argc, argv, 0, 0, "", status))
    return NULL;
  if ((*status = refmountctl_connect_or_fail (ctl)) != 0)
    return NULL;
  manager = refmountctl_object_manager_new (ctl, &error);
  if (manager == NULL)
    *status = refmountctl_fail (ctl, error);
  return manager;
}

int
refmountctl_cmd_list (RefmountCtl              *ctl,
                      const RefmountCtlCommand *command,
                      int                       argc,
                      char                    **argv)
{
  g_autoptr (GDBusObjectManager) manager = NULL;
  g_autoptr (GPtrArray)          mounts = NULL;
  int                            status = 0;

  manager = open_without_arguments (ctl, command, argc, argv, &status);
  if (manager == NULL)
    return status;
  mounts = refmountctl_collect_mounts (manager);
  refmountctl_print_list (mounts, refmountctl_output (ctl, TRUE), !ctl->no_legend);
  return REFMOUNTCTL_EXIT_OK;
}

int
refmountctl_cmd_show (RefmountCtl              *ctl,
                      const RefmountCtlCommand *command,
                      int                       argc,
                      char                    **argv)
{
  g_autofree char              *fstype = NULL;
  g_autoptr (RefmountDBusMount) mount = NULL;
  g_autoptr (GError)            error = NULL;
  int                           status = 0;

  const GOptionEntry entries[] = {
    { "type", 't', 0, G_OPTION_ARG_STRING, &fstype,
      "Only mounts of this filesystem type (the argument is then a SOURCE)", "FSTYPE" },
    { NULL }
  };

  if (!refmountctl_parse_options (ctl, command, entries, &argc, &argv, &status) ||
      !refmountctl_check_arguments (ctl, argc, argv, 1, 1, "MOUNTPOINT or SOURCE", &status))
    return status;
  if (argv[1][0] == '\0')
    return refmountctl_usage_error (ctl, "MOUNTPOINT or SOURCE must not be empty");
  if ((status = refmountctl_connect_or_fail (ctl)) != 0)
    return status;
  mount = refmountctl_resolve (ctl, fstype, argv[1], &error);
  if (mount == NULL)
    return refmountctl_fail (ctl, error);
  refmountctl_print_show (mount, refmountctl_output (ctl, TRUE));
  return REFMOUNTCTL_EXIT_OK;
}

int
refmountctl_cmd_status (RefmountCtl              *ctl,
                        const RefmountCtlCommand *command,
                        int                       argc,
                        char                    **argv)
{
  g_autoptr (GDBusObjectManager)  manager = NULL;
  g_autoptr (RefmountDBusManager) refmount_manager = NULL;
  g_autoptr (GPtrArray)           mounts = NULL;
  g_autoptr (GError)              error = NULL;
  int                             status = 0;

  manager = open_without_arguments (ctl, command, argc, argv, &status);
  if (manager == NULL)
    return status;
  refmount_manager = refmountctl_find_manager (manager);
  if (refmount_manager == NULL)
    {
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "refmountd exports no %s object at %s", REFMOUNT_MANAGER_INTERFACE,
                   REFMOUNT_MANAGER_PATH);
      return refmountctl_fail (ctl, error);
    }
  mounts = refmountctl_collect_mounts (manager);
  refmountctl_print_status (refmount_manager, mounts, refmountctl_output (ctl, TRUE),
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
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError)   error = NULL;
  int                  status = 0;

  if (!refmountctl_parse_options (ctl, command, NULL, &argc, &argv, &status) ||
      !refmountctl_check_arguments (ctl, argc, argv, 0, 0, "", &status))
    return status;
  if ((status = refmountctl_connect_or_fail (ctl)) != 0)
    return status;
  reply = refmountctl_call_manager (ctl, "Reload", g_variant_new ("()"), G_VARIANT_TYPE ("()"),
                                    TRUE, &error);
  if (reply == NULL)
    return refmountctl_fail (ctl, error);
  return REFMOUNTCTL_EXIT_OK;
}
