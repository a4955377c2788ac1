/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Order matters: it indexes the D-Bus name table in refmount-error.c. */
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
  /* Not authorized because the user dismissed the authentication dialog
   * (polkit's "polkit.dismissed"), as udisks' NotAuthorizedDismissed:
   * a client then says nothing more than that, instead of advice. */
  REFMOUNT_ERROR_NOT_AUTHORIZED_DISMISSED,
} RefmountError;

#define REFMOUNT_ERROR_N_ERRORS (REFMOUNT_ERROR_NOT_AUTHORIZED_DISMISSED + 1)
#define REFMOUNT_ERROR          (refmount_error_quark ())

GQuark refmount_error_quark (void);

G_END_DECLS
