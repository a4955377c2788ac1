/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The argument validator, on everything a caller controls in Mount and
 * Unmount.  Input: newline-separated fields
 *
 *   fstype \n source \n mountpoint \n attachment \n option \n option ...
 *
 * and, independently, the whole input read as a serialized a{sv} (the
 * flags).  Besides "no crash", checks the properties the daemon relies
 * on: an accepted value is safe to hand to libmount.
 */
#include "fuzz-common.h"
#include "refmount-config.h"
#include "refmount-validate.h"

#include <string.h>

static RefmountConfig *
fuzz_config (void)
{
  static RefmountConfig *config;
  static const char      text[] =
    "[Daemon]\n"
    "MountRoots=/run/refmount/mounts;/srv/mnt;\n"
    "AllowedFilesystems=nfs;nfs4;cifs;smb3;glusterfs;fuse.sshfs;tmpfs;\n"
    "[Filesystem tmpfs]\n"
    "AllowedOptions=size;mode;nr_inodes;ro;rw;noexec;noatime;\n"
    "[Filesystem nfs]\n"
    "AllowedOptions=vers;ro;rw;soft;timeo;retrans;\n"
    "[Filesystem cifs]\n"
    "AllowedOptions=vers;ro;rw;credentials;\n"
    "[Filesystem fuse.sshfs]\n"
    "AllowedOptions=port;ro;rw;reconnect;\n";

  if (config == NULL)
    {
      g_autoptr (GError) error = NULL;

      config = refmount_config_load_from_data (text, strlen (text), "fuzz.conf", &error);
      g_assert_no_error (error);
    }
  return config;
}

static void
check_accepted_text (const char *value)
{
  /* Nothing accepted may carry a control character or be invalid UTF-8:
   * such values end up in logs, the state file and D-Bus strings. */
  g_assert (g_utf8_validate (value, -1, NULL));
  for (const char *p = value; *p != '\0'; p++)
    g_assert ((unsigned char) *p >= 0x20 && *p != 0x7f);
}

static void
fuzz_fields (RefmountConfig *config,
             const char     *text)
{
  g_auto (GStrv) fields = g_strsplit (text, "\n", -1);
  guint              n = g_strv_length (fields);
  const char        *fstype = n > 0 ? fields[0] : "";
  const char        *source = n > 1 ? fields[1] : "";
  const char        *mountpoint = n > 2 ? fields[2] : "";
  const char        *attachment = n > 3 ? fields[3] : "";
  const char *const *options = n > 4 ? (const char *const *) fields + 4 : (const char *const *) fields + n;
  g_autofree char   *relative = NULL;
  g_autofree char   *escaped = refmount_syntax_escape (text);
  const char        *root = NULL;
  gboolean           fstype_ok, source_ok, options_ok;

  /* The escaped form goes into error messages: printable, bounded. */
  check_accepted_text (escaped);

  fstype_ok = refmount_validate_fstype (config, fstype, NULL);
  source_ok = refmount_validate_source (fstype, source, NULL);
  if (source_ok)
    {
      check_accepted_text (source);
      g_assert (source[0] != '\0' && source[0] != '-');
      g_assert (strpbrk (source, " \t\n\r\v\f") == NULL);
    }
  if (refmount_validate_mountpoint (config, mountpoint, &root, &relative, NULL))
    {
      check_accepted_text (mountpoint);
      g_assert (refmount_syntax_path_problem (mountpoint) == NULL);
      g_assert (root != NULL && g_str_has_prefix (mountpoint, root));
      g_assert (relative != NULL && relative[0] != '\0' && relative[0] != '/');
      g_assert (strstr (mountpoint, "/../") == NULL && !g_str_has_suffix (mountpoint, "/.."));
    }
  if (refmount_validate_attachment (attachment, NULL))
    {
      gsize len = strlen (attachment);

      g_assert (len >= 1 && len <= 255 && attachment[0] != '-');
      g_assert (strspn (attachment, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                    "0123456789._:@+=-") == len);
    }
  options_ok = refmount_validate_options (config, fstype, options, NULL);
  if (options_ok)
    for (guint i = 0; options[i] != NULL; i++)
      {
        check_accepted_text (options[i]);
        g_assert (strchr (options[i], ',') == NULL);
        g_assert (refmount_syntax_option_problem (options[i]) == NULL);
        g_assert (g_ascii_strncasecmp (options[i], "x-", 2) != 0);
        g_assert (!g_str_has_prefix (options[i], "helper="));
        g_assert (strcmp (options[i], "suid") != 0 && strcmp (options[i], "dev") != 0);
        g_assert (!g_str_has_prefix (options[i], "credentials"));
      }
  if (fstype_ok && source_ok && options_ok)
    {
      g_auto (GStrv) effective = refmount_effective_options (config, fstype, options);
      g_autofree char *derived = refmount_derive_mountpoint (config, fstype, source);

      /* Forced options always win their place. */
      g_assert (g_strv_contains ((const char *const *) effective, "nosuid"));
      g_assert (g_strv_contains ((const char *const *) effective, "nodev"));
      /* … and libmount reads the final string as nosuid,nodev. */
      g_assert (refmount_options_check_confined ((const char *const *) effective, NULL));
      g_assert (refmount_options_equal ((const char *const *) effective,
                                        (const char *const *) effective));
      g_assert (refmount_validate_mountpoint (config, derived, NULL, NULL, NULL));
    }
}

static void
fuzz_flags (const uint8_t *data,
            size_t         size)
{
  g_autoptr (GBytes)   bytes = g_bytes_new (data, size);
  g_autoptr (GVariant) raw = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, bytes, FALSE));
  /* GDBus only ever hands the daemon normal-form values. */
  g_autoptr (GVariant) flags = g_variant_get_normal_form (raw);
  RefmountMountFlags   mount_flags;
  gboolean             force = FALSE, lazy = FALSE;

  /* Only known keys with boolean values pass. */
  if (refmount_validate_mount_flags (flags, &mount_flags, NULL))
    g_assert (g_variant_n_children (flags) <= 3);
  if (refmount_validate_unmount_flags (flags, &force, &lazy, NULL))
    g_assert (g_variant_n_children (flags) <= 2);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);

  fuzz_set_up ();
  fuzz_fields (fuzz_config (), text);
  fuzz_flags (data, size);
  return 0;
}
