/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * librefmount-1: the client library of refmountd.  Include only this
 * header; the others are not meant to be included on their own.
 */
#pragma once

#include "refmount-attachment.h"
#include "refmount-client.h"
#include "refmount-dbus.h"
#include "refmount-enum-types.h"
#include "refmount-enums.h"
#include "refmount-error.h"
#include "refmount-mount.h"
