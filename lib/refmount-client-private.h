/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared between the client object (refmount-client.c), how it follows
 * the daemon (refmount-client-follow.c) and its method calls
 * (refmount-client-calls.c, refmount-client-manager.c). */
#pragma once

#include "refmount-client.h"

G_BEGIN_DECLS

struct _RefmountClient
{
  GObject             parent_instance;
  GDBusConnection    *connection;
  GDBusObjectManager *manager;
  GHashTable         *mounts; /* object path → RefmountMount */
  RefmountClientFlags flags;
  gboolean            interactive;
  int                 timeout; /* ms, -1 for GDBus' default */
  gboolean            daemon_present;
};

typedef enum
{
  REFMOUNT_CLIENT_SIGNAL_MOUNT_ADDED,
  REFMOUNT_CLIENT_SIGNAL_MOUNT_REMOVED,
  REFMOUNT_CLIENT_SIGNAL_MOUNT_CHANGED,
  REFMOUNT_CLIENT_SIGNAL_ATTACHMENT_ADDED,
  REFMOUNT_CLIENT_SIGNAL_ATTACHMENT_REMOVED,
  REFMOUNT_CLIENT_SIGNAL_DAEMON_APPEARED,
  REFMOUNT_CLIENT_SIGNAL_DAEMON_VANISHED,
  REFMOUNT_CLIENT_N_SIGNALS
} RefmountClientSignal;

/* Made by the class (refmount-client.c), emitted by the code that
 * follows the daemon (refmount-client-follow.c), which holds them so that
 * it need not call back up into the class. */
extern guint       refmount_client_signals[REFMOUNT_CLIENT_N_SIGNALS];
extern GParamSpec *refmount_client_daemon_running_pspec;

/* The ObjectManager client exists: take its objects as the initial state
 * (no signals) and follow it from now on (refmount-client-follow.c). */
void refmount_client_follow (RefmountClient     *client,
                             GDBusObjectManager *manager);

/* The cached mount at OBJECT_PATH, or NULL (transfer none). */
RefmountMount *refmount_client_peek_mount_at (RefmountClient *client,
                                              const char     *object_path);

/* The ObjectManager client, or NULL (DO_NOT_FOLLOW) (transfer none). */
GDBusObjectManager *refmount_client_peek_object_manager (RefmountClient *client);

/* The flags and timeout every Manager call of CLIENT is made with. */
GDBusCallFlags refmount_client_call_flags (RefmountClient *client);
int            refmount_client_call_timeout (RefmountClient *client);

/* Removes the remote-error prefix from ERROR's message where GDBus mapped
 * the D-Bus error name to a domain and code (NULL is fine). */
void refmount_client_strip_error (GError *error);

G_END_DECLS
