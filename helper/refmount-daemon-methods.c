/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <sys/stat.h>

#include "refmount-auth.h"
#include "refmount-daemon.h"
#include "refmount-daemon-private.h"
#include "refmount-error.h"
#include "refmount-generated.h"
#include "refmount-log.h"
#include "refmount-names.h"
#include "refmount-table.h"
#include "refmount-validate.h"

/* ---- replies ------------------------------------------------------------ */

/* The configuration in effect (a reference: Reload may replace it). */
RefmountConfig *
refmount_daemon_get_config (Daemon *daemon)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&daemon->config_lock);

  return refmount_config_ref (daemon->config);
}

void
refmount_daemon_call_done (Daemon *daemon)
{
  if (g_atomic_int_dec_and_test (&daemon->inflight) && g_atomic_int_get (&daemon->shutting_down))
    g_main_loop_quit (daemon->loop);
}

/* Any thread: GDBus queues messages to its I/O thread in call order. */
static void
send_message (Daemon       *daemon,
              GDBusMessage *call,
              GDBusMessage *message)
{
  g_autoptr (GError) error = NULL;

  if (g_dbus_message_get_flags (call) & G_DBUS_MESSAGE_FLAGS_NO_REPLY_EXPECTED)
    return;
  if (!g_dbus_connection_send_message (daemon->connection, message, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL, &error))
    g_debug ("Could not reply to %s: %s", g_dbus_message_get_sender (call), error->message);
}

/* The error's D-Bus name from the registered domain, as
 * g_dbus_method_invocation_return_gerror() would send it. */
void
refmount_daemon_send_error (Daemon       *daemon,
                            GDBusMessage *call,
                            const GError *error)
{
  g_autofree char         *name = g_dbus_error_encode_gerror (error);
  g_autoptr (GDBusMessage) message = g_dbus_message_new_method_error_literal (call, name, error->message);

  send_message (daemon, call, message);
}

/* Takes @value (floating or not).  The change signals a call caused were
 * queued by the table before, so the reply still follows them. */
void
refmount_daemon_send_value (Daemon       *daemon,
                            GDBusMessage *call,
                            GVariant     *value)
{
  g_autoptr (GDBusMessage) message = g_dbus_message_new_method_reply (call);
  g_autoptr (GVariant)     owned = g_variant_ref_sink (value);

  g_dbus_message_set_body (message, owned);
  send_message (daemon, call, message);
}

/* ---- callers ------------------------------------------------------------ */

/* Entries are dropped when their connection goes (NameOwnerChanged); a
 * call that races with that can re-add one, so the cache is also bounded. */
#define CALLERS_MAX 4096

void
refmount_daemon_forget_caller (Daemon     *daemon,
                               const char *bus_name)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&daemon->callers_lock);

  g_hash_table_remove (daemon->callers, bus_name);
}

gboolean
refmount_daemon_lookup_caller (Daemon     *daemon,
                               const char *bus_name,
                               Caller     *caller)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&daemon->callers_lock);
  Caller                  *cached = g_hash_table_lookup (daemon->callers, bus_name);

  if (cached == NULL)
    return FALSE;
  *caller = *cached;
  return TRUE;
}

void
refmount_daemon_resolve_caller (Daemon             *daemon,
                                const char         *bus_name,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  g_dbus_connection_call (daemon->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                          "org.freedesktop.DBus", "GetConnectionCredentials", g_variant_new ("(s)", bus_name),
                          G_VARIANT_TYPE ("(a{sv})"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, callback, user_data);
}

gboolean
refmount_daemon_resolve_caller_finish (Daemon       *daemon,
                                       GAsyncResult *result,
                                       const char   *bus_name,
                                       Caller       *caller,
                                       GError      **error)
{
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) creds = NULL;
  guint32              value;

  reply = g_dbus_connection_call_finish (daemon->connection, result, error);
  if (reply == NULL)
    return FALSE;
  creds = g_variant_get_child_value (reply, 0);
  if (!g_variant_lookup (creds, "UnixUserID", "u", &value))
    {
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_AUTHORIZED,
                   "Cannot determine the uid of caller %s", bus_name);
      return FALSE;
    }
  caller->uid = value;
  caller->pid = g_variant_lookup (creds, "ProcessID", "u", &value) ? (gint64) value : -1;

  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&daemon->callers_lock);

    if (g_hash_table_size (daemon->callers) >= CALLERS_MAX)
      g_hash_table_remove_all (daemon->callers);
    g_hash_table_insert (daemon->callers, g_strdup (bus_name), g_memdup2 (caller, sizeof *caller));
  }
  return TRUE;
}

static gboolean
name_has_owner (GDBusConnection *connection,
                const char      *name)
{
  g_autoptr (GVariant) reply = NULL;
  gboolean             has_owner = FALSE;

  reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner", g_variant_new ("(s)", name),
                                       G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  /* If the bus cannot answer, keep the attachment: never drop on doubt. */
  if (reply == NULL)
    return TRUE;
  g_variant_get (reply, "(b)", &has_owner);
  return has_owner;
}

/* Blocking (a bus round trip): at start-up, and from workers. */
gboolean
refmount_daemon_name_alive (const char *bus_name,
                            gpointer    user_data)
{
  Daemon *daemon = user_data;

  return bus_name != NULL && bus_name[0] != '\0' && name_has_owner (daemon->connection, bus_name);
}

/* ---- Reload ---------------------------------------------------------------- */

/* FilesystemTypes: what a caller may ask of each allowed type, so that
 * clients (refmountctl's completion and its hint after a refused option)
 * need not guess.  ForcedOptions stay out: they may name credential files. */
static GVariant *
filesystem_types_variant (RefmountConfig *config)
{
  GVariantBuilder types;

  g_variant_builder_init (&types, G_VARIANT_TYPE ("a{sa{sv}}"));
  for (gsize i = 0; config->allowed_filesystems != NULL && config->allowed_filesystems[i] != NULL;
       i++)
    {
      const char              *fstype = config->allowed_filesystems[i];
      const RefmountFsConfig  *fs = refmount_config_get_fs (config, fstype);
      static const char *const none[] = { NULL };
      GVariantBuilder          entry;

      g_variant_builder_init (&entry, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&entry, "{sv}", REFMOUNT_CONFIG_KEY_ALLOWED_OPTS,
                             g_variant_new_strv (fs != NULL && fs->allowed_options != NULL
                                                   ? (const char *const *) fs->allowed_options
                                                   : none,
                                                 -1));
      g_variant_builder_add (&entry, "{sv}", REFMOUNT_CONFIG_KEY_USE_HELPER,
                             g_variant_new_boolean (fs != NULL && fs->use_helper));
      g_variant_builder_add (&types, "{sa{sv}}", fstype, &entry);
    }
  return g_variant_builder_end (&types);
}

void
refmount_daemon_publish_config (Daemon         *daemon,
                                RefmountConfig *config)
{
  refmount_dbus_manager_set_filesystem_types (daemon->manager, filesystem_types_variant (config));
  refmount_dbus_manager_set_mount_roots (daemon->manager, (const char *const *) config->mount_roots);
  refmount_dbus_manager_set_supported_filesystems (daemon->manager,
                                                   (const char *const *) config->allowed_filesystems);
  /* The skeleton would emit PropertiesChanged from an idle of its own,
   * after a Reload reply queued behind this call: a client would then
   * read the old values in its reply callback.  Emit it now. */
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (daemon->manager));
}

static gboolean
publish_config_cb (gpointer data)
{
  Daemon                    *daemon = data;
  g_autoptr (RefmountConfig) config = refmount_daemon_get_config (daemon);

  refmount_daemon_publish_config (daemon, config);
  return G_SOURCE_REMOVE;
}

/* One read of the configuration on the runner: shared by the waiter and
 * the runner thread, whichever lets go last frees it. */
typedef struct
{
  Daemon         *daemon;
  char           *path;
  gboolean        missing_ok;
  RefmountConfig *config; /* the result, when read and checked */
} ConfigRead;

static void
config_read_clear (gpointer data)
{
  ConfigRead *read = data;

  g_free (read->path);
  g_clear_pointer (&read->config, refmount_config_unref);
}

static void
config_read_release (gpointer data)
{
  g_atomic_rc_box_release_full (data, config_read_clear);
}

static gboolean
config_read_func (gpointer data,
                  GError **error)
{
  ConfigRead                *read = data;
  g_autoptr (RefmountConfig) config = refmount_config_load (read->path, read->missing_ok, error);

  if (config == NULL || !refmount_config_check_roots (config, 0, TRUE, error))
    return FALSE;
  read->config = g_steal_pointer (&config);
  return TRUE;
}

static void
reload_done (Daemon *daemon)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&daemon->reload_lock);

  daemon->reload_busy = FALSE;
  g_cond_broadcast (&daemon->reload_cond);
}

/* The caller was told Timeout: what was read is not applied (a Reload
 * that failed must not take effect later, behind the admin's back). */
static void
config_read_late (gpointer      data,
                  gboolean      ok,
                  const GError *error)
{
  ConfigRead *read = data;

  g_message ("Reading the configuration finished after its reload timed out%s%s; not applied",
             ok ? "" : ": ", ok ? "" : error->message);
  reload_done (read->daemon);
}

/* Read and check the configuration within @deadline: NULL with Timeout
 * when an earlier read is still stuck, or this one does not finish.  On
 * success the read stays busy until the caller has swapped the new
 * configuration in (reload_done()), so two reloads swap in the order
 * they read. */
static RefmountConfig *
read_config (Daemon  *daemon,
             gint64   deadline,
             guint    timeout_sec,
             GError **error)
{
  ConfigRead *read;
  gboolean    ok = FALSE;

  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&daemon->reload_lock);

    while (daemon->reload_busy)
      if (!g_cond_wait_until (&daemon->reload_cond, &daemon->reload_lock, deadline) && daemon->reload_busy)
        {
          g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_TIMEOUT,
                       "an earlier reload is still reading the configuration (a filesystem does not "
                       "answer) after MountTimeoutSec=%u",
                       timeout_sec);
          return NULL;
        }
    daemon->reload_busy = TRUE;
  }

  read = g_atomic_rc_box_new0 (ConfigRead);
  read->daemon = daemon;
  read->path = g_strdup (daemon->config_path);
  read->missing_ok = daemon->config_missing_ok;
  g_atomic_rc_box_acquire (read); /* ours, beside the runner's */
  if (!refmount_runner_run (daemon->runner, config_read_func, config_read_late, read, config_read_release,
                            deadline, &ok, error))
    {
      config_read_release (read);
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_TIMEOUT,
                   "reading it and checking its mount roots did not finish within MountTimeoutSec=%u "
                   "(a filesystem does not answer)",
                   timeout_sec);
      return NULL;
    }
  {
    RefmountConfig *config = ok ? g_steal_pointer (&read->config) : NULL;

    config_read_release (read);
    if (config == NULL)
      reload_done (daemon);
    return config;
  }
}

gboolean
refmount_daemon_reload (Daemon  *daemon,
                        GError **error)
{
  g_autoptr (RefmountConfig) config = NULL;
  g_autoptr (RefmountConfig) old = refmount_daemon_get_config (daemon);
  g_autoptr (GError)         local_error = NULL;
  gint64                     deadline = g_get_monotonic_time () + (gint64) old->mount_timeout_sec * G_USEC_PER_SEC;

  config = read_config (daemon, deadline, old->mount_timeout_sec, &local_error);
  if (config == NULL)
    {
      refmount_log_event (G_LOG_LEVEL_WARNING, "reload-failed", NULL,
                          "Configuration not reloaded, keeping the old one: %s", local_error->message);
      g_set_error (error, REFMOUNT_ERROR,
                   g_error_matches (local_error, REFMOUNT_ERROR, REFMOUNT_ERROR_TIMEOUT) ? REFMOUNT_ERROR_TIMEOUT
                                                                                         : REFMOUNT_ERROR_FAILED,
                   "Configuration file '%s' not reloaded: %s", daemon->config_path, local_error->message);
      return FALSE;
    }

  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&daemon->config_lock);
    g_clear_pointer (&daemon->config, refmount_config_unref);
    daemon->config = g_steal_pointer (&config);
  }
  reload_done (daemon);
  g_main_context_invoke (NULL, publish_config_cb, daemon);
  refmount_log_event (G_LOG_LEVEL_MESSAGE, "reloaded", NULL, "Configuration reloaded from %s",
                      daemon->config_path);
  return TRUE;
}
