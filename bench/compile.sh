#!/usr/bin/env bash
# bench/compile.sh - resolve benchmark against the real PyPI: `volley compile` beside pip
# (install --dry-run --report) and `uv pip compile`, via the shared harness's `bench.sh resolve`.
#
# Usage
#   bench/compile.sh [SETS] [MODES]
#
#   SETS   "small wide heavy" (default all)          positional or $SETS  (resolves SET.in)
#   MODES  "cold warm"        (default "cold warm")  positional or $MODES
#
#   e.g. bench/compile.sh small cold
#
# Tools (TOOLS, default "pip uv volley"), interleaved per case. pip runs cold only, as in the
# harness's run_all.sh (set PIP_WARM=1 to time it warm too).
#   volley   VOLLEY_BIN compile {req} --python {python} --index-url {index} --only-binary :all:
#            -o {venv}/compiled.txt --cache-dir {cache} $VOLLEY_FLAGS
#            bench.sh sets {index} to https://pypi.org/simple/ for resolve. --only-binary :all:
#            matches pip's and uv's resolve templates. The output goes into the (fresh, per
#            run) target venv dir, not /dev/null: volley writes -o atomically (temp file +
#            rename), and as root a rename onto /dev/null replaces the device node.
#   NAME=TEMPLATE   any other bench.sh resolve template
#
# Environment
#   VOLLEY_BIN    volley binary (default: <checkout>/target/release/volley)
#   VOLLEY_FLAGS  extra flags appended to the volley template (word-split)
#   RESULTS       results dir (default ~/.cache/volley-bench/results-volley, shared with
#                 install.sh so that one report holds both)
#   RUNS          timed runs per case (default 3: this is the real PyPI)
#   SKIP_DONE=1   keep cases whose RESULTS/raw/*.json exists; otherwise old results of a case
#                 are deleted before it runs
#   BENCH_DIR     the shared harness (default /work/shared/bench)
#   BENCH_KEEP=1  (bench.sh) keep each case's last venv, so {venv}/compiled.txt can be read
#
# A failing case does not stop the others; failures are listed at the end (exit 1).
# Prints the harness's report and saves it as RESULTS/table.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${BENCH_DIR:=/work/shared/bench}"
: "${RESULTS:=${XDG_CACHE_HOME:-$HOME/.cache}/volley-bench/results-volley}"
: "${RUNS:=3}"
: "${SKIP_DONE:=0}"
: "${PIP_WARM:=0}"
: "${TOOLS:=pip uv volley}"
sets=${1:-${SETS:-small wide heavy}}
modes=${2:-${MODES:-cold warm}}
volley_bin=${VOLLEY_BIN:-$root/target/release/volley}
volley_flags=${VOLLEY_FLAGS:-}
export RESULTS RUNS

die() { echo "compile.sh: $*" >&2; exit 1; }

[[ -x $BENCH_DIR/bench.sh ]] || die "no harness at $BENCH_DIR (set BENCH_DIR)"
[[ -x $volley_bin ]] || die "no volley binary at $volley_bin (cargo build --release -p volley, or set VOLLEY_BIN)"
volley_bin=$(readlink -f "$volley_bin")
[[ $volley_bin != *[[:space:]]* ]] || die "the volley path must not contain spaces: $volley_bin"
[[ " $volley_flags " != *" -o "* && $volley_flags != *--output-file* ]] \
  || die "VOLLEY_FLAGS must not set the output file (the template writes {venv}/compiled.txt)"
curl -fsS -m 10 -o /dev/null https://pypi.org/simple/ || die "https://pypi.org/simple/ is not reachable"

# Nothing from the caller's environment may steer volley; VOLLEY_BIN/VOLLEY_FLAGS were read.
while read -r var; do unset "$var"; done < <(compgen -e | grep '^VOLLEY_' || true)

eval "tools=($TOOLS)"

spec_for() { # TOOL -> the argument bench.sh takes
  local t="$volley_bin compile {req} --python {python} --index-url {index} --only-binary :all:"
  t+=" -o {venv}/compiled.txt --cache-dir {cache}"
  [[ -n $volley_flags ]] && t+=" $volley_flags"
  case $1 in
    volley) echo "volley=$t" ;;
    *) echo "$1" ;;
  esac
}

"$BENCH_DIR/bench.sh" meta >/dev/null
{
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) compile.sh: $("$volley_bin" --version)," \
    "git $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')" \
    "($(git -C "$root" status --porcelain 2>/dev/null | wc -l) changed paths)," \
    "VOLLEY_FLAGS='$volley_flags', sets='$sets' modes='$modes'"
} >>"$RESULTS/volley.txt"

failed=()
for set in $sets; do for mode in $modes; do
  for tool in "${tools[@]}"; do
    name=${tool%%=*}
    [[ $name == pip && $mode == warm && $PIP_WARM != 1 ]] && continue
    case_name="resolve__${name}__${set}__${mode}__pypi"
    raw="$RESULTS/raw/$case_name"
    if [[ $SKIP_DONE == 1 && -f $raw.json ]]; then echo "=== skip (done): $case_name"; continue; fi
    rm -f "$raw.json" "$raw.json.tmp" "$raw.noisy"
    if ! "$BENCH_DIR/bench.sh" resolve "$(spec_for "$tool")" "$set" "$mode"; then
      failed+=("$case_name")
    fi
  done
done; done

"$BENCH_DIR/bench.sh" report | tee "$RESULTS/table.md"
if ((${#failed[@]})); then
  echo "compile.sh: ${#failed[@]} case(s) failed (logs: \$BENCH_WORK/resolve/<tool>/<set>-<mode>-pypi/hyperfine.log):" >&2
  printf '  %s\n' "${failed[@]}" >&2
  exit 1
fi
