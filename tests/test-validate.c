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

#define ROOT REFMOUNT_DEFAULT_MOUNT_ROOT

/* Every rejection must be InvalidArgument, name the argument, and say why. */
static void
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
static void
note (const char *what,
      const char *value)
{
  g_autofree char *escaped = g_strescape (value != NULL ? value : "(null)", NULL);

  g_test_message ("%s '%s'", what, escaped);
}

static char *
repeat (char  c,
        gsize n)
{
  char *s = g_malloc (n + 1);

  memset (s, c, n);
  s[n] = '\0';
  return s;
}

/* ROOT/aaa…/aaa… of exactly @len bytes, with components of at most 200. */
static char *
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

static RefmountConfig *
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
  { "cifs", { "vers=3.1.1", "uid=1000", NULL }, NULL },
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
    const char *reason;
  } cases[] = {
    { "@a{sv} {}", TRUE, FALSE, NULL },
    { "{'release-on-exit': <true>}", TRUE, TRUE, NULL },
    { "{'release-on-exit': <false>}", TRUE, FALSE, NULL },
    { "{'release-on-exit': <'yes'>}", FALSE, FALSE, "release-on-exit" },
    { "{'release-on-exit': <1>}", FALSE, FALSE, "boolean" },
    { "{'force': <true>}", FALSE, FALSE, "force" },
    { "{'foo': <true>}", FALSE, FALSE, "unknown flag" },
    { "{'release-on-exit': <true>, 'Release-On-Exit': <true>}", FALSE, FALSE, "Release-On-Exit" },
  };
  gboolean             release = TRUE;
  g_autoptr (GError)   error = NULL;
  g_autoptr (GVariant) wrong = g_variant_ref_sink (g_variant_new_string ("release-on-exit"));

  g_assert_true (refmount_validate_mount_flags (NULL, &release, &error));
  g_assert_no_error (error);
  g_assert_false (release);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GVariant) flags = parse_variant (cases[i].flags);
      gboolean             ok;

      g_test_message ("mount flags %s", cases[i].flags);
      release = 42;
      ok = refmount_validate_mount_flags (flags, &release, &error);
      if (cases[i].ok)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
          g_assert_cmpint (release, ==, cases[i].release);
        }
      else
        {
          g_assert_false (ok);
          assert_invalid (error, "flags", cases[i].reason);
          g_assert_cmpint (release, ==, 42);
          g_clear_error (&error);
        }
    }

  g_assert_false (refmount_validate_mount_flags (wrong, &release, &error));
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
  const char *exp2[] = { "nosuid", "size=1M", "nodev", NULL };
  const char *exp3[] = { "ro", "nosuid", "nodev", NULL };
  const char *exp4[] = { "nosuid", "nodev", NULL };
  const char *exp5[] = {
    "IdentityFile=/etc/refmount/ssh/id_ed25519",
    "UserKnownHostsFile=/etc/refmount/ssh/known_hosts",
    "BatchMode=yes",
    "nosuid", "nodev", NULL
  };
  const char *exp6[] = { "size=1M", "ro", "nosuid", "noexec", "nodev", NULL };
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

static void
test_escape_value (void)
{
  g_autofree char *long_value = repeat ('x', 1000);
  g_autofree char *cut = refmount_validate_escape_value (long_value);
  g_autofree char *ctrl = refmount_validate_escape_value ("a\nb\x01\xff");
  g_autofree char *plain = refmount_validate_escape_value ("/run/x");

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

  g_test_add_func ("/validate/mountpoint/table", test_mountpoint_table);
  g_test_add_func ("/validate/mountpoint/length", test_mountpoint_length);
  g_test_add_func ("/validate/mountpoint/roots", test_mountpoint_roots);
  g_test_add_func ("/validate/fstype", test_fstype);
  g_test_add_func ("/validate/source/table", test_source_table);
  g_test_add_func ("/validate/source/length", test_source_length);
  g_test_add_func ("/validate/options/table", test_options_table);
  g_test_add_func ("/validate/options/limits", test_options_limits);
  g_test_add_func ("/validate/options/denied-despite-allowlist", test_options_denied_despite_allowlist);
  g_test_add_func ("/validate/attachment", test_attachment);
  g_test_add_func ("/validate/flags/mount", test_mount_flags);
  g_test_add_func ("/validate/flags/unmount", test_unmount_flags);
  g_test_add_func ("/validate/derive-mountpoint", test_derive_mountpoint);
  g_test_add_func ("/validate/effective-options", test_effective_options);
  g_test_add_func ("/validate/options-equal", test_options_equal);
  g_test_add_func ("/validate/escape-value", test_escape_value);

  return g_test_run ();
}
