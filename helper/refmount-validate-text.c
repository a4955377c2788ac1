/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The checks of single strings that the configuration shares with caller
 * input (refmount-config.c uses them for the daemon's own settings).  They
 * depend on nothing else, so config and validation do not depend on each
 * other.
 */
#include "config.h"

#include <limits.h>
#include <string.h>

#include "refmount-names.h"
#include "refmount-validate.h"

/* Values are echoed into D-Bus error messages and the journal; a caller
 * must not be able to flood either, so only a prefix is shown. */
#define MESSAGE_VALUE_MAX 128

#define NORMALISED_HINT "must be normalised (no '.', '..', '//' or trailing '/')"

char *
refmount_validate_escape_value (const char *value)
{
  g_autofree char *head = NULL;
  g_autofree char *escaped = NULL;

  if (value == NULL)
    return g_strdup ("(null)");
  if (strlen (value) <= MESSAGE_VALUE_MAX)
    return g_strescape (value, NULL);

  /* g_strescape turns every byte >= 0x80 into an octal escape, so cutting
   * inside a UTF-8 sequence still yields valid (ASCII) output. */
  head = g_strndup (value, MESSAGE_VALUE_MAX);
  escaped = g_strescape (head, NULL);
  return g_strconcat (escaped, "…", NULL);
}

/* UTF-8 validity and character classes shared by every string argument.
 * C1 controls (U+0080–U+009F) count as control characters: terminals act
 * on them just like on C0 ones. */
const char *
refmount_validate_text_problem (const char *s,
                                gboolean    allow_space)
{
  const char *p;

  if (!g_utf8_validate (s, -1, NULL))
    return "must be valid UTF-8";

  for (p = s; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c))
        return "must not contain control characters";
      if (!allow_space && g_unichar_isspace (c))
        return "must not contain whitespace";
    }

  return NULL;
}

const char *
refmount_validate_path_problem (const char *path)
{
  const char *component;
  const char *problem;

  if (path == NULL || path[0] == '\0')
    return "must not be empty";
  if (strlen (path) > PATH_MAX)
    return "must be at most PATH_MAX (" G_STRINGIFY (PATH_MAX) ") bytes";
  problem = refmount_validate_text_problem (path, TRUE);
  if (problem != NULL)
    return problem;
  if (path[0] != '/')
    return "must be absolute";
  if (path[1] == '\0')
    return NULL;

  component = path + 1;
  while (TRUE)
    {
      const char *slash = strchr (component, '/');
      gsize       len = slash != NULL ? (gsize) (slash - component) : strlen (component);

      if (len == 0 ||
          (len == 1 && component[0] == '.') ||
          (len == 2 && component[0] == '.' && component[1] == '.'))
        return NORMALISED_HINT;
      if (len > NAME_MAX)
        return "must not have a component longer than NAME_MAX (" G_STRINGIFY (NAME_MAX) ") bytes";
      if (slash == NULL)
        return NULL;
      component = slash + 1;
    }
}

const char *
refmount_validate_option_problem (const char *option)
{
  const char *problem;

  if (option == NULL || option[0] == '\0')
    return "must not be empty";
  if (strlen (option) > REFMOUNT_OPTION_MAX_LEN)
    return "must be at most " G_STRINGIFY (REFMOUNT_OPTION_MAX_LEN) " bytes";
  problem = refmount_validate_text_problem (option, FALSE);
  if (problem != NULL)
    return problem;
  /* One element is one option: a ',' would smuggle a second one past the
   * checks below once libmount joins the list. */
  if (strchr (option, ',') != NULL)
    return "must be a single option (no ',')";
  /* libmount honours double quotes in option strings, so an unbalanced '"'
   * could swallow the ForcedOptions appended after it into its value. */
  if (strchr (option, '"') != NULL)
    return "must not contain '\"'";
  if (option[0] == '=')
    return "must have the form name or name=value";

  return NULL;
}
