/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the state journal tests share: a temporary state directory with a
 * journal, a model of what a load must give, and a log writer that counts
 * the journal's warnings.
 */
#pragma once

#include <gio/gio.h>
#include <sys/resource.h>

#include "refmount-state-journal.h"

#define HEADER_LEN 24 /* magic and epoch */

typedef struct
{
  char            *dir;
  char            *state;
  char            *journal_path;
  RefmountJournal *journal;
  GHashTable      *model; /* mountpoint -> GVariant record: what a load must give */
} Fixture;

extern guint moved_aside_warnings;
extern guint torn_messages;
extern guint no_journal_warnings;
/* RLIMIT_FSIZE as the test program started. */
extern struct rlimit saved_fsize;

/* Call after g_test_init. */
void journal_fixture_init (void);

GLogWriterOutput journal_fixture_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data);
void             fixture_set_up (Fixture *f, gconstpointer data);
void             fixture_tear_down (Fixture *f, gconstpointer data);
GVariant        *record_variant (const char *mountpoint, guint version);
GVariant        *model_records (Fixture *f);
void             compact (Fixture *f, guint64 generation);
GVariant        *change (Fixture *f, const char *mountpoint, guint version);
void             append (Fixture *f, const char *mountpoint, guint version);
gsize            file_size (const char *path);
GBytes          *file_bytes (const char *path);
void             set_file (const char *path, GBytes *bytes, gsize length);
guint64          journal_epoch (Fixture *f);
void             assert_loads_model (Fixture *f, guint64 generation);
void             assert_moved_aside (Fixture *f, GBytes *state, GBytes *journal);
/* The names in the state directory, sorted and space-separated. */
char *dir_names (Fixture *f);
