/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "refmount-fstype.h"

typedef struct
{
  const char *requested;
  const char *kernel[3];
} FstypeAliases;

/* Only what the helpers and the kernel are known to do: a wider set
 * would let refmount adopt (and later unmount) a mount it did not make. */
static const FstypeAliases aliases[] = {
  /* mount.nfs picks the protocol version; vers=4.x mounts are "nfs4". */
  { "nfs", { "nfs", "nfs4", NULL } },
  { "nfs4", { "nfs4", NULL } },
  /* One kernel client under two names: which one a mount reports depends
   * on the kernel and on how mount.cifs / mount.smb3 were invoked. */
  { "cifs", { "cifs", "smb3", NULL } },
  { "smb3", { "smb3", "cifs", NULL } },
  /* mount.glusterfs starts the glusterfs FUSE client. */
  { "glusterfs", { "fuse.glusterfs", "glusterfs", NULL } },
  { "fuse.glusterfs", { "fuse.glusterfs", NULL } },
  /* mount.fuse.sshfs / sshfs set the FUSE subtype "sshfs". */
  { "sshfs", { "fuse.sshfs", NULL } },
  { "fuse.sshfs", { "fuse.sshfs", NULL } },
};

static const char *const *
kernel_types (const char *requested)
{
  for (gsize i = 0; i < G_N_ELEMENTS (aliases); i++)
    if (g_strcmp0 (aliases[i].requested, requested) == 0)
      return aliases[i].kernel;
  return NULL;
}

gboolean
refmount_fstype_kernel_matches (const char *requested,
                                const char *kernel)
{
  const char *const *types;

  if (requested == NULL || kernel == NULL)
    return FALSE;
  types = kernel_types (requested);
  if (types == NULL)
    return g_strcmp0 (requested, kernel) == 0;
  return g_strv_contains (types, kernel);
}
