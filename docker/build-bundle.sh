#!/usr/bin/env bash
# Builds bundle/: everything a GPU host with an NVIDIA driver but no Java, Maven or network needs to run Ravine's CUDA
# checks. Run from the repository root after `mvn -DskipTests package`. bundle/ must be git-ignored.
#   bundle/runtime.tar.gz        jlink runtime of this JDK 17 (packed; run-gpu-checks.sh unpacks it)
#   bundle/ravine.jar            the shaded jar minus natives Ravine never loads on linux-x86_64
#   bundle/ravine-tests.jar      the test classes
#   bundle/junit-platform-console-standalone.jar
#   bundle/native/check/         the bridge check the tests run (needs gcc on the host; skipped otherwise)
#   bundle/run-gpu-checks.sh, bundle/ravine
set -euo pipefail

root="$(pwd)"
jar="$root/target/ravine.jar"
[[ -f "$jar" && -d "$root/target/test-classes" ]] || { echo "run 'mvn -DskipTests package' first" >&2; exit 1; }
out="$root/bundle"
rm -rf "$out"
mkdir -p "$out"

# 1. The slim jar. Dropped: JCuda's NVRTC and PTX-compiler natives (kernels are prebuilt fatbins, loaded with
#    cuModuleLoadData; the PTX compiler alone is 24 MB) and JNA natives for other platforms (DJL's). Kept:
#    linux-x86_64 OpenBLAS (the selftest compares with the CPU backend), JCuda driver/runtime/cuBLAS natives.
cp "$jar" "$out/ravine.jar"
#    From OpenBLAS only what CpuBackend's openblas_nolapack loads stays (libjniopenblas_nolapack + libopenblas and its
#    runtime libraries); the LAPACK JNI wrappers (libjniopenblas*.so, 48 MB unpacked) and C headers go.
#    Also the LAPACK classes over them (openblas, openblas_full: subclasses of openblas_nolapack that nothing loads),
#    and PDFBox with its Graphics2D adapter, which XChart needs only for PDF export (Ravine writes PNG).
zip -q -d "$out/ravine.jar" 'lib/libJNvPTXCompiler-*' 'lib/libJNvrtc-*' \
    'org/bytedeco/openblas/linux-x86_64/libjniopenblas.so' 'org/bytedeco/openblas/linux-x86_64/libjniopenblas_full.so' \
    'org/bytedeco/openblas/linux-x86_64/include/*' 'org/bytedeco/openblas/linux-x86_64/lib/*' \
    'org/bytedeco/openblas/global/openblas.class' 'org/bytedeco/openblas/global/openblas$*' \
    'org/bytedeco/openblas/global/openblas_full*' \
    'org/apache/pdfbox/*' 'org/apache/fontbox/*' 'de/rototor/*' > /dev/null
# Platform directories are named <os>-<arch>; everything else under these packages (classes) stays.
mapfile -t foreign < <(unzip -Z1 "$out/ravine.jar" \
    | grep -E '^(com/sun/jna/(darwin|linux|win32|freebsd|openbsd|dragonflybsd|sunos|aix)|org/bytedeco/openblas/(linux|macosx|windows|android|ios))-[^/]+/.' \
    | grep -vE '^(com/sun/jna/linux-x86-64|org/bytedeco/openblas/linux-x86_64)/' || true)
if (( ${#foreign[@]} > 0 )); then
    zip -q -d "$out/ravine.jar" "${foreign[@]}" > /dev/null
fi
unzip -Z1 "$out/ravine.jar" > "$out/.entries"
grep -q '^io/ravine/kernels/optimizers.fatbin$' "$out/.entries" && grep -q 'native/linux-x86_64/libcublas.so.12$' "$out/.entries" \
    || { echo "the jar lacks the CUDA kernels or the cuBLAS bridge (nvcc/gcc absent at build time?)" >&2; exit 1; }
rm "$out/.entries"

# 2. Test classes and the JUnit console launcher (fetched into the local Maven repository if needed).
jar cf "$out/ravine-tests.jar" -C "$root/target/test-classes" .
console="org.junit.platform:junit-platform-console-standalone:1.11.4"
mvn -q dependency:copy -Dartifact="$console" -DoutputDirectory="$out" -Dmdep.stripVersion=true
mkdir -p "$out/native"
cp -r "$root/native/check" "$out/native/check"

# 3. The runtime. Modules: the ones the brief names plus whatever jdeps says the jar really needs.
needed="$(jdeps --print-module-deps --ignore-missing-deps --multi-release 17 "$jar" 2>/dev/null || true)"
# jdk.zipfs: the JUnit console scans test jars through the "jar" file-system provider.
modules="java.base,java.logging,java.xml,java.management,jdk.unsupported,java.naming,java.desktop,java.sql,jdk.crypto.ec,jdk.zipfs"
for m in ${needed//,/ }; do
    [[ ",$modules," == *",$m,"* ]] || modules="$modules,$m"
done
echo "jdeps: $needed"
echo "jlink modules: $modules"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
jlink --add-modules "$modules" --strip-debug --no-man-pages --no-header-files --compress=2 --output "$work/runtime"
tar -C "$work" -czf "$out/runtime.tar.gz" runtime

# 4. Launchers.
cp "$root/docker/run-gpu-checks.sh" "$root/docker/ravine" "$out/"
chmod +x "$out/run-gpu-checks.sh" "$out/ravine"
# The PyTorch peer of the GPU benchmark (bench/gpu-bench.sh finds ravine.jar next to its parent folder).
mkdir -p "$out/bench"
cp "$root/bench/gpu-bench.sh" "$root/bench/torch_bench.py" "$out/bench/"

du -sh "$out"/* | sort -h
total=$(du -sm "$out" | cut -f1)
echo "bundle: ${total} MB"
if (( total >= 60 )); then
    echo "bundle is ${total} MB, over the 60 MB budget" >&2
    exit 1
fi
