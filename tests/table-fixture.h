/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "refmount-fake-backend.h"
#include "refmount-table-private.h"

G_BEGIN_DECLS

/* A table over the fake backend in a temporary mount root. */
typedef struct
{
  char           *tmpdir;
  char           *root;
  char           *state_dir;
  FakeBackend    *fake;
  RefmountConfig *config;
  GMainContext   *context;
  RefmountTable  *table;
  guint           changes;
} Fixture;

void     fixture_setup (Fixture *fx, gconstpointer data);
void     fixture_teardown (Fixture *fx, gconstpointer data);
void     rm_rf (const char *path);
char    *mp (Fixture *fx, const char *name);
gboolean attach_full (Fixture *fx, const char *mountpoint, const char *source, const char *attachment, guint32 uid, const char *const *options, GError **error);
gboolean attach (Fixture *fx, const char *mountpoint, const char *attachment, GError **error);
gboolean detach_full (Fixture *fx, const char *mountpoint, const char *attachment, guint32 uid, gboolean others_allowed, gboolean *unmounted, guint32 *owner, GError **error);
gboolean detach (Fixture *fx, const char *mountpoint, const char *attachment, gboolean *unmounted, GError **error);
guint    n_attachments (Fixture *fx, const char *mountpoint);
char    *record_state (Fixture *fx, const char *mountpoint);
void     iterate_until (Fixture *fx, gboolean (*cond) (Fixture *fx, const char *m), const char *m);
gboolean is_unmounted (Fixture *fx, const char *m);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

G_END_DECLS
