# Sourced by the sbatch templates here: settings from the environment, with defaults.
#   EAGLERUN  the eaglerun binary           (build/release/apps/eaglerun under SLURM_SUBMIT_DIR)
#   MODEL     model file or folder           (default: the default model)
#   TP PP EP  the split                      (TP: the job's tasks / (PP x EP))
#   THREADS   threads per rank               (SLURM_CPUS_PER_TASK, else 1)
#   DEVICE    --device of generate/bench     (unset: the CPU; "cuda": each rank drives the GPU of its
#                                            rank within the node (SLURM_LOCALID), "cuda:N" from GPU N
#                                            on; every task must see the node's GPUs: --gres=gpu:K
#                                            without per-task GPU binding; tp/ep sums over NCCL)
#   LOGS      folder of per-rank logs        (logs/JOBNAME-JOBID under SLURM_SUBMIT_DIR; "-TASK" is
#                                            appended in a job array)
# Submit from the eaglerun checkout: the templates find this file under $SLURM_SUBMIT_DIR/slurm.
# srun --kill-on-bad-exit ends every rank when one fails; with set -e the script, and so the job,
# exits with srun's status.
submit_dir="${SLURM_SUBMIT_DIR:-$PWD}"
eaglerun="${EAGLERUN:-$submit_dir/build/release/apps/eaglerun}"
model="${MODEL:-default}"
pp="${PP:-1}"
ep="${EP:-1}"
tp="${TP:-0}"
threads="${THREADS:-${SLURM_CPUS_PER_TASK:-1}}"
device="${DEVICE:-}"
logs="${LOGS:-$submit_dir/logs/${SLURM_JOB_NAME:-eaglerun}-${SLURM_ARRAY_JOB_ID:-${SLURM_JOB_ID:-local}}}"
logs="$logs${SLURM_ARRAY_TASK_ID:+-$SLURM_ARRAY_TASK_ID}"  # one folder per array task
[ -x "$eaglerun" ] || { echo "eaglerun: error: no eaglerun binary at '$eaglerun' (set EAGLERUN)" >&2; exit 2; }
mkdir -p "$logs"

# run_ranks ARGS...: eaglerun ARGS on every task of the job, stdout/stderr per rank in $logs.
run_ranks() {
  echo "eaglerun: job ${SLURM_JOB_ID:-?} on ${SLURM_JOB_NODELIST:-?}: ${SLURM_NTASKS:-?} ranks, tp $tp pp $pp ep $ep," \
       "device ${device:-cpu}, logs in $logs" >&2
  srun --mpi=pmix --kill-on-bad-exit=1 --distribution=block \
    --output="$logs/rank-%t.out" --error="$logs/rank-%t.err" \
    "$eaglerun" "$@" --model "$model" --threads "$threads" --tp "$tp" --pp "$pp" --ep "$ep" ${device:+--device "$device"}
}
