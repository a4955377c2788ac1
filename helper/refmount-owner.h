/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Caller-owned mounts (the Mount flag "owner"): the mount options that
 * make a filesystem of one type belong to one user, from refmountd's
 * knowledge of the caller rather than from the caller's options (callers
 * can never pass uid=/gid= themselves; refmount-validate.c refuses them).
 * Pure functions apart from the user database lookup.
 */

/* The options for @fstype, in the order they are appended:
 *   tmpfs                 uid=U, gid=G, mode=0700
 *   cifs, smb3            uid=U, gid=G, forceuid, forcegid, file_mode=0600,
 *                         dir_mode=0700
 *   fuse.sshfs            uid=U, gid=G, allow_other, default_permissions,
 *                         umask=0077
 * Any other type: NULL and REFMOUNT_ERROR_INVALID_ARGUMENT naming the
 * "owner" flag and the type. */
GStrv refmount_owner_options (const char *fstype,
                              guint32     uid,
                              guint32     gid,
                              GError    **error);

/* @options (the caller's, validated) followed by
 * refmount_owner_options(): later options win in libmount, so the owner's
 * mode wins over a caller's mode=. */
GStrv refmount_owner_append_options (const char *const *options,
                                     const char        *fstype,
                                     guint32            uid,
                                     guint32            gid,
                                     GError           **error);

/* The primary group of @uid from the user database; a uid without an
 * entry is REFMOUNT_ERROR_INVALID_ARGUMENT (nobody to give the mount to). */
gboolean refmount_owner_lookup_gid (guint32  uid,
                                    guint32 *out_gid,
                                    GError **error);

G_END_DECLS
