/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "refmount-backend.h"

G_BEGIN_DECLS

/*
 * An in-memory mount table standing in for the kernel, so the table's
 * semantics can be tested without privileges.  Every knob is read under
 * the fake's lock; counters let tests assert how often the "kernel" was
 * asked to mount or unmount.
 */
typedef struct
{
  RefmountBackend parent;
  GMutex          lock;
  GCond           cond;
  GHashTable     *mounts; /* path -> RefmountKernelMount* */
  guint           mount_calls;
  guint           umount_calls;
  guint           max_mounts_per_path_seen; /* > 1 means a double mount */
  guint           lookup_calls;
  guint64         changes;    /* every change of @mounts (ops->changes) */
  gboolean        no_changes; /* ops->changes says "cannot tell" */

  /* The last mount request exactly as the table built it. */
  char    *last_fstype;
  char    *last_source;
  char    *last_options;      /* comma-joined, as handed to libmount */
  char    *last_user_options; /* for utab, or NULL */
  gboolean last_use_helper;
  gint64   last_deadline;

  /* Injections. */
  int      fail_mounts;      /* fail this many next mounts (errno EIO) */
  gboolean fail_but_mounted; /* next mount reports failure but mounts */
  int      busy_umounts;     /* fail this many next umounts with EBUSY */
  int      fail_umounts;     /* fail this many next umounts with EIO */
  /* The type the "kernel" reports for the next mounts instead of the
   * requested one (nfs -> nfs4), NULL = the requested one. */
  char *kernel_fstype;
  guint mount_delay_ms;
  guint umount_delay_ms;
  char *hang_path;   /* block mount/umount of this path until released */
  char *hang_source; /* block mounts of this source until released */
  guint in_call;     /* calls currently inside mount/umount */
  guint max_in_call; /* most calls seen inside at once */
} FakeBackend;

FakeBackend *fake_backend_new (void);
void         fake_backend_set_mounted (FakeBackend *fake,
                                       const char  *path,
                                       const char  *source,
                                       const char  *fstype);
void         fake_backend_set_unmounted (FakeBackend *fake,
                                         const char  *path);
gboolean     fake_backend_is_mounted (FakeBackend *fake,
                                      const char  *path);
guint        fake_backend_count (FakeBackend *fake);
/* Block mount/umount of @path (mounts of @source) until released. */
void fake_backend_hang_path (FakeBackend *fake,
                             const char  *path);
void fake_backend_hang_source (FakeBackend *fake,
                               const char  *source);
void fake_backend_release_hang (FakeBackend *fake);

G_END_DECLS
