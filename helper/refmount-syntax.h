/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The syntax of single strings, and nothing else: no configuration, no
 * caller, no policy (whether an option or a filesystem type is allowed is
 * refmount-validate.c's business).  A leaf module under both the
 * configuration, whose own settings obey these rules, and the validation
 * of caller input (doc/design.md "Validation and confinement"), so that neither needs the other.
 *
 * Every *_problem function returns NULL when the string is fine, else a
 * static description of the first problem ("must not be empty"), meant
 * to follow the name of the argument or key in a message.
 */

/* @value escaped with g_strescape and cut after 128 bytes ("…" appended),
 * for error and log messages. */
char *refmount_syntax_escape (const char *value);

/* Valid UTF-8 without control characters (C1 included) and, unless
 * @allow_space, without whitespace. */
const char *refmount_syntax_text_problem (const char *s,
                                          gboolean    allow_space);

/* Absolute, normalised (no '.', '..', '//' or trailing '/'; "/" itself
 * counts as normalised), at most PATH_MAX bytes with components of at most
 * NAME_MAX, valid UTF-8 without control characters. */
const char *refmount_syntax_path_problem (const char *path);

/* Syntactically one mount option ("name" or "name=value": non-empty name,
 * at most REFMOUNT_OPTION_MAX_LEN bytes, valid UTF-8, no ',', '"',
 * whitespace or control characters). */
const char *refmount_syntax_option_problem (const char *option);

/* A filesystem type name: non-empty, ASCII letters, digits, '.', '_', '+'
 * and '-' only. */
const char *refmount_syntax_fstype_problem (const char *fstype);

/* An attachment id: 1 to REFMOUNT_ATTACHMENT_MAX_LEN characters of
 * [A-Za-z0-9._:@+=-], not starting with '-'. */
const char *refmount_syntax_attachment_problem (const char *attachment);

/* The rules every source obeys: non-empty, at most REFMOUNT_SOURCE_MAX_LEN
 * bytes, valid UTF-8 without whitespace or control characters, no leading
 * '-', no ','. */
const char *refmount_syntax_source_problem (const char *source);

/* The shape of a source for @fstype where one is known (nfs/nfs4
 * host:/path or [v6]:/path, cifs/smb3 //host/share[/path],
 * glusterfs/fuse.glusterfs host:/volume, fuse.sshfs [user@]host:[path]);
 * NULL for other types. */
const char *refmount_syntax_source_shape_problem (const char *fstype,
                                                  const char *source);

G_END_DECLS
