/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "refmount-error.h"
#include "refmount-manager.h"
#include "refmount-names.h"
#include "refmount-owner.h"
#include "refmount-show.h"
#include <string.h>

#include "refmount-validate.h"

/* ---- the method table --------------------------------------------------- */

static void
mount_details (const RefmountRequest *request,
               const RefmountRecord  *record,
               RefmountAuthDetails   *details)
{
  details->fstype = request->fstype;
  details->source = request->source;
  details->mountpoint = request->mountpoint;
  details->attachment = request->attachment;
  /* What the caller asked for; the ownership options are implied by
   * "owner", which rules see. */
  details->options = (const char *const *) request->options;
  details->owner = request->owner ? "true" : "false";
}

/* An Unmount names only the mountpoint and the attachment: the rest is
 * what is mounted there. */
static void
unmount_details (const RefmountRequest *request,
                 const RefmountRecord  *record,
                 RefmountAuthDetails   *details)
{
  details->mountpoint = request->mountpoint;
  details->attachment = request->attachment;
  if (record != NULL)
    {
      details->fstype = record->fstype;
      details->source = record->source;
      details->options = (const char *const *) record->options;
    }
}

static const RefmountMethod methods[] = {
  {
    .member = "Mount",
    .kind = REFMOUNT_METHOD_MOUNT,
    .needs_entry = TRUE,
    .creates_entry = TRUE,
    .call = { REFMOUNT_ACTION_MOUNT },
    .details = mount_details,
  },
  {
    .member = "Unmount",
    .kind = REFMOUNT_METHOD_UNMOUNT,
    .needs_entry = TRUE,
    /* Releasing one's own attachment needs no grant (SPEC §3). */
    .call = { NULL },
    .flags = { REFMOUNT_ACTION_MANAGE },
    .owner_dependent = TRUE,
    .others = { REFMOUNT_ACTION_UNMOUNT_OTHERS },
    .details = unmount_details,
  },
  {
    .member = "GetMount",
    .kind = REFMOUNT_METHOD_GET_MOUNT,
    /* Public, like the objects' properties (SPEC §3, busconfig). */
    .call = { NULL },
  },
  {
    .member = "Reload",
    .kind = REFMOUNT_METHOD_RELOAD,
    .call = { REFMOUNT_ACTION_MANAGE },
  },
  {
    .member = "Recover",
    .kind = REFMOUNT_METHOD_RECOVER,
    /* After manage was granted it waits in the entry's queue like an
     * Unmount: a Recover behind a hung one costs no thread. */
    .needs_entry = TRUE,
    .call = { REFMOUNT_ACTION_MANAGE },
    .details = unmount_details,
  },
};

const RefmountMethod *
refmount_method_lookup (const char *member)
{
  for (gsize i = 0; member != NULL && i < G_N_ELEMENTS (methods); i++)
    if (g_str_equal (methods[i].member, member))
      return &methods[i];
  return NULL;
}

const RefmountAuthStep *
refmount_method_auth_step (const RefmountMethod  *method,
                           const RefmountRequest *request)
{
  if ((request->force || request->lazy) && method->flags.action != NULL)
    return &method->flags;
  return &method->call;
}

/* What an Unmount asks polkit after its first step, as a plain function
 * of the request, the caller and the record (SPEC §3): releasing one's
 * own attachment needs nothing; another uid's needs the method's owner-
 * dependent step, org.refmount.unmount-others, unless that was granted
 * already or the caller is root (whom polkit would not ask either).  No
 * configuration key takes part. */
static const RefmountAuthStep nothing_to_ask = { NULL };

const RefmountAuthStep *
refmount_manager_unmount_step (const RefmountRequest *request,
                               const RefmountCaller  *caller,
                               const RefmountRecord  *record,
                               gboolean               others_granted,
                               guint32               *out_owner,
                               GError               **error)
{
  const RefmountAttachment *attachment = NULL;

  if (record == NULL)
    {
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND, "No managed mount at mountpoint '%s'",
                   request->mountpoint);
      return NULL;
    }
  for (guint i = 0; record->attachments != NULL && i < record->attachments->len && attachment == NULL; i++)
    if (g_strcmp0 (((RefmountAttachment *) g_ptr_array_index (record->attachments, i))->id, request->attachment) == 0)
      attachment = g_ptr_array_index (record->attachments, i);
  if (attachment == NULL)
    {
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_ATTACHED, "Attachment '%s' is not attached to mountpoint '%s'",
                   request->attachment, request->mountpoint);
      return NULL;
    }
  if (out_owner != NULL)
    *out_owner = attachment->uid;
  if (attachment->uid == caller->uid || caller->uid == 0 || others_granted)
    return &nothing_to_ask;
  return &refmount_method_lookup ("Unmount")->others;
}

/* ---- requests ------------------------------------------------------------ */

void
refmount_request_clear (RefmountRequest *request)
{
  g_clear_pointer (&request->owned_options, g_strfreev);
  g_clear_pointer (&request->mountpoint, g_free);
  g_clear_pointer (&request->options, g_free);
  g_clear_pointer (&request->body, g_variant_unref);
}

gboolean
refmount_request_parse (RefmountRequest      *request,
                        const RefmountMethod *method,
                        GVariant             *body,
                        RefmountConfig       *config,
                        GError              **error)
{
  g_autoptr (GVariant) flags = NULL;
  const char          *mountpoint = NULL;
  RefmountMountFlags   mount_flags = { 0 };

  memset (request, 0, sizeof *request);
  request->kind = method->kind;
  request->body = body != NULL ? g_variant_ref_sink (body) : NULL;

  switch (method->kind)
    {
    case REFMOUNT_METHOD_MOUNT:
      g_variant_get (body, "(&s&s&s^a&s&s@a{sv})", &request->fstype, &request->source, &mountpoint,
                     &request->options, &request->attachment, &flags);
      if (!refmount_validate_fstype (config, request->fstype, error) ||
          !refmount_validate_source (request->fstype, request->source, error) ||
          !refmount_validate_options (config, request->fstype, (const char *const *) request->options, error) ||
          !refmount_validate_attachment (request->attachment, error) ||
          !refmount_validate_mount_flags (flags, &mount_flags, error))
        return FALSE;
      request->release_on_exit = mount_flags.release_on_exit;
      request->owner = mount_flags.owner;
      request->show = mount_flags.show;
      request->mountpoint = mountpoint[0] == '\0'
                              ? refmount_derive_mountpoint (config, request->fstype, request->source)
                              : g_strdup (mountpoint);
      return refmount_validate_mountpoint (config, request->mountpoint, NULL, NULL, error);

    case REFMOUNT_METHOD_UNMOUNT:
      g_variant_get (body, "(&s&s@a{sv})", &mountpoint, &request->attachment, &flags);
      request->mountpoint = g_strdup (mountpoint);
      return refmount_validate_mountpoint (config, request->mountpoint, NULL, NULL, error) &&
             refmount_validate_attachment (request->attachment, error) &&
             refmount_validate_unmount_flags (flags, &request->force, &request->lazy, error);

    case REFMOUNT_METHOD_GET_MOUNT:
      g_variant_get (body, "(&s)", &mountpoint);
      request->mountpoint = g_strdup (mountpoint);
      return refmount_validate_mountpoint (config, request->mountpoint, NULL, NULL, error);

    case REFMOUNT_METHOD_RECOVER:
      g_variant_get (body, "(&s@a{sv})", &mountpoint, &flags);
      request->mountpoint = g_strdup (mountpoint);
      if (!refmount_validate_mountpoint (config, request->mountpoint, NULL, NULL, error))
        return FALSE;
      /* No flag is defined yet; the argument exists so that one can be
       * added without a new method.  Unknown keys are refused, as for
       * Mount. */
      if (g_variant_n_children (flags) > 0)
        {
          const char *key = NULL;

          g_variant_get_child (flags, 0, "{&sv}", &key, NULL);
          g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT,
                       "Invalid flags: unknown flag '%s' for Recover (it takes none)", key);
          return FALSE;
        }
      return TRUE;

    case REFMOUNT_METHOD_RELOAD:
    default:
      return TRUE;
    }
}

gboolean
refmount_request_check_caller (const RefmountRequest *request,
                               const RefmountCaller  *caller,
                               GError               **error)
{
  g_auto (GStrv) options = NULL;

  if (request->kind != REFMOUNT_METHOD_MOUNT || !request->owner)
    return TRUE;
  /* Whether the type can be owned at all: the options do not depend on
   * the ids, so any will do.  The caller's group is looked up only with
   * the entry held (refmount_manager_mount()). */
  options = refmount_owner_options (request->fstype, caller->uid, 0, error);
  return options != NULL;
}

gboolean
refmount_request_resolve_owner (RefmountRequest      *request,
                                const RefmountCaller *caller,
                                guint32               gid,
                                GError              **error)
{
  if (request->kind != REFMOUNT_METHOD_MOUNT || !request->owner)
    return TRUE;
  g_clear_pointer (&request->owned_options, g_strfreev);
  request->owned_options = refmount_owner_append_options ((const char *const *) request->options, request->fstype,
                                                          caller->uid, gid, error);
  return request->owned_options != NULL;
}

typedef struct
{
  guint32 uid;
  guint32 gid;
} GidLookup;

static gboolean
gid_lookup_func (gpointer data,
                 GError **error)
{
  GidLookup *lookup = data;

  return refmount_owner_lookup_gid (lookup->uid, &lookup->gid, error);
}

/* The caller's primary group for the ownership options.  getpwuid_r may
 * ask a directory service (sssd, LDAP) that stops answering: it runs on
 * a runner thread under the call's deadline with the entry held, never
 * on the main loop or GDBus's thread, and only for a caller that polkit
 * already allowed to mount. */
static gboolean
resolve_owner (RefmountTable        *table,
               RefmountConfig       *config,
               RefmountTableWaiter  *waiter,
               RefmountRequest      *request,
               const RefmountCaller *caller,
               gint64                deadline,
               gboolean             *handed_off,
               GError              **error)
{
  g_autofree GidLookup *lookup = g_new0 (GidLookup, 1);
  gboolean              ok = FALSE;

  lookup->uid = caller->uid;
  if (!refmount_table_run_held (table, waiter, gid_lookup_func, lookup, g_free, deadline, &ok, error))
    {
      g_steal_pointer (&lookup); /* the late completion frees it */
      *handed_off = TRUE;
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_TIMEOUT,
                   "Looking up the group of uid %u for the Mount flag '%s' did not finish within MountTimeoutSec=%u",
                   caller->uid, REFMOUNT_FLAG_OWNER, config->mount_timeout_sec);
      return FALSE;
    }
  return ok && refmount_request_resolve_owner (request, caller, lookup->gid, error);
}

/* ---- the operations ------------------------------------------------------ */

char *
refmount_manager_object_path (const char *mountpoint)
{
  g_autofree char *escaped = g_dbus_escape_object_path (mountpoint);

  return g_strconcat (REFMOUNT_MOUNTS_PATH "/", escaped, NULL);
}

GVariant *
refmount_manager_mount (RefmountTable        *table,
                        RefmountConfig       *config,
                        RefmountTableWaiter  *waiter,
                        RefmountRequest      *request,
                        const RefmountCaller *caller,
                        gint64                deadline,
                        GError              **error)
{
  RefmountAttachRequest attach = { 0 };
  g_autofree char      *path = NULL;
  g_autofree char      *show_options = NULL;
  gboolean              handed_off = FALSE;

  if (request->owner && !resolve_owner (table, config, waiter, request, caller, deadline, &handed_off, error))
    {
      if (!handed_off)
        refmount_table_give_up_held (table, waiter);
      return NULL;
    }

  attach.fstype = request->fstype;
  attach.source = request->source;
  attach.mountpoint = request->mountpoint;
  /* The ownership options take part in the conflict check like any
   * other: another uid's Mount there (or one without the flag) has other
   * options, so an owned mount is never shared. */
  attach.options = request->owned_options != NULL ? (const char *const *) request->owned_options
                                                  : (const char *const *) request->options;
  if (request->show)
    show_options = refmount_show_user_options (request->source);
  attach.user_options = show_options;
  attach.attachment = request->attachment;
  attach.uid = caller->uid;
  attach.pid = caller->pid;
  attach.release_on_exit = request->release_on_exit;
  attach.bus_name = caller->bus_name;
  if (!refmount_table_attach_held (table, config, waiter, &attach, deadline, error))
    return NULL;
  path = refmount_manager_object_path (request->mountpoint);
  return g_variant_new ("(os)", path, request->mountpoint);
}

GVariant *
refmount_manager_unmount (RefmountTable         *table,
                          RefmountConfig        *config,
                          RefmountTableWaiter   *waiter,
                          const RefmountRequest *request,
                          const RefmountCaller  *caller,
                          gboolean               others_allowed,
                          gint64                 deadline,
                          gboolean              *needs_others,
                          GError               **error)
{
  RefmountDetachRequest      detach = { 0 };
  g_autoptr (GError)         local_error = NULL;
  g_autoptr (RefmountRecord) record = NULL;
  const RefmountAuthStep    *step;
  gboolean                   unmounted = FALSE;
  guint32                    owner = 0;

  *needs_others = FALSE;
  /* The second step is decided here, with the entry held, from the record
   * it holds (as committed: no operation is half done while we hold it). */
  record = refmount_table_get_record (table, request->mountpoint);
  step = refmount_manager_unmount_step (request, caller, record, others_allowed, &owner, &local_error);
  if (step == NULL || step->action != NULL)
    {
      if (step != NULL)
        {
          /* Someone else's attachment: only now is there something to
           * ask polkit about, and nothing has changed. */
          *needs_others = TRUE;
          g_set_error (&local_error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_AUTHORIZED,
                       "Attachment '%s' on mountpoint '%s' belongs to uid %u", request->attachment,
                       request->mountpoint, owner);
        }
      refmount_table_give_up_held (table, waiter);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  detach.mountpoint = request->mountpoint;
  detach.attachment = request->attachment;
  detach.uid = caller->uid;
  detach.pid = caller->pid;
  /* Decided above; the table checks the owner again (deny by default). */
  detach.others_allowed = TRUE;
  detach.force = request->force;
  detach.lazy = request->lazy;
  if (!refmount_table_detach_held (table, config, waiter, &detach, deadline, &unmounted, NULL, error))
    return NULL;
  return g_variant_new ("(b)", unmounted);
}

GVariant *
refmount_manager_recover (RefmountTable         *table,
                          RefmountConfig        *config,
                          RefmountTableWaiter   *waiter,
                          const RefmountRequest *request,
                          const RefmountCaller  *caller,
                          gint64                 deadline,
                          GError               **error)
{
  if (!refmount_table_recover_held (table, config, waiter, caller->uid, caller->pid, deadline, error))
    return NULL;
  return g_variant_new ("()");
}

GVariant *
refmount_manager_get_mount (RefmountTable         *table,
                            const RefmountRequest *request,
                            GError               **error)
{
  g_autoptr (RefmountRecord) record = refmount_table_get_record (table, request->mountpoint);
  g_autofree char           *path = NULL;

  if (record == NULL)
    {
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND,
                   "No managed mount at mountpoint '%s'", request->mountpoint);
      return NULL;
    }
  path = refmount_manager_object_path (request->mountpoint);
  return g_variant_new ("(o)", path);
}
