#!/usr/bin/env bash
# engines.sh - one tiny plan on real MNIST through every engine gan supports,
# each checked against a plain local `gan experiment` of the same plan.
#
#   tests/cluster/engines.sh        (from anywhere; builds nothing but the MPI gan)
#
# Engines: local (--jobs=2), GNU parallel with --task shares (4 shares, 2 at a
# time), GNU parallel with two --worker processes, mpirun -np 2 of a
# `make MPI=1` build, and a 4-task Slurm array + finalize job on a one-node
# cluster started by scripts/slurm/local-cluster.sh (as root). For each: every
# run is claimed exactly once (its claims.log), its final checkpoint is
# byte-identical to the local one (same thread count: 1), and summary.csv
# equals the local one but for train_seconds. Prints each engine's time.
# Exit: 0 ok, 1 a check failed, 77 nothing could run (no MNIST or no gan).
# An engine whose tools are missing is skipped with a line naming the
# package (scripts/install-deps.sh --with-cluster installs them all).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
GAN="$ROOT/build/rel/gan"
DATA="$ROOT/data/mnist"
[ -x "$GAN" ] || { echo "engines: SKIP: $GAN missing (run make)"; exit 77; }
ls "$DATA"/train-images-idx3-ubyte* > /dev/null 2>&1 ||
  { echo "engines: SKIP: no MNIST in $DATA (run ./download_mnist.sh)"; exit 77; }

PLAN=(--inits=random,he_xavier --seeds=2 --epochs=2 --limit=512 --g-hidden=16,32
      --d-hidden=32,16 --data="$DATA")
RUNS=(random-s1 random-s2 he_xavier-s1 he_xavier-s2)
work="$(mktemp -d /tmp/gan-engines.XXXXXX)"
failed=0
finish() {
  if [ "$failed" -eq 0 ]; then rm -rf "$work"; else echo "engines: kept $work" >&2; fi
}
trap finish EXIT
fail() { echo "engines: FAIL: $*" >&2; failed=1; }

# Every run of the plan in $1 claimed once, checkpoints and summary as local's.
check() {
  local name="$1" dir="$2"
  for r in "${RUNS[@]}"; do
    local claims
    claims="$(grep -c ' claim: ' "$dir/$r/claims.log" 2> /dev/null || true)"
    [ "$claims" = 1 ] || fail "$name: $r claimed ${claims:-0} times, expected 1"
    cmp -s "$work/local/$r/checkpoint.bin" "$dir/$r/checkpoint.bin" ||
      fail "$name: $r/checkpoint.bin differs from the local run's"
  done
  diff <(sed 's/,[^,]*$//' "$work/local/summary.csv") <(sed 's/,[^,]*$//' "$dir/summary.csv") \
    > /dev/null || fail "$name: summary.csv differs from the local one (beyond train_seconds)"
  [ "$failed" -eq 0 ] && echo "engines: $name ok in $3 s"
}

t=$SECONDS
"$GAN" experiment --out="$work/local" "${PLAN[@]}" --threads=1 --jobs=2 2> "$work/local.log" ||
  { cat "$work/local.log" >&2; fail "local experiment"; exit 1; }
echo "engines: local ok in $((SECONDS - t)) s"

if command -v parallel > /dev/null; then
  t=$SECONDS
  parallel --will-cite -j2 "$GAN" experiment --out="$work/task" "${PLAN[@]}" --threads=1 \
    --task={}/4 ::: 0 1 2 3 2> "$work/task.log" &&
    "$GAN" experiment --out="$work/task" "${PLAN[@]}" --finalize 2>> "$work/task.log" ||
    fail "parallel --task (see $work/task.log)"
  check "parallel --task" "$work/task" $((SECONDS - t))

  t=$SECONDS
  parallel --will-cite -N0 -j2 "$GAN" experiment --out="$work/worker" "${PLAN[@]}" --threads=1 \
    --worker ::: 1 2 2> "$work/worker.log" &&
    "$GAN" experiment --out="$work/worker" "${PLAN[@]}" --finalize 2>> "$work/worker.log" ||
    fail "parallel --worker (see $work/worker.log)"
  check "parallel --worker" "$work/worker" $((SECONDS - t))
else
  echo "engines: SKIP GNU parallel (Debian package parallel)"
fi

if command -v mpirun > /dev/null && pkg-config --exists ompi-c; then
  t=$SECONDS
  make -s -C "$ROOT" MPI=1 build/rel-mpi/gan > "$work/mpi-build.log" 2>&1 ||
    { cat "$work/mpi-build.log" >&2; fail "make MPI=1"; }
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
    mpirun -np 2 --oversubscribe --bind-to none "$ROOT/build/rel-mpi/gan" experiment \
    --out="$work/mpi" "${PLAN[@]}" --threads=1 > "$work/mpi.log" 2>&1 ||
    fail "mpirun (see $work/mpi.log)"
  check "mpirun -np 2" "$work/mpi" $((SECONDS - t))
else
  echo "engines: SKIP MPI (Debian packages openmpi-bin libopenmpi-dev)"
fi

CLUSTER="$ROOT/scripts/slurm/local-cluster.sh"
export GAN_SLURM_DIR=/tmp/gan-slurm-engines GAN_SLURM_PORT=6937
rc=0
"$CLUSTER" up > "$work/cluster.log" 2>&1 || rc=$?
if [ "$rc" -eq 0 ]; then
  t=$SECONDS
  eval "$("$CLUSTER" env)"
  GAN="$GAN" "$ROOT/scripts/slurm/submit-sweep.sh" --chdir="$work" --tasks=4 --wait \
    --max-wait=300 -- --out="$work/slurm" "${PLAN[@]}" > "$work/slurm.log" 2>&1 ||
    fail "Slurm array + finalize (see $work/slurm.log and $work/runs/slurm-logs/)"
  "$CLUSTER" down > /dev/null 2>&1 || true
  check "Slurm array of 4 + finalize" "$work/slurm" $((SECONDS - t))
else
  echo "engines: SKIP Slurm: $(tail -n 1 "$work/cluster.log")"
  "$CLUSTER" down > /dev/null 2>&1 || true
fi
exit "$failed"
