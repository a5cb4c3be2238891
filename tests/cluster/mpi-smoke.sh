#!/usr/bin/env bash
# mpi-smoke.sh - Open MPI works here: build tests/cluster/mpi-hello.c with
# mpicc into build/cluster/ and run it with mpirun on 2 ranks.
#
#   tests/cluster/mpi-smoke.sh [RANKS]     (default 2; a few seconds)
#
# --oversubscribe lets the ranks outnumber the cores; as root, Open MPI needs
# OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 (set here).
# Every rank must print "rank I/N" and rank 0 "done" once; the
# run is bounded by `timeout` (60 s).
# Exit: 0 ok, 1 failed, 2 bad usage, 77 skipped (mpicc or mpirun missing:
# scripts/install-deps.sh --with-cluster installs openmpi-bin libopenmpi-dev).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ranks="${1:-2}"
[[ "$ranks" =~ ^[1-9][0-9]*$ ]] || { echo "mpi-smoke: RANKS must be a positive integer (got '$ranks')" >&2; exit 2; }
fail() { echo "mpi-smoke: FAIL: $*" >&2; exit 1; }

for bin in mpicc mpirun; do
  if ! command -v "$bin" > /dev/null 2>&1; then
    echo "mpi-smoke: SKIP: $bin not found (install: scripts/install-deps.sh --with-cluster)"
    exit 77
  fi
done

out_dir="$ROOT/build/cluster"
mkdir -p "$out_dir"
t0=$SECONDS
mpicc -std=c11 -O2 -Wall -Wextra -Werror -o "$out_dir/mpi-hello" "$ROOT/tests/cluster/mpi-hello.c" ||
  fail "mpicc could not build tests/cluster/mpi-hello.c (see above)"

if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
rc=0
out="$(timeout 60 mpirun -np "$ranks" --oversubscribe "$out_dir/mpi-hello" 2>&1)" || rc=$?
echo "$out"
[ "$rc" -ne 124 ] || fail "mpirun did not finish in 60 s"
[ "$rc" -eq 0 ] || fail "mpirun exited $rc"
for ((r = 0; r < ranks; r++)); do
  grep -q "^rank $r/$ranks on " <<< "$out" || fail "no line 'rank $r/$ranks' from rank $r"
done
# mpirun forwards each rank's stdout on its own, so lines of different ranks
# may interleave in any order: only their presence is checked.
[ "$(grep -c "^done: $ranks ranks passed the barrier$" <<< "$out")" -eq 1 ] ||
  fail "rank 0 did not print 'done: $ranks ranks passed the barrier' once"
echo "mpi-smoke: ok: $ranks ranks in $((SECONDS - t0)) s ($(mpirun --version | head -n 1))"
