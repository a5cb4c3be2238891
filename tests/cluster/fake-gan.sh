#!/usr/bin/env bash
# fake-gan.sh - a stand-in for `gan experiment` in the cluster tests.
#
#   fake-gan.sh experiment --name=NAME --seeds=K [--runs-dir=DIR] --task=I/N --threads=T
#   fake-gan.sh experiment --name=NAME --seeds=K [--runs-dir=DIR] --finalize
#
# It tests the plumbing (sbatch scripts, array ids, options passed through,
# working directory, dependency), not gan: its plan is K runs run-0..run-(K-1)
# in DIR/NAME/ (DIR defaults to runs, relative to the working directory).
#   --task=I/N  "trains" runs r with r mod N == I: creates DIR/NAME/run-r.done
#               with O_EXCL semantics (noclobber), holding task, host, pid and
#               threads; a run already done is an error (trained twice).
#   --finalize  checks every run-r.done exists; prints one line per missing
#               run and exits 1, else writes DIR/NAME/summary.txt and exits 0.
# Unknown options exit 2, as gan does, so a drift of the interface shows.
# FAKE_GAN_SLEEP      seconds each run "trains" [0.2]
# FAKE_GAN_FAIL_TASK  a task index I: --task=I/N fails (exit 1) without a run
set -euo pipefail

fail() { echo "fake-gan: $*" >&2; exit 2; }
[ "${1:-}" = experiment ] || fail "only the experiment subcommand is faked (got '${1:-}')"
shift
name="" seeds="" runs_dir=runs task="" threads="" finalize=0
for arg in "$@"; do
  case "$arg" in
    --name=*) name="${arg#*=}" ;;
    --seeds=*) seeds="${arg#*=}" ;;
    --runs-dir=*) runs_dir="${arg#*=}" ;;
    --task=*) task="${arg#*=}" ;;
    --threads=*) threads="${arg#*=}" ;;
    --finalize) finalize=1 ;;
    *) fail "unknown option '$arg'" ;;
  esac
done
[ -n "$name" ] || fail "--name is required"
[[ "$seeds" =~ ^[1-9][0-9]*$ ]] || fail "--seeds must be a positive integer (got '$seeds')"
dir="$runs_dir/$name"

if [ "$finalize" -eq 1 ]; then
  [ -z "$task" ] || fail "--finalize and --task exclude each other"
  missing=0
  for ((r = 0; r < seeds; r++)); do
    [ -f "$dir/run-$r.done" ] || { echo "missing run-$r"; missing=$((missing + 1)); }
  done
  if [ "$missing" -gt 0 ]; then
    echo "fake-gan: $missing of $seeds runs not finished in $dir" >&2
    exit 1
  fi
  cat "$dir"/run-*.done > "$dir/summary.txt"
  echo "fake-gan: all $seeds runs finished; wrote $dir/summary.txt (finalized on $(hostname -s), pid $$)"
  exit 0
fi

[[ "$task" =~ ^([0-9]+)/([1-9][0-9]*)$ ]] || fail "--task must be I/N (got '$task')"
i="${BASH_REMATCH[1]}" n="${BASH_REMATCH[2]}"
[ "$i" -lt "$n" ] || fail "--task=$task: I must be below N"
[[ "$threads" =~ ^[1-9][0-9]*$ ]] || fail "--threads must be a positive integer (got '$threads')"
if [ "$i" = "${FAKE_GAN_FAIL_TASK:-}" ]; then
  echo "fake-gan: task $task fails on purpose (FAKE_GAN_FAIL_TASK=$i)" >&2
  exit 1
fi
mkdir -p "$dir"
for ((r = i; r < seeds; r += n)); do
  sleep "${FAKE_GAN_SLEEP:-0.2}"
  # noclobber: the redirection opens with O_CREAT|O_EXCL, like gan's claim.
  ( set -o noclobber
    echo "run=$r task=$task host=$(hostname -s) pid=$$ threads=$threads" > "$dir/run-$r.done" ) 2> /dev/null ||
    { echo "fake-gan: run-$r already done: trained twice" >&2; exit 1; }
done
echo "fake-gan: task $task done on $(hostname -s), pid $$"
