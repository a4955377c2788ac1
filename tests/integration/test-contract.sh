#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test: the published D-Bus contract (doc/dbus-api.md) as a
# client sees it on the bus — reply/signal order, the errors of paths
# that name no mount object, canonical object paths, ApiVersion and the
# EmitsChangedSignal annotations.
set -euo pipefail
# shellcheck source=tests/integration/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/sandbox.sh"
sandbox_init "$@"
sandbox_start_daemon

CONTRACT_CLIENT=${REFMOUNT_CONTRACT_CLIENT:-$SANDBOX_BUILD_DIR/tests/integration/refmount-contract-client}
[[ -x $CONTRACT_CLIENT ]] || fail "$CONTRACT_CLIENT not built"

# ---------------------------------------------------------------------------
tc "a Reload reply follows the Manager's PropertiesChanged"
# A allows ramfs (the sandbox's default), B does not.
cp "$SANDBOX_CONFIG" "$SANDBOX_DIR/config-a"
SANDBOX_ALLOWED_FS='tmpfs;nfs;cifs;' sandbox_write_config
cp "$SANDBOX_CONFIG" "$SANDBOX_DIR/config-b"
out=$("$CONTRACT_CLIENT" reload-order "$SANDBOX_CONFIG" "$SANDBOX_DIR/config-a" "$SANDBOX_DIR/config-b" 50 2>&1) ||
  fail "a proxy read a stale SupportedFilesystems in its Reload reply callback: $out"
sandbox_log "$out"
cp "$SANDBOX_DIR/config-a" "$SANDBOX_CONFIG"
rm_gdbus Reload
assert_ok "Reload back to the default configuration"
