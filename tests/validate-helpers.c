/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the validation unit tests (test-validate*.c). */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "refmount-error.h"
#include "refmount-names.h"
#include "validate-helpers.h"

/* Every rejection must be InvalidArgument, name the argument, and say why. */
void
assert_invalid (GError     *error,
                const char *argument,
                const char *reason)
{
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT);
  if (strstr (error->message, argument) == NULL)
    g_error ("message '%s' does not name the argument '%s'", error->message, argument);
  if (reason != NULL && strstr (error->message, reason) == NULL)
    g_error ("message '%s' does not contain '%s'", error->message, reason);
  /* Escaped: a caller must not be able to put raw control bytes into
   * error messages or logs. */
  for (const char *p = error->message; *p != '\0'; p++)
    g_assert_false (g_ascii_iscntrl (*p));
}

/* Test values hold control bytes and invalid UTF-8; keep the TAP stream
 * one clean line per message. */
void
note (const char *what,
      const char *value)
{
  g_autofree char *escaped = g_strescape (value != NULL ? value : "(null)", NULL);

  g_test_message ("%s '%s'", what, escaped);
}

char *
repeat (char  c,
        gsize n)
{
  char *s = g_malloc (n + 1);

  memset (s, c, n);
  s[n] = '\0';
  return s;
}

/* ROOT/aaa…/aaa… of exactly @len bytes, with components of at most 200. */
char *
long_path (gsize len)
{
  GString *s = g_string_new (ROOT);

  while (s->len < len)
    {
      gsize remaining = len - s->len;
      /* Never leave a single byte over: that would be an empty component. */
      gsize n = remaining <= 201 ? remaining - 1 : (remaining <= 203 ? 100 : 200);

      g_assert_cmpuint (n, >, 0);
      g_string_append_c (s, '/');
      for (gsize i = 0; i < n; i++)
        g_string_append_c (s, 'a');
    }
  g_assert_cmpuint (s->len, ==, len);
  return g_string_free (s, FALSE);
}

RefmountConfig *
config_from_data (const char *data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *dir = g_dir_make_tmp ("refmount-test-validate-XXXXXX", &error);
  g_autofree char   *path = NULL;
  RefmountConfig    *config;

  g_assert_no_error (error);
  path = g_build_filename (dir, "refmount.conf", NULL);
  g_file_set_contents (path, data, -1, &error);
  g_assert_no_error (error);
  config = refmount_config_load (path, FALSE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (config);
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
  return config;
}
