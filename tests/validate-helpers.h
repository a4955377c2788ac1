/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#include "refmount-config.h"

#define ROOT REFMOUNT_DEFAULT_MOUNT_ROOT

/* Every rejection must be InvalidArgument, name the argument, say why
 * (@reason, when not NULL) and carry no raw control bytes. */
void assert_invalid (GError     *error,
                     const char *argument,
                     const char *reason);
/* A g_test_message() of @value, escaped to one clean TAP line. */
void note (const char *what,
           const char *value);
/* @n copies of @c. */
char *repeat (char  c,
              gsize n);
/* ROOT/aaa…/aaa… of exactly @len bytes, with components of at most 200. */
char *long_path (gsize len);
/* The configuration @data, loaded through a temporary file. */
RefmountConfig *config_from_data (const char *data);
