#!/usr/bin/env bash
# bench/install.sh - install benchmark: volley against pip and uv on the shared harness's
# local mirror (loopback and simulated WAN), cases interleaved per tool.
#
# Usage
#   bench/install.sh [SETS] [MODES] [NETS]
#
#   SETS   "small wide heavy" (default all)        positional or $SETS
#   MODES  "cold warm"        (default "cold")      positional or $MODES
#   NETS   "lo wan"           (default "lo wan")    positional or $NETS
#
#   e.g. bench/install.sh small cold lo
#        VOLLEY_FLAGS="--max-connections 32" bench/install.sh "small wide" "cold warm"
#
# Tools (TOOLS, default "pip uv volley volley-serial"), run one after another for each case:
#   pip, uv, uv-bc      the harness's own templates (uv-bc runs on lo only, as in run_all.sh)
#   volley              VOLLEY_BIN install -r {req} --python {python} --index-url {index}
#                       --cache-dir {cache} $VOLLEY_FLAGS
#   volley-serial       the same plus --max-connections 1 (the serial baseline)
#   NAME=TEMPLATE       any other bench.sh template, e.g. a second volley build
#   TOOLS is split like a bash array: TOOLS="uv volley 'other=/x/volley install -r {req} ...'"
#
# Environment
#   VOLLEY_BIN    volley binary (default: <checkout>/target/release/volley;
#                 build it with `cargo build --release -p volley`)
#   VOLLEY_FLAGS  extra flags appended to both volley templates (word-split; do not pass
#                 --max-connections here together with volley-serial: clap rejects it twice)
#   RESULTS       results dir (default ~/.cache/volley-bench/results-volley)
#   RUNS_SLOW     timed runs per case for pip (default 3); RUNS_FAST for the others (default 5)
#   SKIP_DONE=1   keep cases whose RESULTS/raw/*.json exists (resume); otherwise a case's old
#                 result is deleted before it runs, so a failed case never shows stale numbers
#   BENCH_DIR     the shared harness (default /work/shared/bench); its env.sh variables
#                 (BENCH_QUIET_MAX, BENCH_NICE, BENCH_WORK, ...) pass through to bench.sh
#
# A failing case does not stop the others; failures are listed at the end (exit 1).
# Prints the harness's report (markdown table of everything in RESULTS) and saves it as
# RESULTS/table.md. Needs the shared setup: setup.sh, netns.sh up, serve.sh start.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${BENCH_DIR:=/work/shared/bench}"
: "${RESULTS:=${XDG_CACHE_HOME:-$HOME/.cache}/volley-bench/results-volley}"
: "${RUNS_SLOW:=3}"
: "${RUNS_FAST:=5}"
: "${SKIP_DONE:=0}"
: "${TOOLS:=pip uv volley volley-serial}"
sets=${1:-${SETS:-small wide heavy}}
modes=${2:-${MODES:-cold}}
nets=${3:-${NETS:-lo wan}}
volley_bin=${VOLLEY_BIN:-$root/target/release/volley}
volley_flags=${VOLLEY_FLAGS:-}
export RESULTS

die() { echo "install.sh: $*" >&2; exit 1; }

[[ -x $BENCH_DIR/bench.sh ]] || die "no harness at $BENCH_DIR (set BENCH_DIR)"
[[ -x $volley_bin ]] || die "no volley binary at $volley_bin (cargo build --release -p volley, or set VOLLEY_BIN)"
volley_bin=$(readlink -f "$volley_bin")
[[ $volley_bin != *[[:space:]]* ]] || die "the volley path must not contain spaces: $volley_bin"

# Nothing from the caller's environment may steer volley (cache dir, connections, logging):
# the templates say everything. VOLLEY_BIN and VOLLEY_FLAGS were read above.
while read -r var; do unset "$var"; done < <(compgen -e | grep '^VOLLEY_' || true)

eval "tools=($TOOLS)"

spec_for() { # TOOL -> the argument bench.sh takes
  local base="$volley_bin install -r {req} --python {python} --index-url {index} --cache-dir {cache}"
  [[ -n $volley_flags ]] && base+=" $volley_flags"
  case $1 in
    volley) echo "volley=$base" ;;
    volley-serial) echo "volley-serial=$base --max-connections 1" ;;
    *) echo "$1" ;;
  esac
}

"$BENCH_DIR/bench.sh" meta >/dev/null
{
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) install.sh: $("$volley_bin" --version)," \
    "git $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')" \
    "($(git -C "$root" status --porcelain 2>/dev/null | wc -l) changed paths)," \
    "VOLLEY_FLAGS='$volley_flags', sets='$sets' modes='$modes' nets='$nets'"
} >>"$RESULTS/volley.txt"

failed=()
for set in $sets; do for net in $nets; do for mode in $modes; do
  for tool in "${tools[@]}"; do
    name=${tool%%=*}
    [[ $name == uv-bc && $net != lo ]] && continue
    case_name="install__${name}__${set}__${mode}__${net}"
    raw="$RESULTS/raw/$case_name"
    if [[ $SKIP_DONE == 1 && -f $raw.json ]]; then echo "=== skip (done): $case_name"; continue; fi
    rm -f "$raw.json" "$raw.json.tmp" "$raw.noisy"
    runs=$RUNS_FAST; [[ $name == pip ]] && runs=$RUNS_SLOW
    if ! RUNS=$runs "$BENCH_DIR/bench.sh" install "$(spec_for "$tool")" "$set" "$mode" "$net"; then
      failed+=("$case_name")
    fi
  done
done; done; done

"$BENCH_DIR/bench.sh" report | tee "$RESULTS/table.md"
if ((${#failed[@]})); then
  echo "install.sh: ${#failed[@]} case(s) failed (logs: \$BENCH_WORK/install/<tool>/<set>-<mode>-<net>/hyperfine.log):" >&2
  printf '  %s\n' "${failed[@]}" >&2
  exit 1
fi
