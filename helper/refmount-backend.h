/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The mount backend: the only code that changes the kernel's mount table.
 * The daemon uses the libmount one; unit tests use a fake with injectable
 * failures and delays (tests/refmount-fake-backend.c).
 *
 * Error contract (errno-based, never matched on text — LP #1340552):
 *  - mount:  REFMOUNT_ERROR_MOUNT_FAILED, message = libmount's/helper's reason.
 *  - umount: REFMOUNT_ERROR_BUSY for EBUSY, REFMOUNT_ERROR_NOT_FOUND when
 *            nothing is mounted there (EINVAL/ENOENT), otherwise
 *            REFMOUNT_ERROR_FAILED.
 */

typedef struct _RefmountBackend RefmountBackend;

typedef struct
{
  char *source;
  char *fstype;
} RefmountKernelMount;

/* Here, not in a backend: the table frees what any backend returns, and
 * must not depend on the libmount one to do it. */
static inline void
refmount_kernel_mount_free (RefmountKernelMount *km)
{
  if (km == NULL)
    return;
  g_free (km->source);
  g_free (km->fstype);
  g_free (km);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RefmountKernelMount, refmount_kernel_mount_free)

typedef struct
{
  /* Mount onto the directory open as @dirfd (O_PATH); @path is the
   * canonical path.  @options is comma-joined.  @user_options (x-*
   * options, comma-joined, or NULL) are not mount options: they are
   * recorded for @path in libmount's utab once mounted (refmount-utab.h).
   * With @use_helper a mount helper may run; it is killed at @deadline
   * (monotonic µs, 0 = none). */
  gboolean (*mount) (RefmountBackend *self,
                     int              dirfd,
                     const char      *path,
                     const char      *fstype,
                     const char      *source,
                     const char      *options,
                     const char      *user_options,
                     gboolean         use_helper,
                     gint64           deadline,
                     GError         **error);
  /* Unmount what is mounted on @name inside the directory @parentfd
   * (O_PATH); @path is the canonical path (its utab entry, if any, goes
   * too).  With @name NULL, @parentfd is
   * the directory that was mounted on (rollback of a mount whose
   * directory was moved away from @path). */
  gboolean (*umount) (RefmountBackend *self,
                      int              parentfd,
                      const char      *name,
                      const char      *path,
                      gboolean         force,
                      gboolean         lazy,
                      GError         **error);
  /* The topmost kernel mount whose target is exactly @path, or NULL. */
  RefmountKernelMount *(*lookup) (RefmountBackend *self,
                                  const char      *path);
  /* All mounts: target -> RefmountKernelMount* (topmost per target).
   * Used once at start-up to reconcile without O(n²) lookups. */
  GHashTable *(*list) (RefmountBackend *self,
                       GError         **error);
  /* A count that has grown whenever the kernel's mount table may have
   * changed (a mount, unmount or move anywhere in this mount namespace,
   * including behind refmount's back) since the previous call; 0 when
   * that cannot be told.  Never blocks.  A lookup's answer still holds
   * while the count has not moved since before the lookup. */
  guint64 (*changes) (RefmountBackend *self);
  void (*free) (RefmountBackend *self);
} RefmountBackendOps;

struct _RefmountBackend
{
  const RefmountBackendOps *ops;
};

RefmountBackend *refmount_backend_libmount_new (void);
void             refmount_backend_free (RefmountBackend *backend);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RefmountBackend, refmount_backend_free)

G_END_DECLS
