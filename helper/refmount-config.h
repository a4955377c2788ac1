/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Per-fstype settings from a "[Filesystem TYPE]" group. */
typedef struct
{
  char    *fstype;
  GStrv    allowed_options; /* option names a caller may pass */
  GStrv    forced_options;  /* full options ("name" or "name=value") always added */
  gboolean use_helper;      /* may libmount run /sbin/mount.TYPE */
  /* Health probes (refmount-health.c): every @health_interval_sec
   * seconds (0: off; Usage is still refreshed), each given
   * @health_timeout_sec; AutoRecover remounts a stale-handle mount. */
  guint    health_interval_sec;
  guint    health_timeout_sec;
  gboolean auto_recover;
} RefmountFsConfig;

/* Health defaults: on for network and FUSE types (refmount_config_
 * fstype_is_network()), off for local ones. */
#define REFMOUNT_HEALTH_DEFAULT_INTERVAL_SEC 30
#define REFMOUNT_HEALTH_DEFAULT_TIMEOUT_SEC  10

gboolean refmount_config_fstype_is_network (const char *fstype);

/*
 * An immutable, reference-counted snapshot of the configuration.  Reload
 * swaps the daemon's pointer; operations in flight keep the snapshot they
 * started with, so one request never sees two configurations.
 */
typedef struct
{
  GStrv mount_roots; /* absolute, normalised, no trailing '/' */
  GStrv allowed_filesystems;
  GStrv forced_options;           /* [Daemon] ForcedOptions, default nosuid;nodev */
  guint mount_timeout_sec;        /* default 90 */
  guint max_mounts;               /* default 4096 */
  guint max_attachments_per_user; /* default 1024 */
  /* The request pipeline (doc/request-pipeline.md). */
  guint       authorization_timeout_sec;             /* default 30 */
  guint       interactive_authorization_timeout_sec; /* default 300 */
  guint       max_calls_per_client;                  /* default 64; calls in flight per bus connection */
  guint       max_calls_per_user;                    /* default 128; per uid, root exempt */
  guint       max_calls_total;                       /* default 1024 */
  GHashTable *filesystems;                           /* fstype -> RefmountFsConfig* */
} RefmountConfig;

/* Built-in defaults: those of doc/design.md "Configuration" (used when the
 * main file is absent), parsed from data/refmount.conf as compiled in
 * (refmount.gresource.xml): the shipped file is the only place they are
 * written down. */
RefmountConfig *refmount_config_new_default (void);
/* That compiled-in copy of data/refmount.conf. */
GBytes *refmount_config_get_builtin_data (void);

/*
 * Load @path (a missing file is an error unless @missing_ok, in which case
 * the defaults are used) and then merge "@path.d/ *.conf" drop-ins in
 * lexical order.  Every malformed value is a G_KEY_FILE_ERROR or
 * G_IO_ERROR naming the file, group and key.
 */
RefmountConfig *refmount_config_load (const char *path,
                                      gboolean    missing_ok,
                                      GError    **error);
/* The defaults, then one file's contents (@name only labels errors); no
 * drop-ins.  For the fuzzer and for tests. */
RefmountConfig *refmount_config_load_from_data (const char *data,
                                                gsize       length,
                                                const char *name,
                                                GError    **error);
RefmountConfig *refmount_config_ref (RefmountConfig *config);
void            refmount_config_unref (RefmountConfig *config);

/* NULL when the fstype has no group (then: no options allowed beyond none,
 * UseHelper=false, no per-fs forced options). */
const RefmountFsConfig *refmount_config_get_fs (const RefmountConfig *config,
                                                const char           *fstype);
gboolean                refmount_config_fs_allowed (const RefmountConfig *config,
                                                    const char           *fstype);

/*
 * Mount roots must exist (created 0755 when @create is TRUE and missing),
 * be directories owned by @owner_uid and not group/world writable, and
 * every ancestor likewise not writable by others.
 */
gboolean refmount_config_check_roots (const RefmountConfig *config,
                                      uid_t                 owner_uid,
                                      gboolean              create,
                                      GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RefmountConfig, refmount_config_unref)

G_END_DECLS
