/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* What is being authorized, passed to polkit as details (doc/design.md
 * "Authorization") so that rules can decide per filesystem, source,
 * mountpoint and attachment. */
typedef struct
{
  const char        *fstype;
  const char        *source;
  const char        *mountpoint;
  const char        *attachment;
  const char *const *options;
  const char        *owner; /* Mount: "true" or "false" (flag "owner") */
} RefmountAuthDetails;

/*
 * The one place where refmount decides whether a caller may act.  Deny by
 * default: anything but an explicit "authorized" answer from polkit —
 * a challenge without interaction allowed, an error, polkitd missing — is
 * REFMOUNT_ERROR_NOT_AUTHORIZED.  uid 0 is authorized without a round
 * trip, as polkit itself always authorizes it.  Blocking; call from a
 * worker thread.
 */
gboolean refmount_auth_check (GDBusMessage              *call,
                              guint32                    caller_uid,
                              const char                *action_id,
                              const RefmountAuthDetails *details,
                              GError                   **error);

G_END_DECLS
