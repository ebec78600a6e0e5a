#!/usr/bin/env bash
# Installs what is missing, builds the release preset and opens vqscope. Arguments pass through; when
# they name no file (none at all, or only options such as --screenshot shot.png --quit), the bundled
# sample table opens.
set -euo pipefail
source "$(dirname "$0")/common.sh"
vq_install_deps
vq_build release
exec "$VQ_ROOT/build/release/app/vqscope" --sample "$@"
