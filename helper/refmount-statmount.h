/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The source and filesystem type of the mount whose root @fd (any fd on
 * the root directory of a mount) is, through statx(2)'s unique mount id
 * and statmount(2) (Linux 6.8; the source needs 6.13 or so).  O(1),
 * where the same answer from /proc/self/mountinfo costs a read of every
 * mount on the host.
 *
 * FALSE when the kernel cannot answer (ENOSYS, a field it does not know):
 * the caller falls back to mountinfo.  The type is spelled as mountinfo
 * spells it ("fuse.sshfs" for a FUSE subtype).
 */
gboolean refmount_statmount_lookup (int    fd,
                                    char **out_source,
                                    char **out_fstype);

G_END_DECLS
