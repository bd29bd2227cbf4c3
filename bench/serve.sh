#!/usr/bin/env bash
# bench/serve.sh - nginx serving the mirror (bench/setup.sh made it) as a static index.
#
#   bench/serve.sh start | stop | restart | status
#
# Listens on 127.0.0.1:$BENCH_PORT, and on $BENCH_HOST_IP:$BENCH_PORT when the simulated WAN
# is up (start it after bench/wan.sh up, or restart it). Static files with HTTP/1.1
# keep-alive, ranges, ETag and Last-Modified (nginx's defaults), PyPI's Cache-Control headers
# (pages max-age=600, files a year and immutable), and PEP 691 content negotiation: a client
# that asks for application/vnd.pypi.simple.v1+json gets the JSON page, others the HTML one.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

conf="$state_dir/nginx.conf"
pid_file="$state_dir/nginx.pid"

running() { [[ -f $pid_file ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; }

write_conf() {
  mkdir -p "$state_dir/temp" "$state_dir/logs"
  local wan_listen=""
  if ip -4 -o addr show 2>/dev/null | grep -q " $BENCH_HOST_IP/"; then
    wan_listen="listen $BENCH_HOST_IP:$BENCH_PORT;"
  fi
  cat >"$conf" <<CONF
# Written by bench/serve.sh.
worker_processes 2;
worker_priority $BENCH_NICE;
user $(id -un);
pid $pid_file;
error_log $state_dir/logs/error.log warn;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log $state_dir/logs/access.log;
  client_body_temp_path $state_dir/temp/body;
  proxy_temp_path $state_dir/temp/proxy;
  fastcgi_temp_path $state_dir/temp/fastcgi;
  uwsgi_temp_path $state_dir/temp/uwsgi;
  scgi_temp_path $state_dir/temp/scgi;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 65;
  keepalive_requests 100000;
  map \$http_accept \$page {
    default index.html;
    "~application/vnd\\.pypi\\.simple\\.v1\\+json" index.json;
  }
  server {
    listen 127.0.0.1:$BENCH_PORT;
    $wan_listen
    root $BENCH_MIRROR;
    location /simple/ {
      index \$page;
      types { text/html html; application/vnd.pypi.simple.v1+json json; }
      gzip on;
      gzip_types application/vnd.pypi.simple.v1+json;
      add_header Cache-Control "max-age=600, public";
      add_header Vary Accept;
    }
    location /files/ {
      add_header Cache-Control "max-age=365000000, immutable, public";
    }
    location / { return 404; }
  }
}
CONF
}

start() {
  if running; then echo "nginx is running (pid $(cat "$pid_file"))"; return 0; fi
  [[ -f $BENCH_MIRROR/simple/index.html ]] || die "no mirror at $BENCH_MIRROR (bench/setup.sh)"
  write_conf
  nginx -t -q -c "$conf" -p "$state_dir"
  nginx -c "$conf" -p "$state_dir"
  for _ in $(seq 50); do running && break; sleep 0.1; done
  running || die "nginx did not start (see $state_dir/logs/error.log)"
  echo "nginx (pid $(cat "$pid_file")) serves $BENCH_MIRROR on $(grep -E '^\s*listen' "$conf" | awk '{print $2}' | tr -d ';' | paste -sd' ')"
}

stop() {
  if ! running; then echo "nginx is not running"; return 0; fi
  local pid
  pid=$(cat "$pid_file")
  kill -QUIT "$pid"
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  echo "nginx stopped"
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status)
    if running; then echo "nginx: pid $(cat "$pid_file")"; grep -E '^\s*listen' "$conf"; else echo "nginx: stopped"; exit 3; fi
    ;;
  *) sed -n '2,10p' "$0"; exit 2 ;;
esac
