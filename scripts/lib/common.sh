# Shared by the scripts in scripts/: where the project is, and building it when needed.
# shellcheck shell=bash

RAFTKV_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Where kv-server is (the release package has its own common.sh, with bin/ here).
RAFTKV_BIN="$RAFTKV_ROOT/scripts"
RAFTKV_KVCTL="scripts/kvctl"

# Installs Java 17 and Maven from Debian's packages if they are missing (fresh machines).
raftkv_require_toolchain() {
    if command -v java >/dev/null 2>&1 && command -v mvn >/dev/null 2>&1; then
        return 0
    fi
    echo "raftkv: installing Java 17 and Maven (apt-get)..." >&2
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq >&2 && apt-get install -y -qq openjdk-17-jdk-headless maven >&2
    else
        sudo apt-get update -qq >&2 && sudo apt-get install -y -qq openjdk-17-jdk-headless maven >&2
    fi
}

# Builds the project (without running tests) if it was never built or a source changed since.
# With RAFTKV_CLASSPATH set (the project's tests set it to their own class path), nothing is built
# and the node runs from that class path.
raftkv_ensure_built() {
    [ -z "${RAFTKV_CLASSPATH:-}" ] || return 0
    local stamp="$RAFTKV_ROOT/kv-server/target/kv-server.jar"
    if [ -f "$stamp" ] && [ -d "$RAFTKV_ROOT/kv-server/target/test-classes" ] && [ -d "$RAFTKV_ROOT/test-support/target/classes" ] && [ -d "$RAFTKV_ROOT/kv-cli/target/lib" ] && [ -f "$RAFTKV_ROOT/kv-cli/target/kv-cli.jar" ] \
        && [ -z "$(find "$RAFTKV_ROOT/proto/src" "$RAFTKV_ROOT/kv-server/src" "$RAFTKV_ROOT/kv-cli/src" "$RAFTKV_ROOT/test-support/src" \
                    "$RAFTKV_ROOT/pom.xml" "$RAFTKV_ROOT"/*/pom.xml -newer "$stamp" -print -quit 2>/dev/null)" ]; then
        return 0
    fi
    raftkv_require_toolchain
    echo "raftkv: building (mvn -B -q -DskipTests package)..." >&2
    (cd "$RAFTKV_ROOT" && mvn -B -q -DskipTests package >&2)
}

# The test classes the simulation, chaos and bench tools run from, with the test-support module they use.
raftkv_test_classpath() {
    echo "$RAFTKV_ROOT/kv-server/target/test-classes:$RAFTKV_ROOT/test-support/target/classes"
}

raftkv_server_classpath() {
    [ -z "${RAFTKV_CLASSPATH:-}" ] || { echo "$RAFTKV_CLASSPATH"; return 0; }
    echo "$RAFTKV_ROOT/kv-server/target/kv-server.jar:$RAFTKV_ROOT/kv-server/target/lib/*"
}
