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

/* ---- mountpoint ------------------------------------------------------- */

typedef struct
{
  const char *mountpoint;
  const char *reason;   /* NULL: accepted */
  const char *relative; /* when accepted */
} MountpointCase;

static const MountpointCase mountpoint_cases[] = {
  { ROOT "/a", NULL, "a" },
  { ROOT "/a/b", NULL, "a/b" },
  { ROOT "/nfs-f387f2b0d58b4657", NULL, "nfs-f387f2b0d58b4657" },
  { ROOT "/with space", NULL, "with space" },
  { ROOT "/\xc3\xbc", NULL, "\xc3\xbc" },
  { ROOT "/.hidden", NULL, ".hidden" },
  { ROOT "/a..b/...", NULL, "a..b/..." },
  { "", "must not be empty", NULL },
  { "relative/x", "absolute", NULL },
  { "run/refmount/mounts/a", "absolute", NULL },
  { ROOT, "not the mount root itself", NULL },
  { ROOT "/", "normalised", NULL },
  { ROOT "/a/", "normalised", NULL },
  { ROOT "/../x", "normalised", NULL },
  { ROOT "/a/..", "normalised", NULL },
  { ROOT "/a/../../../etc", "normalised", NULL },
  { ROOT "/./a", "normalised", NULL },
  { ROOT "/a/.", "normalised", NULL },
  { ROOT "//a", "normalised", NULL },
  { "/" ROOT "/a", "normalised", NULL },
  { ROOT "X/a", "beneath a mount root", NULL },
  { ROOT "X", "beneath a mount root", NULL },
  { "/run/refmount", "beneath a mount root", NULL },
  { "/", "beneath a mount root", NULL },
  { "/etc/passwd", "beneath a mount root", NULL },
  { ROOT "/a\nb", "control characters", NULL },
  { ROOT "/a\tb", "control characters", NULL },
  { ROOT "/a\x01", "control characters", NULL },
  { ROOT "/a\x7f", "control characters", NULL },
  { ROOT "/a\xc2\x85", "control characters", NULL },
  { ROOT "/\xff", "UTF-8", NULL },
  { ROOT "/\xc3", "UTF-8", NULL },
};

static void
test_mountpoint_table (void)
{
  g_autoptr (RefmountConfig) config = refmount_config_new_default ();

  for (gsize i = 0; i < G_N_ELEMENTS (mountpoint_cases); i++)
    {
      const MountpointCase *c = &mountpoint_cases[i];
      g_autoptr (GError)    error = NULL;
      g_autofree char      *relative = NULL;
      const char           *root = NULL;
      gboolean              ok;

      note ("mountpoint", c->mountpoint);
      ok = refmount_validate_mountpoint (config, c->mountpoint, &root, &relative, &error);
      if (c->reason == NULL)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
          g_assert_cmpstr (root, ==, ROOT);
          g_assert_true (root == config->mount_roots[0]);
          g_assert_cmpstr (relative, ==, c->relative);
        }
      else
        {
          g_assert_false (ok);
          assert_invalid (error, "mountpoint", c->reason);
          /* Nothing is returned on failure. */
          g_assert_null (root);
          g_assert_null (relative);
        }
    }
}

static void
test_mountpoint_length (void)
{
  g_autoptr (RefmountConfig) config = refmount_config_new_default ();
  g_autoptr (GError)         error = NULL;
  g_autofree char           *at_max = long_path (PATH_MAX);
  g_autofree char           *over = long_path (PATH_MAX + 1);
  g_autofree char           *name_max = repeat ('n', NAME_MAX);
  g_autofree char           *name_over = repeat ('n', NAME_MAX + 1);
  g_autofree char           *ok_component = g_strconcat (ROOT "/", name_max, NULL);
  g_autofree char           *long_component = g_strconcat (ROOT "/", name_over, NULL);

  g_assert_true (refmount_validate_mountpoint (config, at_max, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (refmount_validate_mountpoint (config, ok_component, NULL, NULL, &error));
  g_assert_no_error (error);

  g_assert_false (refmount_validate_mountpoint (config, over, NULL, NULL, &error));
  assert_invalid (error, "mountpoint", "PATH_MAX");
  /* The value is cut short in the message. */
  g_assert_nonnull (strstr (error->message, "…"));
  g_assert_cmpuint (strlen (error->message), <, 512);
  g_clear_error (&error);

  g_assert_false (refmount_validate_mountpoint (config, long_component, NULL, NULL, &error));
  assert_invalid (error, "mountpoint", "NAME_MAX");
}

static void
test_mountpoint_roots (void)
{
  g_autoptr (RefmountConfig) config =
    config_from_data ("[Daemon]\nMountRoots=/srv/mnt;/run/refmount/mounts;\n");
  g_autoptr (GError) error = NULL;
  g_autofree char   *relative = NULL;
  const char        *root = NULL;

  g_assert_true (refmount_validate_mountpoint (config, ROOT "/x/y", &root, &relative, &error));
  g_assert_no_error (error);
  g_assert_true (root == config->mount_roots[1]);
  g_assert_cmpstr (relative, ==, "x/y");

  g_assert_true (refmount_validate_mountpoint (config, "/srv/mnt/z", &root, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (root, ==, "/srv/mnt");

  /* Either root, itself, is refused; so is a sibling sharing a prefix. */
  g_assert_false (refmount_validate_mountpoint (config, "/srv/mnt", NULL, NULL, &error));
  assert_invalid (error, "mountpoint", "root itself");
  g_clear_error (&error);
  g_assert_false (refmount_validate_mountpoint (config, "/srv/mnt2/z", NULL, NULL, &error));
  assert_invalid (error, "mountpoint", "/srv/mnt2/z");
}

/* ---- fstype ----------------------------------------------------------- */

static void
test_fstype (void)
{
  g_autoptr (RefmountConfig) config = refmount_config_new_default ();
  static const char *const   good[] = {
      "nfs",
      "nfs4",
      "cifs",
      "smb3",
      "glusterfs",
      "fuse.sshfs",
      "tmpfs",
  };
  static const char *const bad[] = {
    "",
    "ext4",
    "NFS",
    "nfs,ro",
    "tmp fs",
    "tmpfs\n",
    "../tmpfs",
    "\xff",
    "fuse.glusterfs",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_true (refmount_validate_fstype (config, good[i], &error));
      g_assert_no_error (error);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;

      note ("fstype", bad[i]);
      g_assert_false (refmount_validate_fstype (config, bad[i], &error));
      assert_invalid (error, "fstype", NULL);
    }
}

/* ---- source ----------------------------------------------------------- */

typedef struct
{
  const char *fstype;
  const char *source;
  gboolean    ok;
} SourceCase;

static const SourceCase source_cases[] = {
  /* generic rules only */
  { "tmpfs", "tmpfs", TRUE },
  { "tmpfs", "none", TRUE },
  { "tmpfs", "a:b@c/d", TRUE },
  { "ext4", "/dev/sda1", TRUE },
  { "tmpfs", "", FALSE },
  { "tmpfs", "-o", FALSE },
  { "tmpfs", "-tmpfs", FALSE },
  { "tmpfs", "a b", FALSE },
  { "tmpfs", "a\tb", FALSE },
  { "tmpfs", "a\nb", FALSE },
  { "tmpfs", "a\x01", FALSE },
  { "tmpfs", "a\x7f", FALSE },
  { "tmpfs", "a\xc2\xa0"
             "b",
    FALSE },
  { "tmpfs", "a,b", FALSE },
  { "tmpfs", "\xff", FALSE },
  /* nfs */
  { "nfs", "srv:/export", TRUE },
  { "nfs", "srv.example.com:/a/b", TRUE },
  { "nfs", "my_host-1:/", TRUE },
  { "nfs", "10.0.0.1:/x", TRUE },
  { "nfs", "[fe80::1]:/x", TRUE },
  { "nfs", "[::ffff:10.0.0.1]:/x", TRUE },
  { "nfs4", "srv:/export", TRUE },
  { "nfs", "srv:export", FALSE },
  { "nfs", "srv", FALSE },
  { "nfs", ":/x", FALSE },
  { "nfs", "srv/x:/y", FALSE },
  { "nfs", "s@rv:/x", FALSE },
  { "nfs", "-srv:/x", FALSE },
  { "nfs", "[fe80::1]/x", FALSE },
  { "nfs", "[fe80::1]:x", FALSE },
  { "nfs", "[zz::1]:/x", FALSE },
  { "nfs", "[]:/x", FALSE },
  { "nfs", "[10.0.0.1]:/x", FALSE },
  { "nfs4", "srv :/x", FALSE },
  { "nfs4", "//srv/share", FALSE },
  /* cifs, smb3 */
  { "cifs", "//srv/share", TRUE },
  { "cifs", "//srv/share/sub/dir", TRUE },
  { "cifs", "//10.0.0.1/s", TRUE },
  { "cifs", "//[fe80::1]/s", TRUE },
  { "smb3", "//srv/share", TRUE },
  { "cifs", "/srv/share", FALSE },
  { "cifs", "srv/share", FALSE },
  { "cifs", "//srv", FALSE },
  { "cifs", "//srv/", FALSE },
  { "cifs", "//srv//share", FALSE },
  { "cifs", "//-srv/share", FALSE },
  { "cifs", "//srv:445/share", FALSE },
  { "cifs", "\\\\srv\\share", FALSE },
  { "smb3", "srv:/export", FALSE },
  { "cifs", "//srv/share,ro", FALSE },
  /* glusterfs */
  { "glusterfs", "gl1:/vol", TRUE },
  { "glusterfs", "gl1:/vol/sub", TRUE },
  { "fuse.glusterfs", "gl1:/vol", TRUE },
  { "glusterfs", "gl1:vol", FALSE },
  { "glusterfs", "gl1:/", FALSE },
  { "glusterfs", ":/vol", FALSE },
  { "glusterfs", "gl1", FALSE },
  { "fuse.glusterfs", "gl1:/", FALSE },
  /* sshfs */
  { "fuse.sshfs", "host:", TRUE },
  { "fuse.sshfs", "host:/path", TRUE },
  { "fuse.sshfs", "user@host:", TRUE },
  { "fuse.sshfs", "user@host:rel/path", TRUE },
  { "fuse.sshfs", "u@[::1]:/x", TRUE },
  { "fuse.sshfs", "host:/p@x", TRUE },
  { "fuse.sshfs", "host", FALSE },
  { "fuse.sshfs", "user@host", FALSE },
  { "fuse.sshfs", "@host:/x", FALSE },
  { "fuse.sshfs", "user@:/x", FALSE },
  { "fuse.sshfs", "user@-oProxyCommand=x:", FALSE },
  { "fuse.sshfs", "-oProxyCommand=x@host:", FALSE },
  { "fuse.sshfs", "user@ho st:", FALSE },
};

static void
test_source_table (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (source_cases); i++)
    {
      const SourceCase  *c = &source_cases[i];
      g_autoptr (GError) error = NULL;
      gboolean           ok;

      note (c->fstype, c->source);
      ok = refmount_validate_source (c->fstype, c->source, &error);
      if (c->ok)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
        }
      else
        {
          g_assert_false (ok);
          assert_invalid (error, "source", NULL);
        }
    }
}

static void
test_source_length (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *at_max = repeat ('s', REFMOUNT_SOURCE_MAX_LEN);
  g_autofree char   *over = repeat ('s', REFMOUNT_SOURCE_MAX_LEN + 1);

  g_assert_true (refmount_validate_source ("tmpfs", at_max, &error));
  g_assert_no_error (error);
  g_assert_false (refmount_validate_source ("tmpfs", over, &error));
  assert_invalid (error, "source", "1024");
  g_assert_cmpuint (strlen (error->message), <, 512);
}

/* ---- options ---------------------------------------------------------- */

typedef struct
{
  const char *fstype;
  const char *options[4];
  const char *reason; /* NULL: accepted */
} OptionsCase;

static const OptionsCase options_cases[] = {
  { "tmpfs", { NULL }, NULL },
  { "tmpfs", { "size=10M", NULL }, NULL },
  { "tmpfs", { "mode=0755", "ro", "noexec", NULL }, NULL },
  { "tmpfs", { "size=", NULL }, NULL },
  { "nfs", { "vers=4.2", "soft", NULL }, NULL },
  { "cifs", { "vers=3.1.1", "file_mode=0644", NULL }, NULL },
  /* Only refmountd sets them, for the Mount flag "owner". */
  { "cifs", { "vers=3.1.1", "uid=1000", NULL }, "option 'uid=1000' is never allowed" },
  { "cifs", { "gid=0", NULL }, "option 'gid=0' is never allowed" },
  { "fuse.sshfs", { "port=2222", "reconnect", NULL }, NULL },
  { "tmpfs", { "suid", NULL }, "option 'suid' is never allowed" },
  { "tmpfs", { "ro", "dev", NULL }, "option 'dev' is never allowed" },
  { "tmpfs", { "SUID", NULL }, "never allowed" },
  { "tmpfs", { "helper=/bin/x", NULL }, "never allowed" },
  { "tmpfs", { "uhelper=udisks2", NULL }, "never allowed" },
  { "tmpfs", { "x-foo", NULL }, "never allowed" },
  { "tmpfs", { "X-mount.mkdir", NULL }, "never allowed" },
  { "tmpfs", { "x-mount.mkdir=0700", NULL }, "never allowed" },
  { "tmpfs", { "loop=/dev/loop0", NULL }, "never allowed" },
  { "cifs", { "credentials=/root/creds", NULL }, "never allowed" },
  { "cifs", { "cred=/root/creds", NULL }, "never allowed" },
  { "fuse.sshfs", { "IdentityFile=/root/.ssh/id_rsa", NULL }, "never allowed" },
  { "fuse.sshfs", { "identityfile=/x", NULL }, "never allowed" },
  { "fuse.sshfs", { "ssh_command=sh", NULL }, "never allowed" },
  { "fuse.sshfs", { "ssh-command=sh", NULL }, "never allowed" },
  { "fuse.sshfs", { "sftp_server=/bin/sh", NULL }, "never allowed" },
  { "fuse.sshfs", { "ProxyCommand=nc", NULL }, "never allowed" },
  { "fuse.sshfs", { "UserKnownHostsFile=/dev/null", NULL }, "never allowed" },
  { "glusterfs", { "log-file=/etc/shadow", NULL }, "never allowed" },
  { "glusterfs", { "log_file=/etc/shadow", NULL }, "never allowed" },
  { "glusterfs", { "logfile=/etc/shadow", NULL }, "never allowed" },
  { "tmpfs", { "ro,suid", NULL }, "single option" },
  { "tmpfs", { "size=1M,mode=0777", NULL }, "single option" },
  { "tmpfs", { "foo", NULL }, "option 'foo' is not allowed for tmpfs" },
  { "tmpfs", { "exec", NULL }, "not allowed for tmpfs" },
  { "tmpfs", { "vers=4.2", NULL }, "not allowed for tmpfs" },
  { "tmpfs", { "ro", "size=1M", "nosuid", NULL }, "not allowed for tmpfs" },
  { "ext4", { "ro", NULL }, "not allowed for ext4" },
  { "tmpfs", { "", NULL }, "must not be empty" },
  { "tmpfs", { "=1M", NULL }, "name" },
  { "tmpfs", { "size=1 0", NULL }, "whitespace" },
  { "tmpfs", { " ro", NULL }, "whitespace" },
  { "tmpfs", { "size=\n", NULL }, "control characters" },
  { "tmpfs", { "ro\x01", NULL }, "control characters" },
  { "tmpfs", { "ro\x7f", NULL }, "control characters" },
  { "tmpfs", { "mode=\xff", NULL }, "UTF-8" },
  { "tmpfs", { "mode=\"0755", NULL }, "'\"'" },
};

static void
test_options_table (void)
{
  g_autoptr (RefmountConfig) config = refmount_config_new_default ();

  for (gsize i = 0; i < G_N_ELEMENTS (options_cases); i++)
    {
      const OptionsCase *c = &options_cases[i];
      g_autoptr (GError) error = NULL;
      gboolean           ok;

      note (c->fstype, c->options[0]);
      ok = refmount_validate_options (config, c->fstype, c->options, &error);
      if (c->reason == NULL)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
        }
      else
        {
          g_assert_false (ok);
          assert_invalid (error, "options", c->reason);
        }
    }
}

static void
test_options_limits (void)
{
  g_autoptr (RefmountConfig) config = refmount_config_new_default ();
  g_autoptr (GError)         error = NULL;
  g_autoptr (GPtrArray)      many = g_ptr_array_new ();
  g_autofree char           *value = repeat ('1', REFMOUNT_OPTION_MAX_LEN - strlen ("size="));
  g_autofree char           *at_max = g_strconcat ("size=", value, NULL);
  g_autofree char           *over = g_strconcat (at_max, "1", NULL);
  const char                *one[2] = { NULL, NULL };

  g_assert_true (refmount_validate_options (config, "tmpfs", NULL, &error));
  g_assert_no_error (error);

  for (gsize i = 0; i < REFMOUNT_OPTIONS_MAX_COUNT; i++)
    g_ptr_array_add (many, (gpointer) "ro");
  g_ptr_array_add (many, NULL);
  g_assert_true (refmount_validate_options (config, "tmpfs",
                                            (const char *const *) many->pdata, &error));
  g_assert_no_error (error);

  g_ptr_array_insert (many, 0, (gpointer) "ro");
  g_assert_false (refmount_validate_options (config, "tmpfs",
                                             (const char *const *) many->pdata, &error));
  assert_invalid (error, "options", "at most 64");
  g_clear_error (&error);

  one[0] = at_max;
  g_assert_true (refmount_validate_options (config, "tmpfs", one, &error));
  g_assert_no_error (error);
  one[0] = over;
  g_assert_false (refmount_validate_options (config, "tmpfs", one, &error));
  assert_invalid (error, "options", "1024");
}

/* An admin listing a dangerous option does not make it acceptable. */
static void
test_options_denied_despite_allowlist (void)
{
  g_autoptr (RefmountConfig) config =
    config_from_data ("[Filesystem tmpfs]\nAllowedOptions=size;suid;helper;x-mount.mkdir;credentials;\n");
  static const char *const denied[] = { "suid", "helper=/bin/sh", "x-mount.mkdir", "credentials=/x" };
  const char              *size[] = { "size=1M", NULL };
  g_autoptr (GError)       error = NULL;

  g_assert_true (refmount_validate_options (config, "tmpfs", size, &error));
  g_assert_no_error (error);

  for (gsize i = 0; i < G_N_ELEMENTS (denied); i++)
    {
      const char *options[] = { denied[i], NULL };

      g_assert_false (refmount_validate_options (config, "tmpfs", options, &error));
      assert_invalid (error, "options", "never allowed");
      g_clear_error (&error);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/validate/mountpoint/table", test_mountpoint_table);
  g_test_add_func ("/validate/mountpoint/length", test_mountpoint_length);
  g_test_add_func ("/validate/mountpoint/roots", test_mountpoint_roots);
  g_test_add_func ("/validate/fstype", test_fstype);
  g_test_add_func ("/validate/source/table", test_source_table);
  g_test_add_func ("/validate/source/length", test_source_length);
  g_test_add_func ("/validate/options/table", test_options_table);
  g_test_add_func ("/validate/options/limits", test_options_limits);
  g_test_add_func ("/validate/options/denied-despite-allowlist", test_options_denied_despite_allowlist);

  return g_test_run ();
}
