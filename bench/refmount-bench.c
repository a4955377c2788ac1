/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * refmount-bench: one measurement per invocation, driven by bench/run.
 * Every figure is printed as "name value" (µs per operation unless the name
 * says otherwise): the median over --batches of the mean of --iters
 * operations, so one slow batch (a busy shared machine) does not skew it.
 */
#include "config.h"

#include <errno.h>
#include <libmount.h>
#include <polkit/polkit.h>
#include <stdio.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>

#include "refmount-names.h"
#include "refmount-bench-lib.h"
#include "refmount-state-journal.h"

static int      opt_iters = 200;
static int      opt_batches = 5;
static int      opt_clients = 1;
static int      opt_mounts = 10000;
static int      opt_per = 10;
static char    *opt_dir;
static char    *opt_mountpoint;
static char    *opt_state_dir;
static gint64   opt_since;
static gboolean opt_library;
/* With --library, hit and cycle call through librefmount-1, to be
 * compared with the raw GDBus figures (refmount-bench-lib.c); the mode
 * lib-vs-raw switches between the two batch by batch. */
static gboolean via_library;

typedef gboolean (*OpFunc) (gpointer data, int i, GError **error);

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* One batch: the mean µs per operation of @iters runs of @op. */
static double
measure_batch (OpFunc   op,
               gpointer data,
               int      iters)
{
  static int serial;
  gint64     start = g_get_monotonic_time ();

  for (int i = 0; i < iters; i++)
    {
      g_autoptr (GError) error = NULL;

      if (!op (data, serial++, &error))
        {
          g_printerr ("refmount-bench: operation failed: %s\n", error->message);
          exit (1);
        }
    }
  return (double) (g_get_monotonic_time () - start) / iters;
}

static double
median (double *values,
        int     n)
{
  qsort (values, n, sizeof *values, compare_double);
  return values[n / 2];
}

/* Median over batches of the per-operation mean, in µs. */
static double
measure (OpFunc   op,
         gpointer data,
         int      iters)
{
  g_autofree double *means = g_new0 (double, opt_batches);

  for (int b = 0; b < opt_batches; b++)
    means[b] = measure_batch (op, data, iters);
  return median (means, opt_batches);
}

static GDBusConnection *
system_bus (void)
{
  g_autoptr (GError) error = NULL;
  GDBusConnection   *bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error);

  if (bus == NULL)
    {
      g_printerr ("refmount-bench: cannot connect to the system bus: %s\n", error->message);
      exit (1);
    }
  return bus;
}

/* ---- floors --------------------------------------------------------------- */

static gboolean
op_ping (gpointer data,
         int      i,
         GError **error)
{
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (data, REFMOUNT_BUS_NAME, REFMOUNT_MANAGER_PATH,
                                                            "org.freedesktop.DBus.Peer", "Ping", NULL, NULL,
                                                            G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
  return reply != NULL;
}

typedef struct
{
  PolkitAuthority *authority;
  PolkitSubject   *subject;
  const char      *mountpoint;
} PolkitFloor;

/* Same subject kind (system-bus-name) and details as refmount-auth.c. */
/* A Manager method that does no work (GetMount of a mountpoint that is not
 * managed answers NotFound): what refmountd's dispatch costs on top of a
 * Ping, which GDBus answers without leaving its I/O thread. */
static gboolean
op_dispatch (gpointer data,
             int      i,
             GError **error)
{
  g_autoptr (GError)   local_error = NULL;
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (data, REFMOUNT_BUS_NAME, REFMOUNT_MANAGER_PATH,
                                                            REFMOUNT_MANAGER_INTERFACE, "GetMount",
                                                            g_variant_new ("(s)", opt_mountpoint), NULL,
                                                            G_DBUS_CALL_FLAGS_NONE, -1, NULL, &local_error);

  if (reply == NULL && !g_dbus_error_is_remote_error (local_error))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

static gboolean
op_polkit (gpointer data,
           int      i,
           GError **error)
{
  PolkitFloor                          *floor = data;
  g_autoptr (PolkitDetails)             details = polkit_details_new ();
  g_autoptr (PolkitAuthorizationResult) result = NULL;
  g_autofree char                      *attachment = g_strdup_printf ("bench-%d", i);

  polkit_details_insert (details, "fstype", "tmpfs");
  polkit_details_insert (details, "source", "bench");
  polkit_details_insert (details, "mountpoint", floor->mountpoint);
  polkit_details_insert (details, "attachment", attachment);
  polkit_details_insert (details, "options", "nosuid,nodev");
  result = polkit_authority_check_authorization_sync (floor->authority, floor->subject, REFMOUNT_ACTION_MOUNT,
                                                      details, POLKIT_CHECK_AUTHORIZATION_FLAGS_NONE,
                                                      NULL, error);
  if (result == NULL)
    return FALSE;
  if (!polkit_authorization_result_get_is_authorized (result))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "polkit did not authorize %s for the bench (check the bench rule)", REFMOUNT_ACTION_MOUNT);
      return FALSE;
    }
  return TRUE;
}

static gboolean
op_libmount (gpointer data,
             int      i,
             GError **error)
{
  const char *target = data;
  int         rc;

  {
    struct libmnt_context *cxt = mnt_new_context ();

    mnt_context_set_fstype (cxt, "tmpfs");
    mnt_context_set_source (cxt, "bench");
    mnt_context_set_target (cxt, target);
    mnt_context_set_options (cxt, "nosuid,nodev");
    mnt_context_disable_helpers (cxt, TRUE);
    mnt_context_disable_mtab (cxt, TRUE);
    rc = mnt_context_mount (cxt);
    mnt_free_context (cxt);
  }
  if (rc == 0)
    {
      struct libmnt_context *cxt = mnt_new_context ();

      mnt_context_set_target (cxt, target);
      mnt_context_disable_helpers (cxt, TRUE);
      mnt_context_disable_mtab (cxt, TRUE);
      rc = mnt_context_umount (cxt);
      mnt_free_context (cxt);
    }
  if (rc != 0)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "libmount cycle on %s failed (%d)", target, rc);
  return rc == 0;
}

static gboolean
op_raw (gpointer data,
        int      i,
        GError **error)
{
  const char *target = data;

  if (mount ("bench", target, "tmpfs", MS_NOSUID | MS_NODEV, NULL) < 0 || umount2 (target, 0) < 0)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "mount(2) cycle on %s: %s", target,
                   g_strerror (errsv));
      return FALSE;
    }
  return TRUE;
}

static gboolean
op_exec (gpointer data,
         int      i,
         GError **error)
{
  const char *target = data;
  const char *mount_argv[] = { "mount", "-n", "-t", "tmpfs", "-o", "nosuid,nodev", "bench", target, NULL };
  const char *umount_argv[] = { "umount", "-n", target, NULL };
  int         status;

  if (!g_spawn_sync (NULL, (char **) mount_argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status,
                     error) ||
      !g_spawn_check_wait_status (status, error))
    return FALSE;
  return g_spawn_sync (NULL, (char **) umount_argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status,
                       error) &&
         g_spawn_check_wait_status (status, error);
}

/* ---- refmount operations --------------------------------------------------- */

static gboolean
call_mount (GDBusConnection *bus,
            const char      *mountpoint,
            const char      *attachment,
            GError         **error)
{
  g_autoptr (GVariant) reply = NULL;

  if (via_library)
    return bench_lib_mount (mountpoint, attachment, error);
  reply = g_dbus_connection_call_sync (
    bus, REFMOUNT_BUS_NAME, REFMOUNT_MANAGER_PATH, REFMOUNT_MANAGER_INTERFACE, "Mount",
    g_variant_new ("(sss@ass@a{sv})", "tmpfs", "bench", mountpoint, g_variant_new_strv (NULL, 0), attachment,
                   g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0)),
    G_VARIANT_TYPE ("(os)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
  return reply != NULL;
}

static gboolean
call_unmount (GDBusConnection *bus,
              const char      *mountpoint,
              const char      *attachment,
              GError         **error)
{
  g_autoptr (GVariant) reply = NULL;

  if (via_library)
    return bench_lib_unmount (mountpoint, attachment, error);
  reply = g_dbus_connection_call_sync (bus, REFMOUNT_BUS_NAME, REFMOUNT_MANAGER_PATH, REFMOUNT_MANAGER_INTERFACE,
                                       "Unmount",
                                       g_variant_new ("(ss@a{sv})", mountpoint, attachment,
                                                      g_variant_new_array (G_VARIANT_TYPE ("{sv}"), NULL, 0)),
                                       G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
  return reply != NULL;
}

typedef struct
{
  GDBusConnection *bus;
  const char      *mountpoint;
  gint64           timed; /* µs spent in the measured half */
} RefmountOp;

/* One batch of hits: attach to a mounted mountpoint (timed), then detach
 * (not timed); the mean µs per attach. */
static double
hit_batch (GDBusConnection *bus,
           const char      *mountpoint)
{
  static int       serial;
  g_autofree char *prefix = g_strdup_printf ("hit-%d-%d", (int) getpid (), (int) getuid ());
  gint64           timed = 0;

  for (int i = 0; i < opt_iters; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char   *attachment = g_strdup_printf ("%s-%d", prefix, serial++);
      gint64             start = g_get_monotonic_time ();

      if (!call_mount (bus, mountpoint, attachment, &error))
        {
          g_printerr ("refmount-bench: Mount (hit) of %s failed: %s\n", mountpoint, error->message);
          exit (1);
        }
      timed += g_get_monotonic_time () - start;
      if (!call_unmount (bus, mountpoint, attachment, &error))
        {
          g_printerr ("refmount-bench: Unmount of %s failed: %s\n", mountpoint, error->message);
          exit (1);
        }
    }
  return (double) timed / opt_iters;
}

static double
measure_hit (GDBusConnection *bus,
             const char      *mountpoint)
{
  g_autofree double *means = g_new0 (double, opt_batches);

  for (int b = 0; b < opt_batches; b++)
    means[b] = hit_batch (bus, mountpoint);
  return median (means, opt_batches);
}

static gboolean
op_cycle (gpointer data,
          int      i,
          GError **error)
{
  RefmountOp *op = data;

  return call_mount (op->bus, op->mountpoint, "bench-cycle", error) &&
         call_unmount (op->bus, op->mountpoint, "bench-cycle", error);
}

/*
 * lib-vs-raw: the hit (at --mountpoint) and the cycle (at DIR/pair-cycle)
 * through raw GDBus and through librefmount-1 in alternating batches, raw
 * first in even batches and the library first in odd ones.  Measured one
 * after the other, as the hit and cycle rows are, the two sides differ by
 * whatever the machine did meanwhile (on a shared machine more than the
 * 5 % the library may cost); batch by batch, a slower or faster stretch
 * weighs on both alike.  Prints the medians of each side and the median
 * of the per-batch ratios library / raw.
 */
static int
run_lib_vs_raw (void)
{
  g_autoptr (GDBusConnection) bus = system_bus ();
  g_autofree char            *cycle_mountpoint = g_strdup_printf ("%s/pair-cycle", opt_dir);
  RefmountOp                  op = { bus, cycle_mountpoint, 0 };
  g_autofree double          *hit_raw = g_new0 (double, opt_batches);
  g_autofree double          *hit_lib = g_new0 (double, opt_batches);
  g_autofree double          *cycle_raw = g_new0 (double, opt_batches);
  g_autofree double          *cycle_lib = g_new0 (double, opt_batches);
  g_autofree double          *hit_ratio = g_new0 (double, opt_batches);
  g_autofree double          *cycle_ratio = g_new0 (double, opt_batches);
  double                     *hit[2] = { hit_raw, hit_lib };
  double                     *cycle[2] = { cycle_raw, cycle_lib };

  for (int b = 0; b < opt_batches; b++)
    {
      for (int k = 0; k < 2; k++)
        {
          int side = (b + k) % 2; /* 0 raw, 1 library */

          via_library = side == 1;
          hit[side][b] = hit_batch (bus, opt_mountpoint);
          cycle[side][b] = measure_batch (op_cycle, &op, opt_iters);
        }
      hit_ratio[b] = hit[1][b] / hit[0][b];
      cycle_ratio[b] = cycle[1][b] / cycle[0][b];
    }
  g_print ("pair_hit_raw %.1f\n", median (hit[0], opt_batches));
  g_print ("pair_hit_lib %.1f\n", median (hit[1], opt_batches));
  g_print ("pair_hit_ratio %.3f\n", median (hit_ratio, opt_batches));
  g_print ("pair_cycle_raw %.1f\n", median (cycle[0], opt_batches));
  g_print ("pair_cycle_lib %.1f\n", median (cycle[1], opt_batches));
  g_print ("pair_cycle_ratio %.3f\n", median (cycle_ratio, opt_batches));
  return 0;
}

/* K forked clients, each cycling its own mountpoint; prints ops/s. */
static int
run_concurrent (void)
{
  int    iters = opt_iters * opt_batches / opt_clients;
  int    fds[2];
  GPid  *pids = g_new0 (GPid, opt_clients);
  gint64 start;
  double seconds;
  char   c;

  if (pipe (fds) < 0)
    return 1;
  for (int k = 0; k < opt_clients; k++)
    {
      pids[k] = fork ();
      if (pids[k] == 0)
        {
          g_autoptr (GDBusConnection) bus = NULL;
          g_autofree char            *mountpoint = g_strdup_printf ("%s/conc-%d", opt_dir, k);
          RefmountOp                  op = { NULL, mountpoint, 0 };

          close (fds[1]);
          bus = system_bus ();
          op.bus = bus;
          /* Wait for the start signal: all connected before timing. */
          if (read (fds[0], &c, 1) < 0)
            _exit (1);
          for (int i = 0; i < iters; i++)
            {
              g_autoptr (GError) error = NULL;

              if (!op_cycle (&op, i, &error))
                {
                  g_printerr ("refmount-bench: client %d: %s\n", k, error->message);
                  _exit (1);
                }
            }
          _exit (0);
        }
    }
  close (fds[0]);
  g_usleep (200 * 1000);
  start = g_get_monotonic_time ();
  close (fds[1]);
  for (int k = 0; k < opt_clients; k++)
    {
      int status;

      if (waitpid (pids[k], &status, 0) < 0 || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
        {
          g_printerr ("refmount-bench: a concurrent client failed\n");
          return 1;
        }
    }
  seconds = (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
  g_print ("concurrent_%d_ops_per_s %.1f\n", opt_clients, iters * opt_clients / seconds);
  g_free (pids);
  return 0;
}

/* ---- population: N kernel mounts plus their records ----------------------- */

static int
run_populate (void)
{
  g_autoptr (GPtrArray)       records = NULL;
  g_autoptr (GError)          error = NULL;
  g_autoptr (GVariantBuilder) builder = g_variant_builder_new (G_VARIANT_TYPE ("a" REFMOUNT_RECORD_VARIANT_TYPE));
  g_autoptr (RefmountJournal) journal = refmount_journal_new (opt_state_dir);
  g_autoptr (GVariant)        all = NULL;
  g_autofree char            *aside = NULL;
  guint64                     generation = 0;
  gint64                      now = g_get_real_time ();

  if (!refmount_journal_load (journal, &generation, &records, &aside, &error))
    {
      g_printerr ("refmount-bench: %s\n", error->message);
      return 1;
    }
  for (guint i = 0; i < records->len; i++)
    g_variant_builder_add_value (builder, refmount_record_to_variant (g_ptr_array_index (records, i)));
  for (int m = 0; m < opt_mounts; m++)
    {
      g_autoptr (RefmountRecord) r = refmount_record_new ();
      const char                *options[] = { "nosuid", "nodev", NULL };

      r->mountpoint = g_strdup_printf ("%s/pop-%05d", opt_dir, m);
      if (mkdir (r->mountpoint, 0755) < 0 && errno != EEXIST)
        {
          g_printerr ("refmount-bench: mkdir %s: %s\n", r->mountpoint, g_strerror (errno));
          return 1;
        }
      if (mount ("bench", r->mountpoint, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k") < 0)
        {
          g_printerr ("refmount-bench: mount %s: %s\n", r->mountpoint, g_strerror (errno));
          return 1;
        }
      r->source = g_strdup ("bench");
      r->fstype = g_strdup ("tmpfs");
      g_strfreev (r->options);
      r->options = g_strdupv ((char **) options);
      r->state = REFMOUNT_MOUNT_STATE_MOUNTED;
      r->created_dir = TRUE;
      r->mounted_at = now;
      for (int a = 0; a < opt_per; a++)
        {
          g_autofree char *id = g_strdup_printf ("vol-%05d-%02d", m, a);
          g_ptr_array_add (r->attachments, refmount_attachment_new (id, 0, now, FALSE, ""));
        }
      g_variant_builder_add_value (builder, refmount_record_to_variant (r));
    }
  /* A snapshot of a new epoch: the daemon's journal is folded into it. */
  all = g_variant_ref_sink (g_variant_builder_end (builder));
  if (!refmount_journal_compact (journal, generation, all, &error))
    {
      g_printerr ("refmount-bench: %s\n", error->message);
      return 1;
    }
  return 0;
}

/* Poll (1 ms) until refmountd owns its name; prints ms since --since. */
static int
run_wait_owner (void)
{
  g_autoptr (GDBusConnection) bus = system_bus ();

  for (int i = 0; i < 60000; i++)
    {
      g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
        bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner",
        g_variant_new ("(s)", REFMOUNT_BUS_NAME), G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
        NULL);
      gboolean owned = FALSE;

      if (reply != NULL)
        g_variant_get (reply, "(b)", &owned);
      if (owned)
        {
          g_print ("restart_ms %.1f\n", (double) (g_get_real_time () - opt_since) / 1000.0);
          return 0;
        }
      g_usleep (1000);
    }
  g_printerr ("refmount-bench: refmountd did not own its name within 60 s\n");
  return 1;
}

/* polkit only takes details from trusted callers, so the check runs as
 * root, as refmountd does, for the bus name of a child that dropped to
 * uid nobody (the subject of a non-root Mount). */
static int
run_polkit_floor (void)
{
  g_autoptr (GError) error = NULL;
  int                to_parent[2], to_child[2];
  char               name[256] = { 0 };
  ssize_t            n;
  GPid               child;
  int                status;

  if (pipe (to_parent) < 0 || pipe (to_child) < 0)
    return 1;
  child = fork ();
  if (child < 0)
    return 1;
  if (child == 0)
    {
      g_autoptr (GDBusConnection) bus = NULL;
      const char                 *unique;
      char                        c;

      close (to_parent[0]);
      close (to_child[1]);
      if (setgroups (0, NULL) < 0 || setgid (65534) < 0 || setuid (65534) < 0)
        _exit (1);
      bus = system_bus ();
      unique = g_dbus_connection_get_unique_name (bus);
      if (write (to_parent[1], unique, strlen (unique)) < 0)
        _exit (1);
      close (to_parent[1]);
      /* Keep the name alive until the parent is done. */
      while (read (to_child[0], &c, 1) > 0)
        ;
      _exit (0);
    }
  close (to_parent[1]);
  close (to_child[0]);
  n = read (to_parent[0], name, sizeof name - 1);
  close (to_parent[0]);
  if (n > 0)
    {
      PolkitFloor floor = { NULL, NULL, opt_mountpoint };

      floor.authority = polkit_authority_get_sync (NULL, &error);
      if (floor.authority == NULL)
        {
          g_printerr ("refmount-bench: polkit: %s\n", error->message);
          return 1;
        }
      floor.subject = polkit_system_bus_name_new (name);
      g_print ("polkit %.1f\n", measure (op_polkit, &floor, opt_iters));
      g_object_unref (floor.subject);
      g_object_unref (floor.authority);
    }
  close (to_child[1]);
  if (waitpid (child, &status, 0) < 0 || !WIFEXITED (status) || WEXITSTATUS (status) != 0 || n <= 0)
    {
      g_printerr ("refmount-bench: the polkit subject process failed\n");
      return 1;
    }
  return 0;
}

static int
run_mode (const char *mode)
{
  g_autoptr (GError) error = NULL;

  if (g_str_equal (mode, "ping"))
    {
      g_autoptr (GDBusConnection) bus = system_bus ();

      g_print ("ping %.1f\n", measure (op_ping, bus, opt_iters));
      if (opt_mountpoint != NULL)
        g_print ("dispatch %.1f\n", measure (op_dispatch, bus, opt_iters));
      return 0;
    }
  if (g_str_equal (mode, "polkit"))
    return run_polkit_floor ();
  if (g_str_equal (mode, "mount-floors"))
    {
      g_autofree char *target = g_strdup_printf ("%s/floor", opt_dir);

      if (mkdir (target, 0755) < 0 && errno != EEXIST)
        return 1;
      g_print ("libmount %.1f\n", measure (op_libmount, target, opt_iters));
      g_print ("raw %.1f\n", measure (op_raw, target, opt_iters));
      /* fork/exec is slow: a tenth of the iterations is plenty. */
      g_print ("exec %.1f\n", measure (op_exec, target, MAX (opt_iters / 10, 2)));
      return rmdir (target) == 0 ? 0 : 1;
    }
  if (g_str_equal (mode, "setup"))
    {
      g_autoptr (GDBusConnection) bus = system_bus ();

      if (!call_mount (bus, opt_mountpoint, "bench-base", &error))
        {
          g_printerr ("refmount-bench: %s\n", error->message);
          return 1;
        }
      return 0;
    }
  if (g_str_equal (mode, "hit"))
    {
      g_autoptr (GDBusConnection) bus = system_bus ();

      g_print ("%.1f\n", measure_hit (bus, opt_mountpoint));
      return 0;
    }
  if (g_str_equal (mode, "cycle"))
    {
      g_autoptr (GDBusConnection) bus = system_bus ();
      RefmountOp                  op = { bus, opt_mountpoint, 0 };

      g_print ("%.1f\n", measure (op_cycle, &op, opt_iters));
      return 0;
    }
  if (g_str_equal (mode, "concurrent"))
    return run_concurrent ();
  if (g_str_equal (mode, "lib-vs-raw"))
    return run_lib_vs_raw ();
  if (g_str_equal (mode, "populate"))
    return run_populate ();
  if (g_str_equal (mode, "wait-owner"))
    return run_wait_owner ();
  g_printerr ("refmount-bench: unknown mode '%s'\n", mode);
  return 2;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (GOptionContext) context = g_option_context_new ("MODE - one refmount benchmark measurement");
  g_autoptr (GError)         error = NULL;
  const GOptionEntry         entries[] = {
            { "iters", 0, 0, G_OPTION_ARG_INT, &opt_iters, "Operations per batch", "N" },
            { "batches", 0, 0, G_OPTION_ARG_INT, &opt_batches, "Batches (the median is reported)", "N" },
            { "clients", 0, 0, G_OPTION_ARG_INT, &opt_clients, "Concurrent clients", "N" },
            { "mounts", 0, 0, G_OPTION_ARG_INT, &opt_mounts, "Mounts to populate", "N" },
            { "per", 0, 0, G_OPTION_ARG_INT, &opt_per, "Attachments per populated mount", "N" },
            { "dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_dir, "Directory beneath the mount root", "DIR" },
            { "mountpoint", 0, 0, G_OPTION_ARG_FILENAME, &opt_mountpoint, "Managed mountpoint", "PATH" },
            { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_state_dir, "refmountd's state directory", "DIR" },
            { "since", 0, 0, G_OPTION_ARG_INT64, &opt_since, "Start time (µs since the epoch)", "T" },
            { "library", 0, 0, G_OPTION_ARG_NONE, &opt_library, "hit/cycle: call through librefmount-1", NULL },
            { NULL },
  };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("refmount-bench: %s\n", error->message);
      return 2;
    }
  if (argc != 2)
    {
      g_printerr ("refmount-bench: expected one MODE argument, got %d\n", argc - 1);
      return 2;
    }
  if (opt_iters < 1 || opt_batches < 1 || opt_clients < 1 || opt_mounts < 0 || opt_per < 0)
    {
      g_printerr ("refmount-bench: --iters, --batches and --clients must be positive, got %d, %d, %d\n",
                  opt_iters, opt_batches, opt_clients);
      return 2;
    }
  if (opt_library || g_str_equal (argv[1], "lib-vs-raw"))
    {
      via_library = opt_library;
      if (!bench_lib_open (&error))
        {
          g_printerr ("refmount-bench: %s\n", error->message);
          return 1;
        }
    }
  return run_mode (argv[1]);
}
