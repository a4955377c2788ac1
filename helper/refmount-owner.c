/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "refmount-error.h"
#include "refmount-names.h"
#include "refmount-owner.h"

typedef enum
{
  OWNER_WAY_NONE,
  OWNER_WAY_TMPFS,
  OWNER_WAY_CIFS,
  OWNER_WAY_SSHFS,
} OwnerWay;

static OwnerWay
owner_way_for (const char *fstype)
{
  if (g_strcmp0 (fstype, "tmpfs") == 0)
    return OWNER_WAY_TMPFS;
  if (g_strcmp0 (fstype, "cifs") == 0 || g_strcmp0 (fstype, "smb3") == 0)
    return OWNER_WAY_CIFS;
  if (g_strcmp0 (fstype, "fuse.sshfs") == 0)
    return OWNER_WAY_SSHFS;
  /* NFS and GlusterFS take ownership from the server: no mount option
   * maps the files to a local user, so the flag cannot be honoured. */
  return OWNER_WAY_NONE;
}

GStrv
refmount_owner_options (const char *fstype,
                        guint32     uid,
                        guint32     gid,
                        GError    **error)
{
  g_autoptr (GStrvBuilder) builder = NULL;
  g_autofree char         *uid_option = NULL;
  g_autofree char         *gid_option = NULL;
  OwnerWay                 way = owner_way_for (fstype);

  if (way == OWNER_WAY_NONE)
    {
      g_autofree char *escaped = g_strescape (fstype != NULL ? fstype : "", NULL);

      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT,
                   "Invalid flags key '%s': filesystem type '%s' cannot be mounted as the caller's "
                   "own (supported: tmpfs, cifs, smb3, fuse.sshfs)",
                   REFMOUNT_FLAG_OWNER, escaped);
      return NULL;
    }

  builder = g_strv_builder_new ();
  uid_option = g_strdup_printf ("uid=%u", uid);
  gid_option = g_strdup_printf ("gid=%u", gid);
  g_strv_builder_add (builder, uid_option);
  g_strv_builder_add (builder, gid_option);
  switch (way)
    {
    case OWNER_WAY_TMPFS:
      /* The root directory of the tmpfs: hers alone. */
      g_strv_builder_add (builder, "mode=0700");
      break;
    case OWNER_WAY_CIFS:
      /* forceuid/forcegid: the uid=/gid= apply even when the server
       * offers Unix extensions with its own owners; the modes keep the
       * files from everyone else, as the server's ACLs are not seen. */
      g_strv_builder_add (builder, "forceuid");
      g_strv_builder_add (builder, "forcegid");
      g_strv_builder_add (builder, "file_mode=0600");
      g_strv_builder_add (builder, "dir_mode=0700");
      break;
    case OWNER_WAY_SSHFS:
      /* The FUSE server runs as root: without allow_other only root
       * could enter the mount.  default_permissions makes the kernel
       * check the modes, and umask=0077 makes those modes hers alone
       * whatever the server reports. */
      g_strv_builder_add (builder, "allow_other");
      g_strv_builder_add (builder, "default_permissions");
      g_strv_builder_add (builder, "umask=0077");
      break;
    case OWNER_WAY_NONE:
      g_assert_not_reached ();
    }
  return g_strv_builder_end (builder);
}

GStrv
refmount_owner_append_options (const char *const *options,
                               const char        *fstype,
                               guint32            uid,
                               guint32            gid,
                               GError           **error)
{
  g_auto (GStrv) owner = refmount_owner_options (fstype, uid, gid, error);
  g_autoptr (GStrvBuilder) builder = NULL;

  if (owner == NULL)
    return NULL;
  builder = g_strv_builder_new ();
  if (options != NULL)
    g_strv_builder_addv (builder, (const char **) options);
  g_strv_builder_addv (builder, (const char **) owner);
  return g_strv_builder_end (builder);
}

gboolean
refmount_owner_lookup_gid (guint32  uid,
                           guint32 *out_gid,
                           GError **error)
{
  struct passwd    pwd;
  struct passwd   *found = NULL;
  long             size = sysconf (_SC_GETPW_R_SIZE_MAX);
  g_autofree char *buf = NULL;
  int              r;

  if (size <= 0)
    size = 16384;
  buf = g_malloc (size);
  while ((r = getpwuid_r (uid, &pwd, buf, size, &found)) == ERANGE && size < (1 << 20))
    {
      size *= 2;
      buf = g_realloc (buf, size);
    }
  if (found == NULL)
    {
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT,
                   "Invalid flags key '%s': the caller's uid %u has no entry in the user database (%s)",
                   REFMOUNT_FLAG_OWNER, uid, r != 0 ? g_strerror (r) : "no such user");
      return FALSE;
    }
  *out_gid = pwd.pw_gid;
  return TRUE;
}
