#!/usr/bin/env bash
# gen-docs.sh - the man page and the bash completion of gan, generated at
# build time from the --help output of the built binary, so they list every
# command and option the binary has (a test checks the man page).
#
#   scripts/gen-docs.sh man GAN_BINARY > gan.1
#   scripts/gen-docs.sh completion GAN_BINARY > gan.bash
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 man|completion GAN_BINARY" >&2; exit 2; }
what=$1 gan=$2

# Command names: the indented first words under "commands:" in gan --help.
commands=$("$gan" --help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {on = 0}')

help_of() {  # the --help text of one command (the classifier's is under "classifier")
  "$gan" "$1" --help
}

roff_escape() {  # backslashes, hyphens, and lines starting with . or '
  sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"
}

man_page() {
  local version
  version=$("$gan" --version | awk '{print $2}')
  cat <<ROFF
.TH GAN 1 "" "gan $version" "User Commands"
.SH NAME
gan \- a GAN trainer for MNIST in C, for studying weight initialization
.SH SYNOPSIS
.B gan
.I command
[\fIoptions\fR]
.SH DESCRIPTION
.nf
ROFF
  "$gan" --help | roff_escape
  echo ".fi"
  echo ".SH COMMANDS"
  for c in $commands; do
    echo ".SS gan $c"
    echo ".nf"
    help_of "$c" | roff_escape
    echo ".fi"
  done
  cat <<'ROFF'
.SH FILES AND ENVIRONMENT
Without \-\-data or \-\-classifier, gan looks for mnist/ and
mnist\-classifier.bin in \fB$GAN_DATA\fR, then in \fBdata/\fR of the current
folder, then in \fB$XDG_DATA_HOME/gan\fR (default \fB~/.local/share/gan\fR).
\fBgan\-download\-mnist\fR and \fBgan classifier train\fR write there.
.SH EXIT STATUS
0 success; 1 runtime failure (I/O, diverged training); 2 bad usage or a bad
input file.
.SH SEE ALSO
.BR gan\-download\-mnist " \-\-help"
ROFF
}

completion() {
  echo "# bash completion for gan (generated from gan --help by scripts/gen-docs.sh)"
  echo "_gan() {"
  echo '  local cur=${COMP_WORDS[COMP_CWORD]} cmd=${COMP_WORDS[1]} opts'
  echo '  if [ "$COMP_CWORD" -eq 1 ]; then'
  echo "    COMPREPLY=(\$(compgen -W \"$(echo $commands) --help --version\" -- \"\$cur\"))"
  echo "    return"
  echo "  fi"
  echo '  case "$cmd" in'
  for c in $commands; do
    local opts
    opts=$(help_of "$c" | grep -o -- '--[a-z][a-z0-9-]*=\?' | sort -u | tr '\n' ' ')
    echo "    $c) opts=\"$opts\" ;;"
  done
  echo "    *) opts= ;;"
  echo "  esac"
  echo '  if [[ $cur == -* ]]; then'
  echo '    COMPREPLY=($(compgen -W "$opts" -- "$cur"))'
  echo '    [[ ${COMPREPLY[0]:-} == *= ]] && compopt -o nospace'
  echo '  else'
  echo '    COMPREPLY=($(compgen -f -- "$cur"))'
  echo '  fi'
  echo "}"
  echo "complete -F _gan gan"
}

case "$what" in
  man) man_page ;;
  completion) completion ;;
  *) echo "$0: man or completion, not '$what'" >&2; exit 2 ;;
esac
