/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "refmount-backend.h"

G_BEGIN_DECLS

typedef struct
{
  const char      *config_path; /* NULL: the default, which may be missing */
  const char      *state_dir;   /* NULL: REFMOUNT_DEFAULT_STATE_DIR */
  RefmountBackend *backend;     /* borrowed; NULL: libmount */
} RefmountDaemonOptions;

/* Run the service until SIGTERM/SIGINT; returns the exit status. */
int refmount_daemon_run (const RefmountDaemonOptions *options);

G_END_DECLS
