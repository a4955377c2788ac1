/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Checks of the D-Bus contract (doc/dbus-api.md) that need a real
 * client library's view of the bus, not gdbus(1)'s: what a GDBusProxy
 * has in its property cache when a reply callback runs.
 *
 *   refmount-contract-client reload-order CONFIG A B N
 *
 * N times: install configuration A or B (alternately) as CONFIG, call
 * Manager.Reload through a proxy, and in the reply callback read the
 * proxy's cached SupportedFilesystems.  The reply must come after the
 * Manager's PropertiesChanged, so the cache must already show the new
 * value (A and B differ in whether they allow "ramfs").  Prints how
 * many replies saw a stale cache; exit status 1 if any did.
 */
#include <gio/gio.h>
#include <stdlib.h>

#define BUS_NAME          "org.refmount.Refmount1"
#define MANAGER_PATH      "/org/refmount/Refmount1/Manager"
#define MANAGER_INTERFACE "org.refmount.Refmount1.Manager"

typedef struct
{
  GMainLoop *loop;
  gboolean   want_ramfs;
  guint      stale;
  GError    *error;
} ReloadCheck;

static gboolean
cached_has_ramfs (GDBusProxy *proxy)
{
  g_autoptr (GVariant)    value = g_dbus_proxy_get_cached_property (proxy, "SupportedFilesystems");
  g_autofree const char **types = NULL;

  if (value == NULL)
    return FALSE;
  types = g_variant_get_strv (value, NULL);
  return g_strv_contains (types, "ramfs");
}

static void
reload_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  ReloadCheck         *check = user_data;
  g_autoptr (GVariant) reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source), result, &check->error);

  if (reply != NULL && cached_has_ramfs (G_DBUS_PROXY (source)) != check->want_ramfs)
    check->stale++;
  g_main_loop_quit (check->loop);
}

static gboolean
install (const char *from,
         const char *to,
         GError    **error)
{
  g_autofree char *contents = NULL;
  gsize            length;

  return g_file_get_contents (from, &contents, &length, error) &&
         g_file_set_contents (to, contents, (gssize) length, error);
}

static int
reload_order (const char *config,
              const char *a,
              const char *b,
              guint       n)
{
  g_autoptr (GError)     error = NULL;
  g_autoptr (GDBusProxy) proxy = NULL;
  g_autoptr (GMainLoop)  loop = g_main_loop_new (NULL, FALSE);
  ReloadCheck            check = { loop, FALSE, 0, NULL };

  proxy = g_dbus_proxy_new_for_bus_sync (G_BUS_TYPE_SYSTEM, G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START, NULL,
                                         BUS_NAME, MANAGER_PATH, MANAGER_INTERFACE, NULL, &error);
  if (proxy == NULL)
    {
      g_printerr ("Cannot create the Manager proxy: %s\n", error->message);
      return 2;
    }

  for (guint i = 0; i < n; i++)
    {
      const char *from = i % 2 == 0 ? a : b;

      if (!install (from, config, &error))
        {
          g_printerr ("Cannot install %s as %s: %s\n", from, config, error->message);
          return 2;
        }
      /* A allows ramfs, B does not (the test writes them so). */
      check.want_ramfs = from == a;
      g_dbus_proxy_call (proxy, "Reload", NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, reload_done, &check);
      g_main_loop_run (loop);
      if (check.error != NULL)
        {
          g_printerr ("Reload %u failed: %s\n", i, check.error->message);
          g_clear_error (&check.error);
          return 2;
        }
    }
  g_print ("%u of %u Reload replies came before the Manager's PropertiesChanged\n", check.stale, n);
  return check.stale == 0 ? 0 : 1;
}

int
main (int    argc,
      char **argv)
{
  if (argc == 6 && g_str_equal (argv[1], "reload-order"))
    return reload_order (argv[2], argv[3], argv[4], (guint) strtoul (argv[5], NULL, 10));
  g_printerr ("usage: %s reload-order CONFIG A B N\n", argv[0]);
  return 2;
}
