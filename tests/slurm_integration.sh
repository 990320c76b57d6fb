#!/usr/bin/env bash
# The Slurm integration test (issue 19; ctest label "integration"): starts a
# single-node Slurm on this machine (munged, slurmctld and slurmd on localhost,
# a generated minimal configuration, all in a temporary folder), submits a job
# array of 4 shards of a tiny suite with `sbatch --array=0-3 --wait`, merges the
# 4 databases and checks that the merged plan is the unsharded plan: every row
# once, none missing, and each shard recorded in its run.
#
#   tests/slurm_integration.sh ARCHBENCH_BINARY SUITE.toml examples/slurm/shards.sbatch
#
# The job is the README's example script itself, given the binary, suite and
# folder in its environment.
#
# Exits 77 (ctest: skipped, and says why) where Slurm or munge is not installed;
# `./archbench test` installs Debian's slurm-wlm and munge when run as root.
# The daemons run as the calling user (root in CI: Slurm's SlurmUser=root, and
# munged --force) and are stopped, by the pids this script started, on exit.
set -euo pipefail

archbench="$1"
suite="$2"
job="$3"

for tool in munged slurmctld slurmd sbatch; do
  if ! command -v "$tool" >/dev/null 2>&1 && [[ ! -x "/usr/sbin/$tool" ]]; then
    echo "skipped: $tool is not installed (Debian: apt-get install slurm-wlm munge)"
    exit 77
  fi
done
PATH="$PATH:/usr/sbin"

work="$(mktemp -d /tmp/archbench-slurm-XXXXXX)"
chmod 700 "$work"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAILED: $*"
  for log in "$work"/*.log "$work"/out-*.txt; do
    [[ -f "$log" ]] && { echo "--- $log"; tail -n 30 "$log"; }
  done
  exit 1
}

# Two free TCP ports for slurmctld and slurmd (another Slurm, or another copy of
# this test, may hold the defaults 6817/6818).
free_ports() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1", 0)) for x in s]
print(" ".join(str(x.getsockname()[1]) for x in s))'
  else
    local base=$((20000 + $$ % 20000))
    echo "$base $((base + 1))"
  fi
}
read -r ctld_port slurmd_port < <(free_ports)

# munge: a fresh key and a private socket, so the system's munge (if any) is untouched.
mkdir -m 700 "$work/munge"
head -c 1024 /dev/urandom > "$work/munge/munge.key"
chmod 400 "$work/munge/munge.key"
socket="$work/munge/munge.socket"
munged --foreground --force --key-file="$work/munge/munge.key" --socket="$socket" \
  --pid-file="$work/munge/munged.pid" --seed-file="$work/munge/munged.seed" \
  --log-file="$work/munged.log" >"$work/munged.out" 2>&1 &
pids+=($!)

host="$(hostname -s)"
node_line="$(slurmd -C | head -n 1)"   # this machine as slurmd sees it: NodeName=... CPUs=... RealMemory=...
mkdir -p "$work/state" "$work/spool"
conf="$work/slurm.conf"
cat > "$conf" <<EOF
ClusterName=archbench
SlurmctldHost=$host(127.0.0.1)
SlurmUser=$(id -un)
SlurmdUser=$(id -un)
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
$node_line NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=archbench Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$conf"

for _ in $(seq 50); do [[ -S "$socket" ]] && break; sleep 0.1; done
[[ -S "$socket" ]] || fail "munged did not start"
slurmctld -D -c -f "$conf" >"$work/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$conf" -N "$host" >"$work/slurmd.out" 2>&1 &
pids+=($!)
ready=""
for _ in $(seq 100); do
  if sinfo -h -N -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then ready=1; break; fi
  sleep 0.3
done
[[ -n "$ready" ]] || fail "the node did not come up: $(sinfo -h -N -o '%N %T %E' 2>&1 || true)"

# The job array: each task runs its shard into a database of its own. One CPU
# a task (the file asks for 8 and a whole node) so tasks share this machine.
if ! ARCHBENCH="$archbench" ARCHBENCH_SUITE="$suite" ARCHBENCH_BACKEND=cpu RESULTS_DIR="$work" \
     timeout 600 sbatch --wait --array=0-3 --cpus-per-task=1 --oversubscribe --no-requeue --chdir="$work" \
     --output="$work/out-%a.txt" --export=ALL "$job" >"$work/sbatch.log" 2>&1; then
  fail "the job array did not finish cleanly"
fi

"$archbench" merge "$work/merged.db" "$work"/shard-{0,1,2,3}.db >"$work/merge.log" 2>&1 || fail "merge"
cat "$work/merge.log"
plan_of_db() {
  "$archbench" query --db "$work/merged.db" --format csv \
    "SELECT p.canonical || '  ' || r.backend || '  ' || r.suite FROM results r JOIN problems p ON p.id = r.problem_id" |
    tail -n +2 | sort
}
merged="$(plan_of_db)"
whole="$("$archbench" run --dry-run --backend cpu --suite "$suite" | grep '  cpu  ' | sort)"
[[ -n "$whole" ]] || fail "the unsharded plan is empty"
[[ "$merged" == "$whole" ]] || fail "merged plan differs from the unsharded plan:
$(diff <(echo "$whole") <(echo "$merged") || true)"
[[ "$(echo "$merged" | sort -u | wc -l)" == "$(echo "$merged" | wc -l)" ]] || fail "a row was run twice"
shards="$("$archbench" query --db "$work/merged.db" --format csv \
  "SELECT group_concat(shard || ':' || status, ' ') FROM (SELECT shard, status FROM runs ORDER BY shard)" | tail -n 1)"
[[ "$shards" == "0/4:completed 1/4:completed 2/4:completed 3/4:completed" ]] || fail "runs: $shards"
echo "slurm: 4 shards of $(echo "$whole" | wc -l) rows merged into the unsharded plan ($shards)"
