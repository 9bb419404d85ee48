#!/usr/bin/env bash
# Checks that everything native in a GPU bundle loads on glibc 2.17 (CentOS 7; RHEL/Rocky 8 has 2.28), the oldest
# glibc the bundle promises (issue 11). Runs `objdump -T` over EVERY ELF file in BUNDLE_DIR: the files themselves,
# and what is inside every .jar/.zip (ravine.jar: OpenBLAS and JCuda natives and the cuBLAS bridge; the test jar)
# and .tar.gz (runtime.tar.gz: the jlink runtime's bin/ and lib/**), recursively. For each file, the highest
# GLIBC_x.y it requires (its *UND* symbols' versions) must be at most 2.17, unless the file is on ALLOW below.
#
# usage: docker/check-glibc.sh BUNDLE_DIR      (build-bundle.sh copies it into the bundle; needs objdump, unzip, tar)
# Prints one line per ELF file (its place in the bundle and the highest GLIBC it needs), then a summary. Exit 0 when
# every file is within its ceiling, 1 when not (each offender listed), 2 for bad usage or a missing tool.
set -euo pipefail
export LC_ALL=C

CEILING="2.17"
# The allow-list: "glob|ceiling|why", glob matched against the file's place in the bundle (as printed below). A
# ceiling may not exceed 2.28 (RHEL/Rocky 8): the CUDA 13 hosts Ravine must run on. Today nothing needs it:
# Temurin is built for 2.17, OpenBLAS is pinned to 0.3.23-1.5.9 (pom.xml; 0.3.26+ need 2.29, 0.3.30 needs 2.34),
# JCuda 12.6.0 needs 2.17 without libJNvPTXCompiler (2.29; kernels are prebuilt fatbins; pom.xml leaves it out), and
# the cuBLAS bridge is pinned to GLIBC_2.2.5 (native/cublas_bridge.c).
ALLOW=(
)
MAX_ALLOWED="2.28"

usage() { echo "usage: $0 BUNDLE_DIR" >&2; exit 2; }
(( $# == 1 )) || usage
bundle="$1"
[[ -d "$bundle" ]] || { echo "check-glibc: BUNDLE_DIR $bundle is not a directory" >&2; exit 2; }
for tool in objdump unzip tar; do
    command -v "$tool" > /dev/null 2>&1 \
        || { echo "check-glibc: $tool not found (install binutils, unzip, tar)" >&2; exit 2; }
done

# Version comparison: 0 (true) when $1 > $2, for dotted numbers (2.2.5 < 2.17 < 2.28 < 2.34).
version_gt() { [[ "$1" != "$2" && "$(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -1)" == "$1" ]]; }

for entry in "${ALLOW[@]+"${ALLOW[@]}"}"; do
    IFS='|' read -r glob ceiling why <<< "$entry"
    if [[ -z "$glob" || -z "$ceiling" || -z "$why" ]] || version_gt "$ceiling" "$MAX_ALLOWED"; then
        echo "check-glibc: allow-list entry '$entry' needs glob|ceiling|why with a ceiling of at most $MAX_ALLOWED" >&2
        exit 2
    fi
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
checked=0
failed=0
declare -A class_max class_count

# The ceiling for a file: the allow-list's where it matches, else CEILING.
ceiling_for() {
    local place="$1" entry glob ceiling why
    for entry in "${ALLOW[@]+"${ALLOW[@]}"}"; do
        IFS='|' read -r glob ceiling why <<< "$entry"
        # shellcheck disable=SC2053
        if [[ "$place" == $glob ]]; then
            echo "$ceiling"
            return
        fi
    done
    echo "$CEILING"
}

check_elf() {
    local file="$1" place="$2" highest ceiling class
    highest="$(objdump -T "$file" 2>/dev/null | grep -F '*UND*' | grep -oE 'GLIBC_[0-9]+(\.[0-9]+)+' \
        | sed 's/^GLIBC_//' | sort -V | tail -1 || true)"
    highest="${highest:-none}"
    ceiling="$(ceiling_for "$place")"
    checked=$((checked + 1))
    class="${place%%!*}"
    case "$place" in
        runtime.tar.gz!runtime/bin/*) class="runtime bin/" ;;
        runtime.tar.gz!runtime/lib/*) class="runtime lib/" ;;
    esac
    class_count[$class]=$(( ${class_count[$class]:-0} + 1 ))
    if [[ "$highest" != none ]] && { [[ -z "${class_max[$class]:-}" ]] || version_gt "$highest" "${class_max[$class]}"; }; then
        class_max[$class]="$highest"
    fi
    if [[ "$highest" != none ]] && version_gt "$highest" "$ceiling"; then
        echo "FAIL  GLIBC_$highest > $ceiling  $place"
        failed=$((failed + 1))
    else
        echo "ok    GLIBC_$highest  $place"
    fi
}

# scan DIR PREFIX: every ELF file under DIR, and inside every archive under DIR, recursively.
scan() {
    local dir="$1" prefix="$2" f rel sub magic
    while IFS= read -r -d '' f; do
        rel="${f#"$dir"/}"
        [[ "$f" == *.class ]] && continue
        magic=""
        IFS= read -r -N 4 magic < "$f" || true
        if [[ "$magic" == $'\x7fELF' ]]; then
            check_elf "$f" "$prefix$rel"
        elif [[ "$f" == *.jar || "$f" == *.zip ]]; then
            sub="$(mktemp -d "$work/x.XXXXXX")"
            unzip -q -o "$f" -d "$sub" 2>/dev/null || { echo "check-glibc: cannot unpack $prefix$rel" >&2; exit 2; }
            scan "$sub" "$prefix$rel!"
        elif [[ "$f" == *.tar.gz || "$f" == *.tgz ]]; then
            sub="$(mktemp -d "$work/x.XXXXXX")"
            tar -C "$sub" -xzf "$f" || { echo "check-glibc: cannot unpack $prefix$rel" >&2; exit 2; }
            scan "$sub" "$prefix$rel!"
        fi
    done < <(find "$dir" -type f -print0 | sort -z)
}

scan "$(cd "$bundle" && pwd)" ""

echo "--- highest GLIBC required, by part of the bundle (ceiling $CEILING):"
for class in "${!class_count[@]}"; do
    echo "$class: GLIBC_${class_max[$class]:-none} over ${class_count[$class]} ELF files"
done | sort
if (( checked == 0 )); then
    echo "check-glibc: no ELF file found in $bundle (not a bundle?)" >&2
    exit 1
fi
if (( failed > 0 )); then
    echo "check-glibc: $failed of $checked ELF files need a glibc newer than their ceiling (FAIL lines above)" >&2
    exit 1
fi
echo "check-glibc: all $checked ELF files need at most GLIBC_$CEILING"
