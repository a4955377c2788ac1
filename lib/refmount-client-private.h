/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared between the client object (refmount-client.c) and its method
 * calls (refmount-client-calls.c). */
#pragma once

#include "refmount-client.h"

G_BEGIN_DECLS

/* The cached mount at OBJECT_PATH, or NULL (transfer none). */
RefmountMount *refmount_client_peek_mount_at (RefmountClient *client,
                                              const char     *object_path);

/* The ObjectManager client, or NULL (DO_NOT_FOLLOW) (transfer none). */
GDBusObjectManager *refmount_client_peek_object_manager (RefmountClient *client);

/* The flags and timeout every Manager call of CLIENT is made with. */
GDBusCallFlags refmount_client_call_flags (RefmountClient *client);
int            refmount_client_call_timeout (RefmountClient *client);

/* Removes the remote-error prefix from ERROR's message where GDBus mapped
 * the D-Bus error name to a domain and code (NULL is fine). */
void refmount_client_strip_error (GError *error);

G_END_DECLS
