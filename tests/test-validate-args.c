/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <limits.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "refmount-config.h"
#include "refmount-error.h"
#include "refmount-names.h"
#include "refmount-validate.h"
#include "validate-helpers.h"

/* ---- attachment ------------------------------------------------------- */

static void
test_attachment (void)
{
  g_autofree char *max = repeat ('a', REFMOUNT_ATTACHMENT_MAX_LEN);
  g_autofree char *over = repeat ('a', REFMOUNT_ATTACHMENT_MAX_LEN + 1);
  const char      *good[] = {
         "a",
         "0",
         "vol-1:inst-2",
         "A.b_c:d@e+f=g-h",
         "volume=3f2a",
         max,
  };
  const char *bad[] = {
    "",
    over,
    "-a",
    "--force",
    "a/b",
    "/",
    "a b",
    "\xc3\xbc",
    "a\n",
    "a,b",
    "a;b",
    "a\\b",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_true (refmount_validate_attachment (good[i], &error));
      g_assert_no_error (error);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;

      note ("attachment", bad[i]);
      g_assert_false (refmount_validate_attachment (bad[i], &error));
      assert_invalid (error, "attachment", NULL);
    }
}

/* ---- flags ------------------------------------------------------------ */

static GVariant *
parse_variant (const char *text)
{
  g_autoptr (GError) error = NULL;
  /* g_variant_parse returns a full (non-floating) reference. */
  GVariant *v = g_variant_parse (NULL, text, NULL, NULL, &error);

  g_assert_no_error (error);
  return v;
}

static void
test_mount_flags (void)
{
  static const struct
  {
    const char *flags;
    gboolean    ok;
    gboolean    release;
    gboolean    owner;
    const char *reason;
  } cases[] = {
    { "@a{sv} {}", TRUE, FALSE, FALSE, NULL },
    { "{'release-on-exit': <true>}", TRUE, TRUE, FALSE, NULL },
    { "{'release-on-exit': <false>}", TRUE, FALSE, FALSE, NULL },
    { "{'owner': <true>}", TRUE, FALSE, TRUE, NULL },
    { "{'owner': <true>, 'release-on-exit': <true>}", TRUE, TRUE, TRUE, NULL },
    { "{'owner': <'yes'>}", FALSE, FALSE, FALSE, "owner" },
    { "{'release-on-exit': <'yes'>}", FALSE, FALSE, FALSE, "release-on-exit" },
    { "{'release-on-exit': <1>}", FALSE, FALSE, FALSE, "boolean" },
    { "{'force': <true>}", FALSE, FALSE, FALSE, "force" },
    { "{'foo': <true>}", FALSE, FALSE, FALSE, "unknown flag" },
    { "{'release-on-exit': <true>, 'Release-On-Exit': <true>}", FALSE, FALSE, FALSE, "Release-On-Exit" },
  };
  RefmountMountFlags   parsed = { TRUE, TRUE };
  g_autoptr (GError)   error = NULL;
  g_autoptr (GVariant) wrong = g_variant_ref_sink (g_variant_new_string ("release-on-exit"));

  g_assert_true (refmount_validate_mount_flags (NULL, &parsed, &error));
  g_assert_no_error (error);
  g_assert_false (parsed.release_on_exit);
  g_assert_false (parsed.owner);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GVariant) flags = parse_variant (cases[i].flags);
      gboolean             ok;

      g_test_message ("mount flags %s", cases[i].flags);
      parsed.release_on_exit = 42;
      ok = refmount_validate_mount_flags (flags, &parsed, &error);
      if (cases[i].ok)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
          g_assert_cmpint (parsed.release_on_exit, ==, cases[i].release);
          g_assert_cmpint (parsed.owner, ==, cases[i].owner);
        }
      else
        {
          g_assert_false (ok);
          assert_invalid (error, "flags", cases[i].reason);
          g_assert_cmpint (parsed.release_on_exit, ==, 42);
          g_clear_error (&error);
        }
    }

  g_assert_false (refmount_validate_mount_flags (wrong, &parsed, &error));
  assert_invalid (error, "flags", "a{sv}");
}

static void
test_unmount_flags (void)
{
  static const struct
  {
    const char *flags;
    gboolean    ok;
    gboolean    force;
    gboolean    lazy;
    const char *reason;
  } cases[] = {
    { "@a{sv} {}", TRUE, FALSE, FALSE, NULL },
    { "{'force': <true>}", TRUE, TRUE, FALSE, NULL },
    { "{'lazy': <true>}", TRUE, FALSE, TRUE, NULL },
    { "{'force': <true>, 'lazy': <true>}", TRUE, TRUE, TRUE, NULL },
    { "{'force': <false>, 'lazy': <false>}", TRUE, FALSE, FALSE, NULL },
    { "{'release-on-exit': <true>}", FALSE, FALSE, FALSE, "release-on-exit" },
    { "{'detach': <true>}", FALSE, FALSE, FALSE, "detach" },
    { "{'force': <1>}", FALSE, FALSE, FALSE, "force" },
    { "{'lazy': <'true'>}", FALSE, FALSE, FALSE, "lazy" },
    { "{'lazy': <@mb true>}", FALSE, FALSE, FALSE, "boolean" },
  };
  g_autoptr (GError) error = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GVariant) flags = parse_variant (cases[i].flags);
      gboolean             force = 42, lazy = 42;
      gboolean             ok;

      g_test_message ("unmount flags %s", cases[i].flags);
      ok = refmount_validate_unmount_flags (flags, &force, &lazy, &error);
      if (cases[i].ok)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
          g_assert_cmpint (force, ==, cases[i].force);
          g_assert_cmpint (lazy, ==, cases[i].lazy);
        }
      else
        {
          g_assert_false (ok);
          assert_invalid (error, "flags", cases[i].reason);
          g_assert_cmpint (force, ==, 42);
          g_assert_cmpint (lazy, ==, 42);
          g_clear_error (&error);
        }
    }
}

/* ---- derived mountpoints, effective options --------------------------- */

static void
test_derive_mountpoint (void)
{
  g_autoptr (RefmountConfig) config = refmount_config_new_default ();
  g_autoptr (RefmountConfig) two =
    config_from_data ("[Daemon]\nMountRoots=/srv/first;/srv/second;\n");
  g_autofree char   *nfs = refmount_derive_mountpoint (config, "nfs", "srv:/export");
  g_autofree char   *cifs = refmount_derive_mountpoint (config, "cifs", "//fs/share");
  g_autofree char   *first = refmount_derive_mountpoint (two, "nfs", "srv:/export");
  g_autoptr (GError) error = NULL;

  /* printf %s srv:/export | sha256sum  -> f387f2b0d58b4657… */
  g_assert_cmpstr (nfs, ==, ROOT "/nfs-f387f2b0d58b4657");
  /* printf %s //fs/share | sha256sum  -> 5838db34f2277c4a… */
  g_assert_cmpstr (cifs, ==, ROOT "/cifs-5838db34f2277c4a");
  g_assert_cmpstr (first, ==, "/srv/first/nfs-f387f2b0d58b4657");

  g_assert_true (refmount_validate_mountpoint (config, nfs, NULL, NULL, &error));
  g_assert_no_error (error);
}

static void
assert_strv (char *const       *actual,
             const char *const *expected)
{
  g_autofree char *a = g_strjoinv (",", (GStrv) actual);
  g_autofree char *e = g_strjoinv (",", (GStrv) expected);

  g_assert_cmpstr (a, ==, e);
  g_assert_cmpuint (g_strv_length ((GStrv) actual), ==, g_strv_length ((GStrv) expected));
}

static void
test_effective_options (void)
{
  g_autoptr (RefmountConfig) config = refmount_config_new_default ();
  g_autoptr (RefmountConfig) custom =
    config_from_data ("[Filesystem tmpfs]\nForcedOptions=nosuid;noexec;\n");
  const char *caller[] = { "size=1M", "ro", NULL };
  const char *caller_forced[] = { "nosuid", "size=1M", NULL };
  const char *dups[] = { "ro", "ro", NULL };
  const char *exp1[] = { "size=1M", "ro", "nosuid", "nodev", NULL };
  const char *exp2[] = { "size=1M", "nosuid", "nodev", NULL };
  const char *exp3[] = { "ro", "nosuid", "nodev", NULL };
  const char *exp4[] = { "nosuid", "nodev", NULL };
  const char *exp5[] = {
    "IdentityFile=/etc/refmount/ssh/id_ed25519",
    "UserKnownHostsFile=/etc/refmount/ssh/known_hosts",
    "BatchMode=yes",
    "nosuid", "nodev", NULL
  };
  const char *exp6[] = { "size=1M", "ro", "noexec", "nosuid", "nodev", NULL };
  g_auto (GStrv) e1 = refmount_effective_options (config, "tmpfs", caller);
  g_auto (GStrv) e2 = refmount_effective_options (config, "tmpfs", caller_forced);
  g_auto (GStrv) e3 = refmount_effective_options (config, "tmpfs", dups);
  g_auto (GStrv) e4 = refmount_effective_options (config, "tmpfs", NULL);
  g_auto (GStrv) e5 = refmount_effective_options (config, "fuse.sshfs", NULL);
  g_auto (GStrv) e6 = refmount_effective_options (custom, "tmpfs", caller);
  g_auto (GStrv) e7 = refmount_effective_options (config, "ext4", dups);

  assert_strv (e1, exp1);
  assert_strv (e2, exp2);
  assert_strv (e3, exp3);
  assert_strv (e4, exp4);
  assert_strv (e5, exp5);
  assert_strv (e6, exp6);
  assert_strv (e7, exp3);
}

static void
test_options_equal (void)
{
  const char *empty[] = { NULL };
  const char *ro[] = { "ro", NULL };
  const char *rw[] = { "rw", NULL };
  const char *ab[] = { "a", "b", NULL };
  const char *ba[] = { "b", "a", NULL };
  const char *aa[] = { "a", "a", NULL };
  const char *a[] = { "a", NULL };
  const char *abc[] = { "a", "b", "c", NULL };

  g_assert_true (refmount_options_equal (NULL, NULL));
  g_assert_true (refmount_options_equal (NULL, empty));
  g_assert_true (refmount_options_equal (empty, NULL));
  g_assert_false (refmount_options_equal (NULL, ro));
  g_assert_false (refmount_options_equal (ro, empty));
  g_assert_false (refmount_options_equal (ro, rw));
  g_assert_true (refmount_options_equal (ab, ba));
  g_assert_true (refmount_options_equal (ab, ab));
  g_assert_false (refmount_options_equal (ab, a));
  g_assert_false (refmount_options_equal (a, ab));
  g_assert_false (refmount_options_equal (ab, abc));
  g_assert_false (refmount_options_equal (abc, ba));
  g_assert_true (refmount_options_equal (aa, a));
}

/* Options are applied in order and the last of a name (or of a pair of
 * opposites) wins, so that is what is stored and compared (issue 10). */
static void
test_options_normalise (void)
{
  g_autoptr (RefmountConfig) config = refmount_config_new_default ();
  g_autoptr (RefmountConfig) unsafe = config_from_data ("[Daemon]\nForcedOptions=nodev;\n");
  const struct
  {
    const char *caller[6];
    const char *expected[8];
  } cases[] = {
    { { "ro", "rw" }, { "rw", "nosuid", "nodev" } },
    { { "rw", "ro" }, { "ro", "nosuid", "nodev" } },
    { { "size=2m", "size=1m" }, { "size=1m", "nosuid", "nodev" } },
    { { "size=1m", "size=2m" }, { "size=2m", "nosuid", "nodev" } },
    { { "noatime", "atime", "exec", "noexec" }, { "atime", "noexec", "nosuid", "nodev" } },
    { { "sync", "mode=0700", "async" }, { "mode=0700", "async", "nosuid", "nodev" } },
    { { "ro", "size=1m", "ro" }, { "size=1m", "ro", "nosuid", "nodev" } },
    { { "noexec", "mode=0755" }, { "noexec", "mode=0755", "nosuid", "nodev" } },
  };
  const char *ro_rw[] = { "ro", "rw", NULL };
  const char *rw_ro[] = { "rw", "ro", NULL };
  const char *rw[] = { "rw", NULL };
  const char *s21[] = { "size=2m", "size=1m", NULL };
  const char *s12[] = { "size=1m", "size=2m", NULL };
  const char *safe[] = { "rw", "nosuid", "nodev", NULL };
  const char *suid_last[] = { "nosuid", "nodev", "suid", NULL };
  const char *no_nodev[] = { "nosuid", NULL };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto (GStrv) effective = refmount_effective_options (config, "tmpfs", cases[i].caller);

      assert_strv (effective, cases[i].expected);
    }

  g_assert_false (refmount_options_equal (ro_rw, rw_ro));
  g_assert_true (refmount_options_equal (ro_rw, rw));
  g_assert_false (refmount_options_equal (s21, s12));

  /* libmount's reading of the final string must show nosuid and nodev. */
  {
    g_autoptr (GError) error = NULL;
    g_auto (GStrv) weak = refmount_effective_options (unsafe, "tmpfs", NULL);

    g_assert_true (refmount_options_check_confined (safe, &error));
    g_assert_no_error (error);
    g_assert_false (refmount_options_check_confined (suid_last, &error));
    g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
    g_assert_false (refmount_options_check_confined (no_nodev, &error));
    g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
    g_assert_false (refmount_options_check_confined ((const char *const *) weak, &error));
    g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT);
  }
}

static void
test_escape_value (void)
{
  g_autofree char *long_value = repeat ('x', 1000);
  g_autofree char *cut = refmount_syntax_escape (long_value);
  g_autofree char *ctrl = refmount_syntax_escape ("a\nb\x01\xff");
  g_autofree char *plain = refmount_syntax_escape ("/run/x");

  g_assert_true (g_str_has_suffix (cut, "…"));
  g_assert_cmpuint (strlen (cut), ==, 128 + strlen ("…"));
  g_assert_cmpstr (ctrl, ==, "a\\nb\\001\\377");
  g_assert_cmpstr (plain, ==, "/run/x");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/validate/attachment", test_attachment);
  g_test_add_func ("/validate/flags/mount", test_mount_flags);
  g_test_add_func ("/validate/flags/unmount", test_unmount_flags);
  g_test_add_func ("/validate/derive-mountpoint", test_derive_mountpoint);
  g_test_add_func ("/validate/effective-options", test_effective_options);
  g_test_add_func ("/validate/options-equal", test_options_equal);
  g_test_add_func ("/validate/options-normalise", test_options_normalise);
  g_test_add_func ("/validate/escape-value", test_escape_value);
  return g_test_run ();
}
