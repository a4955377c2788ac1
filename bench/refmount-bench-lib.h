/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The benchmark's calls through librefmount-1, apart from refmount-bench.c:
 * that file also uses the daemon's own headers (the state journal, for
 * populate), whose record types share names with the library's.
 */
#pragma once

#include <gio/gio.h>

gboolean bench_lib_open (GError **error);
gboolean bench_lib_mount (const char *mountpoint,
                          const char *attachment,
                          GError    **error);
gboolean bench_lib_unmount (const char *mountpoint,
                            const char *attachment,
                            GError    **error);
