#!/usr/bin/env bash
# Checks the cuBLAS bridge without a GPU or CUDA 13: builds a fake libcublas.so.13, loads it, the bridge and
# JCublas2's real native library in CudaBackend's order, and calls a forwarded and a stubbed function.
# usage: native/check/check-bridge.sh BRIDGE_SO JCUBLAS_NATIVES_JAR
set -euo pipefail
bridge="$(realpath "$1")"
jar="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
unzip -p "$jar" lib/libJCublas2-12.6.0-linux-x86_64.so > "$work/libJCublas2.so"
gcc -shared -fPIC -Wl,-soname,libcublas.so.13 -o "$work/libcublas.so.13" "$here/fake_cublas13.c"
gcc -Wall -Werror -o "$work/load" "$here/load_like_jvm.c" -ldl
readelf -d "$bridge" | grep -q 'Library soname: \[libcublas.so.12\]' || { echo "FAIL soname"; exit 1; }
LD_LIBRARY_PATH="$(dirname "$bridge")" ldd -r "$work/libJCublas2.so" 2>&1 | { ! grep -E 'undefined symbol|not found'; } \
    || { echo "FAIL: JCublas2 has unresolved imports against the bridge"; exit 1; }
"$work/load" "$work/libcublas.so.13" "$bridge" "$work/libJCublas2.so"
echo "bridge OK"
