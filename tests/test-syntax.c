/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * helper/refmount-syntax.c on its own, and the point of having it: the
 * configuration and the validation of caller input apply the same rules,
 * so every filesystem type a configuration can list can be requested, and
 * a name no configuration can list is refused for what it is.  The
 * caller-facing messages: test-validate.c and test-validate-args.c.
 */
#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "refmount-config.h"
#include "refmount-error.h"
#include "refmount-syntax.h"
#include "refmount-validate.h"

static const char *const fstype_good[] = { "nfs", "nfs4", "fuse.sshfs", "fuse.glusterfs", "ext4", "a+b_c-d", "X" };
static const char *const fstype_bad[] = { "", "nfs,ro", "../tmpfs", "tmp fs", "tmpfs\n", "\xc3\xa9xt4", "\xff", "a/b" };

static void
test_fstype (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (fstype_good); i++)
    g_assert_null (refmount_syntax_fstype_problem (fstype_good[i]));
  for (gsize i = 0; i < G_N_ELEMENTS (fstype_bad); i++)
    g_assert_nonnull (refmount_syntax_fstype_problem (fstype_bad[i]));
  g_assert_cmpstr (refmount_syntax_fstype_problem (NULL), ==, "must not be empty");
  g_assert_cmpstr (refmount_syntax_fstype_problem (""), ==, "must not be empty");
}

/* AllowedFilesystems takes a name exactly when a caller may ask for it by
 * that name; a name it refuses, a caller is refused with the same reason,
 * not with "not in AllowedFilesystems". */
static void
test_fstype_config_and_caller_agree (void)
{
  for (gsize round = 0; round < 2; round++)
    {
      const char *const *names = round == 0 ? fstype_good : fstype_bad;
      gsize              n = round == 0 ? G_N_ELEMENTS (fstype_good) : G_N_ELEMENTS (fstype_bad);

      for (gsize i = 0; i < n; i++)
        {
          g_autofree char           *escaped = g_strescape (names[i], NULL);
          g_autoptr (GKeyFile)       keyfile = g_key_file_new ();
          g_autofree char           *data = NULL;
          gsize                      length = 0;
          g_autoptr (GError)         config_error = NULL;
          g_autoptr (GError)         caller_error = NULL;
          g_autoptr (RefmountConfig) config = NULL;
          g_autoptr (RefmountConfig) defaults = refmount_config_new_default ();
          const char                *problem = refmount_syntax_fstype_problem (names[i]);

          g_test_message ("fstype '%s'", escaped);
          /* GKeyFile's own escaping, so that "tmpfs\n" stays one value. */
          g_key_file_set_string_list (keyfile, "Daemon", "AllowedFilesystems", &names[i], 1);
          data = g_key_file_to_data (keyfile, &length, NULL);
          config = refmount_config_load_from_data (data, length, "test.conf", &config_error);
          if (round == 0)
            {
              g_assert_no_error (config_error);
              g_assert_true (refmount_validate_fstype (config, names[i], &caller_error));
              g_assert_no_error (caller_error);
              continue;
            }
          /* Refused (GKeyFile itself refuses invalid UTF-8 first; an empty
           * list element it drops, leaving an empty list). */
          if (names[i][0] != '\0')
            {
              g_assert_null (config);
              g_assert_nonnull (config_error);
              if (g_utf8_validate (names[i], -1, NULL))
                g_assert_nonnull (strstr (config_error->message, problem));
            }
          g_assert_false (refmount_validate_fstype (defaults, names[i], &caller_error));
          g_assert_error (caller_error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT);
          g_assert_nonnull (strstr (caller_error->message, problem));
        }
    }
}

static void
test_attachment (void)
{
  g_autofree char *max = g_strnfill (255, 'a');
  g_autofree char *over = g_strnfill (256, 'a');

  g_assert_null (refmount_syntax_attachment_problem ("vol-1:inst-2"));
  g_assert_null (refmount_syntax_attachment_problem ("A.b_c:d@e+f=g-h"));
  g_assert_null (refmount_syntax_attachment_problem (max));
  g_assert_cmpstr (refmount_syntax_attachment_problem (NULL), ==, "must not be empty");
  g_assert_cmpstr (refmount_syntax_attachment_problem (over), ==, "must be at most 255 characters");
  g_assert_cmpstr (refmount_syntax_attachment_problem ("--force"), ==, "must not start with '-'");
  g_assert_cmpstr (refmount_syntax_attachment_problem ("a/b"), ==, "must consist of the characters [A-Za-z0-9._:@+=-]");
}

static void
test_source (void)
{
  static const struct
  {
    const char *fstype;
    const char *source;
    gboolean    ok;
  } shapes[] = {
    { "nfs", "host:/export", TRUE },
    { "nfs4", "[fe80::1]:/export", TRUE },
    { "nfs", "host/export", FALSE },
    { "cifs", "//host/share/dir", TRUE },
    { "smb3", "//host", FALSE },
    { "glusterfs", "host:/vol", TRUE },
    { "fuse.glusterfs", "host:/", FALSE },
    { "fuse.sshfs", "user@host:", TRUE },
    { "fuse.sshfs", "@host:/x", FALSE },
    { "fuse.sshfs", "user@-oProxyCommand=x:", FALSE },
    /* No shape known: only the generic rules apply. */
    { "tmpfs", "anything", TRUE },
    { "ext4", "/dev/sda1", TRUE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      g_test_message ("%s %s", shapes[i].fstype, shapes[i].source);
      g_assert_null (refmount_syntax_source_problem (shapes[i].source));
      g_assert_true ((refmount_syntax_source_shape_problem (shapes[i].fstype, shapes[i].source) == NULL) ==
                     shapes[i].ok);
    }
  g_assert_cmpstr (refmount_syntax_source_problem (""), ==, "must not be empty");
  g_assert_cmpstr (refmount_syntax_source_problem ("-o"), ==, "must not start with '-'");
  g_assert_cmpstr (refmount_syntax_source_problem ("a,b"), ==, "must not contain ','");
  g_assert_cmpstr (refmount_syntax_source_problem ("a b"), ==, "must not contain whitespace");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/syntax/fstype", test_fstype);
  g_test_add_func ("/syntax/fstype/config-and-caller-agree", test_fstype_config_and_caller_agree);
  g_test_add_func ("/syntax/attachment", test_attachment);
  g_test_add_func ("/syntax/source", test_source);
  return g_test_run ();
}
