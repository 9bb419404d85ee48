#!/usr/bin/env bash
# Runs a command as a GPU host or a CUDA container without fonts would: in a private mount namespace where the host's
# fonts, fontconfig (configuration, cache and library), FreeType and HarfBuzz are hidden. Needs root (or
# CAP_SYS_ADMIN); changes nothing outside the namespace.
# usage: unshare -m bash hide-host-font-stack.sh COMMAND [ARGS...]
#   (BundleIT runs it; by hand: sudo unshare -m bash src/test/resources/io/ravine/bundle/hide-host-font-stack.sh ...)
# Directories are covered by an empty directory, library files by /dev/null (an empty file to the loader).
set -euo pipefail
(( $# > 0 )) || { echo "usage: unshare -m bash $0 COMMAND [ARGS...]" >&2; exit 2; }
mount --make-rprivate /
empty="$(mktemp -d)"
for d in /usr/share/fonts /usr/local/share/fonts /usr/share/fontconfig /etc/fonts /var/cache/fontconfig \
        "$HOME/.fonts" "$HOME/.local/share/fonts" "$HOME/.cache/fontconfig" "$HOME/.config/fontconfig"; do
    if [[ -d "$d" ]]; then
        mount --bind "$empty" "$d"
    fi
done
# Every copy of the libraries on the system (the loader's cache names some; JDKs and Python packages carry others),
# by real file, so every symlink to one is hidden too.
while IFS= read -r -d '' f; do
    mount --bind /dev/null "$f"
done < <(find /usr /opt /lib /lib64 -xdev -type f \( -name 'libfreetype.so*' -o -name 'libfontconfig.so*' \
    -o -name 'libharfbuzz.so*' \) -print0 2>/dev/null | sort -zu)
unset LD_LIBRARY_PATH LD_PRELOAD FONTCONFIG_FILE FONTCONFIG_PATH
exec "$@"
