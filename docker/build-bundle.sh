#!/usr/bin/env bash
# Builds the GPU bundle: everything a GPU host with an NVIDIA driver but no Java, Maven, fonts or network needs to run
# Ravine, on any x86-64 Linux with glibc >= 2.17. Run `mvn -DskipTests package` first.
#
# usage: docker/build-bundle.sh [OUT_DIR]        (default: bundle/ in the repository, git-ignored)
#   RAVINE_BUNDLE_JDK=DIR   the JDK whose jlink cuts the runtime (default: the newest Temurin under /usr/lib/jvm)
#
# OUT_DIR gets:
#   runtime.tar.gz        a jlink runtime cut from Temurin (built for glibc 2.17, brings its own FreeType; harfbuzz is
#                         inside its libfontmanager), with DejaVu Sans in lib/fonts/ and a lib/fontconfig.properties
#                         naming it, so AWT draws text with no fontconfig, FreeType or font on the host.
#                         The launchers unpack it next to themselves on first use.
#   ravine.jar            the CLI jar (target/ravine.jar) minus natives Ravine never loads on linux-x86_64
#   ravine-tests.jar      the test classes;  junit-platform-console-standalone.jar
#   ravine, gpu-proof.sh (the GPU proof: docs/gpu-results.md), check-glibc.sh
#   native/check/         the bridge check the tests run (needs gcc on the host; skipped otherwise)
#   bench/                the PyTorch peer of the GPU benchmark
# The bundle must stay under 60 MB (the whole tree that travels to a GPU host is limited to 64 MiB); the script fails
# otherwise, and when docker/check-glibc.sh finds a native file that needs a glibc newer than 2.17.
set -euo pipefail

fail() { echo "build-bundle: $*" >&2; exit 1; }
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/target/ravine.jar"
[[ -f "$jar" && -d "$root/target/test-classes" ]] || fail "target/ravine.jar or target/test-classes missing: run 'mvn -DskipTests package' first"
for tool in zip unzip tar gzip; do
    command -v "$tool" > /dev/null 2>&1 || fail "$tool not found (apt-get install zip unzip)"
done
out="$(realpath -m "${1:-$root/bundle}")"
if [[ -e "$out" && ! -f "$out/runtime.tar.gz" && -n "$(ls -A "$out" 2>/dev/null)" ]]; then
    fail "OUT_DIR $out exists and is not empty and not a bundle: refusing to replace it"
fi

# 0. The JDK. Temurin: its libjvm/bin/java need glibc 2.17, and it ships lib/libfreetype.so (the Debian JDK needs
#    glibc 2.34 and links the host's FreeType and fontconfig). The jar is compiled with --release 17.
jdk_ok() { [[ -x "$1/bin/jlink" && -x "$1/bin/jdeps" && -x "$1/bin/jar" && -f "$1/lib/libfreetype.so" ]]; }
if [[ -n "${RAVINE_BUNDLE_JDK:-}" ]]; then
    jdk_ok "$RAVINE_BUNDLE_JDK" \
        || fail "RAVINE_BUNDLE_JDK=$RAVINE_BUNDLE_JDK must be a JDK >= 17 with bin/jlink and its own lib/libfreetype.so (Temurin has both)"
    jdk="$RAVINE_BUNDLE_JDK"
else
    jdk=""
    while IFS= read -r d; do
        if jdk_ok "$d"; then jdk="$d"; break; fi
    done < <(ls -d /usr/lib/jvm/temurin-*-jdk* 2>/dev/null | sort -V -r)
    [[ -n "$jdk" ]] || fail "no Temurin JDK with bin/jlink and lib/libfreetype.so under /usr/lib/jvm (install temurin-25-jdk, or set RAVINE_BUNDLE_JDK)"
fi
feature="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$jdk/release" 2>/dev/null)"
[[ -n "$feature" ]] && (( feature >= 17 )) || fail "$jdk/release: JAVA_VERSION must be 17 or newer, got '${feature:-none}'"
echo "JDK for the runtime: $jdk (Java $feature)"

rm -rf "$out"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# 1. The slim jar. The shade filters in pom.xml already leave out what Ravine never loads on linux-x86_64: JCuda's
#    NVRTC and PTX-compiler natives (kernels are prebuilt fatbins, loaded with cuModuleLoadData; the PTX compiler
#    alone is 24 MB and needs glibc 2.29); from OpenBLAS all but what CpuBackend's openblas_nolapack loads
#    (libjniopenblas_nolapack + libopenblas and its runtime libraries: no LAPACK JNI wrappers, C headers,
#    CMake/pkg-config files or the LAPACK classes over them); JNA (DJL's), PDFBox and its Graphics2D adapter (XChart's
#    PDF export; Ravine writes PNG). They are dropped here too should a jar built another way carry them, with JNA
#    natives for other platforms.
cp "$jar" "$out/ravine.jar"
unzip -Z1 "$out/ravine.jar" > "$work/entries.txt"
{
    grep -E -e '^lib/libJNvPTXCompiler-' -e '^lib/libJNvrtc-' \
        -e '^org/bytedeco/openblas/linux-x86_64/libjniopenblas(_full)?\.so$' \
        -e '^org/bytedeco/openblas/linux-x86_64/(include|lib)/.' \
        -e '^org/bytedeco/openblas/global/openblas(_full)?(\$[^/]*)?\.class$' \
        -e '^org/apache/(pdfbox|fontbox)/.' -e '^de/rototor/.' "$work/entries.txt" || true
    # Other platforms' natives: directories named <os>-<arch>; classes under these packages stay.
    grep -E '^(com/sun/jna/(darwin|linux|win32|freebsd|openbsd|dragonflybsd|sunos|aix)|org/bytedeco/openblas/(linux|macosx|windows|android|ios))-[^/]+/.' \
        "$work/entries.txt" | grep -vE '^(com/sun/jna/linux-x86-64|org/bytedeco/openblas/linux-x86_64)/' || true
} > "$work/drop.txt"
sort -u -o "$work/drop.txt" "$work/drop.txt"
if [[ -s "$work/drop.txt" ]]; then
    zip -q -d "$out/ravine.jar" -@ < "$work/drop.txt" > /dev/null
fi
unzip -Z1 "$out/ravine.jar" > "$work/entries.txt"
for needed in io/ravine/kernels/optimizers.fatbin io/ravine/native/linux-x86_64/libcublas.so.12 \
        io/ravine/fonts/DejaVuSans.ttf org/bytedeco/openblas/linux-x86_64/libjniopenblas_nolapack.so; do
    grep -qxF "$needed" "$work/entries.txt" \
        || fail "the jar lacks $needed (nvcc or gcc absent at build time, or a dependency changed its layout?)"
done

# 2. Test classes and the JUnit console launcher (from the local Maven repository, fetched if needed).
"$jdk/bin/jar" cf "$out/ravine-tests.jar" -C "$root/target/test-classes" .
console_version=6.1.3
console="${MAVEN_REPO_LOCAL:-$HOME/.m2/repository}/org/junit/platform/junit-platform-console-standalone/$console_version/junit-platform-console-standalone-$console_version.jar"
if [[ -f "$console" ]]; then
    cp "$console" "$out/junit-platform-console-standalone.jar"
else
    mvn -q dependency:copy -Dartifact="org.junit.platform:junit-platform-console-standalone:$console_version" \
        -DoutputDirectory="$out" -Dmdep.stripVersion=true
fi
mkdir -p "$out/native"
cp -r "$root/native/check" "$out/native/check"

# 3. The runtime. Modules: what jdeps finds in the jar, the tests and the JUnit console, plus jdk.zipfs (the JUnit
#    console scans test jars through the "jar" file-system provider, a service jdeps cannot see). Headless only:
#    the X11 toolkit, JAWT, splash screen and sound libraries are left out (Main sets java.awt.headless).
modules="jdk.zipfs"
for part in "$out/ravine.jar" "$out/ravine-tests.jar" "$out/junit-platform-console-standalone.jar"; do
    deps="$("$jdk/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 17 \
        --class-path "$out/ravine.jar:$out/junit-platform-console-standalone.jar" "$part" 2>"$work/jdeps.err")" \
        || fail "jdeps failed on $(basename "$part"): $(head -1 "$work/jdeps.err")"
    for m in ${deps//,/ }; do
        [[ ",$modules," == *",$m,"* ]] || modules="$modules,$m"
    done
done
echo "jlink modules: $modules"
#    Compression: none inside the image, gzip -9 over the whole tar. jlink compresses each class on its own; its best,
#    zip-9, makes lib/modules 26 MB, which gzip cannot shrink further (25.5 MB), while the uncompressed 59 MB image
#    gzips to 18.4 MB (Temurin 25.0.3, these modules, 2026-11-30): 7 MB less to carry, and no decompression at
#    class loading. (xz would give 11.7 MB, but not every GPU host has xz; every one has gzip.)
compress="zip-0"
(( feature >= 21 )) || compress="0"   # zip-N arrived in JDK 21
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files --compress="$compress" \
    --exclude-files='**/libawt_xawt.so,**/libjawt.so,**/libsplashscreen.so,**/libjsound.so' \
    --output "$work/runtime" > "$work/jlink.log" 2>&1 || fail "jlink failed: $(tail -1 "$work/jlink.log")"
#    The font stack. With no fontconfig on the host, AWT's font manager reads lib/fontconfig.properties (it needs a
#    physical font for every logical one, or Font.createFont itself fails: "Problem reading font data"), and the
#    files it names come from lib/fonts/ ($JRE_LIB_FONTS). Where the host has fontconfig, the host's wins for logical
#    fonts; Ravine's charts use the DejaVu Sans inside ravine.jar either way (io.ravine.report.ChartFonts).
mkdir -p "$work/runtime/lib/fonts"
cp "$root/src/main/resources/io/ravine/fonts/DejaVuSans.ttf" "$root/src/main/resources/io/ravine/fonts/DejaVuSans-Bold.ttf" \
    "$work/runtime/lib/fonts/"
cp "$root/src/main/resources/io/ravine/fonts/LICENSE" "$work/runtime/lib/fonts/LICENSE-DejaVu"
{
    echo "# Ravine's GPU bundle: every logical font is DejaVu Sans (lib/fonts/), so AWT needs no fontconfig or font"
    echo "# from the host. Written by docker/build-bundle.sh."
    echo "version=1"
    echo "sequence.allfonts=dejavu"
    for family in serif sansserif monospaced dialog dialoginput; do
        echo "$family.plain.dejavu=DejaVu Sans"
        echo "$family.italic.dejavu=DejaVu Sans"
        echo "$family.bold.dejavu=DejaVu Sans Bold"
        echo "$family.bolditalic.dejavu=DejaVu Sans Bold"
    done
    echo "filename.DejaVu_Sans=\$JRE_LIB_FONTS/DejaVuSans.ttf"
    echo "filename.DejaVu_Sans_Bold=\$JRE_LIB_FONTS/DejaVuSans-Bold.ttf"
} > "$work/runtime/lib/fontconfig.properties"
"$work/runtime/bin/java" -version > /dev/null 2>&1 || fail "the new runtime does not start: $work/runtime/bin/java -version"
tar -C "$work" -cf - runtime | gzip -9 > "$out/runtime.tar.gz"

# 4. Launchers and checks.
cp "$root/docker/gpu-proof.sh" "$root/bin/ravine" "$root/docker/check-glibc.sh" "$out/"
chmod +x "$out/gpu-proof.sh" "$out/ravine" "$out/check-glibc.sh"
# The PyTorch peer of the GPU benchmark (bench/gpu-bench.sh finds ravine.jar next to its parent folder).
mkdir -p "$out/bench"
cp "$root/bench/gpu-bench.sh" "$root/bench/torch_bench.py" "$out/bench/"

du -sh "$out"/* | sort -h
bytes=$(du -sb "$out" | cut -f1)
mb="$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')"
echo "bundle: $mb MB ($bytes bytes) in $out"
(( bytes < 60000000 )) || fail "the bundle is $mb MB, over the 60 MB budget"

# 5. glibc: nothing native in the bundle may need more than 2.17 (docker/check-glibc.sh; needs objdump).
if command -v objdump > /dev/null 2>&1; then
    "$out/check-glibc.sh" "$out" > "$work/glibc.txt" || { cat "$work/glibc.txt" >&2; fail "check-glibc.sh failed"; }
    sed -n '/^--- /,$p' "$work/glibc.txt"
else
    echo "objdump not found: glibc check skipped (apt-get install binutils; then $out/check-glibc.sh $out)"
fi
