/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "refmount-bench-lib.h"
#include "refmount.h"

/* A calls-only client (DO_NOT_FOLLOW), as a program making many calls
 * would use: the rows measure the library's call path against raw GDBus.
 * A following client also receives every change on the bus, which is the
 * cost of watching, not of the library. */
static RefmountClient *client;

gboolean
bench_lib_open (GError **error)
{
  client = refmount_client_new_full_sync (NULL, REFMOUNT_CLIENT_FLAGS_DO_NOT_FOLLOW, NULL, error);
  return client != NULL;
}

gboolean
bench_lib_mount (const char *mountpoint,
                 const char *attachment,
                 GError    **error)
{
  g_autofree char *used = refmount_client_mount_sync (client, "tmpfs", "bench", mountpoint, NULL, attachment,
                                                      REFMOUNT_MOUNT_FLAGS_NONE, NULL, error);

  return used != NULL;
}

gboolean
bench_lib_unmount (const char *mountpoint,
                   const char *attachment,
                   GError    **error)
{
  return refmount_client_unmount_sync (client, mountpoint, attachment, REFMOUNT_MOUNT_FLAGS_NONE, NULL, NULL,
                                       error);
}
