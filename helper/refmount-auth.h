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
 * The one place where refmount asks polkit whether a caller may act (the
 * method table in refmount-methods.c decides what to ask).  Deny by
 * default: anything but an explicit "authorized" answer from polkit — a
 * challenge without interaction allowed, an error, polkitd missing — is
 * REFMOUNT_ERROR_NOT_AUTHORIZED (NOT_AUTHORIZED_DISMISSED when the user
 * dismissed the agent's dialog); a cancelled check is G_IO_ERROR_CANCELLED
 * (the canceller says why).  uid 0 is authorized without a round trip, as
 * polkit itself always authorizes it.  Asynchronous: no thread waits for
 * polkitd or for a human at a password prompt; @callback runs in the
 * calling thread's main context.
 */
void     refmount_auth_check_async (const char                *sender,
                                    guint32                    caller_uid,
                                    gboolean                   interactive,
                                    const char                *action_id,
                                    const RefmountAuthDetails *details,
                                    GCancellable              *cancellable,
                                    GAsyncReadyCallback        callback,
                                    gpointer                   user_data);
gboolean refmount_auth_check_finish (GAsyncResult *result,
                                     GError      **error);

/* Set up the connection to polkitd ahead of the first check. */
void refmount_auth_init (void);

G_END_DECLS
