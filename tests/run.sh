#!/usr/bin/env bash
# run.sh - run the Criterion suite and end with how many tests were skipped
# and why, so a machine that lacks a tool (Chromium, NumPy, MNIST, a CPU
# with bf16) says so instead of passing quietly with fewer tests.
#
#   tests/run.sh build/rel/gan-tests [criterion options...]
#
# Criterion prints skips only with --verbose, among every other line; its TAP
# report has one "ok - suite::name  # SKIP <reason>" line per skipped test,
# which is what this reads. Tests left out by --filter appear there as
# "# SKIP test was skipped" and are not counted: they were not asked for.
# The exit code is the suite's.
set -uo pipefail
[ $# -ge 1 ] || { echo "usage: $0 GAN_TESTS [criterion options...]" >&2; exit 2; }
bin=$1; shift

tap=$(mktemp "${TMPDIR:-/tmp}/gan-tests.XXXXXX.tap") || exit 1
trap 'rm -f "$tap"' EXIT

"$bin" --tap="$tap" "$@"
rc=$?

skips=$(grep -E '^ok - .*  # SKIP ' "$tap" | grep -v '# SKIP test was skipped$')
n_run=$(grep -cE '^(not )?ok - ' "$tap")
n_filtered=$(grep -c '# SKIP test was skipped$' "$tap")
n_skipped=0
[ -n "$skips" ] && n_skipped=$(printf '%s\n' "$skips" | wc -l)

echo "[====] Skipped: $n_skipped of $((n_run - n_filtered)) tests"
if [ "$n_skipped" -gt 0 ]; then
    # One line per reason: how many, the reason, the tests.
    printf '%s\n' "$skips" |
        sed -E 's/^ok - ([^ ]+)  # SKIP (.*)$/\2\t\1/' |
        sort |
        awk -F'\t' '
            function flush() {
                if (n > 3) tests = tests ", and " n - 3 " more"
                if (n) printf "[SKIP] %d: %s (%s)\n", n, reason, tests
            }
            $1 != reason { flush(); reason = $1; n = 0; tests = "" }
            { n++; if (n <= 3) tests = tests (tests == "" ? "" : ", ") $2 }
            END { flush() }'
    echo "[====] scripts/install-deps.sh installs every tool the suite uses; ./download_mnist.sh fetches MNIST"
fi
exit $rc
