#!/bin/bash
# Runs libFuzzer targets for SECONDS each, JOBS at a time (default 2): every parser, or those named.
#   tests/fuzz/run.sh SECONDS [PARSER...]        e.g. JOBS=1 nice -n 19 tests/fuzz/run.sh 600 gguf npy
# Build first: cmake --preset fuzz && cmake --build build/fuzz (or tests/fuzz/ci.sh, which does both).
# Targets start from the fixtures in tests/data and keep their working corpus in build/fuzz/corpus, so
# a later run goes on where the last one stopped. Inputs that crash, hang or allocate without bound are
# written to tests/data/regressions/<parser>/ (crash-*, timeout-*, oom-*, leak-*), where the normal
# suite replays them (tst_fuzzregressions). Prints one line per target as it ends: executions,
# executions/s, coverage (cov: edges) and features (ft), corpus size, and what it found; then a total.
# Exits 1 when any target found something or did not run. FUZZ_BUILD: the build folder (build/fuzz).
set -eu
seconds=${1:?usage: tests/fuzz/run.sh SECONDS [PARSER...]}
shift
jobs=${JOBS:-2}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${FUZZ_BUILD:-$root/build/fuzz}
data=$root/tests/data
all="npy safetensors sharded gguf tokenizer vocab artifact session spec grid"
parsers=${*:-$all}
for p in $parsers; do
    case " $all " in *" $p "*) ;; *) echo "unknown parser '$p'; known: $all" >&2; exit 2 ;; esac
done

seed() { # parser -> its seed folder, filled from the fixtures once
    dir=$build/seeds/$1
    if [ ! -d "$dir" ]; then
        mkdir -p "$dir"
        case $1 in
        npy) cp "$data"/*.npy "$dir"/ ;;
        safetensors) cp "$data"/*.safetensors "$dir"/ ;;
        sharded) cp "$data"/hf-sharded/*.json "$dir"/ ;;
        gguf) cp "$data"/*.gguf "$dir"/ && { cp "$data"/ggml/*.gguf "$dir"/ 2>/dev/null || true; } ;;
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
    log=$build/logs/$parser.log
    if [ ! -x "$exe" ]; then
        echo "$parser: $exe not built" | tee "$build/logs/$parser.summary" >&2
        echo "$parser: not built" >> "$build/logs/findings"
        return
    fi
    corpus=$build/corpus/$parser
    found=$data/regressions/$parser
    mkdir -p "$corpus" "$found"
    "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="$found/" "$corpus" "$(seed "$parser")" > "$log" 2>&1 || true
    # libFuzzer separates the fields of its status lines with tabs or spaces, depending on the version.
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1)
    [ -n "$done_line" ] || done_line=$(grep -E '^#[0-9]+[[:space:]]' "$log" | tail -1)
    execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
    rate=$(awk '/stat::average_exec_per_sec/ {print $2}' "$log")
    cov=$(echo "$done_line" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$done_line" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
    corp=$(echo "$done_line" | sed -n 's/.*corp: \([0-9]*\).*/\1/p')
    # One line per input written: "Test unit written to <prefix>crash-<sha1>" (or timeout-, oom-, leak-).
    written=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log")
    crashes=0 others=0
    for f in $written; do
        case $(basename "$f") in crash-*) crashes=$((crashes + 1)) ;; *) others=$((others + 1)) ;; esac
    done
    line="$parser: ${execs:-?} execs, ${rate:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?},"
    line="$line crashes $crashes, timeouts/ooms $others"
    echo "$line" | tee "$build/logs/$parser.summary"
    if [ $((crashes + others)) -ne 0 ] || [ -z "$execs" ]; then
        echo "$parser: see $log${written:+ and $written}" >> "$build/logs/findings"
    fi
}

mkdir -p "$build/logs"
rm -f "$build/logs/findings"
echo "fuzzing $(echo "$parsers" | wc -w) target(s) for $seconds s each, $jobs at a time; load: $(uptime | sed 's/.*load/load/')"
running=0
for p in $parsers; do
    if [ "$running" -ge "$jobs" ]; then
        wait -n || true
        running=$((running - 1))
    fi
    run_one "$p" &
    running=$((running + 1))
done
wait
total=$(cat "$build"/logs/*.summary 2>/dev/null | awk -v want=" $parsers " '
    { name = $1; sub(":", "", name); if (index(want, " " name " ") > 0) { n += $2; c += $(NF - 2) + $NF } }
    END { printf "%d execs, %d findings", n, c }')
echo "total: $total"
if [ -s "$build/logs/findings" ]; then
    cat "$build/logs/findings" >&2
    exit 1
fi
