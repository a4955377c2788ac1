/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <gio/gio.h>
#include <gio/gunixmounts.h>

#include "refmount-admission.h"
#include "refmount-config.h"
#include "refmount-generated.h"
#include "refmount-health.h"
#include "refmount-log.h"
#include "refmount-manager.h"
#include "refmount-runner.h"
#include "refmount-table.h"

G_BEGIN_DECLS

typedef struct
{
  GMainLoop           *loop;
  GDBusConnection     *connection;
  RefmountDBusManager *manager;
  RefmountBackend     *backend;
  RefmountTable       *table;
  RefmountHealth      *health; /* Health and Usage of the mount objects */
  /* Run work that holds its mountpoint's entry (or needs none) and blocks
   * at most on a state write or a runner deadline: nothing on a worker
   * waits for polkit, for another call or for the bus. */
  GThreadPool *workers;

  /* Lock order (doc/design.md "Lock order"): config_lock, reload_lock,
   * roe_lock and callers_lock are leaves, each held only to read or swap
   * its own fields: never two of them at once, never across a call into
   * the table (whose locks all come before them), polkit or a D-Bus round
   * trip. */
  GMutex          config_lock;
  RefmountConfig *config;
  char           *config_path;
  gboolean        config_missing_ok;

  /* Reading the configuration checks the mount roots with lstat(2), which
   * waits on the filesystem a root lies on: it runs on @runner under a
   * deadline.  One read at a time (reload_lock, a leaf like the others):
   * a read stuck in the kernel keeps @reload_busy until it returns, and
   * later reloads wait for it up to their own deadline instead of each
   * leaving another thread stuck beside it. */
  RefmountRunner *runner;
  GMutex          reload_lock;
  GCond           reload_cond;
  gboolean        reload_busy;

  GMutex      roe_lock;
  GHashTable *roe_names; /* bus names holding release-on-exit attachments */

  /* Unique bus name -> Caller.  The bus fixes a connection's credentials
   * when it connects, so they can be asked once per connection. */
  GMutex      callers_lock;
  GHashTable *callers;

  /* The request pipeline (refmount-daemon-pipeline.c). */
  RefmountAdmission *admission;
  GMutex             calls_lock;
  GHashTable        *calls;                  /* unique name -> GPtrArray of its Calls in flight */
  GHashTable        *denials;                /* uid -> DenialWindow (main thread) */
  guint              denials_flush;          /* main-loop source, or 0 */
  gint               refusals_flush_pending; /* atomic */
  /* g_get_monotonic_time and REFMOUNT_DENIALS_WINDOW_SEC; a test drives
   * the clock and shortens the window (whose timer counts real seconds). */
  gint64 (*denials_clock) (void);
  guint denials_window_sec;

  GUnixMountMonitor *mount_monitor;
  gint               recheck_pending; /* atomic */

  gint  inflight;      /* atomic */
  gint  shutting_down; /* atomic */
  guint name_id;
  guint name_owner_sub;
  int   exit_code;
} Daemon;

typedef struct
{
  guint32 uid;
  gint64  pid;
} Caller;

RefmountConfig *refmount_daemon_get_config (Daemon *daemon);
char           *refmount_daemon_object_path (const char *mountpoint);

/* refmount-daemon-methods.c: replies, callers' credentials, Reload. */
void     refmount_daemon_send_error (Daemon       *daemon,
                                     GDBusMessage *call,
                                     const GError *error);
void     refmount_daemon_send_value (Daemon       *daemon,
                                     GDBusMessage *call,
                                     GVariant     *value);
void     refmount_daemon_call_done (Daemon *daemon);
void     refmount_daemon_forget_caller (Daemon     *daemon,
                                        const char *bus_name);
gboolean refmount_daemon_lookup_caller (Daemon     *daemon,
                                        const char *bus_name,
                                        Caller     *caller);
/* Ask the bus for @bus_name's credentials; @callback runs in the main
 * context, then refmount_daemon_resolve_caller_finish(). */
void     refmount_daemon_resolve_caller (Daemon             *daemon,
                                         const char         *bus_name,
                                         GAsyncReadyCallback callback,
                                         gpointer            user_data);
gboolean refmount_daemon_resolve_caller_finish (Daemon       *daemon,
                                                GAsyncResult *result,
                                                const char   *bus_name,
                                                Caller       *caller,
                                                GError      **error);
gboolean refmount_daemon_name_alive (const char *bus_name,
                                     gpointer    user_data);
gboolean refmount_daemon_reload (Daemon  *daemon,
                                 GError **error);
void     refmount_daemon_publish_config (Daemon         *daemon,
                                         RefmountConfig *config);

/* refmount-daemon-pipeline.c: admission, authorization, the entry
 * queues and the workers (doc/request-pipeline.md). */
void refmount_daemon_pipeline_init (Daemon *daemon);
/* From the filter (GDBus's thread): takes @message's reference. */
void refmount_daemon_pipeline_submit (Daemon               *daemon,
                                      const RefmountMethod *method,
                                      GDBusMessage         *message);
void refmount_daemon_pipeline_worker (gpointer data,
                                      gpointer user_data);
/* Main thread: @bus_name left the bus. */
void refmount_daemon_pipeline_name_gone (Daemon     *daemon,
                                         const char *bus_name);
void refmount_daemon_pipeline_recheck (Daemon *daemon);
/* Main thread, at SIGTERM: pending authorizations end in ShuttingDown. */
void refmount_daemon_pipeline_shutdown (Daemon *daemon);

/* refmount-daemon-denials.c: refusals in the log, rate-limited.  Per
 * uid, the first BURST denials of a window in full, the rest as a count;
 * at most UIDS_MAX uids are counted at once. */
#define REFMOUNT_DENIALS_WINDOW_SEC 10
#define REFMOUNT_DENIALS_BURST      5
#define REFMOUNT_DENIALS_UIDS_MAX   4096
void refmount_daemon_denials_init (Daemon *daemon);
/* Main thread. */
void refmount_daemon_log_denied (Daemon                   *daemon,
                                 const char               *method,
                                 const RefmountLogContext *ctx,
                                 const GError             *error);
/* Any thread: a call refused by admission (answered LimitExceeded, or
 * dropped when it expects no reply). */
void refmount_daemon_note_refusal (Daemon  *daemon,
                                   gboolean dropped);

/* refmount-daemon-objects.c: the mount objects and the ObjectManager. */
gboolean refmount_daemon_objects_export (Daemon  *daemon,
                                         GError **error);
void     refmount_daemon_objects_changed (const char *mountpoint,
                                          GVariant   *old_record,
                                          GVariant   *new_record,
                                          gpointer    user_data);

/* refmount-daemon-objects.c: the health module's change callback. */
void refmount_daemon_objects_health_changed (const char *mountpoint,
                                             GVariant   *changed,
                                             gpointer    user_data);

G_END_DECLS
