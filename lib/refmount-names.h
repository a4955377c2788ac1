/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every name that is part of refmount's external contract (doc/dbus-api.md,
 * doc/design.md): D-Bus names and paths, polkit actions, config groups and
 * keys, flag keys, mount states and default paths.  Nothing else may spell
 * these strings.
 */
#pragma once

/* The D-Bus names: installed, for the library's clients. */
#include "refmount-dbus.h"

/* The Manager's ApiVersion: bumped by one with every release that adds
 * to org.refmount.Refmount1 (doc/dbus-api.md, "Revisions"). */
#define REFMOUNT_API_VERSION 1

#define REFMOUNT_ACTION_MOUNT          "org.refmount.mount"
#define REFMOUNT_ACTION_UNMOUNT_OTHERS "org.refmount.unmount-others"
#define REFMOUNT_ACTION_MANAGE         "org.refmount.manage"
#define REFMOUNT_GETTEXT_DOMAIN        "refmount"

#define REFMOUNT_FLAG_RELEASE_ON_EXIT "release-on-exit"
#define REFMOUNT_FLAG_FORCE           "force"
#define REFMOUNT_FLAG_LAZY            "lazy"
#define REFMOUNT_FLAG_OWNER           "owner"
#define REFMOUNT_FLAG_SHOW            "show"

#define REFMOUNT_STATE_MOUNTED "mounted"
#define REFMOUNT_STATE_BUSY    "busy"
#define REFMOUNT_STATE_STALE   "stale"

/* Mount.Health values. */
#define REFMOUNT_HEALTH_NAME_UNKNOWN      "unknown"
#define REFMOUNT_HEALTH_NAME_OK           "ok"
#define REFMOUNT_HEALTH_NAME_UNRESPONSIVE "unresponsive"
#define REFMOUNT_HEALTH_NAME_STALE_HANDLE "stale-handle"

#define REFMOUNT_CONFIG_GROUP_DAEMON                 "Daemon"
#define REFMOUNT_CONFIG_GROUP_FS_PREFIX              "Filesystem "
#define REFMOUNT_CONFIG_KEY_MOUNT_ROOTS              "MountRoots"
#define REFMOUNT_CONFIG_KEY_ALLOWED_FS               "AllowedFilesystems"
#define REFMOUNT_CONFIG_KEY_FORCED_OPTS              "ForcedOptions"
#define REFMOUNT_CONFIG_KEY_TIMEOUT                  "MountTimeoutSec"
#define REFMOUNT_CONFIG_KEY_MAX_MOUNTS               "MaxMounts"
#define REFMOUNT_CONFIG_KEY_MAX_ATTACH               "MaxAttachmentsPerUser"
#define REFMOUNT_CONFIG_KEY_AUTH_TIMEOUT             "AuthorizationTimeoutSec"
#define REFMOUNT_CONFIG_KEY_AUTH_TIMEOUT_INTERACTIVE "InteractiveAuthorizationTimeoutSec"
#define REFMOUNT_CONFIG_KEY_MAX_CALLS_CLIENT         "MaxCallsPerClient"
#define REFMOUNT_CONFIG_KEY_MAX_CALLS_USER           "MaxCallsPerUser"
#define REFMOUNT_CONFIG_KEY_MAX_CALLS_TOTAL          "MaxCallsTotal"
#define REFMOUNT_CONFIG_KEY_ALLOWED_OPTS             "AllowedOptions"
#define REFMOUNT_CONFIG_KEY_USE_HELPER               "UseHelper"
/* data/refmount.conf, compiled in as the defaults (refmount.gresource.xml). */
#define REFMOUNT_CONFIG_BUILTIN_PATH "/org/refmount/Refmount1/refmount.conf"

/* Health probes and AutoRecover, per [Filesystem TYPE]. */
#define REFMOUNT_CONFIG_KEY_HEALTH_INTERVAL "HealthIntervalSec"
#define REFMOUNT_CONFIG_KEY_HEALTH_TIMEOUT  "HealthTimeoutSec"
#define REFMOUNT_CONFIG_KEY_AUTO_RECOVER    "AutoRecover"

#define REFMOUNT_DEFAULT_CONFIG_FILE    "/etc/refmount/refmount.conf"
#define REFMOUNT_DEFAULT_STATE_DIR      "/run/refmount"
#define REFMOUNT_DEFAULT_MOUNT_ROOT     "/run/refmount/mounts"
#define REFMOUNT_STATE_FILE_NAME        "state"
#define REFMOUNT_STATE_CORRUPT_PREFIX   "state.corrupt-"
#define REFMOUNT_JOURNAL_FILE_NAME      "journal"
#define REFMOUNT_JOURNAL_CORRUPT_PREFIX "journal.corrupt-"

/* Limits on caller-supplied strings (doc/dbus-api.md "Mount", doc/design.md
 * "Validation and confinement"). */
#define REFMOUNT_ATTACHMENT_MAX_LEN 255
#define REFMOUNT_SOURCE_MAX_LEN     1024
#define REFMOUNT_OPTION_MAX_LEN     1024
#define REFMOUNT_OPTIONS_MAX_COUNT  64
