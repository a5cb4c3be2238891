#!/usr/bin/env bash
# chaos.sh - six workers on one small plan on real MNIST, under random
# faults; then every run must be byte-identical to a local run of the plan,
# each epoch once in every CSV, and claims.log must show no line written by
# a process after it lost its lock (issue 22, item 9).
#
#   tests/chaos/chaos.sh GAN WORK [FAULTS [SEED]]     (make chaos: 40 faults)
#
# GAN: the gan binary; WORK: a folder of its own (made, or emptied when an
# earlier chaos.sh made it); FAULTS: how many faults to inject (default 40);
# SEED: seeds bash's $RANDOM (default 1): the kinds, order, pauses and file
# choices of the faults follow from it; which process and which moment of a
# run a fault meets depends on timing. Environment: CHAOS_WORKERS (6),
# CHAOS_WAIT (30: seconds a planted FIFO or foreign lock may stay unanswered),
# CHAOS_ROUND_TIMEOUT (240: seconds a plan may take after its last fault),
# CHAOS_DURATION (0: no limit; else stop injecting after that many seconds),
# CHAOS_KEEP=1 (keep the experiment folders of rounds that passed).
#
# First the plan is trained locally without faults into WORK/ref (--jobs=1,
# one thread: the reference bits). Then rounds: a fresh WORK/exp.N, six
# `gan experiment --worker --stale=2` processes on it, a fault every 0.3 to
# 1.5 s until the plan is finished or the budget spent, then the workers
# finish the plan (exited ones are restarted while a run is unfinished),
# `--finalize` must succeed, and every run is checked against WORK/ref; the
# next round starts while faults remain. Faults, and the harness's repair:
#
#   kill     SIGKILL a worker (a lock holder when there is one). Repair: start
#            a new worker; the run is taken over (same host: the dead holder's
#            flock is gone) and resumes from its checkpoint.
#   stop     SIGSTOP a worker (a holder when there is one), SIGCONT after 0.2
#            to 3 s. No repair: the stopped holder keeps its flock, so its run
#            is live and nobody may take it over.
#   term     SIGTERM a worker (a holder when there is one): it checkpoints
#            (mid-epoch) and exits 143; on odd draws its lock is deleted just
#            before (as unlock), so its stop path must write nothing. Repair:
#            start a new worker (the run resumes mid-epoch, bit-exact).
#   unlock   delete the lock of a run under its live holder (moved away first,
#            so the pid read is the holder's). The holder must write nothing
#            more to the run; another worker may claim it at once. No repair
#            (a worker that gives the run up exits 1 later; it is restarted).
#            The harness notes (pid, claims.log's line count) for the check.
#   foreign  a claim of pid 4242 on host "elsewhere", its mtime 2 hours in
#            the future, as the lock of an unfinished run (replacing a live
#            holder's lock: an unlock too). With --stale=2 the workers must
#            take it over within CHAOS_WAIT s. Repair, if they do not (or the
#            run finished meanwhile): delete it.
#   fifo     a FIFO as one file of an unfinished run; the original, if any, is
#            moved aside. Either a file the live holder appends to at its next
#            epoch end (metrics.csv, steps.csv, layers.csv, claims.log), or,
#            after SIGKILLing the holder, a file of the resume path (those
#            and lock, checkpoint.bin, config.json). The program must refuse
#            it (a line naming RUN/FILE in a worker's log; the run fails in
#            that worker) or replace it by a rename; never block in open().
#            Repair, once refused (or hung: a worker blocked in open() for 2
#            s is a failure and is SIGKILLed): the original moved back over
#            the FIFO (or the FIFO removed); a new worker resumes the run.
#
# Checks: workers exit 0 (plan done), 1 (a run failed in it: a refused FIFO,
# a lost lock), 2 (refused input), 137 or 143 (our SIGKILL, SIGTERM); no
# worker blocks on a FIFO; each foreign lock is taken over and each FIFO
# refused within CHAOS_WAIT s; each round's plan finishes within
# CHAOS_ROUND_TIMEOUT s of its last fault and --finalize exits 0; then per
# run (tests/chaos/run-checks.sh): the contract files byte-identical to
# WORK/ref's, each epoch once in metrics.csv, layers.csv and steps.csv, and
# claims.log: release lines only from the current claim's writer, and no
# line by a holder after the harness deleted its lock; summary.csv as ref's
# but for train_seconds. Prints the faults by kind, the restarts, the runs
# checked and PASS or FAIL with each failure; exit 0 pass, 1 fail, 2 usage,
# 77 no MNIST. Workers poll busy runs every 5 s (no option sets it), so a
# foreign lock is answered within a few polls; every wait has a timeout.
# One limit of the claims.log check: the harness counts the log's lines just
# after it moves a lock away, so a holder preempted for milliseconds between
# its lock check and its journal write can still be caught writing one line
# (the check-then-write window of any lock without fencing tokens).
set -euo pipefail
export LC_ALL=C

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=tests/chaos/run-checks.sh
. "$ROOT/tests/chaos/run-checks.sh"

usage() { echo "usage: tests/chaos/chaos.sh GAN WORK [FAULTS [SEED]]" >&2; exit 2; }
if [ $# -lt 2 ] || [ $# -gt 4 ]; then usage; fi
GAN="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
WORK="$2"
FAULTS="${3:-40}"
SEED="${4:-1}"
[[ "$FAULTS" =~ ^[0-9]+$ && "$SEED" =~ ^[0-9]+$ ]] || usage
N_WORKERS="${CHAOS_WORKERS:-6}"
WAIT_S="${CHAOS_WAIT:-30}"
ROUND_TIMEOUT_S="${CHAOS_ROUND_TIMEOUT:-240}"
DURATION_S="${CHAOS_DURATION:-0}"
DATA="${CHAOS_DATA:-$ROOT/data/mnist}"
[ -x "$GAN" ] || { echo "chaos: $GAN: not an executable; run make" >&2; exit 2; }
ls "$DATA"/train-images-idx3-ubyte* > /dev/null 2>&1 ||
  { echo "chaos: SKIP: no MNIST in $DATA (run ./download_mnist.sh)"; exit 77; }

# The work folder is emptied only when an earlier chaos.sh made it.
if [ -e "$WORK" ] && [ -n "$(ls -A "$WORK" 2> /dev/null)" ] && [ ! -f "$WORK/.chaos" ]; then
  echo "chaos: $WORK: not empty and not made by chaos.sh; give a new folder" >&2
  exit 2
fi
rm -rf "$WORK"
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"
touch "$WORK/.chaos"
LOGS="$WORK/logs"
mkdir -p "$LOGS" "$WORK/aside" "$WORK/marks"

# A small plan whose runs take a second or two each alone (several under
# six workers on two cores): 4 runs x 4 epochs of 256 steps.
EPOCHS=4
# shellcheck disable=SC2054  # commas are gan's list syntax
PLAN=(--inits=random,he_xavier --seeds=2 --epochs="$EPOCHS" --limit=8192 --g-hidden=32
      --d-hidden=32 --batch=32 --threads=1 --keep-every=1 --data="$DATA")
FOREIGN_PID=4242

FAILS=()
declare -A FAIL_KIND=()
fail() {
  local kind="$1"; shift
  echo "chaos: FAIL [$kind]: $*" >&3
  FAILS+=("[$kind] $*")
  FAIL_KIND[$kind]=$((${FAIL_KIND[$kind]:-0} + 1))
}
note() { echo "chaos: $*" >&3; }

NOW=0
tick() { local us="${EPOCHREALTIME/./}"; NOW=$((10#$us / 1000)); }
# pause SECONDS without a fork (the loop turns a few times a second for
# minutes): a read that times out on a pipe nobody writes to.
exec {PAUSE_FD}<> <(:)
pause() { read -rt "$1" -u "$PAUSE_FD" _ || true; }

# ---- workers ---------------------------------------------------------------
WORKERS=()            # live worker pids of this round
declare -A WLOG=()    # pid -> its stderr
declare -A STOPPED=() # pid -> when to SIGCONT it (ms)
declare -A BLOCKED=() # pid -> when it was first seen blocked opening a FIFO (ms)
declare -A EXITS=()   # exit code -> count
N_STARTED=0 RESTARTS=0

start_worker() {
  N_STARTED=$((N_STARTED + 1))
  local log="$LOGS/round$ROUND-worker$N_STARTED.log"
  "$GAN" experiment --out="$EXP" "${PLAN[@]}" --worker --stale=2 > "$log" 2>&1 < /dev/null {PAUSE_FD}<&- &
  local pid=$! m
  WORKERS+=("$pid")
  WLOG[$pid]="$log"
  # pid_max is often 32768: a long run reuses pids; a mark of the old
  # process must not cover the new one's lines (runcheck_claims).
  for m in "$WORK/marks/round$ROUND-"*; do
    [ -f "$m" ] && grep -q "^$pid " "$m" && echo "reused $pid $(date -u +%Y-%m-%dT%H:%M:%SZ)" >> "$m"
  done
  return 0
}

alive() {
  local st=""
  [ -r "/proc/$1/stat" ] && read -r _ _ st _ < "/proc/$1/stat" 2> /dev/null
  [ -n "$st" ] && [ "$st" != Z ]
}

is_worker() {
  local p
  for p in "${WORKERS[@]}"; do [ "$p" = "$1" ] && return 0; done
  return 1
}

# Collects the exit codes of workers that ended.
reap_workers() {
  local keep=() pid code
  for pid in "${WORKERS[@]}"; do
    if alive "$pid"; then keep+=("$pid"); continue; fi
    code=0
    wait "$pid" 2> /dev/null || code=$?
    EXITS[$code]=$((${EXITS[$code]:-0} + 1))
    unset "STOPPED[$pid]" "BLOCKED[$pid]"
    case "$code" in
      0|1|2|137|143) ;;
      *) fail worker-exit "round $ROUND: worker pid $pid exited with $code: $(tail -n 1 "${WLOG[$pid]}")" ;;
    esac
  done
  WORKERS=("${keep[@]}")
}

# SIGKILL pid and wait (up to 10 s) until it is gone.
kill_worker() {
  local pid="$1"
  kill -KILL "$pid" 2> /dev/null || true
  for _ in $(seq 100); do alive "$pid" || break; pause 0.1; done
  unset "STOPPED[$pid]"
}

stop_all_workers() {
  local pid
  for pid in "${WORKERS[@]}"; do kill -CONT "$pid" 2> /dev/null || true; kill -KILL "$pid" 2> /dev/null || true; done
  for pid in "${WORKERS[@]}"; do wait "$pid" 2> /dev/null || true; done
  WORKERS=()
  STOPPED=()
}
trap stop_all_workers EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- runs ------------------------------------------------------------------
# LOCK_HOST and LOCK_PID from the claim at path $1 (a regular file only);
# 1 when there is none.
read_lock() {
  local c=""
  LOCK_HOST="" LOCK_PID=""
  [ -f "$1" ] || return 1
  IFS= read -r -d '' -N 1024 c < "$1" 2> /dev/null || true
  [[ "$c" =~ \"host\":\ \"([^\"]*)\".*\"pid\":\ ([0-9]+) ]] || return 1
  LOCK_HOST="${BASH_REMATCH[1]}" LOCK_PID="${BASH_REMATCH[2]}"
}

# The pid in RUN's lock when that is one of our live workers (a holder).
holder() {
  read_lock "$EXP/$1/lock" || return 1
  is_worker "$LOCK_PID" && alive "$LOCK_PID" && echo "$LOCK_PID"
}

# FIN[run]=1 when its checkpoint is at the end of the last epoch (the rule
# of run_dir.c: header epoch = epochs, step 0). Read with a builtin (no
# fork: this runs a few times a second), and only from a regular file (a
# FIFO would block the read). bash drops the NUL bytes before the header.
declare -A FIN=()
refresh_states() {
  local r h
  FIN=()
  for r in "${RUNS[@]}"; do
    [ -f "$EXP/$r/checkpoint.bin" ] || continue
    h=""
    IFS= read -r -d '' -N 2048 h < "$EXP/$r/checkpoint.bin" 2> /dev/null || true
    [[ "$h" =~ \"epoch\":\ ([0-9]+),.*\"step\":\ ([0-9]+) ]] || continue
    [ "${BASH_REMATCH[1]}" = "$EPOCHS" ] && [ "${BASH_REMATCH[2]}" = 0 ] && FIN[$r]=1
  done
  return 0
}
finished() { [ -n "${FIN[$1]:-}" ]; }

plan_finished() {
  local r
  for r in "${RUNS[@]}"; do finished "$r" || return 1; done
}

# Lines of the round's worker logs naming PATH as refused (not the
# lost-lock messages, which name RUN/lock too).
refusals() {
  cat "$LOGS"/round"$ROUND"-worker*.log 2> /dev/null | grep -F -- "$1" |
    grep -cvE 'lock file was removed|lost the lock' || true
}

# ---- watches: a planted foreign lock or FIFO awaiting the program's answer -
ACTIVE=()                 # fault numbers with an open watch
declare -A WK_KIND=() WK_RUN=() WK_FILE=() WK_ASIDE=() WK_DEADLINE=() WK_BASE=() WK_PLANTED=()

watched() {
  local k
  for k in "${ACTIVE[@]}"; do [ "${WK_RUN[$k]}" = "$1" ] && return 0; done
  return 1
}

close_watch() {
  local k="$1" keep=() j
  for j in "${ACTIVE[@]}"; do [ "$j" = "$k" ] || keep+=("$j"); done
  ACTIVE=("${keep[@]}")
}

# Puts the original back over a FIFO (or removes the FIFO); when the
# program replaced the FIFO itself, the moved-aside original is stale.
restore_fifo() {
  local k="$1" path="$EXP/${WK_RUN[$1]}/${WK_FILE[$1]}" aside="${WK_ASIDE[$1]}"
  if [ -p "$path" ]; then
    if [ -n "$aside" ]; then mv -f "$aside" "$path"; else rm -f "$path"; fi
  elif [ -n "$aside" ]; then
    rm -f "$aside"
  fi
}

declare -A OUTCOME=() # "kind outcome" -> count

check_watches() {
  local k run path
  for k in "${ACTIVE[@]}"; do
    run="${WK_RUN[$k]}"
    path="$EXP/$run/${WK_FILE[$k]}"
    if [ "${WK_KIND[$k]}" = foreign ]; then
      if ! read_lock "$path" || [ "$LOCK_HOST" != elsewhere ]; then
        OUTCOME["foreign taken-over"]=$((${OUTCOME["foreign taken-over"]:-0} + 1))
        close_watch "$k"
      elif finished "$run"; then
        OUTCOME["foreign moot (run finished)"]=$((${OUTCOME["foreign moot (run finished)"]:-0} + 1))
        rm -f "$path"
        close_watch "$k"
      elif [ "$NOW" -ge "${WK_DEADLINE[$k]}" ]; then
        fail foreign-lock "round $ROUND fault #$k: the foreign claim (future mtime) on $run was not taken over within $WAIT_S s with --stale=2"
        OUTCOME["foreign never taken over"]=$((${OUTCOME["foreign never taken over"]:-0} + 1))
        rm -f "$path"
        close_watch "$k"
      fi
      continue
    fi
    if [ ! -p "$path" ]; then
      OUTCOME["fifo replaced by the program"]=$((${OUTCOME["fifo replaced by the program"]:-0} + 1))
      restore_fifo "$k"; close_watch "$k"
    elif [ "$(refusals "$run/${WK_FILE[$k]}")" -gt "${WK_BASE[$k]}" ]; then
      OUTCOME["fifo refused"]=$((${OUTCOME["fifo refused"]:-0} + 1))
      restore_fifo "$k"; close_watch "$k"
    elif finished "$run" && [ $((NOW - ${WK_PLANTED[$k]})) -ge 3000 ] && [ ${#BLOCKED[@]} -eq 0 ]; then
      OUTCOME["fifo unused (run finished)"]=$((${OUTCOME["fifo unused (run finished)"]:-0} + 1))
      restore_fifo "$k"; close_watch "$k"
    elif [ "$NOW" -ge "${WK_DEADLINE[$k]}" ]; then
      fail fifo "round $ROUND fault #$k: the FIFO $run/${WK_FILE[$k]} was not refused within $WAIT_S s"
      OUTCOME["fifo not refused"]=$((${OUTCOME["fifo not refused"]:-0} + 1))
      # A holder stuck on it unseen by check_hangs would hold the run forever.
      holder "$run" > /dev/null && kill_worker "$LOCK_PID"
      restore_fifo "$k"; close_watch "$k"
    fi
  done
}

# A worker blocked opening a FIFO (wchan wait_for_partner) for 2 s hangs:
# nobody will open the other end. It is named, killed, and its FIFO put
# right.
check_hangs() {
  local pid wchan call k run culprit
  for pid in "${WORKERS[@]}"; do
    wchan="" call=""
    read -r wchan < "/proc/$pid/wchan" 2> /dev/null || true
    # Where wchan is hidden ("0"), the syscall it sleeps in: open, openat.
    if [[ "$wchan" = 0 || -z "$wchan" ]]; then
      read -r call _ < "/proc/$pid/syscall" 2> /dev/null || true
      [[ "$call" = 2 || "$call" = 257 ]] && wchan="open()"
    fi
    if [[ "$wchan" != wait_for_partner && "$wchan" != pipe_* && "$wchan" != "open()" ]]; then
      unset "BLOCKED[$pid]"; continue
    fi
    [ -n "${BLOCKED[$pid]:-}" ] || BLOCKED[$pid]="$NOW"
    [ $((NOW - ${BLOCKED[$pid]})) -ge 2000 ] || continue
    culprit=""
    for k in "${ACTIVE[@]}"; do
      [ "${WK_KIND[$k]}" = fifo ] || continue
      run="${WK_RUN[$k]}"
      if [ "$(holder "$run" || true)" = "$pid" ]; then culprit="$k"; break; fi
      [ -n "$culprit" ] || culprit="$k"
    done
    if [ -n "$culprit" ]; then
      fail fifo-hang "round $ROUND fault #$culprit: worker pid $pid hangs in open() of the FIFO ${WK_RUN[$culprit]}/${WK_FILE[$culprit]} ($wchan; the lock of ${WK_RUN[$culprit]} is held meanwhile); killed it"
    else
      fail fifo-hang "round $ROUND: worker pid $pid hangs on a pipe ($wchan); killed it"
    fi
    kill_worker "$pid"
    unset "BLOCKED[$pid]"
    if [ -n "$culprit" ]; then
      OUTCOME["fifo hang"]=$((${OUTCOME["fifo hang"]:-0} + 1))
      restore_fifo "$culprit"; close_watch "$culprit"
    fi
  done
}

# ---- faults ----------------------------------------------------------------
declare -A DONE_KIND=() # kind (and fifo detail) -> count
FAULT_NO=0
FIFO_LIVE=(metrics.csv steps.csv layers.csv claims.log)
FIFO_RESUME=(lock claims.log metrics.csv steps.csv layers.csv checkpoint.bin config.json)

# Five draws per fault, whatever it meets, so that the kinds, pauses and
# choices follow from the seed alone.
draw_fault() {
  local r1=$RANDOM
  R_TARGET=$RANDOM R_FILE=$RANDOM R_PAUSE=$RANDOM R_GAP=$RANDOM
  local w=$((r1 % 100))
  if [ "$w" -lt 25 ]; then KIND="kill"
  elif [ "$w" -lt 40 ]; then KIND="stop"
  elif [ "$w" -lt 50 ]; then KIND="term"
  elif [ "$w" -lt 65 ]; then KIND="unlock"
  elif [ "$w" -lt 80 ]; then KIND="foreign"
  else KIND="fifo"; fi
}

# Holders as "run pid" lines, and the unfinished runs without a watch.
list_holders() { local r p; for r in "${RUNS[@]}"; do p="$(holder "$r")" && echo "$r $p"; done; true; }
list_open_runs() { local r; for r in "${RUNS[@]}"; do finished "$r" || watched "$r" || echo "$r"; done; true; }

# Moves RUN's lock away and notes its holder's pid with claims.log's line
# count, for runcheck_claims. Prints the pid.
take_lock() {
  local run="$1" tomb="$WORK/aside/lock.$FAULT_NO" pid lines
  mv "$EXP/$run/lock" "$tomb" 2> /dev/null || return 1
  read_lock "$tomb" || true
  pid="$LOCK_PID"
  rm -f "$tomb"
  lines=0
  [ -f "$EXP/$run/claims.log" ] && lines="$(wc -l < "$EXP/$run/claims.log")"
  [ -n "$pid" ] && echo "$pid $lines $FAULT_NO" >> "$WORK/marks/round$ROUND-$run"
  echo "$pid"
}

# Injects the drawn fault; returns 1 when it has no target yet (it is tried
# again on the next turn, so the order of kinds does not change).
inject() {
  local holders runs n pick run pid file path aside mode
  mapfile -t holders < <(list_holders)
  case "$KIND" in
  kill|stop|term)
    run=""
    if [ ${#holders[@]} -gt 0 ]; then
      pick="${holders[$((R_TARGET % ${#holders[@]}))]}"; pid="${pick#* }"; run="${pick% *}"
    elif [ ${#WORKERS[@]} -gt 0 ]; then
      pid="${WORKERS[$((R_TARGET % ${#WORKERS[@]}))]}"
    else
      return 1
    fi
    if [ "$KIND" = kill ]; then
      kill_worker "$pid"
    elif [ "$KIND" = term ]; then
      # Odd draws take the holder's lock first: its stop path (step rows,
      # events, a mid-epoch checkpoint, a release line) must then write
      # nothing into the run it lost.
      if [ -n "$run" ] && [ $((R_FILE % 2)) = 1 ] && ! watched "$run" &&
         take_lock "$run" > /dev/null; then
        KIND="term after unlock"
      fi
      kill -TERM "$pid" 2> /dev/null || true
    else
      [ -z "${STOPPED[$pid]:-}" ] || return 1
      kill -STOP "$pid" 2> /dev/null || return 1
      STOPPED[$pid]=$((NOW + 200 + R_PAUSE % 2800))
    fi
    ;;
  unlock)
    [ ${#holders[@]} -gt 0 ] || return 1
    pick="${holders[$((R_TARGET % ${#holders[@]}))]}"; run="${pick% *}"
    watched "$run" && return 1
    take_lock "$run" > /dev/null || return 1
    ;;
  foreign)
    mapfile -t runs < <(list_open_runs)
    [ ${#runs[@]} -gt 0 ] || return 1
    run="${runs[$((R_TARGET % ${#runs[@]}))]}"
    path="$EXP/$run/lock"
    [ -e "$path" ] && [ ! -f "$path" ] && return 1
    [ -f "$path" ] && { take_lock "$run" > /dev/null || true; }
    mkdir -p "$EXP/$run"
    tick
    if ! (set -C; printf '{"host": "elsewhere", "pid": %d, "started": %d, "refreshed": %d, "beats": 0}\n' \
          "$FOREIGN_PID" $((NOW / 1000)) $((NOW / 1000)) > "$path") 2> /dev/null; then
      KIND="foreign (a worker claimed the run first: an unlock)"
      return 0
    fi
    touch -d '+2 hours' "$path"
    WK_KIND[$FAULT_NO]=foreign WK_RUN[$FAULT_NO]="$run" WK_FILE[$FAULT_NO]=lock WK_ASIDE[$FAULT_NO]=""
    WK_DEADLINE[$FAULT_NO]=$((NOW + WAIT_S * 1000)) WK_PLANTED[$FAULT_NO]="$NOW"
    ACTIVE+=("$FAULT_NO")
    ;;
  fifo)
    mapfile -t runs < <(list_open_runs)
    [ ${#runs[@]} -gt 0 ] || return 1
    run="${runs[$((R_TARGET % ${#runs[@]}))]}"
    n=$(( ${#FIFO_LIVE[@]} + ${#FIFO_RESUME[@]} ))
    pick=$((R_FILE % n))
    pid="$(holder "$run" || true)"
    if [ "$pick" -lt ${#FIFO_LIVE[@]} ]; then
      file="${FIFO_LIVE[$pick]}"; mode=live
    else
      file="${FIFO_RESUME[$((pick - ${#FIFO_LIVE[@]}))]}"; mode=resume
      [ -n "$pid" ] && kill_worker "$pid"
    fi
    path="$EXP/$run/$file"
    mkdir -p "$EXP/$run"
    aside=""
    if [ "$file" = lock ]; then
      [ -f "$path" ] && rm -f "$path" # a dead holder's claim
    elif [ -f "$path" ]; then
      aside="$WORK/aside/$FAULT_NO.$file"
      mv "$path" "$aside"
    fi
    if ! mkfifo "$path" 2> /dev/null; then
      [ -n "$aside" ] && mv -f "$aside" "$path"
      KIND="fifo $mode $file (a worker made the file first: none planted)"
      return 0
    fi
    tick
    WK_KIND[$FAULT_NO]=fifo WK_RUN[$FAULT_NO]="$run" WK_FILE[$FAULT_NO]="$file" WK_ASIDE[$FAULT_NO]="$aside"
    WK_DEADLINE[$FAULT_NO]=$((NOW + WAIT_S * 1000)) WK_PLANTED[$FAULT_NO]="$NOW"
    WK_BASE[$FAULT_NO]="$(refusals "$run/$file")"
    ACTIVE+=("$FAULT_NO")
    KIND="fifo $mode $file"
    ;;
  esac
  return 0
}

# ---- one round ---------------------------------------------------------------
check_round() {
  local r out checked=0
  refresh_states
  for r in "${RUNS[@]}"; do
    finished "$r" || continue
    checked=$((checked + 1))
    out="$(runcheck_same "$EXP/$r" "$WORK/ref/$r")" || fail differs "round $ROUND: $r:"$'\n'"$out"
    out="$(runcheck_epochs_once "$EXP/$r" "$EPOCHS")" || fail epochs "round $ROUND: $r:"$'\n'"$out"
    out="$(runcheck_claims "$EXP/$r" "$WORK/marks/round$ROUND-$r")" ||
      fail claims "round $ROUND: $r:"$'\n'"$out"
  done
  RUNS_CHECKED=$((RUNS_CHECKED + checked))
  if [ -f "$EXP/summary.csv" ] && ! diff <(runcheck_drop_columns train_seconds < "$WORK/ref/summary.csv") \
      <(runcheck_drop_columns train_seconds < "$EXP/summary.csv") > /dev/null; then
    fail summary "round $ROUND: $EXP/summary.csv differs from the reference's beyond train_seconds"
  fi
}

run_round() {
  EXP="$WORK/exp.$ROUND"
  local fails_before=${#FAILS[@]} last_fault pid started_ms="$NOW" next_fault
  N_STARTED=0
  for _ in $(seq "$N_WORKERS"); do start_worker; done
  tick; last_fault="$NOW"; next_fault=$((NOW + 300 + R_GAP % 1200))
  while :; do
    tick
    refresh_states
    reap_workers
    for pid in "${!STOPPED[@]}"; do
      [ "$NOW" -ge "${STOPPED[$pid]}" ] || continue
      kill -CONT "$pid" 2> /dev/null || true
      unset "STOPPED[$pid]"
    done
    check_hangs
    check_watches
    if plan_finished; then
      [ ${#ACTIVE[@]} -eq 0 ] && break
    else
      while [ ${#WORKERS[@]} -lt "$N_WORKERS" ]; do start_worker; RESTARTS=$((RESTARTS + 1)); done
    fi
    local budget_left=1
    [ "$FAULT_NO" -lt "$FAULTS" ] || budget_left=0
    [ "$DURATION_S" -gt 0 ] && [ $((SECONDS - T0)) -ge "$DURATION_S" ] && budget_left=0
    if [ "$budget_left" = 1 ] && [ "$NOW" -ge "$next_fault" ] && ! plan_finished; then
      FAULT_NO=$((FAULT_NO + 1))
      if inject; then
        DONE_KIND[$KIND]=$((${DONE_KIND[$KIND]:-0} + 1))
        echo "$(date -u +%T) round $ROUND fault #$FAULT_NO: $KIND" >> "$LOGS/faults.log"
        last_fault="$NOW"
        draw_fault
        next_fault=$((NOW + 300 + R_GAP % 1200))
      else
        FAULT_NO=$((FAULT_NO - 1)) # no target yet: the same fault next turn
      fi
    fi
    if [ $((NOW - last_fault)) -ge $((ROUND_TIMEOUT_S * 1000)) ]; then
      local states="" r
      for r in "${RUNS[@]}"; do finished "$r" && states+=" $r:finished" || states+=" $r:unfinished"; done
      fail round-timeout "round $ROUND: the plan did not finish within $ROUND_TIMEOUT_S s of the last fault:$states (workers: ${WORKERS[*]})"
      break
    fi
    pause 0.2
  done
  for pid in "${!STOPPED[@]}"; do kill -CONT "$pid" 2> /dev/null || true; done
  STOPPED=()
  local k
  for k in "${ACTIVE[@]}"; do
    if [ "${WK_KIND[$k]}" = fifo ]; then restore_fifo "$k"; else rm -f "$EXP/${WK_RUN[$k]}/lock"; fi
  done
  ACTIVE=()
  if plan_finished; then
    # Idle workers look again every 5 s; once the plan is done they exit.
    local deadline=$((NOW + 60000))
    while [ ${#WORKERS[@]} -gt 0 ]; do
      tick; [ "$NOW" -lt "$deadline" ] || break
      reap_workers; check_hangs; pause 0.2
    done
    for pid in "${WORKERS[@]}"; do
      fail worker-linger "round $ROUND: worker pid $pid still runs 60 s after the plan finished ($(cat "/proc/$pid/wchan" 2> /dev/null)); killed"
    done
    stop_all_workers
    timeout 120 "$GAN" experiment --out="$EXP" "${PLAN[@]}" --finalize > "$LOGS/round$ROUND-finalize.log" 2>&1 ||
      fail finalize "round $ROUND: --finalize exited $?: $(tail -n 1 "$LOGS/round$ROUND-finalize.log")"
  else
    stop_all_workers
  fi
  check_round
  note "round $ROUND: $(( $(date +%s) - started_ms / 1000 )) s, faults so far $FAULT_NO, $(( ${#FAILS[@]} - fails_before )) failures"
  if [ ${#FAILS[@]} -eq "$fails_before" ] && [ "${CHAOS_KEEP:-0}" != 1 ]; then rm -rf "$EXP"; fi
}

# ---- main --------------------------------------------------------------------
# Our messages go to fd 3 (the caller's stderr); bash's own notices of
# workers we SIGKILL go to the harness log.
exec 3>&2 2>> "$LOGS/harness.log"
T0=$SECONDS
note "seed $SEED, $FAULTS faults, $N_WORKERS workers, work folder $WORK"
mapfile -t RUNS < <("$GAN" experiment --out="$WORK/ref" "${PLAN[@]}" --plan |
                    grep -o '"name": "[^"]*"' | cut -d'"' -f4)
[ ${#RUNS[@]} -gt 0 ] || { echo "chaos: $GAN experiment --plan listed no runs" >&3; exit 1; }
timeout 600 "$GAN" experiment --out="$WORK/ref" "${PLAN[@]}" --jobs=1 > "$LOGS/ref.log" 2>&1 ||
  { tail -n 5 "$LOGS/ref.log" >&3; echo "chaos: the reference experiment failed" >&3; exit 1; }
for r in "${RUNS[@]}"; do
  out="$(runcheck_epochs_once "$WORK/ref/$r" "$EPOCHS")" || fail epochs "reference: $out"
  out="$(runcheck_claims "$WORK/ref/$r")" || fail claims "reference: $out"
done
note "reference: ${#RUNS[@]} runs (${RUNS[*]}) trained in $((SECONDS - T0)) s"

RANDOM=$SEED
draw_fault
ROUND=0 RUNS_CHECKED=0
tick
while :; do
  ROUND=$((ROUND + 1))
  run_round
  [ "$FAULT_NO" -lt "$FAULTS" ] || break
  [ "$DURATION_S" -gt 0 ] && [ $((SECONDS - T0)) -ge "$DURATION_S" ] && break
  [ "${FAIL_KIND[round-timeout]:-0}" -eq 0 ] || break
done

# ---- summary -----------------------------------------------------------------
summary() {
  local k
  echo "chaos: seed $SEED: $FAULT_NO faults in $ROUND rounds, $((SECONDS - T0)) s"
  echo "chaos: faults by kind:"
  for k in "${!DONE_KIND[@]}"; do printf '  %4d  %s\n' "${DONE_KIND[$k]}" "$k"; done | sort -k2
  if [ ${#OUTCOME[@]} -gt 0 ]; then
    echo "chaos: planted files, outcome:"
    for k in "${!OUTCOME[@]}"; do printf '  %4d  %s\n' "${OUTCOME[$k]}" "$k"; done | sort -k2
  fi
  printf 'chaos: workers: %d restarts; exit codes:' "$RESTARTS"
  for k in "${!EXITS[@]}"; do printf ' %s x%d' "$k" "${EXITS[$k]}"; done
  echo
  echo "chaos: runs checked: $RUNS_CHECKED (of $((ROUND * ${#RUNS[@]})))"
  if [ ${#FAILS[@]} -eq 0 ]; then
    echo "chaos: PASS"
  else
    printf 'chaos: FAIL: %d failures:' "${#FAILS[@]}"
    for k in "${!FAIL_KIND[@]}"; do printf ' %s x%d' "$k" "${FAIL_KIND[$k]}"; done
    echo
    for k in "${FAILS[@]}"; do echo "  $k"; done | head -n 60
    echo "chaos: logs and failed rounds kept in $WORK"
  fi
}
summary | tee "$WORK/summary.txt"
[ ${#FAILS[@]} -eq 0 ]
