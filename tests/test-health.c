/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The health module's state machine (helper/refmount-health.c) with a
 * fake probe the test controls: ok, errors, a probe that hangs until
 * released.  The scheduler and probe threads are the real ones.
 */
#include "config.h"

#include <errno.h>

#include "refmount-health.h"
#include "refmount-names.h"
#include "refmount-state.h"

/* Functional bound for every wait on the daemon's threads. */
#define WAIT_USEC (10 * G_USEC_PER_SEC)

typedef struct
{
  GMutex          lock;
  GCond           cond;
  gboolean        hang; /* probes block while set */
  int             err;  /* what a probe returns */
  guint           calls;
  guint           changes;
  RefmountConfig *config;
  RefmountHealth *health;
} Fixture;

static int
fake_probe (const char *root,
            const char *relative,
            guint64     usage[3],
            char      **message,
            gpointer    user_data)
{
  Fixture *f = user_data;
  int      err;

  g_mutex_lock (&f->lock);
  f->calls++;
  while (f->hang)
    g_cond_wait (&f->cond, &f->lock);
  err = f->err;
  g_mutex_unlock (&f->lock);
  if (err != 0)
    {
      *message = g_strdup_printf ("fake statfs: %s", g_strerror (err));
      return err;
    }
  usage[0] = 4096000;
  usage[1] = 2457600;
  usage[2] = 2048000;
  return 0;
}

static RefmountConfig *
get_config (gpointer user_data)
{
  Fixture *f = user_data;

  return refmount_config_ref (f->config);
}

static void
changed (const char *mountpoint,
         GVariant   *props,
         gpointer    user_data)
{
  Fixture *f = user_data;

  g_variant_unref (g_variant_ref_sink (props));
  g_mutex_lock (&f->lock);
  f->changes++;
  g_cond_broadcast (&f->cond);
  g_mutex_unlock (&f->lock);
}

/* The probe stores its result before it hands the change to the callback,
 * so a reader can see the new Health a moment before the signal goes out. */
static void
wait_changes (Fixture *f,
              guint    at_least)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_USEC;

  g_mutex_lock (&f->lock);
  while (f->changes < at_least)
    if (!g_cond_wait_until (&f->cond, &f->lock, deadline))
      break;
  g_assert_cmpuint (f->changes, >=, at_least);
  g_mutex_unlock (&f->lock);
}

static void
setup (Fixture      *f,
       gconstpointer data)
{
  static const char  conf[] = "[Daemon]\n"
                              "MountRoots=/run/refmount/mounts;\n"
                              "[Filesystem nfs]\n"
                              "HealthIntervalSec=1\n"
                              "HealthTimeoutSec=1\n";
  g_autoptr (GError) error = NULL;

  g_mutex_init (&f->lock);
  g_cond_init (&f->cond);
  f->config = refmount_config_load_from_data (conf, sizeof conf - 1, "test.conf", &error);
  g_assert_no_error (error);
  f->health = refmount_health_new (get_config, changed, f);
  refmount_health_set_probe (f->health, fake_probe, f);
  refmount_health_start (f->health);
}

static void
set_mode (Fixture *f,
          gboolean hang,
          int      err)
{
  g_mutex_lock (&f->lock);
  f->hang = hang;
  f->err = err;
  g_cond_broadcast (&f->cond);
  g_mutex_unlock (&f->lock);
}

static guint
calls (Fixture *f)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&f->lock);

  return f->calls;
}

static void
teardown (Fixture      *f,
          gconstpointer data)
{
  set_mode (f, FALSE, 0);
  refmount_health_free (f->health);
  refmount_config_unref (f->config);
  g_mutex_clear (&f->lock);
  g_cond_clear (&f->cond);
}

static void
track (Fixture    *f,
       const char *mountpoint,
       const char *fstype)
{
  g_autoptr (RefmountRecord) record = refmount_record_new ();
  g_autoptr (GVariant)       variant = NULL;

  record->mountpoint = g_strdup (mountpoint);
  record->source = g_strdup ("server:/export");
  record->fstype = g_strdup (fstype);
  record->state = REFMOUNT_MOUNT_STATE_MOUNTED;
  record->mounted_at = 1;
  variant = g_variant_ref_sink (refmount_record_to_variant (record));
  refmount_health_track (f->health, mountpoint, variant);
}

static char *
health_of (Fixture    *f,
           const char *mountpoint,
           char      **out_message)
{
  g_autoptr (GVariant) props = g_variant_ref_sink (refmount_health_properties (f->health, mountpoint));
  char                *health = NULL;

  g_assert_true (g_variant_lookup (props, "Health", "s", &health));
  if (out_message != NULL)
    g_assert_true (g_variant_lookup (props, "HealthMessage", "s", out_message));
  return health;
}

static gboolean
health_is (Fixture    *f,
           const char *mountpoint,
           const char *expected)
{
  g_autofree char *health = health_of (f, mountpoint, NULL);

  return g_str_equal (health, expected);
}

static void
wait_health (Fixture    *f,
             const char *mountpoint,
             const char *expected)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_USEC;

  while (!health_is (f, mountpoint, expected))
    {
      g_autofree char *now = health_of (f, mountpoint, NULL);

      if (g_get_monotonic_time () > deadline)
        g_error ("%s: Health still '%s', expected '%s'", mountpoint, now, expected);
      g_usleep (10 * 1000);
    }
}

/* A returning probe publishes its result before it leaves the stuck
 * count: wait for the count, not just for the result. */
static void
wait_stuck (Fixture *f,
            guint    expected)
{
  gint64 deadline = g_get_monotonic_time () + 4 * WAIT_USEC;

  while (refmount_health_get_stuck (f->health) != expected)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (10 * 1000);
    }
}

#define MP "/run/refmount/mounts/a"

static void
test_ok_and_usage (Fixture      *f,
                   gconstpointer data)
{
  g_autoptr (GVariant) props = NULL;
  guint64              size, free_bytes, avail, checked;
  const char          *message;

  g_assert_true (health_is (f, MP, "unknown"));
  track (f, MP, "nfs");
  wait_health (f, MP, "ok");
  props = g_variant_ref_sink (refmount_health_properties (f->health, MP));
  g_assert_true (g_variant_lookup (props, "Usage", "(ttt)", &size, &free_bytes, &avail));
  g_assert_cmpuint (size, ==, 4096000);
  g_assert_cmpuint (free_bytes, ==, 2457600);
  g_assert_cmpuint (avail, ==, 2048000);
  g_assert_true (g_variant_lookup (props, "HealthCheckedAt", "t", &checked));
  g_assert_cmpuint (checked, >, 0);
  g_assert_true (g_variant_lookup (props, "HealthMessage", "&s", &message));
  g_assert_cmpstr (message, ==, "");
  wait_changes (f, 1);

  /* Gone: the properties of an untracked mount. */
  refmount_health_track (f->health, MP, NULL);
  g_assert_true (health_is (f, MP, "unknown"));
}

static void
test_stuck_not_repeated (Fixture      *f,
                         gconstpointer data)
{
  g_autofree char *message = NULL;
  g_autofree char *health = NULL;
  gint64           until;

  set_mode (f, TRUE, 0);
  track (f, MP, "nfs");
  wait_health (f, MP, "unresponsive");
  health = health_of (f, MP, &message);
  g_assert_true (strstr (message, "HealthTimeoutSec=1") != NULL);
  g_assert_cmpuint (refmount_health_get_stuck (f->health), ==, 1);
  /* Three intervals later the stuck probe is still the only one. */
  until = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < until)
    g_usleep (50 * 1000);
  g_assert_cmpuint (calls (f), ==, 1);
  g_assert_true (health_is (f, MP, "unresponsive"));

  /* It returns: its answer counts, and probing goes on. */
  set_mode (f, FALSE, 0);
  wait_health (f, MP, "ok");
  wait_stuck (f, 0);
}

static void
test_errors (Fixture      *f,
             gconstpointer data)
{
  g_autofree char *message = NULL;
  g_autofree char *health = NULL;

  set_mode (f, FALSE, ESTALE);
  track (f, MP, "nfs");
  wait_health (f, MP, "stale-handle");
  /* A FUSE mount whose server is gone answers ENOTCONN: also stale. */
  set_mode (f, FALSE, 0);
  wait_health (f, MP, "ok");
  set_mode (f, FALSE, ENOTCONN);
  wait_health (f, MP, "stale-handle");
  /* Anything else is not known to be either. */
  set_mode (f, FALSE, EIO);
  wait_health (f, MP, "unknown");
  health = health_of (f, MP, &message);
  g_assert_cmpstr (message, ==, "fake statfs: Input/output error");
}

static void
test_stuck_cap (Fixture      *f,
                gconstpointer data)
{
  guint  n = REFMOUNT_HEALTH_MAX_STUCK + 8;
  gint64 deadline = g_get_monotonic_time () + 4 * WAIT_USEC;
  gint64 until;

  set_mode (f, TRUE, 0);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *mp = g_strdup_printf ("/run/refmount/mounts/m%u", i);
      track (f, mp, "nfs");
    }
  while (refmount_health_get_stuck (f->health) < REFMOUNT_HEALTH_MAX_STUCK)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (10 * 1000);
    }
  /* At the cap, no probe starts, however long we wait. */
  until = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < until)
    g_usleep (50 * 1000);
  g_assert_cmpuint (refmount_health_get_stuck (f->health), ==, REFMOUNT_HEALTH_MAX_STUCK);
  g_assert_cmpuint (calls (f), ==, REFMOUNT_HEALTH_MAX_STUCK);

  /* Released: every mount is probed and ok. */
  set_mode (f, FALSE, 0);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *mp = g_strdup_printf ("/run/refmount/mounts/m%u", i);
      wait_health (f, mp, "ok");
    }
  wait_stuck (f, 0);
}

static void
test_health_off (Fixture      *f,
                 gconstpointer data)
{
  g_autoptr (GVariant) props = NULL;
  const char          *message = NULL;
  guint64              size = 0;
  gint64               deadline = g_get_monotonic_time () + WAIT_USEC;

  /* tmpfs: HealthIntervalSec=0 by default.  Usage still comes. */
  track (f, MP, "tmpfs");
  for (;;)
    {
      g_clear_pointer (&props, g_variant_unref);
      props = g_variant_ref_sink (refmount_health_properties (f->health, MP));
      g_assert_true (g_variant_lookup (props, "Usage", "(ttt)", &size, NULL, NULL));
      if (size != 0)
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (10 * 1000);
    }
  g_assert_cmpuint (size, ==, 4096000);
  g_assert_true (health_is (f, MP, "unknown"));
  g_assert_true (g_variant_lookup (props, "HealthMessage", "&s", &message));
  g_assert_true (strstr (message, "HealthIntervalSec=0") != NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* The unresponsive and stale-handle audit events are warnings. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  g_test_add ("/health/ok-and-usage", Fixture, NULL, setup, test_ok_and_usage, teardown);
  g_test_add ("/health/stuck-probe-not-repeated", Fixture, NULL, setup, test_stuck_not_repeated, teardown);
  g_test_add ("/health/errors", Fixture, NULL, setup, test_errors, teardown);
  g_test_add ("/health/stuck-cap", Fixture, NULL, setup, test_stuck_cap, teardown);
  g_test_add ("/health/off", Fixture, NULL, setup, test_health_off, teardown);
  return g_test_run ();
}
