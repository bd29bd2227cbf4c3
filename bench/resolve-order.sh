#!/usr/bin/env bash
# bench/resolve-order.sh - against the real index: pairs of requirements whose answer used to
# depend on their order. Each pair is resolved by `volley compile` in both orders and by pip
# (`install --dry-run --report`, which is the reference), and the pinned versions of the two
# requested projects are compared. Not a test: it needs the network, and the index changes.
#
# Usage
#   bench/resolve-order.sh                 # the pairs below
#   bench/resolve-order.sh "a b" "c d"     # other pairs
#
# Environment: VOLLEY_BIN (default <checkout>/target/release/volley), PYTHON (default python3),
# WORK (default ${XDG_CACHE_HOME:-~/.cache}/volley-bench/order).
# Exit status 1 when some order gives other versions than pip.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
volley_bin=${VOLLEY_BIN:-$root/target/release/volley}
python=${PYTHON:-python3}
: "${WORK:=${XDG_CACHE_HOME:-$HOME/.cache}/volley-bench/order}"
if [[ $# -gt 0 ]]; then
  pairs=("$@")
else
  pairs=("cryptography pyopenssl" "importlib-metadata litellm" "tenacity google-genai")
fi
[[ -x $volley_bin ]] || { echo "no volley binary at $volley_bin" >&2; exit 1; }
for variable in $(env | grep -o '^PIP_[A-Z_]*' || true); do unset "$variable"; done
export PIP_DISABLE_PIP_VERSION_CHECK=1
mkdir -p "$WORK"
[[ -x $WORK/target/bin/python ]] || "$python" -m venv --without-pip "$WORK/target"
[[ -x $WORK/pip/bin/pip ]] || "$python" -m venv "$WORK/pip"

# versions FILE NAME...: "name==version" of each NAME in a requirements file.
versions() {
  local file=$1; shift
  for name in "$@"; do
    grep -i -E "^${name//-/[-_.]}==" "$file" | sed 's/ .*//' || echo "$name==?"
  done | awk -F'==' '{gsub(/[-_.]+/, "-", $1); print tolower($1) "==" $2}' | paste -sd' '
}

status=0
printf '| pair | pip | volley (as written) | volley (reversed) |\n|---|---|---|---|\n'
for pair in "${pairs[@]}"; do
  read -r first second <<<"$pair"
  printf '%s\n%s\n' "$first" "$second" >"$WORK/forward.in"
  printf '%s\n%s\n' "$second" "$first" >"$WORK/reverse.in"
  "$WORK/pip/bin/pip" install --dry-run --ignore-installed -q --report "$WORK/pip.json" \
    "$first" "$second" >/dev/null 2>&1
  "$python" -c 'import json,sys
for item in json.load(open(sys.argv[1]))["install"]:
    print(item["metadata"]["name"] + "==" + item["metadata"]["version"])' \
    "$WORK/pip.json" >"$WORK/pip.txt"
  for order in forward reverse; do
    "$volley_bin" compile "$WORK/$order.in" --isolated --python "$WORK/target/bin/python" \
      -q --no-header -o "$WORK/$order.txt"
  done
  pip=$(versions "$WORK/pip.txt" "$first" "$second")
  forward=$(versions "$WORK/forward.txt" "$first" "$second")
  reverse=$(versions "$WORK/reverse.txt" "$first" "$second")
  printf '| %s | %s | %s | %s |\n' "$pair" "$pip" "$forward" "$reverse"
  [[ $pip == "$forward" && $pip == "$reverse" ]] || status=1
done
exit $status
