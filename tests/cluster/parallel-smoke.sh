#!/usr/bin/env bash
# parallel-smoke.sh - the GNU parallel recipe end to end with fake-gan.sh
# standing in for ./gan (GAN=...): 4 shares of a 4-run plan, 2 at a time,
#   parallel --will-cite -j2 $GAN experiment ... --task={}/4 --threads=1 ::: 0 1 2 3
# then `$GAN experiment ... --finalize`. Every run must be done once, by the
# share r mod 4. --will-cite keeps parallel from printing its citation notice
# (it never blocks; it goes to stderr only when that is a terminal), and
# PARALLEL_HOME points into the work folder so a read-only $HOME is no problem.
#
#   tests/cluster/parallel-smoke.sh     (about 2 s)
#
# Exit: 0 ok, 1 failed, 77 skipped (parallel missing: scripts/install-deps.sh --with-cluster).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
GAN="$ROOT/tests/cluster/fake-gan.sh"
fail() { echo "parallel-smoke: FAIL: $*" >&2; exit 1; }
if ! command -v parallel > /dev/null 2>&1; then
  echo "parallel-smoke: SKIP: parallel not found (install: scripts/install-deps.sh --with-cluster)"
  exit 77
fi
# moreutils also ships a `parallel`, with other options.
parallel --version 2> /dev/null | grep -q '^GNU parallel' ||
  { echo "parallel-smoke: SKIP: $(command -v parallel) is not GNU parallel (moreutils' one?)"; exit 77; }

work="$(mktemp -d /tmp/gan-parallel-smoke.XXXXXX)"
trap 'rm -rf "$work"' EXIT
export PARALLEL_HOME="$work/.parallel" FAKE_GAN_SLEEP=0.2
cd "$work"
t0=$SECONDS
parallel --will-cite -j2 "$GAN" experiment --name=p --seeds=4 --task={}/4 --threads=1 ::: 0 1 2 3 < /dev/null ||
  fail "parallel exited $? (that many shares failed)"
"$GAN" experiment --name=p --seeds=4 --finalize || fail "finalize exited $?"
for r in 0 1 2 3; do
  grep -q "^run=$r task=$r/4 " "runs/p/run-$r.done" || fail "run-$r.done is '$(cat "runs/p/run-$r.done")'"
done
echo "parallel-smoke: ok: 4 shares, 2 at a time, finalized in $((SECONDS - t0)) s ($(parallel --version | head -n 1))"
