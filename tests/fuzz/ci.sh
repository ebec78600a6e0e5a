#!/bin/bash
# CI's fuzzing step: builds the libFuzzer targets (the `fuzz` preset: clang, ASan + UBSan) and runs
# every target for SECONDS (default 60), JOBS at a time (default 2), niced so that it never slows other
# work on the machine. Fails when the build fails or any target finds a crash, hang or unbounded
# allocation; the input is then in tests/data/regressions/<parser>/ (see run.sh).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-60}
export JOBS=${JOBS:-2}
cd "$root"
cmake --preset fuzz > /dev/null
nice -n 10 cmake --build build/fuzz --parallel "$JOBS"
exec nice -n 19 "$root"/tests/fuzz/run.sh "$seconds"
