/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * refmountctl: command-line client of refmountd.  Option parsing, command
 * dispatch and the commands themselves; see doc/refmountctl.1.scd.
 */
#include "config.h"

#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "refmount-names.h"
#include "refmountctl.h"

typedef struct Command Command;

struct Command
{
  const char *name;
  const char *synopsis;   /* for refmountctl --help */
  const char *parameters; /* for refmountctl COMMAND --help */
  const char *summary;
  int (*run) (RefmountCtl   *ctl,
              const Command *command,
              int            argc,
              char         **argv);
};

static gboolean opt_no_ask_password = FALSE;

static const GOptionEntry common_entries[] = {
  { "no-ask-password", 0, 0, G_OPTION_ARG_NONE, &opt_no_ask_password,
    "Do not ask for a password (no polkit agent, no interactive authorization)", NULL },
  { NULL }
};

static int
usage_error (RefmountCtl *ctl,
             const char  *format,
             ...) G_GNUC_PRINTF (2, 3);

static int
usage_error (RefmountCtl *ctl,
             const char  *format,
             ...)
{
  g_autofree char *message = NULL;
  va_list          args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (ctl->command != NULL)
    fprintf (stderr, "refmountctl %s: %s\nTry 'refmountctl %s --help' for more information.\n",
             ctl->command, message, ctl->command);
  else
    fprintf (stderr, "refmountctl: %s\nTry 'refmountctl --help' for more information.\n", message);
  return REFMOUNTCTL_EXIT_USAGE;
}

/* Parse a command's options; on success argc and argv hold the command name
 * followed by the positional arguments. */
static gboolean
parse_options (RefmountCtl        *ctl,
               const Command      *command,
               const GOptionEntry *entries,
               int                *argc,
               char             ***argv,
               int                *status)
{
  g_autoptr (GOptionContext) context = g_option_context_new (command->parameters);
  g_autoptr (GError)         error = NULL;

  g_option_context_set_summary (context, command->summary);
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_main_entries (context, common_entries, NULL);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      *status = usage_error (ctl, "%s", error->message);
      return FALSE;
    }
  ctl->no_ask_password = ctl->no_ask_password || opt_no_ask_password;
  return TRUE;
}

static gboolean
check_arguments (RefmountCtl *ctl,
                 int          argc,
                 char       **argv,
                 int          min,
                 int          max,
                 int         *status)
{
  if (argc - 1 < min)
    {
      *status = usage_error (ctl, "missing argument (expected %s)",
                             min == 1 && max == 1 ? "MOUNTPOINT" : "SOURCE [MOUNTPOINT]");
      return FALSE;
    }
  if (argc - 1 > max)
    {
      *status = usage_error (ctl, "unexpected argument '%s'", argv[max + 1]);
      return FALSE;
    }
  return TRUE;
}

/* Mountpoints may be given relative to the current directory or with a
 * trailing slash (as shell completion leaves it); the daemon wants them
 * absolute and normalised.  Symlinks are not resolved: the daemon refuses
 * them anyway. */
static char *
normalise_mountpoint (const char *arg)
{
  return arg[0] != '\0' ? g_canonicalize_filename (arg, NULL) : g_strdup ("");
}

static char *
default_attachment (void)
{
  return g_strdup_printf ("refmountctl:%u", (guint) getuid ());
}

static int
connect_or_fail (RefmountCtl *ctl)
{
  g_autoptr (GError) error = NULL;

  if (!refmountctl_connect (ctl, &error))
    return refmountctl_fail (ctl, error);
  return REFMOUNTCTL_EXIT_OK;
}

/* ---- mount ------------------------------------------------------------- */

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
      fprintf (stderr, "refmountctl mount: lost the connection to the system bus; "
                       "refmountd releases the attachment\n");
      return REFMOUNTCTL_EXIT_ERROR;
    }
  return REFMOUNTCTL_EXIT_OK;
}

static int
cmd_mount (RefmountCtl   *ctl,
           const Command *command,
           int            argc,
           char         **argv)
{
  g_autofree char *fstype = NULL;
  g_auto (GStrv) option_args = NULL;
  g_autofree char      *attachment = NULL;
  gboolean              release_on_exit = FALSE;
  g_autoptr (GPtrArray) options = g_ptr_array_new_with_free_func (g_free);
  g_autofree char      *mountpoint = NULL;
  g_autoptr (GVariant)  reply = NULL;
  g_autoptr (GError)    error = NULL;
  GVariantBuilder       flags;
  const char           *mountpoint_out = NULL;
  int                   status = 0;

  const GOptionEntry entries[] = {
    { "type", 't', 0, G_OPTION_ARG_STRING, &fstype, "Filesystem type (required)", "FSTYPE" },
    { "options", 'o', 0, G_OPTION_ARG_STRING_ARRAY, &option_args,
      "Mount options, comma-separated; may be repeated", "OPT[,OPT…]" },
    { "attachment", 0, 0, G_OPTION_ARG_STRING, &attachment,
      "Attachment id (default refmountctl:UID)", "ID" },
    { "release-on-exit", 0, 0, G_OPTION_ARG_NONE, &release_on_exit,
      "Hold the attachment only while refmountctl runs (until SIGINT/SIGTERM/SIGHUP)", NULL },
    { NULL }
  };

  if (!parse_options (ctl, command, entries, &argc, &argv, &status) ||
      !check_arguments (ctl, argc, argv, 1, 2, &status))
    return status;
  if (fstype == NULL || fstype[0] == '\0')
    return usage_error (ctl, "missing -t FSTYPE (the filesystem type, e.g. nfs, cifs, tmpfs)");
  for (gsize i = 0; option_args != NULL && option_args[i] != NULL; i++)
    {
      g_auto (GStrv) split = g_strsplit (option_args[i], ",", -1);

      for (gsize j = 0; split[j] != NULL; j++)
        {
          if (split[j][0] == '\0')
            return usage_error (ctl, "empty mount option in -o '%s'", option_args[i]);
          g_ptr_array_add (options, g_strdup (split[j]));
        }
    }
  g_ptr_array_add (options, NULL);
  if (attachment == NULL)
    attachment = default_attachment ();
  mountpoint = normalise_mountpoint (argc > 2 ? argv[2] : "");

  if ((status = connect_or_fail (ctl)) != 0)
    return status;
  g_variant_builder_init (&flags, G_VARIANT_TYPE_VARDICT);
  if (release_on_exit)
    g_variant_builder_add (&flags, "{sv}", REFMOUNT_FLAG_RELEASE_ON_EXIT,
                           g_variant_new_boolean (TRUE));
  reply = refmountctl_call_manager (ctl, "Mount",
                                    g_variant_new ("(sss^assa{sv})", fstype, argv[1], mountpoint,
                                                   (char **) options->pdata, attachment, &flags),
                                    G_VARIANT_TYPE ("(os)"), TRUE, &error);
  if (reply == NULL)
    return refmountctl_fail (ctl, error);
  g_variant_get (reply, "(&o&s)", NULL, &mountpoint_out);
  printf ("%s\n", mountpoint_out);
  fflush (stdout);
  if (release_on_exit)
    return hold_attachment (ctl);
  return REFMOUNTCTL_EXIT_OK;
}

/* ---- unmount ----------------------------------------------------------- */

static void
report_still_held (RefmountCtl *ctl,
                   const char  *mountpoint,
                   const char  *attachment)
{
  g_autoptr (RefmountMount) mount = NULL;
  g_autoptr (GError)        error = NULL;
  guint                     n;

  mount = refmountctl_mount_proxy_for (ctl, mountpoint, &error);
  if (mount == NULL)
    {
      /* Someone else released the rest in the meantime. */
      printf ("Released attachment %s; %s is no longer managed.\n", attachment, mountpoint);
      return;
    }
  n = refmountctl_attachment_count (mount);
  if (n > 0)
    printf ("Released attachment %s; %s is still mounted, held by %u attachment%s.\n", attachment,
            mountpoint, n, n == 1 ? "" : "s");
  else
    printf ("Released attachment %s; %s is %s: its unmount is deferred and retried.\n", attachment,
            mountpoint, refmount_mount_get_state (mount));
}

static int
cmd_unmount (RefmountCtl   *ctl,
             const Command *command,
             int            argc,
             char         **argv)
{
  g_autofree char     *attachment = NULL;
  gboolean             force = FALSE, lazy = FALSE, unmounted = FALSE;
  g_autofree char     *mountpoint = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError)   error = NULL;
  GVariantBuilder      flags;
  int                  status = 0;

  const GOptionEntry entries[] = {
    { "attachment", 0, 0, G_OPTION_ARG_STRING, &attachment,
      "Attachment id to release (default refmountctl:UID)", "ID" },
    { "force", 0, 0, G_OPTION_ARG_NONE, &force,
      "Force the unmount (MNT_FORCE; needs org.refmount.manage)", NULL },
    { "lazy", 0, 0, G_OPTION_ARG_NONE, &lazy,
      "Detach lazily (MNT_DETACH; needs org.refmount.manage)", NULL },
    { NULL }
  };

  if (!parse_options (ctl, command, entries, &argc, &argv, &status) ||
      !check_arguments (ctl, argc, argv, 1, 1, &status))
    return status;
  if (force && lazy)
    return usage_error (ctl, "--force and --lazy exclude each other");
  if (argv[1][0] == '\0')
    return usage_error (ctl, "MOUNTPOINT must not be empty");
  if (attachment == NULL)
    attachment = default_attachment ();
  mountpoint = normalise_mountpoint (argv[1]);

  if ((status = connect_or_fail (ctl)) != 0)
    return status;
  g_variant_builder_init (&flags, G_VARIANT_TYPE_VARDICT);
  if (force)
    g_variant_builder_add (&flags, "{sv}", REFMOUNT_FLAG_FORCE, g_variant_new_boolean (TRUE));
  if (lazy)
    g_variant_builder_add (&flags, "{sv}", REFMOUNT_FLAG_LAZY, g_variant_new_boolean (TRUE));
  reply = refmountctl_call_manager (ctl, "Unmount",
                                    g_variant_new ("(ssa{sv})", mountpoint, attachment, &flags),
                                    G_VARIANT_TYPE ("(b)"), TRUE, &error);
  if (reply == NULL)
    return refmountctl_fail (ctl, error);
  g_variant_get (reply, "(b)", &unmounted);
  if (unmounted)
    printf ("Released attachment %s; %s is unmounted.\n", attachment, mountpoint);
  else
    report_still_held (ctl, mountpoint, attachment);
  return REFMOUNTCTL_EXIT_OK;
}

/* ---- list, show, status, monitor, reload ------------------------------- */

static int
cmd_list (RefmountCtl   *ctl,
          const Command *command,
          int            argc,
          char         **argv)
{
  gboolean                       json = FALSE, no_legend = FALSE;
  g_autoptr (GDBusObjectManager) manager = NULL;
  g_autoptr (GPtrArray)          mounts = NULL;
  g_autoptr (GError)             error = NULL;
  int                            status = 0;

  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { "no-legend", 0, 0, G_OPTION_ARG_NONE, &no_legend, "No header and footer", NULL },
    { NULL }
  };

  if (!parse_options (ctl, command, entries, &argc, &argv, &status) ||
      !check_arguments (ctl, argc, argv, 0, 0, &status))
    return status;
  if ((status = connect_or_fail (ctl)) != 0)
    return status;
  manager = refmountctl_object_manager_new (ctl, &error);
  if (manager == NULL)
    return refmountctl_fail (ctl, error);
  mounts = refmountctl_collect_mounts (manager);
  refmountctl_print_list (mounts, json ? REFMOUNTCTL_OUTPUT_JSON : REFMOUNTCTL_OUTPUT_TABLE,
                          !no_legend);
  return REFMOUNTCTL_EXIT_OK;
}

static int
cmd_show (RefmountCtl   *ctl,
          const Command *command,
          int            argc,
          char         **argv)
{
  gboolean                  json = FALSE;
  g_autofree char          *mountpoint = NULL;
  g_autoptr (RefmountMount) mount = NULL;
  g_autoptr (GError)        error = NULL;
  int                       status = 0;

  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { NULL }
  };

  if (!parse_options (ctl, command, entries, &argc, &argv, &status) ||
      !check_arguments (ctl, argc, argv, 1, 1, &status))
    return status;
  if (argv[1][0] == '\0')
    return usage_error (ctl, "MOUNTPOINT must not be empty");
  mountpoint = normalise_mountpoint (argv[1]);
  if ((status = connect_or_fail (ctl)) != 0)
    return status;
  mount = refmountctl_mount_proxy_for (ctl, mountpoint, &error);
  if (mount == NULL)
    return refmountctl_fail (ctl, error);
  refmountctl_print_show (mount, json ? REFMOUNTCTL_OUTPUT_JSON : REFMOUNTCTL_OUTPUT_TABLE);
  return REFMOUNTCTL_EXIT_OK;
}

static int
cmd_status (RefmountCtl   *ctl,
            const Command *command,
            int            argc,
            char         **argv)
{
  gboolean                       json = FALSE;
  g_autoptr (GDBusObjectManager) manager = NULL;
  g_autoptr (RefmountManager)    refmount_manager = NULL;
  g_autoptr (GPtrArray)          mounts = NULL;
  g_autoptr (GError)             error = NULL;
  int                            status = 0;

  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { NULL }
  };

  if (!parse_options (ctl, command, entries, &argc, &argv, &status) ||
      !check_arguments (ctl, argc, argv, 0, 0, &status))
    return status;
  if ((status = connect_or_fail (ctl)) != 0)
    return status;
  manager = refmountctl_object_manager_new (ctl, &error);
  if (manager == NULL)
    return refmountctl_fail (ctl, error);
  refmount_manager = refmountctl_find_manager (manager);
  if (refmount_manager == NULL)
    {
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "refmountd exports no %s object at %s", REFMOUNT_MANAGER_INTERFACE,
                   REFMOUNT_MANAGER_PATH);
      return refmountctl_fail (ctl, error);
    }
  mounts = refmountctl_collect_mounts (manager);
  refmountctl_print_status (refmount_manager, mounts,
                            json ? REFMOUNTCTL_OUTPUT_JSON : REFMOUNTCTL_OUTPUT_TABLE);
  return REFMOUNTCTL_EXIT_OK;
}

static int
cmd_monitor (RefmountCtl   *ctl,
             const Command *command,
             int            argc,
             char         **argv)
{
  gboolean json = FALSE;
  int      status = 0;

  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON object per event and line", NULL },
    { NULL }
  };

  if (!parse_options (ctl, command, entries, &argc, &argv, &status) ||
      !check_arguments (ctl, argc, argv, 0, 0, &status))
    return status;
  if ((status = connect_or_fail (ctl)) != 0)
    return status;
  return refmountctl_monitor (ctl, json ? REFMOUNTCTL_OUTPUT_JSON : REFMOUNTCTL_OUTPUT_TABLE);
}

static int
cmd_reload (RefmountCtl   *ctl,
            const Command *command,
            int            argc,
            char         **argv)
{
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError)   error = NULL;
  int                  status = 0;

  if (!parse_options (ctl, command, NULL, &argc, &argv, &status) ||
      !check_arguments (ctl, argc, argv, 0, 0, &status))
    return status;
  if ((status = connect_or_fail (ctl)) != 0)
    return status;
  reply = refmountctl_call_manager (ctl, "Reload", g_variant_new ("()"), G_VARIANT_TYPE ("()"),
                                    TRUE, &error);
  if (reply == NULL)
    return refmountctl_fail (ctl, error);
  return REFMOUNTCTL_EXIT_OK;
}

/* ---- dispatch ---------------------------------------------------------- */

static const Command commands[] = {
  { "mount",
    "-t FSTYPE [-o OPT[,OPT…]] [--attachment ID] [--release-on-exit] SOURCE [MOUNTPOINT]",
    "SOURCE [MOUNTPOINT]",
    "Attach to SOURCE (mount it if needed) and print the mountpoint.\n"
    "Without MOUNTPOINT refmountd derives one beneath its first mount root.",
    cmd_mount },
  { "unmount", "[--attachment ID] [--force|--lazy] MOUNTPOINT", "MOUNTPOINT",
    "Release an attachment; the last one unmounts the filesystem.", cmd_unmount },
  { "list", "[--json] [--no-legend]", "", "List the managed mountpoints.", cmd_list },
  { "show", "MOUNTPOINT [--json]", "MOUNTPOINT", "Show one managed mountpoint.", cmd_show },
  { "status", "[--json]", "",
    "Show refmountd's version, generation, mount roots, filesystems and counts.", cmd_status },
  { "monitor", "[--json]", "",
    "Print attach, detach and state changes until interrupted.", cmd_monitor },
  { "reload", "", "",
    "Make refmountd re-read its configuration (needs org.refmount.manage).", cmd_reload },
};

static void
print_usage (FILE *out)
{
  fprintf (out, "Usage: refmountctl [--no-ask-password] COMMAND [OPTION…] [ARGUMENT…]\n"
                "\n"
                "Control refmountd, the reference-counting mount service (%s).\n"
                "\n"
                "Commands:\n",
           REFMOUNT_BUS_NAME);
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *line = g_strdup_printf ("  %-8s %s", commands[i].name,
                                               commands[i].synopsis);
      gsize            length = strcspn (commands[i].summary, "\n");
      g_autofree char *summary = NULL;

      /* The first line, without its full stop. */
      if (length > 0 && commands[i].summary[length - 1] == '.')
        length--;
      summary = g_strndup (commands[i].summary, length);

      fprintf (out, "%s\n  %-8s   %s\n", g_strchomp (line), "", summary);
    }
  fprintf (out, "\n"
                "Options:\n"
                "  -h, --help           Show this help; COMMAND --help shows a command's options\n"
                "  --version            Show the version\n"
                "  --no-ask-password    Never ask for a password\n"
                "\n"
                "Exit status: 0 success, 1 the call failed, 2 usage error.  See refmountctl(1).\n");
}

int
main (int    argc,
      char **argv)
{
  RefmountCtl      ctl = { NULL, FALSE, NULL };
  g_autofree char *prgname = NULL;
  int              i, status;

  setlocale (LC_ALL, "");
  for (i = 1; i < argc && argv[i][0] == '-'; i++)
    {
      if (g_str_equal (argv[i], "--help") || g_str_equal (argv[i], "-h"))
        {
          print_usage (stdout);
          return REFMOUNTCTL_EXIT_OK;
        }
      else if (g_str_equal (argv[i], "--version"))
        {
          printf ("refmountctl %s\n", PACKAGE_VERSION);
          return REFMOUNTCTL_EXIT_OK;
        }
      else if (g_str_equal (argv[i], "--no-ask-password"))
        ctl.no_ask_password = TRUE;
      else
        return usage_error (&ctl, "unknown option '%s'", argv[i]);
    }
  if (i == argc)
    return usage_error (&ctl, "missing command (one of mount, unmount, list, show, status, "
                              "monitor, reload)");
  if (g_str_equal (argv[i], "help"))
    {
      print_usage (stdout);
      return REFMOUNTCTL_EXIT_OK;
    }

  for (gsize c = 0; c < G_N_ELEMENTS (commands); c++)
    {
      if (!g_str_equal (argv[i], commands[c].name))
        continue;
      ctl.command = commands[c].name;
      /* GOptionContext's usage line starts with the program name. */
      prgname = g_strdup_printf ("refmountctl %s", ctl.command);
      g_set_prgname (prgname);
      status = commands[c].run (&ctl, &commands[c], argc - i, argv + i);
      g_clear_object (&ctl.connection);
      return status;
    }
  return usage_error (&ctl, "unknown command '%s'", argv[i]);
}
