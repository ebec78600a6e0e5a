#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the release preset, then the asan preset
# (address + undefined behaviour sanitizers). Exits non-zero on any failure.
# VQ_PRESETS chooses the presets, in order (default "release asan"), e.g.
#   VQ_PRESETS=release ./packaging/test.sh
set -euo pipefail
source "$(dirname "$0")/common.sh"
presets=${VQ_PRESETS:-release asan}
for preset in $presets; do
    grep -q "\"name\": \"$preset\"" "$VQ_ROOT/CMakePresets.json" || {
        echo "vqscope: VQ_PRESETS: no preset '$preset' (release, debug, asan)" >&2
        exit 2
    }
done
vq_install_deps
status=0
for preset in $presets; do
    echo "== $preset: build" >&2
    vq_build "$preset" || { echo "vqscope: $preset build failed" >&2; exit 1; }
    echo "== $preset: test" >&2
    (cd "$VQ_ROOT" && ctest --preset "$preset" --parallel 2) || status=1
done
exit $status
