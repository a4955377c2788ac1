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
#include "refmount-owner.h"
#include "refmount-show.h"
#include "refmount-table.h"
#include "refmount-validate.h"

/* ---- replies ------------------------------------------------------------ */

typedef struct
{
  Daemon                *daemon;
  GDBusMessage          *call;
  GDBusMethodInvocation *invocation; /* dropped unanswered: @call is answered */
  GVariant              *value;      /* NULL with error */
  GError                *error;
} Reply;

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

static gboolean
send_reply (gpointer data)
{
  Reply *reply = data;

  if (reply->error != NULL)
    refmount_daemon_send_error (reply->daemon, reply->call, reply->error);
  else
    {
      g_autoptr (GDBusMessage) message = g_dbus_message_new_method_reply (reply->call);

      g_dbus_message_set_body (message, g_steal_pointer (&reply->value));
      send_message (reply->daemon, reply->call, message);
    }
  refmount_daemon_call_done (reply->daemon);
  return G_SOURCE_REMOVE;
}

static void
reply_free (gpointer data)
{
  Reply *reply = data;

  if (reply->value != NULL)
    g_variant_unref (g_variant_ref_sink (reply->value));
  g_clear_error (&reply->error);
  g_clear_object (&reply->call);
  g_clear_object (&reply->invocation);
  g_free (reply);
}

/* Mount, Unmount and GetMount reply from the worker: GDBus sends from any
 * thread, and the change signals these calls cause were already queued
 * by the table, so the reply still follows them.  A Reload's reply goes
 * through the main loop, behind the Manager's PropertiesChanged that the
 * skeleton emits from there.  Takes the job's call and invocation. */
static void
reply (Daemon   *daemon,
       Job      *job,
       GVariant *value,
       GError   *error)
{
  Reply *r = g_new0 (Reply, 1);

  r->daemon = daemon;
  r->call = g_steal_pointer (&job->call);
  r->invocation = g_steal_pointer (&job->invocation);
  r->value = value;
  r->error = error;
  if (job->kind != JOB_RELOAD)
    {
      send_reply (r);
      reply_free (r);
      return;
    }
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, send_reply, r, reply_free);
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

static gboolean
get_caller (Daemon       *daemon,
            GDBusMessage *call,
            Caller       *caller,
            GError      **error)
{
  const char          *sender = g_dbus_message_get_sender (call);
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) creds = NULL;
  guint32              value;

  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&daemon->callers_lock);
    Caller                  *cached = g_hash_table_lookup (daemon->callers, sender);

    if (cached != NULL)
      {
        *caller = *cached;
        return TRUE;
      }
  }

  reply = g_dbus_connection_call_sync (daemon->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "GetConnectionCredentials",
                                       g_variant_new ("(s)", sender),
                                       G_VARIANT_TYPE ("(a{sv})"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
  if (reply == NULL)
    return FALSE;
  creds = g_variant_get_child_value (reply, 0);
  if (!g_variant_lookup (creds, "UnixUserID", "u", &value))
    {
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_AUTHORIZED,
                   "Cannot determine the uid of caller %s", sender);
      return FALSE;
    }
  caller->uid = value;
  caller->pid = g_variant_lookup (creds, "ProcessID", "u", &value) ? (gint64) value : -1;

  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&daemon->callers_lock);

    if (g_hash_table_size (daemon->callers) >= CALLERS_MAX)
      g_hash_table_remove_all (daemon->callers);
    g_hash_table_insert (daemon->callers, g_strdup (sender), g_memdup2 (caller, sizeof *caller));
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

gboolean
refmount_daemon_name_alive (const char *bus_name,
                            gpointer    user_data)
{
  Daemon *daemon = user_data;

  return bus_name != NULL && bus_name[0] != '\0' && name_has_owner (daemon->connection, bus_name);
}

/* ---- method bodies (worker threads) ------------------------------------ */

static void
log_denied (const char   *method,
            const Caller *caller,
            const char   *mountpoint,
            const char   *source,
            const char   *fstype,
            const char   *attachment,
            const GError *error)
{
  RefmountLogContext ctx = { mountpoint, source, fstype, attachment, caller->uid, caller->pid };

  refmount_log_event (G_LOG_LEVEL_WARNING, "denied", &ctx, "%s denied: %s", method, error->message);
}

static GVariant *
do_mount (Daemon       *daemon,
          GDBusMessage *call,
          const Caller *caller,
          GError      **error)
{
  g_autoptr (RefmountConfig) config = refmount_daemon_get_config (daemon);
  GVariant                  *params = g_dbus_message_get_body (call);
  const char                *fstype, *source, *mountpoint_in, *attachment;
  g_autofree const char    **options = NULL;
  g_autoptr (GVariant)       flags = NULL;
  g_autofree char           *mountpoint = NULL;
  g_auto (GStrv) owned_options = NULL;
  g_autofree char      *show_options = NULL;
  RefmountMountFlags    mount_flags = { 0 };
  gboolean              release_on_exit;
  RefmountAttachRequest request = { 0 };
  RefmountAuthDetails   details = { 0 };

  g_variant_get (params, "(&s&s&s^a&s&s@a{sv})", &fstype, &source, &mountpoint_in, &options,
                 &attachment, &flags);

  if (!refmount_validate_fstype (config, fstype, error) ||
      !refmount_validate_source (fstype, source, error) ||
      !refmount_validate_options (config, fstype, (const char *const *) options, error) ||
      !refmount_validate_attachment (attachment, error) ||
      !refmount_validate_mount_flags (flags, &mount_flags, error))
    return NULL;
  release_on_exit = mount_flags.release_on_exit;
  if (mount_flags.owner)
    {
      guint32 gid;

      if (!refmount_owner_lookup_gid (caller->uid, &gid, error))
        return NULL;
      owned_options = refmount_owner_append_options ((const char *const *) options, fstype,
                                                     caller->uid, gid, error);
      if (owned_options == NULL)
        return NULL;
    }

  mountpoint = mountpoint_in[0] == '\0' ? refmount_derive_mountpoint (config, fstype, source)
                                        : g_strdup (mountpoint_in);
  if (!refmount_validate_mountpoint (config, mountpoint, NULL, NULL, error))
    return NULL;

  details.fstype = fstype;
  details.source = source;
  details.mountpoint = mountpoint;
  details.attachment = attachment;
  details.options = (const char *const *) options;
  details.owner = mount_flags.owner ? "true" : "false";
  if (!refmount_auth_check (call, caller->uid, REFMOUNT_ACTION_MOUNT, &details, error))
    {
      log_denied ("Mount", caller, mountpoint, source, fstype, attachment, *error);
      return NULL;
    }

  request.fstype = fstype;
  request.source = source;
  request.mountpoint = mountpoint;
  /* The ownership options take part in the conflict check like any
   * other: another uid's Mount there (or one without the flag) has
   * other options, so an owned mount is never shared. */
  request.options = owned_options != NULL ? (const char *const *) owned_options
                                          : (const char *const *) options;
  if (mount_flags.show)
    show_options = refmount_show_user_options (source);
  request.user_options = show_options;
  request.attachment = attachment;
  request.uid = caller->uid;
  request.pid = caller->pid;
  request.release_on_exit = release_on_exit;
  request.bus_name = g_dbus_message_get_sender (call);

  if (release_on_exit)
    {
      g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&daemon->roe_lock);
      g_hash_table_add (daemon->roe_names, g_strdup (request.bus_name));
    }

  if (!refmount_table_attach (daemon->table, config, &request, error))
    return NULL;

  /* The client may have gone before we recorded the attachment: its
   * NameOwnerChanged then came too early to release it. */
  if (release_on_exit && !name_has_owner (daemon->connection, request.bus_name))
    refmount_table_release_bus_name (daemon->table, config, request.bus_name);

  {
    g_autofree char *path = refmount_daemon_object_path (mountpoint);
    return g_variant_new ("(os)", path, mountpoint);
  }
}

static GVariant *
do_unmount (Daemon       *daemon,
            GDBusMessage *call,
            const Caller *caller,
            GError      **error)
{
  g_autoptr (RefmountConfig) config = refmount_daemon_get_config (daemon);
  GVariant                  *params = g_dbus_message_get_body (call);
  const char                *mountpoint, *attachment;
  g_autoptr (GVariant)       flags = NULL;
  g_autoptr (RefmountRecord) record = NULL;
  g_autoptr (GError)         local_error = NULL;
  RefmountDetachRequest      request = { 0 };
  RefmountAuthDetails        details = { 0 };
  gboolean                   force = FALSE, lazy = FALSE, unmounted = FALSE;
  guint32                    owner = 0;

  g_variant_get (params, "(&s&s@a{sv})", &mountpoint, &attachment, &flags);
  if (!refmount_validate_mountpoint (config, mountpoint, NULL, NULL, error) ||
      !refmount_validate_attachment (attachment, error) ||
      !refmount_validate_unmount_flags (flags, &force, &lazy, error))
    return NULL;

  record = refmount_table_get_record (daemon->table, mountpoint);
  details.mountpoint = mountpoint;
  details.attachment = attachment;
  if (record != NULL)
    {
      details.fstype = record->fstype;
      details.source = record->source;
      details.options = (const char *const *) record->options;
    }

  if ((force || lazy) &&
      !refmount_auth_check (call, caller->uid, REFMOUNT_ACTION_MANAGE, &details, error))
    {
      log_denied ("Unmount", caller, mountpoint, details.source, details.fstype, attachment, *error);
      return NULL;
    }

  request.mountpoint = mountpoint;
  request.attachment = attachment;
  request.uid = caller->uid;
  request.pid = caller->pid;
  request.others_allowed = caller->uid == 0;
  request.force = force;
  request.lazy = lazy;

  if (!refmount_table_detach (daemon->table, config, &request, &unmounted, &owner, &local_error))
    {
      if (!g_error_matches (local_error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_AUTHORIZED))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      /* Someone else's attachment: only now is there something to ask
       * polkit about, and nothing has changed yet. */
      if (!refmount_auth_check (call, caller->uid, REFMOUNT_ACTION_UNMOUNT_OTHERS, &details, error))
        {
          log_denied ("Unmount", caller, mountpoint, details.source, details.fstype, attachment, *error);
          return NULL;
        }
      request.others_allowed = TRUE;
      if (!refmount_table_detach (daemon->table, config, &request, &unmounted, &owner, error))
        return NULL;
    }

  return g_variant_new ("(b)", unmounted);
}

static GVariant *
do_get_mount (Daemon       *daemon,
              GDBusMessage *call,
              GError      **error)
{
  g_autoptr (RefmountConfig) config = refmount_daemon_get_config (daemon);
  g_autoptr (RefmountRecord) record = NULL;
  g_autofree char           *path = NULL;
  const char                *mountpoint;

  g_variant_get (g_dbus_message_get_body (call), "(&s)", &mountpoint);
  if (!refmount_validate_mountpoint (config, mountpoint, NULL, NULL, error))
    return NULL;
  record = refmount_table_get_record (daemon->table, mountpoint);
  if (record == NULL)
    {
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND,
                   "No managed mount at mountpoint '%s'", mountpoint);
      return NULL;
    }
  path = refmount_daemon_object_path (mountpoint);
  return g_variant_new ("(o)", path);
}

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

gboolean
refmount_daemon_reload (Daemon  *daemon,
                        GError **error)
{
  g_autoptr (RefmountConfig) config = NULL;
  g_autoptr (GError)         local_error = NULL;

  config = refmount_config_load (daemon->config_path, daemon->config_missing_ok, &local_error);
  if (config == NULL || !refmount_config_check_roots (config, 0, TRUE, &local_error))
    {
      refmount_log_event (G_LOG_LEVEL_WARNING, "reload-failed", NULL,
                          "Configuration not reloaded, keeping the old one: %s", local_error->message);
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED,
                   "Configuration file '%s' not reloaded: %s", daemon->config_path, local_error->message);
      return FALSE;
    }

  {
    g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&daemon->config_lock);
    g_clear_pointer (&daemon->config, refmount_config_unref);
    daemon->config = g_steal_pointer (&config);
  }
  g_main_context_invoke (NULL, publish_config_cb, daemon);
  refmount_log_event (G_LOG_LEVEL_MESSAGE, "reloaded", NULL, "Configuration reloaded from %s",
                      daemon->config_path);
  return TRUE;
}

static GVariant *
do_reload (Daemon       *daemon,
           GDBusMessage *call,
           const Caller *caller,
           GError      **error)
{
  if (!refmount_auth_check (call, caller->uid, REFMOUNT_ACTION_MANAGE, NULL, error))
    {
      log_denied ("Reload", caller, NULL, NULL, NULL, NULL, *error);
      return NULL;
    }
  if (!refmount_daemon_reload (daemon, error))
    return NULL;
  return g_variant_new ("()");
}

void
refmount_daemon_worker (gpointer data,
                        gpointer user_data)
{
  Job               *job = data;
  Daemon            *daemon = user_data;
  g_autoptr (GError) error = NULL;
  GVariant          *value = NULL;
  Caller             caller = { 0, -1 };

  if (job->kind == JOB_RELEASE)
    {
      g_autoptr (RefmountConfig) config = refmount_daemon_get_config (daemon);

      refmount_table_release_bus_name (daemon->table, config, job->bus_name);
      g_free (job->bus_name);
      g_free (job);
      refmount_daemon_call_done (daemon);
      return;
    }

  if (job->kind == JOB_RECHECK)
    {
      /* Cleared first: a change during the check queues another one. */
      g_atomic_int_set (&daemon->recheck_pending, 0);
      refmount_table_check_vanished (daemon->table);
      g_free (job);
      refmount_daemon_call_done (daemon);
      return;
    }

  if (job->kind != JOB_GET_MOUNT && !get_caller (daemon, job->call, &caller, &error))
    {
      reply (daemon, job, NULL, g_steal_pointer (&error));
      g_free (job);
      return;
    }

  switch (job->kind)
    {
    case JOB_MOUNT:
      value = do_mount (daemon, job->call, &caller, &error);
      break;
    case JOB_UNMOUNT:
      value = do_unmount (daemon, job->call, &caller, &error);
      break;
    case JOB_GET_MOUNT:
      value = do_get_mount (daemon, job->call, &error);
      break;
    case JOB_RELOAD:
      value = do_reload (daemon, job->call, &caller, &error);
      break;
    case JOB_RECOVER:
      {
        g_autoptr (RefmountConfig) config = refmount_daemon_get_config (daemon);

        value = refmount_daemon_do_recover (daemon, config, job->call, &caller, &error);
      }
      break;
    case JOB_RELEASE:
    case JOB_RECHECK:
    default:
      g_assert_not_reached ();
    }

  if (value == NULL && error == NULL)
    g_set_error (&error, REFMOUNT_ERROR, REFMOUNT_ERROR_FAILED, "Internal error");
  reply (daemon, job, value, g_steal_pointer (&error));
  g_free (job);
}
