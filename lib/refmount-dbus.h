/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The D-Bus names of refmountd's interface (doc/dbus-api.md "Names"), for
 * clients that name the daemon themselves: in messages, or to watch the
 * name.  refmountd and the library use the same definitions.
 */

/**
 * REFMOUNT_BUS_NAME:
 *
 * The well-known name refmountd owns on the system bus.
 */
#define REFMOUNT_BUS_NAME "org.refmount.Refmount1"

/**
 * REFMOUNT_OBJECT_MANAGER_PATH:
 *
 * The path of refmountd's `org.freedesktop.DBus.ObjectManager`.
 */
#define REFMOUNT_OBJECT_MANAGER_PATH "/org/refmount/Refmount1"

/**
 * REFMOUNT_MANAGER_PATH:
 *
 * The path of the object that implements %REFMOUNT_MANAGER_INTERFACE.
 */
#define REFMOUNT_MANAGER_PATH "/org/refmount/Refmount1/Manager"

/**
 * REFMOUNT_MOUNTS_PATH:
 *
 * The path beneath which refmountd exports one object per mount
 * (%REFMOUNT_MOUNT_INTERFACE).
 */
#define REFMOUNT_MOUNTS_PATH "/org/refmount/Refmount1/mounts"

/**
 * REFMOUNT_MANAGER_INTERFACE:
 *
 * The D-Bus interface of the manager object (%REFMOUNT_MANAGER_PATH).
 */
#define REFMOUNT_MANAGER_INTERFACE "org.refmount.Refmount1.Manager"

/**
 * REFMOUNT_MOUNT_INTERFACE:
 *
 * The D-Bus interface of each mount object.
 */
#define REFMOUNT_MOUNT_INTERFACE "org.refmount.Refmount1.Mount"

/**
 * REFMOUNT_ERROR_PREFIX:
 *
 * The prefix of the D-Bus error names refmountd answers with; #RefmountError
 * maps them to its codes.
 */
#define REFMOUNT_ERROR_PREFIX "org.refmount.Refmount1.Error."
