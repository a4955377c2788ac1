/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "refmount-admission.h"
#include "refmount-error.h"
#include "refmount-names.h"

struct _RefmountAdmission
{
  GMutex      mutex;
  GHashTable *clients; /* unique name -> calls in flight */
  GHashTable *uids;    /* uid -> calls in flight */
  guint       total;
  guint64     refused;
  guint64     dropped;
  guint64     dropped_total;
};

RefmountAdmission *
refmount_admission_new (void)
{
  RefmountAdmission *admission = g_new0 (RefmountAdmission, 1);

  g_mutex_init (&admission->mutex);
  admission->clients = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  admission->uids = g_hash_table_new (g_direct_hash, g_direct_equal);
  return admission;
}

void
refmount_admission_free (RefmountAdmission *admission)
{
  if (admission == NULL)
    return;
  g_hash_table_unref (admission->clients);
  g_hash_table_unref (admission->uids);
  g_mutex_clear (&admission->mutex);
  g_free (admission);
}

gboolean
refmount_admission_enter_client (RefmountAdmission             *admission,
                                 const char                    *client,
                                 const RefmountAdmissionLimits *limits,
                                 GError                       **error)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&admission->mutex);
  guint                    n = GPOINTER_TO_UINT (g_hash_table_lookup (admission->clients, client));

  if (admission->total >= limits->total)
    {
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_LIMIT_EXCEEDED,
                   "Too many calls in flight: " REFMOUNT_CONFIG_KEY_MAX_CALLS_TOTAL "=%u reached; retry later",
                   limits->total);
      return FALSE;
    }
  if (n >= limits->per_client)
    {
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_LIMIT_EXCEEDED,
                   "Too many calls in flight from client %s: " REFMOUNT_CONFIG_KEY_MAX_CALLS_CLIENT
                   "=%u reached; wait for replies before sending more",
                   client, limits->per_client);
      return FALSE;
    }
  g_hash_table_insert (admission->clients, g_strdup (client), GUINT_TO_POINTER (n + 1));
  admission->total++;
  return TRUE;
}

void
refmount_admission_leave_client (RefmountAdmission *admission,
                                 const char        *client)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&admission->mutex);
  guint                    n = GPOINTER_TO_UINT (g_hash_table_lookup (admission->clients, client));

  g_return_if_fail (n > 0 && admission->total > 0);
  if (n > 1)
    g_hash_table_insert (admission->clients, g_strdup (client), GUINT_TO_POINTER (n - 1));
  else
    g_hash_table_remove (admission->clients, client);
  admission->total--;
}

gboolean
refmount_admission_enter_uid (RefmountAdmission             *admission,
                              guint32                        uid,
                              const RefmountAdmissionLimits *limits,
                              GError                       **error)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&admission->mutex);
  gpointer                 key = GUINT_TO_POINTER (uid);
  guint                    n = GPOINTER_TO_UINT (g_hash_table_lookup (admission->uids, key));

  /* Root is exempt: the administrator must always get through, and root
   * can stop a flood anyway. */
  if (uid != 0 && n >= limits->per_user)
    {
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_LIMIT_EXCEEDED,
                   "Too many calls in flight from uid %u: " REFMOUNT_CONFIG_KEY_MAX_CALLS_USER
                   "=%u reached; wait for replies before sending more",
                   uid, limits->per_user);
      return FALSE;
    }
  g_hash_table_insert (admission->uids, key, GUINT_TO_POINTER (n + 1));
  return TRUE;
}

void
refmount_admission_leave_uid (RefmountAdmission *admission,
                              guint32            uid)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&admission->mutex);
  gpointer                 key = GUINT_TO_POINTER (uid);
  guint                    n = GPOINTER_TO_UINT (g_hash_table_lookup (admission->uids, key));

  g_return_if_fail (n > 0);
  if (n > 1)
    g_hash_table_insert (admission->uids, key, GUINT_TO_POINTER (n - 1));
  else
    g_hash_table_remove (admission->uids, key);
}

gboolean
refmount_admission_note_refused (RefmountAdmission *admission,
                                 gboolean           dropped)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&admission->mutex);
  gboolean                 first = admission->refused == 0 && admission->dropped == 0;

  if (dropped)
    {
      admission->dropped++;
      admission->dropped_total++;
    }
  else
    admission->refused++;
  return first;
}

void
refmount_admission_take_refused (RefmountAdmission *admission,
                                 guint64           *refused,
                                 guint64           *dropped)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&admission->mutex);

  *refused = admission->refused;
  *dropped = admission->dropped;
  admission->refused = 0;
  admission->dropped = 0;
}

guint64
refmount_admission_get_dropped_total (RefmountAdmission *admission)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&admission->mutex);

  return admission->dropped_total;
}

guint
refmount_admission_get_in_flight (RefmountAdmission *admission)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&admission->mutex);

  return admission->total;
}
