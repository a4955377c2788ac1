/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * System call numbers the C library's headers may not have yet (Debian
 * 12's are Linux 6.1).  Only compiler-predefined macros are used here, no
 * header: tests/test-syscall-nr.sh preprocesses this file for other
 * architectures with -undef.
 *
 * Since Linux 5.1 a new system call gets one number in every
 * architecture's table (scripts/syscall.tbl and the per-architecture
 * syscall.tbl files), but that number is not the __NR_ value everywhere:
 * alpha numbers its new calls 110 higher; MIPS adds its ABI's base (o32
 * 4000, n64 5000, n32 6000); x32 sets __X32_SYSCALL_BIT; ARM OABI would
 * add 0x900000 (Debian builds EABI only).  ia64 (base 1024) was removed
 * before statmount(2) existed.  An architecture not listed fails the
 * build: a guessed number would call some other system call.
 */

#define REFMOUNT_NR_NEW_STATMOUNT 457 /* Linux 6.8 */

#if defined(__alpha__)
#define REFMOUNT_NR_STATMOUNT (REFMOUNT_NR_NEW_STATMOUNT + 110)
#elif defined(__mips__)
#if _MIPS_SIM == _ABIO32
#define REFMOUNT_NR_STATMOUNT (4000 + REFMOUNT_NR_NEW_STATMOUNT)
#elif _MIPS_SIM == _ABI64
#define REFMOUNT_NR_STATMOUNT (5000 + REFMOUNT_NR_NEW_STATMOUNT)
#elif _MIPS_SIM == _ABIN32
#define REFMOUNT_NR_STATMOUNT (6000 + REFMOUNT_NR_NEW_STATMOUNT)
#else
#error "refmount: unknown MIPS ABI, statmount(2) number unknown"
#endif
#elif defined(__x86_64__) && defined(__ILP32__)
#define REFMOUNT_NR_STATMOUNT (0x40000000 + REFMOUNT_NR_NEW_STATMOUNT)
#elif defined(__arm__) && !defined(__ARM_EABI__)
#error "refmount: ARM OABI is not supported (statmount(2) number unknown)"
#elif defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) || defined(__arm__) ||                      \
  defined(__powerpc__) || defined(__powerpc64__) || defined(__s390__) || defined(__riscv) ||                       \
  defined(__loongarch__) || defined(__sparc__) || defined(__m68k__) || defined(__hppa__) || defined(__sh__) ||     \
  defined(__arc__) || defined(__csky__) || defined(__hexagon__) || defined(__microblaze__) || defined(__or1k__) || \
  defined(__xtensa__) || defined(__nios2__)
#define REFMOUNT_NR_STATMOUNT REFMOUNT_NR_NEW_STATMOUNT
#else
#error "refmount: statmount(2) number unknown on this architecture; add it to refmount-syscall-nr.h"
#endif
