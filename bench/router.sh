#!/usr/bin/env bash
# Router benchmark: the same wrk load (keep-alive, 1 KiB responses) against the two Node
# backends directly, HAProxy 2.6 (nbthread 1 and 2), nginx (1 and 2 workers), Caddy
# (Debian's `caddy`, GOMAXPROCS 1 and 2: one worker's worth of CPU like the others) and the
# Corral router (1 worker and one per core), all in front of the same two backends.
# corral-1-nodehttp is the router with its raw front off (every request read by node:http,
# the raw upstream path still on): the step before, measured in the same run.
# "direct" is one backend alone (wrk has one URL); the proxies spread over both.
# Runs interleaved rounds so drift hits every contender alike; prints the median of the
# rounds: req/s, p50, p99, and Corral against HAProxy, nginx and Caddy like for like.
#
# Usage: bench/router.sh            (env: SECONDS_PER_RUN=5 ROUNDS=3 CONNS="64 256" THREADS=2)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-"64 256"}
THREADS=${THREADS:-2}
CORES=$(nproc)
# shellcheck source=bench/lib.sh
. bench/lib.sh corral-bench-router
start_backends

start_nginx() { # name workers
  local port; port=$(free_port); PORT[$1]=$port
  mkdir -p "$WORK/$1"
  cat >"$WORK/$1/nginx.conf" <<CFG
daemon off;
worker_processes $2;
pid $WORK/$1/nginx.pid;
error_log $WORK/$1/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/$1; proxy_temp_path $WORK/$1; fastcgi_temp_path $WORK/$1; uwsgi_temp_path $WORK/$1; scgi_temp_path $WORK/$1;
  upstream b { server 127.0.0.1:$B1; server 127.0.0.1:$B2; keepalive 256; }
  server {
    listen 127.0.0.1:$port;
    keepalive_requests 1000000;
    location / {
      proxy_pass http://b;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$remote_addr;
    }
  }
}
CFG
  start_logged "$1" "$port" nginx -p "$WORK/$1" -c "$WORK/$1/nginx.conf" -e "$WORK/$1/error.log"
}
start_caddy() { # name GOMAXPROCS
  local port; port=$(free_port); PORT[$1]=$port
  mkdir -p "$WORK/$1"
  cat >"$WORK/$1/Caddyfile" <<CFG
{
	admin off
	auto_https off
}
http://:$port {
	bind 127.0.0.1
	reverse_proxy 127.0.0.1:$B1 127.0.0.1:$B2 {
		lb_policy round_robin
		transport http {
			keepalive 2m
			keepalive_idle_conns 512
			keepalive_idle_conns_per_host 256
		}
	}
}
CFG
  # HOME and XDG_*: Caddy keeps its state in the work folder, not root's home
  start_logged "$1" "$port" env GOMAXPROCS="$2" HOME="$WORK/$1" XDG_DATA_HOME="$WORK/$1" XDG_CONFIG_HOME="$WORK/$1" \
    caddy run --config "$WORK/$1/Caddyfile" --adapter caddyfile
}
start_corral() { # name workers [raw-front 1|0]
  local port; port=$(free_port); PORT[$1]=$port
  start_corral_script "$1" "$port" "${3:-1}" bench/router-server.mjs "$port" "$2" "$B1" "$B2"
}

start_haproxy haproxy-1 1
start_haproxy haproxy-2 2
start_nginx nginx-1 1
start_nginx nginx-2 2
start_caddy caddy-1 1
start_caddy caddy-2 2
start_corral corral-1 1
start_corral corral-1-nodehttp 1 0
start_corral "corral-$CORES" "$CORES"
PORT[direct]=$B1
NAMES=(direct haproxy-1 nginx-1 caddy-1 corral-1 corral-1-nodehttp haproxy-2 nginx-2 caddy-2 "corral-$CORES")

run() { wrk_run "$2" "http://127.0.0.1:${PORT[$1]}/"; } # name conns

for name in "${NAMES[@]}"; do wrk -t1 -c8 -d1s -H 'Host: bench.test' "http://127.0.0.1:${PORT[$name]}/" >/dev/null; done # warm-up (JIT, pools)
run_rounds run "$CONNS"

echo
echo "wrk -t$THREADS, ${SECONDS_PER_RUN}s per run, median of $ROUNDS interleaved rounds, $CORES cores, $(date -u +%FT%TZ)"
print_medians conns "$CONNS"
echo
echo "Corral / each proxy, like for like (goals at c64, one worker per core: throughput ≥ 0.75x HAProxy with p99 ≤ 1.5x, ≥ 1.0x nginx, ≥ 1.5x Caddy)"
for c in $CONNS; do
  for pair in "corral-1 haproxy-1" "corral-1 nginx-1" "corral-1 caddy-1" "corral-$CORES haproxy-2" "corral-$CORES nginx-2" "corral-$CORES caddy-2"; do
    set -- $pair
    printf '%-22s c=%-4s throughput %s  p99 %s\n' "$1/$2" "$c" "$(ratio "$(stat "$1" "$c" 3)" "$(stat "$2" "$c" 3)")" "$(ratio "$(stat "$1" "$c" 5)" "$(stat "$2" "$c" 5)")"
  done
done
