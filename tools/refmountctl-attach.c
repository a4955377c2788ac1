/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * refmountctl mount and unmount: the commands that change attachments,
 * and what they report about it.
 */
#include "config.h"

#include <glib-unix.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "refmountctl.h"

static char *
default_attachment (void)
{
  return g_strdup_printf ("refmountctl:%u", (guint) getuid ());
}

/* ---- mount --release-on-exit ------------------------------------------- */

typedef struct
{
  GMainLoop *loop;
  gboolean   lost_bus;
} Hold;

static gboolean
hold_until_signal (gpointer user_data)
{
  Hold *hold = user_data;

  g_main_loop_quit (hold->loop);
  return G_SOURCE_CONTINUE;
}

static void
hold_bus_closed (GDBusConnection *connection,
                 gboolean         remote_peer_vanished,
                 GError          *error,
                 gpointer         user_data)
{
  Hold *hold = user_data;

  hold->lost_bus = TRUE;
  g_main_loop_quit (hold->loop);
}

/* --release-on-exit: the attachment lives as long as our bus connection,
 * so keep it (and the process) until we are told to stop. */
static int
hold_attachment (RefmountCtl *ctl)
{
  Hold   hold = { g_main_loop_new (NULL, FALSE), FALSE };
  guint  ids[3];
  gulong closed_id;

  ids[0] = g_unix_signal_add (SIGINT, hold_until_signal, &hold);
  ids[1] = g_unix_signal_add (SIGTERM, hold_until_signal, &hold);
  ids[2] = g_unix_signal_add (SIGHUP, hold_until_signal, &hold);
  closed_id = g_signal_connect (ctl->connection, "closed", G_CALLBACK (hold_bus_closed), &hold);
  g_main_loop_run (hold.loop);
  g_signal_handler_disconnect (ctl->connection, closed_id);
  for (gsize i = 0; i < G_N_ELEMENTS (ids); i++)
    g_source_remove (ids[i]);
  g_main_loop_unref (hold.loop);
  if (hold.lost_bus)
    {
      g_autoptr (GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED,
                                                      "lost the connection to the system bus; "
                                                      "refmountd releases the attachment");

      return refmountctl_fail (ctl, error);
    }
  return REFMOUNTCTL_EXIT_OK;
}

/* ---- mount ------------------------------------------------------------- */

/* What a Mount call did.  Its reply does not say, so the mount object is
 * read afterwards: a MountedAt or an attach time from before the call means
 * the filesystem, or the attachment, was there already. */
typedef enum
{
  MOUNT_ACTION_UNKNOWN, /* released again before we could look */
  MOUNT_ACTION_MOUNTED,
  MOUNT_ACTION_ATTACHED,
  MOUNT_ACTION_ALREADY_ATTACHED,
} MountAction;

static const char *const mount_action_names[] = { "unknown", "mounted", "attached",
                                                  "already-attached" };

static MountAction
mount_action (RefmountMount *mount,
              const char    *attachment,
              gint64         called_at)
{
  RefmountAttachment *ours;

  if (mount == NULL)
    return MOUNT_ACTION_UNKNOWN;
  ours = refmount_mount_lookup_attachment (mount, attachment);
  if (ours != NULL && refmount_attachment_get_time (ours) < called_at)
    return MOUNT_ACTION_ALREADY_ATTACHED;
  if (refmount_mount_get_mounted_at (mount) >= (guint64) called_at)
    return MOUNT_ACTION_MOUNTED;
  return MOUNT_ACTION_ATTACHED;
}

static void
report_mount (RefmountCtl   *ctl,
              RefmountMount *mount,
              const char    *mountpoint,
              const char    *attachment,
              MountAction    action)
{
  guint n = mount != NULL ? refmountctl_attachment_count (mount) : 0;
  /* Released again before it could be read: the path is unknown too. */
  const char *object_path = mount != NULL ? refmount_mount_get_object_path (mount) : "";

  if (ctl->json != REFMOUNTCTL_JSON_OFF)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode)    root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "mountpoint");
      json_builder_add_string_value (builder, mountpoint);
      json_builder_set_member_name (builder, "object_path");
      json_builder_add_string_value (builder, object_path);
      json_builder_set_member_name (builder, "attachment");
      json_builder_add_string_value (builder, attachment);
      json_builder_set_member_name (builder, "action");
      json_builder_add_string_value (builder, mount_action_names[action]);
      json_builder_set_member_name (builder, "attachments");
      json_builder_add_int_value (builder, n);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      refmountctl_print_json (root, refmountctl_output (ctl, TRUE) ==
                                      REFMOUNTCTL_OUTPUT_JSON_PRETTY);
      return;
    }

  /* stdout is the mountpoint alone, for MP=$(refmountctl mount ...); the
   * account of what happened goes to stderr, as systemd-run's does. */
  printf ("%s\n", mountpoint);
  fflush (stdout);
  if (ctl->quiet)
    return;
  switch (action)
    {
    case MOUNT_ACTION_MOUNTED:
      fprintf (stderr, "Mounted %s at %s; attachment %s.\n",
               refmount_mount_get_source (mount), mountpoint, attachment);
      break;
    case MOUNT_ACTION_ATTACHED:
      fprintf (stderr, "Attached %s to %s, which was already mounted; %u attachment%s now.\n",
               attachment, mountpoint, n, n == 1 ? "" : "s");
      break;
    case MOUNT_ACTION_ALREADY_ATTACHED:
      fprintf (stderr, "Attachment %s was already attached to %s; nothing changed.\n",
               attachment, mountpoint);
      break;
    case MOUNT_ACTION_UNKNOWN:
      break;
    }
}

/* After InvalidArgument: if an option is not among the type's
 * AllowedOptions (or the type is not allowed), say what is, from the
 * Manager's FilesystemTypes; NULL when that is not the problem. */
static char *
allowed_options_hint (RefmountCtl       *ctl,
                      const char        *fstype,
                      const char *const *options)
{
  /* The calls-only client does not read the Manager's properties. */
  g_autoptr (RefmountClient) client = refmountctl_client_new (ctl, REFMOUNT_CLIENT_FLAGS_NONE, NULL);
  g_auto (GStrv) types = NULL;
  g_auto (GStrv) allowed = NULL;

  if (client == NULL)
    return NULL;
  types = refmount_client_dup_supported_filesystems (client);
  if (types != NULL && !g_strv_contains ((const char *const *) types, fstype))
    {
      g_autofree char *list = g_strjoinv (", ", types);

      return g_strdup_printf ("Filesystem types refmountd allows: %s.", list);
    }
  allowed = refmount_client_dup_allowed_options (client, fstype);
  if (allowed == NULL)
    return NULL;
  for (gsize i = 0; options[i] != NULL; i++)
    {
      g_autofree char *name = g_strndup (options[i], strcspn (options[i], "="));

      if (!g_strv_contains ((const char *const *) allowed, name))
        {
          g_autofree char *list = g_strjoinv (", ", allowed);

          if (allowed[0] == NULL)
            return g_strdup_printf ("refmountd allows no options for %s.", fstype);
          return g_strdup_printf ("Options allowed for %s: %s (see refmountctl status).", fstype,
                                  list);
        }
    }
  return NULL;
}

int
refmountctl_cmd_mount (RefmountCtl              *ctl,
                       const RefmountCtlCommand *command,
                       int                       argc,
                       char                    **argv)
{
  g_autofree char *fstype = NULL;
  g_auto (GStrv) option_args = NULL;
  g_autofree char          *attachment = NULL;
  gboolean                  release_on_exit = FALSE;
  gboolean                  owner = FALSE;
  gboolean                  show = FALSE;
  g_autoptr (GPtrArray)     options = g_ptr_array_new_with_free_func (g_free);
  g_autofree char          *mountpoint = NULL;
  g_autofree char          *mountpoint_out = NULL;
  g_autoptr (GError)        error = NULL;
  g_autoptr (RefmountMount) mount = NULL;
  RefmountMountFlags        flags = REFMOUNT_MOUNT_FLAGS_NONE;
  RefmountCtlAgent         *agent;
  gint64                    called_at;
  int                       status = 0;

  const GOptionEntry entries[] = {
    { "type", 't', 0, G_OPTION_ARG_STRING, &fstype, "Filesystem type (required)", "FSTYPE" },
    { "options", 'o', 0, G_OPTION_ARG_STRING_ARRAY, &option_args,
      "Mount options, comma-separated; may be repeated", "OPT[,OPT…]" },
    { "attachment", 0, 0, G_OPTION_ARG_STRING, &attachment,
      "Attachment id (default refmountctl:UID)", "ID" },
    { "release-on-exit", 0, 0, G_OPTION_ARG_NONE, &release_on_exit,
      "Hold the attachment only while refmountctl runs (until SIGINT/SIGTERM/SIGHUP)", NULL },
    { "owner", 0, 0, G_OPTION_ARG_NONE, &owner,
      "Mount it as your own: your uid and gid, private (tmpfs, cifs, smb3, fuse.sshfs)", NULL },
    { "show", 0, 0, G_OPTION_ARG_NONE, &show,
      "Show it in file managers (the default with --owner)", NULL },
    { NULL }
  };

  if (!refmountctl_parse_options (ctl, command, entries, &argc, &argv, &status) ||
      !refmountctl_check_arguments (ctl, argc, argv, 1, 2, "SOURCE [MOUNTPOINT]", &status))
    return status;
  if (fstype == NULL || fstype[0] == '\0')
    return refmountctl_usage_error (
      ctl, "missing -t FSTYPE (the filesystem type, e.g. nfs, cifs, tmpfs)");
  for (gsize i = 0; option_args != NULL && option_args[i] != NULL; i++)
    {
      g_auto (GStrv) split = g_strsplit (option_args[i], ",", -1);

      for (gsize j = 0; split[j] != NULL; j++)
        {
          if (split[j][0] == '\0')
            return refmountctl_usage_error (ctl, "empty mount option in -o '%s'",
                                            option_args[i]);
          g_ptr_array_add (options, g_strdup (split[j]));
        }
    }
  g_ptr_array_add (options, NULL);
  if (attachment == NULL)
    attachment = default_attachment ();
  mountpoint = refmountctl_normalise_mountpoint (argc > 2 ? argv[2] : "");

  if ((status = refmountctl_connect_or_fail (ctl)) != 0)
    return status;
  /* Calls only: a Mount starts refmountd through D-Bus activation. */
  if (!refmountctl_open (ctl, REFMOUNT_CLIENT_FLAGS_DO_NOT_FOLLOW, &error))
    return refmountctl_fail (ctl, error);
  if (release_on_exit)
    flags |= REFMOUNT_MOUNT_FLAGS_RELEASE_ON_EXIT;
  if (owner)
    flags |= REFMOUNT_MOUNT_FLAGS_OWNER;
  if (show)
    flags |= REFMOUNT_MOUNT_FLAGS_SHOW;
  called_at = g_get_real_time ();
  agent = refmountctl_call_begin (ctl, TRUE);
  mountpoint_out = refmount_client_mount_sync (ctl->client, fstype, argv[1], mountpoint,
                                               (const char *const *) options->pdata, attachment, flags, NULL,
                                               &error);
  refmountctl_agent_stop (agent);
  if (mountpoint_out == NULL)
    {
      g_autofree char *hint = NULL;

      if (g_error_matches (error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT))
        hint = allowed_options_hint (ctl, fstype, (const char *const *) options->pdata);
      return refmountctl_fail_with_hint (ctl, error, hint);
    }
  refmount_client_set_interactive (ctl->client, FALSE);
  mount = refmount_client_get_mount_sync (ctl->client, mountpoint_out, NULL, NULL);
  report_mount (ctl, mount, mountpoint_out, attachment,
                mount_action (mount, attachment, called_at));
  if (release_on_exit)
    return hold_attachment (ctl);
  return REFMOUNTCTL_EXIT_OK;
}

/* ---- unmount ----------------------------------------------------------- */

static void
report_unmount (RefmountCtl *ctl,
                const char  *mountpoint,
                const char  *attachment,
                gboolean     unmounted)
{
  g_autoptr (RefmountClient) calls = NULL;
  g_autoptr (RefmountMount)  mount = NULL;
  const char                *state = "unmounted";
  guint                      n = 0;

  if (!unmounted)
    {
      /* Read afresh: the following client's copy may not have seen the
       * change yet.  NULL: someone else released the rest meanwhile. */
      calls = refmountctl_client_new (ctl, REFMOUNT_CLIENT_FLAGS_DO_NOT_FOLLOW, NULL);
      mount = calls != NULL ? refmount_client_get_mount_sync (calls, mountpoint, NULL, NULL) : NULL;
      state = mount != NULL ? refmountctl_state_name (refmount_mount_get_state (mount)) : "unmanaged";
      n = mount != NULL ? refmountctl_attachment_count (mount) : 0;
    }

  if (ctl->json != REFMOUNTCTL_JSON_OFF)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode)    root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "mountpoint");
      json_builder_add_string_value (builder, mountpoint);
      json_builder_set_member_name (builder, "attachment");
      json_builder_add_string_value (builder, attachment);
      json_builder_set_member_name (builder, "unmounted");
      json_builder_add_boolean_value (builder, unmounted);
      json_builder_set_member_name (builder, "state");
      json_builder_add_string_value (builder, state != NULL ? state : "");
      json_builder_set_member_name (builder, "attachments");
      json_builder_add_int_value (builder, n);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      refmountctl_print_json (root, refmountctl_output (ctl, TRUE) ==
                                      REFMOUNTCTL_OUTPUT_JSON_PRETTY);
      return;
    }
  if (ctl->quiet)
    return;
  if (unmounted)
    printf ("Released attachment %s; %s is unmounted.\n", attachment, mountpoint);
  else if (mount == NULL)
    printf ("Released attachment %s; %s is no longer managed.\n", attachment, mountpoint);
  else if (n > 0)
    printf ("Released attachment %s; %s is still mounted, held by %u attachment%s.\n", attachment,
            mountpoint, n, n == 1 ? "" : "s");
  else
    printf ("Released attachment %s; %s is %s: its unmount is deferred and retried.\n", attachment,
            mountpoint, state);
}

int
refmountctl_cmd_unmount (RefmountCtl              *ctl,
                         const RefmountCtlCommand *command,
                         int                       argc,
                         char                    **argv)
{
  g_autofree char          *attachment = NULL;
  g_autofree char          *fstype = NULL;
  gboolean                  force = FALSE, lazy = FALSE, unmounted = FALSE;
  g_autofree char          *mountpoint = NULL;
  g_autoptr (RefmountMount) mount = NULL;
  g_autoptr (GError)        error = NULL;
  RefmountMountFlags        flags = REFMOUNT_MOUNT_FLAGS_NONE;
  RefmountCtlAgent         *agent;
  gboolean                  released;
  int                       status = 0;

  const GOptionEntry entries[] = {
    { "attachment", 0, 0, G_OPTION_ARG_STRING, &attachment,
      "Attachment id to release (default refmountctl:UID)", "ID" },
    { "force", 0, 0, G_OPTION_ARG_NONE, &force,
      "Force the unmount (MNT_FORCE; needs org.refmount.manage)", NULL },
    { "lazy", 0, 0, G_OPTION_ARG_NONE, &lazy,
      "Detach lazily (MNT_DETACH; needs org.refmount.manage)", NULL },
    { "type", 't', 0, G_OPTION_ARG_STRING, &fstype,
      "Only mounts of this filesystem type (the argument is then a SOURCE)", "FSTYPE" },
    { NULL }
  };

  if (!refmountctl_parse_options (ctl, command, entries, &argc, &argv, &status) ||
      !refmountctl_check_arguments (ctl, argc, argv, 1, 1, "MOUNTPOINT or SOURCE", &status))
    return status;
  if (force && lazy)
    return refmountctl_usage_error (ctl, "--force and --lazy exclude each other");
  if (argv[1][0] == '\0')
    return refmountctl_usage_error (ctl, "MOUNTPOINT or SOURCE must not be empty");
  if (attachment == NULL)
    attachment = default_attachment ();

  if ((status = refmountctl_connect_or_fail (ctl)) != 0)
    return status;
  mount = refmountctl_resolve (ctl, fstype, argv[1], &error);
  if (mount == NULL)
    return refmountctl_fail (ctl, error);
  mountpoint = g_strdup (refmount_mount_get_mountpoint (mount));
  if (force)
    flags |= REFMOUNT_MOUNT_FLAGS_FORCE;
  if (lazy)
    flags |= REFMOUNT_MOUNT_FLAGS_LAZY;
  agent = refmountctl_call_begin (ctl, TRUE);
  released = refmount_client_unmount_sync (ctl->client, mountpoint, attachment, flags, &unmounted, NULL, &error);
  refmountctl_agent_stop (agent);
  if (!released)
    return refmountctl_fail (ctl, error);
  report_unmount (ctl, mountpoint, attachment, unmounted);
  return REFMOUNTCTL_EXIT_OK;
}
