#!/usr/bin/env bash
# Runs `vqscope-cli sweep --slurm` on a real one-node Slurm cluster started here (Debian's slurm-wlm and
# munge, as root), and checks that
#   1. a 4-task sweep over a small grid, merged by its merge job, equals a local sweep of the same grid
#      (specs, status, bits and metrics; timings and host aside);
#   2. a task killed while it runs leaves its shard incomplete, the merge job says so, and the same
#      command again resubmits that shard alone, which then completes the sweep.
# Every daemon it starts is stopped by PID and its temporary folder removed on every exit path. Missing
# packages or a non-root user fail the test; nothing is skipped.
#
# Usage: tests/slurm/cluster-test.sh [BUILD_DIR]   (default: build/release)
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$repo/build/release}" && pwd)
cli="$build/app/vqscope-cli"
table="$repo/resources/sample/glove-20k.npy"
started=$SECONDS

fail() {
    echo "cluster-test: FAIL: $*" >&2
    exit 1
}

[ "$(id -u)" = 0 ] || fail "must run as root (slurmd launches jobs as their user)"
for tool in munged mungekey slurmctld slurmd sbatch squeue scancel scontrol sinfo python3; do
    command -v "$tool" >/dev/null || fail "$tool not found: install the packages listed for it in packaging/deps.txt"
done
[ -x "$cli" ] || fail "$cli not built"

dir=$(mktemp -d /tmp/vqscope-slurm.XXXXXX)
pids=()
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    # Every job of this private cluster first, so no job step outlives the daemons.
    if [ -n "${SLURM_CONF:-}" ] && [ -n "$(squeue -h 2>/dev/null)" ]; then
        scancel --quiet $(squeue -h -o %A 2>/dev/null) 2>/dev/null || true
        for _ in $(seq 50); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.2; done
    fi
    # Daemons by PID: SIGTERM, and SIGKILL for any still there after 5 s.
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for _ in $(seq 50); do
        alive=0
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ $alive = 0 ] && break
        sleep 0.1
    done
    for pid in "${pids[@]}"; do
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ "$status" != 0 ] && [ -d "$dir" ]; then
        echo "--- logs" >&2
        tail -n 20 "$dir"/log/* "$dir"/work/*/*.log 2>/dev/null >&2 || true
    fi
    rm -rf "$dir"
    exit "$status"
}
trap cleanup EXIT
trap 'echo "cluster-test: FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
trap 'exit 130' INT TERM

# Spare ports: bound and released by the kernel's choice.
port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

mkdir -p "$dir"/{munge,state,spool,log,work}
chmod 700 "$dir/munge"
mungekey --create --keyfile="$dir/munge/munge.key"
munged --foreground --force --socket="$dir/munge/socket" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/seed" \
    >>"$dir/log/munged.out" 2>&1 &
pids+=($!)

node=$(hostname -s)
cat >"$dir/slurm.conf" <<EOF
ClusterName=vqscope-test
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/socket
SlurmctldPort=$(port)
SlurmdPort=$(port)
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
SchedulerParameters=sched_interval=1
NodeName=$node NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$(awk '/MemTotal/ { print int($2 / 2048) }' /proc/meminfo) State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$dir/slurm.conf"

for _ in $(seq 50); do [ -S "$dir/munge/socket" ] && break; sleep 0.1; done
slurmctld -D -i -f "$SLURM_CONF" >>"$dir/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" >>"$dir/log/slurmd.out" 2>&1 &
pids+=($!)
for _ in $(seq 150); do
    sinfo -h -o %T 2>/dev/null | grep -qx idle && break
    sleep 0.2
done
sinfo -h -o %T 2>/dev/null | grep -qx idle || fail "the node did not come up"
echo "cluster-test: slurmctld, slurmd and munged up after $((SECONDS - started)) s"

# 8 combinations, 2 per task, about a second each on 2000 rows.
grid="$dir/work/grid.json"
echo '{"method": "pq", "params": {"iterations": 15}, "grid": {"d": [4, 5], "bits": [5, 6, 7, 8]}}' >"$grid"
options=(--rows 2000 --recall-queries=0)

# What the array tasks compute, computed here: one thread, as a task without -c gets.
"$cli" sweep "$table" --grid "$grid" "${options[@]}" --threads 1 --out "$dir/work/local.jsonl" 2>/dev/null
[ "$(wc -l <"$dir/work/local.jsonl")" = 8 ] || fail "the local sweep did not write 8 runs"

# Waits until none of the given jobs is in the queue any more.
wait_jobs() {
    local deadline=$((SECONDS + 180))
    while [ -n "$(squeue -h -j "$(
        IFS=,
        echo "$*"
    )" 2>/dev/null)" ]; do
        [ $SECONDS -lt $deadline ] || fail "jobs $* still queued after 180 s"
        sleep 0.2
    done
}

# `sweep --slurm` prints "array job ID: ..." and "merge job ID: ...".
job_id() { awk -v kind="$1" '$1 == kind && $2 == "job" { sub(":", "", $3); print $3 }' "$2"; }

# Same runs as the local sweep: spec, status, bits and metrics equal, whatever the order.
same_runs() {
    python3 - "$dir/work/local.jsonl" "$1" <<'EOF'
import json, sys
def runs(path):
    out = {}
    for line in open(path):
        r = json.loads(line)
        key = json.dumps(r["spec"], sort_keys=True)
        out[key] = {k: r[k] for k in ("spec", "status", "bits", "metrics", "bitsPerParam")}
        out[key]["metrics"].pop("seconds", None)  # timings aside
        out[key]["checksum"] = r["provenance"]["checksum"]
    return out
a, b = runs(sys.argv[1]), runs(sys.argv[2])
if set(a) != set(b):
    print("specs differ:", sorted(set(a) ^ set(b)), file=sys.stderr)
    sys.exit(1)
def diff(x, y, where):
    if isinstance(x, dict) and isinstance(y, dict):
        return [d for k in sorted(set(x) | set(y)) for d in diff(x.get(k), y.get(k), where + "." + k)]
    if isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
        return [d for i, (u, v) in enumerate(zip(x, y)) for d in diff(u, v, f"{where}[{i}]")]
    return [] if x == y else [f"{where}: {x} != {y}"]
for key in a:
    d = diff(a[key], b[key], "")
    if d:
        print(f"{key}:", *d[:5], sep="\n  ", file=sys.stderr)
        sys.exit(1)
print(f"cluster-test: {len(b)} merged runs equal the local sweep")
EOF
}

# 1. Four tasks and the merge job.
mkdir "$dir/work/one"
out="$dir/work/one/runs.jsonl"
"$cli" sweep "$table" --grid "$grid" "${options[@]}" --slurm --tasks 4 --out "$out" >"$dir/work/one/submit.txt"
cat "$dir/work/one/submit.txt"
array=$(job_id array "$dir/work/one/submit.txt")
merge=$(job_id merge "$dir/work/one/submit.txt")
[ -n "$array" ] && [ -n "$merge" ] || fail "no job ids printed"
wait_jobs "$array" "$merge"
grep -q "4 of 4 shards done (8 of 8 runs)" "$dir/work/one/runs.merge.log" || fail "merge log: $(cat "$dir/work/one/runs.merge.log")"
same_runs "$out" || fail "case 1: merged runs differ from the local sweep"
"$cli" sweep-status "$out" >/dev/null || fail "sweep-status says not done"

# 2. Task 2 killed while it runs (after its first run line), the rest finish; the merge job reports
# shard 2, and the same command again resubmits shard 2 alone.
mkdir "$dir/work/two"
out="$dir/work/two/runs.jsonl"
submit=("$cli" sweep "$table" --grid "$grid" "${options[@]}" --slurm --tasks 4 --out "$out")
"${submit[@]}" --sbatch-arg=--hold >"$dir/work/two/submit.txt"
array=$(job_id array "$dir/work/two/submit.txt")
merge=$(job_id merge "$dir/work/two/submit.txt")
scontrol release "${array}_2"
deadline=$((SECONDS + 120))
until [ -s "$dir/work/two/runs.shard-2.jsonl" ]; do
    [ $SECONDS -lt $deadline ] || fail "task 2 wrote nothing in 120 s"
    sleep 0.05
done
scancel "${array}_2"
for task in 0 1 3; do scontrol release "${array}_$task"; done
scontrol release "$merge"
wait_jobs "$array" "$merge"
[ "$(wc -l <"$dir/work/two/runs.shard-2.jsonl")" = 1 ] || fail "task 2 was not killed between its two runs"
grep -q "3 of 4 shards done (7 of 8 runs); not done: 2 incomplete" "$dir/work/two/runs.merge.log" \
    || fail "merge log: $(cat "$dir/work/two/runs.merge.log")"
if "$cli" sweep-status "$out" >/dev/null; then fail "sweep-status says done with shard 2 killed"; fi

"${submit[@]}" >"$dir/work/two/resubmit.txt"
cat "$dir/work/two/resubmit.txt"
grep -q "^array job [0-9]*: shards 2 of 4$" "$dir/work/two/resubmit.txt" || fail "resubmitted more than shard 2"
wait_jobs "$(job_id array "$dir/work/two/resubmit.txt")" "$(job_id merge "$dir/work/two/resubmit.txt")"
grep -q "1 of 2 runs already done" "$dir/work/two/runs.shard-2.log" || fail "shard 2 did not resume: $(cat "$dir/work/two/runs.shard-2.log")"
same_runs "$out" || fail "case 2: merged runs differ from the local sweep"

echo "cluster-test: PASS in $((SECONDS - started)) s"
