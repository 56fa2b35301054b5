#!/bin/sh
# Builds the SIGTERM flag library (raftkv_signal.c) into OUT_DIR with the C compiler, if there is
# one; without it the node still stops gracefully, noticing SIGTERM when the JVM runs its handler.
# Usage: build.sh JAVA_HOME OUT_DIR
java_home=$1
out=$2
src=$(dirname "$0")/raftkv_signal.c
cc=$(command -v cc || command -v gcc || true)
if [ "$(uname -s)" != Linux ] || [ -z "$cc" ] || [ ! -f "$java_home/include/jni.h" ]; then
    echo "raftkv: no C compiler or JNI headers: the SIGTERM flag library is not built (the JVM's signal dispatch is used alone)"
    exit 0
fi
mkdir -p "$out"
if ! "$cc" -O2 -Wall -shared -fPIC -I"$java_home/include" -I"$java_home/include/linux" -o "$out/libraftkv_signal.so" "$src"; then
    echo "raftkv: the SIGTERM flag library did not build (the JVM's signal dispatch is used alone)"
    rm -f "$out/libraftkv_signal.so"
fi
exit 0
