/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <gio/gio.h>

#include "refmount-auth.h"
#include "refmount-config.h"
#include "refmount-table.h"

G_BEGIN_DECLS

/*
 * The Manager's semantics as plain functions of (request, caller, config,
 * table), with no bus: the request pipeline (refmount-daemon-pipeline.c)
 * calls them, and so do unit tests.  The method table below is the one
 * place that says what each method needs: whether it waits for its
 * mountpoint's entry and what polkit is asked.  Deny by default: a member
 * that is not in the table is not served, and an authorization step that
 * names an action must be granted by polkit (uid 0 excepted).
 */

typedef enum
{
  REFMOUNT_METHOD_MOUNT,
  REFMOUNT_METHOD_UNMOUNT,
  REFMOUNT_METHOD_GET_MOUNT,
  REFMOUNT_METHOD_RELOAD,
  REFMOUNT_METHOD_RECOVER,
} RefmountMethodKind;

/* A validated request.  The strings point into @body (held). */
typedef struct
{
  RefmountMethodKind kind;
  GVariant          *body;
  const char        *fstype;
  const char        *source;
  const char        *attachment;
  char              *mountpoint; /* canonical; derived when the caller passed "" */
  const char       **options;    /* the array is owned, the strings are in @body */
  gboolean           release_on_exit;
  gboolean           owner; /* Mount flag "owner" */
  gboolean           show;  /* Mount flag "show" */
  gboolean           force;
  gboolean           lazy;
  /* Mount with "owner": @options plus the ownership options of the
   * caller (refmount_request_resolve_owner()). */
  char **owned_options;
} RefmountRequest;

typedef struct
{
  guint32     uid;
  gint64      pid;      /* -1: unknown */
  const char *bus_name; /* unique name */
} RefmountCaller;

/* One question for polkit: @action NULL means there is nothing to ask.
 * The agent shows the action's own message (polkit/org.refmount.policy). */
typedef struct
{
  const char *action;
} RefmountAuthStep;

/* The polkit details of a request (SPEC §3); @record (the mountpoint's
 * committed record, or NULL) fills in what an Unmount does not name. */
typedef void (*RefmountDetailsFunc) (const RefmountRequest *request,
                                     const RefmountRecord  *record,
                                     RefmountAuthDetails   *details);

typedef struct
{
  const char        *member;
  RefmountMethodKind kind;
  /* Serialised on the mountpoint's entry (waits in its queue); creating
   * the entry when absent. */
  gboolean         needs_entry;
  gboolean         creates_entry;
  RefmountAuthStep call;  /* asked before the operation */
  RefmountAuthStep flags; /* asked instead when force/lazy is set */
  /* Owner-dependent: asked only once the operation found that its target
   * belongs to another uid (then it is repeated with the grant). */
  gboolean            owner_dependent;
  RefmountAuthStep    others;
  RefmountDetailsFunc details;
} RefmountMethod;

/* NULL when refmount does not serve @member on the Manager interface. */
const RefmountMethod *refmount_method_lookup (const char *member);
/* What to ask polkit before @request's operation. */
const RefmountAuthStep *refmount_method_auth_step (const RefmountMethod  *method,
                                                   const RefmountRequest *request);

/* The owner-dependent second step of an Unmount, a plain function of
 * (request, caller, the mountpoint's record): a step with no action when
 * @caller may release the attachment now (its own; uid 0;
 * @others_granted), the Unmount method's `others` step
 * (org.refmount.unmount-others) when it belongs to another uid
 * (*out_owner), NULL with NotFound (no record) or NotAttached. */
const RefmountAuthStep *refmount_manager_unmount_step (const RefmountRequest *request,
                                                       const RefmountCaller  *caller,
                                                       const RefmountRecord  *record,
                                                       gboolean               others_granted,
                                                       guint32               *out_owner,
                                                       GError               **error);

/* Validate @body (of the method's D-Bus signature) in the documented
 * order (SPEC §5) against @config: InvalidArgument naming the argument. */
gboolean refmount_request_parse (RefmountRequest      *request,
                                 const RefmountMethod *method,
                                 GVariant             *body,
                                 RefmountConfig       *config,
                                 GError              **error);
void     refmount_request_clear (RefmountRequest *request);
/* What depends on the caller and is checked before authorization, with
 * no lookup (the main thread runs it): a Mount with "owner" of a type
 * that cannot be owned is InvalidArgument. */
gboolean refmount_request_check_caller (const RefmountRequest *request,
                                        const RefmountCaller  *caller,
                                        GError               **error);
/* The ownership options of a Mount with "owner" for the caller and its
 * primary group @gid (pure). */
gboolean refmount_request_resolve_owner (RefmountRequest      *request,
                                         const RefmountCaller *caller,
                                         guint32               gid,
                                         GError              **error);

char *refmount_manager_object_path (const char *mountpoint);

/* With @waiter granted (its lock is used up): attach, reply "(os)".
 * With "owner", first the caller's group from the user database (NSS),
 * on a runner thread under @deadline with the entry held (Timeout when it
 * does not answer; InvalidArgument when the uid has no entry); the
 * ownership options go into @request. */
GVariant *refmount_manager_mount (RefmountTable        *table,
                                  RefmountConfig       *config,
                                  RefmountTableWaiter  *waiter,
                                  RefmountRequest      *request,
                                  const RefmountCaller *caller,
                                  gint64                deadline,
                                  GError              **error);
/* With @waiter granted: detach, reply "(b)".  When the attachment belongs
 * to another uid and !@others_allowed: NULL, NotAuthorized and
 * *needs_others set; nothing changed (ask the method's others step, then
 * call again with a new waiter). */
GVariant *refmount_manager_unmount (RefmountTable         *table,
                                    RefmountConfig        *config,
                                    RefmountTableWaiter   *waiter,
                                    const RefmountRequest *request,
                                    const RefmountCaller  *caller,
                                    gboolean               others_allowed,
                                    gint64                 deadline,
                                    gboolean              *needs_others,
                                    GError               **error);
/* With @waiter granted: Recover (refmount-table-recover.c), reply "()". */
GVariant *refmount_manager_recover (RefmountTable         *table,
                                    RefmountConfig        *config,
                                    RefmountTableWaiter   *waiter,
                                    const RefmountRequest *request,
                                    const RefmountCaller  *caller,
                                    gint64                 deadline,
                                    GError               **error);
/* No lock: the committed record.  Reply "(o)". */
GVariant *refmount_manager_get_mount (RefmountTable         *table,
                                      const RefmountRequest *request,
                                      GError               **error);

G_END_DECLS
