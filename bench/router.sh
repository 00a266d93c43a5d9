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
  nginx -p "$WORK/$1" -c "$WORK/$1/nginx.conf" -e "$WORK/$1/error.log" >"$WORK/$1.out" 2>&1 & PIDS+=($!)
  wait_port "$port" || { cat "$WORK/$1.out" >&2; exit 1; }
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
  GOMAXPROCS=$2 HOME="$WORK/$1" XDG_DATA_HOME="$WORK/$1" XDG_CONFIG_HOME="$WORK/$1" \
    caddy run --config "$WORK/$1/Caddyfile" --adapter caddyfile >"$WORK/$1.out" 2>&1 & PIDS+=($!)
  wait_port "$port" || { cat "$WORK/$1.out" >&2; exit 1; }
}
start_corral() { # name workers [raw-front 1|0]
  local port; port=$(free_port); PORT[$1]=$port
  CORRAL_RAW_FRONT=${3:-1} CORRAL_LOG_LEVEL=warn node --import tsx bench/router-server.ts "$port" "$2" "$B1" "$B2" >"$WORK/$1.out" 2>&1 & PIDS+=($!)
  wait_port "$port" || { cat "$WORK/$1.out" >&2; exit 1; }
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

# wrk prints "Requests/sec:" and, with --latency, the 50% and 99% lines.
to_ms() { awk '{ v=$1; if (v ~ /us$/) { sub(/us$/,"",v); v=v/1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v) } else if (v ~ /s$/) { sub(/s$/,"",v); v=v*1000 } printf "%.2f", v }'; }
run() { # name conns → "rps p50 p99 errors"
  local out; out=$(wrk -t"$THREADS" -c"$2" -d"${SECONDS_PER_RUN}s" --latency -H 'Host: bench.test' "http://127.0.0.1:${PORT[$1]}/")
  local rps p50 p99 errs
  rps=$(awk '/Requests\/sec/ { printf "%d", $2 }' <<<"$out")
  p50=$(awk '$1=="50%" { print $2 }' <<<"$out" | to_ms)
  p99=$(awk '$1=="99%" { print $2 }' <<<"$out" | to_ms)
  errs=$(awk '/Non-2xx|Socket errors/ { n++ } END { print n+0 }' <<<"$out")
  echo "$rps $p50 $p99 $errs"
}

for name in "${NAMES[@]}"; do wrk -t1 -c8 -d1s -H 'Host: bench.test' "http://127.0.0.1:${PORT[$name]}/" >/dev/null; done # warm-up (JIT, pools)
for round in $(seq 1 "$ROUNDS"); do
  for c in $CONNS; do
    for name in "${NAMES[@]}"; do echo "$name $c $(run "$name" "$c")" >>"$WORK/results"; done
  done
  echo "round $round done" >&2
done

median() { sort -n | awk '{ a[NR]=$1 } END { print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2) }'; }
stat() { awk -v n="$1" -v c="$2" -v f="$3" '$1==n && $2==c { print $f }' "$WORK/results" | median; }
echo
echo "wrk -t$THREADS, ${SECONDS_PER_RUN}s per run, median of $ROUNDS interleaved rounds, $CORES cores, $(date -u +%FT%TZ)"
printf '%-16s %6s %10s %9s %9s %7s\n' target conns req/s p50_ms p99_ms errors
for c in $CONNS; do
  for name in "${NAMES[@]}"; do
    printf '%-16s %6s %10s %9s %9s %7s\n' "$name" "$c" "$(stat "$name" "$c" 3)" "$(stat "$name" "$c" 4)" "$(stat "$name" "$c" 5)" "$(stat "$name" "$c" 6)"
  done
done
echo
echo "Corral / each proxy, like for like (goals at c64, one worker per core: throughput ≥ 0.75x HAProxy with p99 ≤ 1.5x, ≥ 1.0x nginx, ≥ 1.5x Caddy)"
for c in $CONNS; do
  for pair in "corral-1 haproxy-1" "corral-1 nginx-1" "corral-1 caddy-1" "corral-$CORES haproxy-2" "corral-$CORES nginx-2" "corral-$CORES caddy-2"; do
    set -- $pair
    awk -v a="$(stat "$1" "$c" 3)" -v b="$(stat "$2" "$c" 3)" -v pa="$(stat "$1" "$c" 5)" -v pb="$(stat "$2" "$c" 5)" -v n="$1/$2" -v c="$c" \
      'BEGIN { printf "%-22s c=%-4s throughput %.2fx  p99 %.2fx\n", n, c, (b ? a/b : 0), (pb ? pa/pb : 0) }'
  done
done
