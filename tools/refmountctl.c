/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * refmountctl: command-line client of refmountd.  The top level and
 * command dispatch; see doc/refmountctl.1.scd.  The global options and
 * the parsing every command shares are in refmountctl-options.c.
 */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "refmount-error.h"
#include "refmountctl.h"

/* ---- dispatch ---------------------------------------------------------- */

static const RefmountCtlCommand commands[] = {
  { "mount",
    "-t FSTYPE [-o OPT[,OPT…]] [--attachment ID] [--release-on-exit] [--owner] [--show] SOURCE [MOUNTPOINT]",
    "SOURCE [MOUNTPOINT]",
    "Attach to SOURCE (mount it if needed) and print the mountpoint.\n"
    "Without MOUNTPOINT refmountd derives one beneath its first mount root.",
    refmountctl_cmd_mount },
  { "unmount", "[--attachment ID] [--force|--lazy] [-t FSTYPE] MOUNTPOINT|SOURCE",
    "MOUNTPOINT|SOURCE",
    "Release an attachment; the last one unmounts the filesystem.\n"
    "A SOURCE must name exactly one managed mount (-t narrows it down).",
    refmountctl_cmd_unmount },
  { "list", "[--no-legend]", "", "List the managed mountpoints.", refmountctl_cmd_list },
  { "show", "[-t FSTYPE] MOUNTPOINT|SOURCE", "MOUNTPOINT|SOURCE",
    "Show one managed mountpoint.", refmountctl_cmd_show },
  { "status", "[--no-legend]", "",
    "Show refmountd's version, generation, mount roots, filesystems and counts.",
    refmountctl_cmd_status },
  { "monitor", "", "",
    "Print attach, detach, state and health changes until interrupted.", refmountctl_cmd_monitor },
  { "recover", "[-t FSTYPE] MOUNTPOINT|SOURCE", "MOUNTPOINT|SOURCE",
    "Replace a dead mount (stale handle) by a fresh one, keeping its attachments\n"
    "(needs org.refmount.manage).",
    refmountctl_cmd_recover },
  { "reload", "", "",
    "Make refmountd re-read its configuration (needs org.refmount.manage).",
    refmountctl_cmd_reload },
};

/* Other names a command answers to, as umount(8) users type them. */
static const struct
{
  const char *alias;
  const char *name;
} aliases[] = {
  { "umount", "unmount" },
};

static const RefmountCtlCommand *
find_command (const char *name)
{
  for (gsize a = 0; a < G_N_ELEMENTS (aliases); a++)
    if (g_str_equal (name, aliases[a].alias))
      name = aliases[a].name;
  for (gsize c = 0; c < G_N_ELEMENTS (commands); c++)
    if (g_str_equal (name, commands[c].name))
      return &commands[c];
  return NULL;
}

static int
unknown_command (RefmountCtl *ctl,
                 const char  *name)
{
  const char *names[G_N_ELEMENTS (commands) + G_N_ELEMENTS (aliases) + 2];
  const char *closest;
  gsize       n = 0;

  for (gsize c = 0; c < G_N_ELEMENTS (commands); c++)
    names[n++] = commands[c].name;
  for (gsize a = 0; a < G_N_ELEMENTS (aliases); a++)
    names[n++] = aliases[a].alias;
  names[n++] = "help";
  names[n] = NULL;
  closest = refmountctl_closest (name, names);
  if (closest != NULL)
    return refmountctl_usage_error (ctl, "unknown command '%s'; did you mean '%s'?", name,
                                    closest);
  return refmountctl_usage_error (ctl, "unknown command '%s'", name);
}

static void
print_usage (FILE *out)
{
  fprintf (out, "Usage: refmountctl [OPTION…] COMMAND [OPTION…] [ARGUMENT…]\n"
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
  fprintf (out, "  (umount is unmount; help COMMAND is COMMAND --help)\n"
                "\n"
                "Options (before or after the command; -- ends them):\n"
                "  -h, --help             Show this help; COMMAND --help shows a command's options\n"
                "  --version              Show the version\n"
                "  --no-ask-password      Never ask for a password\n"
                "  --json[=pretty|short]  Print JSON; errors as JSON on stderr\n"
                "  -q, --quiet            Only what scripts need: no status lines, no hints\n"
                "  --no-legend            Tables without header and footer\n"
                "  --no-pager             Accepted; refmountctl never pages\n"
                "\n"
                "Exit status: 0 success, 1 failure, 2 usage error, 3 not authorized,\n"
                "4 not found or not attached, 5 conflict or busy, 6 mount failed, 7 timeout,\n"
                "8 refmountd unavailable.  See refmountctl(1).\n");
}

static int
run_command (RefmountCtl              *ctl,
             const RefmountCtlCommand *command,
             int                       argc,
             char                    **argv)
{
  g_autofree char *prgname = NULL;
  int              status;

  ctl->command = command->name;
  /* GOptionContext's usage line starts with the program name. */
  prgname = g_strdup_printf ("refmountctl %s", ctl->command);
  g_set_prgname (prgname);
  status = command->run (ctl, command, argc, argv);
  g_clear_object (&ctl->client);
  g_clear_object (&ctl->connection);
  return status;
}

int
main (int    argc,
      char **argv)
{
  RefmountCtl                ctl = { 0 };
  gboolean                   help = FALSE, version = FALSE;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError)         error = NULL;
  const RefmountCtlCommand  *command;
  const GOptionEntry         top_entries[] = {
            { "help", 'h', 0, G_OPTION_ARG_NONE, &help, NULL, NULL },
            { "version", 0, 0, G_OPTION_ARG_NONE, &version, NULL, NULL },
            { NULL }
  };

  setlocale (LC_ALL, "");
  /* Registers refmountd's error names, so that its D-Bus errors arrive
   * as REFMOUNT_ERROR codes rather than as text to be matched. */
  (void) REFMOUNT_ERROR;

  refmountctl_prepare_json (&ctl, argc, argv);
  context = g_option_context_new (NULL);
  g_option_context_set_help_enabled (context, FALSE);
  g_option_context_set_strict_posix (context, TRUE);
  g_option_context_add_main_entries (context, top_entries, NULL);
  g_option_context_add_main_entries (context, refmountctl_global_entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return refmountctl_usage_error (&ctl, "%s", error->message);
  refmountctl_take_global_options (&ctl);
  /* "refmountctl -- COMMAND": GOption leaves the "--" in place. */
  if (argc > 1 && g_str_equal (argv[1], "--"))
    {
      argv++;
      argc--;
    }
  if (help)
    {
      print_usage (stdout);
      return REFMOUNTCTL_EXIT_OK;
    }
  if (version)
    {
      printf ("refmountctl %s\n", PACKAGE_VERSION);
      return REFMOUNTCTL_EXIT_OK;
    }
  if (argc < 2)
    return refmountctl_usage_error (&ctl, "missing command (one of mount, unmount, list, show, "
                                          "status, monitor, reload)");

  if (g_str_equal (argv[1], "help"))
    {
      char *help_argv[] = { argv[2], (char *) "--help", NULL };

      if (argc < 3)
        {
          print_usage (stdout);
          return REFMOUNTCTL_EXIT_OK;
        }
      command = find_command (argv[2]);
      if (command == NULL)
        return unknown_command (&ctl, argv[2]);
      return run_command (&ctl, command, 2, help_argv);
    }
  command = find_command (argv[1]);
  if (command == NULL)
    return unknown_command (&ctl, argv[1]);
  return run_command (&ctl, command, argc - 1, argv + 1);
}
