#!/usr/bin/env bash
# CPU cost per proxied request (user and system µs of the proxy process, from /proc), a
# measure that holds up on a busy machine where req/s swings: the Corral router (raw
# front, and node:http's front before it), HAProxy 2.6 nbthread 1 and nginx 1 worker, each in
# front of the same two Node backends, wrk -c64 keep-alive, 1 KiB responses, interleaved.
# Usage: bench/router-cpu.sh     (env: SECONDS_PER_RUN=4 ROUNDS=3)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${SECONDS_PER_RUN:-4}
ROUNDS=${ROUNDS:-3}
# shellcheck source=bench/lib.sh
. bench/lib.sh corral-bench-cpu
start_backends
declare -A WPID
corral() { # name raw-front(1|0): the worker process is the one measured
  local port; port=$(free_port); PORT[$1]=$port
  start_corral_script "$1" "$port" "$2" bench/router-server.mjs "$port" 1 "$B1" "$B2"
  for c in $(pgrep -P "$LAST_PID"); do grep -q CORRAL_ROUTER_WORKER "/proc/$c/environ" && WPID[$1]=$c; done
}
corral corral-raw 1
corral corral-nodehttp 0
start_haproxy haproxy-1 1; WPID[haproxy-1]=$LAST_PID
NP=$(free_port); PORT[nginx-1]=$NP; mkdir -p "$WORK/n"
cat >"$WORK/n/nginx.conf" <<CFG
daemon off; master_process off; worker_processes 1; pid $WORK/n/pid; error_log $WORK/n/err;
events { worker_connections 4096; }
http { access_log off; upstream b { server 127.0.0.1:$B1; server 127.0.0.1:$B2; keepalive 256; }
  server { listen 127.0.0.1:$NP; keepalive_requests 1000000;
    location / { proxy_pass http://b; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header X-Forwarded-For \$remote_addr; } } }
CFG
nginx -p "$WORK/n" -c "$WORK/n/nginx.conf" -e "$WORK/n/err" >/dev/null 2>&1 & PIDS+=($!); WPID[nginx-1]=$!; wait_port "$NP"

NAMES=(haproxy-1 nginx-1 corral-raw corral-nodehttp)
ticks() { awk '{ print $14, $15 }' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
for name in "${NAMES[@]}"; do wrk -t1 -c8 -d1s -H 'Host: bench.test' "http://127.0.0.1:${PORT[$name]}/" >/dev/null; done
for round in $(seq 1 "$ROUNDS"); do
  for name in "${NAMES[@]}"; do
    read -r au as_ < <(ticks "${WPID[$name]}")
    out=$(wrk -t2 -c64 -d"${SECONDS_PER_RUN}s" -H 'Host: bench.test' "http://127.0.0.1:${PORT[$name]}/")
    read -r bu bs < <(ticks "${WPID[$name]}")
    n=$(awk '/requests in/ { print $1 }' <<<"$out"); rps=$(awk '/Requests\/sec/ { printf "%d", $2 }' <<<"$out")
    echo "$name $rps $(( (bu - au + bs - as_) * 1000000 / HZ / n )) $(( (bu - au) * 1000000 / HZ / n )) $(( (bs - as_) * 1000000 / HZ / n ))" >>"$WORK/r"
  done
done
echo "wrk -t2 -c64, ${SECONDS_PER_RUN}s per run, median of $ROUNDS interleaved rounds, $(date -u +%FT%TZ)"
printf '%-16s %8s %12s %10s %10s\n' proxy req/s cpu_us/req user_us sys_us
for name in "${NAMES[@]}"; do
  med() { awk -v n="$name" -v f="$1" '$1==n { print $f }' "$WORK/r" | sort -n | awk '{ a[NR]=$1 } END { print a[int((NR+1)/2)] }'; }
  printf '%-16s %8s %12s %10s %10s\n' "$name" "$(med 2)" "$(med 3)" "$(med 4)" "$(med 5)"
done
