/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which managed mount an argument names.  unmount and show accept what
 * mount accepted, as umount(8) does: a mountpoint (absolute, or relative
 * to the current directory), or a SOURCE ("fileserver:/export") that is
 * mounted at exactly one managed mountpoint, optionally narrowed down by
 * -t FSTYPE.  A SOURCE is not a path: it is never resolved against the
 * current directory.  When nothing matches, the closest managed
 * mountpoint is suggested.
 */
#include "config.h"

#include <string.h>

#include "refmount-error.h"
#include "refmountctl.h"

/* Mountpoints may be given relative to the current directory or with a
 * trailing slash (as shell completion leaves it); the daemon wants them
 * absolute and normalised.  Symlinks are not resolved: the daemon refuses
 * them anyway. */
char *
refmountctl_normalise_mountpoint (const char *arg)
{
  return arg[0] != '\0' ? g_canonicalize_filename (arg, NULL) : g_strdup ("");
}

static RefmountMount *
find_mountpoint (GPtrArray  *mounts,
                 const char *mountpoint)
{
  for (guint i = 0; i < mounts->len; i++)
    if (g_strcmp0 (refmount_mount_get_mountpoint (mounts->pdata[i]), mountpoint) == 0)
      return g_object_ref (mounts->pdata[i]);
  return NULL;
}

static GPtrArray *
find_source (GPtrArray  *mounts,
             const char *fstype,
             const char *source)
{
  GPtrArray *found = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < mounts->len; i++)
    {
      RefmountMount *mount = mounts->pdata[i];

      if (g_strcmp0 (refmount_mount_get_source (mount), source) == 0 &&
          (fstype == NULL || g_strcmp0 (refmount_mount_get_filesystem_type (mount), fstype) == 0))
        g_ptr_array_add (found, g_object_ref (mount));
    }
  return found;
}

static void
set_ambiguous (GError    **error,
               const char *source,
               GPtrArray  *found)
{
  g_autoptr (GString) list = g_string_new (NULL);

  for (guint i = 0; i < found->len; i++)
    g_string_append_printf (list, "%s%s (%s)", i > 0 ? ", " : "",
                            refmount_mount_get_mountpoint (found->pdata[i]),
                            refmount_mount_get_filesystem_type (found->pdata[i]));
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
               "Source '%s' is mounted at %u managed mountpoints: %s; name the mountpoint%s",
               source, found->len, list->str, " (or narrow it down with -t FSTYPE)");
}

/* NotFound, as refmountd would say it, plus the nearest mountpoint to what
 * was typed, or to the mountpoint it would have been. */
static void
set_not_found (GError    **error,
               GPtrArray  *mounts,
               const char *arg,
               const char *normalised)
{
  g_autofree const char **mountpoints = g_new0 (const char *, mounts->len + 1);
  const char             *closest;

  for (guint i = 0; i < mounts->len; i++)
    mountpoints[i] = refmount_mount_get_mountpoint (mounts->pdata[i]);
  closest = refmountctl_closest (normalised, mountpoints);
  if (closest == NULL)
    closest = refmountctl_closest (arg, mountpoints);
  if (closest != NULL)
    g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND,
                 "'%s' is neither a managed mountpoint nor the source of one; did you mean "
                 "'%s'?",
                 arg, closest);
  else
    g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_NOT_FOUND,
                 "'%s' is neither a managed mountpoint nor the source of one "
                 "(refmountctl list shows them)",
                 arg);
}

/* The managed mount ARG names (see above); ctl->client is then the
 * client that follows the mounts. */
RefmountMount *
refmountctl_resolve (RefmountCtl *ctl,
                     const char  *fstype,
                     const char  *arg,
                     GError     **error)
{
  g_autoptr (GPtrArray)     mounts = NULL;
  g_autoptr (GPtrArray)     by_source = NULL;
  g_autoptr (RefmountMount) by_mountpoint = NULL;
  g_autofree char          *normalised = refmountctl_normalise_mountpoint (arg);

  if (!refmountctl_open (ctl, REFMOUNT_CLIENT_FLAGS_REQUIRE_DAEMON, error))
    return NULL;
  mounts = refmountctl_collect_mounts (ctl->client);

  /* -t TYPE SOURCE, as mount(8) takes it, names a source. */
  if (fstype == NULL)
    by_mountpoint = find_mountpoint (mounts, normalised);
  /* An absolute path is a mountpoint first; anything else a source first,
   * so that "server:/export" never becomes "$PWD/server:/export". */
  if (by_mountpoint != NULL && g_path_is_absolute (arg))
    return g_steal_pointer (&by_mountpoint);
  by_source = find_source (mounts, fstype, arg);
  if (by_source->len == 1)
    return g_object_ref (by_source->pdata[0]);
  if (by_source->len > 1)
    {
      set_ambiguous (error, arg, by_source);
      return NULL;
    }
  if (by_mountpoint != NULL)
    return g_steal_pointer (&by_mountpoint);
  set_not_found (error, mounts, arg, normalised);
  return NULL;
}

/* What show and recover start with: [-t FSTYPE] MOUNTPOINT|SOURCE parsed,
 * a connection, the mount it names.  NULL with *@status set (0 after
 * --help) otherwise. */
RefmountMount *
refmountctl_resolve_argument (RefmountCtl              *ctl,
                              const RefmountCtlCommand *command,
                              int                       argc,
                              char                    **argv,
                              int                      *status)
{
  g_autofree char   *fstype = NULL;
  g_autoptr (GError) error = NULL;
  RefmountMount     *mount;
  const GOptionEntry entries[] = {
    { "type", 't', 0, G_OPTION_ARG_STRING, &fstype,
      "Only mounts of this filesystem type (the argument is then a SOURCE)", "FSTYPE" },
    { NULL }
  };

  *status = REFMOUNTCTL_EXIT_OK;
  if (!refmountctl_parse_options (ctl, command, entries, &argc, &argv, status) ||
      !refmountctl_check_arguments (ctl, argc, argv, 1, 1, "MOUNTPOINT or SOURCE", status))
    return NULL;
  if (argv[1][0] == '\0')
    {
      *status = refmountctl_usage_error (ctl, "MOUNTPOINT or SOURCE must not be empty");
      return NULL;
    }
  if ((*status = refmountctl_connect_or_fail (ctl)) != 0)
    return NULL;
  mount = refmountctl_resolve (ctl, fstype, argv[1], &error);
  if (mount == NULL)
    *status = refmountctl_fail (ctl, error);
  return mount;
}
