/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The configuration loader (one file's contents over the defaults).  The
 * file is the admin's, but a malformed one must be rejected with an error
 * naming it, never crash the daemon or yield an inconsistent config. */
#include "fuzz-common.h"
#include "refmount-config.h"
#include "refmount-validate.h"

#include <string.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (RefmountConfig) config = NULL;
  g_autoptr (GError)         error = NULL;

  fuzz_set_up ();
  config = refmount_config_load_from_data ((const char *) data, size, "fuzz.conf", &error);
  if (config == NULL)
    {
      g_assert (error != NULL);
      g_assert (g_str_has_prefix (error->message, "fuzz.conf"));
      return 0;
    }
  g_assert (error == NULL);
  /* The invariants the rest of the daemon relies on. */
  g_assert (config->mount_roots != NULL && config->mount_roots[0] != NULL);
  for (guint i = 0; config->mount_roots[i] != NULL; i++)
    {
      g_assert (refmount_syntax_path_problem (config->mount_roots[i]) == NULL);
      g_assert (strcmp (config->mount_roots[i], "/") != 0);
    }
  for (guint i = 0; config->forced_options[i] != NULL; i++)
    g_assert (refmount_syntax_option_problem (config->forced_options[i]) == NULL);
  for (guint i = 0; config->allowed_filesystems[i] != NULL; i++)
    {
      const RefmountFsConfig *fs = refmount_config_get_fs (config, config->allowed_filesystems[i]);
      g_autofree char        *mp = NULL;

      g_assert (refmount_config_fs_allowed (config, config->allowed_filesystems[i]));
      if (fs != NULL)
        for (guint j = 0; fs->forced_options[j] != NULL; j++)
          g_assert (refmount_syntax_option_problem (fs->forced_options[j]) == NULL);
      /* A derived mountpoint must pass the checks a caller's would (an
       * over-long fstype may make it too long, which is then rejected). */
      mp = refmount_derive_mountpoint (config, config->allowed_filesystems[i], "host:/x");
      if (strlen (config->allowed_filesystems[i]) < 200 && strlen (mp) < 4000)
        g_assert (refmount_validate_mountpoint (config, mp, NULL, NULL, NULL));
    }
  g_assert (config->mount_timeout_sec > 0);
  return 0;
}
