/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * RefmountError:
 * @REFMOUNT_ERROR_FAILED: Any other failure (e.g. the state could not be
 *   persisted).
 * @REFMOUNT_ERROR_INVALID_ARGUMENT: An argument was rejected; the message
 *   names it.
 * @REFMOUNT_ERROR_NOT_AUTHORIZED: polkit denied the request (or could not
 *   be asked).
 * @REFMOUNT_ERROR_NOT_FOUND: No managed mountpoint there.
 * @REFMOUNT_ERROR_NOT_ATTACHED: The attachment is not on that mountpoint.
 * @REFMOUNT_ERROR_CONFLICT: The mountpoint holds a different mount.
 * @REFMOUNT_ERROR_BUSY: The filesystem is busy.
 * @REFMOUNT_ERROR_MOUNT_FAILED: Mounting failed; the message carries the
 *   reason.
 * @REFMOUNT_ERROR_TIMEOUT: The mount or unmount did not finish in time.
 * @REFMOUNT_ERROR_SHUTTING_DOWN: refmountd is stopping.
 * @REFMOUNT_ERROR_LIMIT_EXCEEDED: MaxMounts or MaxAttachmentsPerUser
 *   reached.
 * @REFMOUNT_ERROR_NOT_AUTHORIZED_DISMISSED: Not authorized because the
 *   user dismissed the authentication dialog (as udisks'
 *   NotAuthorizedDismissed): a client then says no more than that.
 *
 * The errors refmountd answers with, as the `org.refmount.Refmount1.Error.*`
 * D-Bus names map onto them.  The order indexes the D-Bus name table in
 * refmount-error.c: new codes are only ever appended.
 */
typedef enum
{
  REFMOUNT_ERROR_FAILED,
  REFMOUNT_ERROR_INVALID_ARGUMENT,
  REFMOUNT_ERROR_NOT_AUTHORIZED,
  REFMOUNT_ERROR_NOT_FOUND,
  REFMOUNT_ERROR_NOT_ATTACHED,
  REFMOUNT_ERROR_CONFLICT,
  REFMOUNT_ERROR_BUSY,
  REFMOUNT_ERROR_MOUNT_FAILED,
  REFMOUNT_ERROR_TIMEOUT,
  REFMOUNT_ERROR_SHUTTING_DOWN,
  REFMOUNT_ERROR_LIMIT_EXCEEDED,
  REFMOUNT_ERROR_NOT_AUTHORIZED_DISMISSED,
} RefmountError;

#ifndef __GI_SCANNER__
#define REFMOUNT_ERROR_N_ERRORS (REFMOUNT_ERROR_NOT_AUTHORIZED_DISMISSED + 1)
#endif

/**
 * REFMOUNT_ERROR:
 *
 * The error domain of refmountd's errors (#RefmountError).  Errors from
 * #RefmountClient calls are in this domain; other D-Bus failures are
 * #G_DBUS_ERROR or #G_IO_ERROR.
 */
#define REFMOUNT_ERROR (refmount_error_quark ())

GQuark refmount_error_quark (void);

G_END_DECLS
