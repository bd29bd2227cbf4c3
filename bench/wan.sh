#!/usr/bin/env bash
# bench/wan.sh - the simulated WAN: installers run in network namespace $BENCH_NS and reach
# the mirror at $BENCH_HOST_IP over a link with $BENCH_DELAY_MS ms of delay each way (RTT
# twice that) and a $BENCH_RATE limit each way with a $BENCH_QUEUE_MS ms buffer.
#
#   bench/wan.sh up       make the namespace and the link (needs root), then check it
#   bench/wan.sh down     remove both
#   bench/wan.sh status   what exists
#   bench/wan.sh check    connect time and throughput to the mirror through the link
#
# The link is two TUN devices joined by bench/delay.py (the delay) with a tbf qdisc on each
# (rate and queue). Its two addresses, a /30, exist only on this machine; the namespace has
# no other route, so nothing run in it can reach anything but the mirror. Start nginx
# after `up` (or `bench/serve.sh restart`) so that it listens on $BENCH_HOST_IP too.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pid_file="$state_dir/delay.pid"
ready_file="$state_dir/delay.ready"

delay_running() { [[ -f $pid_file ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; }
namespace_exists() { ip netns list | grep -qE "^$BENCH_NS( |$)"; }

up() {
  [[ $(id -u) == 0 ]] || die "making a network namespace needs root"
  namespace_exists && die "namespace $BENCH_NS exists already (bench/wan.sh down first)"
  mkdir -p "$state_dir"
  ip netns add "$BENCH_NS"
  ip -n "$BENCH_NS" link set lo up
  rm -f "$ready_file"
  # The link must not be starved by the measured commands (which run at BENCH_NICE).
  setsid nice -n "$((BENCH_NICE - 5))" python3 "$bench_dir/delay.py" \
    --host-dev "$BENCH_DEV_HOST" --ns-dev "$BENCH_DEV_NS" --delay-ms "$BENCH_DELAY_MS" \
    --ready "$ready_file" </dev/null >>"$state_dir/delay.log" 2>&1 &
  echo $! >"$pid_file"
  for _ in $(seq 100); do [[ -s $ready_file ]] && break; sleep 0.05; done
  [[ -s $ready_file ]] || { down; die "delay.py did not start (see $state_dir/delay.log)"; }
  ip link set "$BENCH_DEV_NS" netns "$BENCH_NS"
  ip addr add "$BENCH_HOST_IP/30" dev "$BENCH_DEV_HOST"
  ip link set "$BENCH_DEV_HOST" mtu 1500 txqueuelen 1000 up
  ip -n "$BENCH_NS" addr add "$BENCH_NS_IP/30" dev "$BENCH_DEV_NS"
  ip -n "$BENCH_NS" link set "$BENCH_DEV_NS" mtu 1500 txqueuelen 1000 up
  # The burst holds two 64 KB segments, so tbf need not split what the offload made.
  tc qdisc replace dev "$BENCH_DEV_HOST" root tbf rate "$BENCH_RATE" burst 128kb latency "${BENCH_QUEUE_MS}ms"
  tc -n "$BENCH_NS" qdisc replace dev "$BENCH_DEV_NS" root tbf rate "$BENCH_RATE" burst 128kb latency "${BENCH_QUEUE_MS}ms"
  echo "wan up: $BENCH_HOST_IP (this host) <-> $BENCH_NS_IP (namespace $BENCH_NS), ${BENCH_DELAY_MS} ms each way, $BENCH_RATE"
}

down() {
  if delay_running; then
    kill "$(cat "$pid_file")"
    for _ in $(seq 50); do delay_running || break; sleep 0.1; done
  fi
  rm -f "$pid_file" "$ready_file"
  if namespace_exists; then ip netns del "$BENCH_NS"; fi
  echo "wan down"
}

status() {
  if namespace_exists; then echo "namespace $BENCH_NS: present"; else echo "namespace $BENCH_NS: absent"; fi
  if delay_running; then echo "delay.py: pid $(cat "$pid_file")"; else echo "delay.py: not running"; fi
  ip -br addr show dev "$BENCH_DEV_HOST" 2>/dev/null || true
  tc qdisc show dev "$BENCH_DEV_HOST" 2>/dev/null || true
  if namespace_exists; then tc -n "$BENCH_NS" qdisc show dev "$BENCH_DEV_NS" 2>/dev/null || true; fi
}

check() {
  local base="http://$BENCH_HOST_IP:$BENCH_PORT"
  if ! ip netns exec "$BENCH_NS" curl -fs -m 5 -o /dev/null "$base/simple/"; then
    echo "the mirror does not answer at $base from $BENCH_NS: bench/serve.sh restart, then bench/wan.sh check"
    return 0
  fi
  local largest
  # sed reads all of ls's output: no SIGPIPE for pipefail to report.
  largest=$(ls -S "$BENCH_MIRROR/files" | grep '\.whl$' | sed -n 1p)
  echo "expect: connect about $((2 * BENCH_DELAY_MS)) ms (1 RTT), first byte about $((4 * BENCH_DELAY_MS)) ms (2 RTT)"
  ip netns exec "$BENCH_NS" curl -sS -o /dev/null \
    -w '  index page: connect %{time_connect} s, first byte %{time_starttransfer} s\n' "$base/simple/"
  ip netns exec "$BENCH_NS" curl -sS -o /dev/null \
    -w "  $largest: %{size_download} bytes in %{time_total} s (%{speed_download} bytes/s)\n" \
    "$base/files/$largest"
}

case ${1:-} in
  up) up; check ;;
  down) down ;;
  status) status ;;
  check) check ;;
  *) sed -n '2,16p' "$0"; exit 2 ;;
esac
