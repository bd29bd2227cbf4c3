#!/usr/bin/env bash
# bench/install.sh - install benchmark: volley against pip and uv, installing the pinned
# locks (bench/sets/*.txt) from the local mirror over loopback or the simulated WAN.
#
# Usage
#   bench/install.sh [SETS] [MODES] [NETS]
#
#   SETS   "small wide heavy" (default all)       positional or $SETS
#   MODES  "cold warm"        (default "cold")     positional or $MODES
#   NETS   "lo wan"           (default "lo wan")   positional or $NETS
#
#   e.g. bench/install.sh small cold lo
#        VOLLEY_FLAGS="--max-connections 32" bench/install.sh "small wide" "cold warm"
#
# Tools (TOOLS, default "pip uv volley volley-serial"), run one after another for each case:
#   pip, uv, uv-bc      pip in each fresh venv; uv pip install; uv with --compile-bytecode
#                       (uv-bc runs on lo only)
#   volley              VOLLEY_BIN install -r {req} --python {python} --index-url {index}
#                       --cache-dir {cache} $VOLLEY_FLAGS
#   volley-serial       the same plus --max-connections 1 (the serial baseline)
#   NAME=TEMPLATE       any other command line with {req} {python} {venv} {index} {cache}
#   TOOLS is split like a bash array: TOOLS="uv volley 'other=/x/volley install -r {req} ...'"
#
# Environment (and bench/lib.sh's settings: BENCH_ROOT, BENCH_QUIET_MAX, BENCH_NICE, ...)
#   VOLLEY_BIN    volley binary (default: <checkout>/target/release/volley;
#                 build it with `cargo build --release -p volley`)
#   VOLLEY_FLAGS  extra flags for both volley templates (word-split; do not pass
#                 --max-connections here together with volley-serial: clap rejects it twice)
#   RESULTS       results dir (default $BENCH_ROOT/results-volley)
#   RUNS_SLOW     timed runs per case for pip (default 3); RUNS_FAST for the others (default 5)
#   SKIP_DONE=1   keep cases whose RESULTS/raw/*.json exists (resume); otherwise a case's old
#                 result is deleted before it runs, so a failed case never shows stale numbers
#   BENCH_KEEP=1  keep each case's last venv and cache under $BENCH_WORK
#
# A failing case does not stop the others; failures are listed at the end (exit 1).
# Prints the table of everything in RESULTS and writes RESULTS/table.md and results.json.
# Needs bench/setup.sh, bench/serve.sh start, and for wan bench/wan.sh up (see README).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${RUNS_SLOW:=3}"
: "${RUNS_FAST:=5}"
: "${SKIP_DONE:=0}"
: "${TOOLS:=pip uv volley volley-serial}"
sets=${1:-${SETS:-small wide heavy}}
modes=${2:-${MODES:-cold}}
nets=${3:-${NETS:-lo wan}}
volley_bin=${VOLLEY_BIN:-$repo_root/target/release/volley}
volley_flags=${VOLLEY_FLAGS:-}

command -v hyperfine >/dev/null || die "no hyperfine (bench/setup.sh tools)"
[[ -x $BENCH_TOOLS/bin/uv ]] || die "no tools venv at $BENCH_TOOLS (bench/setup.sh tools)"
[[ -x $volley_bin ]] || die "no volley binary at $volley_bin (cargo build --release -p volley, or set VOLLEY_BIN)"
volley_bin=$(readlink -f "$volley_bin")
[[ $volley_bin != *[[:space:]]* ]] || die "the volley path must not contain spaces: $volley_bin"
[[ $(stat -f -c %T "$BENCH_WORK" 2>/dev/null) == tmpfs ]] \
  || echo "install.sh: warning: $BENCH_WORK is not a tmpfs (bench/setup.sh scratch); see README" >&2
clean_environment
eval "tools=($TOOLS)"

template() { # TOOL -> NAME=TEMPLATE
  local volley="$volley_bin install -r {req} --python {python} --index-url {index} --cache-dir {cache}"
  [[ -n $volley_flags ]] && volley+=" $volley_flags"
  case $1 in
    volley) echo "volley=$volley" ;;
    volley-serial) echo "volley-serial=$volley --max-connections 1" ;;
    *=*) echo "$1" ;;
    *) echo "$1=$(template_for install "$1")" ;;
  esac
}

write_meta
note_volley install.sh "$volley_bin" "$volley_flags" "sets='$sets' modes='$modes' nets='$nets'"

failed=()
for set in $sets; do for net in $nets; do for mode in $modes; do
  for tool in "${tools[@]}"; do
    spec=$(template "$tool")
    name=${spec%%=*}
    [[ $name == uv-bc && $net != lo ]] && continue
    case_name="install__${name}__${set}__${mode}__${net}"
    raw="$RESULTS/raw/$case_name"
    if [[ $SKIP_DONE == 1 && -f $raw.json ]]; then echo "=== skip (done): $case_name"; continue; fi
    rm -f "$raw.json" "$raw.json.tmp" "$raw.busy"
    runs=$RUNS_FAST
    [[ $name == pip ]] && runs=$RUNS_SLOW
    run_case install "$name" "${spec#*=}" "$set" "$mode" "$net" "$runs" || failed+=("$case_name")
  done
done; done; done

python3 "$bench_dir/report.py" "$RESULTS"
if ((${#failed[@]})); then
  echo "install.sh: ${#failed[@]} case(s) failed (logs: $BENCH_WORK/install/<tool>/<set>-<mode>-<net>/hyperfine.log):" >&2
  printf '  %s\n' "${failed[@]}" >&2
  exit 1
fi
