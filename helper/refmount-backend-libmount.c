/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <poll.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "refmount-fd.h"
#include "refmount-backend-libmount.h"
#include "refmount-backend.h"
#include "refmount-error.h"
#include "refmount-helper-child.h"
#include "refmount-path.h"
#include "refmount-statmount.h"
#include "refmount-utab.h"

/* libmount declares only struct tags; g_autoptr needs type names. */
typedef struct libmnt_context libmnt_context;
typedef struct libmnt_table   libmnt_table;
typedef struct libmnt_iter    libmnt_iter;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (libmnt_context, mnt_free_context)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (libmnt_table, mnt_unref_table)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (libmnt_iter, mnt_free_iter)

#define MOUNTINFO "/proc/self/mountinfo"

typedef struct
{
  RefmountBackend parent;
  GMutex          changes_lock; /* mountinfo_fd's poll and changes */
  int             mountinfo_fd;
  guint64         changes;
} LibmountBackend;

void
refmount_backend_free (RefmountBackend *backend)
{
  if (backend != NULL)
    backend->ops->free (backend);
}

/* A context that does exactly what it is told: no fstab merging (an admin's
 * fstab line must not add options a caller never asked for), no
 * canonicalization (it would turn the /proc/PID/fd/N target back into a
 * path string and reopen the symlink race), helpers only when allowed. */
static struct libmnt_context *
new_context (gboolean use_helper)
{
  struct libmnt_context *cxt = mnt_new_context ();

  mnt_context_set_optsmode (cxt, MNT_OMODE_IGNORE);
  mnt_context_disable_canonicalize (cxt, TRUE);
  mnt_context_disable_swapmatch (cxt, TRUE);
  mnt_context_disable_helpers (cxt, !use_helper);
  /* utab records userspace options for helpers; kernel mounts need none. */
  mnt_context_disable_mtab (cxt, !use_helper);
  return cxt;
}

static char *
context_reason (struct libmnt_context *cxt,
                int                    rc)
{
  char buf[BUFSIZ] = "";
  int  syscall_errno = mnt_context_get_syscall_errno (cxt);

  /* Only for contexts with helpers disabled (new_context (FALSE)): a
   * helper's exit status is helper_reason()'s business. */
  mnt_context_get_excode (cxt, rc, buf, sizeof buf);
  /* libmount leaves the text empty only for its internal errors
   * (MNT_EX_SOFTWARE), which no test can bring about. */
  if (buf[0] == '\0')
    return g_strdup (g_strerror (syscall_errno ? syscall_errno : (rc < 0 ? -rc : EIO))); /* GCOVR_EXCL_LINE */
  return g_strdup (buf);
}

struct libmnt_context *
refmount_backend_libmount_mount_context (const char *fstype,
                                         const char *source,
                                         const char *target,
                                         const char *options,
                                         gboolean    use_helper)
{
  struct libmnt_context *cxt = new_context (use_helper);

  mnt_context_set_fstype (cxt, fstype);
  mnt_context_set_source (cxt, source);
  mnt_context_set_target (cxt, target);
  mnt_context_set_options (cxt, options);
  return cxt;
}

/* Why a helper mount failed, for MountFailed: the helper's own words
 * first (libmount's summary of a helper's exit status says little). */
static char *
helper_reason (const char                 *fstype,
               const RefmountHelperResult *result)
{
  const char *output = result->output != NULL ? result->output : "";
  const char *message = result->message != NULL ? result->message : "";

  if (result->timed_out)
    return g_strdup_printf ("mount.%s did not finish within MountTimeoutSec and was killed%s%s",
                            fstype, output[0] ? ": " : "", output);
  if (result->helper_executed)
    return g_strdup_printf ("mount.%s exited with status %d: %s", fstype, result->helper_status,
                            output[0] ? output : (message[0] ? message : "no message"));
  if (message[0] != '\0')
    return g_strdup (message);
  /* The child always reports libmount's text or how it died; empty only
   * for libmount's internal errors, as in context_reason(). */
  return g_strdup (g_strerror (result->syscall_errno ? result->syscall_errno : EIO)); /* GCOVR_EXCL_LINE */
}

static RefmountKernelMount *libmount_lookup (RefmountBackend *backend,
                                             const char      *path);

/* Recorded before the mount: GUnixMountMonitor (and so GVfs) re-reads
 * the mount table when mountinfo changes, not when utab does, so options
 * written after mount(2) could be missed for good.  An entry without a
 * mount is ignored by every reader, and removed if the mount fails.  The
 * mount goes ahead either way: how it looks in a file manager is not
 * worth refusing it for. */
static void
record_user_options (const char *path,
                     const char *source,
                     const char *fstype,
                     const char *user_options)
{
  g_autoptr (GError) error = NULL;

  if (user_options != NULL && !refmount_utab_add (path, source, fstype, user_options, &error))
    g_warning ("%s", error->message);
}

static void
forget_user_options (const char *path)
{
  g_autoptr (GError) error = NULL;

  if (!refmount_utab_remove (path, &error))
    g_warning ("%s", error->message);
}

static gboolean
libmount_mount (RefmountBackend *backend,
                int              dirfd,
                const char      *path,
                const char      *fstype,
                const char      *source,
                const char      *options,
                const char      *user_options,
                gboolean         use_helper,
                gint64           deadline,
                GError         **error)
{
  /* /proc/PID/fd/N rather than /proc/self: a helper is another process,
   * and for it /proc/self would name its own fd table. */
  g_autofree char           *target = g_strdup_printf ("/proc/%d/fd/%d", (int) getpid (), dirfd);
  g_autoptr (libmnt_context) cxt = refmount_backend_libmount_mount_context (fstype, source, target,
                                                                            options, use_helper);
  g_autofree char           *reason = NULL;
  RefmountError              code = REFMOUNT_ERROR_MOUNT_FAILED;

  record_user_options (path, source, fstype, user_options);
  if (use_helper)
    {
      /* See refmount-helper-child.h: clean environment, output captured,
       * killed at the deadline. */
      RefmountHelperResult result;
      g_autoptr (GError)   local_error = NULL;

      if (!refmount_helper_child_mount (cxt, deadline, &result, &local_error))
        reason = g_strdup (local_error->message);
      else
        {
          if (result.mounted)
            {
              if (result.output[0] != '\0')
                g_message ("mount.%s for %s said: %s", fstype, path, result.output);
              refmount_helper_result_clear (&result);
              return TRUE;
            }
          /* A FUSE helper (sshfs) mounts before it has finished talking to
           * its server; killed at that point, it leaves a dead mount that
           * nobody will ever unmount.  umount(2) on the magic link reaches
           * a mount on top of the directory, and fails with EINVAL when
           * there is none. */
          if (result.timed_out && umount2 (target, MNT_DETACH) == 0)
            g_message ("mount.%s was killed after it had mounted %s; detached that mount",
                       fstype, path);
          reason = helper_reason (fstype, &result);
          /* The helper's deadline is the caller's: whichever of the two
           * notices first, the caller must see Timeout, not MountFailed. */
          if (result.timed_out)
            code = REFMOUNT_ERROR_TIMEOUT;
          refmount_helper_result_clear (&result);
        }
    }
  else
    {
      int rc = mnt_context_mount (cxt);

      if (rc == 0 && mnt_context_get_status (cxt) == 1)
        return TRUE;
      reason = context_reason (cxt, rc);
    }

  /* A helper may fail after it mounted; refmountd then keeps that mount
   * (doc/design.md "Mount states", Mount step 4), and its entry with it. */
  if (user_options != NULL)
    {
      g_autoptr (RefmountKernelMount) km = libmount_lookup (backend, path);

      if (km == NULL || g_strcmp0 (km->source, source) != 0)
        forget_user_options (path);
    }
  g_set_error (error, REFMOUNT_ERROR, code,
               "Mounting source '%s' (%s) on mountpoint '%s' failed: %s",
               source, fstype, path, reason);
  return FALSE;
}

static gboolean
libmount_umount (RefmountBackend *backend,
                 int              parentfd,
                 const char      *name,
                 const char      *path,
                 gboolean         force,
                 gboolean         lazy,
                 GError         **error)
{
  g_autoptr (libmnt_context) cxt = new_context (FALSE);
  g_autofree char           *target = NULL;
  int                        rc, err;

  if (name == NULL)
    {
      /* @parentfd is the directory that was mounted on: umount(2) through
       * its magic link reaches the mount on top of it wherever the
       * directory has been moved to. */
      target = g_strdup_printf ("/proc/%d/fd/%d", (int) getpid (), parentfd);
    }
  else
    {
      struct open_how     how = { 0 };
      refmount_autofd int fd = -1;

      /* umount(2) follows a symlink in the last component.  Check that the
       * name is a directory with a mount on it first: a mounted-on
       * directory cannot be renamed or exchanged (EBUSY) and only root can
       * unmount it, so the name stays put until our umount(2). */
      how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
      how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
      fd = (int) syscall (SYS_openat2, parentfd, name, &how, sizeof how);
      if (fd < 0 || !refmount_path_fd_is_mount_root (fd))
        {
          int errsv = fd < 0 ? errno : 0;

          g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND,
                       "Nothing is mounted at mountpoint '%s'%s%s", path,
                       errsv ? ": " : "", errsv ? g_strerror (errsv) : "");
          return FALSE;
        }
      /* Through the parent's fd, so no component above it can be swapped. */
      target = g_strdup_printf ("/proc/%d/fd/%d/%s", (int) getpid (), parentfd, name);
    }

  mnt_context_set_target (cxt, target);
  mnt_context_enable_force (cxt, force);
  mnt_context_enable_lazy (cxt, lazy);
  /* libmount only takes its statfs(2) shortcut when canonicalization is
   * on; otherwise it reads all of mountinfo to find the target, O(mounts)
   * per unmount.  umount(2) still gets our /proc/PID/fd link: libmount
   * canonicalizes only the utab entries it compares it with. */
  if (!force && !lazy)
    mnt_context_disable_canonicalize (cxt, FALSE);

  rc = mnt_context_umount (cxt);
  if (rc == 0 && mnt_context_get_status (cxt) == 1)
    {
      forget_user_options (path);
      return TRUE;
    }

  err = mnt_context_syscall_called (cxt) ? mnt_context_get_syscall_errno (cxt) : (rc < 0 ? -rc : 0);
  /* GCOVR_EXCL_START: umount(2) never fails with ENOTCONN, and libmount
   * 2.38 (Debian 12) goes on when its stat(2) of the target does: a dead
   * FUSE mount is unmounted above (test-backend-libmount's dead-fuse).
   * Kept for a libmount that gives up on that stat. */
  if (err == ENOTCONN && !lazy)
    {
      /* A FUSE (sshfs, glusterfs) mount whose server process died answers
       * ENOTCONN to everything: there is nothing left to flush, and only a
       * lazy unmount gets rid of it. */
      g_message ("Unmounting %s: %s; unmounting it lazily", path, g_strerror (err));
      g_clear_pointer (&cxt, mnt_free_context);
      cxt = new_context (FALSE);
      mnt_context_set_target (cxt, target);
      mnt_context_enable_force (cxt, force);
      mnt_context_enable_lazy (cxt, TRUE);
      rc = mnt_context_umount (cxt);
      if (rc == 0 && mnt_context_get_status (cxt) == 1)
        {
          forget_user_options (path);
          return TRUE;
        }
      err = mnt_context_syscall_called (cxt) ? mnt_context_get_syscall_errno (cxt) : (rc < 0 ? -rc : 0);
    }
  /* GCOVR_EXCL_STOP */
  if (err == EBUSY)
    g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_BUSY,
                 "Mountpoint '%s' is busy", path);
  else if (err == EINVAL || err == ENOENT)
    g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND,
                 "Nothing is mounted at mountpoint '%s'", path);
  else
    {
      g_autofree char *reason = context_reason (cxt, rc);
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED,
                   "Unmounting mountpoint '%s' failed: %s", path, reason);
    }
  return FALSE;
}

static libmnt_table *
parse_mountinfo (GError **error)
{
  g_autoptr (libmnt_table) tb = mnt_new_table ();
  int                      rc = mnt_table_parse_file (tb, MOUNTINFO);

  if (rc != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (-rc),
                   "Cannot parse %s: %s", MOUNTINFO, g_strerror (-rc));
      return NULL;
    }
  return g_steal_pointer (&tb);
}

static RefmountKernelMount *
kernel_mount_from_fs (struct libmnt_fs *fs)
{
  RefmountKernelMount *km = g_new0 (RefmountKernelMount, 1);

  km->source = g_strdup (mnt_fs_get_source (fs) ? mnt_fs_get_source (fs) : "");
  km->fstype = g_strdup (mnt_fs_get_fstype (fs) ? mnt_fs_get_fstype (fs) : "");
  return km;
}

static RefmountKernelMount *
libmount_lookup (RefmountBackend *backend,
                 const char      *path)
{
  g_autoptr (libmnt_table) tb = NULL;
  g_autoptr (libmnt_iter)  iter = NULL;
  struct libmnt_fs        *fs, *found = NULL;
  refmount_autofd int      fd = -1;

  /* Parsing mountinfo is O(mounts); statx tells in O(1) whether there is
   * anything to look up at all, which is the common case. */
  {
    struct open_how how = { 0 };

    /* No symlink anywhere: a swapped-in link must not make us report (and
     * then adopt or trust) a mount outside the mount roots. */
    how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    fd = (int) syscall (SYS_openat2, AT_FDCWD, path, &how, sizeof how);
  }
  if (fd < 0)
    return NULL;
  if (!refmount_path_fd_is_mount_root (fd))
    return NULL;
  /* The fd is on the topmost mount at @path: exactly the one wanted. */
  {
    g_autofree char *source = NULL;
    g_autofree char *fstype = NULL;

    if (refmount_statmount_lookup (fd, &source, &fstype))
      {
        RefmountKernelMount *km = g_new0 (RefmountKernelMount, 1);

        km->source = g_steal_pointer (&source);
        km->fstype = g_steal_pointer (&fstype);
        return km;
      }
  }

  tb = parse_mountinfo (NULL);
  if (tb == NULL)
    return NULL;
  iter = mnt_new_iter (MNT_ITER_FORWARD);
  /* Later lines are mounted on top: the last match is what is visible. */
  while (mnt_table_next_fs (tb, iter, &fs) == 0)
    if (g_strcmp0 (mnt_fs_get_target (fs), path) == 0)
      found = fs;
  return found != NULL ? kernel_mount_from_fs (found) : NULL;
}

static GHashTable *
libmount_list (RefmountBackend *backend,
               GError         **error)
{
  g_autoptr (libmnt_table) tb = parse_mountinfo (error);
  g_autoptr (libmnt_iter)  iter = NULL;
  GHashTable              *all;
  struct libmnt_fs        *fs;

  if (tb == NULL)
    return NULL;
  all = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) refmount_kernel_mount_free);
  iter = mnt_new_iter (MNT_ITER_FORWARD);
  while (mnt_table_next_fs (tb, iter, &fs) == 0)
    if (mnt_fs_get_target (fs) != NULL)
      g_hash_table_insert (all, g_strdup (mnt_fs_get_target (fs)), kernel_mount_from_fs (fs));
  return all;
}

/* The kernel marks an open mountinfo file when the namespace's mount
 * table changes, and poll(2) both reports and clears that mark (POLLPRI,
 * fs/proc_namespace.c): this fd is polled here only, so every change
 * since the previous call is seen exactly once.  poll() on it only
 * compares two counters; it never reaches any filesystem. */
static guint64
libmount_changes (RefmountBackend *backend)
{
  LibmountBackend         *self = (LibmountBackend *) backend;
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->changes_lock);
  struct pollfd            pfd = { self->mountinfo_fd, POLLPRI, 0 };

  if (self->mountinfo_fd < 0)
    return 0;
  if (poll (&pfd, 1, 0) != 0)
    self->changes++; /* a change, or an error: either way, look again */
  return self->changes;
}

static void
libmount_free (RefmountBackend *backend)
{
  LibmountBackend *self = (LibmountBackend *) backend;

  refmount_clear_fd (&self->mountinfo_fd);
  g_mutex_clear (&self->changes_lock);
  g_free (self);
}

static const RefmountBackendOps libmount_ops = {
  .mount = libmount_mount,
  .umount = libmount_umount,
  .lookup = libmount_lookup,
  .list = libmount_list,
  .changes = libmount_changes,
  .free = libmount_free,
};

RefmountBackend *
refmount_backend_libmount_new (void)
{
  LibmountBackend *self = g_new0 (LibmountBackend, 1);

  self->parent.ops = &libmount_ops;
  g_mutex_init (&self->changes_lock);
  /* Opened now, so that changes count from here; 1 (not 0, "unknown")
   * until the first poll says otherwise. */
  self->mountinfo_fd = open (MOUNTINFO, O_RDONLY | O_CLOEXEC);
  self->changes = 1;
  return &self->parent;
}
