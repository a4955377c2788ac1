/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>
#include <libmount.h>

G_BEGIN_DECLS

/*
 * The libmount context the libmount backend mounts with, exposed so that
 * unit tests can check exactly what would be mounted (fstype, source,
 * option string, whether helpers may run) without mounting anything.
 * Free with mnt_free_context().
 */
struct libmnt_context *refmount_backend_libmount_mount_context (const char *fstype,
                                                                const char *source,
                                                                const char *target,
                                                                const char *options,
                                                                gboolean    use_helper);

G_END_DECLS
