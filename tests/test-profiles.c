/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The shipped filesystem profiles (data/refmount.conf, issue 6): every
 * allowed option accepted and every never-allowed one rejected for every
 * profile, the source shapes per type, the exact mount request the table
 * hands to the backend (fstype, source, option string, helper flag), the
 * libmount context built from it, and the cleaning of helper output.
 */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "refmount-backend-libmount.h"
#include "refmount-error.h"
#include "refmount-helper-child.h"
#include "refmount-names.h"
#include "refmount-validate.h"
#include "table-fixture.h"

static const char *const profiles[] = {
  "nfs",
  "nfs4",
  "cifs",
  "smb3",
  "glusterfs",
  "fuse.glusterfs",
  "fuse.sshfs",
  "tmpfs",
};

/* Options that name a file, run a command or undo a forced setting: never
 * from a caller, whatever the profile (doc/design.md "Validation and
 * confinement"). */
static const char *const never_allowed[] = {
  "suid",
  "dev",
  "helper=/bin/sh",
  "uhelper=udisks2",
  "loop=/dev/loop0",
  "x-mount.mkdir",
  "X-mount.owner=0",
  "x_systemd.automount",
  "credentials=/root/.smbcredentials",
  "cred=/etc/shadow",
  "CREDENTIALS=/x",
  "log-file=/etc/shadow",
  "log_file=/etc/shadow",
  "logfile=/x",
  "volfile=/x",
  "dump-fuse=/x",
  "xlator-option=*.x=y",
  "ssh_command=/bin/sh",
  "ssh-command=sh",
  "sftp_server=/bin/sh",
  "F=/tmp/ssh_config",
  "uidfile=/x",
  "gidfile=/x",
  "directport=22",
  "IdentityFile=/root/.ssh/id_rsa",
  "identityfile=/x",
  "IdentityAgent=/x",
  "CertificateFile=/x",
  "UserKnownHostsFile=/dev/null",
  "GlobalKnownHostsFile=/x",
  "RevokedHostKeys=/x",
  "ControlPath=/x",
  "ProxyCommand=nc",
  "LocalCommand=id",
  "RemoteCommand=id",
  "KnownHostsCommand=/x",
  "PKCS11Provider=/x.so",
  "SecurityKeyProvider=/x.so",
  "XAuthLocation=/x",
  "Include=/x",
  "LocalForward=/tmp/s:/tmp/t",
  "RemoteForward=1:x:2",
  "DynamicForward=1080",
};

typedef struct
{
  const char *fstype;
  const char *option;
} ProfileOption;

/* Options a profile leaves to ForcedOptions (credentials, identities,
 * servers, background retries) or that make no sense for it. */
static const ProfileOption not_in_profile[] = {
  { "nfs", "bg" },
  { "nfs", "clientaddr=10.0.0.1" },
  { "nfs", "context=system_u:object_r:nfs_t:s0" },
  { "nfs", "minorversion=2" },
  { "nfs4", "nfsvers=3" },
  { "nfs4", "retry=10000" },
  { "cifs", "username=admin" },
  { "cifs", "password=secret" },
  { "cifs", "domain=CORP" },
  { "cifs", "sec=krb5" },
  { "cifs", "cruid=0" },
  { "cifs", "multiuser" },
  { "cifs", "noperm" },
  { "cifs", "setuids" },
  { "smb3", "username=admin" },
  { "smb3", "sec=krb5" },
  { "glusterfs", "client-pid=-1" },
  { "glusterfs", "process-name=x" },
  { "glusterfs", "volfile-server=evil" },
  { "fuse.glusterfs", "client-pid=-1" },
  { "fuse.sshfs", "allow_other" },
  { "fuse.sshfs", "ProxyJump=evil" },
  { "fuse.sshfs", "StrictHostKeyChecking=no" },
  { "fuse.sshfs", "BatchMode=no" },
  { "fuse.sshfs", "fsname=evil" },
  { "fuse.sshfs", "passive" },
  { "tmpfs", "huge=always" },
  { "tmpfs", "exec" },
};

static RefmountConfig *
load_shipped (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *path = g_test_build_filename (G_TEST_DIST, "..", "data", "refmount.conf", NULL);
  RefmountConfig    *config = refmount_config_load (path, FALSE, &error);

  g_assert_no_error (error);
  g_assert_nonnull (config);
  return config;
}

static void
assert_invalid_options (GError     *error,
                        const char *reason)
{
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "options"));
  if (strstr (error->message, reason) == NULL)
    g_error ("message '%s' does not contain '%s'", error->message, reason);
}

/* ---- accept/deny per profile ------------------------------------------ */

static void
test_every_profile_shipped (void)
{
  g_autoptr (RefmountConfig) config = load_shipped ();

  for (gsize i = 0; i < G_N_ELEMENTS (profiles); i++)
    {
      const RefmountFsConfig *fs = refmount_config_get_fs (config, profiles[i]);

      g_test_message ("[Filesystem %s]", profiles[i]);
      g_assert_nonnull (fs);
      g_assert_cmpuint (g_strv_length (fs->allowed_options), >, 0);
      /* Kernel filesystems without a helper, network ones through theirs. */
      g_assert_cmpint (fs->use_helper, ==, strcmp (profiles[i], "tmpfs") != 0);
    }
}

static void
test_allowed_accepted (void)
{
  g_autoptr (RefmountConfig) config = load_shipped ();

  for (gsize i = 0; i < G_N_ELEMENTS (profiles); i++)
    {
      const RefmountFsConfig *fs = refmount_config_get_fs (config, profiles[i]);

      for (gsize j = 0; fs->allowed_options[j] != NULL; j++)
        {
          g_autoptr (GError) error = NULL;
          g_autofree char   *with_value = g_strdup_printf ("%s=1", fs->allowed_options[j]);
          const char        *bare[] = { fs->allowed_options[j], NULL };
          const char        *valued[] = { with_value, NULL };

          g_assert_true (refmount_validate_options (config, profiles[i], bare, &error));
          g_assert_no_error (error);
          g_assert_true (refmount_validate_options (config, profiles[i], valued, &error));
          g_assert_no_error (error);
        }
    }
}

static void
test_never_allowed_rejected (void)
{
  g_autoptr (RefmountConfig) config = load_shipped ();

  for (gsize i = 0; i < G_N_ELEMENTS (profiles); i++)
    {
      RefmountFsConfig *fs = (RefmountFsConfig *) refmount_config_get_fs (config, profiles[i]);
      guint             n = g_strv_length (fs->allowed_options);

      /* Even an admin who lists them by mistake must not open the hole. */
      fs->allowed_options = g_renew (char *, fs->allowed_options, n + G_N_ELEMENTS (never_allowed) + 1);
      for (gsize j = 0; j < G_N_ELEMENTS (never_allowed); j++)
        fs->allowed_options[n + j] = g_strndup (never_allowed[j], strcspn (never_allowed[j], "="));
      fs->allowed_options[n + G_N_ELEMENTS (never_allowed)] = NULL;

      for (gsize j = 0; j < G_N_ELEMENTS (never_allowed); j++)
        {
          g_autoptr (GError) error = NULL;
          const char        *options[] = { "ro", never_allowed[j], NULL };

          g_test_message ("%s: %s", profiles[i], never_allowed[j]);
          g_assert_false (refmount_validate_options (config, profiles[i], options, &error));
          assert_invalid_options (error, "is never allowed");
        }
    }
}

static void
test_not_in_profile_rejected (void)
{
  g_autoptr (RefmountConfig) config = load_shipped ();

  for (gsize i = 0; i < G_N_ELEMENTS (not_in_profile); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char   *reason = g_strdup_printf ("is not allowed for %s", not_in_profile[i].fstype);
      const char        *options[] = { not_in_profile[i].option, NULL };

      g_test_message ("%s: %s", not_in_profile[i].fstype, not_in_profile[i].option);
      g_assert_false (refmount_validate_options (config, not_in_profile[i].fstype, options, &error));
      assert_invalid_options (error, reason);
    }
}

/* ',' inside one element would smuggle a second option past the checks. */
static void
test_smuggling_rejected (void)
{
  g_autoptr (RefmountConfig) config = load_shipped ();

  for (gsize i = 0; i < G_N_ELEMENTS (profiles); i++)
    {
      g_autoptr (GError) error = NULL;
      const char        *options[] = { "ro,credentials=/etc/shadow", NULL };

      g_assert_false (refmount_validate_options (config, profiles[i], options, &error));
      assert_invalid_options (error, "single option");
    }
}

/* ---- source shapes ------------------------------------------------------ */

typedef struct
{
  const char *fstype;
  const char *source;
  const char *reason; /* NULL: accepted */
} SourceCase;

static const SourceCase source_cases[] = {
  { "nfs", "server:/export", NULL },
  { "nfs", "server.example.com:/export/vol-1", NULL },
  { "nfs", "10.0.0.5:/", NULL },
  { "nfs", "[fd00::5]:/export", NULL },
  { "nfs", "[::ffff:10.0.0.5]:/export", NULL },
  { "nfs4", "server:/", NULL },
  { "nfs", "server:export", "must have the form host:/path or [address]:/path (for nfs)" },
  { "nfs", "server", "must have the form host:/path" },
  { "nfs", ":/export", "the host must be a name" },
  { "nfs", "fd00::5:/export", "must have the form host:/path" },
  { "nfs", "[server]:/export", "must be an IPv6 address" },
  { "nfs", "[fd00::5:/export", "must be an IPv6 address" },
  { "nfs4", "/export", "the host must be a name" },
  { "nfs", "-oloop:/x", "must not start with '-'" },
  { "nfs", "server:/a,b", "must not contain ','" },
  { "nfs", "server:/a b", "whitespace" },
  { "cifs", "//server/share", NULL },
  { "cifs", "//server/share/sub/dir", NULL },
  { "cifs", "//10.0.0.5/share", NULL },
  { "cifs", "//[fd00::5]/share", NULL },
  { "smb3", "//server/share", NULL },
  { "cifs", "\\\\server\\share", "must have the form //host/share[/path] (for cifs)" },
  { "cifs", "//server", "must have the form //host/share[/path]" },
  { "cifs", "//server/", "must have the form //host/share[/path]" },
  { "cifs", "//server//share", "must have the form //host/share[/path]" },
  { "cifs", "server:/share", "must have the form //host/share[/path]" },
  { "smb3", "///share", "the host must be a name" },
  { "cifs", "//-server/share", "must not start with '-'" },
  { "glusterfs", "gluster1:/volume", NULL },
  { "glusterfs", "gluster1.example.com:/vol-1", NULL },
  { "fuse.glusterfs", "[fd00::7]:/volume", NULL },
  { "glusterfs", "gluster1:/", "must have the form host:/volume (for glusterfs)" },
  { "glusterfs", "gluster1:volume", "must have the form host:/volume" },
  { "fuse.glusterfs", "gluster1", "must have the form host:/volume" },
  { "fuse.sshfs", "host:", NULL },
  { "fuse.sshfs", "host:/srv/data", NULL },
  { "fuse.sshfs", "user@host:relative/dir", NULL },
  { "fuse.sshfs", "user@[fd00::9]:/srv", NULL },
  { "fuse.sshfs", "host", "must have the form [user@]host:[path] (for fuse.sshfs)" },
  { "fuse.sshfs", "@host:/x", "the user before '@' must not be empty" },
  { "fuse.sshfs", "user@-oProxyCommand=x:/", "must not start with '-'" },
  { "fuse.sshfs", "user@:/x", "the host must be a name" },
  { "tmpfs", "anything-goes", NULL },
};

static void
test_source_shapes (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (source_cases); i++)
    {
      const SourceCase  *c = &source_cases[i];
      g_autoptr (GError) error = NULL;
      gboolean           ok = refmount_validate_source (c->fstype, c->source, &error);

      g_test_message ("%s '%s'", c->fstype, c->source);
      if (c->reason == NULL)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
          continue;
        }
      g_assert_false (ok);
      g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT);
      if (strstr (error->message, "Invalid source") == NULL || strstr (error->message, c->reason) == NULL)
        g_error ("message '%s' should name the source and say '%s'", error->message, c->reason);
    }
}

/* ---- the request the backend gets (fake backend) ------------------------ */

typedef struct
{
  const char *fstype;
  const char *source;
  const char *options[4];
  const char *expected_options; /* exactly what libmount is given */
  gboolean    use_helper;
} RequestCase;

static const RequestCase request_cases[] = {
  { "nfs", "server:/export", { "vers=4.2", "soft", "timeo=600", NULL }, "vers=4.2,soft,timeo=600,nosuid,nodev", TRUE },
  { "nfs4", "[fd00::5]:/export", { "ro", NULL }, "ro,nosuid,nodev", TRUE },
  /* The forced vers=3.0 overrides the caller's vers (the last one wins), so only it is passed. */
  { "cifs", "//server/share", { "vers=3.1.1", "file_mode=0644", NULL }, "file_mode=0644,credentials=/etc/refmount/cifs/credentials,vers=3.0,nosuid,nodev", TRUE },
  { "smb3", "//server/share/sub", { NULL }, "nosuid,nodev", TRUE },
  { "glusterfs", "gluster1:/volume", { "backup-volfile-servers=gluster2:gluster3", "log-level=WARNING", NULL }, "backup-volfile-servers=gluster2:gluster3,log-level=WARNING,nosuid,nodev", TRUE },
  { "fuse.glusterfs", "gluster1:/volume", { "ro", NULL }, "ro,nosuid,nodev", TRUE },
  { "fuse.sshfs", "backup@host:/srv", { "port=2222", "reconnect", NULL }, "port=2222,reconnect,IdentityFile=/etc/refmount/ssh/id_ed25519,"
                                                                          "UserKnownHostsFile=/etc/refmount/ssh/known_hosts,BatchMode=yes,nosuid,nodev",
    TRUE },
  { "tmpfs", "scratch", { "size=1M", NULL }, "size=1M,nosuid,nodev", FALSE },
};

static void
test_backend_request (Fixture      *fx,
                      gconstpointer data)
{
  RefmountFsConfig *cifs = (RefmountFsConfig *) refmount_config_get_fs (fx->config, "cifs");
  guint             n = g_strv_length (fx->config->allowed_filesystems);

  /* Site settings as an admin would make them: credentials and a minimum
   * protocol version forced for cifs, fuse.glusterfs enabled. */
  g_strfreev (cifs->forced_options);
  cifs->forced_options = g_strsplit ("credentials=/etc/refmount/cifs/credentials;vers=3.0", ";", -1);
  fx->config->allowed_filesystems = g_renew (char *, fx->config->allowed_filesystems, n + 2);
  fx->config->allowed_filesystems[n] = g_strdup ("fuse.glusterfs");
  fx->config->allowed_filesystems[n + 1] = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (request_cases); i++)
    {
      const RequestCase    *c = &request_cases[i];
      g_autoptr (GError)    error = NULL;
      g_autofree char      *name = g_strdup_printf ("mp-%" G_GSIZE_FORMAT, i);
      g_autofree char      *mountpoint = mp (fx, name);
      RefmountAttachRequest request = { 0 };
      gboolean              ok;

      g_test_message ("%s %s", c->fstype, c->source);
      g_assert_true (refmount_validate_fstype (fx->config, c->fstype, &error));
      g_assert_true (refmount_validate_source (c->fstype, c->source, &error));
      g_assert_true (refmount_validate_options (fx->config, c->fstype, c->options, &error));
      g_assert_no_error (error);

      request.fstype = c->fstype;
      request.source = c->source;
      request.mountpoint = mountpoint;
      request.options = c->options;
      request.attachment = "volume-1:instance-1";
      request.uid = 1000;
      request.pid = 1;
      request.bus_name = ":1.1";
      ok = refmount_table_attach (fx->table, fx->config, &request, &error);
      g_assert_no_error (error);
      g_assert_true (ok);

      g_assert_cmpstr (fx->fake->last_fstype, ==, c->fstype);
      g_assert_cmpstr (fx->fake->last_source, ==, c->source);
      g_assert_cmpstr (fx->fake->last_options, ==, c->expected_options);
      g_assert_cmpint (fx->fake->last_use_helper, ==, c->use_helper);
      /* Helpers are bounded by MountTimeoutSec. */
      g_assert_cmpint (fx->fake->last_deadline, >, g_get_monotonic_time ());
      g_assert_cmpint (fx->fake->last_deadline, <=,
                       g_get_monotonic_time () + (gint64) fx->config->mount_timeout_sec * G_USEC_PER_SEC);
    }
  g_assert_cmpuint (fx->fake->mount_calls, ==, G_N_ELEMENTS (request_cases));
}

/* ---- the libmount context ----------------------------------------------- */

static void
test_libmount_context (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (request_cases); i++)
    {
      const RequestCase     *c = &request_cases[i];
      struct libmnt_context *cxt = refmount_backend_libmount_mount_context (c->fstype, c->source,
                                                                            "/proc/1/fd/3",
                                                                            c->expected_options,
                                                                            c->use_helper);
      struct libmnt_fs      *fs = mnt_context_get_fs (cxt);
      g_autofree char       *options = mnt_fs_strdup_options (fs);

      g_test_message ("%s: libmount holds '%s'", c->fstype, options);
      g_assert_cmpstr (mnt_context_get_fstype (cxt), ==, c->fstype);
      g_assert_cmpstr (mnt_context_get_source (cxt), ==, c->source);
      g_assert_cmpstr (mnt_context_get_target (cxt), ==, "/proc/1/fd/3");
      /* The same string, in the same order: the forced options last. */
      g_assert_cmpstr (options, ==, c->expected_options);
      g_assert_cmpint (mnt_context_is_nohelpers (cxt), ==, !c->use_helper);
      /* Exactly what was asked: no fstab, no canonicalization. */
      g_assert_cmpint (mnt_context_get_optsmode (cxt), ==, MNT_OMODE_IGNORE);
      g_assert_true (mnt_context_is_nocanonicalize (cxt));
      mnt_free_context (cxt);
    }
}

/* ---- helpers ------------------------------------------------------------ */

static void
test_helper_environment (void)
{
  /* Fixed, and nothing of the daemon's. */
  g_assert_cmpstr (refmount_helper_environment[0], ==, "PATH=/usr/sbin:/usr/bin:/sbin:/bin");
  g_assert_cmpstr (refmount_helper_environment[1], ==, "LANG=C");
  g_assert_null (refmount_helper_environment[2]);
}

static void
test_clean_output (void)
{
  g_autofree char *lines = refmount_helper_clean_output ("mount.nfs: access denied\n\nby server\n", strlen ("mount.nfs: access denied\n\nby server\n"), 1024);
  g_autofree char *control = refmount_helper_clean_output ("a\033[31mred\r\tb", strlen ("a\033[31mred\r\tb"), 1024);
  g_autofree char *invalid = refmount_helper_clean_output ("bad \xff byte", strlen ("bad \xff byte"), 1024);
  g_autofree char *empty = refmount_helper_clean_output ("\n \n", strlen ("\n \n"), 1024);
  g_autofree char *cut = refmount_helper_clean_output ("0123456789abcdef", strlen ("0123456789abcdef"), 10);

  g_assert_cmpstr (lines, ==, "mount.nfs: access denied; by server");
  g_assert_cmpstr (control, ==, "a [31mred  b");
  g_assert_true (g_utf8_validate (invalid, -1, NULL));
  g_assert_nonnull (strstr (invalid, "bad "));
  g_assert_nonnull (strstr (invalid, " byte"));
  g_assert_cmpstr (empty, ==, "");
  g_assert_cmpstr (cut, ==, "0123456789…");
}

/* A mount that cannot succeed (no such filesystem type, no helper for
 * it) run through the child: reported, not mounted, not timed out. */
static void
test_helper_child_failure (void)
{
  g_autoptr (GError)     error = NULL;
  g_autofree char       *dir = g_dir_make_tmp ("refmount-profiles-XXXXXX", &error);
  RefmountHelperResult   result;
  struct libmnt_context *cxt;

  g_assert_no_error (error);
  cxt = refmount_backend_libmount_mount_context ("refmountnosuchfs", "none", dir, "nosuid,nodev", TRUE);
  g_assert_true (refmount_helper_child_mount (cxt, g_get_monotonic_time () + 30 * G_USEC_PER_SEC,
                                              &result, &error));
  g_assert_no_error (error);
  g_assert_false (result.mounted);
  g_assert_false (result.timed_out);
  g_assert_false (result.helper_executed);
  g_assert_nonnull (result.message);
  g_assert_nonnull (result.output);
  g_test_message ("reason: %s (errno %d)", result.message, result.syscall_errno);
  refmount_helper_result_clear (&result);
  mnt_free_context (cxt);
  g_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/profiles/shipped", test_every_profile_shipped);
  g_test_add_func ("/profiles/allowed-accepted", test_allowed_accepted);
  g_test_add_func ("/profiles/never-allowed-rejected", test_never_allowed_rejected);
  g_test_add_func ("/profiles/not-in-profile-rejected", test_not_in_profile_rejected);
  g_test_add_func ("/profiles/smuggling-rejected", test_smuggling_rejected);
  g_test_add_func ("/profiles/source-shapes", test_source_shapes);
  ADD ("/profiles/backend-request", test_backend_request);
  g_test_add_func ("/profiles/libmount-context", test_libmount_context);
  g_test_add_func ("/profiles/helper-environment", test_helper_environment);
  g_test_add_func ("/profiles/clean-output", test_clean_output);
  g_test_add_func ("/profiles/helper-child-failure", test_helper_child_failure);

  return g_test_run ();
}
