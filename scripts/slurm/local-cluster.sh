#!/usr/bin/env bash
# local-cluster.sh - a one-node Slurm cluster on this machine, for the cluster tests.
#
#   scripts/slurm/local-cluster.sh up|down|status|env
#
#   up      start munged (as user munge, own key and socket), slurmctld and
#           slurmd from slurm.conf.in + cgroup.conf, then wait (at most
#           GAN_SLURM_WAIT seconds) until sinfo shows the node idle. A cluster
#           that is already up is left as it is.
#   down    cancel the cluster's jobs, then stop exactly the daemons `up`
#           started (their pids are in $GAN_SLURM_DIR/run/started.pids).
#           Logs stay in $GAN_SLURM_DIR/log/ until the next `up`.
#   status  the daemons' pids, sinfo and squeue; exit 0 if up, 1 if not.
#   env     print `export SLURM_CONF=...`: eval "$(scripts/slurm/local-cluster.sh env)"
#           makes sbatch, squeue and sinfo talk to this cluster.
#
# Environment (defaults in brackets):
#   GAN_SLURM_DIR   folder for config, state, spool, logs, pids [/tmp/gan-slurm]
#   GAN_SLURM_PORT  slurmctld port; slurmd uses the next one [6917]
#   GAN_SLURM_WAIT  seconds to wait for the node to become idle [60]
# Needs root (the daemons run as root; munged is started as user munge) and
# the Debian packages of `scripts/install-deps.sh --with-cluster`.
# Exit: 0 ok, 1 failure (the message names the log), 2 bad usage,
#       77 cannot run here (not root, or Slurm/munge not installed).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DIR="${GAN_SLURM_DIR:-/tmp/gan-slurm}"
CTLD_PORT="${GAN_SLURM_PORT:-6917}"
WAIT="${GAN_SLURM_WAIT:-60}"
PARTITION=local
PIDS="$DIR/run/started.pids"
export SLURM_CONF="$DIR/etc/slurm.conf"

die() { echo "local-cluster: $*" >&2; exit 1; }
skip() { echo "local-cluster: cannot start a Slurm cluster here: $*" >&2; exit 77; }

usage() { sed -n '2,25s/^# \{0,1\}//p' "$0"; }

# The pids `up` recorded whose process is still the daemon it started
# (a recycled pid running something else is never touched). Prints "name pid".
alive_daemons() {
  [ -f "$PIDS" ] || return 0
  local name pid
  while read -r name pid; do
    if [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ]; then
      echo "$name $pid"
    fi
  done < "$PIDS"
}

# Stop the recorded daemons: the Slurm ones together, munged last (they
# authenticate through it while shutting down). SIGTERM, up to 10 s, SIGKILL.
stop_daemons() {
  local running
  running="$(alive_daemons)"
  stop_group "$(grep -v '^munged ' <<< "$running" || true)"
  stop_group "$(grep '^munged ' <<< "$running" || true)"
}

stop_group() {
  [ -n "$1" ] || return 0
  local name pid i left
  while read -r name pid; do kill -TERM "$pid" 2>/dev/null || true; done <<< "$1"
  for ((i = 0; i < 100; i++)); do
    left=0
    while read -r name pid; do [ -e "/proc/$pid" ] && left=1; done <<< "$1"
    [ "$left" -eq 0 ] && break
    sleep 0.1
  done
  while read -r name pid; do
    if [ -e "/proc/$pid" ]; then
      echo "local-cluster: $name (pid $pid) ignored SIGTERM for 10 s; sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    echo "local-cluster: stopped $name (pid $pid)"
  done <<< "$1"
}

# Start "$@" detached in its own session, logging to $DIR/log/<name>.out, and
# record its pid. setsid and setpriv exec, so $! is the daemon itself.
start_daemon() {
  local name="$1"; shift
  setsid "$@" < /dev/null > "$DIR/log/$name.out" 2>&1 &
  local pid=$!
  echo "$name $pid" >> "$PIDS"
  sleep 0.2
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] ||
    die "$name exited at once ($(tail -n 1 "$DIR/log/$name.out")); see $DIR/log/$name.out"
}

cmd_up() {
  [ "$(id -u)" -eq 0 ] || skip "not root (the daemons run as root and munged as user munge; run as root, e.g. in CI)"
  local bin
  for bin in munged mungekey slurmctld slurmd sinfo setpriv; do
    command -v "$bin" > /dev/null 2>&1 ||
      skip "$bin not found (install it: scripts/install-deps.sh --with-cluster)"
  done
  id munge > /dev/null 2>&1 || skip "no user munge (reinstall the munge package)"

  if [ -n "$(alive_daemons)" ]; then
    echo "local-cluster: already up (SLURM_CONF=$SLURM_CONF)"
    cmd_status
    return 0
  fi

  # Fresh folder each time: no state from an earlier cluster is replayed.
  case "$DIR" in /tmp/?*) ;; *) die "GAN_SLURM_DIR=$DIR is not under /tmp (it is wiped by up; choose /tmp/SOMETHING)" ;; esac
  rm -rf "$DIR"
  mkdir -p "$DIR"/{etc,state,spool,run,log,munge}
  chmod 0755 "$DIR"
  # munged refuses a socket folder others cannot traverse, and a key others can read.
  chown munge:munge "$DIR/munge"
  chmod 0755 "$DIR/munge"
  setpriv --reuid=munge --regid=munge --init-groups \
    mungekey --create --keyfile="$DIR/munge/munge.key" > /dev/null
  chmod 0400 "$DIR/munge/munge.key"

  # Real hardware of this node, as slurmd itself sees it (a RealMemory above
  # what slurmd measures would drain the node as "Low RealMemory").
  local host hw
  host="$(hostname -s)"
  hw="$(slurmd -C 2>/dev/null | sed -n 's/^NodeName=[^ ]* //p' | head -1)"
  if [ -z "$hw" ]; then
    hw="CPUs=$(nproc) RealMemory=$(( $(awk '/^MemTotal/ {print $2}' /proc/meminfo) / 1024 ))"
  fi
  sed -e "s|@DIR@|$DIR|g" -e "s|@HOST@|$host|g" -e "s|@NODE_HW@|$hw|g" \
      -e "s|@CTLD_PORT@|$CTLD_PORT|g" -e "s|@SLURMD_PORT@|$((CTLD_PORT + 1))|g" \
      -e "s|@PARTITION@|$PARTITION|g" "$HERE/slurm.conf.in" > "$SLURM_CONF"
  cp "$HERE/cgroup.conf" "$DIR/etc/cgroup.conf"
  ! grep -n '^[^#]*@[A-Z_]*@' "$SLURM_CONF" >&2 || die "unreplaced placeholder in $SLURM_CONF (fix slurm.conf.in)"

  # From here on, a failure stops whatever was started.
  trap 'stop_daemons > /dev/null' EXIT
  start_daemon munged setpriv --reuid=munge --regid=munge --init-groups \
    munged --foreground --socket="$DIR/munge/munge.socket" \
    --key-file="$DIR/munge/munge.key" --log-file="$DIR/log/munged.log" \
    --pid-file="$DIR/munge/munged.pid" --seed-file="$DIR/munge/munged.seed"
  start_daemon slurmctld slurmctld -D -f "$SLURM_CONF"
  start_daemon slurmd slurmd -D -f "$SLURM_CONF"

  local t0=$SECONDS state="" name pid
  while (( SECONDS - t0 < WAIT )); do
    state="$(sinfo -h -n "$host" -o %t 2>/dev/null || true)"
    [ "$state" = idle ] && break
    while read -r name pid; do
      [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] ||
        die "$name (pid $pid) died while starting ($(tail -n 1 "$DIR/log/$name.out")); see $DIR/log/$name.out"
    done < "$PIDS"
    sleep 0.5
  done
  [ "$state" = idle ] ||
    die "node $host not idle after ${WAIT}s (sinfo says '${state:-no answer}'); see $DIR/log/slurmctld.log and $DIR/log/slurmd.log"
  trap - EXIT
  echo "local-cluster: up in $((SECONDS - t0))s: node $host idle, partition $PARTITION; eval \"\$($0 env)\" to use it"
}

cmd_down() {
  if [ -z "$(alive_daemons)" ]; then
    echo "local-cluster: not running (nothing recorded in $PIDS is alive)"
    return 0
  fi
  # Jobs first: their slurmstepd processes are children of the cluster too.
  local i jobs
  if command -v scancel > /dev/null 2>&1; then
    jobs="$(squeue -h -o %A 2>/dev/null | tr '\n' ' ' || true)"
    if [ -n "${jobs// /}" ]; then
      echo "local-cluster: cancelling jobs $jobs"
      # shellcheck disable=SC2086  # one job id per word
      scancel $jobs 2>/dev/null || true
      for ((i = 0; i < 100; i++)); do
        [ -z "$(squeue -h -o %A 2>/dev/null || true)" ] && break
        sleep 0.1
      done
    fi
  fi
  stop_daemons
}

cmd_status() {
  local running
  running="$(alive_daemons)"
  if [ -z "$running" ]; then
    echo "local-cluster: down"
    return 1
  fi
  local name pid
  while read -r name pid; do
    echo "local-cluster: running $name (pid $pid)"
  done <<< "$running"
  echo "SLURM_CONF=$SLURM_CONF"
  sinfo || true
  squeue || true
}

[ $# -eq 1 ] || { usage >&2; exit 2; }
case "$1" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) echo "export SLURM_CONF=$SLURM_CONF" ;;
  -h|--help) usage ;;
  *) echo "local-cluster: unknown command '$1' (up, down, status or env; try --help)" >&2; exit 2 ;;
esac
