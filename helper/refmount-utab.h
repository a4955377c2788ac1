/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * libmount's userspace mount table (/run/mount/utab, or $LIBMOUNT_UTAB):
 * options the kernel does not keep, which every libmount reader merges
 * into the mount table it reads -- GLib's g_unix_mounts_get() and
 * GUnixMountMonitor among them, which is how file managers (GVfs) learn
 * x-gvfs-show and x-gvfs-name=.  refmountd mounts onto /proc/PID/fd/N,
 * a path libmount would record as it is, and such an entry never matches
 * the real mountpoint: so the entry is written here, under the canonical
 * mountpoint, after the mount succeeded.
 */

/* Record @user_options (comma-joined x-* options) for the mount of
 * @source (@fstype) on @mountpoint, replacing an older entry there. */
gboolean refmount_utab_add (const char *mountpoint,
                            const char *source,
                            const char *fstype,
                            const char *user_options,
                            GError    **error);

/* Drop the entry for @mountpoint, if there is one. */
gboolean refmount_utab_remove (const char *mountpoint,
                               GError    **error);

G_END_DECLS
