/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The state parsers: the snapshot (refmount_state_parse) and the journal
 * replayed onto it (refmount_journal_parse).  The daemon reads both at
 * start-up, and corrupt ones must be rejected, never crash the daemon. */
#include "fuzz-common.h"
#include "refmount-state-journal.h"

/* What was accepted must survive the way back (the daemon re-persists it)
 * and come out equal. */
static void
check_round_trip (const RefmountRecord *record)
{
  g_autoptr (GError)         error = NULL;
  g_autoptr (GVariant)       v = g_variant_ref_sink (refmount_record_to_variant (record));
  g_autoptr (RefmountRecord) again = refmount_record_from_variant (v, &error);
  g_autoptr (GVariant)       v2 = NULL;

  g_assert_no_error (error);
  v2 = g_variant_ref_sink (refmount_record_to_variant (again));
  g_assert (g_variant_equal (v, v2));
}

static void
fuzz_snapshot (GBytes *bytes)
{
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GError)    error = NULL;
  guint64               generation = 0;

  if (!refmount_state_parse (bytes, &generation, &records, &error))
    {
      g_assert (error != NULL);
      return;
    }
  g_assert (error == NULL);
  for (guint i = 0; i < records->len; i++)
    check_round_trip (g_ptr_array_index (records, i));
}

static void
fuzz_journal (GBytes *bytes)
{
  g_autoptr (GPtrArray) changes = NULL;
  g_autoptr (GPtrArray) again = NULL;
  g_autoptr (GBytes)    cut = NULL;
  g_autoptr (GError)    error = NULL;
  guint64               epoch = 0, epoch2 = 0;
  gsize                 valid = 0, valid2 = 0;

  if (!refmount_journal_parse (bytes, &epoch, &changes, &valid, &error))
    {
      g_assert (error != NULL);
      return;
    }
  g_assert (error == NULL);
  g_assert (valid <= g_bytes_get_size (bytes));
  for (guint i = 0; i < changes->len; i++)
    {
      const RefmountJournalChange *change = g_ptr_array_index (changes, i);

      g_assert (change->mountpoint[0] == '/');
      if (change->record != NULL)
        {
          g_assert (g_str_equal (change->record->mountpoint, change->mountpoint));
          check_round_trip (change->record);
        }
    }

  /* The load cuts a torn tail off at the valid length: what remains must
   * parse to the same changes, with nothing left to cut. */
  cut = g_bytes_new_from_bytes (bytes, 0, valid);
  if (!refmount_journal_parse (cut, &epoch2, &again, &valid2, &error))
    g_error ("the journal cut at its valid length is rejected: %s", error->message);
  g_assert (epoch2 == epoch);
  g_assert (valid2 == valid);
  g_assert (again->len == changes->len);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GBytes) bytes = NULL;

  fuzz_set_up ();
  bytes = g_bytes_new (data, size);
  fuzz_snapshot (bytes);
  fuzz_journal (bytes);
  return 0;
}
