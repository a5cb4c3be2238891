#!/usr/bin/env bash
# valgrind-check.sh - run each gan subcommand once on a tiny run under
# valgrind; fails on any invalid access or definite/indirect leak.
# Needs real MNIST in data/mnist (./download_mnist.sh). Used by .ci/run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
GAN=${GAN:-./gan}
work=$(mktemp -d /tmp/gan-valgrind-XXXXXX)
trap 'rm -rf "$work"' EXIT
export OPENBLAS_NUM_THREADS=1
# valgrind does not emulate AVX-512: OpenBLAS's Skylake-X/Cooperlake kernels
# die under it on machines that have it. Haswell's (AVX2) run everywhere.
export OPENBLAS_CORETYPE=Haswell
vg() {
  echo "valgrind: gan $*"
  valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --error-exitcode=1 "$GAN" "$@" >/dev/null
}
small=(--limit=128 --g-hidden=16,32 --d-hidden=32,16 --quiet)
vg train --out="$work/run" --epochs=1 "${small[@]}"
vg train --resume="$work/run" --epochs=2 --quiet
vg sample --run="$work/run" --n=9 -o "$work/grid.png"
vg export --run="$work/run" --out="$work/export"
vg report "$work/run" -o "$work/report.html"
vg probe --act=tanh --init=xavier_normal --layers=3 --width=50 --batch=100 -o "$work/probe.svg"
vg data
vg classifier train --limit=256 --epochs=1 --out="$work/clf.bin" --quiet
vg eval --run="$work/run" --classifier="$work/clf.bin" --n=100
vg train --out="$work/run-eval" --epochs=1 --eval-every=1 --eval-n=64 \
  --classifier="$work/clf.bin" "${small[@]}"
echo "valgrind: no invalid accesses, no leaks"
