/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <gio/gio.h>

#include "refmount-show.h"

char *
refmount_show_user_options (const char *source)
{
  g_autofree char *name = g_uri_escape_string (source, NULL, FALSE);

  return g_strdup_printf ("x-gvfs-show,x-gvfs-name=%s", name);
}
