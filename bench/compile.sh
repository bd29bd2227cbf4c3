#!/usr/bin/env bash
# bench/compile.sh - resolve benchmark against the real PyPI: `volley compile` beside pip
# (install --dry-run --report) and `uv pip compile`, resolving bench/sets/SET.in.
#
# Usage
#   bench/compile.sh [SETS] [MODES]
#
#   SETS   "small wide heavy" (default all)          positional or $SETS
#   MODES  "cold warm"        (default "cold warm")  positional or $MODES
#
#   e.g. bench/compile.sh small cold
#
# Tools (TOOLS, default "pip uv volley"), one after another for each case. pip runs cold only
# (set PIP_WARM=1 to time it warm too).
#   volley   VOLLEY_BIN compile {req} --python {python} --index-url https://pypi.org/simple/
#            --only-binary :all: -o {venv}/compiled.txt --cache-dir {cache} $VOLLEY_FLAGS
#            --only-binary :all: as in pip's and uv's templates. The output goes into the
#            fresh per-run venv dir, not /dev/null: volley writes -o atomically (temporary
#            file, then rename), and as root a rename onto /dev/null replaces the device node.
#   NAME=TEMPLATE   any other resolve command line
#
# Environment (and bench/lib.sh's settings)
#   VOLLEY_BIN, VOLLEY_FLAGS, RESULTS, SKIP_DONE as for install.sh
#   RUNS          timed runs per case (default 3: this is the real PyPI)
#   BENCH_KEEP=1  keep each case's last venv, so {venv}/compiled.txt can be read
#
# A failing case does not stop the others; failures are listed at the end (exit 1).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${RUNS:=3}"
: "${SKIP_DONE:=0}"
: "${PIP_WARM:=0}"
: "${TOOLS:=pip uv volley}"
sets=${1:-${SETS:-small wide heavy}}
modes=${2:-${MODES:-cold warm}}
volley_bin=${VOLLEY_BIN:-$repo_root/target/release/volley}
volley_flags=${VOLLEY_FLAGS:-}

command -v hyperfine >/dev/null || die "no hyperfine (bench/setup.sh tools)"
[[ -x $BENCH_TOOLS/bin/uv ]] || die "no tools venv at $BENCH_TOOLS (bench/setup.sh tools)"
[[ -x $volley_bin ]] || die "no volley binary at $volley_bin (cargo build --release -p volley, or set VOLLEY_BIN)"
volley_bin=$(readlink -f "$volley_bin")
[[ $volley_bin != *[[:space:]]* ]] || die "the volley path must not contain spaces: $volley_bin"
[[ " $volley_flags " != *" -o "* && $volley_flags != *--output-file* ]] \
  || die "VOLLEY_FLAGS must not set the output file (the template writes {venv}/compiled.txt)"
curl -fsS -m 10 -o /dev/null https://pypi.org/simple/ || die "https://pypi.org/simple/ is not reachable"
clean_environment
eval "tools=($TOOLS)"

template() { # TOOL -> NAME=TEMPLATE
  local volley="$volley_bin compile {req} --python {python} --index-url {index} --only-binary :all:"
  volley+=" -o {venv}/compiled.txt --cache-dir {cache}"
  [[ -n $volley_flags ]] && volley+=" $volley_flags"
  case $1 in
    volley) echo "volley=$volley" ;;
    *=*) echo "$1" ;;
    *) echo "$1=$(template_for resolve "$1")" ;;
  esac
}

write_meta
note_volley compile.sh "$volley_bin" "$volley_flags" "sets='$sets' modes='$modes'"

failed=()
for set in $sets; do for mode in $modes; do
  for tool in "${tools[@]}"; do
    spec=$(template "$tool")
    name=${spec%%=*}
    [[ $name == pip && $mode == warm && $PIP_WARM != 1 ]] && continue
    case_name="resolve__${name}__${set}__${mode}__pypi"
    raw="$RESULTS/raw/$case_name"
    if [[ $SKIP_DONE == 1 && -f $raw.json ]]; then echo "=== skip (done): $case_name"; continue; fi
    rm -f "$raw.json" "$raw.json.tmp" "$raw.busy"
    run_case resolve "$name" "${spec#*=}" "$set" "$mode" pypi "$RUNS" || failed+=("$case_name")
  done
done; done

python3 "$bench_dir/report.py" "$RESULTS"
if ((${#failed[@]})); then
  echo "compile.sh: ${#failed[@]} case(s) failed (logs: $BENCH_WORK/resolve/<tool>/<set>-<mode>-pypi/hyperfine.log):" >&2
  printf '  %s\n' "${failed[@]}" >&2
  exit 1
fi
