/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * refmountctl: the command-line client of refmountd.  Shared declarations
 * of its parts: dispatch and the calling commands (refmountctl.c), bus
 * access and error wording (refmountctl-bus.c), the polkit text agent
 * (refmountctl-agent.c), table and JSON output (refmountctl-output.c) and
 * the event stream (refmountctl-monitor.c).
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "refmount-generated.h"

G_BEGIN_DECLS

/* Exit statuses (documented in doc/refmountctl.1.scd). */
#define REFMOUNTCTL_EXIT_OK    0
#define REFMOUNTCTL_EXIT_ERROR 1
#define REFMOUNTCTL_EXIT_USAGE 2

/* Method calls that may ask for a password get no timeout (a human is
 * typing); all others give up after this long.  Longer than the daemon's
 * default MountTimeoutSec (90 s), so its Timeout error arrives first. */
#define REFMOUNTCTL_CALL_TIMEOUT_MSEC (300 * 1000)

typedef struct
{
  const char      *command; /* "mount", "list", ... (for messages) */
  gboolean         no_ask_password;
  GDBusConnection *connection;
} RefmountCtl;

/* refmountctl-bus.c */
gboolean            refmountctl_connect (RefmountCtl *ctl,
                                         GError     **error);
gboolean            refmountctl_ping (RefmountCtl *ctl,
                                      GError     **error);
GVariant           *refmountctl_call_manager (RefmountCtl        *ctl,
                                              const char         *method,
                                              GVariant           *parameters,
                                              const GVariantType *reply_type,
                                              gboolean            may_ask_password,
                                              GError            **error);
GDBusObjectManager *refmountctl_object_manager_new (RefmountCtl *ctl,
                                                    GError     **error);
RefmountMount      *refmountctl_mount_proxy_for (RefmountCtl *ctl,
                                                 const char  *mountpoint,
                                                 GError     **error);
GPtrArray          *refmountctl_collect_mounts (GDBusObjectManager *manager);
RefmountManager    *refmountctl_find_manager (GDBusObjectManager *manager);
char               *refmountctl_describe_error (const GError *error);
int                 refmountctl_fail (RefmountCtl  *ctl,
                                      const GError *error);

/* refmountctl-agent.c */
typedef struct _RefmountCtlAgent RefmountCtlAgent;
RefmountCtlAgent                *refmountctl_agent_start_if_interactive (gboolean  no_ask_password,
                                                                         gboolean *out_interactive);
void                             refmountctl_agent_stop (RefmountCtlAgent *agent);

/* refmountctl-output.c */
typedef enum
{
  REFMOUNTCTL_OUTPUT_TABLE,
  REFMOUNTCTL_OUTPUT_JSON,
} RefmountCtlOutput;

JsonNode *refmountctl_mount_to_json (RefmountMount *mount);
void      refmountctl_print_json (JsonNode *node,
                                  gboolean  pretty);
void      refmountctl_print_list (GPtrArray        *mounts,
                                  RefmountCtlOutput output,
                                  gboolean          legend);
void      refmountctl_print_show (RefmountMount    *mount,
                                  RefmountCtlOutput output);
void      refmountctl_print_status (RefmountManager  *manager,
                                    GPtrArray        *mounts,
                                    RefmountCtlOutput output);
guint     refmountctl_attachment_count (RefmountMount *mount);
char     *refmountctl_escape (const char *s);
char     *refmountctl_format_time (guint64 usec);

/* refmountctl-monitor.c */
int refmountctl_monitor (RefmountCtl      *ctl,
                         RefmountCtlOutput output);

G_END_DECLS
