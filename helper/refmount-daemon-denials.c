/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "refmount-daemon-private.h"
#include "refmount-log.h"

/*
 * Refusals in the log, rate-limited so that a flood cannot fill the
 * journal (nor the disk) through refmountd: per uid, the first BURST
 * denials of a window are logged in full (an admin's audit trail of
 * ordinary use keeps every one) and the rest as one count at the end of
 * the window; admission refusals (LimitExceeded, dropped no-reply calls)
 * as one line per window.  Nothing is dropped from the counts.  The
 * figures are REFMOUNT_DENIALS_* in refmount-daemon-private.h.
 */

typedef struct
{
  gint64 start;
  guint  logged;
  guint  suppressed;
} DenialWindow;

static gint64
window_usec (Daemon *daemon)
{
  return (gint64) daemon->denials_window_sec * G_USEC_PER_SEC;
}

static void
log_suppressed (Daemon *daemon,
                guint32 uid,
                guint   count)
{
  RefmountLogContext ctx = { NULL, NULL, NULL, NULL, uid, -1 };

  refmount_log_event (G_LOG_LEVEL_WARNING, "denied", &ctx,
                      "%u more calls of uid %u denied in the last %u s (logged as this count)", count, uid,
                      daemon->denials_window_sec);
}

static gboolean
flush_cb (gpointer data)
{
  Daemon        *daemon = data;
  gint64         now = daemon->denials_clock ();
  GHashTableIter iter;
  gpointer       key, value;
  guint64        refused, dropped;

  g_hash_table_iter_init (&iter, daemon->denials);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      DenialWindow *window = value;

      if (now - window->start < window_usec (daemon))
        continue;
      if (window->suppressed > 0)
        log_suppressed (daemon, GPOINTER_TO_UINT (key), window->suppressed);
      g_hash_table_iter_remove (&iter);
    }

  /* Counted on GDBus's thread (the filter), reported from here. */
  g_atomic_int_set (&daemon->refusals_flush_pending, 0);
  refmount_admission_take_refused (daemon->admission, &refused, &dropped);
  if (refused > 0 || dropped > 0)
    refmount_log_event (G_LOG_LEVEL_WARNING, "limit-exceeded", NULL,
                        "Over the in-flight call limits in the last %u s: %" G_GUINT64_FORMAT
                        " calls refused with LimitExceeded, %" G_GUINT64_FORMAT
                        " no-reply calls dropped (%" G_GUINT64_FORMAT " dropped since start)",
                        daemon->denials_window_sec, refused, dropped, refmount_admission_get_dropped_total (daemon->admission));

  if (g_hash_table_size (daemon->denials) > 0 || refused > 0 || dropped > 0)
    return G_SOURCE_CONTINUE;
  daemon->denials_flush = 0;
  return G_SOURCE_REMOVE;
}

/* Main thread. */
static void
schedule_flush (Daemon *daemon)
{
  if (daemon->denials_flush == 0)
    daemon->denials_flush = g_timeout_add_seconds (daemon->denials_window_sec, flush_cb, daemon);
}

static gboolean
schedule_flush_cb (gpointer data)
{
  schedule_flush (data);
  return G_SOURCE_REMOVE;
}

void
refmount_daemon_denials_init (Daemon *daemon)
{
  daemon->denials = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  daemon->denials_clock = g_get_monotonic_time;
  daemon->denials_window_sec = REFMOUNT_DENIALS_WINDOW_SEC;
}

void
refmount_daemon_log_denied (Daemon                   *daemon,
                            const char               *method,
                            const RefmountLogContext *ctx,
                            const GError             *error)
{
  gpointer      key = GUINT_TO_POINTER ((guint32) ctx->uid);
  DenialWindow *window = g_hash_table_lookup (daemon->denials, key);
  gint64        now = daemon->denials_clock ();

  if (window != NULL && now - window->start < window_usec (daemon))
    {
      if (window->logged >= REFMOUNT_DENIALS_BURST)
        {
          window->suppressed++;
          return;
        }
      window->logged++;
      refmount_log_event (G_LOG_LEVEL_WARNING, "denied", ctx, "%s denied: %s", method, error->message);
      return;
    }
  if (window == NULL)
    {
      /* Bounded: many uids at once are reported early, not forgotten. */
      if (g_hash_table_size (daemon->denials) >= REFMOUNT_DENIALS_UIDS_MAX)
        {
          GHashTableIter iter;
          gpointer       k, v;

          g_hash_table_iter_init (&iter, daemon->denials);
          while (g_hash_table_iter_next (&iter, &k, &v))
            if (((DenialWindow *) v)->suppressed > 0)
              log_suppressed (daemon, GPOINTER_TO_UINT (k), ((DenialWindow *) v)->suppressed);
          g_hash_table_remove_all (daemon->denials);
        }
      window = g_new0 (DenialWindow, 1);
      g_hash_table_insert (daemon->denials, key, window);
    }
  else if (window->suppressed > 0)
    log_suppressed (daemon, (guint32) ctx->uid, window->suppressed);
  window->start = now;
  window->logged = 1;
  window->suppressed = 0;
  schedule_flush (daemon);
  refmount_log_event (G_LOG_LEVEL_WARNING, "denied", ctx, "%s denied: %s", method, error->message);
}

void
refmount_daemon_note_refusal (Daemon  *daemon,
                              gboolean dropped)
{
  if (refmount_admission_note_refused (daemon->admission, dropped) &&
      !g_atomic_int_exchange (&daemon->refusals_flush_pending, 1))
    g_main_context_invoke (NULL, schedule_flush_cb, daemon);
}
