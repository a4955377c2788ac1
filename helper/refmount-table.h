/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "refmount-backend.h"
#include "refmount-config.h"
#include "refmount-runner.h"
#include "refmount-state.h"

G_BEGIN_DECLS

/*
 * The mount table (doc/design.md "Mount states"): canonical mountpoint ->
 * entry.  A GHashTable under one GMutex; each entry has its own lock, so
 * operations on one mountpoint are serialized and different mountpoints run
 * in parallel. Only an entry's own lock is held across a mount/umount or a
 * state write.  All calls are synchronous and meant for worker threads;
 * backend calls run on a separate pool so that a hung mount(2) turns into
 * REFMOUNT_ERROR_TIMEOUT for the caller after MountTimeoutSec.
 */
typedef struct _RefmountTable RefmountTable;

/* Called (from any thread, with the entry's lock held, so in order per
 * mountpoint) after a change has been persisted.  @old_record is what the
 * previous call published (NULL: the mountpoint is new), @new_record what
 * is published now (NULL: the entry is gone); both of type
 * REFMOUNT_RECORD_VARIANT_TYPE. */
typedef void (*RefmountTableChangedFunc) (const char *mountpoint,
                                          GVariant   *old_record,
                                          GVariant   *new_record,
                                          gpointer    user_data);

/* Is the unique bus name still connected?  Used at start-up to drop
 * release-on-exit attachments of clients that went away. */
typedef gboolean (*RefmountTableNameAliveFunc) (const char *bus_name,
                                                gpointer    user_data);

typedef struct
{
  const char        *fstype;
  const char        *source;
  const char        *mountpoint; /* validated, canonical, non-empty */
  const char *const *options;    /* validated caller options */
  const char        *attachment;
  guint32            uid;
  gint64             pid;
  gboolean           release_on_exit;
  const char        *bus_name;
  /* x-* options for libmount's utab when this call mounts (file-manager
   * visibility, refmount-show.h), or NULL.  Not mount options: no part of
   * the record or of the conflict check. */
  const char *user_options;
} RefmountAttachRequest;

typedef struct
{
  const char *mountpoint;
  const char *attachment;
  guint32     uid;
  gint64      pid;
  gboolean    others_allowed; /* caller may release other uids' attachments */
  gboolean    force;
  gboolean    lazy;
} RefmountDetachRequest;

/*
 * Waiting for an entry's lock without a thread (refmount-table-lock.c).
 * refmount_table_waiter_start() looks the mountpoint up (creating the
 * entry with @create, up to @max_mounts entries) and either takes the
 * lock at once or queues the waiter in the entry's FIFO.  @func is then
 * called exactly once, on whichever thread gives the lock up (possibly
 * inside refmount_table_waiter_start()), unless the wait is cancelled
 * first: with @error NULL the waiter holds the lock (pass it to one of the
 * _held operations, or free the waiter to give it on); with @error set
 * (NotFound, LimitExceeded, Conflict) it holds nothing.  The waiter's
 * owner frees it after @func ran or a cancel succeeded.
 */
typedef struct _RefmountTableWaiter RefmountTableWaiter;
typedef void (*RefmountTableGrantFunc) (RefmountTableWaiter *waiter,
                                        const GError        *error,
                                        gpointer             user_data);

RefmountTableWaiter *refmount_table_waiter_new (RefmountTable         *table,
                                                const char            *mountpoint,
                                                gboolean               create,
                                                guint                  max_mounts,
                                                RefmountTableGrantFunc func,
                                                gpointer               user_data);
void                 refmount_table_waiter_start (RefmountTableWaiter *waiter);
/* TRUE: the waiter left the queue and @func will never be called.  FALSE:
 * @func has been or is being called. */
gboolean refmount_table_cancel_wait (RefmountTable       *table,
                                     RefmountTableWaiter *waiter);
void     refmount_table_waiter_free (RefmountTableWaiter *waiter);

RefmountTable *refmount_table_new (RefmountBackend         *backend,
                                   const char              *state_dir,
                                   GMainContext            *context,
                                   RefmountTableChangedFunc changed,
                                   gpointer                 user_data);
void           refmount_table_free (RefmountTable *table);

/* Load the state (snapshot and journal), reconcile it with the kernel,
 * drop dead release-on-exit attachments, bump the generation and persist. */
gboolean refmount_table_start (RefmountTable             *table,
                               RefmountConfig            *config,
                               RefmountTableNameAliveFunc name_alive,
                               gpointer                   user_data,
                               GError                   **error);
guint64  refmount_table_get_generation (RefmountTable *table);

gboolean refmount_table_attach (RefmountTable               *table,
                                RefmountConfig              *config,
                                const RefmountAttachRequest *request,
                                GError                     **error);

/* The operations on a granted waiter's entry, within @deadline (monotonic
 * µs; mount(2), umount(2) and the path work before them run on the
 * table's runner threads until then).  They use up the waiter's lock. */
gboolean refmount_table_attach_held (RefmountTable               *table,
                                     RefmountConfig              *config,
                                     RefmountTableWaiter         *waiter,
                                     const RefmountAttachRequest *request,
                                     gint64                       deadline,
                                     GError                     **error);
gboolean refmount_table_detach_held (RefmountTable               *table,
                                     RefmountConfig              *config,
                                     RefmountTableWaiter         *waiter,
                                     const RefmountDetachRequest *request,
                                     gint64                       deadline,
                                     gboolean                    *out_unmounted,
                                     guint32                     *out_owner_uid,
                                     GError                     **error);
/* Other work of a call that may block (the user database lookup of
 * Mount's "owner"): @func(@data) on a runner thread with @waiter's entry
 * held, within @deadline.  TRUE when it finished (*out_ok, @error are its
 * result; @waiter still holds the entry; @data is still the caller's).
 * FALSE on timeout: the entry lock passed to the late completion (which
 * drops a fresh entry), @waiter holds nothing, and @destroy is called on
 * @data once @func returns. */
gboolean refmount_table_run_held (RefmountTable       *table,
                                  RefmountTableWaiter *waiter,
                                  RefmountRunnerFunc   func,
                                  gpointer             data,
                                  GDestroyNotify       destroy,
                                  gint64               deadline,
                                  gboolean            *out_ok,
                                  GError             **error);
/* A call that holds @waiter's entry ends without an operation: the lock
 * goes on, and a fresh entry it created is dropped again. */
void refmount_table_give_up_held (RefmountTable       *table,
                                  RefmountTableWaiter *waiter);
/* Release every release-on-exit attachment of @bus_name on the entry. */
void refmount_table_release_bus_name_held (RefmountTable       *table,
                                           RefmountConfig      *config,
                                           RefmountTableWaiter *waiter,
                                           const char          *bus_name,
                                           gint64               deadline);
/* The mountpoints holding a release-on-exit attachment made over
 * @bus_name (as committed). */
GPtrArray *refmount_table_list_bus_name (RefmountTable *table,
                                         const char    *bus_name);

/* REFMOUNT_ERROR_NOT_AUTHORIZED with *out_owner_uid set when the attachment
 * belongs to another uid and !others_allowed; nothing changed then. */
gboolean refmount_table_detach (RefmountTable               *table,
                                RefmountConfig              *config,
                                const RefmountDetachRequest *request,
                                gboolean                    *out_unmounted,
                                guint32                     *out_owner_uid,
                                GError                     **error);

/* Release every release-on-exit attachment made over @bus_name. */
/* Mark recorded mounts that were unmounted behind refmount's back as
 * "stale" (entries locked by a call are skipped).  The pass runs on a few
 * runner threads, and each lookup on one more under a deadline of
 * @timeout_sec, since it walks a path that may lie beneath a hung
 * filesystem (one that does not finish keeps its entry locked and costs
 * that thread).  This waits for the pass until @deadline (monotonic µs;
 * G_MAXINT64: until done; the daemon passes "now" and does not wait).
 * TRUE when the pass finished. */
gboolean refmount_table_check_vanished (RefmountTable *table,
                                        guint          timeout_sec,
                                        gint64         deadline);

void refmount_table_release_bus_name (RefmountTable  *table,
                                      RefmountConfig *config,
                                      const char     *bus_name);

/* A copy of the record as last committed, or NULL. */
RefmountRecord *refmount_table_get_record (RefmountTable *table,
                                           const char    *mountpoint);

/* What was last published through the changed callback (a new reference
 * of type REFMOUNT_RECORD_VARIANT_TYPE), or NULL; these are what clients
 * see, so they never show a change that is not durable yet.  The list
 * holds GVariant references. */
GVariant  *refmount_table_lookup_published (RefmountTable *table,
                                            const char    *mountpoint);
GPtrArray *refmount_table_list_published (RefmountTable *table);

/* Write a full snapshot of the state now, folding the journal into it
 * (used at start-up and shutdown). */
gboolean refmount_table_persist (RefmountTable *table,
                                 GError       **error);

/* Recover (refmount-table-recover.c): detach the mount at @mountpoint
 * lazily and mount the same source with the same options on the same
 * directory, keeping every attachment; one journalled change.  @uid and
 * @pid name the caller for the audit log (-1: the daemon, AutoRecover).
 * NotFound when nothing is managed there, Busy when it has no
 * attachments left; on a failed remount the record stays, "stale". */
gboolean refmount_table_recover (RefmountTable  *table,
                                 RefmountConfig *config,
                                 const char     *mountpoint,
                                 gint64          uid,
                                 gint64          pid,
                                 GError        **error);
/* The same with @waiter granted (the request pipeline: a Recover waits
 * for its entry in the entry's queue, not on a thread), within @deadline;
 * the path work, the detach and the remount run on the runner. */
gboolean refmount_table_recover_held (RefmountTable       *table,
                                      RefmountConfig      *config,
                                      RefmountTableWaiter *waiter,
                                      gint64               uid,
                                      gint64               pid,
                                      gint64               deadline,
                                      GError             **error);

/* A health probe is about to open @mountpoint and ask its filesystem
 * (refmount-table-probe.c).  NULL when nothing is managed there or an
 * operation holds the entry: the probe skips this round rather than
 * make that operation's unmount fail with EBUSY.  Otherwise a hold that
 * the probe gives back with refmount_table_probe_end(); unmounts wait
 * for it (boundedly). */
typedef struct _RefmountProbeHold RefmountProbeHold;
RefmountProbeHold                *refmount_table_probe_begin (RefmountTable *table,
                                                              const char    *mountpoint);
void                              refmount_table_probe_end (RefmountProbeHold *hold);

/* Number of backend calls still running after their caller timed out. */
guint refmount_table_get_abandoned (RefmountTable *table);

G_END_DECLS
