/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

/* test-config and test-config-roots: a private temporary directory,
 * removed (without following symlinks, whatever modes a test left in
 * it) when the fixture is torn down. */
typedef struct
{
  char *dir;
} Fixture;

void fixture_setup (Fixture *fixture, gconstpointer data);
void fixture_teardown (Fixture *fixture, gconstpointer data);
/* @dir/@name with @contents; the path. */
char *write_file (const char *dir, const char *name, const char *contents);
/* The directory @dir/@name with @mode; the path. */
char *make_dir (const char *dir, const char *name, mode_t mode);

G_END_DECLS
