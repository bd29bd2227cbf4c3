#!/usr/bin/env bash
# bench/setup.sh - prepare everything the benchmarks use, from this repository alone.
# Idempotent; run as root (apt, the tmpfs mount).
#
#   bench/setup.sh           all of the below
#   bench/setup.sh tools     hyperfine, nginx, curl, iproute2 from apt (only when missing), and
#                            the tools venv $BENCH_TOOLS with the latest pip and uv from PyPI
#   bench/setup.sh mirror    download every wheel the locks (bench/sets/*.txt) pin into
#                            $BENCH_MIRROR/files with the tools' pip, then bench/index.py
#   bench/setup.sh scratch   mount a tmpfs ($BENCH_TMPFS_SIZE, default 12G) on $BENCH_WORK
#   bench/setup.sh lock      re-pin bench/sets/*.txt from the .in files against PyPI (new
#                            locks make new numbers: not comparable with older results)
#
# Talks to PyPI (pip, uv) and Debian's package repositories only.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
clean_environment

tools() {
  local missing=()
  command -v hyperfine >/dev/null || missing+=(hyperfine)
  command -v nginx >/dev/null || missing+=(nginx)
  command -v curl >/dev/null || missing+=(curl)
  command -v tc >/dev/null || missing+=(iproute2)
  if ((${#missing[@]})); then
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" \
      || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"; }
  fi
  [[ -x $BENCH_TOOLS/bin/python ]] || "$BENCH_PYTHON" -m venv "$BENCH_TOOLS"
  "$BENCH_TOOLS/bin/python" -m pip install --quiet --upgrade pip uv
  echo "tools: pip $("$BENCH_TOOLS/bin/python" -m pip --version | cut -d' ' -f2), $("$BENCH_TOOLS/bin/uv" --version)"
}

mirror() {
  mkdir -p "$BENCH_MIRROR/files"
  # The wheels the locks were pinned for (CPython 3.11, manylinux_2_28 x86_64, and the older
  # manylinux tags that such a machine also runs), whatever this machine's Python is.
  local set platforms=() glibc
  for glibc in $(seq 28 -1 5); do platforms+=(--platform "manylinux_2_${glibc}_x86_64"); done
  for set in small wide heavy; do
    "$BENCH_TOOLS/bin/python" -m pip download --quiet --no-deps --only-binary=:all: \
      --python-version 3.11 --implementation cp --abi cp311 "${platforms[@]}" \
      --dest "$BENCH_MIRROR/files" -r "$bench_dir/sets/$set.txt"
  done
  python3 "$bench_dir/index.py" "$BENCH_MIRROR"
}

scratch() {
  mkdir -p "$BENCH_WORK"
  if [[ $(stat -f -c %T "$BENCH_WORK") == tmpfs ]]; then
    echo "scratch: $BENCH_WORK is a tmpfs"
    return
  fi
  mount -t tmpfs -o "size=${BENCH_TMPFS_SIZE:-12G},mode=0755" volley-bench "$BENCH_WORK"
  echo "scratch: tmpfs on $BENCH_WORK (umount $BENCH_WORK to remove it)"
}

lock() {
  local set
  for set in small wide heavy; do
    (cd "$bench_dir/sets" && "$BENCH_TOOLS/bin/uv" pip compile --no-config --python-version 3.11 \
      --python-platform x86_64-manylinux_2_28 --only-binary :all: "$set.in" -o "$set.txt")
  done
}

case ${1:-all} in
  all) tools; mirror; scratch ;;
  tools) tools ;;
  mirror) mirror ;;
  scratch) scratch ;;
  lock) lock ;;
  *) sed -n '2,15p' "$0"; exit 2 ;;
esac
