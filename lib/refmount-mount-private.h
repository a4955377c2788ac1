/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What RefmountClient needs of RefmountMount beyond the public getters. */
#pragma once

#include "refmount-generated.h"
#include "refmount-mount.h"

G_BEGIN_DECLS

RefmountMount *refmount_mount_new_for_proxy (RefmountDBusMount *proxy);

/* Re-reads PROXY's cached properties into MOUNT.  Returns TRUE when
 * anything differs from what MOUNT held; the attachments that appeared
 * and went away are appended to ADDED and REMOVED (RefmountAttachment,
 * owned by the arrays), either may be NULL. */
gboolean refmount_mount_update (RefmountMount     *mount,
                                RefmountDBusMount *proxy,
                                GPtrArray         *added,
                                GPtrArray         *removed);

RefmountMountState refmount_mount_state_parse (const char *state);

G_END_DECLS
