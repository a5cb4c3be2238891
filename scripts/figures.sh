#!/usr/bin/env bash
# figures.sh - make every figure that README.md and docs/ show, from the
# current code, with the commands the pages quote (make figures).
#
#   scripts/figures.sh [--reuse] [STUDY...]      (no STUDY: all of them)
#
# Each study trains into runs/figures/<study>/ (removed first, so nothing
# from an older build is reused; --reuse keeps finished runs and resumes the
# rest, e.g. after an interruption), draws its charts with gan report and
# copies the ones the pages show into docs/. It then prints what the pages
# quote next to the figures (summary.csv, tables), to be checked against
# them. Times are from the pages (2-core machine, idle unless they say so):
#
#   demo       make demo's experiment: 2 runs x 5 epochs, FD every epoch    ~4 min
#   probe      the five gan probe figures of docs/results.md                 ~1 min
#   progress   a 4-epoch run on 10,000 images, every epoch kept             ~1 min
#   first-epoch  random vs he_xavier, 3 seeds, 1 epoch, every step logged   ~3 min
#   e10        random vs he_xavier, 3 seeds x 10 epochs                     ~18 min
#   fd-e10     the same with FD after every epoch                           ~15 min
#   bf16       fp32 vs bf16 x 2 inits x 3 seeds x 10 epochs (AVX-512 CPU)   ~27 min
#   study-lr   3 inits x 3 learning rates x 3 seeds x 10 epochs             ~2 h
#   claims30   3 inits x 3 seeds x 30 epochs, FD every 5                     ~2 h 15 min
#
# make figures FIGURES="demo probe progress" runs the quick ones.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ALL=(demo probe progress first-epoch e10 fd-e10 bf16 study-lr claims30)
reuse=0
studies=()
for arg in "$@"; do
    case "$arg" in
        --reuse) reuse=1 ;;
        all) studies+=("${ALL[@]}") ;;
        -h|--help) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
        -*) echo "figures.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
        *)
            case " ${ALL[*]} " in
                *" $arg "*) studies+=("$arg") ;;
                *) echo "figures.sh: no study '$arg'; one of: ${ALL[*]}" >&2; exit 2 ;;
            esac ;;
    esac
done
[ ${#studies[@]} -gt 0 ] || studies=("${ALL[@]}")

GAN=./gan
[ -x "$GAN" ] || { echo "figures.sh: ./gan not built; run make" >&2; exit 2; }
./download_mnist.sh > /dev/null
[ -f data/mnist-classifier.bin ] ||
    $GAN classifier train --data=data/mnist --out=data/mnist-classifier.bin

step() { echo; echo "=== figures: $* ($(date -u +%H:%M:%S))"; }
run() { echo "+ $*"; "$@"; }

# A study's folder, fresh unless --reuse.
folder() {
    local dir=runs/figures/$1
    [ "$reuse" = 1 ] || rm -rf "$dir"
    mkdir -p runs/figures
    echo "$dir"
}

# experiment NAME OPTIONS...: train it (timed) and print its summary.
experiment() {
    local name=$1; shift
    local dir
    dir=$(folder "$name")
    local t0=$SECONDS
    run $GAN experiment --out="$dir" "$@"
    echo "figures: $name trained in $((SECONDS - t0)) s of wall time"
    echo "--- $dir/summary.csv"
    cat "$dir/summary.csv"
}

# Means over seeds per init and epoch of one metrics.csv column (by name),
# e.g. the FD table of docs/results.md: init, then one value per epoch.
per_epoch_means() {
    local dir=$1 column=$2
    echo "--- $column per epoch, mean over seeds ($dir)"
    for m in "$dir"/*/metrics.csv; do
        local run
        run=$(basename "$(dirname "$m")")
        awk -F, -v col="$column" -v init="${run%%-s[0-9]*}" '
            NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
            c && $c != "nan" { print init "," $1 "," $c }' "$m"
    done | sort -t, -k1,1 -k2,2n | awk -F, '
        { key = $1 SUBSEP $2; s[key] += $3; n[key]++; if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 } ; if ($2 > maxe) maxe = $2 }
        END {
            for (i = 1; i <= k; i++) {
                line = order[i]
                for (e = 1; e <= maxe; e++) if (n[order[i] SUBSEP e]) line = line sprintf(" %.1f", s[order[i] SUBSEP e] / n[order[i] SUBSEP e])
                print line
            }
        }'
}

copy() {  # copy SRC DEST: one figure into docs/
    cp "$1" "docs/$2"
    echo "figures: docs/$2 <- $1"
}

study_demo() {
    step "demo"
    experiment demo --epochs=5 --jobs=2 --eval-every=1 --classifier=data/mnist-classifier.bin
    local d=runs/figures/demo
    copy "$d/g_loss.svg" demo-g_loss.svg
    copy "$d/fd.svg" demo-fd.svg
    copy "$d/layers_grad_norm.svg" demo-layers_grad_norm.svg
    copy "$d/layers_act_std.svg" demo-layers_act_std.svg
    copy "$d/he_xavier-s1/samples/epoch_0005.png" demo-he_xavier-epoch5.png
    copy "$d/random-s1/samples/epoch_0005.png" demo-random-epoch5.png
}

study_probe() {
    step "probe"
    local args
    for args in "tanh random 0.01" "tanh random 1.0" "tanh xavier_normal" "relu he_normal" "relu xavier_normal"; do
        set -- $args
        local out=docs/probe-$1-$2${3:+-$3}.svg
        run $GAN probe --act="$1" --init="$2" ${3:+--init-std=$3} -o "$out"
    done
}

study_progress() {
    step "progress"
    local d
    d=$(folder progress)
    rm -rf "$d"  # a run folder: gan train refuses an existing one
    run $GAN train --out="$d" --limit=10000 --epochs=4 --keep-every=1 --quiet
    echo "--- $GAN eval --run=$d --all-epochs"
    $GAN eval --run="$d" --all-epochs
    run $GAN report "$d" -o "$d/report.html"
    copy "$d/progress-progress.png" progress-strip.png
}

study_first_epoch() {
    step "first-epoch"
    experiment first-epoch --inits=random,he_xavier --seeds=3 --epochs=1 --log-every=1 --jobs=2
    copy runs/figures/first-epoch/steps_g_loss.svg first-epoch-g_loss.svg
}

study_e10() {
    step "e10"
    experiment e10 --epochs=10 --seeds=3 --jobs=2
    for m in g_loss d_loss d_acc; do copy "runs/figures/e10/$m.svg" "e10-$m.svg"; done
}

study_fd_e10() {
    step "fd-e10"
    experiment fd-e10 --epochs=10 --seeds=3 --jobs=2 --eval-every=1
    per_epoch_means runs/figures/fd-e10 fd
    copy runs/figures/fd-e10/fd.svg fd-e10-fd.svg
}

study_bf16() {
    step "bf16"
    experiment bf16 --inits=random,he_xavier --vary=precision=fp32,bf16 --seeds=3 --epochs=10 \
        --eval-every=1 --jobs=2
    copy runs/figures/bf16/fd.svg bf16-fd.svg
    copy runs/figures/bf16/g_loss.svg bf16-g_loss.svg
}

study_study_lr() {
    step "study-lr"
    experiment study-lr --inits=random,uniform,he_xavier --vary=lr=0.0001,0.0002,0.0004 --seeds=3 \
        --epochs=10 --eval-every=1 --jobs=2
    run $GAN report runs/figures/study-lr --facet=lr
    copy runs/figures/study-lr/fd.svg study-lr-fd.svg
}

study_claims30() {
    step "claims30"
    experiment claims30 --inits=random,uniform,he_xavier --seeds=3 --epochs=30 --eval-every=5 --jobs=2
    per_epoch_means runs/figures/claims30 fd
    for m in g_loss d_loss g_acc fd; do copy "runs/figures/claims30/$m.svg" "claims30-$m.svg"; done
}

for s in "${studies[@]}"; do
    "study_${s//-/_}"
done
step "done: ${studies[*]}"
