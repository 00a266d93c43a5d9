#!/usr/bin/env bash
# HTTPS through the router against HAProxy terminating TLS with the same certificate
# (P-256, TLS 1.3) in front of the same two Node backends (1 KiB responses), one
# process/thread each unless WORKERS says otherwise. For each contender:
#   http     plain HTTP/1.1 keep-alive (wrk)                 — the baseline of the ratio
#   h1       HTTPS, HTTP/1.1 keep-alive (wrk; no ALPN offered, as curl --http1.1)
#   h2       HTTPS, HTTP/2 by ALPN (h2load: H2_CONNS connections × H2_STREAMS streams)
#   hs       handshakes: HTTPS with `Connection: close`, so one new TLS connection per request (wrk)
# corral-nodehttp is the router with its raw front off (HTTP/1.1 read by node:http on both
# listeners): the path HTTPS/1.1 took before. Interleaved rounds, medians printed: req/s,
# p99 (ms), errors; then HTTPS/HTTP through the router (goal ≥ 0.8) and Corral/HAProxy.
# p99 for h2 comes from h2load's per-request log (it prints no percentiles itself).
#
# Needs wrk, haproxy, openssl and h2load (Debian: nghttp2-client).
# Usage: bench/router-tls.sh   (env: SECONDS_PER_RUN=5 ROUNDS=3 CONNS=64 THREADS=1 WORKERS=1 H2_CONNS=16 H2_STREAMS=4)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-64}
THREADS=${THREADS:-1}
WORKERS=${WORKERS:-1}
H2_CONNS=${H2_CONNS:-16}
H2_STREAMS=${H2_STREAMS:-4}
for tool in wrk haproxy openssl h2load; do
  command -v "$tool" >/dev/null || { echo "router-tls.sh needs $tool (h2load: apt-get install nghttp2-client)" >&2; exit 1; }
done
# shellcheck source=bench/lib.sh
. bench/lib.sh corral-bench-tls
start_backends
declare -A TLSPORT

# One certificate for everyone; HAProxy reads cert and key from one file.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=bench.test \
  -addext subjectAltName=DNS:bench.test -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
cat "$WORK/cert.pem" "$WORK/key.pem" >"$WORK/haproxy.pem"

start_haproxy_tls() { # name threads
  local port tport; port=$(free_port); tport=$(free_port); PORT[$1]=$port; TLSPORT[$1]=$tport
  cat >"$WORK/$1.cfg" <<CFG
global
  nbthread $2
  maxconn 8000
  ssl-default-bind-options ssl-min-ver TLSv1.2
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
  option forwardfor
frontend plain
  bind 127.0.0.1:$port
  default_backend b
frontend tls
  bind 127.0.0.1:$tport ssl crt $WORK/haproxy.pem alpn h2,http/1.1
  http-request set-header X-Forwarded-Proto https
  default_backend b
backend b
  balance roundrobin
  http-reuse always
  server s1 127.0.0.1:$B1
  server s2 127.0.0.1:$B2
CFG
  haproxy -f "$WORK/$1.cfg" -db >"$WORK/$1.out" 2>&1 & PIDS+=($!)
  wait_port "$tport" || { cat "$WORK/$1.out" >&2; exit 1; }
}
start_corral_tls() { # name workers raw-front(1|0)
  local port tport; port=$(free_port); tport=$(free_port); PORT[$1]=$port; TLSPORT[$1]=$tport
  CORRAL_RAW_FRONT=$3 CORRAL_LOG_LEVEL=warn node --import tsx bench/router-tls-server.ts "$port" "$tport" "$2" "$WORK/cert.pem" "$WORK/key.pem" "$B1" "$B2" >"$WORK/$1.out" 2>&1 & PIDS+=($!)
  wait_port "$tport" || { cat "$WORK/$1.out" >&2; exit 1; }
}

start_haproxy_tls haproxy "$WORKERS"
start_corral_tls corral "$WORKERS" 1
start_corral_tls corral-nodehttp "$WORKERS" 0
NAMES=(haproxy corral corral-nodehttp)
LOADS=(http h1 h2 hs)

to_ms() { awk '{ v=$1; if (v ~ /us$/) { sub(/us$/,"",v); v=v/1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v) } else if (v ~ /s$/) { sub(/s$/,"",v); v=v*1000 } printf "%.2f", v }'; }
wrk_run() { # url [extra wrk args] → "rps p99 errors"
  local url=$1; shift
  local out; out=$(wrk -t"$THREADS" -c"$CONNS" -d"${SECONDS_PER_RUN}s" --latency -H 'Host: bench.test' "$@" "$url")
  local rps p99 errs
  rps=$(awk '/Requests\/sec/ { printf "%d", $2 }' <<<"$out")
  p99=$(awk '$1=="99%" { print $2 }' <<<"$out" | to_ms)
  errs=$(awk '/Non-2xx/ { n+=$NF } /Socket errors/ { gsub(/,/, ""); n+=$4+$6+$8+$10 } END { print n+0 }' <<<"$out")
  echo "$rps $p99 $errs"
}
h2_run() { # url → "rps p99 errors"; p99 from the per-request log (elapsed µs in column 3)
  local log="$WORK/h2.log"; rm -f "$log"
  local out; out=$(h2load -t"$THREADS" -c"$H2_CONNS" -m"$H2_STREAMS" -D"$SECONDS_PER_RUN" --warm-up-time=1 -H 'host: bench.test' --log-file="$log" "$1" 2>&1)
  local rps p99 errs
  rps=$(awk '/^finished in/ { for (i = 1; i <= NF; i++) if ($(i+1) == "req/s,") { printf "%d", $i } }' <<<"$out")
  p99=$(awk '{ print $3 }' "$log" | sort -n | awk '{ a[NR]=$1 } END { i=int(NR*0.99); if (i<1) i=1; printf "%.2f", a[i]/1000 }')
  errs=$(awk '/^requests:/ { gsub(/,/, ""); print $10 + $12 + $14 }' <<<"$out") # failed, errored, timeout
  echo "${rps:-0} ${p99:-0} ${errs:-0}"
}
run() { # name load
  case $2 in
    http) wrk_run "http://127.0.0.1:${PORT[$1]}/" ;;
    h1) wrk_run "https://127.0.0.1:${TLSPORT[$1]}/" ;;
    hs) wrk_run "https://127.0.0.1:${TLSPORT[$1]}/" -H 'Connection: close' ;;
    h2) h2_run "https://127.0.0.1:${TLSPORT[$1]}/" ;;
  esac
}

for name in "${NAMES[@]}"; do # warm-up (JIT, pools, session state)
  wrk -t1 -c8 -d1s -H 'Host: bench.test' "https://127.0.0.1:${TLSPORT[$name]}/" >/dev/null
  wrk -t1 -c8 -d1s -H 'Host: bench.test' "http://127.0.0.1:${PORT[$name]}/" >/dev/null
done
for round in $(seq 1 "$ROUNDS"); do
  for load in "${LOADS[@]}"; do
    for name in "${NAMES[@]}"; do echo "$name $load $(run "$name" "$load")" >>"$WORK/results"; done
  done
  echo "round $round done" >&2
done

median() { sort -n | awk '{ a[NR]=$1 } END { if (NR == 0) print 0; else print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2) }'; }
stat() { awk -v n="$1" -v l="$2" -v f="$3" '$1==n && $2==l { print $f }' "$WORK/results" | median; }
echo
echo "TLS 1.3 P-256, wrk -t$THREADS -c$CONNS; h2load -c$H2_CONNS -m$H2_STREAMS; ${SECONDS_PER_RUN}s per run, median of $ROUNDS interleaved rounds;"
echo "$WORKERS worker(s)/thread(s) each, $(nproc) cores, $(date -u +%FT%TZ). hs: one TLS handshake per request (Connection: close), req/s = handshakes/s"
printf '%-16s %-5s %10s %9s %7s\n' target load req/s p99_ms errors
for load in "${LOADS[@]}"; do
  for name in "${NAMES[@]}"; do
    printf '%-16s %-5s %10s %9s %7s\n' "$name" "$load" "$(stat "$name" "$load" 3)" "$(stat "$name" "$load" 4)" "$(stat "$name" "$load" 5)"
  done
done
echo
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a/b; else printf "n/a" }'; }
echo "HTTPS/HTTP through the router, HTTP/1.1 keep-alive (goal ≥ 0.8):"
for name in corral corral-nodehttp haproxy; do
  printf '  %-16s %s\n' "$name" "$(ratio "$(stat "$name" h1 3)" "$(stat "$name" http 3)")"
done
echo "Corral / HAProxy, like for like (throughput, p99):"
for load in "${LOADS[@]}"; do
  printf '  %-5s throughput %s  p99 %s\n' "$load" "$(ratio "$(stat corral "$load" 3)" "$(stat haproxy "$load" 3)")" "$(ratio "$(stat corral "$load" 4)" "$(stat haproxy "$load" 4)")"
done
