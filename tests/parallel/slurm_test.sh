#!/usr/bin/env bash
# A one-node Slurm on this machine (munged, slurmctld, slurmd started here, stopped on exit), and
# the slurm/ templates submitted with sbatch --wait (ctest label slurm):
#   single_node.sbatch: a 2-rank (--pp 2) EAGLE job gives the same tokens as one rank;
#   a job whose eaglerun fails passes its non-zero exit code through sbatch --wait;
#   tree_sweep.sbatch: a 2-task job array, one JSON result per tree;
#   sweep.sbatch: an experiment's cells over a 2-task array into one folder, each cell once, and a
#   resubmitted array runs nothing.
# usage: slurm_test.sh EAGLERUN REPO_ROOT MODEL
set -euo pipefail
eaglerun="$1" root="$2" model="$3"
# slurmd starts job steps as their user and needs root for that; ctest reports exit 77 as skipped.
[ "$(id -u)" -eq 0 ] || { echo "SKIP: slurmd needs root (this test starts its own Slurm)"; exit 77; }
work="$(mktemp -d /tmp/eaglerun-slurm.XXXXXX)"
chmod 700 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 1
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/*.log; do echo "--- $f"; tail -n 20 "$f"; done >&2
  exit 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

host="$(hostname -s)"
cpus="$(nproc)"
mem_mb="$(awk '/MemTotal/ {print int($2 / 1024 / 2)}' /proc/meminfo)"
mkdir -p "$work/state" "$work/spool" "$work/munge"
chmod 700 "$work/munge"

echo "== munged"
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge/munge.key"
/usr/sbin/munged --force --foreground --key-file="$work/munge/munge.key" --socket="$work/munge/munge.socket" \
  --pid-file="$work/munge/munged.pid" --seed-file="$work/munge/munge.seed" > "$work/munged.log" 2>&1 &
pids+=($!)

cat > "$work/slurm.conf" <<EOF
ClusterName=eaglerun-test
SlurmctldHost=$host
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=$(id -un)
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge/munge.socket
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MailProg=/bin/true
NodeName=$host CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:2
EOF
export SLURM_CONF="$work/slurm.conf"
for _ in $(seq 50); do [ -S "$work/munge/munge.socket" ] && break; sleep 0.1; done
[ -S "$work/munge/munge.socket" ] || fail "munged did not start"

echo "== slurmctld, slurmd"
/usr/sbin/slurmctld -D -i -f "$SLURM_CONF" > "$work/slurmctld.stdout.log" 2>&1 &
pids+=($!)
/usr/sbin/slurmd -D -N "$host" -f "$SLURM_CONF" > "$work/slurmd.stdout.log" 2>&1 &
pids+=($!)
for _ in $(seq 60); do
  state="$(sinfo -h -N -o '%T' 2>/dev/null | head -n 1 || true)"
  [ "$state" = "idle" ] && break
  sleep 0.5
done
[ "$state" = "idle" ] || fail "the node is not idle (state '$state')"

# Slurm jobs of this test: no Slurm environment of an outer job leaks in; the OpenMPI ranks may
# run as root in a container and share 2 cores.
unset SLURM_JOB_ID SLURM_JOBID SLURM_NTASKS SLURM_PROCID
export EAGLERUN="$eaglerun" MODEL="$model" OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_hwloc_base_binding_policy=none PMIX_MCA_gds=hash
questions="$work/prompts.jsonl"
head -n 2 "$root/data/eval/mt_bench/question.jsonl" > "$questions"
gen=(generate --prompts "$questions" --max-new-tokens 32 --draft default --json)
tokens() { python3 -c 'import json,sys; print([json.loads(l)["output_tokens"] for l in open(sys.argv[1])])' "$1"; }
cd "$root"

echo "== single_node.sbatch: 2 ranks, --pp 2"
LOGS="$work/logs-single" PP=2 sbatch --wait --quiet --ntasks=2 --cpus-per-task=1 --time=5 \
  --output="$work/single.log" slurm/single_node.sbatch "${gen[@]}" || fail "the 2-rank job failed"
"$eaglerun" "${gen[@]}" --model "$model" --threads 1 > "$work/one.jsonl"
[ "$(tokens "$work/one.jsonl")" = "$(tokens "$work/logs-single/rank-0.out")" ] || fail "Slurm tokens differ from one rank's"
[ ! -s "$work/logs-single/rank-1.out" ] || fail "rank 1 wrote results"
grep -q "2 ranks: tp 1 x ep 1 x pp 2" "$work/logs-single/rank-0.err" || fail "rank 0 did not run a 2-rank split"
echo "same tokens as one rank"

echo "== a failing job passes its exit code through"
set +e
LOGS="$work/logs-bad" TP=2 sbatch --wait --quiet --ntasks=2 --time=5 --output="$work/bad.log" \
  slurm/single_node.sbatch generate --prompt hi > /dev/null 2>&1
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "sbatch --wait returned 0 for a failing job"
grep -q "does not divide the model's 3 KV heads" "$work/logs-bad/rank-0.err" || fail "no split error in rank 0's log"
echo "exit $rc: $(grep -h "error:" "$work/logs-bad/rank-0.err")"

echo "== tree_sweep.sbatch: a job array of 2 trees"
LOGS="$work/logs-sweep" TREES="chain:1 chain:3" sbatch --wait --quiet --array=0-1 --cpus-per-task=1 --time=5 \
  --output="$work/sweep-%a.log" slurm/tree_sweep.sbatch --limit 1 --max-new-tokens 16 || fail "the sweep failed"
for i in 0 1; do
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["identical_outputs"] == 1, j; print(j["tree"], j["tau"])' \
    "$work/logs-sweep-$i/rank-0.out" || fail "sweep task $i"
done

echo "== sweep.sbatch: an experiment's 4 cells over a 2-task array into one folder, then resubmitted"
cat > "$work/experiment.json" <<'JSON'
{"kind": "speedup", "draft": "default", "draft_vocab": 2048, "trees": ["chain:1", "eagle1"],
 "eval_sets": ["mt_bench"], "temperatures": [0.0, 1.0], "max_new_tokens": 8, "prompt_limit": 1, "threads": 1}
JSON
for round in 1 2; do
  LOGS="$work/logs-exp-$round" CONFIG="$work/experiment.json" OUT="$work/results" sbatch --wait --quiet --array=0-1 \
    --cpus-per-task=1 --time=5 --output="$work/exp-$round-%a.log" slurm/sweep.sbatch || { cat "$work"/logs-exp-$round-*/rank-*.err >&2; fail "sweep round $round failed"; }
done
[ "$(ls "$work/results"/cell-*.h5 | wc -l)" -eq 4 ] || fail "expected 4 cells in the folder"
[ -z "$(ls "$work/results" | grep partial || true)" ] || fail "a .partial file was left"
[ "$(cat "$work"/logs-exp-1-*/rank-0.out | wc -l)" -eq 4 ] || fail "the first round did not run each cell once"
[ "$(cat "$work"/logs-exp-2-*/rank-0.out | wc -l)" -eq 0 ] || fail "the resubmitted round ran finished cells"
/usr/bin/python3 "$root/tests/experiments/check_experiment_cells.py" "$work/results" --expect-cells 4 || fail "cell invariants"

echo "PASS"
