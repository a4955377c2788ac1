/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * refmountctl: the command-line client of refmountd.  Shared declarations
 * of its parts: dispatch (refmountctl.c), global options and usage errors
 * (refmountctl-options.c), mount and unmount (refmountctl-attach.c), the commands
 * that only read (refmountctl-query.c), mapping a SOURCE or MOUNTPOINT
 * argument to a managed mount (refmountctl-resolve.c), suggestions for
 * typos (refmountctl-suggest.c), bus access
 * (refmountctl-bus.c), errors in words and exit statuses
 * (refmountctl-errors.c), the polkit text agent (refmountctl-agent.c),
 * table and JSON output (refmountctl-output.c) and the event stream
 * (refmountctl-monitor.c).  refmountd is reached through librefmount-1
 * only (RefmountClient, RefmountMount); plain GIO does what the library
 * has no business in (the bus connection's lifetime, the text agent).
 */
#pragma once

#include <stdio.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "refmount.h"

G_BEGIN_DECLS

/* Exit statuses (documented in doc/refmountctl.1.scd, EXIT STATUS).  Each
 * kind of failure a script may want to react to differently has its own;
 * everything else is 1. */
#define REFMOUNTCTL_EXIT_OK             0
#define REFMOUNTCTL_EXIT_ERROR          1
#define REFMOUNTCTL_EXIT_USAGE          2
#define REFMOUNTCTL_EXIT_NOT_AUTHORIZED 3
#define REFMOUNTCTL_EXIT_NOT_FOUND      4 /* no such managed mount, or not attached there */
#define REFMOUNTCTL_EXIT_CONFLICT       5 /* something else is mounted there, or busy */
#define REFMOUNTCTL_EXIT_MOUNT_FAILED   6
#define REFMOUNTCTL_EXIT_TIMEOUT        7
#define REFMOUNTCTL_EXIT_UNAVAILABLE    8 /* refmountd not running, not startable, shutting down */

/* Method calls that may ask for a password get no timeout (a human is
 * typing: RefmountClient:interactive); all others give up after this long
 * (RefmountClient:timeout).  Longer than the daemon's default
 * MountTimeoutSec (90 s), so its Timeout error arrives first. */
#define REFMOUNTCTL_CALL_TIMEOUT_MSEC (300 * 1000)

typedef enum
{
  REFMOUNTCTL_JSON_OFF,
  REFMOUNTCTL_JSON_DEFAULT, /* --json: pretty, but monitor's one line per event */
  REFMOUNTCTL_JSON_PRETTY,
  REFMOUNTCTL_JSON_SHORT,
} RefmountCtlJson;

typedef struct
{
  const char      *command; /* "mount", "list", ... (for messages) */
  gboolean         no_ask_password;
  gboolean         quiet;
  gboolean         no_legend;
  RefmountCtlJson  json;
  GDBusConnection *connection;
  RefmountClient  *client; /* the command's client, once it has one */
} RefmountCtl;

typedef struct RefmountCtlCommand RefmountCtlCommand;

struct RefmountCtlCommand
{
  const char *name;
  const char *synopsis;   /* for refmountctl --help */
  const char *parameters; /* for refmountctl COMMAND --help */
  const char *summary;
  int (*run) (RefmountCtl              *ctl,
              const RefmountCtlCommand *command,
              int                       argc,
              char                    **argv);
};

/* refmountctl-options.c: global options and the parsing shared by the
 * commands */
extern const GOptionEntry refmountctl_global_entries[];
void                      refmountctl_take_global_options (RefmountCtl *ctl);
void                      refmountctl_prepare_json (RefmountCtl *ctl,
                                                    int          argc,
                                                    char       **argv);
int                       refmountctl_usage_error (RefmountCtl *ctl,
                                                   const char  *format,
                                                   ...) G_GNUC_PRINTF (2, 3);
gboolean                  refmountctl_parse_options (RefmountCtl              *ctl,
                                                     const RefmountCtlCommand *command,
                                                     const GOptionEntry       *entries,
                                                     int                      *argc,
                                                     char                   ***argv,
                                                     int                      *status);
gboolean                  refmountctl_check_arguments (RefmountCtl *ctl,
                                                       int          argc,
                                                       char       **argv,
                                                       int          min,
                                                       int          max,
                                                       const char  *expected,
                                                       int         *status);
int                       refmountctl_connect_or_fail (RefmountCtl *ctl);

/* refmountctl-attach.c */
int refmountctl_cmd_mount (RefmountCtl              *ctl,
                           const RefmountCtlCommand *command,
                           int                       argc,
                           char                    **argv);
int refmountctl_cmd_unmount (RefmountCtl              *ctl,
                             const RefmountCtlCommand *command,
                             int                       argc,
                             char                    **argv);

/* refmountctl-query.c */
int refmountctl_cmd_list (RefmountCtl              *ctl,
                          const RefmountCtlCommand *command,
                          int                       argc,
                          char                    **argv);
int refmountctl_cmd_show (RefmountCtl              *ctl,
                          const RefmountCtlCommand *command,
                          int                       argc,
                          char                    **argv);
int refmountctl_cmd_status (RefmountCtl              *ctl,
                            const RefmountCtlCommand *command,
                            int                       argc,
                            char                    **argv);
int refmountctl_cmd_monitor (RefmountCtl              *ctl,
                             const RefmountCtlCommand *command,
                             int                       argc,
                             char                    **argv);
int refmountctl_cmd_recover (RefmountCtl              *ctl,
                             const RefmountCtlCommand *command,
                             int                       argc,
                             char                    **argv);
int refmountctl_cmd_reload (RefmountCtl              *ctl,
                            const RefmountCtlCommand *command,
                            int                       argc,
                            char                    **argv);

/* refmountctl-suggest.c */
guint       refmountctl_edit_distance (const char *a,
                                       const char *b);
const char *refmountctl_closest (const char        *word,
                                 const char *const *candidates);

/* refmountctl-resolve.c */
char          *refmountctl_normalise_mountpoint (const char *arg);
RefmountMount *refmountctl_resolve (RefmountCtl *ctl,
                                    const char  *fstype,
                                    const char  *arg,
                                    GError     **error);
RefmountMount *refmountctl_resolve_argument (RefmountCtl              *ctl,
                                             const RefmountCtlCommand *command,
                                             int                       argc,
                                             char                    **argv,
                                             int                      *status);

/* refmountctl-agent.c */
typedef struct _RefmountCtlAgent RefmountCtlAgent;
RefmountCtlAgent                *refmountctl_agent_start_if_interactive (gboolean  no_ask_password,
                                                                         gboolean *out_interactive);
void                             refmountctl_agent_stop (RefmountCtlAgent *agent);

/* refmountctl-bus.c */
gboolean          refmountctl_connect (RefmountCtl *ctl,
                                       GError     **error);
RefmountClient   *refmountctl_client_new (RefmountCtl        *ctl,
                                          RefmountClientFlags flags,
                                          GError            **error);
gboolean          refmountctl_open (RefmountCtl        *ctl,
                                    RefmountClientFlags flags,
                                    GError            **error);
RefmountCtlAgent *refmountctl_call_begin (RefmountCtl *ctl,
                                          gboolean     may_ask_password);
GPtrArray        *refmountctl_collect_mounts (RefmountClient *client);

/* refmountctl-errors.c */
int   refmountctl_exit_status_for (const GError *error);
char *refmountctl_error_name (const GError *error);
char *refmountctl_describe_error (const GError *error);
int   refmountctl_fail (RefmountCtl  *ctl,
                        const GError *error);
int   refmountctl_fail_with_hint (RefmountCtl  *ctl,
                                  const GError *error,
                                  const char   *hint);
void  refmountctl_print_error (RefmountCtl *ctl,
                               const char  *error_name,
                               const char  *message,
                               const char  *hint,
                               int          status);

/* refmountctl-output.c */
typedef enum
{
  REFMOUNTCTL_OUTPUT_TABLE,
  REFMOUNTCTL_OUTPUT_JSON_PRETTY,
  REFMOUNTCTL_OUTPUT_JSON_SHORT,
} RefmountCtlOutput;

RefmountCtlOutput refmountctl_output (const RefmountCtl *ctl,
                                      gboolean           pretty_by_default);
gsize             refmountctl_display_width (const char *s);
JsonNode         *refmountctl_mount_to_json (RefmountMount *mount);
void              refmountctl_print_json (JsonNode *node,
                                          gboolean  pretty);
void              refmountctl_print_json_to (FILE     *out,
                                             JsonNode *node,
                                             gboolean  pretty);
void              refmountctl_print_list (GPtrArray        *mounts,
                                          RefmountCtlOutput output,
                                          gboolean          legend);
void              refmountctl_print_show (RefmountMount    *mount,
                                          RefmountCtlOutput output);
void              refmountctl_print_status (RefmountClient   *client,
                                            GPtrArray        *mounts,
                                            RefmountCtlOutput output,
                                            gboolean          legend);
guint             refmountctl_attachment_count (RefmountMount *mount);
const char       *refmountctl_state_name (RefmountMountState state);
const char       *refmountctl_health_name (RefmountMountHealth health);
char             *refmountctl_escape (const char *s);
/* Free text (a HealthMessage) for a line of its own: only control
 * characters and backslashes are written as \xNN, spaces stay. */
char *refmountctl_escape_text (const char *s);
char *refmountctl_format_time (guint64 usec);

/* refmountctl-monitor.c */
int refmountctl_monitor (RefmountCtl      *ctl,
                         RefmountCtlOutput output);

G_END_DECLS
