/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RefmountClient: the connection to refmountd and its ObjectManager, the
 * object's construction (sync and async), properties and signals.  How
 * the daemon's objects are followed and turned into those signals is in
 * refmount-client-follow.c, the method calls in refmount-client-calls.c,
 * the Manager's properties in refmount-client-manager.c.
 */
#include "config.h"

#include "refmount-client-private.h"
#include "refmount-enum-types.h"
#include "refmount-error.h"
#include "refmount-generated.h"
#include "refmount-mount-private.h"
#include "refmount-names.h"

#define PEER_INTERFACE "org.freedesktop.DBus.Peer"

/**
 * RefmountClient:
 *
 * A client of refmountd, the mount manager on the system bus.
 *
 * It follows the daemon's mounts (refmount_client_get_mounts() and the
 * signals) and calls its methods: refmount_client_mount_async(),
 * refmount_client_unmount_async(), refmount_client_get_mount_async() and
 * refmount_client_reload_async(), each with a `_sync` variant.  Signals
 * are emitted in the thread-default main context of the thread that
 * created the client; the client may be created before refmountd runs
 * (#RefmountClient::daemon-appeared tells when it arrives).
 *
 * Errors of the daemon are #REFMOUNT_ERROR codes.
 */

static void refmount_client_initable_iface_init (GInitableIface *iface);
static void refmount_client_async_initable_iface_init (GAsyncInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (RefmountClient, refmount_client, G_TYPE_OBJECT, G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, refmount_client_initable_iface_init) G_IMPLEMENT_INTERFACE (G_TYPE_ASYNC_INITABLE, refmount_client_async_initable_iface_init))

enum
{
  PROP_0,
  PROP_CONNECTION,
  PROP_FLAGS,
  PROP_INTERACTIVE,
  PROP_TIMEOUT,
  PROP_DAEMON_RUNNING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ---- construction ------------------------------------------------------ */

static gboolean
refmount_client_initable_init (GInitable    *initable,
                               GCancellable *cancellable,
                               GError      **error)
{
  RefmountClient     *client = REFMOUNT_CLIENT (initable);
  GDBusObjectManager *manager;

  if (client->connection == NULL)
    {
      /* DBUS_SYSTEM_BUS_ADDRESS overrides the address (sandboxes, tests). */
      client->connection = g_bus_get_sync (G_BUS_TYPE_SYSTEM, cancellable, error);
      if (client->connection == NULL)
        return FALSE;
    }
  if (client->flags & REFMOUNT_CLIENT_FLAGS_REQUIRE_DAEMON)
    {
      g_autoptr (GVariant) reply = NULL;

      reply = g_dbus_connection_call_sync (client->connection, REFMOUNT_BUS_NAME, REFMOUNT_MANAGER_PATH,
                                           PEER_INTERFACE, "Ping", NULL, G_VARIANT_TYPE_UNIT,
                                           G_DBUS_CALL_FLAGS_NONE, client->timeout, cancellable, error);
      if (reply == NULL)
        {
          refmount_client_strip_error (error != NULL ? *error : NULL);
          return FALSE;
        }
    }
  if (client->flags & REFMOUNT_CLIENT_FLAGS_DO_NOT_FOLLOW)
    return TRUE;
  manager = refmount_dbus_object_manager_client_new_sync (client->connection,
                                                          G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_NONE,
                                                          REFMOUNT_BUS_NAME, REFMOUNT_OBJECT_MANAGER_PATH,
                                                          cancellable, error);
  if (manager == NULL)
    return FALSE;
  refmount_client_follow (client, manager);
  return TRUE;
}

static void
refmount_client_initable_iface_init (GInitableIface *iface)
{
  iface->init = refmount_client_initable_init;
}

static void
on_manager_ready (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (GTask)   task = user_data;
  GError             *error = NULL;
  GDBusObjectManager *manager = refmount_dbus_object_manager_client_new_finish (result, &error);

  if (manager == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  refmount_client_follow (g_task_get_source_object (task), manager);
  g_task_return_boolean (task, TRUE);
}

static void
start_manager (GTask *task)
{
  RefmountClient *client = g_task_get_source_object (task);

  if (client->flags & REFMOUNT_CLIENT_FLAGS_DO_NOT_FOLLOW)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  refmount_dbus_object_manager_client_new (client->connection, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_NONE,
                                           REFMOUNT_BUS_NAME, REFMOUNT_OBJECT_MANAGER_PATH,
                                           g_task_get_cancellable (task), on_manager_ready, task);
}

static void
on_ping_reply (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GTask               *task = user_data;
  GError              *error = NULL;
  g_autoptr (GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);

  if (reply == NULL)
    {
      refmount_client_strip_error (error);
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  start_manager (task);
}

/* REFMOUNT_CLIENT_FLAGS_REQUIRE_DAEMON: a Ping starts refmountd through
 * D-Bus activation, and tells "not running" apart from "no mounts"
 * (which the ObjectManager alone would not). */
static void
start_client (GTask *task)
{
  RefmountClient *client = g_task_get_source_object (task);

  if (!(client->flags & REFMOUNT_CLIENT_FLAGS_REQUIRE_DAEMON))
    {
      start_manager (task);
      return;
    }
  g_dbus_connection_call (client->connection, REFMOUNT_BUS_NAME, REFMOUNT_MANAGER_PATH, PEER_INTERFACE, "Ping",
                          NULL, G_VARIANT_TYPE_UNIT, G_DBUS_CALL_FLAGS_NONE, client->timeout,
                          g_task_get_cancellable (task), on_ping_reply, task);
}

static void
on_bus_ready (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask          *task = user_data;
  RefmountClient *client = g_task_get_source_object (task);
  GError         *error = NULL;

  client->connection = g_bus_get_finish (result, &error);
  if (client->connection == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  start_client (task);
}

static void
refmount_client_init_async (GAsyncInitable     *initable,
                            int                 io_priority,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  RefmountClient *client = REFMOUNT_CLIENT (initable);
  GTask          *task = g_task_new (initable, cancellable, callback, user_data);

  g_task_set_source_tag (task, refmount_client_init_async);
  g_task_set_priority (task, io_priority);
  if (client->connection == NULL)
    g_bus_get (G_BUS_TYPE_SYSTEM, cancellable, on_bus_ready, task);
  else
    start_client (task);
}

static gboolean
refmount_client_init_finish (GAsyncInitable *initable,
                             GAsyncResult   *result,
                             GError        **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
refmount_client_async_initable_iface_init (GAsyncInitableIface *iface)
{
  iface->init_async = refmount_client_init_async;
  iface->init_finish = refmount_client_init_finish;
}

static void
refmount_client_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  RefmountClient *client = REFMOUNT_CLIENT (object);

  switch (prop_id)
    {
    case PROP_CONNECTION:
      g_value_set_object (value, client->connection);
      break;
    case PROP_FLAGS:
      g_value_set_flags (value, client->flags);
      break;
    case PROP_INTERACTIVE:
      g_value_set_boolean (value, client->interactive);
      break;
    case PROP_TIMEOUT:
      g_value_set_int (value, client->timeout);
      break;
    case PROP_DAEMON_RUNNING:
      g_value_set_boolean (value, client->daemon_present);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
refmount_client_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  RefmountClient *client = REFMOUNT_CLIENT (object);

  switch (prop_id)
    {
    case PROP_CONNECTION:
      client->connection = g_value_dup_object (value);
      break;
    case PROP_FLAGS:
      client->flags = g_value_get_flags (value);
      break;
    case PROP_INTERACTIVE:
      refmount_client_set_interactive (client, g_value_get_boolean (value));
      break;
    case PROP_TIMEOUT:
      refmount_client_set_timeout (client, g_value_get_int (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
refmount_client_dispose (GObject *object)
{
  RefmountClient *client = REFMOUNT_CLIENT (object);

  if (client->manager != NULL)
    g_signal_handlers_disconnect_by_data (client->manager, client);
  g_clear_object (&client->manager);
  g_hash_table_remove_all (client->mounts);
  G_OBJECT_CLASS (refmount_client_parent_class)->dispose (object);
}

static void
refmount_client_finalize (GObject *object)
{
  RefmountClient *client = REFMOUNT_CLIENT (object);

  g_clear_object (&client->connection);
  g_hash_table_unref (client->mounts);
  G_OBJECT_CLASS (refmount_client_parent_class)->finalize (object);
}

static void
refmount_client_class_init (RefmountClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = refmount_client_get_property;
  object_class->set_property = refmount_client_set_property;
  object_class->dispose = refmount_client_dispose;
  object_class->finalize = refmount_client_finalize;

  /* Registers the D-Bus error names before any reply can carry one. */
  (void) REFMOUNT_ERROR;

  /**
   * RefmountClient:connection:
   *
   * The bus connection; %NULL at construction means the system bus.
   */
  properties[PROP_CONNECTION] =
    g_param_spec_object ("connection", NULL, NULL, G_TYPE_DBUS_CONNECTION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * RefmountClient:flags:
   *
   * How the client was constructed (#RefmountClientFlags).
   */
  properties[PROP_FLAGS] =
    g_param_spec_flags ("flags", NULL, NULL, REFMOUNT_TYPE_CLIENT_FLAGS, REFMOUNT_CLIENT_FLAGS_NONE,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * RefmountClient:interactive:
   *
   * Whether calls allow interactive authorization: polkit may then ask
   * for a password through an authentication agent, and calls wait for
   * it (no timeout).  Without it, a challenge is
   * %REFMOUNT_ERROR_NOT_AUTHORIZED.
   */
  properties[PROP_INTERACTIVE] =
    g_param_spec_boolean ("interactive", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * RefmountClient:timeout:
   *
   * How long a call waits for the daemon's answer, in milliseconds; -1
   * (the default) is GDBus' default (25 s), %G_MAXINT waits forever.
   * Calls made while #RefmountClient:interactive is set always wait
   * forever.  Set at construction, it also bounds
   * %REFMOUNT_CLIENT_FLAGS_REQUIRE_DAEMON's check.  A call that runs out
   * of time fails with %G_IO_ERROR_TIMED_OUT.
   */
  properties[PROP_TIMEOUT] =
    g_param_spec_int ("timeout", NULL, NULL, -1, G_MAXINT, -1,
                      G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * RefmountClient:daemon-running:
   *
   * Whether refmountd currently owns its bus name.
   */
  properties[PROP_DAEMON_RUNNING] =
    g_param_spec_boolean ("daemon-running", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  refmount_client_daemon_running_pspec = properties[PROP_DAEMON_RUNNING];

  /**
   * RefmountClient::mount-added:
   * @client: the client
   * @mount: the new mount
   *
   * A managed mountpoint appeared.  #RefmountClient::attachment-added
   * follows for each of its attachments.
   */
  refmount_client_signals[REFMOUNT_CLIENT_SIGNAL_MOUNT_ADDED] = g_signal_new ("mount-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                                                              NULL, NULL, G_TYPE_NONE, 1, REFMOUNT_TYPE_MOUNT);
  /**
   * RefmountClient::mount-removed:
   * @client: the client
   * @mount: the mount, with the values it had last
   *
   * A managed mountpoint went away (after
   * #RefmountClient::attachment-removed for each attachment it still had).
   * Not emitted while the daemon is merely restarting.
   */
  refmount_client_signals[REFMOUNT_CLIENT_SIGNAL_MOUNT_REMOVED] = g_signal_new ("mount-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                                                                NULL, NULL, NULL, G_TYPE_NONE, 1, REFMOUNT_TYPE_MOUNT);
  /**
   * RefmountClient::mount-changed:
   * @client: the client
   * @mount: the mount, with its new values
   *
   * A property of @mount changed (after the attachment signals that
   * change caused, if any).
   */
  refmount_client_signals[REFMOUNT_CLIENT_SIGNAL_MOUNT_CHANGED] = g_signal_new ("mount-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                                                                NULL, NULL, NULL, G_TYPE_NONE, 1, REFMOUNT_TYPE_MOUNT);
  /**
   * RefmountClient::attachment-added:
   * @client: the client
   * @mount: the mount
   * @attachment: the new attachment
   *
   * An attachment was added to @mount.
   */
  refmount_client_signals[REFMOUNT_CLIENT_SIGNAL_ATTACHMENT_ADDED] =
    g_signal_new ("attachment-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, REFMOUNT_TYPE_MOUNT, REFMOUNT_TYPE_ATTACHMENT);
  /**
   * RefmountClient::attachment-removed:
   * @client: the client
   * @mount: the mount
   * @attachment: the attachment that went away
   *
   * An attachment was released (or the mount went away with it).
   */
  refmount_client_signals[REFMOUNT_CLIENT_SIGNAL_ATTACHMENT_REMOVED] =
    g_signal_new ("attachment-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, REFMOUNT_TYPE_MOUNT, REFMOUNT_TYPE_ATTACHMENT);
  /**
   * RefmountClient::daemon-appeared:
   * @client: the client
   *
   * refmountd took its bus name (started or restarted).  Its mounts have
   * been reported by then: the ones that are new as
   * #RefmountClient::mount-added, those that changed while it was away as
   * #RefmountClient::mount-changed, those that did not come back as
   * #RefmountClient::mount-removed.
   */
  refmount_client_signals[REFMOUNT_CLIENT_SIGNAL_DAEMON_APPEARED] = g_signal_new ("daemon-appeared", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                                                                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /**
   * RefmountClient::daemon-vanished:
   * @client: the client
   *
   * refmountd left the bus.  Its mounts stay mounted, and the client keeps
   * reporting them as last seen until the daemon comes back.
   */
  refmount_client_signals[REFMOUNT_CLIENT_SIGNAL_DAEMON_VANISHED] = g_signal_new ("daemon-vanished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                                                                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
refmount_client_init (RefmountClient *client)
{
  client->timeout = -1;
  client->mounts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}

/* ---- public API -------------------------------------------------------- */

/**
 * refmount_client_new_async:
 * @connection: (nullable): a bus connection, or %NULL for the system bus
 * @flags: #RefmountClientFlags
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the client is ready
 * @user_data: data for @callback
 *
 * Creates a client asynchronously: connects to the bus if needed and
 * (unless @flags say otherwise) loads the daemon's objects, starting
 * refmountd through D-Bus activation where it is activatable.  A daemon
 * that is not running is no error: the client waits for it.  Finish with
 * refmount_client_new_finish().
 */
void
refmount_client_new_async (GDBusConnection    *connection,
                           RefmountClientFlags flags,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  g_return_if_fail (connection == NULL || G_IS_DBUS_CONNECTION (connection));
  g_async_initable_new_async (REFMOUNT_TYPE_CLIENT, G_PRIORITY_DEFAULT, cancellable, callback, user_data,
                              "connection", connection, "flags", flags, NULL);
}

/**
 * refmount_client_new_finish:
 * @result: the #GAsyncResult given to the callback
 * @error: return location for an error
 *
 * Returns: (transfer full): the client, or %NULL with @error set
 */
RefmountClient *
refmount_client_new_finish (GAsyncResult *result,
                            GError      **error)
{
  g_autoptr (GObject) source = g_async_result_get_source_object (result);
  GObject            *client = g_async_initable_new_finish (G_ASYNC_INITABLE (source), result, error);

  return client != NULL ? REFMOUNT_CLIENT (client) : NULL;
}

/**
 * refmount_client_new_sync:
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for an error
 *
 * Creates a client on the system bus that follows the daemon's mounts,
 * blocking until it is ready (see refmount_client_new_async()).
 *
 * Returns: (transfer full): the client, or %NULL with @error set
 */
RefmountClient *
refmount_client_new_sync (GCancellable *cancellable,
                          GError      **error)
{
  return refmount_client_new_full_sync (NULL, REFMOUNT_CLIENT_FLAGS_NONE, cancellable, error);
}

/**
 * refmount_client_new_full_sync:
 * @connection: (nullable): a bus connection, or %NULL for the system bus
 * @flags: #RefmountClientFlags
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for an error
 *
 * Creates a client on @connection, blocking until it is ready.
 *
 * Returns: (transfer full): the client, or %NULL with @error set
 */
RefmountClient *
refmount_client_new_full_sync (GDBusConnection    *connection,
                               RefmountClientFlags flags,
                               GCancellable       *cancellable,
                               GError            **error)
{
  g_return_val_if_fail (connection == NULL || G_IS_DBUS_CONNECTION (connection), NULL);
  return g_initable_new (REFMOUNT_TYPE_CLIENT, cancellable, error, "connection", connection, "flags", flags,
                         NULL);
}

/**
 * refmount_client_get_connection:
 * @client: a #RefmountClient
 *
 * Returns: (transfer none): the bus connection
 */
GDBusConnection *
refmount_client_get_connection (RefmountClient *client)
{
  g_return_val_if_fail (REFMOUNT_IS_CLIENT (client), NULL);
  return client->connection;
}

/**
 * refmount_client_get_interactive:
 * @client: a #RefmountClient
 *
 * Returns: the #RefmountClient:interactive property
 */
gboolean
refmount_client_get_interactive (RefmountClient *client)
{
  g_return_val_if_fail (REFMOUNT_IS_CLIENT (client), FALSE);
  return client->interactive;
}

/**
 * refmount_client_set_interactive:
 * @client: a #RefmountClient
 * @interactive: whether calls may ask for authentication
 *
 * Sets #RefmountClient:interactive for the calls started from now on.
 */
void
refmount_client_set_interactive (RefmountClient *client,
                                 gboolean        interactive)
{
  g_return_if_fail (REFMOUNT_IS_CLIENT (client));
  interactive = !!interactive;
  if (client->interactive == interactive)
    return;
  client->interactive = interactive;
  g_object_notify_by_pspec (G_OBJECT (client), properties[PROP_INTERACTIVE]);
}

/**
 * refmount_client_get_timeout:
 * @client: a #RefmountClient
 *
 * Returns: the #RefmountClient:timeout property, in milliseconds
 */
int
refmount_client_get_timeout (RefmountClient *client)
{
  g_return_val_if_fail (REFMOUNT_IS_CLIENT (client), -1);
  return client->timeout;
}

/**
 * refmount_client_set_timeout:
 * @client: a #RefmountClient
 * @timeout_msec: milliseconds, -1 for GDBus' default, %G_MAXINT for none
 *
 * Sets #RefmountClient:timeout for the calls started from now on.
 */
void
refmount_client_set_timeout (RefmountClient *client,
                             int             timeout_msec)
{
  g_return_if_fail (REFMOUNT_IS_CLIENT (client));
  g_return_if_fail (timeout_msec >= -1);
  if (client->timeout == timeout_msec)
    return;
  client->timeout = timeout_msec;
  g_object_notify_by_pspec (G_OBJECT (client), properties[PROP_TIMEOUT]);
}

/**
 * refmount_client_get_daemon_running:
 * @client: a #RefmountClient
 *
 * Returns: whether refmountd owns its bus name now
 */
gboolean
refmount_client_get_daemon_running (RefmountClient *client)
{
  g_return_val_if_fail (REFMOUNT_IS_CLIENT (client), FALSE);
  return client->daemon_present;
}

GDBusCallFlags
refmount_client_call_flags (RefmountClient *client)
{
  return client->interactive ? G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION : G_DBUS_CALL_FLAGS_NONE;
}

int
refmount_client_call_timeout (RefmountClient *client)
{
  /* A person typing a password is not a hung daemon. */
  return client->interactive ? G_MAXINT : client->timeout;
}

void
refmount_client_strip_error (GError *error)
{
  /* An error GDBus maps (REFMOUNT_ERROR, G_DBUS_ERROR, ...) keeps its name
   * in its domain and code; an unmapped one (G_IO_ERROR_DBUS_ERROR) only
   * in the message's "GDBus.Error:NAME: " prefix, which then stays so
   * that g_dbus_error_get_remote_error() can read it. */
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_DBUS_ERROR))
    g_dbus_error_strip_remote_error (error);
}

GDBusObjectManager *
refmount_client_peek_object_manager (RefmountClient *client)
{
  return client->manager;
}

static int
compare_mountpoints (gconstpointer a,
                     gconstpointer b)
{
  return g_strcmp0 (refmount_mount_get_mountpoint ((RefmountMount *) a),
                    refmount_mount_get_mountpoint ((RefmountMount *) b));
}

/**
 * refmount_client_get_mounts:
 * @client: a #RefmountClient
 *
 * The managed mountpoints as last reported, sorted by mountpoint.  While
 * the daemon is away these are the ones it had.
 *
 * Returns: (transfer full) (element-type RefmountMount): the mounts
 */
GList *
refmount_client_get_mounts (RefmountClient *client)
{
  GList *mounts;

  g_return_val_if_fail (REFMOUNT_IS_CLIENT (client), NULL);
  mounts = g_hash_table_get_values (client->mounts);
  g_list_foreach (mounts, (GFunc) (void (*) (void)) g_object_ref, NULL);
  return g_list_sort (mounts, compare_mountpoints);
}

/**
 * refmount_client_lookup_mount:
 * @client: a #RefmountClient
 * @mountpoint: a mountpoint
 *
 * Looks @mountpoint up among the mounts the client knows, without a call
 * (refmount_client_get_mount_async() asks the daemon).
 *
 * Returns: (transfer full) (nullable): the mount, or %NULL
 */
RefmountMount *
refmount_client_lookup_mount (RefmountClient *client,
                              const char     *mountpoint)
{
  GHashTableIter iter;
  gpointer       value;

  g_return_val_if_fail (REFMOUNT_IS_CLIENT (client), NULL);
  g_return_val_if_fail (mountpoint != NULL, NULL);
  g_hash_table_iter_init (&iter, client->mounts);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (g_strcmp0 (refmount_mount_get_mountpoint (value), mountpoint) == 0)
      return g_object_ref (value);
  return NULL;
}
