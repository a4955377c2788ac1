/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * "Did you mean …?": the nearest of some candidates to a mistyped word,
 * for unknown commands (refmountctl.c) and unknown mountpoints
 * (refmountctl-resolve.c).
 */
#include "config.h"

#include <string.h>

#include "refmountctl.h"

/* Levenshtein distance, byte-wise: enough to catch a typo. */
guint
refmountctl_edit_distance (const char *a,
                           const char *b)
{
  gsize             la = strlen (a), lb = strlen (b);
  g_autofree guint *row = g_new (guint, lb + 1);

  for (gsize j = 0; j <= lb; j++)
    row[j] = (guint) j;
  for (gsize i = 1; i <= la; i++)
    {
      guint diagonal = row[0];

      row[0] = (guint) i;
      for (gsize j = 1; j <= lb; j++)
        {
          guint above = row[j];
          guint cost = a[i - 1] == b[j - 1] ? 0 : 1;

          row[j] = MIN (MIN (row[j] + 1, row[j - 1] + 1), diagonal + cost);
          diagonal = above;
        }
    }
  return row[lb];
}

/* The candidate nearest to WORD, if it is near enough to be a typo of it:
 * at most a quarter of WORD's length wrong, and never more than 2 for
 * short words (so "frobnicate" suggests nothing). */
const char *
refmountctl_closest (const char        *word,
                     const char *const *candidates)
{
  const char *best = NULL;
  guint       best_distance = G_MAXUINT;
  guint       limit = MAX (2, (guint) strlen (word) / 4);

  for (gsize i = 0; candidates != NULL && candidates[i] != NULL; i++)
    {
      guint distance = refmountctl_edit_distance (word, candidates[i]);

      if (distance < best_distance)
        {
          best = candidates[i];
          best_distance = distance;
        }
    }
  return best_distance <= limit && best_distance > 0 ? best : NULL;
}
