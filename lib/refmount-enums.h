/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * RefmountMountFlags:
 * @REFMOUNT_MOUNT_FLAGS_NONE: No flags.
 * @REFMOUNT_MOUNT_FLAGS_RELEASE_ON_EXIT: refmount_client_mount_async() only:
 *   release the attachment when this client's bus connection closes.
 * @REFMOUNT_MOUNT_FLAGS_FORCE: refmount_client_unmount_async() only: MNT_FORCE
 *   (needs the `org.refmount.manage` authorization).
 * @REFMOUNT_MOUNT_FLAGS_LAZY: refmount_client_unmount_async() only: MNT_DETACH
 *   (needs the `org.refmount.manage` authorization).
 * @REFMOUNT_MOUNT_FLAGS_OWNER: refmount_client_mount_async() only: the mount
 *   belongs to the caller: refmountd adds the caller's uid=/gid= and
 *   options that keep it private (tmpfs, cifs, smb3, fuse.sshfs; other
 *   types: %REFMOUNT_ERROR_INVALID_ARGUMENT), and another uid's mount
 *   there is a %REFMOUNT_ERROR_CONFLICT.
 * @REFMOUNT_MOUNT_FLAGS_SHOW: refmount_client_mount_async() only: file
 *   managers should show the mount (it is marked for GIO's volume
 *   monitor).  %REFMOUNT_MOUNT_FLAGS_OWNER implies it.
 *
 * Flags of refmount_client_mount_async() and refmount_client_unmount_async().  A flag
 * that does not apply to the call is rejected with
 * %REFMOUNT_ERROR_INVALID_ARGUMENT before anything is sent.
 */
typedef enum /*< flags >*/
{
  REFMOUNT_MOUNT_FLAGS_NONE = 0,
  REFMOUNT_MOUNT_FLAGS_RELEASE_ON_EXIT = 1 << 0,
  REFMOUNT_MOUNT_FLAGS_FORCE = 1 << 1,
  REFMOUNT_MOUNT_FLAGS_LAZY = 1 << 2,
  REFMOUNT_MOUNT_FLAGS_OWNER = 1 << 3,
  REFMOUNT_MOUNT_FLAGS_SHOW = 1 << 4,
} RefmountMountFlags;

/**
 * RefmountClientFlags:
 * @REFMOUNT_CLIENT_FLAGS_NONE: Load and follow the daemon's mounts.
 * @REFMOUNT_CLIENT_FLAGS_DO_NOT_FOLLOW: Only make calls: do not load or
 *   follow the daemon's objects.  refmount_client_get_mounts() is then
 *   empty, the change and daemon signals are never emitted,
 *   #RefmountClient:daemon-running stays %FALSE and the manager's
 *   properties read as unknown; refmount_client_get_mount_sync() still
 *   works (it reads the mount's properties when asked).  For clients that
 *   make many calls and watch nothing: they are not woken by every change
 *   on the system.
 * @REFMOUNT_CLIENT_FLAGS_REQUIRE_DAEMON: Construction fails unless
 *   refmountd runs or D-Bus activation starts it, with the bus's error
 *   (%G_DBUS_ERROR_SERVICE_UNKNOWN when it is not activatable,
 *   %G_DBUS_ERROR_SPAWN_CHILD_EXITED when it failed to start, ...).
 *   Without it, a client created while the daemon is away waits for it.
 *
 * Flags of refmount_client_new_async() and refmount_client_new_full_sync().
 */
typedef enum /*< flags >*/
{
  REFMOUNT_CLIENT_FLAGS_NONE = 0,
  REFMOUNT_CLIENT_FLAGS_DO_NOT_FOLLOW = 1 << 0,
  REFMOUNT_CLIENT_FLAGS_REQUIRE_DAEMON = 1 << 1,
} RefmountClientFlags;

/**
 * RefmountMountState:
 * @REFMOUNT_MOUNT_STATE_UNKNOWN: A state this version of the library does
 *   not know (a newer daemon), or none reported yet.
 * @REFMOUNT_MOUNT_STATE_MOUNTED: Mounted.
 * @REFMOUNT_MOUNT_STATE_BUSY: No attachments left, but the unmount was
 *   deferred because the filesystem is busy; refmountd retries it.
 * @REFMOUNT_MOUNT_STATE_STALE: Recorded, but no longer mounted in the
 *   kernel; the next mount of that mountpoint remounts it.
 *
 * The state of a managed mountpoint (the `State` property of
 * `org.refmount.Refmount1.Mount`).
 */
typedef enum
{
  REFMOUNT_MOUNT_STATE_UNKNOWN,
  REFMOUNT_MOUNT_STATE_MOUNTED,
  REFMOUNT_MOUNT_STATE_BUSY,
  REFMOUNT_MOUNT_STATE_STALE,
} RefmountMountState;

/**
 * RefmountMountHealth:
 * @REFMOUNT_MOUNT_HEALTH_UNKNOWN: Not probed yet, health checks are off
 *   for the type, not mounted, another error (see
 *   refmount_mount_get_health_message()), or a value this version of the
 *   library does not know.
 * @REFMOUNT_MOUNT_HEALTH_OK: The last probe answered.
 * @REFMOUNT_MOUNT_HEALTH_UNRESPONSIVE: A probe did not answer in time (and
 *   stays so while it is stuck).
 * @REFMOUNT_MOUNT_HEALTH_STALE_HANDLE: ESTALE, or a FUSE mount whose server
 *   is gone: refmount_client_recover_async() helps.
 *
 * What the daemon's last probe of a mount found (the `Health` property of
 * `org.refmount.Refmount1.Mount`).
 */
typedef enum
{
  REFMOUNT_MOUNT_HEALTH_UNKNOWN,
  REFMOUNT_MOUNT_HEALTH_OK,
  REFMOUNT_MOUNT_HEALTH_UNRESPONSIVE,
  REFMOUNT_MOUNT_HEALTH_STALE_HANDLE,
} RefmountMountHealth;

G_END_DECLS
