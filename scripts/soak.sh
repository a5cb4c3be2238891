#!/usr/bin/env bash
# soak.sh - kill -9 gan train and gan experiment at random moments, rerun, and
# check that nothing is lost or corrupted (issue 12). Not part of make test.
#
#   scripts/soak.sh [TRAIN_KILLS [EXPERIMENT_KILLS]]     (defaults 200 and 50)
#
# gan train: tiny runs (1,280 MNIST images, 3 epochs of 20 steps, small nets,
# one thread), each killed with SIGKILL KILLS_PER_RUN times at a random moment
# (0-1.5 s after its start: data loading, training, checkpoint writes), each
# kill followed by a rerun (--resume when a checkpoint exists, else --force),
# then trained to the end. gan experiment: a 2-run plan killed the same way,
# rerun until it exits 0. Every run must end with the files of an
# uninterrupted run (checkpoint, CSVs, samples: tests/chaos/run-checks.sh)
# and each epoch exactly once in every CSV.
# Prints the counts; exit 0 when every check held, 1 otherwise.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GAN="$ROOT/build/rel/gan"
TRAIN_KILLS="${1:-200}"
EXP_KILLS="${2:-50}"
KILLS_PER_RUN=4
[ -x "$GAN" ] || { echo "soak: $GAN missing; run make" >&2; exit 1; }
ARGS=(--limit=1280 --batch=64 --epochs=3 --g-hidden=32,64 --d-hidden=64,32 --threads=1
      --data="$ROOT/data/mnist")
work="$(mktemp -d /tmp/gan-soak.XXXXXX)"
trap 'rm -rf "$work"' EXIT
bad=0
fail() { echo "soak: FAIL: $*" >&2; bad=$((bad + 1)); }

# shellcheck source=tests/chaos/run-checks.sh
. "$ROOT/tests/chaos/run-checks.sh"

# The run's contract files as the uninterrupted run's, each epoch once.
check_run() {
  local run="$1" ref="$2" out
  out="$(runcheck_same "$run" "$ref")" || fail "$out"
  out="$(runcheck_epochs_once "$run" 3)" || fail "$out"
}

# Starts cmd in the background and SIGKILLs it after a random 0-1.5 s.
kill_randomly() {
  "$@" > /dev/null 2>&1 &
  local pid=$!
  sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.3f", r / 32767 * 1.5 }')"
  kill -9 "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
}

# The command that continues run $1 from whatever a kill left.
rerun_train() {
  local run="$1" seed="$2"
  if [ -f "$run/checkpoint.bin" ] || [ -f "$run/checkpoint.prev.bin" ]; then
    echo "$GAN" train --resume="$run"
  else
    echo "$GAN" train --out="$run" --force --seed="$seed" "${ARGS[*]}"
  fi
}

start=$SECONDS
for seed in 1 2; do
  "$GAN" train --out="$work/ref-$seed" --seed="$seed" "${ARGS[@]}" --quiet
done

kills=0 runs=0
while [ "$kills" -lt "$TRAIN_KILLS" ]; do
  seed=$((runs % 2 + 1))
  run="$work/train-$runs"
  for _ in $(seq "$KILLS_PER_RUN"); do
    [ "$kills" -lt "$TRAIN_KILLS" ] || break
    # shellcheck disable=SC2046  # the command is split on purpose
    kill_randomly $(rerun_train "$run" "$seed")
    kills=$((kills + 1))
  done
  # shellcheck disable=SC2046
  $(rerun_train "$run" "$seed") > "$work/last.log" 2>&1 ||
    { fail "$run: the rerun failed: $(tail -n 1 "$work/last.log")"; continue; }
  check_run "$run" "$work/ref-$seed"
  rm -rf "$run"
  runs=$((runs + 1))
done
echo "soak: gan train: $kills SIGKILLs over $runs runs, $((SECONDS - start)) s, $bad failures"

EXP=(--inits=random,he_xavier "${ARGS[@]}" --jobs=2)
"$GAN" experiment --out="$work/exp-ref" "${EXP[@]}" > /dev/null 2>&1
ekills=0 eruns=0
while [ "$ekills" -lt "$EXP_KILLS" ]; do
  exp="$work/exp-$eruns"
  for _ in $(seq "$KILLS_PER_RUN"); do
    [ "$ekills" -lt "$EXP_KILLS" ] || break
    kill_randomly "$GAN" experiment --out="$exp" "${EXP[@]}"
    ekills=$((ekills + 1))
  done
  # A killed experiment's children finish their step and checkpoint first;
  # a rerun meanwhile skips their runs as busy (exit 1): try again.
  ok=0
  for _ in $(seq 20); do
    if "$GAN" experiment --out="$exp" "${EXP[@]}" > "$work/last.log" 2>&1; then ok=1; break; fi
    sleep 0.5
  done
  [ "$ok" -eq 1 ] || { fail "$exp: reruns keep failing: $(tail -n 1 "$work/last.log")"; continue; }
  for r in random-s1 he_xavier-s1; do check_run "$exp/$r" "$work/exp-ref/$r"; done
  [ -z "$(pgrep -f "$exp/" || true)" ] || fail "$exp: a gan process outlived its experiment"
  rm -rf "$exp"
  eruns=$((eruns + 1))
done
echo "soak: gan experiment: $ekills SIGKILLs over $eruns experiments, $bad failures in all"
echo "soak: $((kills + ekills)) SIGKILLs in $((SECONDS - start)) s; $bad failures"
[ "$bad" -eq 0 ]
