#!/usr/bin/env bash
# bench/resolve-scale.sh - resolution at scale against the real index: `volley compile` beside
# `uv pip compile` (and pip's `install --dry-run --report`, with PIP=1) on big real graphs,
# cold (empty cache) and warm (the cache of the previous run), wall time and peak RSS.
#
# Usage
#   bench/resolve-scale.sh [SETS] [MODES]
#     SETS   names of bench/scale/*.in (default: airflow dagster beam superset)
#     MODES  "cold warm" (default)
#
# Environment
#   VOLLEY_BIN  volley binary (default: <checkout>/target/release/volley)
#   UV          uv binary (default: `uv` on PATH, else installed with pip into $TOOLS)
#   PYTHON      interpreter to resolve for (default: python3); a venv of it is made once
#   RUNS        runs per case, the median is reported (default 1: this is the real index)
#   PIP=1       also time pip (cold only; airflow takes minutes)
#   WORK        scratch directory (default: ${XDG_CACHE_HOME:-~/.cache}/volley-bench/scale)
#
# Prints a markdown table: set, mode, tool, seconds, peak RSS (MB, GNU time's %M), pins, and
# whether the pins equal uv's (names and versions). Each tool's output is kept in
# $WORK/out/SET-TOOL-MODE.txt; volley's -v log in $WORK/out/SET-volley-MODE.log has the
# per-project request counts.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sets=${1:-airflow dagster beam superset}
modes=${2:-cold warm}
: "${WORK:=${XDG_CACHE_HOME:-$HOME/.cache}/volley-bench/scale}"
: "${RUNS:=1}"
: "${PIP:=0}"
volley_bin=${VOLLEY_BIN:-$root/target/release/volley}
python=${PYTHON:-python3}

die() { echo "resolve-scale.sh: $*" >&2; exit 1; }
[[ -x $volley_bin ]] || die "no volley binary at $volley_bin (cargo build --release -p volley)"
[[ -x /usr/bin/time ]] || die "GNU time is needed (apt-get install time)"
mkdir -p "$WORK/out"

if [[ -z ${UV:-} ]]; then
  if command -v uv >/dev/null; then
    UV=$(command -v uv)
  else
    [[ -x $WORK/tools/bin/uv ]] || {
      "$python" -m venv "$WORK/tools"
      "$WORK/tools/bin/pip" install -q uv pip
    }
    UV=$WORK/tools/bin/uv
  fi
fi
target=$WORK/target
[[ -x $target/bin/python ]] || "$python" -m venv --without-pip "$target"
pip_venv=$WORK/pip
if [[ $PIP == 1 && ! -x $pip_venv/bin/pip ]]; then "$python" -m venv "$pip_venv"; fi

# The shell's pip settings (find-links, an index) must not leak into any tool.
for variable in $(env | grep -o '^PIP_[A-Z_]*' || true); do unset "$variable"; done
export PIP_DISABLE_PIP_VERSION_CHECK=1

# run NAME MODE SET OUTPUT -- COMMAND...: time one run, print "seconds peak_kb".
run() {
  local out=$1; shift
  local stats
  stats=$(mktemp)
  if /usr/bin/time -f "%e %M" -o "$stats" "$@" >"$out.log" 2>&1; then
    cat "$stats"
  else
    echo "failed $(tail -1 "$stats")"
    tail -5 "$out.log" >&2
  fi
  rm -f "$stats"
}

# pins FILE: "name==version" lines of a requirements file, sorted, lowercased.
pins() {
  grep -E '^[A-Za-z0-9]' "$1" 2>/dev/null | sed -E 's/ .*//; s/\[[^]]*\]//' |
    awk -F'==' '{gsub(/[-_.]+/, "-", $1); print tolower($1) "==" $2}' | sort -u || true
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]}'; }

printf '| set | mode | tool | time (s) | peak RSS (MB) | pins | same pins as uv |\n'
printf '|---|---|---|---|---|---|---|\n'
for set in $sets; do
  input=$root/bench/scale/$set.in
  [[ -f $input ]] || die "no set $input"
  for mode in $modes; do
    tools="uv volley"
    [[ $PIP == 1 && $mode == cold ]] && tools="$tools pip"
    for tool in $tools; do
      cache=$WORK/cache-$tool-$set
      times=() peaks=()
      for _ in $(seq "$RUNS"); do
        [[ $mode == cold ]] && rm -rf "$cache"
        out=$WORK/out/$set-$tool-$mode
        case $tool in
          uv) result=$(run "$out" "$UV" pip compile "$input" --python "$target/bin/python" \
                --cache-dir "$cache" --no-config -q -o "$out.txt") ;;
          volley) result=$(run "$out" "$volley_bin" compile "$input" --isolated \
                --python "$target/bin/python" --cache-dir "$cache" -v -o "$out.txt") ;;
          pip) result=$(run "$out" "$pip_venv/bin/pip" install --dry-run --ignore-installed \
                --no-cache-dir -q --report "$out.json" -r "$input")
               "$python" -c 'import json,sys
for item in json.load(open(sys.argv[1]))["install"]:
    print(item["metadata"]["name"] + "==" + item["metadata"]["version"])' \
                 "$out.json" >"$out.txt" 2>/dev/null || true ;;
        esac
        read -r seconds peak <<<"$result"
        times+=("$seconds") peaks+=("${peak:-0}")
      done
      if [[ ${times[0]} == failed ]]; then
        printf '| %s | %s | %s | failed | | | |\n' "$set" "$mode" "$tool"
        continue
      fi
      t=$(printf '%s\n' "${times[@]}" | median)
      m=$(printf '%s\n' "${peaks[@]}" | median)
      count=$(pins "$WORK/out/$set-$tool-$mode.txt" | wc -l)
      same=-
      if [[ $tool != uv ]]; then
        if diff -q <(pins "$WORK/out/$set-uv-$mode.txt") <(pins "$WORK/out/$set-$tool-$mode.txt") >/dev/null; then
          same=yes
        else
          differ=$(diff <(pins "$WORK/out/$set-uv-$mode.txt") <(pins "$WORK/out/$set-$tool-$mode.txt") |
            grep -c '^<' || true)
          same="no ($differ pins differ)"
        fi
      fi
      printf '| %s | %s | %s | %s | %d | %s | %s |\n' "$set" "$mode" "$tool" "$t" "$((m / 1024))" "$count" "$same"
    done
  done
done
