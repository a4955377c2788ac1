/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "refmount-config.h"
#include "refmount-table.h"

G_BEGIN_DECLS

/*
 * Health and usage of every managed mount (doc/network-filesystems.md,
 * "Health and usage").  A scheduler thread of its own starts one probe
 * thread per due mount (never on a worker, never on the main loop); a
 * probe opens the mountpoint beneath its root and asks the filesystem
 * (fstatfs, statx with AT_STATX_FORCE_SYNC).  At most one probe per
 * mount is in flight; one that misses its deadline makes the mount
 * "unresponsive" and, while it stays stuck in the kernel, is neither
 * repeated nor waited for.  Stuck probe threads are counted and capped
 * (REFMOUNT_HEALTH_MAX_STUCK): at the cap no new probe starts until one
 * returns.  Health is kept in memory only: it describes the present.
 */

typedef enum
{
  REFMOUNT_HEALTH_UNKNOWN,
  REFMOUNT_HEALTH_OK,
  REFMOUNT_HEALTH_UNRESPONSIVE,
  REFMOUNT_HEALTH_STALE_HANDLE,
} RefmountHealthState;

/* Probe threads stuck in the kernel at most; logged when reached. */
#define REFMOUNT_HEALTH_MAX_STUCK 32
/* Probes running (not stuck) at the same time at most. */
#define REFMOUNT_HEALTH_MAX_RUNNING 8
/* How often Usage is refreshed for types with HealthIntervalSec=0. */
#define REFMOUNT_HEALTH_USAGE_INTERVAL_SEC 10

const char *refmount_health_state_to_string (RefmountHealthState state);

typedef struct _RefmountHealth RefmountHealth;

/* The result of one probe: 0 (ok, @usage filled in: size, free and
 * available bytes) or an errno; @message may explain it. */
typedef int (*RefmountHealthProbeFunc) (const char *root,
                                        const char *relative,
                                        guint64     usage[3],
                                        char      **message,
                                        gpointer    user_data);

/* The Mount properties Health, HealthCheckedAt, HealthMessage or Usage of
 * @mountpoint changed (@changed: a{sv} of those that did, floating).
 * Called without any lock of the health module held, in order per
 * mountpoint, from any thread. */
typedef void (*RefmountHealthChangedFunc) (const char *mountpoint,
                                           GVariant   *changed,
                                           gpointer    user_data);
/* The configuration in force (a new reference). */
typedef RefmountConfig *(*RefmountHealthConfigFunc) (gpointer user_data);

RefmountHealth *refmount_health_new (RefmountHealthConfigFunc  get_config,
                                     RefmountHealthChangedFunc changed,
                                     gpointer                  user_data);
/* The table AutoRecover recovers mounts in. */
void refmount_health_set_table (RefmountHealth *health,
                                RefmountTable  *table);
/* Tests replace the probe (the default asks the kernel). */
void refmount_health_set_probe (RefmountHealth         *health,
                                RefmountHealthProbeFunc probe,
                                gpointer                user_data);
/* Start the scheduler thread. */
void refmount_health_start (RefmountHealth *health);
/* Stop it and wait for it (tests); probes still stuck are left behind. */
void refmount_health_free (RefmountHealth *health);

/* A mount's published record changed (NULL: it is gone).  Cheap: called
 * by the table's change callback with the entry locked. */
void refmount_health_track (RefmountHealth *health,
                            const char     *mountpoint,
                            GVariant       *record);

/* The four properties of @mountpoint as a{sv} (floating); those of an
 * untracked mountpoint are "unknown", 0, "", (0, 0, 0). */
GVariant *refmount_health_properties (RefmountHealth *health,
                                      const char     *mountpoint);

/* Probe threads stuck in the kernel now. */
guint refmount_health_get_stuck (RefmountHealth *health);

G_END_DECLS
