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
vg train --out="$work/run" --epochs=1 --keep-every=1 "${small[@]}"
vg train --resume="$work/run" --epochs=2 --quiet
# bf16's numerics and passes (native bf16 needs AVX-512, which valgrind does
# not emulate: bf16-emulated runs the same rounding and split passes).
vg train --out="$work/run-bf16" --epochs=1 --precision=bf16-emulated --threads=2 "${small[@]}"
vg sample --run="$work/run" --n=9 -o "$work/grid.png"
vg sample --run="$work/run" --epoch=1 --n=9 -o "$work/grid1.png"
vg export --run="$work/run" --out="$work/export"
vg report "$work/run" -o "$work/report.html"
vg probe --act=tanh --init=xavier_normal --layers=3 --width=50 --batch=100 -o "$work/probe.svg"
vg data
# The classifier and FD commands read the 10k test images, far too slow
# under valgrind: they get a copy of MNIST cut to its first 256 images
# (raw IDX files, which the reader accepts beside .gz).
tiny="$work/tiny"
mkdir -p "$tiny"
be32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) \
  $(($1 >> 8 & 255)) $(($1 & 255)); }
cut_idx() { # name header_bytes item_bytes magic_hex dims...
  local name=$1 skip=$2 item=$3 out; out="$tiny/$1"
  printf "$4$(be32 256)" >"$out"
  shift 4
  for d in "$@"; do printf "$(be32 "$d")" >>"$out"; done
  # zcat dies of SIGPIPE when head has enough: not an error here.
  { zcat "data/mnist/$name.gz" || true; } | head -c $((skip + 256 * item)) |
    tail -c $((256 * item)) >>"$out"
}
for set in train t10k; do
  cut_idx "$set-images-idx3-ubyte" 16 784 '\x00\x00\x08\x03' 28 28
  cut_idx "$set-labels-idx1-ubyte" 8 1 '\x00\x00\x08\x01'
done
vg classifier train --data="$tiny" --epochs=1 --out="$work/clf.bin" --quiet
vg eval --run="$work/run" --data="$tiny" --classifier="$work/clf.bin" --n=100
vg eval --run="$work/run" --all-epochs --data="$tiny" --classifier="$work/clf.bin" --n=100
vg train --out="$work/run-eval" --data="$tiny" --epochs=1 --eval-every=1 --eval-n=64 \
  --classifier="$work/clf.bin" "${small[@]}"
echo "valgrind: no invalid accesses, no leaks"
