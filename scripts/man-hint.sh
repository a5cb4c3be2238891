#!/usr/bin/env bash
# man-hint.sh - after make install: say how to read the installed man page.
#
#   scripts/man-hint.sh MAN_COMMAND INSTALLED_PAGE
#
# A fresh Debian has no man command (man-db) and nothing else that formats
# roff (groff comes with man-db), so the page alone is unreadable there; the
# page is generated from --help (scripts/gen-docs.sh), so --help is the
# fallback that always works. MAN_COMMAND is a parameter (make's MAN_CMD)
# so the test can play a machine without man-db.
set -u
[ $# -eq 2 ] || { echo "usage: $0 MAN_COMMAND INSTALLED_PAGE" >&2; exit 2; }
man_cmd=$1 page=$2

if ! command -v "$man_cmd" >/dev/null 2>&1; then
    echo "gan: the man page is $page; this machine has no '$man_cmd' command to show it" \
         "(apt-get install man-db, or scripts/install-deps.sh); it holds the text of" \
         "'gan --help' and 'gan <command> --help', which work without it"
elif found=$("$man_cmd" -w gan 2>/dev/null) &&
     [ "$(readlink -f "$found")" = "$(readlink -f "$page")" ]; then
    echo "gan: read the manual with: man gan"
else
    # Installed where man does not look (a DESTDIR, or a PREFIX off the PATH).
    echo "gan: read the manual with: man -l $page"
fi
exit 0
