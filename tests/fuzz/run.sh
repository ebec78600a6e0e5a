#!/bin/sh
# Runs every libFuzzer target for SECONDS each, JOBS at a time (default 2), seeded from the fixtures in
# tests/data. Build first: cmake --preset fuzz && cmake --build build/fuzz. Inputs that crash, hang or
# allocate without bound are written to tests/data/regressions/<parser>/ (crash-*, timeout-*, oom-*),
# where the normal suite replays them (tst_fuzzregressions); the working corpus stays in build/fuzz.
# Prints one line per target: executions, executions/s, coverage (cov) and features (ft); exits 1
# when any target found something.
set -eu
seconds=${1:?usage: tests/fuzz/run.sh SECONDS}
jobs=${JOBS:-2}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${FUZZ_BUILD:-$root/build/fuzz}
data=$root/tests/data
parsers="npy safetensors sharded gguf tokenizer vocab artifact session spec grid"

seed() { # parser -> its seed folder, filled from the fixtures once
    dir=$build/seeds/$1
    if [ ! -d "$dir" ]; then
        mkdir -p "$dir"
        case $1 in
        npy) cp "$data"/*.npy "$dir"/ ;;
        safetensors) cp "$data"/*.safetensors "$dir"/ ;;
        sharded) cp "$data"/hf-sharded/*.json "$dir"/ ;;
        gguf) cp "$data"/*.gguf "$data"/ggml/*.gguf "$dir"/ 2>/dev/null || cp "$data"/*.gguf "$dir"/ ;;
        tokenizer) find "$data" -name 'tokenizer*.json' -exec cp {} "$dir"/ \; ;;
        vocab) head -c 20000 "$root"/resources/sample/glove-20k.vocab.txt > "$dir"/glove.vocab.txt ;;
        artifact | session) cp "$data"/table.h5 "$dir"/ ;;
        spec)
            echo '{"method":"rtn","params":{"bits":4,"group":32,"mode":"sym"}}' > "$dir"/rtn.json
            echo '{"method":"pq","params":{"d":4,"bits":8}}' > "$dir"/pq.json
            echo '{"method":"aqlm","params":{"M":2,"B":8}}' > "$dir"/aqlm.json ;;
        grid)
            echo '{"method":"rtn","params":{"mode":"sym"},"grid":{"bits":[2,3,4],"group":[32,64]}}' > "$dir"/rtn.json
            echo '{"method":"pq","grid":{"d":[2,4],"bits":[4,8]}}' > "$dir"/pq.json ;;
        esac
    fi
    echo "$dir"
}

run_one() {
    parser=$1
    exe=$build/tests/fuzz/fuzz_$parser
    [ -x "$exe" ] || { echo "$parser: $exe not built" >&2; return 1; }
    corpus=$build/corpus/$parser
    found=$data/regressions/$parser
    mkdir -p "$corpus" "$found"
    log=$build/logs/$parser.log
    mkdir -p "$build/logs"
    "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="$found/" "$corpus" "$(seed "$parser")" > "$log" 2>&1 || true
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1)
    execs=$(grep -E 'stat::number_of_executed_units' "$log" | awk '{print $2}')
    rate=$(grep -E 'stat::average_exec_per_sec' "$log" | awk '{print $2}')
    cov=$(echo "$done_line" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$done_line" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
    crashes=$(grep -cE '^==[0-9]+==ERROR|^SUMMARY: libFuzzer|deadly signal' "$log" || true)
    echo "$parser: ${execs:-?} execs, ${rate:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}, findings $crashes"
    if [ "$crashes" -ne 0 ]; then
        echo "$parser: see $log and $found" >> "$build/logs/findings"
    fi
}

mkdir -p "$build/logs"
rm -f "$build/logs/findings"
running=0
for p in $parsers; do
    run_one "$p" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait
        running=0
    fi
done
wait
if [ -s "$build/logs/findings" ]; then
    cat "$build/logs/findings" >&2
    exit 1
fi
