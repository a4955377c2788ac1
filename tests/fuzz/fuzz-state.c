/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The state-file parser (refmount_state_parse): the daemon reads it at
 * start-up, and a corrupt one must be rejected, never crash the daemon. */
#include "fuzz-common.h"
#include "refmount-state.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GBytes)    bytes = NULL;
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GError)    error = NULL;
  guint64               generation = 0;

  fuzz_set_up ();
  bytes = g_bytes_new (data, size);
  if (!refmount_state_parse (bytes, &generation, &records, &error))
    {
      g_assert (error != NULL);
      return 0;
    }
  g_assert (error == NULL);
  /* What was accepted must survive the way back (the daemon re-persists
   * it) and come out equal. */
  for (guint i = 0; i < records->len; i++)
    {
      const RefmountRecord      *record = g_ptr_array_index (records, i);
      g_autoptr (GVariant)       v = g_variant_ref_sink (refmount_record_to_variant (record));
      g_autoptr (RefmountRecord) again = refmount_record_from_variant (v, &error);
      g_autoptr (GVariant)       v2 = NULL;

      g_assert_no_error (error);
      v2 = g_variant_ref_sink (refmount_record_to_variant (again));
      g_assert (g_variant_equal (v, v2));
    }
  return 0;
}
