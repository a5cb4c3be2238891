#!/usr/bin/env bash
# check-docs.sh - keep README.md and docs/*.md honest against the program.
#
#   tests/check-docs.sh options GAN_BINARY [FILE.md...]
#   tests/check-docs.sh links [FILE.md...]
#
# Run from the repository root (tests/test_docs.c does); FILEs default to
# README.md and docs/*.md. Prints one line per problem, "file:line: what",
# and exits 1 if there is any (0 when all is well, 2 on bad usage).
#
# options: every --option the pages show must exist. On a line, the options
# after a command belong to that command, up to the end of the command (a
# backtick, " #", "&&", "|", ";" or ")") or the next command: `gan train
# --lr=...` must be in `gan train --help`, `./download_mnist.sh --dir=...` in
# its --help, and so on. An option anywhere else (prose, tables) must be an
# option of one of those commands. gan's commands and their options come
# from the built binary's --help, our scripts' from their --help; for the
# programs of other projects (and Criterion's gan-tests) the few options the
# pages use are listed below.
#
# links: every Markdown link [text](target) or ![alt](target) that is not a
# URL must name a file or folder of the repository (relative to the page,
# inside the repository, not git-ignored when git is there), and a #anchor
# must be a heading of the page it points to; README.md links to nothing
# outside the repository.
set -uo pipefail

usage() { echo "usage: $0 options GAN_BINARY [FILE.md...] | links [FILE.md...]" >&2; exit 2; }
[ $# -ge 1 ] || usage
mode=$1; shift
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-docs.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

# The options of other projects' programs that the pages use, "program option".
external_options() {
    cat <<'EOF'
sbatch --array
sbatch --parsable
sbatch --cpus-per-task
sbatch --dependency
sbatch --kill-on-invalid-dep
sbatch --wait
mpirun --hostfile
mpirun --map-by
mpirun --bind-to
parallel --will-cite
parallel --workdir
protoc --decode
tensorboard --logdir
gan-tests --list
gan-tests --filter
gan-tests --jobs
gan-tests --verbose
EOF
}

opts_of() {  # the --options a help text shows, one a line
    grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

options_mode() {
    [ $# -ge 1 ] || usage
    local gan=$1; shift
    [ -x "$gan" ] || { echo "$0: $gan: not an executable; build it first (make)" >&2; exit 2; }
    local table=$tmp/owners commands cmd
    : > "$table"
    commands=$("$gan" --help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {on = 0}')
    [ -n "$commands" ] || { echo "$0: $gan --help lists no commands" >&2; exit 2; }
    for cmd in $commands; do
        { "$gan" "$cmd" --help; echo "--help"; } | opts_of | sed "s/^/gan:$cmd /" >> "$table"
    done
    { "$gan" --help; echo "--help --version"; } | opts_of | sed "s/^/gan /" >> "$table"
    ./download_mnist.sh --help | opts_of | sed 's/^/download_mnist.sh /' >> "$table"
    ./download_mnist.sh --help | opts_of | sed 's/^/gan-download-mnist /' >> "$table"
    scripts/install-deps.sh --help | opts_of | sed 's/^/install-deps.sh /' >> "$table"
    scripts/slurm/submit-sweep.sh --help | opts_of | sed 's/^/submit-sweep.sh /' >> "$table"
    # gan-bench is not built by make test: its usage text, as bench.c prints it.
    { grep -E '^ *"  --' bench/bench.c; echo "--help"; } | opts_of | sed 's/^/gan-bench /' >> "$table"
    sed 's/^gan-bench /BENCH_ARGS /' "$table" | grep '^BENCH_ARGS ' >> "$table"
    external_options >> "$table"

    [ $# -gt 0 ] || set -- README.md docs/*.md
    awk -v commands="$commands" '
        BEGIN {
            n = split(commands, c, /[ \n]+/)
            alt = ""
            for (i = 1; i <= n; i++) if (c[i] != "") alt = alt (alt == "" ? "" : "|") c[i]
            # A command: gan <command> (also ./gan, build/rel/gan), or a
            # program whose options are known.
            prog_re = "(^|[^A-Za-z0-9_.-])((\\.?/?[A-Za-z0-9_/.-]*/)?gan (" alt ")|download_mnist\\.sh|gan-download-mnist|install-deps\\.sh|submit-sweep\\.sh|gan-bench|BENCH_ARGS|gan-tests|sbatch|mpirun|parallel|protoc|tensorboard)([^A-Za-z0-9_-]|$)"
            opt_re = "(^|[^A-Za-z0-9-])--[a-z][a-z0-9-]*"
            end_re = "`|[ ]#|&&|[|;)]"
        }
        FNR == NR { have[$1 " " $2] = 1; any[$2] = 1; owners[$1] = 1; next }
        # prog: the owner key of a command match
        function owner_of(s,    t) {
            sub(/^[^A-Za-z0-9_.\/-]/, "", s); sub(/[^A-Za-z0-9_-]$/, "", s)
            if (s ~ /gan [a-z]+$/) { sub(/.* /, "", s); return "gan:" s }
            sub(/.*\//, "", s)
            return s
        }
        function check_free(text, file, line,    o) {
            while (match(text, opt_re)) {
                o = substr(text, RSTART, RLENGTH)
                text = substr(text, RSTART + RLENGTH)
                sub(/^[^-]*/, "", o)
                if (!(o in any)) { printf "%s:%d: %s: not an option of any command\n", file, line, o; bad++ }
            }
        }
        function check_owned(text, owner, file, line,    o, shown) {
            while (match(text, opt_re)) {
                o = substr(text, RSTART, RLENGTH)
                text = substr(text, RSTART + RLENGTH)
                sub(/^[^-]*/, "", o)
                if (!((owner " " o) in have)) {
                    shown = owner; sub(/^gan:/, "gan ", shown)
                    printf "%s:%d: %s: not an option of %s\n", file, line, o, shown; bad++
                }
            }
        }
        {
            rest = $0
            while (match(rest, prog_re)) {
                start = RSTART; len = RLENGTH
                check_free(substr(rest, 1, start), FILENAME, FNR)
                owner = owner_of(substr(rest, start, len))
                rest = substr(rest, start + len - 1)
                # the command runs to its end or to the next command
                seg = rest
                if (match(seg, end_re)) seg = substr(seg, 1, RSTART - 1)
                if (match(seg, prog_re)) seg = substr(seg, 1, RSTART)
                check_owned(seg, owner, FILENAME, FNR)
                rest = substr(rest, length(seg) + 1)
            }
            check_free(rest, FILENAME, FNR)
        }
        END { exit bad > 0 }
    ' "$table" "$@"
}

headings() {  # the Markdown headings of a page, outside code blocks
    awk '/^```/ { block = !block; next } !block && /^#+ /' "$1"
}

slug() {  # GitHub heading anchors: lower case, no punctuation, spaces as hyphens
    sed -E 's/^#+[ ]+//; s/[ ]+#*$//' | tr 'A-Z' 'a-z' | sed -E 's/[^a-z0-9 _-]//g; s/ /-/g'
}

links_mode() {
    [ $# -gt 0 ] || set -- README.md docs/*.md
    local file bad=0 lineno target path anchor dir resolved root in_git
    for file in "$@"; do
        dir=$(dirname "$file")
        # The repository is the current folder; a page outside it (a test's
        # planted page) is checked against its own folder.
        case "$(realpath -m "$file")" in
            "$PWD"/*) root=$PWD ;;
            *) root=$(realpath -m "$dir") ;;
        esac
        in_git=0
        git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1 && in_git=1
        # "line<TAB>target" for every link outside code spans and blocks
        while IFS=$'\t' read -r lineno target; do
            target=${target%% \"*}
            case "$target" in
                http:*|https:*|ftp:*|mailto:*|//*)
                    if [ "$(basename "$file")" = README.md ]; then
                        echo "$file:$lineno: $target: README.md links outside the repository; link a page under docs/ instead"
                        bad=1
                    fi
                    continue ;;
            esac
            path=${target%%#*} anchor=
            [ "$path" != "$target" ] && anchor=${target#*#}
            if [ -z "$path" ]; then resolved=$file; else resolved=$dir/$path; fi
            if [ ! -e "$resolved" ]; then
                echo "$file:$lineno: $target: no such file ($resolved)"
                bad=1; continue
            fi
            case "$(realpath -m "$resolved")/" in
                "$root"/*) ;;
                *) echo "$file:$lineno: $target: outside the repository"; bad=1; continue ;;
            esac
            if [ "$in_git" = 1 ] && git -C "$root" check-ignore -q "$(realpath -m --relative-to="$root" "$resolved")"; then
                echo "$file:$lineno: $target: git-ignored (not in the repository: a reader of the repository has no such file)"
                bad=1; continue
            fi
            if [ -n "$anchor" ]; then
                if [ ! -f "$resolved" ] || ! headings "$resolved" | slug | grep -qxF -- "$anchor"; then
                    echo "$file:$lineno: $target: no heading '#$anchor' in $resolved"
                    bad=1
                fi
            fi
        done < <(awk '
            /^```/ { block = !block; next }
            block { next }
            {
                s = $0
                gsub(/`[^`]*`/, "", s)   # code spans are not links
                while (match(s, /\]\([^)]+\)/)) {
                    printf "%d\t%s\n", FNR, substr(s, RSTART + 2, RLENGTH - 3)
                    s = substr(s, RSTART + RLENGTH)
                }
            }' "$file")
    done
    return $bad
}

case "$mode" in
    options) options_mode "$@" ;;
    links) links_mode "$@" ;;
    *) usage ;;
esac
