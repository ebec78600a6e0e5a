#!/usr/bin/env bash
# Installs what is missing, builds the release preset and packs it as build/deb/vqscope_<version>_<arch>.deb
# with CPack (runtime dependencies from dpkg-shlibdeps). Where lintian, appstreamcli and
# desktop-file-validate are installed (Debian packages lintian, appstream, desktop-file-utils), the
# package is checked with them: any lintian error or invalid metadata fails the script.
set -euo pipefail
source "$(dirname "$0")/common.sh"
vq_install_deps
vq_build release
out="$VQ_ROOT/build/deb"
rm -f "$out"/vqscope_*.deb
log=$(mktemp)
trap 'rm -rf "$log" "${tree:-}"' EXIT
(cd "$VQ_ROOT/build/release" && cpack -G DEB -B "$out" --config CPackConfig.cmake >"$log" 2>&1) || {
    cat "$log" >&2
    echo "vqscope: cpack failed" >&2
    exit 1
}
deb=$(find "$out" -maxdepth 1 -name 'vqscope_*.deb' | head -n 1)
[[ -n "$deb" ]] || { cat "$log" >&2; echo "vqscope: cpack wrote no package" >&2; exit 1; }
echo "$deb"
dpkg-deb --field "$deb" Package Version Architecture Depends

status=0
tree=$(mktemp -d)
dpkg-deb -x "$deb" "$tree"
if command -v lintian >/dev/null; then
    echo "== lintian" >&2
    lintian --fail-on error --display-info "$deb" || status=1
fi
if command -v appstreamcli >/dev/null; then
    echo "== appstreamcli validate" >&2
    appstreamcli validate --no-net "$tree"/usr/share/metainfo/*.metainfo.xml || status=1
fi
if command -v desktop-file-validate >/dev/null; then
    echo "== desktop-file-validate" >&2
    desktop-file-validate "$tree"/usr/share/applications/*.desktop || status=1
fi
exit $status
