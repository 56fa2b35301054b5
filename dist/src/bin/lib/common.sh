# The release package's counterpart of the source tree's scripts/lib/common.sh: the same names,
# for bin/raftkv-cluster (which is scripts/cluster), with everything already built in lib/.
# shellcheck shell=bash

RAFTKV_ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
RAFTKV_BIN="$RAFTKV_ROOT/bin"
RAFTKV_KVCTL="bin/kvctl"

# A release is built already: nothing to do.
raftkv_ensure_built() { :; }

raftkv_server_classpath() {
    echo "$RAFTKV_ROOT/lib/*"
}
