/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small D-Bus client for refmount's integration tests, for what busctl
 * and gdbus cannot do:
 *
 *   hold FSTYPE SOURCE MOUNTPOINT ATTACHMENT [OPTION...]
 *       Mount with release-on-exit, print "mounted OBJECT MOUNTPOINT" and
 *       keep the bus connection open until stdin reaches EOF or SIGTERM;
 *       then exit without unmounting.
 *
 *   race ITERATIONS MOUNTPOINT OUTSIDE [WATCH]
 *       ITERATIONS times Mount (tmpfs, "refmount-race", MOUNTPOINT) and
 *       Unmount it again over one connection.  After every call check
 *       /proc/self/mountinfo: the number of mounts at or beneath OUTSIDE
 *       must not change (exit 2 at once otherwise).  With WATCH, also
 *       count leaks: a failed Mount or a completed Unmount must leave no
 *       mount strictly beneath WATCH (the mount may have been renamed
 *       there by the race).  Prints a summary; exits 3 if anything leaked.
 *
 *   swap PATH1 PATH2 STOPFILE
 *       Atomically exchange PATH1 and PATH2 (renameat2 RENAME_EXCHANGE)
 *       in a loop until STOPFILE exists.  Prints the number of swaps.
 *
 *   exchange PATH1 PATH2
 *       Exchange them once.
 *
 *   bare MOUNTPOINT ATTACHMENT
 *       Mount a tmpfs and then Unmount it with method calls that carry no
 *       interface name (the D-Bus spec makes it optional); print
 *       "mounted OBJECT" and "unmounted true|false", or "error NAME" and
 *       exit 1 at the first error.
 *
 *   noreply MOUNTPOINT ATTACHMENT
 *       Mount a tmpfs with NO_REPLY_EXPECTED, then wait (GetMount, up to
 *       10 s) until it is managed; print "sent, then mounted".
 *
 * Uses the system bus ($DBUS_SYSTEM_BUS_ADDRESS).  hold and race go
 * through librefmount-1; bare and noreply send hand-made messages, which
 * is their point (the library never sends such calls).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>

#include "refmount-names.h"
#include "refmount.h"

#define BUS_NAME      REFMOUNT_BUS_NAME
#define MANAGER_PATH  REFMOUNT_MANAGER_PATH
#define MANAGER_IFACE REFMOUNT_MANAGER_INTERFACE

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static GVariant *
mount_args (const char        *fstype,
            const char        *source,
            const char        *mountpoint,
            const char *const *options,
            const char        *attachment,
            gboolean           release_on_exit)
{
  GVariantBuilder flags;

  g_variant_builder_init (&flags, G_VARIANT_TYPE_VARDICT);
  if (release_on_exit)
    g_variant_builder_add (&flags, "{sv}", "release-on-exit", g_variant_new_boolean (TRUE));
  return g_variant_new ("(sss^ass@a{sv})", fstype, source, mountpoint, options, attachment,
                        g_variant_builder_end (&flags));
}

static GVariant *
call (GDBusConnection *bus,
      const char      *method,
      GVariant        *args,
      GError         **error)
{
  return g_dbus_connection_call_sync (bus, BUS_NAME, MANAGER_PATH, MANAGER_IFACE, method, args,
                                      NULL, G_DBUS_CALL_FLAGS_NONE, 60000, NULL, error);
}

/* The D-Bus error's short name ("org.refmount.Refmount1.Error.Name" ->
 * "Name"); a local error's message. */
static char *
error_name (const GError *error)
{
  g_autofree char *remote = g_dbus_error_get_remote_error (error);
  const char      *dot;

  /* The library strips the remote name; its codes map back to it. */
  if (remote == NULL && (error->domain == REFMOUNT_ERROR || error->domain == G_DBUS_ERROR))
    remote = g_dbus_error_encode_gerror (error);
  if (remote == NULL)
    return g_strdup (error->message);
  dot = strrchr (remote, '.');
  return g_strdup (dot != NULL ? dot + 1 : remote);
}

static gboolean
on_quit (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static gboolean
on_stdin (gint         fd,
          GIOCondition condition,
          gpointer     data)
{
  char    buf[256];
  ssize_t n = read (fd, buf, sizeof buf);

  if (n > 0 || (n < 0 && errno == EINTR))
    return G_SOURCE_CONTINUE;
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static int
cmd_hold (RefmountClient *client,
          int             argc,
          char          **argv)
{
  g_autoptr (GError)        error = NULL;
  g_autoptr (GMainLoop)     loop = NULL;
  g_autoptr (RefmountMount) mount = NULL;
  g_autofree char          *mountpoint = NULL;

  if (argc < 4)
    {
      g_printerr ("usage: hold FSTYPE SOURCE MOUNTPOINT ATTACHMENT [OPTION...]\n");
      return 64;
    }
  mountpoint = refmount_client_mount_sync (client, argv[0], argv[1], argv[2], (const char *const *) argv + 4,
                                           argv[3], REFMOUNT_MOUNT_FLAGS_RELEASE_ON_EXIT, NULL, &error);
  if (mountpoint != NULL)
    mount = refmount_client_get_mount_sync (client, mountpoint, NULL, &error);
  if (mount == NULL)
    {
      g_autofree char *name = error_name (error);
      printf ("error %s: %s\n", name, error->message);
      return 1;
    }
  printf ("mounted %s %s\n", refmount_mount_get_object_path (mount), mountpoint);
  fflush (stdout);

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, on_quit, loop);
  g_unix_signal_add (SIGINT, on_quit, loop);
  g_unix_fd_add (STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, loop);
  g_main_loop_run (loop);
  return 0;
}

/* Mounts at or beneath @path in this mount namespace. */
static guint
count_mounts_beneath (const char *path)
{
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;
  size_t len = strlen (path);
  guint  n = 0;

  if (!g_file_get_contents ("/proc/self/mountinfo", &contents, NULL, NULL))
    g_error ("cannot read /proc/self/mountinfo");
  lines = g_strsplit (contents, "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    {
      g_auto (GStrv) fields = g_strsplit (*l, " ", 6);

      if (g_strv_length (fields) < 5)
        continue;
      if (strncmp (fields[4], path, len) == 0 &&
          (fields[4][len] == '\0' || fields[4][len] == '/'))
        n++;
    }
  return n;
}

static void
count_error (GHashTable   *errors,
             const char   *what,
             const GError *error)
{
  g_autofree char *name = error_name (error);
  char            *key = g_strdup_printf ("%s:%s", what, name);
  guint            n = GPOINTER_TO_UINT (g_hash_table_lookup (errors, key));

  g_hash_table_replace (errors, key, GUINT_TO_POINTER (n + 1));
}

/* Mounts strictly beneath @path, as one string (for messages). */
static char *
mounts_strictly_beneath (const char *path,
                         guint      *out_n)
{
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;
  GString *found = g_string_new (NULL);
  size_t   len = strlen (path);

  *out_n = 0;
  if (!g_file_get_contents ("/proc/self/mountinfo", &contents, NULL, NULL))
    g_error ("cannot read /proc/self/mountinfo");
  lines = g_strsplit (contents, "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    {
      g_auto (GStrv) fields = g_strsplit (*l, " ", 6);

      if (g_strv_length (fields) < 5)
        continue;
      if (strncmp (fields[4], path, len) == 0 && fields[4][len] == '/')
        {
          g_string_append_printf (found, " %s", fields[4]);
          (*out_n)++;
        }
    }
  return g_string_free (found, FALSE);
}

/* With REFMOUNT_RACE_TRACE set: one line per call on stderr. */
static void
trace (const char   *watch,
       const char   *what,
       guint         i,
       const GError *error)
{
  g_autofree char *which = NULL;
  guint            n;

  if (watch == NULL || g_getenv ("REFMOUNT_RACE_TRACE") == NULL)
    return;
  which = mounts_strictly_beneath (watch, &n);
  g_printerr ("%s #%u: %s; beneath:%s\n", what, i, error != NULL ? error->message : "ok", which);
}

/* After a call that must leave nothing mounted beneath @watch. */
static void
check_leak (const char   *watch,
            const char   *after,
            guint         i,
            const GError *error,
            guint        *leaks,
            GString      *first_leak)
{
  guint            n;
  g_autofree char *which = NULL;

  if (watch == NULL)
    return;
  which = mounts_strictly_beneath (watch, &n);
  if (n == 0)
    return;
  if (*leaks == 0)
    g_string_printf (first_leak, "after %s #%u%s%s, mounted beneath %s:%s", after, i,
                     error != NULL ? " failed with " : "", error != NULL ? error->message : "",
                     watch, which);
  (*leaks)++;
}

static int
cmd_race (RefmountClient *client,
          int             argc,
          char          **argv)
{
  g_autoptr (GHashTable) errors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GString)    first_leak = g_string_new (NULL);
  const char *const      no_options[] = { NULL };
  const char            *mountpoint;
  const char            *outside;
  const char            *watch;
  guint                  iterations, baseline, mount_ok = 0, unmount_ok = 0, unmounted_true = 0, leaks = 0;
  GHashTableIter         iter;
  gpointer               key, value;

  if (argc != 3 && argc != 4)
    {
      g_printerr ("usage: race ITERATIONS MOUNTPOINT OUTSIDE [WATCH]\n");
      return 64;
    }
  iterations = (guint) g_ascii_strtoull (argv[0], NULL, 10);
  mountpoint = argv[1];
  outside = argv[2];
  watch = argc == 4 ? argv[3] : NULL;
  baseline = count_mounts_beneath (outside);

  for (guint i = 0; i < iterations; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char   *mounted = NULL;
      gboolean           unmounted = FALSE;

      mounted = refmount_client_mount_sync (client, "tmpfs", "refmount-race", mountpoint, no_options, "race",
                                            REFMOUNT_MOUNT_FLAGS_NONE, NULL, &error);
      if (mounted != NULL)
        mount_ok++;
      else
        {
          count_error (errors, "Mount", error);
          check_leak (watch, "Mount", i, error, &leaks, first_leak);
        }
      trace (watch, "Mount", i, error);
      if (count_mounts_beneath (outside) != baseline)
        {
          printf ("ESCAPE: after Mount #%u there are %u mounts beneath %s (was %u)\n", i,
                  count_mounts_beneath (outside), outside, baseline);
          return 2;
        }
      g_clear_error (&error);

      if (refmount_client_unmount_sync (client, mountpoint, "race", REFMOUNT_MOUNT_FLAGS_NONE, &unmounted, NULL,
                                        &error))
        {
          unmount_ok++;
          if (unmounted)
            {
              unmounted_true++;
              check_leak (watch, "Unmount", i, NULL, &leaks, first_leak);
            }
        }
      else
        count_error (errors, "Unmount", error);
      trace (watch, "Unmount", i, error);
      if (count_mounts_beneath (outside) != baseline)
        {
          printf ("ESCAPE: after Unmount #%u there are %u mounts beneath %s (was %u)\n", i,
                  count_mounts_beneath (outside), outside, baseline);
          return 2;
        }
    }

  printf ("iterations=%u mount_ok=%u unmount_ok=%u unmounted=%u leaks=%u", iterations, mount_ok,
          unmount_ok, unmounted_true, leaks);
  g_hash_table_iter_init (&iter, errors);
  while (g_hash_table_iter_next (&iter, &key, &value))
    printf (" %s=%u", (const char *) key, GPOINTER_TO_UINT (value));
  printf ("\n");
  if (leaks > 0)
    {
      printf ("LEAK: %u calls found a mount left behind; first %s\n", leaks, first_leak->str);
      return 3;
    }
  return 0;
}

static volatile sig_atomic_t swap_stopped;

static void
swap_stop (int signo)
{
  swap_stopped = 1;
}

static int
cmd_swap (int    argc,
          char **argv)
{
  unsigned long swaps = 0, failures = 0;

  if (argc != 3)
    {
      g_printerr ("usage: swap PATH1 PATH2 STOPFILE\n");
      return 64;
    }
  /* The test sends SIGTERM right after creating STOPFILE: stop on either
   * and still print the count (under ASan, exit takes long enough for a
   * SIGTERM to arrive before stdout is flushed). */
  signal (SIGTERM, swap_stop);
  while (!swap_stopped && access (argv[2], F_OK) != 0)
    {
      if (syscall (SYS_renameat2, AT_FDCWD, argv[0], AT_FDCWD, argv[1], RENAME_EXCHANGE) == 0)
        swaps++;
      else
        failures++;
      /* Fast enough to hit every window, slow enough to leave the
       * daemon some CPU on small machines. */
      g_usleep (20);
    }
  printf ("swaps=%lu failures=%lu\n", swaps, failures);
  fflush (stdout);
  return 0;
}

static int
cmd_exchange (int    argc,
              char **argv)
{
  if (argc != 2)
    {
      g_printerr ("usage: exchange PATH1 PATH2\n");
      return 64;
    }
  if (syscall (SYS_renameat2, AT_FDCWD, argv[0], AT_FDCWD, argv[1], RENAME_EXCHANGE) != 0)
    {
      g_printerr ("renameat2 (%s, %s, RENAME_EXCHANGE): %s\n", argv[0], argv[1], g_strerror (errno));
      return 1;
    }
  return 0;
}

/* A method call as a raw message: without an interface name and/or
 * asking for no reply, which GDBus's proxies and busctl never send. */
static GDBusMessage *
raw_call (const char *interface,
          const char *method,
          GVariant   *args)
{
  GDBusMessage *message = g_dbus_message_new_method_call (BUS_NAME, MANAGER_PATH, interface, method);

  g_dbus_message_set_body (message, args);
  return message;
}

static gboolean
print_reply (GDBusMessage *reply,
             const char   *format)
{
  g_autoptr (GError) error = NULL;

  if (reply == NULL || g_dbus_message_to_gerror (reply, &error))
    {
      g_autofree char *name = error != NULL ? error_name (error) : g_strdup ("no-reply");
      g_print ("error %s\n", name);
      return FALSE;
    }
  if (g_str_equal (format, "o"))
    {
      const char *object;
      g_variant_get (g_dbus_message_get_body (reply), "(&o&s)", &object, NULL);
      g_print ("mounted %s\n", object);
    }
  else
    {
      gboolean unmounted;
      g_variant_get (g_dbus_message_get_body (reply), "(b)", &unmounted);
      g_print ("unmounted %s\n", unmounted ? "true" : "false");
    }
  return TRUE;
}

static int
cmd_bare (GDBusConnection *bus,
          int              argc,
          char           **argv)
{
  const char *const        none[] = { NULL };
  g_autoptr (GDBusMessage) mount = NULL;
  g_autoptr (GDBusMessage) unmount = NULL;
  g_autoptr (GDBusMessage) reply = NULL;
  g_autoptr (GError)       error = NULL;

  if (argc != 2)
    {
      g_printerr ("usage: bare MOUNTPOINT ATTACHMENT\n");
      return 64;
    }
  mount = raw_call (NULL, "Mount", mount_args ("tmpfs", "refmount-bare", argv[0], none, argv[1], FALSE));
  reply = g_dbus_connection_send_message_with_reply_sync (bus, mount, G_DBUS_SEND_MESSAGE_FLAGS_NONE, 60000,
                                                          NULL, NULL, &error);
  if (!print_reply (reply, "o"))
    return 1;
  g_clear_object (&reply);
  unmount = raw_call (NULL, "Unmount",
                      g_variant_new ("(ss@a{sv})", argv[0], argv[1], g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0)));
  reply = g_dbus_connection_send_message_with_reply_sync (bus, unmount, G_DBUS_SEND_MESSAGE_FLAGS_NONE, 60000,
                                                          NULL, NULL, &error);
  return print_reply (reply, "b") ? 0 : 1;
}

static int
cmd_noreply (GDBusConnection *bus,
             int              argc,
             char           **argv)
{
  const char *const        none[] = { NULL };
  g_autoptr (GDBusMessage) mount = NULL;
  g_autoptr (GError)       error = NULL;

  if (argc != 2)
    {
      g_printerr ("usage: noreply MOUNTPOINT ATTACHMENT\n");
      return 64;
    }
  mount = raw_call (MANAGER_IFACE, "Mount", mount_args ("tmpfs", "refmount-noreply", argv[0], none, argv[1], FALSE));
  g_dbus_message_set_flags (mount, G_DBUS_MESSAGE_FLAGS_NO_REPLY_EXPECTED);
  if (!g_dbus_connection_send_message (bus, mount, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL, &error) ||
      !g_dbus_connection_flush_sync (bus, NULL, &error))
    {
      g_printerr ("send: %s\n", error->message);
      return 1;
    }
  /* Stay connected until it is done: refmountd asks the bus who the
   * caller is, and a caller that is gone by then is not served. */
  for (int i = 0; i < 200; i++)
    {
      g_autoptr (GVariant) reply = call (bus, "GetMount", g_variant_new ("(s)", argv[0]), NULL);

      if (reply != NULL)
        {
          g_print ("sent, then mounted\n");
          return 0;
        }
      g_usleep (50 * 1000);
    }
  g_print ("sent, never mounted\n");
  return 1;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr (GError)         error = NULL;
  g_autoptr (RefmountClient) client = NULL;
  GDBusConnection           *bus;

  if (argc < 2)
    {
      g_printerr ("usage: %s hold|race|swap|exchange|bare|noreply ARGS...\n", argv[0]);
      return 64;
    }
  if (g_str_equal (argv[1], "swap"))
    return cmd_swap (argc - 2, argv + 2);
  if (g_str_equal (argv[1], "exchange"))
    return cmd_exchange (argc - 2, argv + 2);

  /* Calls only: a race of thousands of calls need not hear of each. */
  client = refmount_client_new_full_sync (NULL, REFMOUNT_CLIENT_FLAGS_DO_NOT_FOLLOW, NULL, &error);
  if (client == NULL)
    {
      g_printerr ("cannot connect to refmountd on the system bus: %s\n", error->message);
      return 1;
    }
  bus = refmount_client_get_connection (client);
  g_dbus_connection_set_exit_on_close (bus, FALSE);
  if (g_str_equal (argv[1], "hold"))
    return cmd_hold (client, argc - 2, argv + 2);
  if (g_str_equal (argv[1], "race"))
    return cmd_race (client, argc - 2, argv + 2);
  if (g_str_equal (argv[1], "bare"))
    return cmd_bare (bus, argc - 2, argv + 2);
  if (g_str_equal (argv[1], "noreply"))
    return cmd_noreply (bus, argc - 2, argv + 2);
  g_printerr ("unknown command %s\n", argv[1]);
  return 64;
}
