/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "refmount-daemon.h"
#include "refmount-fake-backend.h"

/*
 * The real daemon over the in-memory fake backend, for integration tests
 * of behaviour the kernel will not produce on demand: a mount that never
 * returns.  Mounts whose source equals $REFMOUNT_FAKE_HANG_SOURCE block
 * forever.  Usage as refmountd: --config=FILE --state-dir=DIR.
 */
int
main (int    argc,
      char **argv)
{
  RefmountDaemonOptions options = { 0 };
  FakeBackend          *fake = fake_backend_new ();
  const char           *hang = g_getenv ("REFMOUNT_FAKE_HANG_SOURCE");

  for (int i = 1; i < argc; i++)
    {
      if (g_str_has_prefix (argv[i], "--config="))
        options.config_path = argv[i] + strlen ("--config=");
      else if (g_str_has_prefix (argv[i], "--state-dir="))
        options.state_dir = argv[i] + strlen ("--state-dir=");
      else if (g_strcmp0 (argv[i], "--verbose") == 0)
        g_log_set_debug_enabled (TRUE);
      else
        {
          g_printerr ("refmountd-fake: unknown argument %s\n", argv[i]);
          return 2;
        }
    }
  fake->hang_source = g_strdup (hang);
  options.backend = &fake->parent;
  return refmount_daemon_run (&options);
}
