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
  g_autofree char              *fstype = NULL;
  g_autoptr (RefmountDBusMount) mount = NULL;
  g_autoptr (GVariant)          reply = NULL;
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
  reply = refmountctl_call_manager (ctl, "Recover",
                                    g_variant_new ("(s@a{sv})", refmount_dbus_mount_get_mountpoint (mount),
                                                   g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0)),
                                    G_VARIANT_TYPE ("()"), TRUE, &error);
  if (reply == NULL)
    return refmountctl_fail (ctl, error);
  return REFMOUNTCTL_EXIT_OK;
}
