#!/usr/bin/env bash
# install-deps.sh - install the Debian packages needed to build and test gan.
#
#   scripts/install-deps.sh [--with-npm] [--with-cluster] [--with-torch]
#
# As root: apt-get update, then apt-get install -y --no-install-recommends of
# build-essential pkg-config libopenblas-dev libdnnl-dev zlib1g-dev libstb-dev
# libcriterion-dev libxml2-utils valgrind protobuf-compiler python3 python3-numpy
# clang libclang-rt-14-dev chromium man-db (+ the options below; oneDNN runs
# --precision=bf16, python3 reads --plan's JSON Lines in a test, NumPy the .npy
# samples of gan sample, clang builds the fuzzers of make fuzz, chromium renders
# the report page in two tests of make test, man-db shows the page make install
# installs).
# Otherwise: prints the apt-get line to run with sudo and exits 1.
#   --with-browser  accepted for old callers: chromium is now always installed
#   --with-npm      also install npm (the fallback source of download_mnist.sh);
#                   skipped when an npm command is already on PATH
#   --with-cluster  also install what the MPI and Slurm tests need (tests/cluster/):
#                   slurm-wlm (slurmctld, slurmd, client) munge openmpi-bin
#                   libopenmpi-dev parallel
#   --with-torch    also install python3-torch: make bench's PyTorch twin
#                   (bench/torch_twin.py); make test does not need it
set -euo pipefail

# make fuzz: clang, and its runtime libraries (libFuzzer, ASan, UBSan for
# clang), which Debian 12's clang only recommends, so --no-install-recommends
# would leave -fsanitize=fuzzer without them. libfuzzer-14-dev is not needed.
PKGS=(build-essential pkg-config libopenblas-dev libdnnl-dev zlib1g-dev libstb-dev
      libcriterion-dev libxml2-utils valgrind protobuf-compiler python3 python3-numpy
      clang libclang-rt-14-dev chromium man-db)

for arg in "$@"; do
  case "$arg" in
    --with-browser) ;;
    --with-cluster) PKGS+=(slurm-wlm munge openmpi-bin libopenmpi-dev parallel) ;;
    --with-torch) PKGS+=(python3-torch) ;;
    --with-npm)
      if command -v npm >/dev/null 2>&1; then
        echo "install-deps: npm already on PATH ($(command -v npm)), not installing the npm package"
      else
        PKGS+=(npm)
      fi ;;
    -h|--help) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
    *) echo "install-deps: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: installing packages needs root; run:" >&2
  echo "sudo apt-get install -y --no-install-recommends ${PKGS[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Wait (up to 10 min) rather than fail if another apt/dpkg holds the lock,
# e.g. unattended-upgrades on a freshly booted machine.
APT_OPTS=(-o DPkg::Lock::Timeout=600)
echo "install-deps: apt-get update"
apt-get "${APT_OPTS[@]}" update
echo "install-deps: apt-get install ${PKGS[*]}"
apt-get "${APT_OPTS[@]}" install -y --no-install-recommends "${PKGS[@]}"
