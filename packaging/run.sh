#!/usr/bin/env bash
# Installs what is missing, builds the release preset and opens vqscope
# (on the bundled sample table when no file is given; other arguments pass through).
set -euo pipefail
source "$(dirname "$0")/common.sh"
vq_install_deps
vq_build release
app="$VQ_ROOT/build/release/app/vqscope"
if [[ $# -eq 0 ]]; then
    exec "$app" "$VQ_ROOT/resources/sample/glove-20k.npy"
fi
exec "$app" "$@"
