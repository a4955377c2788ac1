/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <locale.h>
#include <stdio.h>

#include "refmount-daemon.h"
#include "refmount-log.h"

int
main (int    argc,
      char **argv)
{
  g_autofree char           *config_path = NULL;
  g_autofree char           *state_dir = NULL;
  gboolean                   verbose = FALSE;
  gboolean                   version = FALSE;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError)         error = NULL;
  RefmountDaemonOptions      options = { 0 };

  const GOptionEntry entries[] = {
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &config_path,
      "Configuration file (default /etc/refmount/refmount.conf)", "FILE" },
    { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &state_dir,
      "Runtime state directory (default /run/refmount)", "DIR" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Log debug messages", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  context = g_option_context_new ("- refmount mount service");
  g_option_context_set_summary (context,
                                "The org.refmount.Refmount1 system service: polkit-authorized,\n"
                                "reference-counted mounts for unprivileged clients.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "refmountd: %s\n", error->message);
      return 2;
    }
  if (argc > 1)
    {
      fprintf (stderr, "refmountd: unexpected argument '%s'\n", argv[1]);
      return 2;
    }
  if (version)
    {
      printf ("refmountd %s\n", PACKAGE_VERSION);
      return 0;
    }
  g_log_set_writer_func (refmount_log_writer, NULL, NULL);
  if (verbose)
    g_log_set_debug_enabled (TRUE);

  options.config_path = config_path;
  options.state_dir = state_dir;
  return refmount_daemon_run (&options);
}
