#!/usr/bin/env bash
# Build the volley wheel, volley_installer-VERSION-*.whl (pyproject.toml: maturin, `bindings = "bin"`): a platform wheel that
# holds the `volley` executable and the small `volley` Python package behind `python -m volley`.
#
# Usage: scripts/build-wheel.sh [MATURIN ARGS...]
#   scripts/build-wheel.sh                   release build into target/wheels/
#   scripts/build-wheel.sh --profile dev     a debug build (what CI tests: quicker to build)
#   scripts/build-wheel.sh --target x86_64-unknown-linux-musl   (needs that Rust target)
#
# maturin is taken from PATH; when it is not there it is installed once into a throwaway venv,
# target/wheel-tools (set MATURIN_VERSION to pin another release). Set PYTHON to choose the
# interpreter for that venv (default python3). Prints the wheel's path on its last line.
# When `auditwheel` is on PATH, it reports the wheel's manylinux/musllinux compliance. maturin
# tags the wheel by the newest glibc symbol the binary uses, so a wheel built on a recent
# distribution runs only on as recent ones (Debian 12 gives manylinux_2_34); for wide reach
# build in a manylinux container, with `--zig --compatibility manylinux2014`, or for a musl
# target (a static binary, musllinux).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-python3}"
: "${MATURIN_VERSION:=1.16.0}"
out="$root/target/wheels"

maturin=$(command -v maturin || true)
if [[ -z $maturin ]]; then
  tools="$root/target/wheel-tools"
  if [[ ! -x $tools/bin/maturin ]] || [[ "$("$tools/bin/maturin" --version)" != "maturin $MATURIN_VERSION" ]]; then
    rm -rf "$tools"
    "$python" -m venv "$tools"
    PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1 \
      "$tools/bin/python" -m pip install --quiet "maturin==$MATURIN_VERSION"
  fi
  maturin="$tools/bin/maturin"
fi

mkdir -p "$out"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n1)
# Only this build's wheel is left for the version, so a test cannot pick up an old one.
rm -f "$out"/volley_installer-"$version"-*.whl
(cd "$root" && "$maturin" build --locked --out "$out" "$@" >&2)
wheel=$(ls -t "$out"/volley_installer-"$version"-*.whl | head -n1)
if command -v auditwheel >/dev/null; then
  auditwheel show "$wheel" >&2 || true
fi
echo "$wheel"
