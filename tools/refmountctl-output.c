/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * refmountctl's output: aligned tables and "key: value" blocks for
 * humans, JSON (json-glib) for programs.  The JSON field names are an
 * interface; doc/refmountctl.1.scd documents them.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "refmountctl.h"

RefmountCtlOutput
refmountctl_output (const RefmountCtl *ctl,
                    gboolean           pretty_by_default)
{
  switch (ctl->json)
    {
    case REFMOUNTCTL_JSON_OFF:
      return REFMOUNTCTL_OUTPUT_TABLE;
    case REFMOUNTCTL_JSON_PRETTY:
      return REFMOUNTCTL_OUTPUT_JSON_PRETTY;
    case REFMOUNTCTL_JSON_SHORT:
      return REFMOUNTCTL_OUTPUT_JSON_SHORT;
    case REFMOUNTCTL_JSON_DEFAULT:
    default:
      return pretty_by_default ? REFMOUNTCTL_OUTPUT_JSON_PRETTY : REFMOUNTCTL_OUTPUT_JSON_SHORT;
    }
}

/* Terminal columns S takes: wide (East Asian) characters take two,
 * combining and other zero-width ones none, so that columns line up
 * whatever the script.  Invalid UTF-8 counts a column per byte. */
gsize
refmountctl_display_width (const char *s)
{
  gsize width = 0;

  if (!g_utf8_validate (s, -1, NULL))
    return strlen (s);
  for (const char *p = s; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iszerowidth (c))
        continue;
      width += g_unichar_iswide (c) ? 2 : 1;
    }
  return width;
}

guint
refmountctl_attachment_count (RefmountMount *mount)
{
  return refmount_mount_get_attachments (mount)->len;
}

/* The D-Bus spelling of a state or health ("mounted", "stale-handle"),
 * which the library's enums carry as their nicks; "unknown" for a value
 * this refmountctl does not know. */
static const char *
enum_nick (GType type,
           int   value)
{
  g_autoptr (GEnumClass) klass = g_type_class_ref (type);
  GEnumValue            *found = g_enum_get_value (klass, value);

  /* Enum classes stay alive once made: the nick outlives KLASS's ref. */
  return found != NULL ? found->value_nick : "unknown";
}

const char *
refmountctl_state_name (RefmountMountState state)
{
  return enum_nick (REFMOUNT_TYPE_MOUNT_STATE, state);
}

const char *
refmountctl_health_name (RefmountMountHealth health)
{
  return enum_nick (REFMOUNT_TYPE_MOUNT_HEALTH, health);
}

/* Whitespace, control characters and backslashes as \xNN (as findmnt
 * does), so that every table cell is one word and columns stay aligned. */
char *
refmountctl_escape_text (const char *s)
{
  GString *out = g_string_new (NULL);

  for (const guchar *p = (const guchar *) s; *p != '\0'; p++)
    {
      if (*p < 0x20 || *p == 0x7f || *p == '\\')
        g_string_append_printf (out, "\\x%02x", *p);
      else
        g_string_append_c (out, (char) *p);
    }
  return g_string_free (out, FALSE);
}

char *
refmountctl_escape (const char *s)
{
  GString *out = g_string_new (NULL);

  for (const char *p = s != NULL ? s : ""; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c <= ' ' || c == 0x7f || c == '\\')
        g_string_append_printf (out, "\\x%02x", c);
      else
        g_string_append_c (out, (char) c);
    }
  return g_string_free (out, FALSE);
}

char *
refmountctl_format_time (guint64 usec)
{
  g_autoptr (GDateTime) utc = NULL;
  g_autoptr (GDateTime) local = NULL;

  if (usec == 0)
    return g_strdup ("-");
  utc = g_date_time_new_from_unix_utc ((gint64) (usec / G_USEC_PER_SEC));
  if (utc == NULL)
    return g_strdup_printf ("@%" G_GUINT64_FORMAT, usec);
  local = g_date_time_to_local (utc);
  return g_date_time_format (local, "%Y-%m-%d %H:%M:%S %Z");
}

/* ---- JSON -------------------------------------------------------------- */

static void
add_strv (JsonBuilder       *builder,
          const char        *member,
          const char *const *strv)
{
  json_builder_set_member_name (builder, member);
  json_builder_begin_array (builder);
  for (gsize i = 0; strv != NULL && strv[i] != NULL; i++)
    json_builder_add_string_value (builder, strv[i]);
  json_builder_end_array (builder);
}

static void
add_string (JsonBuilder *builder,
            const char  *member,
            const char  *value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_string_value (builder, value != NULL ? value : "");
}

static void
add_int (JsonBuilder *builder,
         const char  *member,
         gint64       value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_int_value (builder, value);
}

/* Health and Usage; from an older refmountd without them, "unknown" and
 * zeros. */
static void
mount_usage (RefmountMount *mount,
             guint64        usage[3])
{
  refmount_mount_get_usage (mount, &usage[0], &usage[1], &usage[2]);
}

static const char *
mount_health (RefmountMount *mount)
{
  return refmountctl_health_name (refmount_mount_get_health (mount));
}

static void
add_health (JsonBuilder   *builder,
            RefmountMount *mount)
{
  guint64 usage[3];

  mount_usage (mount, usage);
  add_string (builder, "health", mount_health (mount));
  add_int (builder, "health_checked_at_usec", (gint64) refmount_mount_get_health_checked_at (mount));
  add_string (builder, "health_message", refmount_mount_get_health_message (mount));
  json_builder_set_member_name (builder, "usage");
  json_builder_begin_object (builder);
  add_int (builder, "size", (gint64) usage[0]);
  add_int (builder, "free", (gint64) usage[1]);
  add_int (builder, "available", (gint64) usage[2]);
  json_builder_end_object (builder);
}

static void
build_mount (JsonBuilder   *builder,
             RefmountMount *mount)
{
  GPtrArray *attachments = refmount_mount_get_attachments (mount);

  json_builder_begin_object (builder);
  add_string (builder, "mountpoint", refmount_mount_get_mountpoint (mount));
  add_string (builder, "fstype", refmount_mount_get_filesystem_type (mount));
  add_string (builder, "source", refmount_mount_get_source (mount));
  add_strv (builder, "options", refmount_mount_get_options (mount));
  add_string (builder, "state", refmountctl_state_name (refmount_mount_get_state (mount)));
  add_int (builder, "mounted_at_usec", (gint64) refmount_mount_get_mounted_at (mount));
  add_health (builder, mount);
  add_string (builder, "object_path", refmount_mount_get_object_path (mount));
  json_builder_set_member_name (builder, "attachments");
  json_builder_begin_array (builder);
  for (guint i = 0; i < attachments->len; i++)
    {
      RefmountAttachment *attachment = g_ptr_array_index (attachments, i);

      json_builder_begin_object (builder);
      add_string (builder, "id", refmount_attachment_get_id (attachment));
      add_int (builder, "uid", refmount_attachment_get_uid (attachment));
      add_int (builder, "attached_at_usec", refmount_attachment_get_time (attachment));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

JsonNode *
refmountctl_mount_to_json (RefmountMount *mount)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  build_mount (builder, mount);
  return json_builder_get_root (builder);
}

void
refmountctl_print_json_to (FILE     *out,
                           JsonNode *node,
                           gboolean  pretty)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autofree char          *text = NULL;

  json_generator_set_pretty (generator, pretty);
  json_generator_set_indent (generator, 2);
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);
  fprintf (out, "%s\n", text);
  fflush (out);
}

void
refmountctl_print_json (JsonNode *node,
                        gboolean  pretty)
{
  refmountctl_print_json_to (stdout, node, pretty);
}

/* ---- tables ------------------------------------------------------------ */

#define LIST_COLUMNS 6

static void
print_row (char *const *cells,
           const gsize *widths,
           guint        n_columns)
{
  GString *line = g_string_new (NULL);

  for (guint c = 0; c < n_columns; c++)
    {
      g_string_append (line, cells[c]);
      if (c + 1 < n_columns)
        for (gsize pad = refmountctl_display_width (cells[c]); pad < widths[c] + 2; pad++)
          g_string_append_c (line, ' ');
    }
  printf ("%s\n", line->str);
  g_string_free (line, TRUE);
}

void
refmountctl_print_list (GPtrArray        *mounts,
                        RefmountCtlOutput output,
                        gboolean          legend)
{
  static const char *const headers[LIST_COLUMNS] = {
    "MOUNTPOINT", "FSTYPE", "SOURCE", "STATE", "HEALTH", "ATTACHMENTS"
  };
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  gsize                 widths[LIST_COLUMNS] = { 0 };

  if (output != REFMOUNTCTL_OUTPUT_TABLE)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode)    root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "mounts");
      json_builder_begin_array (builder);
      for (guint i = 0; i < mounts->len; i++)
        build_mount (builder, g_ptr_array_index (mounts, i));
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      refmountctl_print_json (root, output == REFMOUNTCTL_OUTPUT_JSON_PRETTY);
      return;
    }

  for (guint i = 0; i < mounts->len; i++)
    {
      RefmountMount *mount = g_ptr_array_index (mounts, i);
      char         **row = g_new0 (char *, LIST_COLUMNS + 1);

      row[0] = refmountctl_escape (refmount_mount_get_mountpoint (mount));
      row[1] = refmountctl_escape (refmount_mount_get_filesystem_type (mount));
      row[2] = refmountctl_escape (refmount_mount_get_source (mount));
      row[3] = refmountctl_escape (refmountctl_state_name (refmount_mount_get_state (mount)));
      row[4] = refmountctl_escape (mount_health (mount));
      row[5] = g_strdup_printf ("%u", refmountctl_attachment_count (mount));
      g_ptr_array_add (rows, row);
    }
  for (guint c = 0; c < LIST_COLUMNS; c++)
    {
      widths[c] = legend ? strlen (headers[c]) : 0;
      for (guint i = 0; i < rows->len; i++)
        widths[c] = MAX (widths[c], refmountctl_display_width (((char **) rows->pdata[i])[c]));
    }

  if (legend)
    print_row ((char *const *) headers, widths, LIST_COLUMNS);
  for (guint i = 0; i < rows->len; i++)
    print_row (rows->pdata[i], widths, LIST_COLUMNS);
  if (legend)
    printf ("\n%u mount%s listed.\n", mounts->len, mounts->len == 1 ? "" : "s");
}

/* ---- show -------------------------------------------------------------- */

static void
print_field (const char *label,
             const char *value)
{
  printf ("%12s: %s\n", label, value != NULL && value[0] != '\0' ? value : "-");
}

static char *
join_strv (const char *const *strv,
           const char        *separator)
{
  return strv != NULL ? g_strjoinv (separator, (char **) strv) : g_strdup ("");
}

/* "ok", or "unresponsive: WHY", and when it was found out; the usage as
 * df -h shows it. */
static void
print_health (RefmountMount *mount)
{
  const char      *message = refmount_mount_get_health_message (mount);
  guint64          checked = refmount_mount_get_health_checked_at (mount);
  g_autofree char *when = checked != 0 ? refmountctl_format_time (checked) : g_strdup ("never");
  g_autofree char *shown = message != NULL && message[0] != '\0' ? refmountctl_escape_text (message) : NULL;
  g_autofree char *health = g_strdup_printf ("%s%s%s (checked %s)", mount_health (mount), shown != NULL ? ": " : "",
                                             shown != NULL ? shown : "", when);
  guint64          usage[3];

  print_field ("Health", health);
  mount_usage (mount, usage);
  if (usage[0] == 0)
    print_field ("Usage", NULL);
  else
    {
      g_autofree char *size = g_format_size_full (usage[0], G_FORMAT_SIZE_IEC_UNITS);
      g_autofree char *used = g_format_size_full (usage[0] - usage[1], G_FORMAT_SIZE_IEC_UNITS);
      g_autofree char *avail = g_format_size_full (usage[2], G_FORMAT_SIZE_IEC_UNITS);

      printf ("%12s: %s used of %s, %s available\n", "Usage", used, size, avail);
    }
}

void
refmountctl_print_show (RefmountMount    *mount,
                        RefmountCtlOutput output)
{
  GPtrArray       *attachments = refmount_mount_get_attachments (mount);
  g_autofree char *options = NULL;
  g_autofree char *mounted_at = NULL;

  if (output != REFMOUNTCTL_OUTPUT_TABLE)
    {
      g_autoptr (JsonNode) node = refmountctl_mount_to_json (mount);

      refmountctl_print_json (node, output == REFMOUNTCTL_OUTPUT_JSON_PRETTY);
      return;
    }

  options = join_strv (refmount_mount_get_options (mount), ",");
  mounted_at = refmountctl_format_time (refmount_mount_get_mounted_at (mount));
  print_field ("Mountpoint", refmount_mount_get_mountpoint (mount));
  print_field ("Source", refmount_mount_get_source (mount));
  print_field ("Type", refmount_mount_get_filesystem_type (mount));
  print_field ("Options", options);
  print_field ("State", refmountctl_state_name (refmount_mount_get_state (mount)));
  print_field ("Mounted at", mounted_at);
  print_health (mount);
  printf ("%12s: %u\n", "Attachments", refmountctl_attachment_count (mount));
  for (guint i = 0; i < attachments->len; i++)
    {
      RefmountAttachment *attachment = g_ptr_array_index (attachments, i);
      g_autofree char    *when = refmountctl_format_time ((guint64) refmount_attachment_get_time (attachment));
      g_autofree char    *shown = refmountctl_escape (refmount_attachment_get_id (attachment));

      printf ("%12s  %s (uid %u, since %s)\n", "", shown, refmount_attachment_get_uid (attachment), when);
    }
  print_field ("Object", refmount_mount_get_object_path (mount));
}

/* ---- status ------------------------------------------------------------ */

typedef struct
{
  guint mounts;
  guint attachments;
  guint mounted;
  guint busy;
  guint stale;
  guint healthy;      /* Health "ok" */
  guint unresponsive; /* Health "unresponsive" */
  guint stale_handle; /* Health "stale-handle" */
} Counts;

static Counts
count_mounts (GPtrArray *mounts)
{
  Counts counts = { 0 };

  for (guint i = 0; i < mounts->len; i++)
    {
      RefmountMount *mount = g_ptr_array_index (mounts, i);

      counts.mounts++;
      counts.attachments += refmountctl_attachment_count (mount);
      switch (refmount_mount_get_state (mount))
        {
        case REFMOUNT_MOUNT_STATE_MOUNTED:
          counts.mounted++;
          break;
        case REFMOUNT_MOUNT_STATE_BUSY:
          counts.busy++;
          break;
        case REFMOUNT_MOUNT_STATE_STALE:
          counts.stale++;
          break;
        case REFMOUNT_MOUNT_STATE_UNKNOWN:
          break;
        }
      switch (refmount_mount_get_health (mount))
        {
        case REFMOUNT_MOUNT_HEALTH_OK:
          counts.healthy++;
          break;
        case REFMOUNT_MOUNT_HEALTH_UNRESPONSIVE:
          counts.unresponsive++;
          break;
        case REFMOUNT_MOUNT_HEALTH_STALE_HANDLE:
          counts.stale_handle++;
          break;
        case REFMOUNT_MOUNT_HEALTH_UNKNOWN:
          break;
        }
    }
  return counts;
}

/* FilesystemTypes, one row per type: (type, "yes"/"no", options joined
 * with ","), in SupportedFilesystems' order.  Empty from an older refmountd
 * that does not publish it. */
static GPtrArray *
filesystem_type_rows (RefmountClient *client)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_auto (GStrv) types = refmount_client_dup_supported_filesystems (client);

  for (gsize i = 0; types != NULL && types[i] != NULL; i++)
    {
      /* NULL: not in FilesystemTypes. */
      g_auto (GStrv) options = refmount_client_dup_allowed_options (client, types[i]);
      char **row;

      if (options == NULL)
        continue;
      row = g_new0 (char *, 4);
      row[0] = g_strdup (types[i]);
      row[1] = g_strdup (refmount_client_get_filesystem_uses_helper (client, types[i]) ? "yes" : "no");
      row[2] = options != NULL && options[0] != NULL ? g_strjoinv (",", options) : g_strdup ("-");
      g_ptr_array_add (rows, row);
    }
  return rows;
}

static void
add_filesystem_types (JsonBuilder *builder,
                      GPtrArray   *rows)
{
  json_builder_set_member_name (builder, "filesystem_types");
  json_builder_begin_object (builder);
  for (guint i = 0; i < rows->len; i++)
    {
      char *const *row = rows->pdata[i];
      g_auto (GStrv) options = g_str_equal (row[2], "-") ? g_new0 (char *, 1)
                                                         : g_strsplit (row[2], ",", -1);

      json_builder_set_member_name (builder, row[0]);
      json_builder_begin_object (builder);
      add_strv (builder, "allowed_options", (const char *const *) options);
      json_builder_set_member_name (builder, "use_helper");
      json_builder_add_boolean_value (builder, g_str_equal (row[1], "yes"));
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
}

void
refmountctl_print_status (RefmountClient   *client,
                          GPtrArray        *mounts,
                          RefmountCtlOutput output,
                          gboolean          legend)
{
  static const char *const headers[] = { "TYPE", "HELPER", "ALLOWED OPTIONS" };
  Counts                   counts = count_mounts (mounts);
  g_autofree char         *roots = NULL;
  g_autofree char         *filesystems = NULL;
  g_autoptr (GPtrArray)    types = filesystem_type_rows (client);
  g_autofree char         *version = refmount_client_dup_version (client);
  g_auto (GStrv) mount_roots = refmount_client_dup_mount_roots (client);
  g_auto (GStrv) supported = refmount_client_dup_supported_filesystems (client);
  gsize widths[G_N_ELEMENTS (headers)] = { 0 };

  if (output != REFMOUNTCTL_OUTPUT_TABLE)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode)    root = NULL;

      json_builder_begin_object (builder);
      add_string (builder, "version", version);
      add_int (builder, "generation", (gint64) refmount_client_get_generation (client));
      add_strv (builder, "mount_roots", (const char *const *) mount_roots);
      add_strv (builder, "supported_filesystems", (const char *const *) supported);
      add_filesystem_types (builder, types);
      add_int (builder, "mounts", counts.mounts);
      add_int (builder, "attachments", counts.attachments);
      json_builder_set_member_name (builder, "states");
      json_builder_begin_object (builder);
      add_int (builder, refmountctl_state_name (REFMOUNT_MOUNT_STATE_MOUNTED), counts.mounted);
      add_int (builder, refmountctl_state_name (REFMOUNT_MOUNT_STATE_BUSY), counts.busy);
      add_int (builder, refmountctl_state_name (REFMOUNT_MOUNT_STATE_STALE), counts.stale);
      json_builder_end_object (builder);
      json_builder_set_member_name (builder, "health");
      json_builder_begin_object (builder);
      add_int (builder, "ok", counts.healthy);
      add_int (builder, "unresponsive", counts.unresponsive);
      add_int (builder, "stale-handle", counts.stale_handle);
      add_int (builder, "unknown", counts.mounts - counts.healthy - counts.unresponsive - counts.stale_handle);
      json_builder_end_object (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      refmountctl_print_json (root, output == REFMOUNTCTL_OUTPUT_JSON_PRETTY);
      return;
    }

  roots = join_strv ((const char *const *) mount_roots, " ");
  filesystems = join_strv ((const char *const *) supported, " ");
  print_field ("Version", version);
  printf ("%12s: %" G_GUINT64_FORMAT "\n", "Generation", refmount_client_get_generation (client));
  print_field ("Mount roots", roots);
  print_field ("Filesystems", filesystems);
  printf ("%12s: %u (%u mounted, %u busy, %u stale)\n", "Mounts", counts.mounts, counts.mounted,
          counts.busy, counts.stale);
  printf ("%12s: %u ok, %u unresponsive, %u stale-handle, %u unknown\n", "Health", counts.healthy,
          counts.unresponsive, counts.stale_handle,
          counts.mounts - counts.healthy - counts.unresponsive - counts.stale_handle);
  printf ("%12s: %u\n", "Attachments", counts.attachments);
  if (types->len == 0)
    return;

  /* What each type accepts: the answer to a refused -o. */
  for (guint c = 0; c < G_N_ELEMENTS (headers); c++)
    {
      widths[c] = legend ? strlen (headers[c]) : 0;
      for (guint i = 0; i < types->len; i++)
        widths[c] = MAX (widths[c], refmountctl_display_width (((char **) types->pdata[i])[c]));
    }
  printf ("\n");
  if (legend)
    print_row ((char *const *) headers, widths, G_N_ELEMENTS (headers));
  for (guint i = 0; i < types->len; i++)
    print_row (types->pdata[i], widths, G_N_ELEMENTS (headers));
}
