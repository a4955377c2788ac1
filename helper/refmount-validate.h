/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>
#include "refmount-config.h"
#include "refmount-syntax.h"

G_BEGIN_DECLS

/*
 * Pure validation of caller input (doc/design.md "Validation and
 * confinement").  Every function fails with REFMOUNT_ERROR_INVALID_ARGUMENT
 * and a message naming the argument and the offending value (escaped with
 * g_strescape so control characters and invalid UTF-8 are printable), and
 * touches nothing.
 */

gboolean refmount_validate_fstype (const RefmountConfig *config,
                                   const char           *fstype,
                                   GError              **error);
/* Generic rules plus the per-fstype shape (nfs/nfs4 host:/path or [v6]:/path,
 * cifs/smb3 //host/share[/path], glusterfs/fuse.glusterfs host:/volume,
 * fuse.sshfs [user@]host:[path]). */
gboolean refmount_validate_source (const char *fstype,
                                   const char *source,
                                   GError    **error);
/* Absolute, normalised, <= PATH_MAX, no control chars, strictly beneath a
 * mount root.  On success *out_root (may be NULL) points into
 * config->mount_roots and *out_relative (may be NULL) is the part below the
 * root (no leading '/'), newly allocated. */
gboolean refmount_validate_mountpoint (const RefmountConfig *config,
                                       const char           *mountpoint,
                                       const char          **out_root,
                                       char                **out_relative,
                                       GError              **error);
gboolean refmount_validate_options (const RefmountConfig *config,
                                    const char           *fstype,
                                    const char *const    *options,
                                    GError              **error);
gboolean refmount_validate_attachment (const char *attachment,
                                       GError    **error);
/* The Mount flags; absent keys are FALSE. */
typedef struct
{
  gboolean release_on_exit;
  gboolean owner; /* the mount belongs to the caller (refmount-owner.h) */
  gboolean show;  /* file managers list it (refmount-show.h); default: owner */
} RefmountMountFlags;

/* @flags is an a{sv}; unknown keys and wrong value types are rejected.
 * Absent keys are FALSE, except "show", which is then "owner".  @out is
 * written only on success. */
gboolean refmount_validate_mount_flags (GVariant           *flags,
                                        RefmountMountFlags *out,
                                        GError            **error);
gboolean refmount_validate_unmount_flags (GVariant *flags,
                                          gboolean *out_force,
                                          gboolean *out_lazy,
                                          GError  **error);

/* <first mount root>/<fstype>-<first 16 hex of sha256(source)> */
char *refmount_derive_mountpoint (const RefmountConfig *config,
                                  const char           *fstype,
                                  const char           *source);

/* @options in mount order with only the last option of each name — and of
 * each pair of opposites (ro/rw, sync/async, X/noX such as exec/noexec,
 * suid/nosuid, dev/nodev, atime/noatime) — kept: what libmount applies,
 * since a later option overrides an earlier one. */
GStrv refmount_options_normalise (const char *const *options);

/* Caller options in order, then per-fs ForcedOptions, then [Daemon]
 * ForcedOptions, normalised (refmount_options_normalise()). */
GStrv refmount_effective_options (const RefmountConfig *config,
                                  const char           *fstype,
                                  const char *const    *options);

/* TRUE when libmount reads @effective (joined with ',') as setting both
 * nosuid and nodev; else REFMOUNT_ERROR_INVALID_ARGUMENT. */
gboolean refmount_options_check_confined (const char *const *effective,
                                          GError           **error);

/* Comparison of two option lists after normalising both: the same
 * options in another order compare equal, "ro,rw" equals "rw". */
gboolean refmount_options_equal (const char *const *a,
                                 const char *const *b);

G_END_DECLS
