/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>
#include <libmount.h>

/* refmount_fds_set_cloexec_from(), which the daemon calls at start too. */
#include "refmount-fd.h"

G_BEGIN_DECLS

/*
 * Mounts that may run a mount helper (UseHelper=true) are not run in the
 * daemon's own process but in a forked child, so that the helper
 *
 *  - gets a fixed, minimal environment (REFMOUNT_HELPER_ENVIRONMENT), never
 *    the daemon's;
 *  - writes its stdout and stderr into a buffer the daemon reads back and
 *    puts into the MountFailed message (fd 1 and 2 are process-wide, so
 *    they cannot be redirected for one thread of the daemon);
 *  - runs at most until @deadline: the child is the leader of a process
 *    group of its own, and the whole group (the helper, and what it
 *    started, such as ssh) is killed when the deadline passes.
 *
 * The helper itself is the one libmount resolves in its fixed search path
 * (/sbin, /sbin/fs.d, /sbin/fs), never through $PATH.
 */

/* The environment a helper runs with (a NULL-terminated "NAME=value" list). */
extern const char *const refmount_helper_environment[];

/* The outcome of one mnt_context_mount() run in a child. */
typedef struct
{
  gboolean mounted;         /* rc == 0 and status == 1 */
  gboolean timed_out;       /* killed at @deadline */
  gboolean helper_executed; /* a /sbin/mount.TYPE ran */
  int      helper_status;   /* its exit status */
  int      syscall_errno;   /* mount(2)'s errno when the daemon called it */
  char    *message;         /* libmount's reason (mnt_context_get_excode) */
  char    *output;          /* the helper's stdout+stderr, cleaned up; may be "" */
} RefmountHelperResult;

void refmount_helper_result_clear (RefmountHelperResult *result);

/* Run mnt_context_mount (@cxt) in a child process until @deadline
 * (monotonic µs; 0 = no deadline).  Returns FALSE with @error only when
 * the child could not be started at all; everything else is in @result. */
gboolean refmount_helper_child_mount (struct libmnt_context *cxt,
                                      gint64                 deadline,
                                      RefmountHelperResult  *result,
                                      GError               **error);

/* @raw (any bytes) as one line for a message: invalid UTF-8 and control
 * characters replaced, lines joined with "; ", at most @max_len bytes. */
char *refmount_helper_clean_output (const char *raw,
                                    gsize       len,
                                    gsize       max_len);

G_END_DECLS
