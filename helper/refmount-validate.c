/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <limits.h>
#include <string.h>
#include <sys/mount.h>

#include <libmount.h>

#include "refmount-error.h"
#include "refmount-names.h"
#include "refmount-validate.h"

/*
 * Options refused whatever AllowedOptions says (doc/design.md "Validation and
 * confinement"): they would undo ForcedOptions, make libmount or a helper run
 * another program, or make a privileged process open a file the caller names.
 * An admin who lists one of these in AllowedOptions by mistake must not open
 * the hole; settings like these belong in ForcedOptions.  Matching ignores
 * ASCII case (ssh option names are case-insensitive) and treats '-' and '_'
 * alike, so "log_file", "Log-File" and "ssh-command" are caught as well.
 */
static const char *const denied_options[] = {
  /* would undo the default ForcedOptions nosuid,nodev */
  "suid",
  "dev",
  /* whose files they are: only refmountd sets these, from the caller's
   * own uid, for the Mount flag "owner" (refmount-owner.c) */
  "uid",
  "gid",
  /* libmount: run /sbin/mount.<helper>, or set up a loop device on a file */
  "helper",
  "uhelper",
  "loop",
  /* cifs: credentials file */
  "credentials",
  "cred",
  /* glusterfs and others: files written or read by the mount helper */
  "log-file",
  "logfile",
  "volfile",
  "dump-fuse",
  /* glusterfs: arbitrary translator settings, file paths among them */
  "xlator-option",
  /* sshfs: its own command and file options ("F" is its -F ssh_config;
   * directport talks SFTP over plain TCP, past ssh's host-key checks) ... */
  "ssh-command",
  "sftp-server",
  "F",
  "uidfile",
  "gidfile",
  "directport",
  /* ... and ssh -o options it passes through that name files or commands */
  "identityfile",
  "identityagent",
  "certificatefile",
  "userknownhostsfile",
  "globalknownhostsfile",
  "revokedhostkeys",
  "controlpath",
  "proxycommand",
  "localcommand",
  "knownhostscommand",
  "remotecommand",
  "localforward",
  "remoteforward",
  "dynamicforward",
  "pkcs11provider",
  "securitykeyprovider",
  "xauthlocation",
  "include",
};

static gboolean
invalid (GError    **error,
         const char *argument,
         const char *value,
         const char *reason)
{
  g_autofree char *escaped = refmount_syntax_escape (value);

  g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT,
               "Invalid %s '%s': %s", argument, escaped, reason);
  return FALSE;
}

gboolean
refmount_validate_fstype (const RefmountConfig *config,
                          const char           *fstype,
                          GError              **error)
{
  const char *problem = refmount_syntax_fstype_problem (fstype);

  if (problem != NULL)
    return invalid (error, "fstype", fstype != NULL ? fstype : "", problem);
  if (!refmount_config_fs_allowed (config, fstype))
    return invalid (error, "fstype", fstype, "filesystem type not in " REFMOUNT_CONFIG_KEY_ALLOWED_FS);

  return TRUE;
}

gboolean
refmount_validate_source (const char *fstype,
                          const char *source,
                          GError    **error)
{
  const char *problem = refmount_syntax_source_problem (source);

  if (problem != NULL)
    return invalid (error, "source", source != NULL ? source : "", problem);
  problem = refmount_syntax_source_shape_problem (fstype, source);
  if (problem != NULL)
    {
      g_autofree char *reason = g_strdup_printf ("%s (for %s)", problem, fstype);
      return invalid (error, "source", source, reason);
    }

  return TRUE;
}

gboolean
refmount_validate_mountpoint (const RefmountConfig *config,
                              const char           *mountpoint,
                              const char          **out_root,
                              char                **out_relative,
                              GError              **error)
{
  const char      *problem = refmount_syntax_path_problem (mountpoint);
  g_autofree char *roots = NULL;
  g_autofree char *reason = NULL;
  gsize            i;

  if (problem != NULL)
    return invalid (error, "mountpoint", mountpoint != NULL ? mountpoint : "", problem);

  for (i = 0; config->mount_roots != NULL && config->mount_roots[i] != NULL; i++)
    {
      const char *root = config->mount_roots[i];
      gsize       len = strlen (root);

      if (strcmp (mountpoint, root) == 0)
        return invalid (error, "mountpoint", mountpoint,
                        "must be beneath a mount root, not the mount root itself");

      /* Match on a component boundary only: /run/refmount/mountsX is not
       * beneath /run/refmount/mounts.  Being normalised, the rest after the
       * '/' is non-empty. */
      if (strncmp (mountpoint, root, len) == 0 && mountpoint[len] == '/')
        {
          if (out_root != NULL)
            *out_root = root;
          if (out_relative != NULL)
            *out_relative = g_strdup (mountpoint + len + 1);
          return TRUE;
        }
    }

  roots = config->mount_roots != NULL ? g_strjoinv (", ", config->mount_roots) : g_strdup ("");
  reason = g_strdup_printf ("must be beneath a mount root (%s)", roots);
  return invalid (error, "mountpoint", mountpoint, reason);
}

/* ASCII case folded, '_' as '-' (see denied_options). */
static gboolean
option_name_matches (const char *name,
                     const char *denied)
{
  for (; *name != '\0' && *denied != '\0'; name++, denied++)
    {
      char a = *name == '_' ? '-' : g_ascii_tolower (*name);
      char b = *denied == '_' ? '-' : g_ascii_tolower (*denied);

      if (a != b)
        return FALSE;
    }
  return *name == '\0' && *denied == '\0';
}

static gboolean
option_always_denied (const char *name)
{
  gsize i;

  /* x-* are userspace options libmount and systemd act on (x-mount.mkdir,
   * X-mount.owner, x-systemd.*) with root's privileges. */
  if (g_ascii_strncasecmp (name, "x-", 2) == 0 || g_ascii_strncasecmp (name, "x_", 2) == 0)
    return TRUE;

  for (i = 0; i < G_N_ELEMENTS (denied_options); i++)
    if (option_name_matches (name, denied_options[i]))
      return TRUE;

  return FALSE;
}

gboolean
refmount_validate_options (const RefmountConfig *config,
                           const char           *fstype,
                           const char *const    *options,
                           GError              **error)
{
  const RefmountFsConfig *fs = refmount_config_get_fs (config, fstype);
  guint                   n = options != NULL ? g_strv_length ((GStrv) options) : 0;
  guint                   i;

  if (n > REFMOUNT_OPTIONS_MAX_COUNT)
    {
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT,
                   "Invalid options: %u given, at most %d allowed",
                   n, REFMOUNT_OPTIONS_MAX_COUNT);
      return FALSE;
    }

  for (i = 0; i < n; i++)
    {
      const char      *option = options[i];
      const char      *problem = refmount_syntax_option_problem (option);
      g_autofree char *name = NULL;
      g_autofree char *escaped = NULL;

      if (problem != NULL)
        return invalid (error, "options element", option, problem);

      name = g_strndup (option, strcspn (option, "="));
      escaped = refmount_syntax_escape (option);
      if (option_always_denied (name))
        {
          g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT,
                       "Invalid options: option '%s' is never allowed", escaped);
          return FALSE;
        }
      if (fs == NULL || fs->allowed_options == NULL ||
          !g_strv_contains ((const char *const *) fs->allowed_options, name))
        {
          g_autofree char *escaped_fstype = refmount_syntax_escape (fstype);

          g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT,
                       "Invalid options: option '%s' is not allowed for %s",
                       escaped, escaped_fstype);
          return FALSE;
        }
    }

  return TRUE;
}

gboolean
refmount_validate_attachment (const char *attachment,
                              GError    **error)
{
  const char *problem = refmount_syntax_attachment_problem (attachment);

  if (problem != NULL)
    return invalid (error, "attachment", attachment != NULL ? attachment : "", problem);
  return TRUE;
}

/* Parse an a{sv} of boolean flags named in @keys into @values (same
 * index).  @values is written only on success. */
static gboolean
parse_flags (GVariant          *flags,
             const char *const *keys,
             gboolean          *values,
             gsize              n_keys,
             GError           **error)
{
  g_autofree gboolean *parsed = g_new0 (gboolean, n_keys);
  GVariantIter         iter;
  const char          *key;
  GVariant            *value_ref;

  if (flags == NULL)
    {
      memset (values, 0, n_keys * sizeof (gboolean));
      return TRUE;
    }
  if (!g_variant_is_of_type (flags, G_VARIANT_TYPE_VARDICT))
    {
      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT,
                   "Invalid flags of type '%s': must be a{sv}",
                   g_variant_get_type_string (flags));
      return FALSE;
    }

  g_variant_iter_init (&iter, flags);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value_ref))
    {
      g_autoptr (GVariant) value = value_ref;
      gsize                i;

      for (i = 0; i < n_keys; i++)
        if (strcmp (key, keys[i]) == 0)
          break;

      if (i == n_keys)
        return invalid (error, "flags key", key, "unknown flag");
      if (!g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
        {
          g_autofree char *reason = g_strdup_printf ("must be a boolean ('b'), not '%s'",
                                                     g_variant_get_type_string (value));
          return invalid (error, "flags key", key, reason);
        }
      parsed[i] = g_variant_get_boolean (value);
    }

  memcpy (values, parsed, n_keys * sizeof (gboolean));
  return TRUE;
}

gboolean
refmount_validate_mount_flags (GVariant           *flags,
                               RefmountMountFlags *out,
                               GError            **error)
{
  static const char *const keys[] = { REFMOUNT_FLAG_RELEASE_ON_EXIT, REFMOUNT_FLAG_OWNER,
                                      REFMOUNT_FLAG_SHOW };
  gboolean                 values[G_N_ELEMENTS (keys)];
  g_autoptr (GVariant)     show = NULL;

  if (!parse_flags (flags, keys, values, G_N_ELEMENTS (keys), error))
    return FALSE;

  if (out != NULL)
    {
      out->release_on_exit = values[0];
      out->owner = values[1];
      /* A private mount of one's own is what a file manager should show;
       * "show": false says otherwise. */
      show = flags != NULL ? g_variant_lookup_value (flags, REFMOUNT_FLAG_SHOW, G_VARIANT_TYPE_BOOLEAN)
                           : NULL;
      out->show = show != NULL ? values[2] : values[1];
    }
  return TRUE;
}

gboolean
refmount_validate_unmount_flags (GVariant *flags,
                                 gboolean *out_force,
                                 gboolean *out_lazy,
                                 GError  **error)
{
  static const char *const keys[] = { REFMOUNT_FLAG_FORCE, REFMOUNT_FLAG_LAZY };
  gboolean                 values[G_N_ELEMENTS (keys)];

  if (!parse_flags (flags, keys, values, G_N_ELEMENTS (keys), error))
    return FALSE;

  if (out_force != NULL)
    *out_force = values[0];
  if (out_lazy != NULL)
    *out_lazy = values[1];
  return TRUE;
}

char *
refmount_derive_mountpoint (const RefmountConfig *config,
                            const char           *fstype,
                            const char           *source)
{
  g_autofree char *digest = NULL;

  g_return_val_if_fail (config->mount_roots != NULL && config->mount_roots[0] != NULL, NULL);
  g_return_val_if_fail (fstype != NULL && source != NULL, NULL);

  /* A hash keeps the name one safe component whatever the source holds,
   * and the same export always maps to the same place (as in Nova). */
  digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, source, -1);
  return g_strdup_printf ("%s/%s-%.16s", config->mount_roots[0], fstype, digest);
}

/* Flag options that undo each other, beyond the "X"/"noX" rule below. */
static const char *const opposite_pairs[][2] = {
  { "ro", "rw" },
  { "sync", "async" },
  { "loud", "silent" },
};

/* What an option sets: options with the same key override one another, and
 * libmount applies them in order, so the last one wins.  The key is the
 * name ("size" for "size=2m"); for a flag without a value it is shared
 * with its opposite: "ro"/"rw", "sync"/"async", and "X"/"noX" ("atime",
 * "exec", "suid", "dev", "ac", "lock"…). */
static char *
option_key (const char *option)
{
  const char *eq = strchr (option, '=');

  if (eq != NULL)
    return g_strndup (option, (gsize) (eq - option));
  for (gsize i = 0; i < G_N_ELEMENTS (opposite_pairs); i++)
    if (strcmp (option, opposite_pairs[i][0]) == 0 || strcmp (option, opposite_pairs[i][1]) == 0)
      return g_strdup (opposite_pairs[i][0]);
  if (g_str_has_prefix (option, "no") && option[2] != '\0')
    return g_strdup (option + 2);
  return g_strdup (option);
}

GStrv
refmount_options_normalise (const char *const *options)
{
  g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  gsize                 n = options != NULL ? g_strv_length ((GStrv) options) : 0;

  for (gsize i = 0; i < n; i++)
    g_ptr_array_add (keys, option_key (options[i]));
  /* Only the last option of each key survives, in mount order. */
  for (gsize i = 0; i < n; i++)
    {
      gboolean overridden = FALSE;

      for (gsize j = i + 1; j < n && !overridden; j++)
        overridden = strcmp (g_ptr_array_index (keys, i), g_ptr_array_index (keys, j)) == 0;
      if (!overridden)
        g_ptr_array_add (out, g_strdup (options[i]));
    }
  g_ptr_array_add (out, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&out), FALSE);
}

GStrv
refmount_effective_options (const RefmountConfig *config,
                            const char           *fstype,
                            const char *const    *options)
{
  const RefmountFsConfig  *fs = refmount_config_get_fs (config, fstype);
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) all = NULL;

  /* Forced options come last: libmount lets a later option override an
   * earlier conflicting one, so they win over anything a caller passed.
   * Then the list is normalised to what the kernel is asked for. */
  if (options != NULL)
    g_strv_builder_addv (builder, (const char **) options);
  if (fs != NULL && fs->forced_options != NULL)
    g_strv_builder_addv (builder, (const char **) fs->forced_options);
  if (config->forced_options != NULL)
    g_strv_builder_addv (builder, (const char **) config->forced_options);
  all = g_strv_builder_end (builder);
  return refmount_options_normalise ((const char *const *) all);
}

gboolean
refmount_options_check_confined (const char *const *effective,
                                 GError           **error)
{
  g_autofree char *optstr = effective != NULL ? g_strjoinv (",", (GStrv) effective) : g_strdup ("");
  unsigned long    flags = 0;

  /* Ask libmount, which builds the mount(2) flags from this very string,
   * rather than trusting our own reading of it. */
  if (mnt_optstr_get_flags (optstr, &flags, mnt_get_builtin_optmap (MNT_LINUX_MAP)) != 0 ||
      (flags & MS_NOSUID) == 0 || (flags & MS_NODEV) == 0)
    {
      g_autofree char *escaped = refmount_syntax_escape (optstr);

      g_set_error (error, REFMOUNT_ERROR, REFMOUNT_ERROR_INVALID_ARGUMENT,
                   "Invalid options '%s': the effective options must set nosuid and nodev", escaped);
      return FALSE;
    }
  return TRUE;
}

static gboolean
strv_subset (const char *const *a,
             const char *const *b)
{
  gsize i;

  for (i = 0; a != NULL && a[i] != NULL; i++)
    if (b == NULL || !g_strv_contains (b, a[i]))
      return FALSE;
  return TRUE;
}

gboolean
refmount_options_equal (const char *const *a,
                        const char *const *b)
{
  g_auto (GStrv) na = refmount_options_normalise (a);
  g_auto (GStrv) nb = refmount_options_normalise (b);

  /* Normalised (also records written before normalisation existed), one
   * option per key remains, so the order no longer matters. */
  return strv_subset ((const char *const *) na, (const char *const *) nb) &&
         strv_subset ((const char *const *) nb, (const char *const *) na);
}
