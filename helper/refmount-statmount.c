/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "refmount-statmount.h"
#include "refmount-syscall-nr.h"

/* Debian 12's kernel headers (6.1) predate statmount(2); the ABI is
 * stable and spelled out here (include/uapi/linux/mount.h), the number in
 * refmount-syscall-nr.h.  Newer headers must agree with it. */
#if defined(__NR_statmount) && __NR_statmount != REFMOUNT_NR_STATMOUNT
#error "refmount-syscall-nr.h disagrees with <sys/syscall.h> on statmount(2)"
#endif
#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x00004000U
#endif

#define REFMOUNT_STATMOUNT_FS_TYPE    0x00000020U
#define REFMOUNT_STATMOUNT_FS_SUBTYPE 0x00000100U
#define REFMOUNT_STATMOUNT_SB_SOURCE  0x00000200U

typedef struct
{
  guint32 size;
  guint32 spare;
  guint64 mnt_id;
  guint64 param;
} MntIdReq; /* MNT_ID_REQ_SIZE_VER0 */

/* The fixed 512-byte head of struct statmount; the strings follow it and
 * the [str] fields are offsets into them. */
typedef struct
{
  guint32 size;
  guint32 mnt_opts;
  guint64 mask;
  guint32 sb_dev_major;
  guint32 sb_dev_minor;
  guint64 sb_magic;
  guint32 sb_flags;
  guint32 fs_type;
  guint64 mnt_id;
  guint64 mnt_parent_id;
  guint32 mnt_id_old;
  guint32 mnt_parent_id_old;
  guint64 mnt_attr;
  guint64 mnt_propagation;
  guint64 mnt_peer_group;
  guint64 mnt_master;
  guint64 propagate_from;
  guint32 mnt_root;
  guint32 mnt_point;
  guint64 mnt_ns_id;
  guint32 fs_subtype;
  guint32 sb_source;
  guint8  rest[512 - 128];
} StatmountHead;

G_STATIC_ASSERT (sizeof (StatmountHead) == 512);
G_STATIC_ASSERT (offsetof (StatmountHead, fs_subtype) == 120);
G_STATIC_ASSERT (offsetof (StatmountHead, sb_source) == 124);

/* Strings are escaped by nobody here (unlike mountinfo's \040): the
 * bound keeps a hostile source from making us allocate without limit. */
#define STATMOUNT_BUF_SIZE (sizeof (StatmountHead) + 3 * 4096)

static const char *
statmount_string (const StatmountHead *head,
                  gsize                len,
                  guint32              offset)
{
  const char *strings = (const char *) head + sizeof *head;
  gsize       room = len - sizeof *head;

  if (offset >= room || memchr (strings + offset, '\0', room - offset) == NULL)
    return NULL;
  return strings + offset;
}

gboolean
refmount_statmount_lookup (int    fd,
                           char **out_source,
                           char **out_fstype)
{
  struct statx         stx = { 0 };
  MntIdReq             req = { sizeof req, 0, 0, 0 };
  g_autofree guint8   *buf = NULL;
  const StatmountHead *head;
  const char          *type, *subtype = NULL, *source;
  guint64              wanted = REFMOUNT_STATMOUNT_FS_TYPE | REFMOUNT_STATMOUNT_FS_SUBTYPE |
                   REFMOUNT_STATMOUNT_SB_SOURCE;

  /* DONT_SYNC: a FUSE mount whose server died would fail a synced stat. */
  if (statx (fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC, STATX_MNT_ID_UNIQUE, &stx) < 0 ||
      !(stx.stx_mask & STATX_MNT_ID_UNIQUE))
    return FALSE;

  req.mnt_id = stx.stx_mnt_id;
  req.param = wanted;
  buf = g_malloc0 (STATMOUNT_BUF_SIZE);
  if (syscall (REFMOUNT_NR_STATMOUNT, &req, buf, STATMOUNT_BUF_SIZE, 0) < 0)
    return FALSE;
  head = (const StatmountHead *) buf;
  if (head->size < sizeof *head || head->size > STATMOUNT_BUF_SIZE ||
      (head->mask & (REFMOUNT_STATMOUNT_FS_TYPE | REFMOUNT_STATMOUNT_SB_SOURCE)) !=
        (REFMOUNT_STATMOUNT_FS_TYPE | REFMOUNT_STATMOUNT_SB_SOURCE))
    return FALSE;

  type = statmount_string (head, head->size, head->fs_type);
  source = statmount_string (head, head->size, head->sb_source);
  if (head->mask & REFMOUNT_STATMOUNT_FS_SUBTYPE)
    subtype = statmount_string (head, head->size, head->fs_subtype);
  /* A FUSE mount without a known subtype cannot be told apart from
   * another FUSE filesystem here; mountinfo can. */
  else if (type != NULL && g_str_equal (type, "fuse"))
    return FALSE;
  if (type == NULL || source == NULL)
    return FALSE;

  *out_source = g_strdup (source);
  *out_fstype = subtype != NULL && subtype[0] != '\0' ? g_strconcat (type, ".", subtype, NULL) : g_strdup (type);
  return TRUE;
}
