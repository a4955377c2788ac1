/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * refmountctl's global options and the parsing every command shares
 * (options, argument counts, usage errors, the connection).
 *
 * Global options are accepted before and after the command, as systemctl
 * and busctl accept them: the top level (refmountctl.c) parses them with
 * GOptionContext in strict POSIX mode (it stops at the command), and
 * every command's own GOptionContext carries them again.  Both report
 * errors the same way.
 */
#include "config.h"

#include <string.h>

#include "refmountctl.h"

/* GOptionEntry wants static storage; these are copied into the
 * RefmountCtl once a command's options are parsed. */
static gboolean        opt_no_ask_password = FALSE;
static gboolean        opt_quiet = FALSE;
static gboolean        opt_no_legend = FALSE;
static gboolean        opt_no_pager = FALSE;
static RefmountCtlJson opt_json = REFMOUNTCTL_JSON_OFF;

static gboolean
parse_json_mode (const char *option_name,
                 const char *value,
                 gpointer    data,
                 GError    **error)
{
  if (value == NULL || value[0] == '\0')
    opt_json = REFMOUNTCTL_JSON_DEFAULT;
  else if (g_str_equal (value, "pretty"))
    opt_json = REFMOUNTCTL_JSON_PRETTY;
  else if (g_str_equal (value, "short"))
    opt_json = REFMOUNTCTL_JSON_SHORT;
  else if (g_str_equal (value, "off"))
    opt_json = REFMOUNTCTL_JSON_OFF;
  else
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--json: expected pretty, short or off, not '%s'", value);
      return FALSE;
    }
  return TRUE;
}

const GOptionEntry refmountctl_global_entries[] = {
  { "no-ask-password", 0, 0, G_OPTION_ARG_NONE, &opt_no_ask_password,
    "Do not ask for a password (no polkit agent, no interactive authorization)", NULL },
  { "json", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, parse_json_mode,
    "Print JSON (errors too, on stderr)", "pretty|short" },
  { "quiet", 'q', 0, G_OPTION_ARG_NONE, &opt_quiet,
    "Print only what scripts need (no status lines, no hints)", NULL },
  { "no-legend", 0, 0, G_OPTION_ARG_NONE, &opt_no_legend, "Tables without header and footer",
    NULL },
  { "no-pager", 0, 0, G_OPTION_ARG_NONE, &opt_no_pager,
    "Accepted for systemctl compatibility; refmountctl never pages", NULL },
  { NULL }
};

void
refmountctl_take_global_options (RefmountCtl *ctl)
{
  ctl->no_ask_password = opt_no_ask_password;
  ctl->quiet = opt_quiet;
  ctl->no_legend = opt_no_legend;
  ctl->json = opt_json;
}

int
refmountctl_usage_error (RefmountCtl *ctl,
                         const char  *format,
                         ...)
{
  g_autofree char *message = NULL;
  g_autofree char *hint = NULL;
  va_list          args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  hint = g_strdup_printf ("Try 'refmountctl%s%s --help' for more information.",
                          ctl->command != NULL ? " " : "",
                          ctl->command != NULL ? ctl->command : "");
  refmountctl_print_error (ctl, NULL, message, hint, REFMOUNTCTL_EXIT_USAGE);
  return REFMOUNTCTL_EXIT_USAGE;
}

/* Parse a command's options; on success argc and argv hold the command name
 * followed by the positional arguments ("--" ends the options). */
gboolean
refmountctl_parse_options (RefmountCtl              *ctl,
                           const RefmountCtlCommand *command,
                           const GOptionEntry       *entries,
                           int                      *argc,
                           char                   ***argv,
                           int                      *status)
{
  g_autoptr (GOptionContext) context = g_option_context_new (command->parameters);
  g_autoptr (GError)         error = NULL;

  g_option_context_set_summary (context, command->summary);
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_main_entries (context, refmountctl_global_entries, NULL);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      refmountctl_take_global_options (ctl);
      *status = refmountctl_usage_error (ctl, "%s", error->message);
      return FALSE;
    }
  refmountctl_take_global_options (ctl);
  /* GOption leaves the "--" that ended the options among the arguments. */
  for (int i = 1; i < *argc; i++)
    if (g_str_equal ((*argv)[i], "--"))
      {
        memmove (&(*argv)[i], &(*argv)[i + 1], (gsize) (*argc - i) * sizeof (char *));
        (*argc)--;
        break;
      }
  return TRUE;
}

gboolean
refmountctl_check_arguments (RefmountCtl *ctl,
                             int          argc,
                             char       **argv,
                             int          min,
                             int          max,
                             const char  *expected,
                             int         *status)
{
  if (argc - 1 < min)
    {
      *status = refmountctl_usage_error (ctl, "missing argument (expected %s)", expected);
      return FALSE;
    }
  if (argc - 1 > max)
    {
      *status = refmountctl_usage_error (ctl, "unexpected argument '%s'", argv[max + 1]);
      return FALSE;
    }
  return TRUE;
}

int
refmountctl_connect_or_fail (RefmountCtl *ctl)
{
  g_autoptr (GError) error = NULL;

  if (!refmountctl_connect (ctl, &error))
    return refmountctl_fail (ctl, error);
  return REFMOUNTCTL_EXIT_OK;
}

/* GOption gives an optional argument the next word too ("--json list"
 * would be --json=list), so a bare --json becomes "--json=" here; and
 * errors before the command is known are reported in the requested form,
 * which GOption has not seen yet when it fails. */
void
refmountctl_prepare_json (RefmountCtl *ctl,
                          int          argc,
                          char       **argv)
{
  for (int i = 1; i < argc && !g_str_equal (argv[i], "--"); i++)
    {
      if (g_str_equal (argv[i], "--json"))
        argv[i] = (char *) "--json=";
      if (g_str_has_prefix (argv[i], "--json="))
        parse_json_mode ("--json", argv[i] + 7, NULL, NULL);
    }
  ctl->json = opt_json;
}
