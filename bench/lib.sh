# bench/lib.sh - settings and the timed-case runner shared by the bench scripts (sourced).
# Every setting is an environment variable with a default; see bench/README.md.
# shellcheck shell=bash

bench_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$bench_dir/.." && pwd)"

# Where everything the benchmark makes lives (nothing is written elsewhere, except the
# namespace and its devices, which are the kernel's).
: "${BENCH_ROOT:=${XDG_CACHE_HOME:-$HOME/.cache}/volley-bench}"
: "${BENCH_TOOLS:=$BENCH_ROOT/tools}"           # venv with the latest pip and uv
: "${BENCH_MIRROR:=$BENCH_ROOT/mirror}"         # files/ (wheels, .metadata), simple/, state/
: "${BENCH_WORK:=$BENCH_ROOT/run}"              # scratch venvs and caches: a tmpfs
: "${RESULTS:=$BENCH_ROOT/results-volley}"      # raw/*.json, table.md, results.json, meta.txt
: "${BENCH_PYTHON:=python3}"                    # makes the target venvs
: "${BENCH_PORT:=8504}"                         # nginx, on loopback and the WAN address
: "${BENCH_NICE:=-10}"                          # niceness of the measured commands and nginx
# Before each timed run, wait up to this many seconds for a 90 % idle machine; a run that
# starts busy anyway is counted in the table's "busy starts" column.
: "${BENCH_QUIET_MAX:=5}"

# The simulated WAN (bench/wan.sh): a network namespace behind a delayed, rate-limited link.
: "${BENCH_NS:=volley-wan}"
: "${BENCH_DEV_HOST:=vwan-host}"
: "${BENCH_DEV_NS:=vwan-ns}"
: "${BENCH_HOST_IP:=10.201.0.1}"
: "${BENCH_NS_IP:=10.201.0.2}"
: "${BENCH_DELAY_MS:=20}"     # one way, each direction: RTT 40 ms
: "${BENCH_RATE:=200mbit}"    # each direction
: "${BENCH_QUEUE_MS:=30}"     # the bottleneck's buffer, as time at BENCH_RATE

export BENCH_ROOT BENCH_TOOLS BENCH_MIRROR BENCH_WORK RESULTS BENCH_PYTHON BENCH_PORT \
  BENCH_NICE BENCH_QUIET_MAX BENCH_NS BENCH_DEV_HOST BENCH_DEV_NS BENCH_HOST_IP BENCH_NS_IP \
  BENCH_DELAY_MS BENCH_RATE BENCH_QUEUE_MS

state_dir="$BENCH_MIRROR/state"

die() { echo "${0##*/}: $*" >&2; exit 1; }

# The tools see no configuration of the caller's: every index, cache and link mode is on
# their command line. pip caches plain-HTTP responses only from trusted hosts, so the mirror's
# two addresses are trusted (without this a warm pip run would be a cold one).
clean_environment() {
  local name
  while read -r name; do unset "$name"; done < <(compgen -e | grep -E '^(PIP_|UV_|VOLLEY_)' || true)
  unset VIRTUAL_ENV CONDA_PREFIX PYTHONPATH PYTHONHOME
  export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_ROOT_USER_ACTION=ignore \
    PIP_CONFIG_FILE=/dev/null PIP_TRUSTED_HOST="127.0.0.1:$BENCH_PORT $BENCH_HOST_IP:$BENCH_PORT"
}

# The index URL for NET (lo | wan), after checking that nginx answers there.
index_for() {
  local url
  case $1 in
    lo)
      url="http://127.0.0.1:$BENCH_PORT/simple/"
      curl -fsS -m 5 -o /dev/null "$url" || die "no index at $url (bench/serve.sh start)"
      ;;
    wan)
      url="http://$BENCH_HOST_IP:$BENCH_PORT/simple/"
      ip netns exec "$BENCH_NS" curl -fsS -m 5 -o /dev/null "$url" \
        || die "no index at $url from namespace $BENCH_NS (bench/wan.sh up; bench/serve.sh restart)"
      ;;
    *) die "unknown network \"$1\" (lo | wan)" ;;
  esac
  echo "$url"
}

# The built-in tools' command templates. Placeholders: {req} {python} {venv} {index} {cache}.
template_for() { # KIND TOOL
  local uv="$BENCH_TOOLS/bin/uv"
  case $1:$2 in
    install:pip) echo '{python} -m pip install -r {req} --index-url {index} --cache-dir {cache}' ;;
    install:uv) echo "$uv pip install --no-config -r {req} --python {python} --index-url {index} --cache-dir {cache}" ;;
    install:uv-bc) echo "$uv pip install --no-config --compile-bytecode -r {req} --python {python} --index-url {index} --cache-dir {cache}" ;;
    resolve:pip) echo '{python} -m pip install --dry-run --ignore-installed --only-binary=:all: --report /dev/null -r {req} --index-url {index} --cache-dir {cache}' ;;
    resolve:uv) echo "$uv pip compile --no-config --only-binary :all: {req} --python {python} --index-url {index} --cache-dir {cache} -o {venv}/compiled.txt" ;;
    *) die "no template for $1 tool \"$2\" (give NAME=TEMPLATE)" ;;
  esac
}

fill() { # TEMPLATE REQ PYTHON VENV INDEX CACHE
  local text=$1
  text=${text//\{req\}/$2}
  text=${text//\{python\}/$3}
  text=${text//\{venv\}/$4}
  text=${text//\{index\}/$5}
  text=${text//\{cache\}/$6}
  printf '%s' "$text"
}

# A shell snippet that puts the tools venv's pip into VENV (the "latest pip" a user would have).
seed_pip() { # VENV
  local site
  site=$("$BENCH_TOOLS/bin/python" -c 'import os, pip; print(os.path.dirname(os.path.dirname(pip.__file__)))')
  local target
  target="$1/lib/python$("$BENCH_PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')/site-packages"
  printf "cp -a '%s/pip' %s '%s/'" "$site" "$(printf "'%s' " "$site"/pip-*.dist-info)" "$target"
}

# Times one case with hyperfine and writes RESULTS/raw/KIND__NAME__SET__MODE__NET.json.
#   KIND  install (SET.txt from the mirror) | resolve (SET.in against https://pypi.org)
#   MODE  cold: an empty cache for every run | warm: one untimed run fills the cache first
# Every run gets a fresh venv (made untimed). An install is checked afterwards: one
# .dist-info per pin (plus pip for pip). Returns non-zero when the case failed.
run_case() { # KIND NAME TEMPLATE SET MODE NET RUNS
  local kind=$1 name=$2 template=$3 set=$4 mode=$5 net=$6 runs=$7
  local req index wrap="" extension=txt
  [[ $kind == resolve ]] && extension=in
  req="$bench_dir/sets/$set.$extension"
  [[ -f $req ]] || { echo "no set \"$set\" ($req)" >&2; return 1; }
  if [[ $kind == install ]]; then
    index=$(index_for "$net") || return 1
    [[ $net == wan ]] && wrap="ip netns exec $BENCH_NS "
  else
    index="https://pypi.org/simple/"
  fi
  local case_dir="$BENCH_WORK/$kind/$name/$set-$mode-$net"
  local venv="$case_dir/venv" cache="$case_dir/cache"
  local raw="$RESULTS/raw/${kind}__${name}__${set}__${mode}__${net}"
  mkdir -p "$case_dir" "$RESULTS/raw"
  local make_venv="rm -rf '$venv' && $BENCH_PYTHON -m venv --without-pip '$venv'"
  [[ $name == pip ]] && make_venv+=" && $(seed_pip "$venv")"
  local command
  command="$wrap$(fill "$template" "$req" "$venv/bin/python" "$venv" "$index" "$cache")"
  local setup=true prepare
  case $mode in
    cold) prepare="rm -rf '$cache' && $make_venv" ;;
    warm)
      setup="rm -rf '$cache' && $make_venv && { $command >'$case_dir/warmup.log' 2>&1 || { cat '$case_dir/warmup.log' >&2; false; }; }"
      prepare=$make_venv
      ;;
    *) echo "unknown mode \"$mode\" (cold | warm)" >&2; return 1 ;;
  esac
  rm -f "$case_dir/idle.log"
  prepare+=" && sync && python3 '$bench_dir/idle.py' --max-wait $BENCH_QUIET_MAX --log '$case_dir/idle.log'"
  echo "=== $kind $name $set $mode $net: $command"
  if ! nice -n "$BENCH_NICE" hyperfine --runs "$runs" --shell bash --show-output \
    --command-name "$kind $name $set $mode $net" --setup "$setup" --prepare "$prepare" \
    --export-json "$raw.json.tmp" "$command" >"$case_dir/hyperfine.log" 2>&1; then
    tail -n 30 "$case_dir/hyperfine.log" >&2
    echo "case failed: $kind $name $set $mode $net (log: $case_dir/hyperfine.log)" >&2
    return 1
  fi
  grep -E 'Time \(|Range \(' "$case_dir/hyperfine.log" | sed 's/^/    /'
  if [[ $kind == install ]]; then
    local pins dists
    pins=$(grep -cE '^[A-Za-z0-9][A-Za-z0-9._-]*(\[[^]]*\])? *==' "$req")
    [[ $name == pip ]] && pins=$((pins + 1))
    dists=$(find "$venv"/lib/python*/site-packages -maxdepth 1 -type d -name '*.dist-info' | wc -l)
    if [[ $dists != "$pins" ]]; then
      echo "check failed: $venv holds $dists distributions, the lock pins $pins" >&2
      return 1
    fi
  fi
  mv "$raw.json.tmp" "$raw.json"
  # How many timed runs started on a busy machine, out of how many.
  echo "$(grep -c 'quiet=0' "$case_dir/idle.log" || true)/$(grep -c . "$case_dir/idle.log")" >"$raw.busy"
  [[ ${BENCH_KEEP:-0} == 1 ]] || rm -rf "$venv" "$cache"
}

# RESULTS/meta.txt: the machine and the tools' versions, for the table and the chart.
write_meta() {
  mkdir -p "$RESULTS"
  {
    echo "date: $(date -u +%Y-%m-%d)"
    echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), Linux $(uname -r)"
    echo "python: $("$BENCH_PYTHON" -c 'import platform; print(platform.python_version())')"
    echo "pip: $("$BENCH_TOOLS/bin/python" -m pip --version | cut -d' ' -f2)"
    echo "uv: $("$BENCH_TOOLS/bin/uv" --version | cut -d' ' -f2)"
    echo "hyperfine: $(hyperfine --version | cut -d' ' -f2)"
    echo "nginx: $(nginx -v 2>&1 | sed 's/.*nginx\///')"
    echo "wan: ${BENCH_DELAY_MS} ms each way, $BENCH_RATE, ${BENCH_QUEUE_MS} ms buffer"
  } >"$RESULTS/meta.txt"
}

# Appends what volley was measured: version, commit, uncommitted paths, flags.
note_volley() { # SCRIPT VOLLEY_BIN FLAGS WHAT
  mkdir -p "$RESULTS"
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $1: $("$2" --version)," \
    "git $(git -C "$repo_root" rev-parse --short HEAD 2>/dev/null || echo '?')" \
    "($(git -C "$repo_root" status --porcelain 2>/dev/null | wc -l) changed paths)," \
    "VOLLEY_FLAGS='$3', $4" >>"$RESULTS/volley.txt"
  echo "volley: $("$2" --version | cut -d' ' -f2) (git $(git -C "$repo_root" rev-parse --short HEAD 2>/dev/null || echo '?'))" >"$RESULTS/volley-version.txt"
}
