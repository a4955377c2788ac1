/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "refmount-fd.h"
#include "refmount-health.h"
#include "refmount-log.h"
#include "refmount-names.h"
#include "refmount-path.h"
#include "refmount-state.h"
#include "refmount-validate.h"

typedef struct _Probe Probe;

/* One tracked mount.  Guarded by health->mutex. */
typedef struct
{
  char               *mountpoint;
  char               *fstype;
  char               *source;
  guint64             mounted_at; /* which mount instance this is */
  gboolean            mounted;    /* State "mounted": probed */
  RefmountHealthState state;
  gint64              checked_at; /* µs since the epoch, 0: never */
  char               *message;
  guint64             usage[3];
  gint64              next_due; /* monotonic µs */
  Probe              *probe;    /* in flight, or NULL */
  gboolean            recovering;
  /* AutoRecover ran in this stale episode: not again until the mount has
   * answered "ok", or a server that stays broken would get a remount
   * every interval. */
  gboolean  auto_recovered;
  GVariant *published; /* a{sv} last handed to the changed callback */
} Tracked;

struct _Probe
{
  gatomicrefcount ref;
  RefmountHealth *health;
  char           *mountpoint;
  guint64         mounted_at;
  char           *root;
  char           *relative;
  gint64          deadline;    /* monotonic µs */
  guint           timeout_sec; /* for messages */
  gboolean        health_on;   /* FALSE: only Usage is refreshed */
  gboolean        stuck;       /* health->mutex */
};

struct _RefmountHealth
{
  GMutex      mutex;   /* everything below but notify_mutex */
  GCond       cond;    /* the scheduler waits on it */
  GHashTable *tracked; /* mountpoint -> Tracked* */
  guint       running; /* probes in flight, not stuck */
  guint       stuck;   /* probe threads past their deadline, not returned */
  gboolean    cap_logged;
  gboolean    quit;
  GThread    *scheduler;
  /* Probes run on its threads: unbounded (a stuck probe keeps its thread
   * in the kernel, counted in @stuck under the cap), and an idle thread
   * is reused, so a probe does not cost a thread's creation. */
  GThreadPool *probes;

  /* Held while a mount's properties are compared with what was published
   * and handed to @changed, so two threads never publish one mount's
   * changes out of order.  Taken before @mutex. */
  GMutex notify_mutex;

  RefmountHealthConfigFunc  get_config;
  RefmountHealthChangedFunc changed;
  gpointer                  user_data;
  RefmountHealthProbeFunc   probe;
  gpointer                  probe_data;
  RefmountTable            *table;
};

static const char *const state_names[] = {
  [REFMOUNT_HEALTH_UNKNOWN] = "unknown",
  [REFMOUNT_HEALTH_OK] = "ok",
  [REFMOUNT_HEALTH_UNRESPONSIVE] = "unresponsive",
  [REFMOUNT_HEALTH_STALE_HANDLE] = "stale-handle",
};

const char *
refmount_health_state_to_string (RefmountHealthState state)
{
  return state < G_N_ELEMENTS (state_names) ? state_names[state] : "unknown";
}

/* ---- the probe -------------------------------------------------------- */

/* Ask the filesystem itself.  fstatfs() gives Usage and is a round trip
 * to the server on NFS, CIFS and FUSE; statx() with AT_STATX_FORCE_SYNC
 * revalidates the root's attributes, which is where an NFS client sees
 * ESTALE once the export's root handle is gone.  Both may block in the
 * kernel for as long as the server does: this runs on a thread that may
 * be abandoned. */
static int
kernel_probe (const char *root,
              const char *relative,
              guint64     usage[3],
              char      **message,
              gpointer    user_data)
{
  g_autoptr (GError)  error = NULL;
  struct statfs       sfs;
  struct statx        stx;
  refmount_autofd int fd = -1;
  guint64             unit;

  fd = refmount_path_open_beneath (root, relative, FALSE, NULL, &error);
  if (fd < 0)
    {
      *message = g_strdup_printf ("cannot open the mountpoint: %s", error->message);
      return ENOENT;
    }
  /* statx with AT_STATX_DONT_SYNC: never asks the filesystem. */
  if (!refmount_path_fd_is_mount_root (fd))
    {
      *message = g_strdup ("nothing is mounted on the mountpoint");
      return ENOENT;
    }
  if (fstatfs (fd, &sfs) < 0)
    {
      int saved = errno;

      *message = g_strdup_printf ("statfs: %s", g_strerror (saved));
      return saved;
    }
  if (statx (fd, "", AT_EMPTY_PATH | AT_STATX_FORCE_SYNC, STATX_BASIC_STATS, &stx) < 0)
    {
      int saved = errno;

      *message = g_strdup_printf ("stat: %s", g_strerror (saved));
      return saved;
    }
  refmount_clear_fd (&fd);
  /* statvfs() (and so df) count in f_frsize; statfs() fills it in since
   * Linux 2.6, and falls back to f_bsize where a filesystem leaves it 0. */
  unit = sfs.f_frsize != 0 ? (guint64) sfs.f_frsize : (guint64) sfs.f_bsize;
  usage[0] = (guint64) sfs.f_blocks * unit;
  usage[1] = (guint64) sfs.f_bfree * unit;
  usage[2] = (guint64) sfs.f_bavail * unit;
  return 0;
}

static Probe *
probe_ref (Probe *probe)
{
  g_atomic_ref_count_inc (&probe->ref);
  return probe;
}

static void
probe_unref (Probe *probe)
{
  if (!g_atomic_ref_count_dec (&probe->ref))
    return;
  g_free (probe->mountpoint);
  g_free (probe->root);
  g_free (probe->relative);
  g_free (probe);
}

/* ---- tracked mounts ----------------------------------------------------- */

static void
tracked_free (gpointer data)
{
  Tracked *t = data;

  /* A probe still in flight is orphaned: it finds no Tracked for itself
   * when it returns, and only gives its thread count back. */
  g_free (t->mountpoint);
  g_free (t->fstype);
  g_free (t->source);
  g_free (t->message);
  g_clear_pointer (&t->published, g_variant_unref);
  g_free (t);
}

static GVariant *
properties_of (const Tracked *t)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&builder, "{sv}", "Health",
                         g_variant_new_string (refmount_health_state_to_string (t != NULL ? t->state
                                                                                          : REFMOUNT_HEALTH_UNKNOWN)));
  g_variant_builder_add (&builder, "{sv}", "HealthCheckedAt",
                         g_variant_new_uint64 (t != NULL ? (guint64) t->checked_at : 0));
  g_variant_builder_add (&builder, "{sv}", "HealthMessage",
                         g_variant_new_string (t != NULL && t->message != NULL ? t->message : ""));
  g_variant_builder_add (&builder, "{sv}", "Usage",
                         g_variant_new ("(ttt)", t != NULL ? t->usage[0] : 0, t != NULL ? t->usage[1] : 0,
                                        t != NULL ? t->usage[2] : 0));
  return g_variant_builder_end (&builder);
}

GVariant *
refmount_health_properties (RefmountHealth *health,
                            const char     *mountpoint)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&health->mutex);

  return properties_of (g_hash_table_lookup (health->tracked, mountpoint));
}

/* Publish what changed since the last time.  HealthCheckedAt changes with
 * every probe; alone it is not worth a signal per mount and interval, so
 * it goes out only together with a change of the others. */
static void
notify (RefmountHealth *health,
        const char     *mountpoint)
{
  g_autoptr (GMutexLocker) notify_locker = g_mutex_locker_new (&health->notify_mutex);
  g_autoptr (GVariant)     before = NULL;
  g_autoptr (GVariant)     now = NULL;
  GVariantBuilder          changed;
  GVariantIter             iter;
  const char              *key;
  GVariant                *value;
  gboolean                 any = FALSE;

  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&health->mutex);
    Tracked                 *t = g_hash_table_lookup (health->tracked, mountpoint);

    if (t == NULL)
      return;
    now = g_variant_ref_sink (properties_of (t));
    before = t->published != NULL ? g_variant_ref (t->published) : NULL;
    g_clear_pointer (&t->published, g_variant_unref);
    t->published = g_variant_ref (now);
  }
  if (health->changed == NULL)
    return;

  g_variant_builder_init (&changed, G_VARIANT_TYPE_VARDICT);
  g_variant_iter_init (&iter, now);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      g_autoptr (GVariant) old = before != NULL ? g_variant_lookup_value (before, key, NULL) : NULL;

      if (!g_str_equal (key, "HealthCheckedAt") && (old == NULL || !g_variant_equal (old, value)))
        any = TRUE;
      g_variant_builder_add (&changed, "{sv}", key, value);
      g_variant_unref (value);
    }
  if (!any)
    {
      g_variant_builder_clear (&changed);
      return;
    }
  health->changed (mountpoint, g_variant_builder_end (&changed), health->user_data);
}

void
refmount_health_track (RefmountHealth *health,
                       const char     *mountpoint,
                       GVariant       *record)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&health->mutex);
  const char              *fstype, *source;
  RefmountMountState       state;
  guint64                  mounted_at;
  Tracked                 *t;
  gboolean                 mounted;

  if (record == NULL)
    {
      g_hash_table_remove (health->tracked, mountpoint);
      return;
    }
  g_variant_get_child (record, REFMOUNT_RECORD_FIELD_SOURCE, "&s", &source);
  g_variant_get_child (record, REFMOUNT_RECORD_FIELD_FSTYPE, "&s", &fstype);
  g_variant_get_child (record, REFMOUNT_RECORD_FIELD_MOUNTED_AT, "t", &mounted_at);
  state = refmount_record_variant_get_state (record);
  mounted = state == REFMOUNT_MOUNT_STATE_MOUNTED;

  t = g_hash_table_lookup (health->tracked, mountpoint);
  if (t == NULL)
    {
      t = g_new0 (Tracked, 1);
      t->mountpoint = g_strdup (mountpoint);
      t->message = g_strdup ("not checked yet");
      g_hash_table_insert (health->tracked, t->mountpoint, t);
    }
  else if (t->mounted == mounted && t->mounted_at == mounted_at)
    return; /* only the attachments changed */

  g_free (t->fstype);
  t->fstype = g_strdup (fstype);
  g_free (t->source);
  t->source = g_strdup (source);
  if (t->mounted_at != mounted_at)
    {
      /* Another mount instance (a remount, Recover): a probe stuck on the
       * old one says nothing about this one, so it is orphaned and this
       * one is probed at once. */
      t->probe = NULL;
      t->mounted_at = mounted_at;
    }
  t->mounted = mounted;
  t->next_due = g_get_monotonic_time ();
  if (!mounted)
    {
      t->state = REFMOUNT_HEALTH_UNKNOWN;
      g_free (t->message);
      t->message = g_strdup_printf ("not probed in state %s", refmount_mount_state_to_string (state));
    }
  g_cond_signal (&health->cond);
}

/* ---- results ------------------------------------------------------------ */

static void
log_transition (Tracked            *t,
                RefmountHealthState before)
{
  RefmountLogContext ctx = { t->mountpoint, t->source, t->fstype, NULL, -1, -1 };

  if (t->state == before)
    return;
  if (t->state == REFMOUNT_HEALTH_UNRESPONSIVE)
    refmount_log_event (G_LOG_LEVEL_WARNING, "unresponsive", &ctx, "%s does not answer: %s",
                        t->mountpoint, t->message);
  else if (t->state == REFMOUNT_HEALTH_STALE_HANDLE)
    refmount_log_event (G_LOG_LEVEL_WARNING, "stale-handle", &ctx, "%s has a stale handle: %s",
                        t->mountpoint, t->message);
  else if (t->state == REFMOUNT_HEALTH_OK &&
           (before == REFMOUNT_HEALTH_UNRESPONSIVE || before == REFMOUNT_HEALTH_STALE_HANDLE))
    refmount_log_event (G_LOG_LEVEL_MESSAGE, "recovered", &ctx, "%s answers again (was %s)",
                        t->mountpoint, refmount_health_state_to_string (before));
}

/* ESTALE: the server no longer knows the handle (NFS after an export was
 * recreated).  ENOTCONN: the FUSE server is gone.  Either way the mount
 * will never answer again, and a remount (Recover) is what helps. */
static RefmountHealthState
state_for_errno (int err)
{
  if (err == 0)
    return REFMOUNT_HEALTH_OK;
  if (err == ESTALE || err == ENOTCONN)
    return REFMOUNT_HEALTH_STALE_HANDLE;
  return REFMOUNT_HEALTH_UNKNOWN;
}

typedef struct
{
  RefmountHealth *health;
  char           *mountpoint;
} RecoverJob;

static gpointer
recover_thread (gpointer data)
{
  RecoverJob                *job = data;
  RefmountHealth            *health = job->health;
  g_autoptr (RefmountConfig) config = health->get_config (health->user_data);
  g_autoptr (GError)         error = NULL;

  if (!refmount_table_recover (health->table, config, job->mountpoint, -1, -1, &error))
    g_warning ("AutoRecover of %s failed: %s", job->mountpoint, error->message);
  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&health->mutex);
    Tracked                 *t = g_hash_table_lookup (health->tracked, job->mountpoint);

    if (t != NULL)
      t->recovering = FALSE;
  }
  g_free (job->mountpoint);
  g_free (job);
  return NULL;
}

/* health->mutex held; @config fetched before it was taken (the daemon's
 * config lock is a leaf, as this mutex is). */
static void
maybe_auto_recover (RefmountHealth *health,
                    RefmountConfig *config,
                    Tracked        *t)
{
  const RefmountFsConfig *fs;
  RecoverJob             *job;

  if (t->state == REFMOUNT_HEALTH_OK)
    t->auto_recovered = FALSE;
  if (t->state != REFMOUNT_HEALTH_STALE_HANDLE || t->recovering || health->table == NULL)
    return;
  fs = refmount_config_get_fs (config, t->fstype);
  if (fs == NULL || !fs->auto_recover)
    return;
  if (t->auto_recovered)
    {
      g_debug ("AutoRecover of %s did not help; not retried until it answers again", t->mountpoint);
      return;
    }
  t->auto_recovered = TRUE;
  /* On a thread of its own: Recover waits for the entry's lock and for
   * the mount, up to MountTimeoutSec. */
  t->recovering = TRUE;
  job = g_new0 (RecoverJob, 1);
  job->health = health;
  job->mountpoint = g_strdup (t->mountpoint);
  g_thread_unref (g_thread_new ("refmount-recover", recover_thread, job));
}

/* The last thing a probe thread does with @health: once the counts say
 * no probe is left, refmount_health_free() may clear the mutexes, so
 * nothing may touch @health after this (notify() and the mutex locker
 * did, and a test's free found the mutex still locked). */
static void
probe_finished (RefmountHealth *health,
                Probe          *probe)
{
  g_mutex_lock (&health->mutex);
  if (probe->stuck)
    health->stuck--;
  else
    health->running--;
  /* The scheduler may be waiting for a free slot. */
  g_cond_signal (&health->cond);
  g_mutex_unlock (&health->mutex);
  probe_unref (probe);
}

/* A pool thread is named after what it does now, so that a probe stuck
 * in the kernel shows as "refmount-probe" (test-health.sh counts them)
 * and an idle one does not. */
static void
name_thread (const char *name)
{
  pthread_setname_np (pthread_self (), name);
}

static void
probe_thread (gpointer data,
              gpointer user_data)
{
  Probe                     *probe = data;
  RefmountHealth            *health = probe->health;
  g_autofree char           *message = NULL;
  guint64                    usage[3] = { 0, 0, 0 };
  RefmountProbeHold         *hold = NULL;
  gboolean                   skipped = FALSE;
  g_autoptr (RefmountConfig) config = NULL;
  int                        err;

  name_thread ("refmount-probe");
  config = health->get_config (health->user_data);
  if (health->table != NULL)
    hold = refmount_table_probe_begin (health->table, probe->mountpoint);
  if (health->table != NULL && hold == NULL)
    {
      /* An operation holds the mount: try again at the next interval,
       * without a result. */
      skipped = TRUE;
      err = 0;
    }
  else
    {
      err = health->probe (probe->root, probe->relative, usage, &message, health->probe_data);
      if (hold != NULL)
        refmount_table_probe_end (hold);
    }

  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&health->mutex);
    Tracked                 *t = g_hash_table_lookup (health->tracked, probe->mountpoint);
    RefmountHealthState      before;

    if (t == NULL || t->probe != probe)
      {
        g_clear_pointer (&locker, g_mutex_locker_free);
        probe_finished (health, probe);
        name_thread ("refmount-idle");
        return;
      }
    t->probe = NULL;
    if (skipped)
      {
        g_clear_pointer (&locker, g_mutex_locker_free);
        probe_finished (health, probe);
        name_thread ("refmount-idle");
        return;
      }
    before = t->state;
    t->checked_at = g_get_real_time ();
    if (err == 0)
      memcpy (t->usage, usage, sizeof usage);
    if (probe->health_on)
      {
        t->state = state_for_errno (err);
        g_free (t->message);
        t->message = err == 0 ? g_strdup ("") : g_steal_pointer (&message);
        log_transition (t, before);
        maybe_auto_recover (health, config, t);
      }
    else
      {
        t->state = REFMOUNT_HEALTH_UNKNOWN;
        g_free (t->message);
        t->message = g_strdup_printf ("health checks are off for %s (HealthIntervalSec=0)", t->fstype);
      }
  }
  notify (health, probe->mountpoint);
  probe_finished (health, probe);
  name_thread ("refmount-idle");
}

/* ---- the scheduler ------------------------------------------------------ */

/* health->mutex held.  Returns TRUE when a probe was started. */
static gboolean
start_probe (RefmountHealth         *health,
             RefmountConfig         *config,
             Tracked                *t,
             const RefmountFsConfig *fs,
             gint64                  now)
{
  const char      *root = NULL;
  g_autofree char *relative = NULL;
  Probe           *probe;
  guint            timeout = fs != NULL ? fs->health_timeout_sec : REFMOUNT_HEALTH_DEFAULT_TIMEOUT_SEC;

  if (!refmount_validate_mountpoint (config, t->mountpoint, &root, &relative, NULL))
    return FALSE; /* no longer beneath a mount root after a Reload */
  probe = g_new0 (Probe, 1);
  g_atomic_ref_count_init (&probe->ref);
  probe->health = health;
  probe->mountpoint = g_strdup (t->mountpoint);
  probe->mounted_at = t->mounted_at;
  probe->root = g_strdup (root);
  probe->relative = g_steal_pointer (&relative);
  probe->timeout_sec = timeout;
  probe->deadline = now + (gint64) timeout * G_USEC_PER_SEC;
  probe->health_on = fs != NULL && fs->health_interval_sec > 0;
  t->probe = probe;
  health->running++;
  /* The pool's task holds the only reference that outlives a stuck
   * probe's Tracked; the Tracked's pointer is a borrowed identity. */
  g_thread_pool_push (health->probes, probe_ref (probe), NULL);
  probe_unref (probe);
  return TRUE;
}

/* health->mutex held.  A probe past its deadline: the mount is
 * unresponsive; the thread is left to the kernel and counted as stuck. */
static void
expire_probe (RefmountHealth *health,
              Tracked        *t,
              GPtrArray      *to_notify)
{
  Probe              *probe = t->probe;
  RefmountHealthState before = t->state;

  probe->stuck = TRUE;
  health->running--;
  health->stuck++;
  if (!probe->health_on)
    return;
  t->state = REFMOUNT_HEALTH_UNRESPONSIVE;
  t->checked_at = g_get_real_time ();
  g_free (t->message);
  t->message = g_strdup_printf ("statfs did not answer within HealthTimeoutSec=%u", probe->timeout_sec);
  log_transition (t, before);
  g_ptr_array_add (to_notify, g_strdup (t->mountpoint));
}

static gpointer
scheduler_thread (gpointer data)
{
  RefmountHealth *health = data;

  g_mutex_lock (&health->mutex);
  while (!health->quit)
    {
      g_autoptr (RefmountConfig) config = NULL;
      g_autoptr (GPtrArray)      to_notify = g_ptr_array_new_with_free_func (g_free);
      gint64                     now = g_get_monotonic_time ();
      gint64                     wake = now + 5 * G_USEC_PER_SEC;
      GHashTableIter             iter;
      gpointer                   value;

      g_mutex_unlock (&health->mutex);
      config = health->get_config (health->user_data);
      g_mutex_lock (&health->mutex);

      g_hash_table_iter_init (&iter, health->tracked);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        {
          Tracked                *t = value;
          const RefmountFsConfig *fs = refmount_config_get_fs (config, t->fstype);
          guint                   interval;

          if (t->probe != NULL)
            {
              if (!t->probe->stuck && now >= t->probe->deadline)
                expire_probe (health, t, to_notify);
              else if (!t->probe->stuck)
                wake = MIN (wake, t->probe->deadline);
              /* A stuck probe is never repeated: the mount stays
               * unresponsive until it returns. */
              continue;
            }
          if (!t->mounted)
            continue;
          if (now < t->next_due)
            {
              wake = MIN (wake, t->next_due);
              continue;
            }
          /* Probes in flight may all get stuck: counting them keeps the
           * stuck threads at the cap, never above it. */
          if (health->stuck + health->running >= REFMOUNT_HEALTH_MAX_STUCK)
            {
              if (health->stuck >= REFMOUNT_HEALTH_MAX_STUCK && !health->cap_logged)
                {
                  g_warning ("%u health probe threads are stuck in the kernel (the cap): no new probe "
                             "starts until one of them returns",
                             health->stuck);
                  health->cap_logged = TRUE;
                }
              continue;
            }
          if (health->running >= REFMOUNT_HEALTH_MAX_RUNNING)
            continue; /* woken when one finishes */
          if (fs != NULL && fs->health_interval_sec > 0)
            interval = fs->health_interval_sec;
          else
            interval = REFMOUNT_HEALTH_USAGE_INTERVAL_SEC;
          if (start_probe (health, config, t, fs, now))
            wake = MIN (wake, t->probe->deadline);
          t->next_due = now + (gint64) interval * G_USEC_PER_SEC;
          wake = MIN (wake, t->next_due);
        }
      if (health->stuck < REFMOUNT_HEALTH_MAX_STUCK)
        health->cap_logged = FALSE;

      if (to_notify->len > 0)
        {
          g_mutex_unlock (&health->mutex);
          for (guint i = 0; i < to_notify->len; i++)
            notify (health, g_ptr_array_index (to_notify, i));
          g_mutex_lock (&health->mutex);
          continue;
        }
      if (!health->quit)
        g_cond_wait_until (&health->cond, &health->mutex, wake);
    }
  g_mutex_unlock (&health->mutex);
  return NULL;
}

/* ---- life cycle --------------------------------------------------------- */

RefmountHealth *
refmount_health_new (RefmountHealthConfigFunc  get_config,
                     RefmountHealthChangedFunc changed,
                     gpointer                  user_data)
{
  RefmountHealth *health = g_new0 (RefmountHealth, 1);

  g_mutex_init (&health->mutex);
  g_mutex_init (&health->notify_mutex);
  g_cond_init (&health->cond);
  health->tracked = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, tracked_free);
  health->get_config = get_config;
  health->changed = changed;
  health->user_data = user_data;
  health->probe = kernel_probe;
  health->probes = g_thread_pool_new (probe_thread, health, -1, FALSE, NULL);
  return health;
}

void
refmount_health_set_table (RefmountHealth *health,
                           RefmountTable  *table)
{
  health->table = table;
}

void
refmount_health_set_probe (RefmountHealth         *health,
                           RefmountHealthProbeFunc probe,
                           gpointer                user_data)
{
  health->probe = probe;
  health->probe_data = user_data;
}

void
refmount_health_start (RefmountHealth *health)
{
  health->scheduler = g_thread_new ("refmount-health", scheduler_thread, health);
}

guint
refmount_health_get_stuck (RefmountHealth *health)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&health->mutex);

  return health->stuck;
}

void
refmount_health_free (RefmountHealth *health)
{
  if (health == NULL)
    return;
  g_mutex_lock (&health->mutex);
  health->quit = TRUE;
  g_cond_signal (&health->cond);
  g_mutex_unlock (&health->mutex);
  if (health->scheduler != NULL)
    g_thread_join (health->scheduler);
  /* Probe threads hold the health object; only a test frees it, after
   * its probes have returned. */
  for (;;)
    {
      g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&health->mutex);

      if (health->stuck == 0 && health->running == 0)
        break;
      g_clear_pointer (&locker, g_mutex_locker_free);
      g_usleep (1000);
    }
  g_thread_pool_free (health->probes, FALSE, TRUE);
  g_hash_table_unref (health->tracked);
  g_mutex_clear (&health->mutex);
  g_mutex_clear (&health->notify_mutex);
  g_cond_clear (&health->cond);
  g_free (health);
}
