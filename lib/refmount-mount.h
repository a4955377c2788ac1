/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib-object.h>

#include "refmount-attachment.h"
#include "refmount-enums.h"

G_BEGIN_DECLS

#define REFMOUNT_TYPE_MOUNT (refmount_mount_get_type ())
G_DECLARE_FINAL_TYPE (RefmountMount, refmount_mount, REFMOUNT, MOUNT, GObject)

const char         *refmount_mount_get_object_path (RefmountMount *mount);
const char         *refmount_mount_get_mountpoint (RefmountMount *mount);
const char         *refmount_mount_get_source (RefmountMount *mount);
const char         *refmount_mount_get_filesystem_type (RefmountMount *mount);
const char *const  *refmount_mount_get_options (RefmountMount *mount);
RefmountMountState  refmount_mount_get_state (RefmountMount *mount);
GPtrArray          *refmount_mount_get_attachments (RefmountMount *mount);
RefmountAttachment *refmount_mount_lookup_attachment (RefmountMount *mount,
                                                      const char    *id);
guint64             refmount_mount_get_mounted_at (RefmountMount *mount);

RefmountMountHealth refmount_mount_get_health (RefmountMount *mount);
guint64             refmount_mount_get_health_checked_at (RefmountMount *mount);
const char         *refmount_mount_get_health_message (RefmountMount *mount);
gboolean            refmount_mount_get_usage (RefmountMount *mount, guint64 *out_size, guint64 *out_free, guint64 *out_available);

G_END_DECLS
