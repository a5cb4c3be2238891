# shellcheck shell=bash
# run-checks.sh - checks of one run folder against the contract of
# docs/FORMATS.md, shared by tests/chaos/chaos.sh and scripts/soak.sh.
# Source it (bash); each check prints one line per problem, prefixed with
# the run's path, and returns 1 when it printed any.
#
#   runcheck_same RUN REF        the files whose bytes are a run's contract
#                                equal REF's (a run of the same plan, machine
#                                and thread count trained without faults)
#   runcheck_epochs_once RUN E   each epoch exactly once in every CSV
#   runcheck_claims RUN [MARKS]  claims.log: no line by a writer after it
#                                lost its lock (see the function)
#   runcheck_drop_columns A,B <CSV   the CSV without the named columns
#
# "Contract" here: checkpoint.bin, steps.csv, layers.csv, kept epochs
# (checkpoints/epoch_NNNN.bin), sample grids (samples/epoch_NNNN.png) byte
# for byte; metrics.csv but for its wall-time columns (seconds,
# images_per_sec, eval_seconds); config.json but for last_started (rewritten
# on every resume). Not compared: the event files (wall times, names with a
# pid), checkpoint.prev.bin (the state one checkpoint back: a Ctrl-C makes it
# a mid-epoch one), claims.log (who trained it).
# Nothing here opens a file that is not a regular file: a FIFO would block.

# Wall-time columns of metrics.csv (FORMATS.md): they differ between any
# two runs and are left out of every comparison.
RUNCHECK_TIME_COLUMNS="seconds,images_per_sec,eval_seconds"

runcheck_drop_columns() {
  awk -F, -v names="$1" '
    BEGIN { n = split(names, list, ","); for (i = 1; i <= n; i++) drop_name[list[i]] = 1 }
    NR == 1 { for (i = 1; i <= NF; i++) if ($i in drop_name) drop[i] = 1 }
    { line = ""; sep = ""
      for (i = 1; i <= NF; i++) if (!(i in drop)) { line = line sep $i; sep = "," }
      print line }'
}

# One line per file of RUN that is not a regular file or folder (a FIFO, a
# symlink, a device): nothing may be compared while one is there.
runcheck_special_files() {
  local run="$1" found
  found="$(find "$run" -mindepth 1 ! -type f ! -type d 2> /dev/null)"
  [ -z "$found" ] && return 0
  printf '%s\n' "$found" | sed 's/^/a special file (not regular) is left: /'
  return 1
}

runcheck_same() {
  local run="$1" ref="$2" bad=0 f
  runcheck_special_files "$run" || return 1
  for f in checkpoint.bin steps.csv layers.csv; do
    if [ ! -f "$run/$f" ]; then
      echo "$run/$f: missing"; bad=1
    elif ! cmp -s "$run/$f" "$ref/$f"; then
      echo "$run/$f: differs from $ref/$f ($(cmp "$run/$f" "$ref/$f" 2>&1 | head -n 1))"; bad=1
    fi
  done
  if [ ! -f "$run/metrics.csv" ]; then
    echo "$run/metrics.csv: missing"; bad=1
  elif ! diff <(runcheck_drop_columns "$RUNCHECK_TIME_COLUMNS" < "$ref/metrics.csv") \
      <(runcheck_drop_columns "$RUNCHECK_TIME_COLUMNS" < "$run/metrics.csv") > /dev/null; then
    echo "$run/metrics.csv: differs from $ref/metrics.csv beyond the time columns"; bad=1
  fi
  if [ -f "$ref/config.json" ] && ! diff <(grep -v '"last_started"' "$ref/config.json") \
      <(grep -sv '"last_started"' "$run/config.json") > /dev/null; then
    echo "$run/config.json: differs from $ref/config.json beyond last_started"; bad=1
  fi
  # Kept epochs and sample grids: the same names, the same bytes.
  local names
  names="$( { (cd "$ref" && ls -d checkpoints/epoch_*.bin samples/epoch_*.png 2> /dev/null)
               (cd "$run" && ls -d checkpoints/epoch_*.bin samples/epoch_*.png 2> /dev/null); } |
            sort | uniq -c | awk '$1 != 2 { print $2 }')"
  for f in $names; do
    if [ -e "$run/$f" ]; then echo "$run/$f: not in $ref"; else echo "$run/$f: missing"; fi
    bad=1
  done
  for f in $(cd "$ref" && ls -d checkpoints/epoch_*.bin samples/epoch_*.png 2> /dev/null); do
    if [ -f "$run/$f" ] && ! cmp -s "$run/$f" "$ref/$f"; then
      echo "$run/$f: differs from $ref/$f"; bad=1
    fi
  done
  return "$bad"
}

# metrics.csv: rows of epochs 1..E, each once, in order. layers.csv: epochs
# 0..E in order, each (net, layer) of epoch 0 exactly once in every epoch.
# steps.csv: steps strictly increasing, epochs 1..E, none going back.
runcheck_epochs_once() {
  local run="$1" epochs="$2" out
  out="$(
    if [ -f "$run/metrics.csv" ]; then
      awk -F, -v E="$epochs" -v f="$run/metrics.csv" '
        NR == 1 { next }
        { n++; if ($1 != n) { printf "%s line %d: epoch %s where epoch %d belongs\n", f, NR, $1, n; exit } }
        END { if (n != E) printf "%s: %d epoch rows, expected %d\n", f, n, E }' "$run/metrics.csv"
    else echo "$run/metrics.csv: missing"; fi
    if [ -f "$run/layers.csv" ]; then
      awk -F, -v E="$epochs" -v f="$run/layers.csv" '
        NR == 1 { next }
        { k = $1 SUBSEP $2 SUBSEP $3
          if (++seen[k] == 2) printf "%s line %d: epoch %s %s layer %s a second time\n", f, NR, $1, $2, $3
          if (NR > 2 && $1 + 0 < last) printf "%s line %d: epoch %s after epoch %d\n", f, NR, $1, last
          last = $1 + 0; rows[$1 + 0]++
          if ($1 == 0) layer[$2 SUBSEP $3] = 1
          if ($1 !~ /^[0-9]+$/ || $1 + 0 > E) printf "%s line %d: epoch %s out of 0..%d\n", f, NR, $1, E }
        END { for (e = 0; e <= E; e++) for (l in layer) if (!((e SUBSEP l) in seen)) {
                split(l, p, SUBSEP); printf "%s: no row for epoch %d %s layer %s\n", f, e, p[1], p[2] } }' \
        "$run/layers.csv"
    else echo "$run/layers.csv: missing"; fi
    if [ -f "$run/steps.csv" ]; then
      awk -F, -v E="$epochs" -v f="$run/steps.csv" '
        NR == 1 { next }
        { if (NR > 2 && $1 + 0 <= step) printf "%s line %d: step %s after step %d\n", f, NR, $1, step
          if (NR > 2 && $2 + 0 < epoch) printf "%s line %d: epoch %s after epoch %d\n", f, NR, $2, epoch
          if ($2 + 0 < 1 || $2 + 0 > E) printf "%s line %d: epoch %s out of 1..%d\n", f, NR, $2, E
          step = $1 + 0; epoch = $2 + 0; has[epoch] = 1 }
        END { for (e = 1; e <= E; e++) if (!(e in has)) printf "%s: no row of epoch %d\n", f, e }' \
        "$run/steps.csv"
    else echo "$run/steps.csv: missing"; fi
  )"
  [ -z "$out" ] && return 0
  printf '%s\n' "$out" | head -n 20
  return 1
}

# claims.log lines are `<UTC time> <host> <pid> claim: ...|release: ...`
# (FORMATS.md). A claim line starts a tenure: its writer holds the run until
# its release line or until another writer's claim line (a take-over). A
# process that lost its lock writes nothing more (issue 22), so:
#   1. every release line comes from the current tenure's writer;
#   2. with MARKS (lines `PID LINES FAULT`: the harness deleted the lock of
#      pid PID when claims.log had LINES lines), no line by PID beyond line
#      LINES belongs to the lost tenure. If PID's claim was not yet journaled
#      at LINES (the last claim line up to LINES is another's), its first
#      claim line after LINES belongs to the lost tenure too; a later claim
#      line of PID starts a new one (it claimed the run again). A line
#      `reused PID TIME` (UTC, as in claims.log) after a mark: a new process
#      got that pid at TIME; lines stamped TIME or later are not the old one's.
runcheck_claims() {
  local run="$1" marks="${2:-/dev/null}"
  [ -f "$run/claims.log" ] || { echo "$run/claims.log: missing"; return 1; }
  local out
  out="$(awk -v f="$run/claims.log" -v marks="$marks" '
    BEGIN {
      while ((getline l < marks) > 0) {
        split(l, m, " ")
        if (m[1] == "reused") { for (k = 1; k <= n_marks; k++) if (mpid[k] == m[2] && mexp[k] == "") mexp[k] = m[3]; continue }
        n_marks++; mpid[n_marks] = m[1]; mline[n_marks] = m[2]; mfault[n_marks] = m[3]
      }
    }
    { n++; line[n] = $0; id = $2 " " $3; pid[n] = $3
      if (NF < 5 || ($4 != "claim:" && $4 != "release:")) { printf "%s line %d: not a claim or release line: %s\n", f, n, $0; next }
      what = substr($0, index($0, $4))
      if ($4 == "claim:") { holder = id; holder_line = n; claims[$3] = claims[$3] " " n }
      else if (id != holder) {
        if (holder == "" && !($3 in claims)) printf "%s line %d: pid %s wrote \"%s\" without a claim of its own\n", f, n, $3, what
        else if (holder == "") printf "%s line %d: pid %s wrote \"%s\" after the run was released\n", f, n, $3, what
        else printf "%s line %d: pid %s wrote \"%s\" while pid %s held the run (its claim at line %d)\n", f, n, $3, what, substr(holder, index(holder, " ") + 1), holder_line
      }
      if ($4 == "release:" && id == holder) holder = ""
      mark_check(n, $3, $4, what)
    }
    # The lines of pid p after mark k that belong to its lost tenure.
    function mark_check(i, p, kind, what,    k, j, owed, c, cl, last, w, list) {
      for (k = 1; k <= n_marks; k++) {
        if (mpid[k] != p || i <= mline[k]) continue
        if (mexp[k] != "" && $1 >= mexp[k]) continue # a new process with the same pid
        # Was p the writer of the last claim line up to the mark?
        last = 0; for (j = mline[k]; j >= 1; j--) { split(line[j], w, " "); if (w[4] == "claim:") { last = j; break } }
        owed = 1; if (last > 0) { split(line[last], w, " "); if (w[3] == p) owed = 0 }
        # p claim lines after the mark and before line i (i included).
        c = 0; cl = split(claims[p], list, " ")
        for (j = 1; j <= cl; j++) if (list[j] + 0 > mline[k] && list[j] + 0 <= i) c++
        if (c <= owed)
          printf "%s line %d: pid %s wrote \"%s\" after the harness deleted its lock (fault #%s, when the log had %d lines)\n", f, i, p, what, mfault[k], mline[k]
      }
    }' "$run/claims.log")"
  [ -z "$out" ] && return 0
  printf '%s\n' "$out" | head -n 20
  return 1
}
