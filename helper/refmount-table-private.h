/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include "refmount-fd.h"
#include "refmount-runner.h"
#include "refmount-state-journal.h"
#include "refmount-table.h"

G_BEGIN_DECLS

typedef struct
{
  gatomicrefcount ref;
  char           *mountpoint; /* hash key */

  /* The entry lock (refmount-table-lock.c): a flag and a FIFO of
   * RefmountTableWaiters, both under the table's wait_mutex.  A call that
   * finds the entry locked waits in this queue, not on a thread; unlocking
   * hands the lock straight to the head of the queue. */
  gboolean locked;
  GQueue   waiters;
  /* Health probes touching the filesystem now (lock_mutex, taken inside
   * the table's wait_mutex); an unmount waits for them on probes_cond:
   * their fd pins the mount (EBUSY). */
  GMutex lock_mutex;
  guint  probes;
  GCond  probes_cond;

  /* Guarded by the table mutex. */
  gboolean  removed;
  GVariant *committed; /* the record as of the last commit, or NULL */
  GVariant *published; /* what clients were last told (usually == committed) */

  /* Guarded by the entry lock. */
  RefmountRecord *record;   /* NULL until mounted/adopted */
  char           *root;     /* mount root this mountpoint is beneath */
  char           *relative; /* path below that root */
  guint           busy_attempt;
  int             mounted_fd; /* the directory this process mounted on, or -1 */
  /* The backend's changes count (ops->changes) from before the lookup
   * that last found the record's mount in place; 0: none yet. */
  guint64 verified_changes;
  gint64  op_uid; /* caller of the operation in progress, -1: the daemon */
  /* The uid whose attachment slot this operation holds (table mutex),
   * -1: none; given back at the next commit or on failure. */
  gint64 reserved_uid;
  gint64 op_pid;
} RefmountEntry;

/*
 * Lock order (outermost first):
 *   1. an entry lock (the flag above: held across mount(2), a state write,
 *      possibly across a thread hand-off to a late completion);
 *   2. persist_mutex (state writes; refmount_table_write_state);
 *   3. mutex (the table's maps, commit bookkeeping; held briefly);
 *   4. wait_mutex (the entry locks' flags and queues; a leaf: nothing is
 *      called and no other lock is taken while it is held).
 * Never two entry locks at once, and no lock across a polkit call, a D-Bus
 * round trip or a wait for another entry.
 */
struct _RefmountTable
{
  GMutex      mutex;        /* entries, uid_counts, commit_seq, pending */
  GMutex      wait_mutex;   /* every entry's locked flag and waiters */
  GHashTable *entries;      /* mountpoint -> RefmountEntry* */
  GHashTable *uid_counts;   /* uid -> attachments held */
  GHashTable *uid_reserved; /* uid -> attachments being added (in flight) */
  /* Every proper ancestor of an entry's mountpoint -> how many entries lie
   * beneath it, so that a new mountpoint above a managed one is found
   * without walking the table (doc/tenant-isolation.md). */
  GHashTable *ancestors;
  guint64     commit_seq;
  /* Journal frames (GVariant*) of the commits not yet durable, in commit
   * order; only the persist_mutex holder removes them, from the head. */
  GQueue pending;
  /* The next write is a full snapshot: frames are not queued meanwhile. */
  gboolean compact_due;

  GMutex           persist_mutex;
  guint64          written_seq;
  gboolean         written_once;
  RefmountJournal *journal; /* also persist_mutex */

  RefmountBackend         *backend;
  RefmountRunner          *runner;
  guint64                  generation;
  GMainContext            *context;
  RefmountTableChangedFunc changed;
  gpointer                 changed_data;
  GHashTable              *sources;       /* pending retry timers (table mutex) */
  gint                     retry_threads; /* atomic */
};

RefmountEntry *refmount_entry_new (const char *mountpoint);
RefmountEntry *refmount_entry_ref (RefmountEntry *entry);
void           refmount_entry_unref (RefmountEntry *entry);

/* A granted waiter's entry (locked), or NULL. */
RefmountEntry *refmount_table_waiter_get_entry (RefmountTableWaiter *waiter);
/* The entry's lock now belongs to whoever unlocks it (an operation's late
 * completion, refmount_table_unlock_entry): the waiter forgets it. */
RefmountEntry *refmount_table_waiter_steal_entry (RefmountTableWaiter *waiter);
/* Give a stolen, still locked entry back to its waiter (granted again). */
void refmount_table_waiter_return_entry (RefmountTableWaiter *waiter,
                                         RefmountEntry       *entry);

/* Wait (entry locked, at most until @deadline) until no health probe
 * touches the entry's filesystem (refmount-table-probe.c). */
void refmount_entry_wait_probes (RefmountEntry *entry,
                                 gint64         deadline);

/* Put @entry into the table (table mutex held) / take it out. */
void refmount_table_insert_entry_locked (RefmountTable *table,
                                         RefmountEntry *entry);
void refmount_table_remove_entry_locked (RefmountTable *table,
                                         RefmountEntry *entry);

/* Conflict when @mountpoint is an ancestor or a descendant of a managed
 * mountpoint in any state (mounted, busy, stale, or being mounted);
 * table mutex held. */
gboolean refmount_table_check_tree_locked (RefmountTable *table,
                                           const char    *mountpoint,
                                           GError       **error);

/* Synchronous form of refmount_table_wait_entry() for threads of the
 * table's own (busy retries, the vanished check with @deadline now, unit
 * tests): waits on the calling thread until @deadline. */
RefmountEntry *refmount_table_lock_entry (RefmountTable *table,
                                          const char    *mountpoint,
                                          gboolean       create,
                                          guint          max_mounts,
                                          gint64         deadline,
                                          GError       **error);
/* Unlock (handing the lock to the next waiter) and drop the caller's
 * reference. */
void     refmount_table_unlock_entry (RefmountTable *table,
                                      RefmountEntry *entry);
void     refmount_table_commit (RefmountTable *table,
                                RefmountEntry *entry);
gboolean refmount_table_write_state (RefmountTable *table,
                                     GError       **error);
void     refmount_table_notify (RefmountTable *table,
                                RefmountEntry *entry);
guint    refmount_table_count_uid (RefmountTable *table,
                                   guint32        uid);
/* Reserve one attachment slot of @uid for the operation on @entry (entry
 * lock held) before anything is mounted: LimitExceeded when the uid's
 * committed plus in-flight attachments reach @max (0: no limit).  The
 * slot goes back at the entry's next commit (the attachment then counts
 * as committed, or failed) or with refmount_table_release_uid(). */
gboolean refmount_table_reserve_uid (RefmountTable *table,
                                     RefmountEntry *entry,
                                     guint32        uid,
                                     guint          max,
                                     GError       **error);
void     refmount_table_release_uid (RefmountTable *table,
                                     RefmountEntry *entry);
/* Commit, write and notify after a change made by the daemon itself, with
 * no caller to report a failed write to. */
void refmount_table_commit_and_write (RefmountTable *table,
                                      RefmountEntry *entry);
/* A retry of the table's own (a busy unmount, a directory to remove):
 * after @delay_sec, @func runs on a runner thread with nobody waiting for
 * it, since it may block in the kernel, counted in retry_threads (a table
 * is freed only after it).  @func owns @data; to try again it schedules
 * the next attempt itself, so an attempt that hangs costs one thread, not
 * one per period.  A timer that never fired (the table was freed) calls
 * @destroy on @data. */
typedef void (*RefmountTableRetryFunc) (RefmountTable *table,
                                        gpointer       data);
void refmount_table_schedule_retry (RefmountTable         *table,
                                    guint                  delay_sec,
                                    RefmountTableRetryFunc func,
                                    gpointer               data,
                                    GDestroyNotify         destroy);
void refmount_table_schedule_busy_retry (RefmountTable *table,
                                         const char    *mountpoint,
                                         guint          attempt);

/* With the entry locked, its record present and no attachments left:
 * unmount, then drop the entry (TRUE in *out_unmounted) or keep it as
 * busy and schedule a retry.  @deadline 0 means no timeout (retries run on
 * a runner thread nobody waits for already).  FALSE with @error when the unmount failed
 * for another reason (then *restore is put back and nothing changed), or
 * on timeout with *handed_off set (the entry lock passed to the late
 * completion; the caller must neither unlock nor touch the entry). */
gboolean refmount_table_unmount_last (RefmountTable       *table,
                                      RefmountEntry       *entry,
                                      gboolean             force,
                                      gboolean             lazy,
                                      gint64               deadline,
                                      RefmountAttachment **restore,
                                      gboolean            *handed_off,
                                      gboolean            *out_unmounted,
                                      GError             **error);

/* The entry's mount root and path below it from @config (entry lock
 * held); FALSE when it is not beneath a configured root any more. */
gboolean refmount_table_set_entry_paths (RefmountConfig *config,
                                         RefmountEntry  *entry);
/* Release one attachment with the entry locked (refmount-table-ops.c);
 * see refmount_table_detach() for the outcomes.  *handed_off: the unmount
 * timed out and the lock went to its late completion. */
gboolean refmount_table_detach_locked (RefmountTable               *table,
                                       RefmountConfig              *config,
                                       RefmountEntry               *entry,
                                       const RefmountDetachRequest *request,
                                       gint64                       deadline,
                                       gboolean                    *handed_off,
                                       gboolean                    *out_unmounted,
                                       guint32                     *out_owner_uid,
                                       GError                     **error);
/* The vanished check of one mountpoint, on a runner thread (the pass over
 * all of them: refmount-table-vanished.c): a mounted record no longer in
 * the kernel becomes stale.  An entry locked by a call is skipped; the
 * lookup runs under @timeout (µs). */
void refmount_table_check_vanished_entry (RefmountTable *table,
                                          const char    *mountpoint,
                                          gint64         timeout);

/* The entry is gone (a stale record's last Unmount): remove the directory
 * refmount created (refmount-table-dirs.c), forget it, persist.  The
 * rmdir runs on a runner thread within the caller's @deadline: FALSE with
 * Timeout and *handed_off when it did not finish (the entry lock passes to
 * the late completion, which drops the entry).  A directory that cannot be
 * removed is retried in the background; that never fails the caller.  An
 * unmount removes the directory in its own runner call instead
 * (refmount_table_drop_entry_tried()). */
gboolean refmount_table_drop_entry (RefmountTable *table,
                                    RefmountEntry *entry,
                                    gint64         deadline,
                                    gboolean      *handed_off,
                                    GError       **error);
/* refmount_table_drop_entry() once the directory's removal was tried
 * already (with the umount, on the same runner call): @rm_error is how
 * it failed (retried in the background), NULL when it was removed. */
void refmount_table_drop_entry_tried (RefmountTable *table,
                                      RefmountEntry *entry,
                                      const GError  *rm_error);
/* Remove the directory refmount created for @mountpoint (no entry holds
 * it) in the background: on the runner's pool under the entry's lock,
 * retried a few times, as after an unmount (refmount-table-dirs.c). */
void refmount_table_remove_dir_later (RefmountTable *table,
                                      const char    *root,
                                      const char    *relative,
                                      const char    *mountpoint);
/* Unmount what this process mounted on the directory open as @dirfd. */
gboolean refmount_table_undo_mount_by_fd (RefmountTable *table,
                                          int            dirfd,
                                          const char    *mountpoint,
                                          GError       **error);
/* The same on a runner thread within @deadline (@dirfd is duplicated):
 * umount(2) may wait on a server that went away.  TRUE when it finished
 * (*out_ok, @error: its result); FALSE with *handed_off on timeout (the
 * entry lock passes to the late completion, which forgets mounted_fd,
 * drops a fresh entry, gives the caller's slot back and unlocks). */
gboolean refmount_table_run_undo_mount (RefmountTable *table,
                                        RefmountEntry *entry,
                                        int            dirfd,
                                        gint64         deadline,
                                        gboolean      *out_ok,
                                        gboolean      *handed_off,
                                        GError       **error);
/* The mount that refmount_table_run_prepare_mount() makes when the
 * directory turns out free. */
typedef struct
{
  const char *fstype;
  const char *source;
  const char *options;      /* comma-joined */
  const char *user_options; /* x-* options for utab, or NULL */
  gboolean    use_helper;
} RefmountMountSpec;

/* What a mount's runner call found right after mount(2): the topmost
 * mount at the path (the lookup walks it again), and after a failed
 * mount that left nothing there, how removing the directory refmount
 * created went (neither set: not tried). */
typedef struct
{
  RefmountKernelMount *km;
  gboolean             dir_removed;
  GError              *dir_error;
} RefmountMounted;

void refmount_mounted_clear (RefmountMounted *mounted);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RefmountMounted, refmount_mounted_clear)

/* @km is the mount of @source and @fstype (or of a kernel alias of it). */
gboolean refmount_table_kernel_mount_matches (const RefmountKernelMount *km,
                                              const char                *source,
                                              const char                *fstype);

/* What refmount_table_run_prepare_mount() found and did. */
typedef struct
{
  int                  dirfd; /* O_PATH, owned */
  gboolean             created;
  RefmountKernelMount *km;
  gboolean             mount_root;
  gboolean             mount_tried; /* nothing was there: the mount ran */
  gboolean             mounted;
  GError              *mount_error;
  RefmountMounted      after; /* with mount_tried */
} RefmountPrepared;

void refmount_prepared_clear (RefmountPrepared *prepared);

/* Resolve the entry's directory beneath its root (creating what is
 * missing) and look at what is mounted there, on a runner thread within
 * @deadline: openat2/mkdirat on a mount root whose filesystem stopped
 * answering must cost the caller Timeout, not a daemon thread for good.
 * With @spec, when nothing is mounted there (no lookup result, not a
 * mount's root), @spec's mount runs in the same runner call under the
 * same deadline: a fresh Mount's path walk and mount(2) cost one
 * hand-off, not two.  FALSE with *handed_off on timeout (the entry lock
 * passes to the late completion, which removes a directory it created,
 * drops a fresh entry, and undoes a mount that had begun, as it does a
 * late mount's; *out_mounting says whether it had begun); FALSE with
 * @error when the path cannot be opened.  On success @out: the
 * directory (O_PATH, owned), whether it was created, what the lookup
 * found, whether it is a mount's root anyway, and with mount_tried
 * whether the mount worked. */
gboolean refmount_table_run_prepare_mount (RefmountTable           *table,
                                           RefmountEntry           *entry,
                                           const RefmountMountSpec *spec,
                                           gint64                   deadline,
                                           RefmountPrepared        *out,
                                           gboolean                *out_mounting,
                                           gboolean                *handed_off,
                                           GError                 **error);
/* The backend's lookup of @path on a runner thread within @deadline (0:
 * on this thread): it walks the absolute path, which may lie on a
 * filesystem that stopped answering.  FALSE with *handed_off on timeout
 * (the entry lock passes to the late completion, which only unlocks). */
gboolean refmount_table_run_lookup (RefmountTable        *table,
                                    RefmountEntry        *entry,
                                    const char           *path,
                                    gint64                deadline,
                                    RefmountKernelMount **out_km,
                                    gboolean             *handed_off);
/* mount(2) onto @dirfd (owned: closed when the call ends) on a runner
 * thread with @deadline, and what is there right after it (@out_after).
 * FALSE with *handed_off on timeout (the entry lock passes to the late
 * completion, which undoes a late mount). */
gboolean refmount_table_run_mount (RefmountTable   *table,
                                   RefmountEntry   *entry,
                                   int              dirfd,
                                   const char      *fstype,
                                   const char      *source,
                                   const char      *options,
                                   const char      *user_options,
                                   gboolean         use_helper,
                                   gboolean         created_dir,
                                   gint64           deadline,
                                   gboolean        *out_ok,
                                   RefmountMounted *out_after,
                                   gboolean        *handed_off,
                                   GError         **error);

G_END_DECLS
