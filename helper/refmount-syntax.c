/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Checks of single strings (refmount-syntax.h).  A leaf: nothing here
 * knows the configuration or the caller, so the configuration (the
 * daemon's own settings) and validation (caller input) both build on it
 * and on nothing of each other's.
 */
#include "config.h"

#include <limits.h>
#include <string.h>

#include "refmount-names.h"
#include "refmount-syntax.h"

/* Values are echoed into D-Bus error messages and the journal; a caller
 * must not be able to flood either, so only a prefix is shown. */
#define MESSAGE_VALUE_MAX 128

#define NORMALISED_HINT "must be normalised (no '.', '..', '//' or trailing '/')"

char *
refmount_syntax_escape (const char *value)
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
refmount_syntax_text_problem (const char *s,
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
refmount_syntax_path_problem (const char *path)
{
  const char *component;
  const char *problem;

  if (path == NULL || path[0] == '\0')
    return "must not be empty";
  if (strlen (path) > PATH_MAX)
    return "must be at most PATH_MAX (" G_STRINGIFY (PATH_MAX) ") bytes";
  problem = refmount_syntax_text_problem (path, TRUE);
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
refmount_syntax_option_problem (const char *option)
{
  const char *problem;

  if (option == NULL || option[0] == '\0')
    return "must not be empty";
  if (strlen (option) > REFMOUNT_OPTION_MAX_LEN)
    return "must be at most " G_STRINGIFY (REFMOUNT_OPTION_MAX_LEN) " bytes";
  problem = refmount_syntax_text_problem (option, FALSE);
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

const char *
refmount_syntax_fstype_problem (const char *fstype)
{
  if (fstype == NULL || fstype[0] == '\0')
    return "must not be empty";
  /* Kernel filesystem names are plain ASCII ("nfs4", "fuse.sshfs"); the
   * name also ends up in derived mountpoints, helper names and logs, so
   * nothing else (not even a C1 control as UTF-8) is accepted.  No '/'
   * (it becomes part of a path) and no ',' (of an option string). */
  for (const char *p = fstype; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("._+-", *p) == NULL)
      return "may only contain ASCII letters, digits, '.', '_', '+' and '-'";
  return NULL;
}

const char *
refmount_syntax_attachment_problem (const char *attachment)
{
  gsize len = attachment != NULL ? strlen (attachment) : 0;

  if (len == 0)
    return "must not be empty";
  if (len > REFMOUNT_ATTACHMENT_MAX_LEN)
    return "must be at most " G_STRINGIFY (REFMOUNT_ATTACHMENT_MAX_LEN) " characters";
  if (attachment[0] == '-')
    return "must not start with '-'";
  for (const char *p = attachment; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("._:@+=-", *p) == NULL)
      return "must consist of the characters [A-Za-z0-9._:@+=-]";
  return NULL;
}

const char *
refmount_syntax_source_problem (const char *source)
{
  const char *problem;

  if (source == NULL || source[0] == '\0')
    return "must not be empty";
  if (strlen (source) > REFMOUNT_SOURCE_MAX_LEN)
    return "must be at most " G_STRINGIFY (REFMOUNT_SOURCE_MAX_LEN) " bytes";
  problem = refmount_syntax_text_problem (source, FALSE);
  if (problem != NULL)
    return problem;
  if (source[0] == '-')
    return "must not start with '-'";
  /* Not needed for libmount itself, which passes the source separately, but
   * mount helpers fold it into comma-separated strings (mount.cifs:
   * "unc=\\host\share,..."), where a ',' would add options. */
  if (strchr (source, ',') != NULL)
    return "must not contain ','";
  return NULL;
}

/* Host name, or IPv6 address in brackets, at the start of @s.  Returns the
 * first character after it, or NULL with *out_problem set. */
static const char *
parse_host (const char  *s,
            const char **out_problem)
{
  const char *p = s;

  if (*p == '[')
    {
      gboolean has_colon = FALSE;

      for (p++; g_ascii_isxdigit (*p) || *p == ':' || *p == '.'; p++)
        has_colon |= (*p == ':');
      if (*p != ']' || !has_colon)
        {
          *out_problem = "an address in brackets must be an IPv6 address (hex digits, ':' and '.')";
          return NULL;
        }
      return p + 1;
    }

  if (*p == '-')
    {
      *out_problem = "the host must not start with '-'";
      return NULL;
    }
  while (g_ascii_isalnum (*p) || *p == '.' || *p == '-' || *p == '_')
    p++;
  if (p == s)
    {
      *out_problem = "the host must be a name of letters, digits, '.', '-' and '_' or an IPv6 address in brackets";
      return NULL;
    }

  return p;
}

/* nfs, nfs4: host:/path or [v6]:/path */
static const char *
nfs_problem (const char *source)
{
  const char *problem = NULL;
  const char *end = parse_host (source, &problem);

  if (end == NULL)
    return problem;
  if (end[0] != ':' || end[1] != '/')
    return "must have the form host:/path or [address]:/path";
  return NULL;
}

/* cifs, smb3: //host/share[/path] */
static const char *
cifs_problem (const char *source)
{
  const char *problem = NULL;
  const char *end;

  if (!g_str_has_prefix (source, "//"))
    return "must have the form //host/share[/path]";
  end = parse_host (source + 2, &problem);
  if (end == NULL)
    return problem;
  if (end[0] != '/' || end[1] == '\0' || end[1] == '/')
    return "must have the form //host/share[/path]";
  return NULL;
}

/* glusterfs, fuse.glusterfs: host:/volume */
static const char *
glusterfs_problem (const char *source)
{
  const char *problem = NULL;
  const char *end = parse_host (source, &problem);

  if (end == NULL)
    return problem;
  if (end[0] != ':' || end[1] != '/' || end[2] == '\0')
    return "must have the form host:/volume";
  return NULL;
}

/* fuse.sshfs: [user@]host:[path].  ssh would parse a leading '-' in the
 * host as an option; the generic rules already refuse one on the user. */
static const char *
sshfs_problem (const char *source)
{
  const char *problem = NULL;
  const char *at = strchr (source, '@');
  const char *colon = strchr (source, ':');
  const char *host = source;
  const char *end;

  if (at != NULL && (colon == NULL || at < colon))
    {
      if (at == source)
        return "the user before '@' must not be empty";
      host = at + 1;
    }

  end = parse_host (host, &problem);
  if (end == NULL)
    return problem;
  if (end[0] != ':')
    return "must have the form [user@]host:[path]";
  return NULL;
}

const char *
refmount_syntax_source_shape_problem (const char *fstype,
                                      const char *source)
{
  if (g_strcmp0 (fstype, "nfs") == 0 || g_strcmp0 (fstype, "nfs4") == 0)
    return nfs_problem (source);
  if (g_strcmp0 (fstype, "cifs") == 0 || g_strcmp0 (fstype, "smb3") == 0)
    return cifs_problem (source);
  if (g_strcmp0 (fstype, "glusterfs") == 0 || g_strcmp0 (fstype, "fuse.glusterfs") == 0)
    return glusterfs_problem (source);
  if (g_strcmp0 (fstype, "fuse.sshfs") == 0)
    return sshfs_problem (source);
  return NULL;
}
