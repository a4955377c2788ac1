/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <gio/gio.h>

#include "refmount-enums.h"
#include "refmount-mount.h"

G_BEGIN_DECLS

#define REFMOUNT_TYPE_CLIENT (refmount_client_get_type ())
G_DECLARE_FINAL_TYPE (RefmountClient, refmount_client, REFMOUNT, CLIENT, GObject)

void            refmount_client_new_async (GDBusConnection *connection, RefmountClientFlags flags, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
RefmountClient *refmount_client_new_finish (GAsyncResult *result,
                                            GError      **error);
RefmountClient *refmount_client_new_sync (GCancellable *cancellable,
                                          GError      **error);
RefmountClient *refmount_client_new_full_sync (GDBusConnection *connection, RefmountClientFlags flags, GCancellable *cancellable, GError **error);

GDBusConnection *refmount_client_get_connection (RefmountClient *client);
gboolean         refmount_client_get_interactive (RefmountClient *client);
void             refmount_client_set_interactive (RefmountClient *client,
                                                  gboolean        interactive);
int              refmount_client_get_timeout (RefmountClient *client);
void             refmount_client_set_timeout (RefmountClient *client,
                                              int             timeout_msec);
gboolean         refmount_client_get_daemon_running (RefmountClient *client);
char            *refmount_client_dup_version (RefmountClient *client);
GStrv            refmount_client_dup_mount_roots (RefmountClient *client);
GStrv            refmount_client_dup_supported_filesystems (RefmountClient *client);
guint64          refmount_client_get_generation (RefmountClient *client);
guint            refmount_client_get_api_version (RefmountClient *client);
GList           *refmount_client_get_mounts (RefmountClient *client);
RefmountMount   *refmount_client_lookup_mount (RefmountClient *client,
                                               const char     *mountpoint);

void  refmount_client_mount_async (RefmountClient     *client,
                                   const char         *fstype,
                                   const char         *source,
                                   const char         *mountpoint,
                                   const char *const  *options,
                                   const char         *attachment,
                                   RefmountMountFlags  flags,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data);
char *refmount_client_mount_finish (RefmountClient *client,
                                    GAsyncResult   *result,
                                    GError        **error);
char *refmount_client_mount_sync (RefmountClient    *client,
                                  const char        *fstype,
                                  const char        *source,
                                  const char        *mountpoint,
                                  const char *const *options,
                                  const char        *attachment,
                                  RefmountMountFlags flags,
                                  GCancellable      *cancellable,
                                  GError           **error);

void     refmount_client_unmount_async (RefmountClient     *client,
                                        const char         *mountpoint,
                                        const char         *attachment,
                                        RefmountMountFlags  flags,
                                        GCancellable       *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data);
gboolean refmount_client_unmount_finish (RefmountClient *client,
                                         GAsyncResult   *result,
                                         gboolean       *out_unmounted,
                                         GError        **error);
gboolean refmount_client_unmount_sync (RefmountClient    *client,
                                       const char        *mountpoint,
                                       const char        *attachment,
                                       RefmountMountFlags flags,
                                       gboolean          *out_unmounted,
                                       GCancellable      *cancellable,
                                       GError           **error);

void           refmount_client_get_mount_async (RefmountClient     *client,
                                                const char         *mountpoint,
                                                GCancellable       *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer            user_data);
RefmountMount *refmount_client_get_mount_finish (RefmountClient *client,
                                                 GAsyncResult   *result,
                                                 GError        **error);
RefmountMount *refmount_client_get_mount_sync (RefmountClient *client,
                                               const char     *mountpoint,
                                               GCancellable   *cancellable,
                                               GError        **error);

void     refmount_client_reload_async (RefmountClient     *client,
                                       GCancellable       *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data);
gboolean refmount_client_reload_finish (RefmountClient *client,
                                        GAsyncResult   *result,
                                        GError        **error);
gboolean refmount_client_reload_sync (RefmountClient *client,
                                      GCancellable   *cancellable,
                                      GError        **error);

void     refmount_client_recover_async (RefmountClient *client, const char *mountpoint, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
gboolean refmount_client_recover_finish (RefmountClient *client, GAsyncResult *result, GError **error);
gboolean refmount_client_recover_sync (RefmountClient *client, const char *mountpoint, GCancellable *cancellable, GError **error);

GStrv    refmount_client_dup_allowed_options (RefmountClient *client, const char *fstype);
gboolean refmount_client_get_filesystem_uses_helper (RefmountClient *client, const char *fstype);

G_END_DECLS
