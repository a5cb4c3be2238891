#!/usr/bin/env bash
# submit-sweep.sh - queue a gan experiment plan on Slurm: an array, then its finalize job.
#
#   scripts/slurm/submit-sweep.sh [OPTIONS] -- EXPERIMENT_OPTIONS...
#   e.g. scripts/slurm/submit-sweep.sh --tasks=8 --cpus-per-task=2 --wait -- \
#          --name=init-study --epochs=10 --seeds=5
#
# Submits sweep-array.sbatch as --array=0-(N-1) (task I runs
# `gan experiment EXPERIMENT_OPTIONS --task=I/N --threads=C`), then
# sweep-finalize.sbatch with --dependency=afterok:<array job id> and
# --kill-on-invalid-dep=yes (a failed task cancels the finalize job instead of
# leaving it pending forever). Prints both job ids.
#   --tasks=N          array tasks, i.e. shares of the plan [4]
#   --cpus-per-task=C  CPUs per task, passed to gan as --threads [1]
#   --chdir=DIR        the jobs' working directory, on the shared filesystem;
#                      ./gan and runs/ are relative to it [the repository root]
#   --logs=DIR         Slurm output files, relative to --chdir [runs/slurm-logs]
#   --wait             wait for both jobs (sbatch --wait on the finalize job);
#                      exit with the finalize job's exit code
#   --max-wait=S       give up waiting after S seconds (exit 124; the jobs
#                      keep running) [86400]
# Other sbatch settings come from sbatch's own environment variables, e.g.
# SBATCH_PARTITION, SBATCH_TIMELIMIT, SBATCH_ACCOUNT; GAN (the binary, default
# ./gan) reaches the jobs through sbatch's default --export=ALL.
# Exit: 0 submitted (with --wait: finalize succeeded), 1 a job or sbatch
# failed, 2 bad usage, 124 --max-wait reached.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
tasks=4 cpus=1 chdir="$ROOT" logs=runs/slurm-logs wait=0 max_wait=86400

usage_error() { echo "submit-sweep: $* (try --help)" >&2; exit 2; }
die() { echo "submit-sweep: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --tasks=*) tasks="${1#*=}" ;;
    --cpus-per-task=*) cpus="${1#*=}" ;;
    --chdir=*) chdir="${1#*=}" ;;
    --logs=*) logs="${1#*=}" ;;
    --wait) wait=1 ;;
    --max-wait=*) max_wait="${1#*=}" ;;
    -h|--help) sed -n '2,29s/^# \{0,1\}//p' "$0"; exit 0 ;;
    --) shift; break ;;
    *) usage_error "unknown option '$1'; experiment options go after --" ;;
  esac
  shift
done
[[ "$tasks" =~ ^[1-9][0-9]*$ ]] || usage_error "--tasks=$tasks: expected a positive integer"
[[ "$cpus" =~ ^[1-9][0-9]*$ ]] || usage_error "--cpus-per-task=$cpus: expected a positive integer"
[[ "$max_wait" =~ ^[1-9][0-9]*$ ]] || usage_error "--max-wait=$max_wait: expected a positive number of seconds"
[ -d "$chdir" ] || usage_error "--chdir=$chdir: no such folder"
chdir="$(cd "$chdir" && pwd)"
command -v sbatch > /dev/null ||
  die "sbatch not found (install slurm-client: scripts/install-deps.sh --with-cluster, or run on a Slurm login node)"
exp=("$@")

mkdir -p "$chdir/$logs"
common=(--parsable --chdir="$chdir")

array_out="$(sbatch "${common[@]}" --cpus-per-task="$cpus" --array="0-$((tasks - 1))" \
  --output="$logs/%x-%A_%a.out" "$HERE/sweep-array.sbatch" "${exp[@]}")" ||
  die "sbatch of the array failed (see the message above)"
array_id="${array_out%%;*}"
echo "submit-sweep: array job $array_id: $tasks tasks of $cpus CPU(s), logs in $chdir/$logs/"

# The dependency must name the array's job id: afterok waits for all its tasks.
fin_args=("${common[@]}" --cpus-per-task=1 --dependency="afterok:$array_id"
          --kill-on-invalid-dep=yes --output="$logs/%x-%j.out"
          "$HERE/sweep-finalize.sbatch" "${exp[@]}")
if [ "$wait" -eq 0 ]; then
  fin_out="$(sbatch "${fin_args[@]}")" || {
    scancel "$array_id" 2> /dev/null || true
    die "sbatch of the finalize job failed; cancelled array job $array_id"
  }
  echo "submit-sweep: finalize job ${fin_out%%;*} runs after array job $array_id"
  exit 0
fi

# sbatch --wait prints the job id at submission and exits with the job's
# exit code once it ends; we run it in the background to show the id and to
# bound the wait.
id_file="$(mktemp)"
sbatch_pid=""
# shellcheck disable=SC2317  # called through the trap
cleanup() {
  if [ -n "$sbatch_pid" ]; then
    kill "$sbatch_pid" 2> /dev/null || true
    wait "$sbatch_pid" 2> /dev/null || true
  fi
  rm -f "$id_file"
}
trap cleanup EXIT
trap 'echo "submit-sweep: interrupted; the jobs keep running (scancel $array_id ${fin_id:-} to stop them)" >&2; exit 130' INT TERM
sbatch --wait "${fin_args[@]}" > "$id_file" &
sbatch_pid=$!
fin_id=""
for ((i = 0; i < 300; i++)); do
  fin_id="$(head -n 1 "$id_file")"; fin_id="${fin_id%%;*}"
  if [ -n "$fin_id" ] || ! kill -0 "$sbatch_pid" 2> /dev/null; then break; fi
  sleep 0.1
done
[ -n "$fin_id" ] || { scancel "$array_id" 2> /dev/null || true
  die "sbatch of the finalize job failed; cancelled array job $array_id"; }
echo "submit-sweep: finalize job $fin_id runs after array job $array_id; waiting (at most ${max_wait}s)"

t0=$SECONDS rc=""
while (( SECONDS - t0 < max_wait )); do
  if ! kill -0 "$sbatch_pid" 2> /dev/null; then
    rc=0; wait "$sbatch_pid" || rc=$?
    sbatch_pid=""
    break
  fi
  sleep 1
done
if [ -z "$rc" ]; then
  echo "submit-sweep: jobs $array_id and $fin_id not finished after ${max_wait}s; they keep running (squeue -j $array_id,$fin_id)" >&2
  exit 124
fi

# sbatch --wait exits 0 for a job that never ran (cancelled because a task
# failed), so the finalize job's state decides; Slurm remembers finished jobs
# for MinJobAge (default 300 s), enough for this check.
fin_state="$(squeue -h -t all -j "$fin_id" -o %T 2> /dev/null || true)"
wait_rc="$rc"
if [ "$rc" -eq 0 ] && [ -n "$fin_state" ] && [ "$fin_state" != COMPLETED ]; then
  rc=1
fi
if [ "$rc" -eq 0 ]; then
  echo "submit-sweep: done in $((SECONDS - t0))s: array job $array_id and finalize job $fin_id succeeded"
  exit 0
fi
echo "submit-sweep: finalize job $fin_id ${fin_state:-ended} (sbatch --wait exit code $wait_rc) after $((SECONDS - t0))s; Slurm output in $chdir/$logs/" >&2
squeue -h -t all -j "$array_id" -o '%i %T %r' 2> /dev/null | grep -v ' COMPLETED ' |
  sed 's/^/submit-sweep: array task /' >&2 || true
exit "$rc"
