/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The configuration: the built-in defaults (the shipped file), loading a
 * file and its drop-ins, and what each malformed key is told.  The mount
 * roots' checks are test-config-roots.c's.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "config-fixture.h"
#include "refmount-config.h"
#include "refmount-names.h"

static void
assert_strv_equal (char *const       *actual,
                   const char *const *expected)
{
  g_autofree char *a = g_strjoinv (";", (GStrv) actual);
  g_autofree char *e = g_strjoinv (";", (GStrv) expected);

  g_assert_cmpstr (a, ==, e);
}

/* ---- defaults --------------------------------------------------------- */

static void
assert_default_values (const RefmountConfig *config)
{
  static const char *const roots[] = { "/run/refmount/mounts", NULL };
  static const char *const filesystems[] = {
    "nfs", "nfs4", "cifs", "smb3", "glusterfs", "fuse.sshfs", "tmpfs", NULL
  };
  static const char *const forced[] = { "nosuid", "nodev", NULL };
  static const char *const tmpfs[] = {
    "size", "mode", "nr_inodes", "ro", "rw", "noexec", "noatime", NULL
  };
  static const char *const helpers[] = { "nfs", "nfs4", "cifs", "smb3", "glusterfs", "fuse.sshfs" };
  const RefmountFsConfig  *fs;

  assert_strv_equal (config->mount_roots, roots);
  assert_strv_equal (config->allowed_filesystems, filesystems);
  assert_strv_equal (config->forced_options, forced);
  g_assert_cmpuint (config->mount_timeout_sec, ==, 90);
  g_assert_cmpuint (config->authorization_timeout_sec, ==, 30);
  g_assert_cmpuint (config->interactive_authorization_timeout_sec, ==, 300);
  g_assert_cmpuint (config->max_calls_per_client, ==, 64);
  g_assert_cmpuint (config->max_calls_per_user, ==, 128);
  g_assert_cmpuint (config->max_calls_total, ==, 1024);
  g_assert_cmpuint (config->max_mounts, ==, 4096);
  g_assert_cmpuint (config->max_attachments_per_user, ==, 1024);

  fs = refmount_config_get_fs (config, "tmpfs");
  g_assert_nonnull (fs);
  g_assert_cmpstr (fs->fstype, ==, "tmpfs");
  assert_strv_equal (fs->allowed_options, tmpfs);
  g_assert_cmpuint (g_strv_length (fs->forced_options), ==, 0);
  g_assert_false (fs->use_helper);

  for (gsize i = 0; i < G_N_ELEMENTS (helpers); i++)
    {
      fs = refmount_config_get_fs (config, helpers[i]);
      g_assert_nonnull (fs);
      g_assert_cmpstr (fs->fstype, ==, helpers[i]);
      g_assert_true (fs->use_helper);
      g_assert_cmpuint (g_strv_length (fs->allowed_options), >, 0);
      /* A small, safe allowlist: nothing that undoes nosuid/nodev. */
      g_assert_false (g_strv_contains ((const char *const *) fs->allowed_options, "suid"));
      g_assert_false (g_strv_contains ((const char *const *) fs->allowed_options, "dev"));
      g_assert_true (refmount_config_fs_allowed (config, helpers[i]));
    }

  fs = refmount_config_get_fs (config, "fuse.sshfs");
  g_assert_true (g_strv_contains ((const char *const *) fs->forced_options,
                                  "IdentityFile=/etc/refmount/ssh/id_ed25519"));

  g_assert_null (refmount_config_get_fs (config, "ext4"));
  g_assert_null (refmount_config_get_fs (config, NULL));
  g_assert_false (refmount_config_fs_allowed (config, "ext4"));
  g_assert_false (refmount_config_fs_allowed (config, NULL));
  g_assert_true (refmount_config_fs_allowed (config, "tmpfs"));
}

static void
test_defaults (void)
{
  g_autoptr (RefmountConfig) config = refmount_config_new_default ();
  RefmountConfig            *ref;

  assert_default_values (config);

  ref = refmount_config_ref (config);
  g_assert_true (ref == config);
  refmount_config_unref (ref);
  g_assert_cmpuint (config->mount_timeout_sec, ==, 90);
}

/* Every field of two configurations, both ways. */
static void
assert_config_equal (const RefmountConfig *a,
                     const RefmountConfig *b)
{
  GHashTableIter iter;
  gpointer       key, value;

  assert_strv_equal (a->mount_roots, (const char *const *) b->mount_roots);
  assert_strv_equal (a->allowed_filesystems, (const char *const *) b->allowed_filesystems);
  assert_strv_equal (a->forced_options, (const char *const *) b->forced_options);
  g_assert_cmpuint (a->mount_timeout_sec, ==, b->mount_timeout_sec);
  g_assert_cmpuint (a->max_mounts, ==, b->max_mounts);
  g_assert_cmpuint (a->max_attachments_per_user, ==, b->max_attachments_per_user);
  g_assert_cmpuint (g_hash_table_size (a->filesystems), ==, g_hash_table_size (b->filesystems));
  g_hash_table_iter_init (&iter, a->filesystems);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const RefmountFsConfig *x = value;
      const RefmountFsConfig *y = refmount_config_get_fs (b, key);

      g_test_message ("[Filesystem %s]", (const char *) key);
      g_assert_nonnull (y);
      g_assert_cmpstr (x->fstype, ==, y->fstype);
      assert_strv_equal (x->allowed_options, (const char *const *) y->allowed_options);
      assert_strv_equal (x->forced_options, (const char *const *) y->forced_options);
      g_assert_cmpint (x->use_helper, ==, y->use_helper);
    }
}

static GStrv
keyfile_list (GKeyFile   *keyfile,
              const char *group,
              const char *key)
{
  g_autoptr (GError) error = NULL;
  GStrv              list;

  if (!g_key_file_has_key (keyfile, group, key, NULL))
    return g_new0 (char *, 1);
  list = g_key_file_get_string_list (keyfile, group, key, NULL, &error);
  g_assert_no_error (error);
  return list;
}

static guint
keyfile_uint (GKeyFile   *keyfile,
              const char *key)
{
  g_autoptr (GError) error = NULL;
  gint               value = g_key_file_get_integer (keyfile, REFMOUNT_CONFIG_GROUP_DAEMON, key, &error);

  /* Every [Daemon] key is set there: nothing else could supply it. */
  g_assert_no_error (error);
  g_assert_cmpint (value, >, 0);
  return (guint) value;
}

/* The built-in defaults are the shipped file: compiled in from the file
 * in the tree, and what GKeyFile itself (not refmount's loader) reads
 * from that file, key by key, group by group. */
static void
test_shipped_file (void)
{
  g_autoptr (GError)         error = NULL;
  g_autofree char           *path = g_test_build_filename (G_TEST_DIST, "..", "data", "refmount.conf", NULL);
  g_autoptr (RefmountConfig) defaults = refmount_config_new_default ();
  g_autoptr (GBytes)         builtin = refmount_config_get_builtin_data ();
  g_autoptr (GKeyFile)       keyfile = g_key_file_new ();
  g_autofree char           *contents = NULL;
  gsize                      length = 0;
  g_auto (GStrv) groups = NULL;
  guint n_fs = 0;

  if (!g_file_get_contents (path, &contents, &length, NULL))
    {
      g_test_skip ("data/refmount.conf not found (G_TEST_SRCDIR unset?)");
      return;
    }
  g_assert_cmpmem (g_bytes_get_data (builtin, NULL), g_bytes_get_size (builtin), contents, length);

  g_assert_true (g_key_file_load_from_data (keyfile, contents, length, G_KEY_FILE_NONE, &error));
  g_assert_no_error (error);
  g_assert_true (g_key_file_has_key (keyfile, REFMOUNT_CONFIG_GROUP_DAEMON, REFMOUNT_CONFIG_KEY_MOUNT_ROOTS, NULL));
  {
    g_auto (GStrv) roots = keyfile_list (keyfile, REFMOUNT_CONFIG_GROUP_DAEMON, REFMOUNT_CONFIG_KEY_MOUNT_ROOTS);
    g_auto (GStrv) fs = keyfile_list (keyfile, REFMOUNT_CONFIG_GROUP_DAEMON, REFMOUNT_CONFIG_KEY_ALLOWED_FS);
    g_auto (GStrv) forced = keyfile_list (keyfile, REFMOUNT_CONFIG_GROUP_DAEMON, REFMOUNT_CONFIG_KEY_FORCED_OPTS);

    assert_strv_equal (defaults->mount_roots, (const char *const *) roots);
    assert_strv_equal (defaults->allowed_filesystems, (const char *const *) fs);
    assert_strv_equal (defaults->forced_options, (const char *const *) forced);
  }
  g_assert_cmpuint (defaults->mount_timeout_sec, ==, keyfile_uint (keyfile, REFMOUNT_CONFIG_KEY_TIMEOUT));
  g_assert_cmpuint (defaults->max_mounts, ==, keyfile_uint (keyfile, REFMOUNT_CONFIG_KEY_MAX_MOUNTS));
  g_assert_cmpuint (defaults->max_attachments_per_user, ==, keyfile_uint (keyfile, REFMOUNT_CONFIG_KEY_MAX_ATTACH));

  groups = g_key_file_get_groups (keyfile, NULL);
  for (gsize i = 0; groups[i] != NULL; i++)
    {
      const char             *fstype = groups[i] + strlen (REFMOUNT_CONFIG_GROUP_FS_PREFIX);
      const RefmountFsConfig *fs;
      g_auto (GStrv) allowed = NULL;
      g_auto (GStrv) forced = NULL;

      if (!g_str_has_prefix (groups[i], REFMOUNT_CONFIG_GROUP_FS_PREFIX))
        {
          g_assert_cmpstr (groups[i], ==, REFMOUNT_CONFIG_GROUP_DAEMON);
          continue;
        }
      g_test_message ("[%s]", groups[i]);
      n_fs++;
      fs = refmount_config_get_fs (defaults, fstype);
      g_assert_nonnull (fs);
      allowed = keyfile_list (keyfile, groups[i], REFMOUNT_CONFIG_KEY_ALLOWED_OPTS);
      forced = keyfile_list (keyfile, groups[i], REFMOUNT_CONFIG_KEY_FORCED_OPTS);
      assert_strv_equal (fs->allowed_options, (const char *const *) allowed);
      assert_strv_equal (fs->forced_options, (const char *const *) forced);
      g_assert_cmpint (fs->use_helper, ==, g_key_file_get_boolean (keyfile, groups[i], REFMOUNT_CONFIG_KEY_USE_HELPER, NULL));
    }
  /* No type the file does not name. */
  g_assert_cmpuint (g_hash_table_size (defaults->filesystems), ==, n_fs);

  /* And refmount's loader, given the file as /etc/refmount/refmount.conf,
   * changes nothing. */
  {
    g_autoptr (RefmountConfig) loaded = refmount_config_load (path, FALSE, &error);

    g_assert_no_error (error);
    assert_config_equal (loaded, defaults);
  }
}

/* ---- loading ---------------------------------------------------------- */

static void
test_load_file (Fixture      *fixture,
                gconstpointer data)
{
  g_autoptr (GError)         error = NULL;
  g_autofree char           *path = write_file (fixture->dir, "refmount.conf",
                                                "# comment\n"
                                                          "[Daemon]\n"
                                                          "MountRoots=/srv/mounts;/run/other;\n"
                                                          "AllowedFilesystems=tmpfs;ext4;\n"
                                                          "ForcedOptions=nosuid;nodev;noexec;\n"
                                                          "MountTimeoutSec= 30 \n"
                                                          "MaxMounts=7\n"
                                                          "MaxAttachmentsPerUser=3\n"
                                                          "\n"
                                                          "[Filesystem tmpfs]\n"
                                                          "AllowedOptions=size;\n"
                                                          "\n"
                                                          "[Filesystem ext4]\n"
                                                          "AllowedOptions=ro;noatime;\n"
                                                          "\n"
                                                          "[Filesystem cifs]\n"
                                                          "ForcedOptions=credentials=/etc/refmount/cifs/credentials;vers=3.1.1;\n"
                                                          "UseHelper=false\n");
  g_autoptr (RefmountConfig) config = refmount_config_load (path, FALSE, &error);
  static const char *const   roots[] = { "/srv/mounts", "/run/other", NULL };
  static const char *const   filesystems[] = { "tmpfs", "ext4", NULL };
  static const char *const   forced[] = { "nosuid", "nodev", "noexec", NULL };
  static const char *const   size[] = { "size", NULL };
  static const char *const   ext4[] = { "ro", "noatime", NULL };
  static const char *const   cifs_forced[] = {
      "credentials=/etc/refmount/cifs/credentials", "vers=3.1.1", NULL
  };
  const RefmountFsConfig *fs;

  g_assert_no_error (error);
  g_assert_nonnull (config);
  assert_strv_equal (config->mount_roots, roots);
  assert_strv_equal (config->allowed_filesystems, filesystems);
  assert_strv_equal (config->forced_options, forced);
  g_assert_cmpuint (config->mount_timeout_sec, ==, 30);
  g_assert_cmpuint (config->max_mounts, ==, 7);
  g_assert_cmpuint (config->max_attachments_per_user, ==, 3);

  /* A group overrides only the keys it sets. */
  fs = refmount_config_get_fs (config, "tmpfs");
  assert_strv_equal (fs->allowed_options, size);
  g_assert_false (fs->use_helper);

  /* A new type starts with nothing forced and no helper. */
  fs = refmount_config_get_fs (config, "ext4");
  g_assert_nonnull (fs);
  assert_strv_equal (fs->allowed_options, ext4);
  g_assert_cmpuint (g_strv_length (fs->forced_options), ==, 0);
  g_assert_false (fs->use_helper);

  /* Admin-set forced options may name files callers may never pass. */
  fs = refmount_config_get_fs (config, "cifs");
  assert_strv_equal (fs->forced_options, cifs_forced);
  g_assert_false (fs->use_helper);
  g_assert_cmpuint (g_strv_length (fs->allowed_options), >, 0);

  g_assert_false (refmount_config_fs_allowed (config, "nfs"));
  g_assert_true (refmount_config_fs_allowed (config, "ext4"));
}

static void
test_load_partial (Fixture      *fixture,
                   gconstpointer data)
{
  g_autoptr (GError)         error = NULL;
  g_autofree char           *path = write_file (fixture->dir, "refmount.conf",
                                                "[Daemon]\nMountTimeoutSec=30\n");
  g_autoptr (RefmountConfig) config = refmount_config_load (path, FALSE, &error);
  static const char *const   roots[] = { REFMOUNT_DEFAULT_MOUNT_ROOT, NULL };

  g_assert_no_error (error);
  g_assert_cmpuint (config->mount_timeout_sec, ==, 30);
  g_assert_cmpuint (config->max_mounts, ==, 4096);
  assert_strv_equal (config->mount_roots, roots);
  g_assert_nonnull (refmount_config_get_fs (config, "tmpfs"));
}

static void
test_load_missing (Fixture      *fixture,
                   gconstpointer data)
{
  g_autoptr (GError)         error = NULL;
  g_autofree char           *path = g_build_filename (fixture->dir, "absent.conf", NULL);
  g_autoptr (RefmountConfig) config = refmount_config_load (path, TRUE, &error);
  RefmountConfig            *missing;

  g_autoptr (RefmountConfig) defaults = refmount_config_new_default ();

  g_assert_no_error (error);
  g_assert_nonnull (config);
  assert_default_values (config);
  assert_config_equal (config, defaults);

  missing = refmount_config_load (path, FALSE, &error);
  g_assert_null (missing);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, path));
}

static void
test_load_dropins (Fixture      *fixture,
                   gconstpointer data)
{
  g_autoptr (GError)         error = NULL;
  g_autofree char           *path = write_file (fixture->dir, "refmount.conf",
                                                "[Daemon]\nMountTimeoutSec=10\nMaxMounts=5\n"
                                                          "[Filesystem tmpfs]\nAllowedOptions=size;\n");
  g_autofree char           *dropins = make_dir (fixture->dir, "refmount.conf.d", 0755);
  g_autofree char           *b = NULL, *a = NULL, *hidden = NULL, *other = NULL;
  g_autoptr (RefmountConfig) config = NULL;
  static const char *const   mode[] = { "mode", NULL };

  /* Created out of order, so directory order is unlikely to be sorted. */
  b = write_file (dropins, "20-b.conf", "[Daemon]\nMountTimeoutSec=30\n");
  a = write_file (dropins, "10-a.conf",
                  "[Daemon]\nMountTimeoutSec=20\nMaxAttachmentsPerUser=7\n"
                  "[Filesystem tmpfs]\nAllowedOptions=mode;\n");
  hidden = write_file (dropins, ".30-hidden.conf", "garbage");
  other = write_file (dropins, "40-c.conf.bak", "[Daemon]\nBogus=1\n");

  config = refmount_config_load (path, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (config->mount_timeout_sec, ==, 30);
  g_assert_cmpuint (config->max_mounts, ==, 5);
  g_assert_cmpuint (config->max_attachments_per_user, ==, 7);
  assert_strv_equal (refmount_config_get_fs (config, "tmpfs")->allowed_options, mode);
  g_clear_pointer (&config, refmount_config_unref);

  /* Lexical, not numeric: "9-…" sorts after "20-…". */
  g_free (write_file (dropins, "9-z.conf", "[Daemon]\nMountTimeoutSec=40\n"));
  config = refmount_config_load (path, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (config->mount_timeout_sec, ==, 40);
  g_clear_pointer (&config, refmount_config_unref);

  /* Drop-ins apply on top of the defaults when the main file is absent. */
  g_assert_cmpint (g_unlink (path), ==, 0);
  config = refmount_config_load (path, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (config->mount_timeout_sec, ==, 40);
  g_assert_cmpuint (config->max_mounts, ==, 4096);
  g_clear_pointer (&config, refmount_config_unref);

  /* A bad drop-in fails the whole load and is named. */
  g_free (write_file (dropins, "50-bad.conf", "[Daemon]\nMaxMounts=0\n"));
  config = refmount_config_load (path, TRUE, &error);
  g_assert_null (config);
  g_assert_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE);
  g_assert_nonnull (strstr (error->message, "50-bad.conf"));
}

typedef struct
{
  const char *contents;
  const char *expect[3]; /* substrings of the message besides the file name */
} BadCase;

static const BadCase bad_cases[] = {
  { "[Daemon]\nMountRoots=relative/x;\n", { "Daemon", "MountRoots", "relative/x" } },
  { "[Daemon]\nMountRoots=/run/x/;\n", { "MountRoots", "/run/x/", "normalised" } },
  { "[Daemon]\nMountRoots=/run/../x;\n", { "MountRoots", "/run/../x", "normalised" } },
  { "[Daemon]\nMountRoots=/run//x;\n", { "MountRoots", "/run//x", "normalised" } },
  { "[Daemon]\nMountRoots=/run/./x;\n", { "MountRoots", "/run/./x", "normalised" } },
  { "[Daemon]\nMountRoots=/;\n", { "MountRoots", "'/'", NULL } },
  { "[Daemon]\nMountRoots=\n", { "MountRoots", "at least one", NULL } },
  { "[Daemon]\nMountRoots=/run/a\\tb;\n", { "MountRoots", "control", NULL } },
  { "[Daemon]\nMountRoots=/run/a;/run/a/b;\n", { "MountRoots", "/run/a/b", "overlaps" } },
  { "[Daemon]\nMountRoots=/run/a;/run/a;\n", { "MountRoots", "overlaps", NULL } },
  { "[Daemon]\nMountTimeoutSec=0\n", { "Daemon", "MountTimeoutSec", "'0'" } },
  { "[Daemon]\nMountTimeoutSec=3601\n", { "MountTimeoutSec", "3601", "1 to 3600" } },
  { "[Daemon]\nMountTimeoutSec=-1\n", { "MountTimeoutSec", "-1", NULL } },
  { "[Daemon]\nMountTimeoutSec=ten\n", { "MountTimeoutSec", "ten", NULL } },
  { "[Daemon]\nMountTimeoutSec=\n", { "MountTimeoutSec", NULL, NULL } },
  { "[Daemon]\nMaxMounts=0\n", { "MaxMounts", "'0'", NULL } },
  { "[Daemon]\nMaxAttachmentsPerUser=0\n", { "MaxAttachmentsPerUser", "'0'", NULL } },
  { "[Daemon]\nAuthorizationTimeoutSec=0\n", { "AuthorizationTimeoutSec", "'0'", NULL } },
  { "[Daemon]\nInteractiveAuthorizationTimeoutSec=3601\n", { "InteractiveAuthorizationTimeoutSec", "3601", "1 to 3600" } },
  { "[Daemon]\nMaxCallsPerClient=0\n", { "MaxCallsPerClient", "'0'", NULL } },
  { "[Daemon]\nMaxCallsPerUser=many\n", { "MaxCallsPerUser", "many", NULL } },
  { "[Daemon]\nMaxCallsTotal=\n", { "MaxCallsTotal", NULL, NULL } },
  { "[Daemon]\nMaxMounts=99999999999\n", { "MaxMounts", "99999999999", NULL } },
  { "[Daemon]\nMountTimeout=5\n", { "Daemon", "MountTimeout", "unknown key" } },
  { "[Daemon]\nmountroots=/run/x;\n", { "mountroots", "unknown key", NULL } },
  { "[Daemon]\nMountRoots[de]=/run/x;\n", { "MountRoots[de]", "unknown key", NULL } },
  { "[Deamon]\nMaxMounts=1\n", { "Deamon", "unknown group", NULL } },
  { "[Daemon]\nAllowedFilesystems=nfs;ext 4;\n", { "AllowedFilesystems", "ext 4", NULL } },
  { "[Daemon]\nAllowedFilesystems=nfs;;tmpfs;\n", { "AllowedFilesystems", "empty", NULL } },
  { "[Daemon]\nForcedOptions=nosuid,nodev;\n", { "ForcedOptions", "nosuid,nodev", NULL } },
  { "[Daemon]\nForcedOptions=nosuid;;nodev;\n", { "ForcedOptions", "empty", NULL } },
  { "[Filesystem tmpfs]\nAllowedOptions=size;;ro;\n", { "Filesystem tmpfs", "AllowedOptions", "empty" } },
  { "[Filesystem tmpfs]\nAllowedOptions=size,ro;\n", { "AllowedOptions", "size,ro", NULL } },
  { "[Filesystem tmpfs]\nAllowedOptions=si ze;\n", { "AllowedOptions", "si ze", "whitespace" } },
  { "[Filesystem tmpfs]\nAllowedOptions=size=1M;\n", { "AllowedOptions", "size=1M", NULL } },
  { "[Filesystem tmpfs]\nForcedOptions=mode=0755,suid;\n", { "ForcedOptions", "mode=0755,suid", NULL } },
  { "[Filesystem tmpfs]\nForcedOptions=mode=\"0755;\n", { "ForcedOptions", "mode=", NULL } },
  { "[Filesystem tmpfs]\nUseHelper=maybe\n", { "UseHelper", "maybe", NULL } },
  { "[Filesystem tmpfs]\nAllowOptions=size;\n", { "Filesystem tmpfs", "AllowOptions", "unknown key" } },
  { "[Filesystem ]\nUseHelper=true\n", { "Filesystem ", "empty", NULL } },
  { "[Filesystem a/b]\nUseHelper=true\n", { "Filesystem a/b", NULL, NULL } },
  /* Found by fuzz-config: a C1 control (U+008A) in a name was accepted,
   * and the mountpoint derived from it failed validation. */
  { "[Daemon]\nAllowedFilesystems=t\xc2\x8aoexec;\n", { "AllowedFilesystems", "ASCII letters", NULL } },
  { "[Filesystem t\xc3\xa9mpfs]\nUseHelper=true\n", { "ASCII letters", NULL, NULL } },
};

static void
test_load_malformed (Fixture      *fixture,
                     gconstpointer data)
{
  for (gsize i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      const BadCase             *c = &bad_cases[i];
      g_autoptr (GError)         error = NULL;
      g_autofree char           *name = g_strdup_printf ("bad-%" G_GSIZE_FORMAT ".conf", i);
      g_autofree char           *path = write_file (fixture->dir, name, c->contents);
      g_autoptr (RefmountConfig) config = NULL;
      g_autofree char           *escaped = g_strescape (c->contents, NULL);

      g_test_message ("case %" G_GSIZE_FORMAT ": %s", i, escaped);
      config = refmount_config_load (path, FALSE, &error);
      g_assert_null (config);
      g_assert_nonnull (error);
      g_assert_true (error->domain == G_KEY_FILE_ERROR);
      if (strstr (error->message, path) == NULL)
        g_error ("message '%s' does not name the file", error->message);
      for (gsize j = 0; j < G_N_ELEMENTS (c->expect) && c->expect[j] != NULL; j++)
        if (strstr (error->message, c->expect[j]) == NULL)
          g_error ("message '%s' does not contain '%s'", error->message, c->expect[j]);
    }
}

static void
test_load_syntax_error (Fixture      *fixture,
                        gconstpointer data)
{
  g_autoptr (GError)         error = NULL;
  g_autofree char           *path = write_file (fixture->dir, "refmount.conf", "this is not a key file\n");
  g_autoptr (RefmountConfig) config = refmount_config_load (path, FALSE, &error);

  g_assert_null (config);
  g_assert_true (error->domain == G_KEY_FILE_ERROR);
  g_assert_nonnull (strstr (error->message, path));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/config/defaults", test_defaults);
  g_test_add_func ("/config/shipped-file", test_shipped_file);
  g_test_add ("/config/load/file", Fixture, NULL, fixture_setup, test_load_file, fixture_teardown);
  g_test_add ("/config/load/partial", Fixture, NULL, fixture_setup, test_load_partial, fixture_teardown);
  g_test_add ("/config/load/missing", Fixture, NULL, fixture_setup, test_load_missing, fixture_teardown);
  g_test_add ("/config/load/dropins", Fixture, NULL, fixture_setup, test_load_dropins, fixture_teardown);
  g_test_add ("/config/load/malformed", Fixture, NULL, fixture_setup, test_load_malformed, fixture_teardown);
  g_test_add ("/config/load/syntax-error", Fixture, NULL, fixture_setup, test_load_syntax_error, fixture_teardown);

  return g_test_run ();
}
