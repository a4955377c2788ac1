/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <gio/gio.h>
#include <gio/gunixmounts.h>

#include "refmount-config.h"
#include "refmount-generated.h"
#include "refmount-health.h"
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
  GThreadPool         *workers;

  /* Lock order (doc/design.md "Lock order"): config_lock, roe_lock and
   * callers_lock are leaves, each held only to read or swap its own
   * fields: never two of them at once, never across a call into the table
   * (whose locks all come before them), polkit or a D-Bus round trip. */
  GMutex          config_lock;
  RefmountConfig *config;
  char           *config_path;
  gboolean        config_missing_ok;

  GMutex      roe_lock;
  GHashTable *roe_names; /* bus names holding release-on-exit attachments */

  /* Unique bus name -> Caller.  The bus fixes a connection's credentials
   * when it connects, so they can be asked once per connection. */
  GMutex      callers_lock;
  GHashTable *callers;

  GUnixMountMonitor *mount_monitor;
  gint               recheck_pending; /* atomic */

  gint  inflight;      /* atomic */
  gint  shutting_down; /* atomic */
  guint name_id;
  guint name_owner_sub;
  int   exit_code;
} Daemon;

typedef enum
{
  JOB_MOUNT,
  JOB_UNMOUNT,
  JOB_GET_MOUNT,
  JOB_RELOAD,
  JOB_RELEASE,
  JOB_RECHECK, /* the kernel's mount table changed */
  JOB_RECOVER,
} JobKind;

typedef struct
{
  JobKind       kind;
  GDBusMessage *call; /* the method call; NULL for JOB_RELEASE, JOB_RECHECK */
  /* Set when the call came through the skeleton rather than the filter
   * (refmount-daemon.c); the reply goes out from @call either way. */
  GDBusMethodInvocation *invocation;
  char                  *bus_name; /* JOB_RELEASE */
} Job;

typedef struct
{
  guint32 uid;
  gint64  pid;
} Caller;

RefmountConfig *refmount_daemon_get_config (Daemon *daemon);
char           *refmount_daemon_object_path (const char *mountpoint);

/* refmount-daemon-methods.c: the bodies of the D-Bus methods, run on the
 * worker pool. */
void     refmount_daemon_send_error (Daemon       *daemon,
                                     GDBusMessage *call,
                                     const GError *error);
void     refmount_daemon_worker (gpointer data,
                                 gpointer user_data);
void     refmount_daemon_call_done (Daemon *daemon);
void     refmount_daemon_forget_caller (Daemon     *daemon,
                                        const char *bus_name);
gboolean refmount_daemon_name_alive (const char *bus_name,
                                     gpointer    user_data);
gboolean refmount_daemon_reload (Daemon  *daemon,
                                 GError **error);
void     refmount_daemon_publish_config (Daemon         *daemon,
                                         RefmountConfig *config);

/* refmount-daemon-objects.c: the mount objects and the ObjectManager. */
gboolean refmount_daemon_objects_export (Daemon  *daemon,
                                         GError **error);
void     refmount_daemon_objects_changed (const char *mountpoint,
                                          GVariant   *old_record,
                                          GVariant   *new_record,
                                          gpointer    user_data);

/* refmount-daemon-recover.c: Manager.Recover, on a worker, with the
 * configuration in force. */
GVariant *refmount_daemon_do_recover (Daemon         *daemon,
                                      RefmountConfig *config,
                                      GDBusMessage   *call,
                                      const Caller   *caller,
                                      GError        **error);

/* refmount-daemon-objects.c: the health module's change callback. */
void refmount_daemon_objects_health_changed (const char *mountpoint,
                                             GVariant   *changed,
                                             gpointer    user_data);

G_END_DECLS
