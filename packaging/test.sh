#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the release preset, then the asan preset
# (address + undefined behaviour sanitizers). Exits non-zero on any failure.
set -euo pipefail
source "$(dirname "$0")/common.sh"
vq_install_deps
status=0
for preset in release asan; do
    echo "== $preset: build" >&2
    vq_build "$preset" || { echo "vqscope: $preset build failed" >&2; exit 1; }
    echo "== $preset: test" >&2
    (cd "$VQ_ROOT" && ctest --preset "$preset" --parallel 2) || status=1
done
exit $status
