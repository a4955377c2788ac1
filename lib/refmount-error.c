/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "refmount-error.h"
#include "refmount-names.h"

static const GDBusErrorEntry refmount_error_entries[] = {
  { REFMOUNT_ERROR_FAILED, REFMOUNT_ERROR_PREFIX "Failed" },
  { REFMOUNT_ERROR_INVALID_ARGUMENT, REFMOUNT_ERROR_PREFIX "InvalidArgument" },
  { REFMOUNT_ERROR_NOT_AUTHORIZED, REFMOUNT_ERROR_PREFIX "NotAuthorized" },
  { REFMOUNT_ERROR_NOT_FOUND, REFMOUNT_ERROR_PREFIX "NotFound" },
  { REFMOUNT_ERROR_NOT_ATTACHED, REFMOUNT_ERROR_PREFIX "NotAttached" },
  { REFMOUNT_ERROR_CONFLICT, REFMOUNT_ERROR_PREFIX "Conflict" },
  { REFMOUNT_ERROR_BUSY, REFMOUNT_ERROR_PREFIX "Busy" },
  { REFMOUNT_ERROR_MOUNT_FAILED, REFMOUNT_ERROR_PREFIX "MountFailed" },
  { REFMOUNT_ERROR_TIMEOUT, REFMOUNT_ERROR_PREFIX "Timeout" },
  { REFMOUNT_ERROR_SHUTTING_DOWN, REFMOUNT_ERROR_PREFIX "ShuttingDown" },
  { REFMOUNT_ERROR_LIMIT_EXCEEDED, REFMOUNT_ERROR_PREFIX "LimitExceeded" },
  { REFMOUNT_ERROR_NOT_AUTHORIZED_DISMISSED, REFMOUNT_ERROR_PREFIX "NotAuthorizedDismissed" },
};

G_STATIC_ASSERT (G_N_ELEMENTS (refmount_error_entries) == REFMOUNT_ERROR_N_ERRORS);

/**
 * refmount_error_quark:
 *
 * The #GQuark of #REFMOUNT_ERROR.  Calling it registers the domain with
 * GDBus, so that remote `org.refmount.Refmount1.Error.*` errors arrive as
 * #RefmountError codes (and the daemon's codes go out under those names).
 *
 * Returns: the error domain
 */
GQuark
refmount_error_quark (void)
{
  static gsize quark = 0;

  /* Registering the domain makes GDBus map these codes to the D-Bus names
   * on both ends, so clients linking the library get typed errors back. */
  g_dbus_error_register_error_domain ("refmount-error-quark",
                                      &quark,
                                      refmount_error_entries,
                                      G_N_ELEMENTS (refmount_error_entries));
  return (GQuark) quark;
}
