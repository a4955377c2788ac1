/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * Confinement of mountpoints beneath a mount root (doc/design.md "Validation
 * and confinement").  Every lookup is openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV) from an fd
 * of the root, so a symlink swapped into any component — even concurrently —
 * makes the call fail instead of escaping the root, and so does a filesystem
 * mounted on a component (another caller's mount): nothing is ever created or
 * mounted inside it.
 */

/* The G_IO_ERROR code for "a component has another filesystem mounted on
 * it" (EXDEV from RESOLVE_NO_XDEV). */
#define REFMOUNT_PATH_ERROR_CROSSES_MOUNT G_IO_ERROR_NOT_MOUNTABLE_FILE

/* Open (O_PATH|O_DIRECTORY|O_CLOEXEC) @relative beneath @root.  Only the
 * final component may have a filesystem mounted on it (the fd is then that
 * mount's root; the caller checks what it is).  With
 * @create, missing components are created 0755 one by one (each mkdirat
 * relative to the fd of its resolved parent) and *out_created tells whether
 * the final component was created by this call.  Returns -1 with a
 * G_IO_ERROR naming the path on failure (G_IO_ERROR_TOO_MANY_LINKS for a
 * symlink, G_IO_ERROR_NOT_DIRECTORY, G_IO_ERROR_NOT_FOUND …). */
int refmount_path_open_beneath (const char *root,
                                const char *relative,
                                gboolean    create,
                                gboolean   *out_created,
                                GError    **error);

/* Open the parent directory of @relative beneath @root (same rules) and
 * return its fd; *out_name is the last component (points into @relative). */
int refmount_path_open_parent (const char  *root,
                               const char  *relative,
                               const char **out_name,
                               GError     **error);

/* rmdir the final component of @relative beneath @root (resolved through
 * its parent fd; never follows symlinks).  ENOENT is success. */
gboolean refmount_path_remove_dir (const char *root,
                                   const char *relative,
                                   GError    **error);

/* Is @fd (O_PATH) the root of a mount (statx STATX_ATTR_MOUNT_ROOT)? */
gboolean refmount_path_fd_is_mount_root (int fd);

G_END_DECLS
