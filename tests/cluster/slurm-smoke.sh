#!/usr/bin/env bash
# slurm-smoke.sh - the Slurm sweep scripts end to end on a one-node cluster.
#
#   tests/cluster/slurm-smoke.sh        (as root; about 25 s)
#
# Starts scripts/slurm/local-cluster.sh (own folder and ports, so a cluster a
# developer keeps up is not touched), then with fake-gan.sh standing in for
# ./gan (GAN=...):
#   1. submit-sweep.sh --tasks=4 --wait on a plan of 4 runs: every run is done
#      exactly once, by the task r mod 4, in 4 distinct processes; the finalize
#      job ran after them and found all 4; exit 0.
#   2. the same with task 1 failing: the finalize job is cancelled and
#      submit-sweep.sh exits non-zero naming the failed task.
# Stops the cluster on exit. Exit: 0 ok, 1 failed, 77 skipped (not root, or
# Slurm/munge not installed: scripts/install-deps.sh --with-cluster).
# GAN_SLURM_DIR [/tmp/gan-slurm-test], GAN_SLURM_PORT [6927]: see local-cluster.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CLUSTER="$ROOT/scripts/slurm/local-cluster.sh"
export GAN_SLURM_DIR="${GAN_SLURM_DIR:-/tmp/gan-slurm-test}"
export GAN_SLURM_PORT="${GAN_SLURM_PORT:-6927}"
export GAN="$ROOT/tests/cluster/fake-gan.sh"
export FAKE_GAN_SLEEP=0.2

fail() { echo "slurm-smoke: FAIL: $*" >&2; exit 1; }
t_start=$SECONDS

rc=0
"$CLUSTER" up || rc=$?
if [ "$rc" -eq 77 ]; then echo "slurm-smoke: SKIP (see the line above)"; exit 77; fi
[ "$rc" -eq 0 ] || fail "the local cluster did not start (exit $rc; see the line above)"
work="$(mktemp -d /tmp/gan-slurm-smoke.XXXXXX)"
# shellcheck disable=SC2317  # called through the trap
finish() {
  local status=$?
  "$CLUSTER" down > /dev/null || echo "slurm-smoke: local-cluster.sh down failed" >&2
  if [ "$status" -eq 0 ]; then rm -rf "$work"; else echo "slurm-smoke: kept $work for inspection" >&2; fi
}
trap finish EXIT
eval "$("$CLUSTER" env)"
echo "slurm-smoke: cluster up after $((SECONDS - t_start))s; work folder $work"

echo "== 1. a plan of 4 runs as a 4-task array, then the finalize job"
t1=$SECONDS
out="$("$ROOT/scripts/slurm/submit-sweep.sh" --chdir="$work" --tasks=4 --wait --max-wait=120 \
  -- --name=smoke --seeds=4 2>&1)" || { echo "$out" >&2; fail "submit-sweep.sh exited non-zero"; }
echo "$out"
sweep_seconds=$((SECONDS - t1))
dir="$work/runs/smoke"
[ -f "$dir/summary.txt" ] || fail "no $dir/summary.txt: the finalize job did not finish the plan"
[ "$(wc -l < "$dir/summary.txt")" -eq 4 ] || fail "$dir/summary.txt has $(wc -l < "$dir/summary.txt") lines, expected 4 runs"
for r in 0 1 2 3; do
  grep -q "^run=$r task=$r/4 host=[^ ]* pid=[0-9]* threads=1$" "$dir/run-$r.done" ||
    fail "run-$r.done is '$(cat "$dir/run-$r.done")', expected run=$r task=$r/4 ... threads=1"
done
pids="$(sed 's/.* pid=\([0-9]*\).*/\1/' "$dir"/run-*.done | sort -u | wc -l)"
[ "$pids" -eq 4 ] || fail "the 4 runs were done by $pids processes, expected 4 (one per array task)"
grep -q "all 4 runs finished" "$work"/runs/slurm-logs/gan-finalize-*.out ||
  fail "the finalize job's output does not say all 4 runs finished (see $work/runs/slurm-logs/)"
echo "slurm-smoke: ok: 4 runs by 4 array tasks, finalized ($sweep_seconds s)"
cat "$dir/summary.txt"

echo "== 2. a failing task cancels the finalize job"
t2=$SECONDS
rc=0
out="$(FAKE_GAN_FAIL_TASK=1 "$ROOT/scripts/slurm/submit-sweep.sh" --chdir="$work" --tasks=4 --wait \
  --max-wait=120 -- --name=smoke-fail --seeds=4 2>&1)" || rc=$?
echo "$out"
[ "$rc" -ne 0 ] || fail "submit-sweep.sh exited 0 although array task 1 failed"
[ "$rc" -ne 124 ] || fail "submit-sweep.sh timed out instead of seeing the cancelled finalize job"
grep -q "array task [0-9]*_1 FAILED" <<< "$out" || fail "submit-sweep.sh did not name the failed task _1"
[ ! -e "$work/runs/smoke-fail/summary.txt" ] || fail "the finalize job ran although a task failed"
echo "slurm-smoke: ok: failed task 1 named, finalize cancelled, exit $rc ($((SECONDS - t2)) s)"

echo "slurm-smoke: all ok in $((SECONDS - t_start)) s"
