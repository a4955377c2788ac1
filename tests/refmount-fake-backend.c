/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>

#include "refmount-error.h"
#include "refmount-fake-backend.h"

static void
enter_call (FakeBackend *fake,
            const char  *path,
            const char  *source,
            guint        delay_ms)
{
  fake->in_call++;
  fake->max_in_call = MAX (fake->max_in_call, fake->in_call);
  /* Tests wait for this line instead of sleeping until the call has
   * surely reached the hang. */
  if ((fake->hang_path != NULL && g_strcmp0 (fake->hang_path, path) == 0) ||
      (fake->hang_source != NULL && source != NULL && g_strcmp0 (fake->hang_source, source) == 0))
    g_debug ("fake backend: the call on %s hangs", path);
  while ((fake->hang_path != NULL && g_strcmp0 (fake->hang_path, path) == 0) ||
         (fake->hang_source != NULL && source != NULL && g_strcmp0 (fake->hang_source, source) == 0))
    g_cond_wait (&fake->cond, &fake->lock);
  if (delay_ms > 0)
    {
      g_mutex_unlock (&fake->lock);
      g_usleep (delay_ms * 1000);
      g_mutex_lock (&fake->lock);
    }
  fake->in_call--;
}

static gboolean
fake_mount (RefmountBackend *backend,
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
  FakeBackend             *fake = (FakeBackend *) backend;
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&fake->lock);
  RefmountKernelMount     *km;

  g_assert_cmpint (dirfd, >=, 0);
  fake->mount_calls++;
  g_free (fake->last_fstype);
  g_free (fake->last_source);
  g_free (fake->last_options);
  g_free (fake->last_user_options);
  fake->last_fstype = g_strdup (fstype);
  fake->last_source = g_strdup (source);
  fake->last_options = g_strdup (options);
  fake->last_user_options = g_strdup (user_options);
  fake->last_use_helper = use_helper;
  fake->last_deadline = deadline;
  enter_call (fake, path, source, fake->mount_delay_ms);

  if (fake->fail_mounts > 0)
    {
      fake->fail_mounts--;
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_MOUNT_FAILED,
                   "Mounting %s (%s) on %s failed: %s", source, fstype, path, g_strerror (EIO));
      return FALSE;
    }
  if (g_hash_table_contains (fake->mounts, path))
    fake->max_mounts_per_path_seen = 2;
  km = g_new0 (RefmountKernelMount, 1);
  km->source = g_strdup (source);
  km->fstype = g_strdup (fake->kernel_fstype != NULL ? fake->kernel_fstype : fstype);
  g_hash_table_insert (fake->mounts, g_strdup (path), km);
  fake->changes++;
  if (fake->max_mounts_per_path_seen == 0)
    fake->max_mounts_per_path_seen = 1;
  if (fake->fail_but_mounted)
    {
      fake->fail_but_mounted = FALSE;
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_MOUNT_FAILED,
                   "Mounting %s on %s: helper reported failure after mounting", source, path);
      return FALSE;
    }
  return TRUE;
}

static gboolean
fake_umount (RefmountBackend *backend,
             int              parentfd,
             const char      *name,
             const char      *path,
             gboolean         force,
             gboolean         lazy,
             GError         **error)
{
  FakeBackend             *fake = (FakeBackend *) backend;
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&fake->lock);

  g_assert_cmpint (parentfd, >=, 0);
  g_assert_true (name == NULL || g_str_has_suffix (path, name));
  fake->umount_calls++;
  enter_call (fake, path, NULL, fake->umount_delay_ms);

  if (!g_hash_table_contains (fake->mounts, path))
    {
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND, "%s: not mounted", path);
      return FALSE;
    }
  if (fake->busy_umounts > 0 && !lazy && !force)
    {
      fake->busy_umounts--;
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_BUSY, "%s: %s", path, g_strerror (EBUSY));
      return FALSE;
    }
  if (fake->fail_umounts > 0)
    {
      fake->fail_umounts--;
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED, "%s: %s", path, g_strerror (EIO));
      return FALSE;
    }
  g_hash_table_remove (fake->mounts, path);
  fake->changes++;
  return TRUE;
}

static RefmountKernelMount *
copy_km (const RefmountKernelMount *km)
{
  RefmountKernelMount *copy = g_new0 (RefmountKernelMount, 1);

  copy->source = g_strdup (km->source);
  copy->fstype = g_strdup (km->fstype);
  return copy;
}

static RefmountKernelMount *
fake_lookup (RefmountBackend *backend,
             const char      *path)
{
  FakeBackend             *fake = (FakeBackend *) backend;
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&fake->lock);
  RefmountKernelMount     *km = g_hash_table_lookup (fake->mounts, path);

  fake->lookup_calls++;
  return km != NULL ? copy_km (km) : NULL;
}

static GHashTable *
fake_list (RefmountBackend *backend,
           GError         **error)
{
  FakeBackend             *fake = (FakeBackend *) backend;
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&fake->lock);
  GHashTable              *all = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                        (GDestroyNotify) refmount_kernel_mount_free);
  GHashTableIter           iter;
  gpointer                 key, value;

  g_hash_table_iter_init (&iter, fake->mounts);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (all, g_strdup (key), copy_km (value));
  return all;
}

static void
fake_free (RefmountBackend *backend)
{
  FakeBackend *fake = (FakeBackend *) backend;

  g_hash_table_unref (fake->mounts);
  g_free (fake->hang_path);
  g_free (fake->hang_source);
  g_free (fake->last_fstype);
  g_free (fake->kernel_fstype);
  g_free (fake->last_source);
  g_free (fake->last_options);
  g_free (fake->last_user_options);
  g_mutex_clear (&fake->lock);
  g_cond_clear (&fake->cond);
  g_free (fake);
}

/* Like the kernel's mount table events: every change in the fake's
 * table, the tests' own included.  0 ("cannot tell") when a test turned
 * it off: the table then looks every time. */
static guint64
fake_changes (RefmountBackend *backend)
{
  FakeBackend             *fake = (FakeBackend *) backend;
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&fake->lock);

  return fake->no_changes ? 0 : fake->changes + 1;
}

static const RefmountBackendOps fake_ops = {
  .mount = fake_mount,
  .umount = fake_umount,
  .lookup = fake_lookup,
  .list = fake_list,
  .changes = fake_changes,
  .free = fake_free,
};

FakeBackend *
fake_backend_new (void)
{
  FakeBackend *fake = g_new0 (FakeBackend, 1);

  fake->parent.ops = &fake_ops;
  g_mutex_init (&fake->lock);
  g_cond_init (&fake->cond);
  fake->mounts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) refmount_kernel_mount_free);
  return fake;
}

void
fake_backend_set_mounted (FakeBackend *fake,
                          const char  *path,
                          const char  *source,
                          const char  *fstype)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&fake->lock);
  RefmountKernelMount     *km = g_new0 (RefmountKernelMount, 1);

  km->source = g_strdup (source);
  km->fstype = g_strdup (fstype);
  g_hash_table_insert (fake->mounts, g_strdup (path), km);
  fake->changes++;
}

void
fake_backend_set_unmounted (FakeBackend *fake,
                            const char  *path)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&fake->lock);

  g_hash_table_remove (fake->mounts, path);
  fake->changes++;
}

gboolean
fake_backend_is_mounted (FakeBackend *fake,
                         const char  *path)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&fake->lock);

  return g_hash_table_contains (fake->mounts, path);
}

guint
fake_backend_count (FakeBackend *fake)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&fake->lock);

  return g_hash_table_size (fake->mounts);
}

void
fake_backend_hang_path (FakeBackend *fake,
                        const char  *path)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&fake->lock);

  g_free (fake->hang_path);
  fake->hang_path = g_strdup (path);
}

void
fake_backend_hang_source (FakeBackend *fake,
                          const char  *source)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&fake->lock);

  g_free (fake->hang_source);
  fake->hang_source = g_strdup (source);
}

void
fake_backend_release_hang (FakeBackend *fake)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&fake->lock);

  g_clear_pointer (&fake->hang_path, g_free);
  g_clear_pointer (&fake->hang_source, g_free);
  g_cond_broadcast (&fake->cond);
}
