/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "refmount-error.h"
#include "refmount-log.h"
#include "refmount-names.h"
#include "refmount-path.h"
#include "refmount-table-private.h"
#include "refmount-validate.h"

/* Busy unmounts are retried after 1, 2, 4 … seconds, at most this apart. */
#define BUSY_RETRY_MAX_SEC 60
/* How long an unmount waits for a health probe of the same mount; one
 * stuck on a dead server is not waited for any longer. */
#define PROBE_WAIT_MAX_USEC (2 * G_USEC_PER_SEC)

typedef enum
{
  CALL_PREPARE, /* resolve the mountpoint, look at what is mounted there */
  CALL_LOOKUP,  /* look at what is mounted at a path */
  CALL_MOUNT,
  CALL_UMOUNT,
  CALL_UNDO, /* unmount what this process mounted on a directory (fd) */
} CallKind;

/* One blocking backend call, with what its late completion must finish
 * when the D-Bus caller has already been told Timeout. */
typedef struct
{
  gatomicrefcount     ref;
  RefmountTable      *table;
  RefmountEntry      *entry; /* locked; the lock passes to late_cb */
  CallKind            kind;
  int                 fd;   /* mount: target dir; umount: parent dir */
  char               *name; /* umount: last component */
  char               *fstype;
  char               *source;
  char               *options;
  char               *user_options; /* mount: x-* options for utab, or NULL */
  gboolean            use_helper;
  gboolean            force;
  gboolean            lazy;
  gint64              deadline;
  gboolean            created_dir;
  RefmountAttachment *restore; /* umount: put back if the unmount fails */
  /* umount: then remove the directory refmount created, in the same
   * runner call (one hand-off fewer on every last Unmount). */
  gboolean remove_dir;
  gboolean dir_tried;
  GError  *dir_error; /* the removal failed */
  gint     umounted;  /* atomic: umount(2) returned, the removal runs */
  /* prepare: then mount (fstype … deadline above) if the directory is
   * free, in the same runner call. */
  gboolean mount_if_free;
  gboolean mount_tried;
  gint     mounting; /* atomic: the mount has begun */
  /* mount: what is mounted at the path right after it, and (a failed
   * mount) whether the directory refmount created was removed, in
   * dir_tried / dir_error above. */
  RefmountKernelMount *km_after;
  /* prepare: what was found */
  RefmountKernelMount *km;
  gboolean             mount_root;
  gboolean             late_ran;
} BackendCall;

static BackendCall *
backend_call_new (RefmountTable *table,
                  RefmountEntry *entry,
                  CallKind       kind)
{
  BackendCall *call = g_new0 (BackendCall, 1);

  g_atomic_ref_count_init (&call->ref);
  call->table = table;
  call->entry = entry;
  call->kind = kind;
  call->fd = -1;
  return call;
}

/* Drops a reference: a call is shared only by an unmount that reads how
 * far it got after its deadline passed. */
static void
backend_call_free (gpointer data)
{
  BackendCall *call = data;

  if (!g_atomic_ref_count_dec (&call->ref))
    return;
  g_clear_error (&call->dir_error);
  if (call->fd >= 0)
    close (call->fd);
  g_free (call->name);
  g_free (call->fstype);
  g_free (call->source);
  g_free (call->options);
  g_free (call->user_options);
  g_clear_pointer (&call->restore, refmount_attachment_free);
  g_clear_pointer (&call->km, refmount_kernel_mount_free);
  g_clear_pointer (&call->km_after, refmount_kernel_mount_free);
  g_free (call);
}

/* Right after mount(2), in the same runner call: where it landed (the
 * lookup walks the path again, which may wait on the filesystem the
 * mount root lies on), and after a failure that left nothing there, the
 * directory refmount created for it goes.  The worker decides the rest
 * (refmount-table-ops.c, mount_locked). */
static gboolean
after_mount (BackendCall *call,
             gboolean     ok)
{
  RefmountBackend *backend = call->table->backend;
  RefmountEntry   *entry = call->entry;

  call->km_after = backend->ops->lookup (backend, entry->mountpoint);
  if (!ok && call->created_dir && !refmount_table_kernel_mount_matches (call->km_after, call->source, call->fstype))
    {
      call->dir_tried = TRUE;
      refmount_path_remove_dir (entry->root, entry->relative, &call->dir_error);
    }
  return ok;
}

/* The path work before a mount.  Every step can wait on the filesystem
 * the mount root lies on: openat2 and mkdirat send LOOKUP/MKDIR to a FUSE
 * server, and the lookup walks the absolute path again. */
static gboolean
prepare_func (BackendCall *call,
              GError     **error)
{
  RefmountEntry   *entry = call->entry;
  RefmountBackend *backend = call->table->backend;

  call->fd = refmount_path_open_beneath (entry->root, entry->relative, TRUE, &call->created_dir, error);
  if (call->fd < 0)
    return FALSE;
  call->km = backend->ops->lookup (backend, entry->mountpoint);
  call->mount_root = call->km == NULL && refmount_path_fd_is_mount_root (call->fd);
  if (!call->mount_if_free || call->km != NULL || call->mount_root)
    return TRUE;
  /* From here the result is the mount's: mount_tried tells them apart. */
  call->mount_tried = TRUE;
  g_atomic_int_set (&call->mounting, 1);
  return after_mount (call, backend->ops->mount (backend, call->fd, entry->mountpoint, call->fstype, call->source,
                                                 call->options, call->user_options, call->use_helper,
                                                 call->deadline, error));
}

static gboolean
backend_call_func (gpointer data,
                   GError **error)
{
  BackendCall     *call = data;
  RefmountBackend *backend = call->table->backend;

  if (call->kind == CALL_PREPARE)
    return prepare_func (call, error);
  if (call->kind == CALL_LOOKUP)
    {
      call->km = backend->ops->lookup (backend, call->name);
      return TRUE;
    }
  if (call->kind == CALL_UNDO)
    return refmount_table_undo_mount_by_fd (call->table, call->fd, call->entry->mountpoint, error);
  if (call->kind == CALL_UMOUNT && call->fd < 0)
    {
      g_autoptr (GError) local_error = NULL;
      const char        *name = NULL;

      /* Adopted, or mounted before a restart: only the path is known, and
       * reaching it may wait on a hung filesystem like the unmount. */
      call->fd = refmount_path_open_parent (call->entry->root, call->entry->relative, &name, &local_error);
      if (call->fd < 0)
        {
          g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED,
                       "Cannot reach mountpoint '%s' to unmount it: %s",
                       call->entry->mountpoint, local_error->message);
          return FALSE;
        }
      call->name = g_strdup (name);
    }
  if (call->kind == CALL_MOUNT)
    return after_mount (call, backend->ops->mount (backend, call->fd, call->entry->mountpoint, call->fstype,
                                                   call->source, call->options, call->user_options,
                                                   call->use_helper, call->deadline, error));
  {
    g_autoptr (GError) umount_error = NULL;
    gboolean           ok = backend->ops->umount (backend, call->fd, call->name, call->entry->mountpoint,
                                                  call->force, call->lazy, &umount_error);

    g_atomic_int_set (&call->umounted, 1);
    /* What finish_unmount() drops the entry for: the directory goes now,
     * while the entry lock is held (refmount_table_drop_entry()). */
    if (call->remove_dir && (ok || g_error_matches (umount_error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND)))
      {
        call->dir_tried = TRUE;
        refmount_path_remove_dir (call->entry->root, call->entry->relative, &call->dir_error);
      }
    if (umount_error != NULL)
      g_propagate_error (error, g_steal_pointer (&umount_error));
    return ok;
  }
}

static RefmountLogContext
entry_log_context (RefmountEntry *entry)
{
  RefmountLogContext ctx = { entry->mountpoint, NULL, NULL, NULL, entry->op_uid, entry->op_pid };

  if (entry->record != NULL)
    {
      ctx.source = entry->record->source;
      ctx.fstype = entry->record->fstype;
    }
  return ctx;
}

/* Unmount what this daemon mounted on the directory open as @dirfd,
 * wherever that directory has been renamed to since.  Lazily if busy:
 * nobody holds this mount, so nothing may keep it alive. */
gboolean
refmount_table_undo_mount_by_fd (RefmountTable *table,
                                 int            dirfd,
                                 const char    *mountpoint,
                                 GError       **error)
{
  RefmountBackend   *backend = table->backend;
  g_autoptr (GError) local_error = NULL;

  if (backend->ops->umount (backend, dirfd, NULL, mountpoint, FALSE, FALSE, &local_error))
    return TRUE;
  if (!g_error_matches (local_error, REFMOUNT_ERROR, REFMOUNT_ERROR_BUSY))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return backend->ops->umount (backend, dirfd, NULL, mountpoint, FALSE, TRUE, error);
}

/* What a umount outcome means for the entry (lock held). */
static gboolean
finish_unmount (RefmountTable       *table,
                RefmountEntry       *entry,
                const BackendCall   *call,
                gboolean             ok,
                const GError        *backend_error,
                RefmountAttachment **restore,
                gboolean            *out_unmounted,
                GError             **error)
{
  RefmountLogContext ctx = entry_log_context (entry);
  gboolean           released = ok || g_error_matches (backend_error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND) ||
                      g_error_matches (backend_error, REFMOUNT_ERROR, REFMOUNT_ERROR_BUSY);

  /* The last attachment is released only now that the unmount did not
   * fail: on failure it is put back, and the audit log must not claim a
   * detach that did not happen. */
  if (restore != NULL && *restore != NULL)
    {
      ctx.attachment = (*restore)->id;
      if (released)
        refmount_log_event (G_LOG_LEVEL_MESSAGE, "detached", &ctx, "Last attachment %s released",
                            (*restore)->id);
    }

  if (ok || g_error_matches (backend_error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND))
    {
      refmount_log_event (G_LOG_LEVEL_MESSAGE, "unmounted", &ctx, "Unmounted %s", entry->mountpoint);
      /* The directory's removal is a caller's path walk too: it ran with
       * the umount, on the same runner call, when refmount created the
       * directory (call->remove_dir); otherwise there is none to remove. */
      refmount_table_drop_entry_tried (table, entry, call->dir_error);
      if (out_unmounted)
        *out_unmounted = TRUE;
      return TRUE;
    }

  if (g_error_matches (backend_error, REFMOUNT_ERROR, REFMOUNT_ERROR_BUSY))
    {
      gboolean was_busy = entry->record->state == REFMOUNT_MOUNT_STATE_BUSY;

      entry->record->state = REFMOUNT_MOUNT_STATE_BUSY;
      if (!was_busy)
        refmount_log_event (G_LOG_LEVEL_MESSAGE, "busy", &ctx,
                            "%s is busy; unmount deferred and retried", entry->mountpoint);
      refmount_table_commit_and_write (table, entry);
      refmount_table_schedule_busy_retry (table, entry->mountpoint, entry->busy_attempt++);
      if (out_unmounted)
        *out_unmounted = FALSE;
      return TRUE;
    }

  /* Any other failure: nothing changes, the attachment is put back.  A
   * deferred unmount (nothing to put back) keeps being retried. */
  if (restore != NULL && *restore != NULL)
    g_ptr_array_add (entry->record->attachments, g_steal_pointer (restore));
  else if (entry->record->attachments->len == 0 &&
           entry->record->state == REFMOUNT_MOUNT_STATE_BUSY)
    refmount_table_schedule_busy_retry (table, entry->mountpoint, entry->busy_attempt++);
  refmount_log_event (G_LOG_LEVEL_WARNING, "unmount-failed", &ctx, "Unmounting %s failed: %s",
                      entry->mountpoint, backend_error ? backend_error->message : "unknown error");
  if (backend_error != NULL)
    g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED, "Unmounting mountpoint '%s' failed: %s",
                 entry->mountpoint, backend_error->message);
  return FALSE;
}

static void
late_cb (gpointer      data,
         gboolean      ok,
         const GError *backend_error)
{
  BackendCall       *call = data;
  RefmountTable     *table = call->table;
  RefmountEntry     *entry = call->entry;
  RefmountLogContext ctx = entry_log_context (entry);
  /* A preparation that went on to mount is undone as a late mount. */
  CallKind kind = call->kind == CALL_PREPARE && call->mount_tried ? CALL_MOUNT : call->kind;

  call->late_ran = TRUE;
  if (kind == CALL_LOOKUP)
    refmount_log_event (G_LOG_LEVEL_WARNING, "lookup-late", &ctx,
                        "Looking up %s finished after its caller timed out", call->name);
  else if (kind == CALL_UNDO)
    {
      /* The record (stale) stays as it was; the next Mount remounts. */
      refmount_log_event (G_LOG_LEVEL_WARNING, "undo-late", &ctx,
                          "Undoing the earlier mount of %s finished after its caller timed out%s%s",
                          entry->mountpoint, ok ? "" : ": ", ok ? "" : backend_error->message);
      refmount_clear_fd (&entry->mounted_fd);
      if (entry->record == NULL)
        refmount_table_commit (table, entry);
    }
  else if (kind == CALL_PREPARE)
    {
      refmount_log_event (G_LOG_LEVEL_WARNING, "mount-undone", &ctx,
                          "Resolving %s finished after its caller timed out; nothing mounted",
                          entry->mountpoint);
      if (ok && call->created_dir)
        {
          g_autoptr (GError) error = NULL;
          if (!refmount_path_remove_dir (entry->root, entry->relative, &error))
            g_warning ("%s", error->message);
        }
      if (entry->record == NULL)
        refmount_table_commit (table, entry);
    }
  else if (kind == CALL_MOUNT)
    {
      if (entry->record == NULL)
        {
          /* The caller was told Timeout, so nobody holds this mount. */
          refmount_log_event (G_LOG_LEVEL_WARNING, "mount-undone", &ctx,
                              "Mount of %s finished after its caller timed out (%s); undoing it",
                              entry->mountpoint, ok ? "mounted" : backend_error->message);
          if (ok)
            {
              g_autoptr (GError) error = NULL;

              if (!refmount_table_undo_mount_by_fd (table, call->fd, entry->mountpoint, &error))
                g_warning ("Could not undo late mount %s: %s", entry->mountpoint, error->message);
            }
          if (call->created_dir && !call->dir_tried)
            {
              g_autoptr (GError) error = NULL;
              if (!refmount_path_remove_dir (entry->root, entry->relative, &error))
                g_warning ("%s", error->message);
            }
          refmount_table_commit (table, entry);
        }
      else if (ok)
        {
          refmount_clear_fd (&entry->mounted_fd);
          entry->mounted_fd = refmount_dup_cloexec (call->fd);
          entry->record->state = REFMOUNT_MOUNT_STATE_MOUNTED;
          entry->record->mounted_at = g_get_real_time ();
          refmount_log_event (G_LOG_LEVEL_MESSAGE, "mounted", &ctx,
                              "Stale %s remounted after its caller timed out", entry->mountpoint);
          refmount_table_commit_and_write (table, entry);
        }
    }
  else
    {
      g_autoptr (GError) error = NULL;

      /* Already on the runner thread: the rmdir runs here (deadline 0). */
      if (!finish_unmount (table, entry, call, ok, backend_error, &call->restore, NULL, &error))
        refmount_table_commit_and_write (table, entry);
    }

  /* The caller was told Timeout: its attachment slot is free again. */
  refmount_table_release_uid (table, entry);
  refmount_table_unlock_entry (table, entry);
}

static void
take_mounted (BackendCall     *call,
              RefmountMounted *out)
{
  out->km = g_steal_pointer (&call->km_after);
  out->dir_removed = call->dir_tried && call->dir_error == NULL;
  out->dir_error = g_steal_pointer (&call->dir_error);
}

void
refmount_mounted_clear (RefmountMounted *mounted)
{
  g_clear_pointer (&mounted->km, refmount_kernel_mount_free);
  g_clear_error (&mounted->dir_error);
}

/* Run one backend call with the request's deadline.  Returns FALSE with
 * *handed_off when it timed out: the entry lock now belongs to late_cb. */
static gboolean
run_backend_call (RefmountTable *table,
                  BackendCall   *call,
                  gint64         deadline,
                  gboolean      *out_ok,
                  gboolean      *handed_off,
                  GError       **error)
{
  if (deadline == 0)
    {
      *out_ok = backend_call_func (call, error);
      backend_call_free (call);
      return TRUE;
    }

  if (refmount_runner_run (table->runner, backend_call_func, late_cb, call,
                           backend_call_free, deadline, out_ok, error))
    return TRUE;

  *handed_off = TRUE;
  return FALSE;
}

gboolean
refmount_table_unmount_last (RefmountTable       *table,
                             RefmountEntry       *entry,
                             gboolean             force,
                             gboolean             lazy,
                             gint64               deadline,
                             RefmountAttachment **restore,
                             gboolean            *handed_off,
                             gboolean            *out_unmounted,
                             GError             **error)
{
  g_autoptr (GError) backend_error = NULL;
  const char        *name = NULL;
  BackendCall       *call;
  gboolean           ok = FALSE;
  int                parent;

  if (entry->root == NULL)
    {
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED,
                   "Mountpoint '%s' is no longer beneath a configured mount root", entry->mountpoint);
      if (restore != NULL && *restore != NULL)
        g_ptr_array_add (entry->record->attachments, g_steal_pointer (restore));
      return FALSE;
    }

  /* Mounted by this process: unmount through the directory it was
   * mounted on, even if a parent has been renamed since.  Otherwise the
   * runner opens the parent (backend_call_func). */
  parent = entry->mounted_fd >= 0 ? refmount_dup_cloexec (entry->mounted_fd) : -1;

  /* A health probe in flight would make this umount(2) EBUSY. */
  refmount_entry_wait_probes (entry, MIN (deadline != 0 ? deadline : G_MAXINT64,
                                          g_get_monotonic_time () + PROBE_WAIT_MAX_USEC));

  call = backend_call_new (table, entry, CALL_UMOUNT);
  call->fd = parent;
  call->name = g_strdup (name);
  call->force = force;
  call->lazy = lazy;
  call->remove_dir = entry->record != NULL && entry->record->created_dir;
  /* late_cb gets its own copy: on a timeout the caller drops its own. */
  if (restore != NULL && *restore != NULL)
    call->restore = refmount_attachment_copy (*restore);

  /* Our own reference: after a timeout, how far the call got tells what
   * to report, while the late completion may already be done with it. */
  g_atomic_ref_count_inc (&call->ref);
  if (!run_backend_call (table, call, deadline, &ok, handed_off, &backend_error))
    {
      if (g_atomic_int_get (&call->umounted) && call->remove_dir)
        g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_TIMEOUT,
                     "Unmounted mountpoint '%s', but removing its directory did not finish within "
                     "MountTimeoutSec; it is removed in the background",
                     entry->mountpoint);
      else
        g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_TIMEOUT,
                     "Unmounting mountpoint '%s' did not finish within MountTimeoutSec", entry->mountpoint);
      backend_call_free (call);
      return FALSE;
    }
  ok = finish_unmount (table, entry, call, ok, backend_error, restore, out_unmounted, error);
  backend_call_free (call);
  return ok;
}

gboolean
refmount_table_run_mount (RefmountTable   *table,
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
                          GError         **error)
{
  BackendCall *call = backend_call_new (table, entry, CALL_MOUNT);

  call->fd = dirfd;
  call->fstype = g_strdup (fstype);
  call->source = g_strdup (source);
  call->options = g_strdup (options);
  call->user_options = g_strdup (user_options);
  call->use_helper = use_helper;
  call->deadline = deadline;
  call->created_dir = created_dir;
  /* Our own reference, for what the call found after the mount. */
  g_atomic_ref_count_inc (&call->ref);
  if (!run_backend_call (table, call, deadline, out_ok, handed_off, error))
    {
      backend_call_free (call);
      return FALSE;
    }
  take_mounted (call, out_after);
  backend_call_free (call);
  return TRUE;
}

/* On success the caller reads the results and frees the call; after a
 * timeout the late completion ran and the call is freed here. */
static void
prepare_destroy (gpointer data)
{
  BackendCall *call = data;

  if (call->late_ran)
    backend_call_free (call);
}

void
refmount_prepared_clear (RefmountPrepared *prepared)
{
  refmount_clear_fd (&prepared->dirfd);
  g_clear_pointer (&prepared->km, refmount_kernel_mount_free);
  g_clear_error (&prepared->mount_error);
  refmount_mounted_clear (&prepared->after);
}

gboolean
refmount_table_run_prepare_mount (RefmountTable           *table,
                                  RefmountEntry           *entry,
                                  const RefmountMountSpec *spec,
                                  gint64                   deadline,
                                  RefmountPrepared        *out,
                                  gboolean                *out_mounting,
                                  gboolean                *handed_off,
                                  GError                 **error)
{
  BackendCall       *call = backend_call_new (table, entry, CALL_PREPARE);
  g_autoptr (GError) local_error = NULL;
  gboolean           ok = FALSE;

  memset (out, 0, sizeof *out);
  out->dirfd = -1;
  *out_mounting = FALSE;
  if (spec != NULL)
    {
      call->mount_if_free = TRUE;
      call->fstype = g_strdup (spec->fstype);
      call->source = g_strdup (spec->source);
      call->options = g_strdup (spec->options);
      call->user_options = g_strdup (spec->user_options);
      call->use_helper = spec->use_helper;
      call->deadline = deadline;
    }
  /* Our own reference: after a timeout, whether the mount had begun
   * tells what to report, while the late completion may be done. */
  g_atomic_ref_count_inc (&call->ref);
  if (deadline == 0)
    {
      ok = backend_call_func (call, &local_error);
      backend_call_free (call); /* the reference the runner's destroy drops */
    }
  else if (!refmount_runner_run (table->runner, backend_call_func, late_cb, call, backend_call_free, deadline,
                                 &ok, &local_error))
    {
      *handed_off = TRUE;
      *out_mounting = g_atomic_int_get (&call->mounting) != 0;
      backend_call_free (call);
      return FALSE;
    }
  out->dirfd = g_steal_fd (&call->fd);
  out->created = call->created_dir;
  out->km = g_steal_pointer (&call->km);
  out->mount_root = call->mount_root;
  out->mount_tried = call->mount_tried;
  if (call->mount_tried)
    {
      take_mounted (call, &out->after);
      out->mounted = ok;
      out->mount_error = g_steal_pointer (&local_error);
      ok = TRUE;
    }
  else if (!ok)
    g_propagate_error (error, g_steal_pointer (&local_error));
  backend_call_free (call);
  return ok;
}

gboolean
refmount_table_run_lookup (RefmountTable        *table,
                           RefmountEntry        *entry,
                           const char           *path,
                           gint64                deadline,
                           RefmountKernelMount **out_km,
                           gboolean             *handed_off)
{
  BackendCall *call;
  gboolean     ok = FALSE;

  if (deadline == 0)
    {
      *out_km = table->backend->ops->lookup (table->backend, path);
      return TRUE;
    }
  call = backend_call_new (table, entry, CALL_LOOKUP);
  call->name = g_strdup (path);
  if (!refmount_runner_run (table->runner, backend_call_func, late_cb, call, prepare_destroy, deadline, &ok,
                            NULL))
    {
      *handed_off = TRUE;
      return FALSE;
    }
  *out_km = g_steal_pointer (&call->km);
  backend_call_free (call);
  return TRUE;
}

gboolean
refmount_table_run_undo_mount (RefmountTable *table,
                               RefmountEntry *entry,
                               int            dirfd,
                               gint64         deadline,
                               gboolean      *out_ok,
                               gboolean      *handed_off,
                               GError       **error)
{
  BackendCall *call = backend_call_new (table, entry, CALL_UNDO);

  call->fd = refmount_dup_cloexec (dirfd);
  return run_backend_call (table, call, deadline, out_ok, handed_off, error);
}

/* ---- busy retries ------------------------------------------------------- */

/* @data: the mountpoint (owned). */
static void
busy_retry_func (RefmountTable *table,
                 gpointer       data)
{
  g_autofree char   *mountpoint = data;
  g_autoptr (GError) error = NULL;
  RefmountEntry     *entry;

  entry = refmount_table_lock_entry (table, mountpoint, FALSE, 0, g_get_monotonic_time () + 5 * G_USEC_PER_SEC,
                                     &error);
  if (entry == NULL)
    {
      if (g_error_matches (error, REFMOUNT_ERROR, REFMOUNT_ERROR_TIMEOUT))
        refmount_table_schedule_busy_retry (table, mountpoint, 1);
      return;
    }

  entry->op_uid = -1;
  entry->op_pid = -1;
  if (entry->record != NULL && entry->record->attachments->len == 0 &&
      entry->record->state == REFMOUNT_MOUNT_STATE_BUSY)
    {
      /* Tests wait for this line: proof that a retry found it still busy. */
      g_debug ("Retrying the deferred unmount of %s", mountpoint);
      refmount_table_unmount_last (table, entry, FALSE, FALSE, 0, NULL, NULL, NULL, NULL);
    }
  refmount_table_unlock_entry (table, entry);
}

void
refmount_table_schedule_busy_retry (RefmountTable *table,
                                    const char    *mountpoint,
                                    guint          attempt)
{
  guint delay = attempt >= 6 ? BUSY_RETRY_MAX_SEC : MIN (BUSY_RETRY_MAX_SEC, 1u << attempt);

  refmount_table_schedule_retry (table, delay, busy_retry_func, g_strdup (mountpoint),
                                 g_free);
}
