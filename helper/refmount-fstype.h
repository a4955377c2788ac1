/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The filesystem type a caller asks for is not always the one the kernel
 * reports for the mount it gets: mount.nfs with vers=4.2 makes an "nfs4"
 * mount, mount.glusterfs starts a FUSE daemon ("fuse.glusterfs"), and
 * "smb3" shows up as "cifs" on older kernels.  Every comparison of a
 * recorded or requested type with the kernel's goes through here (mount,
 * adoption, vanished and stale checks, the start-up reconcile), so that
 * they can never disagree about what "our mount" is.
 */

/* Whether a kernel mount of type @kernel is what a mount of @requested
 * makes.  A type without aliases matches only itself; NULL never
 * matches. */
gboolean refmount_fstype_kernel_matches (const char *requested,
                                         const char *kernel);

G_END_DECLS
