#!/usr/bin/env bash
# Fetch the build-backend wheels that volley's build tests install into isolated build
# environments (setuptools, wheel, hatchling and hatchling's dependencies), once, into the
# git-ignored folder tests/fixtures/build-backends/. Tests read only that folder, never the
# internet; those that need it skip with a message when it is missing.
#
# editables is what hatchling's `get_requires_for_build_editable` asks for.
# Every pin supports Python 3.8+, and every file is checked against its sha256 (pip's hash-checking
# mode), so the folder is the same on every machine. tomli is only needed by hatchling on Python
# < 3.11 and is listed explicitly because `pip download` evaluates markers for the running Python.
#
# Usage: scripts/fetch-build-backends.sh            (uses python3; set PYTHON to choose another)
# By hand, the same thing: python3 -m pip download --only-binary :all: --no-deps --require-hashes \
#   --dest tests/fixtures/build-backends -r <the requirements below>
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/tests/fixtures/build-backends"
python="${PYTHON:-python3}"

# file name, sha256: the pins.
pins=(
  "setuptools-75.3.4-py3-none-any.whl 2dd50a7f42dddfa1d02a36f275dbe716f38ed250224f609d35fb60a09593d93e"
  "wheel-0.45.1-py3-none-any.whl 708e7481cc80179af0e556bbf0cc00b8444c7321e2700b8d8580231d13017248"
  "hatchling-1.27.0-py3-none-any.whl d3a2f3567c4f926ea39849cdf924c7e99e6686c9c8e288ae1037c8fa2a5d937b"
  "packaging-26.2-py3-none-any.whl 5fc45236b9446107ff2415ce77c807cee2862cb6fac22b8a73826d0693b0980e"
  "pathspec-0.12.1-py3-none-any.whl a0d503e138a4c123b27490a4f7beda6a01c6f288df0e4a8b79c7eb0dc7b4cc08"
  "pluggy-1.5.0-py3-none-any.whl 44e1ad92c8ca002de6377e165f3e0f1be63266ab4d554740532335b9d75ea669"
  "trove_classifiers-2026.9.21.13-py3-none-any.whl 8b1ff4f9c191b1040b71c37f1e445ab99732911e3cd91de52838453a854d7a17"
  "tomli-2.5.0-py3-none-any.whl 32a7b79ac57a2e83670ce329ccf675798bc5a2094783a63676866b70503f2e2b"
  "editables-0.6-py3-none-any.whl d70e4698078a1d033e7786d9c64e5be070d058a67c21417024d38a58ac20aa43"
)

complete=1
for pin in "${pins[@]}"; do
  read -r file sha256 <<<"$pin"
  if [[ ! -f "$dest/$file" ]] || [[ "$(sha256sum "$dest/$file" | cut -d' ' -f1)" != "$sha256" ]]; then
    complete=0
  fi
done
if [[ $complete == 1 ]]; then
  echo "build backends already fetched in $dest"
  exit 0
fi

requirements="$(mktemp)"
trap 'rm -f "$requirements"' EXIT
for pin in "${pins[@]}"; do
  read -r file sha256 <<<"$pin"
  # setuptools-75.3.4-py3-none-any.whl -> setuptools==75.3.4
  name="${file%%-*}"
  rest="${file#*-}"
  version="${rest%%-*}"
  echo "$name==$version --hash=sha256:$sha256" >>"$requirements"
done

mkdir -p "$dest"
PIP_DISABLE_PIP_VERSION_CHECK=1 "$python" -m pip download \
  --only-binary :all: --no-deps --require-hashes \
  --dest "$dest" -r "$requirements"
echo "fetched build backends into $dest"
