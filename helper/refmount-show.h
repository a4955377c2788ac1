/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * File-manager visibility (the Mount flag "show", on by default for owned
 * mounts): the userspace options GVfs reads from the mount table to list
 * a mount outside /media and /run/media, under a readable name.  They
 * are recorded in libmount's utab (refmount-utab.h), never passed to the
 * kernel or to a mount helper.
 */

/* "x-gvfs-show,x-gvfs-name=NAME": NAME is @source, URI-escaped (GVfs
 * unescapes it; the escaping also keeps ',' and '=' out of the option). */
char *refmount_show_user_options (const char *source);

G_END_DECLS
