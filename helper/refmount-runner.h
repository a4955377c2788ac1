/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Runs blocking backend calls (mount(2), umount(2), helpers) on a pool of
 * threads of their own, so that a call stuck in the kernel — an NFS server
 * that went away — costs its caller at most a deadline.  The thread that
 * gave up is never joined: when the call finally returns, its @late
 * callback runs on the runner thread to undo or complete what the caller
 * could no longer be told about.
 */
typedef struct _RefmountRunner RefmountRunner;

typedef gboolean (*RefmountRunnerFunc) (gpointer data,
                                        GError **error);
/* Runs on the runner thread after the waiter timed out; then @destroy. */
typedef void (*RefmountRunnerLateFunc) (gpointer      data,
                                        gboolean      ok,
                                        const GError *error);

RefmountRunner *refmount_runner_new (void);
void            refmount_runner_free (RefmountRunner *runner);

/* Returns TRUE when @func finished before @deadline (monotonic µs):
 * *out_ok is its result and @error its error, and @destroy has been called
 * on @data.  Returns FALSE on timeout: @late and @destroy will run later on
 * the runner thread and own @data from now on. */
gboolean refmount_runner_run (RefmountRunner        *runner,
                              RefmountRunnerFunc     func,
                              RefmountRunnerLateFunc late,
                              gpointer               data,
                              GDestroyNotify         destroy,
                              gint64                 deadline,
                              gboolean              *out_ok,
                              GError               **error);

/* Run @func(@data) on a runner thread with nobody waiting for it (the
 * daemon's own work that may block on a filesystem: the vanished check);
 * then @destroy there.  Not counted as abandoned. */
void refmount_runner_submit (RefmountRunner    *runner,
                             RefmountRunnerFunc func,
                             gpointer           data,
                             GDestroyNotify     destroy);

/* Calls whose waiter gave up and that have not returned yet. */
guint refmount_runner_get_abandoned (RefmountRunner *runner);

G_END_DECLS
