/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The build is what the CI stage asked for.  .ci/run's sanitizer stage
 * sets REFMOUNT_EXPECT_SANITIZE=address,undefined; a reused build
 * directory that silently kept its old options would otherwise run the
 * "sanitized" suites without any sanitizer.  Each check provokes the bug
 * class in a subprocess and requires the sanitizer's report, so it proves
 * the instrumentation is there at run time, not only a compiler flag.
 */
#include <glib.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* What the stage asked for, else what meson was configured with
 * (REFMOUNT_B_SANITIZE, set by tests/meson.build): the build must match
 * either way, with or without sanitizers. */
static gboolean
expected (const char *sanitizer)
{
  const char *want = g_getenv ("REFMOUNT_EXPECT_SANITIZE");
  g_auto (GStrv) parts = NULL;

  if (want == NULL)
    want = g_getenv ("REFMOUNT_B_SANITIZE");
  if (want == NULL)
    want = "none";
  parts = g_strsplit (want, ",", -1);
  return g_strv_contains ((const char *const *) parts, sanitizer);
}

static void
test_address (void)
{
  if (!expected ("address"))
    {
#ifdef __SANITIZE_ADDRESS__
      g_test_fail_printf ("built with -fsanitize=address, which nobody asked for");
#endif
      return;
    }
#ifndef __SANITIZE_ADDRESS__
  g_test_fail_printf ("REFMOUNT_EXPECT_SANITIZE asks for address, but this was built without it");
  return;
#endif
  if (g_test_subprocess ())
    {
      /* volatile: the compiler must not fold the out-of-bounds read. */
      char *volatile buf = malloc (8);
      volatile gsize i = 8;
      volatile char  c;

      c = buf[i];
      (void) c;
      free (buf);
      exit (0);
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*AddressSanitizer: heap-buffer-overflow*");
}

static void
test_undefined (void)
{
  gboolean want = expected ("undefined");

  if (g_test_subprocess ())
    {
      volatile int big = INT_MAX;
      volatile int sum;

      /* Reported, then (halt_on_error is off by default) carries on. */
      sum = big + 1;
      (void) sum;
      exit (0);
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  if (want)
    g_test_trap_assert_stderr ("*runtime error: signed integer overflow*");
  else
    g_test_trap_assert_stderr_unmatched ("*runtime error*");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/build/sanitize/address", test_address);
  g_test_add_func ("/build/sanitize/undefined", test_undefined);
  return g_test_run ();
}
