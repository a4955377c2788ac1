/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Caller-owned mounts (issue 15): the ownership options per type, the
 * refusal of types without a way to give files to a user, their place
 * after the caller's options (so the owner's mode wins, through the
 * effective options refmountd mounts with), and that callers cannot set
 * uid=/gid= themselves.
 */
#include "config.h"

#include <string.h>

#include "refmount-config.h"
#include "refmount-error.h"
#include "refmount-owner.h"
#include "refmount-validate.h"

typedef struct
{
  const char *fstype;
  const char *expected; /* joined with ','; NULL: refused */
} OwnerCase;

static const OwnerCase owner_cases[] = {
  { "tmpfs", "uid=1000,gid=100,mode=0700" },
  { "cifs", "uid=1000,gid=100,forceuid,forcegid,file_mode=0600,dir_mode=0700" },
  { "smb3", "uid=1000,gid=100,forceuid,forcegid,file_mode=0600,dir_mode=0700" },
  { "fuse.sshfs", "uid=1000,gid=100,allow_other,default_permissions,umask=0077" },
  { "nfs", NULL },
  { "nfs4", NULL },
  { "glusterfs", NULL },
  { "fuse.glusterfs", NULL },
  { "ramfs", NULL },
  { "sshfs", NULL }, /* the name refmount knows is fuse.sshfs */
  { "", NULL },
};

static void
test_owner_options_per_type (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (owner_cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_auto (GStrv) options = refmount_owner_options (owner_cases[i].fstype, 1000, 100, &error);

      g_test_message ("owner options for '%s'", owner_cases[i].fstype);
      if (owner_cases[i].expected != NULL)
        {
          g_autofree char *joined = NULL;

          g_assert_no_error (error);
          g_assert_nonnull (options);
          joined = g_strjoinv (",", options);
          g_assert_cmpstr (joined, ==, owner_cases[i].expected);
        }
      else
        {
          g_assert_null (options);
          g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT);
          /* The message names the flag and the type. */
          g_assert_nonnull (strstr (error->message, "'owner'"));
          g_assert_nonnull (strstr (error->message, owner_cases[i].fstype));
        }
    }
}

static void
test_owner_options_are_the_callers_uid (void)
{
  g_auto (GStrv) a = refmount_owner_options ("tmpfs", 65534, 65534, NULL);
  g_auto (GStrv) b = refmount_owner_options ("tmpfs", 1, 1, NULL);

  g_assert_true (g_strv_contains ((const char *const *) a, "uid=65534"));
  g_assert_true (g_strv_contains ((const char *const *) a, "gid=65534"));
  /* Two owners, two option lists: the conflict check tells them apart. */
  g_assert_false (refmount_options_equal ((const char *const *) a, (const char *const *) b));
}

static void
test_owner_after_caller_options (void)
{
  const char                *caller[] = { "size=1m", "mode=0777", NULL };
  g_autoptr (GError)         error = NULL;
  g_autoptr (RefmountConfig) config = refmount_config_new_default ();
  g_auto (GStrv) owned = refmount_owner_append_options (caller, "tmpfs", 1000, 100, &error);
  g_auto (GStrv) effective = NULL;
  g_autofree char *joined = NULL;

  g_assert_no_error (error);
  joined = g_strjoinv (",", owned);
  g_assert_cmpstr (joined, ==, "size=1m,mode=0777,uid=1000,gid=100,mode=0700");
  /* What refmountd mounts with: the owner's mode, not the caller's. */
  effective = refmount_effective_options (config, "tmpfs", (const char *const *) owned);
  g_assert_false (g_strv_contains ((const char *const *) effective, "mode=0777"));
  g_assert_true (g_strv_contains ((const char *const *) effective, "mode=0700"));
  g_assert_true (g_strv_contains ((const char *const *) effective, "uid=1000"));
  g_assert_true (g_strv_contains ((const char *const *) effective, "nosuid"));

  g_assert_null (refmount_owner_append_options (caller, "nfs", 1000, 100, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT);
}

static void
test_callers_cannot_pass_uid_gid (void)
{
  /* Even where the configuration would allow them. */
  g_autoptr (RefmountConfig) config = NULL;
  g_autoptr (GError)         error = NULL;
  static const char *const   denied[] = { "uid=0", "gid=0", "UID=1000", "uid", "gid=100" };

  config = refmount_config_load_from_data ("[Daemon]\nMountRoots=/run/refmount/mounts;\n"
                                           "AllowedFilesystems=tmpfs;cifs;\n"
                                           "[Filesystem cifs]\nAllowedOptions=uid;gid;vers;\n"
                                           "[Filesystem tmpfs]\nAllowedOptions=uid;gid;size;\n",
                                           -1, "test", &error);
  g_assert_no_error (error);
  for (gsize i = 0; i < G_N_ELEMENTS (denied); i++)
    for (gsize t = 0; t < 2; t++)
      {
        const char *options[] = { denied[i], NULL };

        g_assert_false (refmount_validate_options (config, t == 0 ? "cifs" : "tmpfs", options, &error));
        g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT);
        g_assert_nonnull (strstr (error->message, "never allowed"));
        g_clear_error (&error);
      }
}

static void
test_lookup_gid (void)
{
  guint32            gid = 4242;
  g_autoptr (GError) error = NULL;

  g_assert_true (refmount_owner_lookup_gid (0, &gid, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (gid, ==, 0);
  /* A uid nobody has: no owner to give the mount to. */
  gid = 4242;
  g_assert_false (refmount_owner_lookup_gid (3999999999u, &gid, &error));
  g_assert_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT);
  g_assert_cmpuint (gid, ==, 4242);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/owner/options-per-type", test_owner_options_per_type);
  g_test_add_func ("/owner/options-are-the-callers-uid", test_owner_options_are_the_callers_uid);
  g_test_add_func ("/owner/after-caller-options", test_owner_after_caller_options);
  g_test_add_func ("/owner/callers-cannot-pass-uid-gid", test_callers_cannot_pass_uid_gid);
  g_test_add_func ("/owner/lookup-gid", test_lookup_gid);
  return g_test_run ();
}
