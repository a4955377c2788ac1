/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>

#include "refmount-config.h"
#include "refmount-names.h"
#include "refmount-resources.h"
#include "refmount-syntax.h"

#define TIMEOUT_MAX_SEC 3600

static const char *const no_options[] = { NULL };

static void
fs_config_free (RefmountFsConfig *fs)
{
  g_free (fs->fstype);
  g_strfreev (fs->allowed_options);
  g_strfreev (fs->forced_options);
  g_free (fs);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RefmountFsConfig, fs_config_free)

/* Types whose server can go away: their health is probed by default. */
gboolean
refmount_config_fstype_is_network (const char *fstype)
{
  static const char *const network[] = { "nfs", "nfs4", "cifs", "smb3", "glusterfs", "sshfs", NULL };

  return g_strv_contains (network, fstype) || g_str_has_prefix (fstype, "fuse.");
}

static RefmountFsConfig *
fs_config_new (const char        *fstype,
               const char *const *allowed_options,
               const char *const *forced_options,
               gboolean           use_helper)
{
  RefmountFsConfig *fs = g_new0 (RefmountFsConfig, 1);

  fs->fstype = g_strdup (fstype);
  fs->allowed_options = g_strdupv ((GStrv) allowed_options);
  fs->forced_options = g_strdupv ((GStrv) forced_options);
  fs->use_helper = use_helper;
  fs->health_interval_sec = refmount_config_fstype_is_network (fstype) ? REFMOUNT_HEALTH_DEFAULT_INTERVAL_SEC : 0;
  fs->health_timeout_sec = REFMOUNT_HEALTH_DEFAULT_TIMEOUT_SEC;
  return fs;
}

static void
config_clear (gpointer data)
{
  RefmountConfig *config = data;

  g_strfreev (config->mount_roots);
  g_strfreev (config->allowed_filesystems);
  g_strfreev (config->forced_options);
  g_clear_pointer (&config->filesystems, g_hash_table_unref);
}

/* Nothing set: what the built-in file is merged onto. */
static RefmountConfig *
config_new_empty (void)
{
  RefmountConfig *config = g_atomic_rc_box_new0 (RefmountConfig);

  config->mount_roots = g_new0 (char *, 1);
  config->allowed_filesystems = g_new0 (char *, 1);
  config->forced_options = g_new0 (char *, 1);
  config->filesystems = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) fs_config_free);
  return config;
}

static gboolean merge_data (RefmountConfig *config,
                            const char     *data,
                            gsize           length,
                            const char     *file,
                            GError        **error);

GBytes *
refmount_config_get_builtin_data (void)
{
  static gsize       registered = 0;
  g_autoptr (GError) error = NULL;
  GBytes            *bytes;

  if (g_once_init_enter (&registered))
    {
      refmount_builtin_register_resource ();
      g_once_init_leave (&registered, 1);
    }
  bytes = g_resource_lookup_data (refmount_builtin_get_resource (), REFMOUNT_CONFIG_BUILTIN_PATH,
                                  G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
  /* Compiled in: missing only in a broken build. */
  if (bytes == NULL)
    g_error ("The built-in configuration is missing: %s", error->message);
  return bytes;
}

RefmountConfig *
refmount_config_new_default (void)
{
  g_autoptr (RefmountConfig) config = config_new_empty ();
  g_autoptr (GBytes)         builtin = refmount_config_get_builtin_data ();
  g_autoptr (GError)         error = NULL;
  gsize                      length = 0;
  const char                *data = g_bytes_get_data (builtin, &length);

  /* test-config checks that the file parses and sets every [Daemon] key;
   * failing here means the build shipped a file that it never tested. */
  if (!merge_data (config, data, length, "built-in " REFMOUNT_CONFIG_BUILTIN_PATH, &error))
    g_error ("The built-in configuration does not load: %s", error->message);
  if (config->mount_roots[0] == NULL || config->mount_timeout_sec == 0 || config->max_mounts == 0 ||
      config->max_attachments_per_user == 0 || config->authorization_timeout_sec == 0 ||
      config->interactive_authorization_timeout_sec == 0 || config->max_calls_per_client == 0 ||
      config->max_calls_per_user == 0 || config->max_calls_total == 0)
    g_error ("The built-in configuration lacks [%s] MountRoots, MountTimeoutSec, MaxMounts, "
             "MaxAttachmentsPerUser, AuthorizationTimeoutSec, InteractiveAuthorizationTimeoutSec or MaxCalls*",
             REFMOUNT_CONFIG_GROUP_DAEMON);
  return g_steal_pointer (&config);
}

RefmountConfig *
refmount_config_ref (RefmountConfig *config)
{
  return g_atomic_rc_box_acquire (config);
}

void
refmount_config_unref (RefmountConfig *config)
{
  if (config != NULL)
    g_atomic_rc_box_release_full (config, config_clear);
}

const RefmountFsConfig *
refmount_config_get_fs (const RefmountConfig *config,
                        const char           *fstype)
{
  if (fstype == NULL)
    return NULL;
  return g_hash_table_lookup (config->filesystems, fstype);
}

gboolean
refmount_config_fs_allowed (const RefmountConfig *config,
                            const char           *fstype)
{
  return fstype != NULL &&
         config->allowed_filesystems != NULL &&
         g_strv_contains ((const char *const *) config->allowed_filesystems, fstype);
}

/* ---- loading ---------------------------------------------------------- */

/* Where a value came from, for error messages. */
typedef struct
{
  const char *file;
  const char *group;
  const char *key;
} Origin;

static gboolean
fail_at (GError      **error,
         const Origin *origin,
         gint          code,
         const char   *value,
         const char   *reason)
{
  g_autofree char *group = refmount_syntax_escape (origin->group);
  g_autofree char *key = origin->key != NULL ? refmount_syntax_escape (origin->key) : NULL;

  if (key == NULL)
    g_set_error (error, G_KEY_FILE_ERROR, code, "%s: group [%s]: %s",
                 origin->file, group, reason);
  else if (value == NULL)
    g_set_error (error, G_KEY_FILE_ERROR, code, "%s: group [%s], key %s: %s",
                 origin->file, group, key, reason);
  else
    {
      g_autofree char *escaped = refmount_syntax_escape (value);

      g_set_error (error, G_KEY_FILE_ERROR, code,
                   "%s: group [%s], key %s: invalid value '%s': %s",
                   origin->file, group, key, escaped, reason);
    }
  return FALSE;
}

static gboolean
fail_value (GError      **error,
            const Origin *origin,
            const char   *value,
            const char   *reason)
{
  return fail_at (error, origin, G_KEY_FILE_ERROR_INVALID_VALUE, value, reason);
}

static GStrv
get_list (GKeyFile     *keyfile,
          const Origin *origin,
          GError      **error)
{
  g_autoptr (GError) local_error = NULL;
  g_auto (GStrv) list = g_key_file_get_string_list (keyfile, origin->group, origin->key,
                                                    NULL, &local_error);

  if (list == NULL)
    {
      g_autofree char *raw = g_key_file_get_value (keyfile, origin->group, origin->key, NULL);

      fail_value (error, origin, raw, local_error->message);
      return NULL;
    }
  return g_steal_pointer (&list);
}

static gboolean
get_uint (GKeyFile     *keyfile,
          const Origin *origin,
          guint         min,
          guint         max,
          guint        *out_value)
{
  g_autofree char *raw = g_key_file_get_value (keyfile, origin->group, origin->key, NULL);
  g_autofree char *stripped = g_strstrip (g_strdup (raw != NULL ? raw : ""));
  guint64          value;

  if (!g_ascii_string_to_unsigned (stripped, 10, min, max, &value, NULL))
    return FALSE;
  *out_value = (guint) value;
  return TRUE;
}

static gboolean
set_uint (GKeyFile     *keyfile,
          const Origin *origin,
          guint         min,
          guint         max,
          guint        *field,
          GError      **error)
{
  if (!get_uint (keyfile, origin, min, max, field))
    {
      g_autofree char *raw = g_key_file_get_value (keyfile, origin->group, origin->key, NULL);
      g_autofree char *reason = g_strdup_printf ("must be an integer from %u to %u", min, max);

      return fail_value (error, origin, raw, reason);
    }
  return TRUE;
}

static gboolean
path_is_beneath_or_equal (const char *path,
                          const char *base)
{
  gsize len = strlen (base);

  return strncmp (path, base, len) == 0 && (path[len] == '\0' || path[len] == '/');
}

static gboolean
set_mount_roots (RefmountConfig *config,
                 GKeyFile       *keyfile,
                 const Origin   *origin,
                 GError        **error)
{
  g_auto (GStrv) roots = get_list (keyfile, origin, error);
  gsize i, j;

  if (roots == NULL)
    return FALSE;
  if (roots[0] == NULL)
    return fail_at (error, origin, G_KEY_FILE_ERROR_INVALID_VALUE, NULL,
                    "at least one mount root is required");

  for (i = 0; roots[i] != NULL; i++)
    {
      const char *problem = refmount_syntax_path_problem (roots[i]);

      if (problem != NULL)
        return fail_value (error, origin, roots[i], problem);
      if (strcmp (roots[i], "/") == 0)
        return fail_value (error, origin, roots[i], "must not be '/'");

      /* Nested roots would let a mount cover another root, and make the
       * root a mountpoint belongs to ambiguous. */
      for (j = 0; j < i; j++)
        if (path_is_beneath_or_equal (roots[i], roots[j]) ||
            path_is_beneath_or_equal (roots[j], roots[i]))
          {
            g_autofree char *other = refmount_syntax_escape (roots[j]);
            g_autofree char *reason = g_strdup_printf ("overlaps mount root '%s'", other);

            return fail_value (error, origin, roots[i], reason);
          }
    }

  g_strfreev (config->mount_roots);
  config->mount_roots = g_steal_pointer (&roots);
  return TRUE;
}

static gboolean
set_filesystems (RefmountConfig *config,
                 GKeyFile       *keyfile,
                 const Origin   *origin,
                 GError        **error)
{
  g_auto (GStrv) list = get_list (keyfile, origin, error);
  gsize i;

  if (list == NULL)
    return FALSE;
  for (i = 0; list[i] != NULL; i++)
    {
      const char *problem = refmount_syntax_fstype_problem (list[i]);

      if (problem != NULL)
        return fail_value (error, origin, list[i], problem);
    }

  g_strfreev (config->allowed_filesystems);
  config->allowed_filesystems = g_steal_pointer (&list);
  return TRUE;
}

/* ForcedOptions are full options set by the admin, so names callers may
 * never pass (credentials=, IdentityFile=, …) are fine here; each entry
 * must still be exactly one well-formed option. */
static gboolean
set_option_list (GStrv        *field,
                 GKeyFile     *keyfile,
                 const Origin *origin,
                 gboolean      names_only,
                 GError      **error)
{
  g_auto (GStrv) list = get_list (keyfile, origin, error);
  gsize i;

  if (list == NULL)
    return FALSE;
  for (i = 0; list[i] != NULL; i++)
    {
      const char *problem = refmount_syntax_option_problem (list[i]);

      if (problem != NULL)
        return fail_value (error, origin, list[i], problem);
      /* Only the name is compared with a caller's option, so an entry with
       * '=' could never match: almost certainly a mistake. */
      if (names_only && strchr (list[i], '=') != NULL)
        return fail_value (error, origin, list[i], "must be an option name without '='");
    }

  g_strfreev (*field);
  *field = g_steal_pointer (&list);
  return TRUE;
}

static gboolean
apply_daemon_group (RefmountConfig *config,
                    GKeyFile       *keyfile,
                    const char     *file,
                    GError        **error)
{
  g_auto (GStrv) keys = g_key_file_get_keys (keyfile, REFMOUNT_CONFIG_GROUP_DAEMON, NULL, error);
  gsize i;

  if (keys == NULL)
    return FALSE;

  for (i = 0; keys[i] != NULL; i++)
    {
      const char *key = keys[i];
      Origin      origin = { file, REFMOUNT_CONFIG_GROUP_DAEMON, key };
      gboolean    ok;

      if (strcmp (key, REFMOUNT_CONFIG_KEY_MOUNT_ROOTS) == 0)
        ok = set_mount_roots (config, keyfile, &origin, error);
      else if (strcmp (key, REFMOUNT_CONFIG_KEY_ALLOWED_FS) == 0)
        ok = set_filesystems (config, keyfile, &origin, error);
      else if (strcmp (key, REFMOUNT_CONFIG_KEY_FORCED_OPTS) == 0)
        ok = set_option_list (&config->forced_options, keyfile, &origin, FALSE, error);
      else if (strcmp (key, REFMOUNT_CONFIG_KEY_TIMEOUT) == 0)
        ok = set_uint (keyfile, &origin, 1, TIMEOUT_MAX_SEC, &config->mount_timeout_sec, error);
      else if (strcmp (key, REFMOUNT_CONFIG_KEY_MAX_MOUNTS) == 0)
        ok = set_uint (keyfile, &origin, 1, G_MAXUINT, &config->max_mounts, error);
      else if (strcmp (key, REFMOUNT_CONFIG_KEY_MAX_ATTACH) == 0)
        ok = set_uint (keyfile, &origin, 1, G_MAXUINT, &config->max_attachments_per_user, error);
      else if (strcmp (key, REFMOUNT_CONFIG_KEY_AUTH_TIMEOUT) == 0)
        ok = set_uint (keyfile, &origin, 1, TIMEOUT_MAX_SEC, &config->authorization_timeout_sec, error);
      else if (strcmp (key, REFMOUNT_CONFIG_KEY_AUTH_TIMEOUT_INTERACTIVE) == 0)
        ok = set_uint (keyfile, &origin, 1, TIMEOUT_MAX_SEC, &config->interactive_authorization_timeout_sec, error);
      else if (strcmp (key, REFMOUNT_CONFIG_KEY_MAX_CALLS_CLIENT) == 0)
        ok = set_uint (keyfile, &origin, 1, G_MAXINT, &config->max_calls_per_client, error);
      else if (strcmp (key, REFMOUNT_CONFIG_KEY_MAX_CALLS_USER) == 0)
        ok = set_uint (keyfile, &origin, 1, G_MAXINT, &config->max_calls_per_user, error);
      else if (strcmp (key, REFMOUNT_CONFIG_KEY_MAX_CALLS_TOTAL) == 0)
        ok = set_uint (keyfile, &origin, 1, G_MAXINT, &config->max_calls_total, error);
      else
        ok = fail_at (error, &origin, G_KEY_FILE_ERROR_KEY_NOT_FOUND, NULL, "unknown key");

      if (!ok)
        return FALSE;
    }

  return TRUE;
}

static gboolean
apply_fs_group (RefmountConfig *config,
                GKeyFile       *keyfile,
                const char     *file,
                const char     *group,
                GError        **error)
{
  const char *fstype = group + strlen (REFMOUNT_CONFIG_GROUP_FS_PREFIX);
  const char *problem = refmount_syntax_fstype_problem (fstype);
  Origin      group_origin = { file, group, NULL };
  g_auto (GStrv) keys = NULL;
  RefmountFsConfig *fs;
  gsize             i;

  if (problem != NULL)
    {
      g_autofree char *reason = g_strconcat ("the filesystem type ", problem, NULL);

      return fail_at (error, &group_origin, G_KEY_FILE_ERROR_GROUP_NOT_FOUND, NULL, reason);
    }

  keys = g_key_file_get_keys (keyfile, group, NULL, error);
  if (keys == NULL)
    return FALSE;

  /* A group only overrides the keys it sets; a type new to this config
   * starts with nothing allowed, nothing forced and no helper. */
  fs = g_hash_table_lookup (config->filesystems, fstype);
  if (fs == NULL)
    {
      fs = fs_config_new (fstype, no_options, no_options, FALSE);
      g_hash_table_replace (config->filesystems, fs->fstype, fs);
    }

  for (i = 0; keys[i] != NULL; i++)
    {
      const char *key = keys[i];
      Origin      origin = { file, group, key };
      gboolean    ok;

      if (strcmp (key, REFMOUNT_CONFIG_KEY_ALLOWED_OPTS) == 0)
        ok = set_option_list (&fs->allowed_options, keyfile, &origin, TRUE, error);
      else if (strcmp (key, REFMOUNT_CONFIG_KEY_FORCED_OPTS) == 0)
        ok = set_option_list (&fs->forced_options, keyfile, &origin, FALSE, error);
      else if (strcmp (key, REFMOUNT_CONFIG_KEY_USE_HELPER) == 0)
        {
          g_autoptr (GError) local_error = NULL;
          gboolean           value = g_key_file_get_boolean (keyfile, group, key, &local_error);

          ok = local_error == NULL;
          if (ok)
            fs->use_helper = value;
          else
            {
              g_autofree char *raw = g_key_file_get_value (keyfile, group, key, NULL);

              fail_value (error, &origin, raw, "must be true or false");
            }
        }
      else if (strcmp (key, REFMOUNT_CONFIG_KEY_HEALTH_INTERVAL) == 0)
        ok = set_uint (keyfile, &origin, 0, TIMEOUT_MAX_SEC, &fs->health_interval_sec, error);
      else if (strcmp (key, REFMOUNT_CONFIG_KEY_HEALTH_TIMEOUT) == 0)
        ok = set_uint (keyfile, &origin, 1, TIMEOUT_MAX_SEC, &fs->health_timeout_sec, error);
      else if (strcmp (key, REFMOUNT_CONFIG_KEY_AUTO_RECOVER) == 0)
        {
          g_autoptr (GError) local_error = NULL;
          gboolean           value = g_key_file_get_boolean (keyfile, group, key, &local_error);

          ok = local_error == NULL;
          if (ok)
            fs->auto_recover = value;
          else
            {
              g_autofree char *raw = g_key_file_get_value (keyfile, group, key, NULL);

              fail_value (error, &origin, raw, "must be true or false");
            }
        }
      else
        ok = fail_at (error, &origin, G_KEY_FILE_ERROR_KEY_NOT_FOUND, NULL, "unknown key");

      if (!ok)
        return FALSE;
    }

  return TRUE;
}

static gboolean
apply_keyfile (RefmountConfig *config,
               GKeyFile       *keyfile,
               const char     *file,
               GError        **error)
{
  g_auto (GStrv) groups = g_key_file_get_groups (keyfile, NULL);
  gsize i;

  for (i = 0; groups[i] != NULL; i++)
    {
      const char *group = groups[i];
      gboolean    ok;

      if (strcmp (group, REFMOUNT_CONFIG_GROUP_DAEMON) == 0)
        ok = apply_daemon_group (config, keyfile, file, error);
      else if (g_str_has_prefix (group, REFMOUNT_CONFIG_GROUP_FS_PREFIX))
        ok = apply_fs_group (config, keyfile, file, group, error);
      else
        {
          /* A misspelt group would otherwise drop its settings silently. */
          Origin origin = { file, group, NULL };

          ok = fail_at (error, &origin, G_KEY_FILE_ERROR_GROUP_NOT_FOUND, NULL, "unknown group");
        }

      if (!ok)
        return FALSE;
    }

  return TRUE;
}

static gboolean
merge_data (RefmountConfig *config,
            const char     *data,
            gsize           length,
            const char     *file,
            GError        **error)
{
  g_autoptr (GError)   local_error = NULL;
  g_autoptr (GKeyFile) keyfile = g_key_file_new ();

  /* Without KEEP_TRANSLATIONS GKeyFile would silently drop "Key[xx]"
   * lines for other locales; keeping them gets them rejected as unknown
   * keys whatever the daemon's locale. */
  if (!g_key_file_load_from_data (keyfile, data, length, G_KEY_FILE_KEEP_TRANSLATIONS,
                                  &local_error))
    {
      g_set_error (error, G_KEY_FILE_ERROR, local_error->code, "%s: %s",
                   file, local_error->message);
      return FALSE;
    }

  return apply_keyfile (config, keyfile, file, error);
}

static gboolean
merge_file (RefmountConfig *config,
            const char     *file,
            gboolean        missing_ok,
            GError        **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char   *contents = NULL;
  gsize              length = 0;

  if (!g_file_get_contents (file, &contents, &length, &local_error))
    {
      if (missing_ok && g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_set_error_literal (error, G_IO_ERROR,
                           g_io_error_from_file_error (local_error->code),
                           local_error->message);
      return FALSE;
    }

  return merge_data (config, contents, length, file, error);
}

static gint
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static gboolean
merge_dropins (RefmountConfig *config,
               const char     *path,
               GError        **error)
{
  g_autofree char      *dir_path = g_strconcat (path, ".d", NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError)    local_error = NULL;
  g_autoptr (GDir)      dir = g_dir_open (dir_path, 0, &local_error);
  const char           *name;
  guint                 i;

  if (dir == NULL)
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_set_error_literal (error, G_IO_ERROR,
                           g_io_error_from_file_error (local_error->code),
                           local_error->message);
      return FALSE;
    }

  /* Hidden files are left alone: editors and package managers park
   * backups and in-progress copies there. */
  while ((name = g_dir_read_name (dir)) != NULL)
    if (name[0] != '.' && g_str_has_suffix (name, ".conf"))
      g_ptr_array_add (names, g_strdup (name));

  /* Plain byte order, independent of the locale, so that the merge order
   * is the same for everyone. */
  g_ptr_array_sort (names, compare_names);

  for (i = 0; i < names->len; i++)
    {
      g_autofree char *file = g_build_filename (dir_path, g_ptr_array_index (names, i), NULL);

      if (!merge_file (config, file, FALSE, error))
        return FALSE;
    }

  return TRUE;
}

/*
 * Layering: built-in defaults, then @path, then the drop-ins; each file
 * overrides only the keys it sets (a list value replaces the whole list).
 * Values are checked as they are read, so an error names the file that
 * holds the bad value.
 */
RefmountConfig *
refmount_config_load (const char *path,
                      gboolean    missing_ok,
                      GError    **error)
{
  g_autoptr (RefmountConfig) config = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  config = refmount_config_new_default ();
  if (!merge_file (config, path, missing_ok, error) ||
      !merge_dropins (config, path, error))
    return NULL;

  return g_steal_pointer (&config);
}

RefmountConfig *
refmount_config_load_from_data (const char *data,
                                gsize       length,
                                const char *name,
                                GError    **error)
{
  g_autoptr (RefmountConfig) config = refmount_config_new_default ();

  if (!merge_data (config, data, length, name, error))
    return NULL;
  return g_steal_pointer (&config);
}
