/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RefmountMount: a snapshot of one mount object's properties, refreshed
 * by RefmountClient whenever the daemon signals a change.  It keeps its
 * own copy rather than reading the proxy on each call so that a signal's
 * handler sees the values the signal was about, and so that a mount
 * object outlives its proxy across a daemon restart (GDBus drops every
 * proxy when the name's owner goes away).
 */
#include "config.h"

#include <string.h>

#include "refmount-mount-private.h"
#include "refmount-names.h"

/**
 * RefmountMount:
 *
 * One managed mountpoint as the daemon last reported it.  Obtained from
 * #RefmountClient (refmount_client_get_mounts(),
 * refmount_client_get_mount() and its signals); the values change when
 * the client's #RefmountClient::mount-changed is emitted for it.
 */
struct _RefmountMount
{
  GObject             parent_instance;
  char               *object_path;
  char               *mountpoint;
  char               *source;
  char               *fstype;
  GStrv               options;
  RefmountMountState  state;
  GPtrArray          *attachments; /* RefmountAttachment, in the daemon's order */
  guint64             mounted_at;
  RefmountMountHealth health;
  guint64             health_checked_at;
  char               *health_message;
  gboolean            has_usage;
  guint64             usage[3]; /* size, free, available */
};

G_DEFINE_FINAL_TYPE (RefmountMount, refmount_mount, G_TYPE_OBJECT)

static void
refmount_mount_finalize (GObject *object)
{
  RefmountMount *mount = REFMOUNT_MOUNT (object);

  g_free (mount->object_path);
  g_free (mount->mountpoint);
  g_free (mount->source);
  g_free (mount->fstype);
  g_strfreev (mount->options);
  g_free (mount->health_message);
  g_ptr_array_unref (mount->attachments);
  G_OBJECT_CLASS (refmount_mount_parent_class)->finalize (object);
}

static void
refmount_mount_class_init (RefmountMountClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = refmount_mount_finalize;
}

static void
refmount_mount_init (RefmountMount *mount)
{
  mount->attachments = g_ptr_array_new_with_free_func ((GDestroyNotify) refmount_attachment_free);
  mount->options = g_new0 (char *, 1);
}

RefmountMountState
refmount_mount_state_parse (const char *state)
{
  if (g_strcmp0 (state, REFMOUNT_STATE_MOUNTED) == 0)
    return REFMOUNT_MOUNT_STATE_MOUNTED;
  if (g_strcmp0 (state, REFMOUNT_STATE_BUSY) == 0)
    return REFMOUNT_MOUNT_STATE_BUSY;
  if (g_strcmp0 (state, REFMOUNT_STATE_STALE) == 0)
    return REFMOUNT_MOUNT_STATE_STALE;
  return REFMOUNT_MOUNT_STATE_UNKNOWN;
}

RefmountMount *
refmount_mount_new_for_proxy (RefmountDBusMount *proxy)
{
  RefmountMount *mount = g_object_new (REFMOUNT_TYPE_MOUNT, NULL);

  mount->object_path = g_strdup (g_dbus_proxy_get_object_path (G_DBUS_PROXY (proxy)));
  refmount_mount_update (mount, proxy, NULL, NULL);
  return mount;
}

static RefmountMountHealth
health_parse (const char *health)
{
  if (g_strcmp0 (health, REFMOUNT_HEALTH_NAME_OK) == 0)
    return REFMOUNT_MOUNT_HEALTH_OK;
  if (g_strcmp0 (health, REFMOUNT_HEALTH_NAME_UNRESPONSIVE) == 0)
    return REFMOUNT_MOUNT_HEALTH_UNRESPONSIVE;
  if (g_strcmp0 (health, REFMOUNT_HEALTH_NAME_STALE_HANDLE) == 0)
    return REFMOUNT_MOUNT_HEALTH_STALE_HANDLE;
  return REFMOUNT_MOUNT_HEALTH_UNKNOWN;
}

/* Health, HealthCheckedAt, HealthMessage and Usage (a daemon older than
 * them has none: they read as unknown). */
static gboolean
update_health (RefmountMount     *mount,
               RefmountDBusMount *proxy)
{
  RefmountMountHealth health = health_parse (refmount_dbus_mount_get_health (proxy));
  guint64             checked_at = refmount_dbus_mount_get_health_checked_at (proxy);
  const char         *message = refmount_dbus_mount_get_health_message (proxy);
  GVariant           *usage = refmount_dbus_mount_get_usage (proxy);
  guint64             values[3] = { 0, 0, 0 };
  gboolean            changed = FALSE;

  if (usage != NULL)
    g_variant_get (usage, "(ttt)", &values[0], &values[1], &values[2]);
  if (mount->health != health || mount->health_checked_at != checked_at ||
      g_strcmp0 (mount->health_message, message) != 0 || mount->has_usage != (usage != NULL) ||
      memcmp (mount->usage, values, sizeof values) != 0)
    changed = TRUE;
  mount->health = health;
  mount->health_checked_at = checked_at;
  g_free (mount->health_message);
  mount->health_message = g_strdup (message);
  mount->has_usage = usage != NULL;
  memcpy (mount->usage, values, sizeof values);
  return changed;
}

static gboolean
replace_string (char      **field,
                const char *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static RefmountAttachment *
find_attachment (GPtrArray  *attachments,
                 const char *id)
{
  for (guint i = 0; i < attachments->len; i++)
    {
      RefmountAttachment *attachment = g_ptr_array_index (attachments, i);

      if (g_strcmp0 (refmount_attachment_get_id (attachment), id) == 0)
        return attachment;
    }
  return NULL;
}

static GPtrArray *
attachments_of (RefmountDBusMount *proxy)
{
  GPtrArray   *attachments = g_ptr_array_new_with_free_func ((GDestroyNotify) refmount_attachment_free);
  GVariant    *value = refmount_dbus_mount_get_attachments (proxy);
  GVariantIter iter;
  const char  *id;
  guint32      uid;
  guint64      since;

  if (value == NULL)
    return attachments;
  g_variant_iter_init (&iter, value);
  while (g_variant_iter_next (&iter, "(&sut)", &id, &uid, &since))
    g_ptr_array_add (attachments, refmount_attachment_new (id, uid, (gint64) since));
  return attachments;
}

gboolean
refmount_mount_update (RefmountMount     *mount,
                       RefmountDBusMount *proxy,
                       GPtrArray         *added,
                       GPtrArray         *removed)
{
  const char *const    *options = refmount_dbus_mount_get_options (proxy);
  RefmountMountState    state = refmount_mount_state_parse (refmount_dbus_mount_get_state (proxy));
  g_autoptr (GPtrArray) now = attachments_of (proxy);
  gboolean              changed = FALSE;

  changed |= replace_string (&mount->mountpoint, refmount_dbus_mount_get_mountpoint (proxy));
  changed |= replace_string (&mount->source, refmount_dbus_mount_get_source (proxy));
  changed |= replace_string (&mount->fstype, refmount_dbus_mount_get_filesystem_type (proxy));
  if (options == NULL)
    options = (const char *const[]){ NULL };
  if (!g_strv_equal ((const char *const *) mount->options, options))
    {
      g_strfreev (mount->options);
      mount->options = g_strdupv ((char **) options);
      changed = TRUE;
    }
  if (mount->state != state)
    {
      mount->state = state;
      changed = TRUE;
    }
  changed |= update_health (mount, proxy);
  if (mount->mounted_at != refmount_dbus_mount_get_mounted_at (proxy))
    {
      mount->mounted_at = refmount_dbus_mount_get_mounted_at (proxy);
      changed = TRUE;
    }

  /* Attachments are keyed by id: the daemon makes a repeated attach of
   * the same id a no-op, so an id never appears twice. */
  for (guint i = 0; i < mount->attachments->len; i++)
    {
      RefmountAttachment *old = g_ptr_array_index (mount->attachments, i);

      if (find_attachment (now, refmount_attachment_get_id (old)) == NULL)
        {
          changed = TRUE;
          if (removed != NULL)
            g_ptr_array_add (removed, refmount_attachment_copy (old));
        }
    }
  for (guint i = 0; i < now->len; i++)
    {
      RefmountAttachment *new = g_ptr_array_index (now, i);
      RefmountAttachment *old = find_attachment (mount->attachments, refmount_attachment_get_id (new));

      if (old == NULL)
        {
          changed = TRUE;
          if (added != NULL)
            g_ptr_array_add (added, refmount_attachment_copy (new));
        }
      else if (refmount_attachment_get_uid (old) != refmount_attachment_get_uid (new) ||
               refmount_attachment_get_time (old) != refmount_attachment_get_time (new))
        changed = TRUE;
    }
  g_ptr_array_unref (mount->attachments);
  mount->attachments = g_steal_pointer (&now);
  return changed;
}

/**
 * refmount_mount_get_object_path:
 * @mount: a #RefmountMount
 *
 * Returns: the D-Bus object path of the mount object
 */
const char *
refmount_mount_get_object_path (RefmountMount *mount)
{
  g_return_val_if_fail (REFMOUNT_IS_MOUNT (mount), NULL);
  return mount->object_path;
}

/**
 * refmount_mount_get_mountpoint:
 * @mount: a #RefmountMount
 *
 * Returns: (nullable): the canonical mountpoint
 */
const char *
refmount_mount_get_mountpoint (RefmountMount *mount)
{
  g_return_val_if_fail (REFMOUNT_IS_MOUNT (mount), NULL);
  return mount->mountpoint;
}

/**
 * refmount_mount_get_source:
 * @mount: a #RefmountMount
 *
 * Returns: (nullable): what is mounted (e.g. `server:/export`)
 */
const char *
refmount_mount_get_source (RefmountMount *mount)
{
  g_return_val_if_fail (REFMOUNT_IS_MOUNT (mount), NULL);
  return mount->source;
}

/**
 * refmount_mount_get_filesystem_type:
 * @mount: a #RefmountMount
 *
 * Returns: (nullable): the filesystem type
 */
const char *
refmount_mount_get_filesystem_type (RefmountMount *mount)
{
  g_return_val_if_fail (REFMOUNT_IS_MOUNT (mount), NULL);
  return mount->fstype;
}

/**
 * refmount_mount_get_options:
 * @mount: a #RefmountMount
 *
 * Returns: (transfer none) (array zero-terminated=1): the effective mount
 *   options, forced ones included, one option per element
 */
const char *const *
refmount_mount_get_options (RefmountMount *mount)
{
  g_return_val_if_fail (REFMOUNT_IS_MOUNT (mount), NULL);
  return (const char *const *) mount->options;
}

/**
 * refmount_mount_get_state:
 * @mount: a #RefmountMount
 *
 * Returns: the state of the mountpoint
 */
RefmountMountState
refmount_mount_get_state (RefmountMount *mount)
{
  g_return_val_if_fail (REFMOUNT_IS_MOUNT (mount), REFMOUNT_MOUNT_STATE_UNKNOWN);
  return mount->state;
}

/**
 * refmount_mount_get_attachments:
 * @mount: a #RefmountMount
 *
 * The attachments, in the order the daemon lists them.  The array is
 * replaced (not changed) when the attachments change: take a reference
 * to keep it.
 *
 * Returns: (transfer none) (element-type RefmountAttachment): the
 *   attachments
 */
GPtrArray *
refmount_mount_get_attachments (RefmountMount *mount)
{
  g_return_val_if_fail (REFMOUNT_IS_MOUNT (mount), NULL);
  return mount->attachments;
}

/**
 * refmount_mount_lookup_attachment:
 * @mount: a #RefmountMount
 * @id: an attachment id
 *
 * Returns: (transfer none) (nullable): the attachment @id, or %NULL if
 *   @mount has none of that id
 */
RefmountAttachment *
refmount_mount_lookup_attachment (RefmountMount *mount,
                                  const char    *id)
{
  g_return_val_if_fail (REFMOUNT_IS_MOUNT (mount), NULL);
  g_return_val_if_fail (id != NULL, NULL);
  return find_attachment (mount->attachments, id);
}

/**
 * refmount_mount_get_mounted_at:
 * @mount: a #RefmountMount
 *
 * Returns: when the filesystem was mounted, in µs since the epoch (0 if
 *   it is not mounted)
 */
guint64
refmount_mount_get_mounted_at (RefmountMount *mount)
{
  g_return_val_if_fail (REFMOUNT_IS_MOUNT (mount), 0);
  return mount->mounted_at;
}

/**
 * refmount_mount_get_health:
 * @mount: a #RefmountMount
 *
 * Returns: what the daemon's last probe of @mount found
 */
RefmountMountHealth
refmount_mount_get_health (RefmountMount *mount)
{
  g_return_val_if_fail (REFMOUNT_IS_MOUNT (mount), REFMOUNT_MOUNT_HEALTH_UNKNOWN);
  return mount->health;
}

/**
 * refmount_mount_get_health_checked_at:
 * @mount: a #RefmountMount
 *
 * Returns: when the health was last determined, in µs since the epoch (0
 *   if never)
 */
guint64
refmount_mount_get_health_checked_at (RefmountMount *mount)
{
  g_return_val_if_fail (REFMOUNT_IS_MOUNT (mount), 0);
  return mount->health_checked_at;
}

/**
 * refmount_mount_get_health_message:
 * @mount: a #RefmountMount
 *
 * Returns: (nullable): why the health is not OK (empty or %NULL when it is)
 */
const char *
refmount_mount_get_health_message (RefmountMount *mount)
{
  g_return_val_if_fail (REFMOUNT_IS_MOUNT (mount), NULL);
  return mount->health_message;
}

/**
 * refmount_mount_get_usage:
 * @mount: a #RefmountMount
 * @out_size: (out) (optional): the filesystem's size in bytes
 * @out_free: (out) (optional): free bytes
 * @out_available: (out) (optional): bytes available to unprivileged users
 *
 * The filesystem's usage as the daemon last read it (statfs(2), as df
 * shows it).
 *
 * Returns: %TRUE if the daemon reports a usage, %FALSE (and zeroes) if not
 */
gboolean
refmount_mount_get_usage (RefmountMount *mount,
                          guint64       *out_size,
                          guint64       *out_free,
                          guint64       *out_available)
{
  g_return_val_if_fail (REFMOUNT_IS_MOUNT (mount), FALSE);
  if (out_size != NULL)
    *out_size = mount->usage[0];
  if (out_free != NULL)
    *out_free = mount->usage[1];
  if (out_available != NULL)
    *out_available = mount->usage[2];
  return mount->has_usage;
}
