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
# p50 and p99 (ms), errors; then HTTPS/HTTP through the router (goal ≥ 0.8) and Corral/HAProxy.
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

# One certificate for everyone; HAProxy reads cert and key from one file.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=bench.test \
  -addext subjectAltName=DNS:bench.test -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
cat "$WORK/cert.pem" "$WORK/key.pem" >"$WORK/haproxy.pem"

start_corral_tls() { # name workers raw-front(1|0)
  local port tport; port=$(free_port); tport=$(free_port); PORT[$1]=$port; TLSPORT[$1]=$tport
  start_corral_script "$1" "$tport" "$3" bench/router-tls-server.ts "$port" "$tport" "$2" "$WORK/cert.pem" "$WORK/key.pem" "$B1" "$B2"
}

start_haproxy haproxy "$WORKERS" "$WORK/haproxy.pem"
start_corral_tls corral "$WORKERS" 1
start_corral_tls corral-nodehttp "$WORKERS" 0
NAMES=(haproxy corral corral-nodehttp)
LOADS=(http h1 h2 hs)

h2_run() { # url → "rps p50 p99 errors"; p50 and p99 from the per-request log (elapsed µs in column 3)
  local log="$WORK/h2.log"; rm -f "$log"
  local out; out=$(h2load -t"$THREADS" -c"$H2_CONNS" -m"$H2_STREAMS" -D"$SECONDS_PER_RUN" --warm-up-time=1 -H 'host: bench.test' --log-file="$log" "$1" 2>&1)
  local rps p50 p99 errs
  rps=$(awk '/^finished in/ { for (i = 1; i <= NF; i++) if ($(i+1) == "req/s,") { printf "%d", $i } }' <<<"$out")
  p50=$(percentile 0.5 "$log")
  p99=$(percentile 0.99 "$log")
  errs=$(awk '/^requests:/ { gsub(/,/, ""); print $10 + $12 + $14 }' <<<"$out") # failed, errored, timeout
  echo "${rps:-0} ${p50:-0} ${p99:-0} ${errs:-0}"
}
percentile() { awk '{ print $3 }' "$2" | sort -n | awk -v q="$1" '{ a[NR]=$1 } END { i=int(NR*q); if (i<1) i=1; printf "%.2f", a[i]/1000 }'; } # q log → ms
run() { # name load
  case $2 in
    http) wrk_run "$CONNS" "http://127.0.0.1:${PORT[$1]}/" ;;
    h1) wrk_run "$CONNS" "https://127.0.0.1:${TLSPORT[$1]}/" ;;
    hs) wrk_run "$CONNS" "https://127.0.0.1:${TLSPORT[$1]}/" -H 'Connection: close' ;;
    h2) h2_run "https://127.0.0.1:${TLSPORT[$1]}/" ;;
  esac
}

for name in "${NAMES[@]}"; do # warm-up (JIT, pools, session state)
  wrk -t1 -c8 -d1s -H 'Host: bench.test' "https://127.0.0.1:${TLSPORT[$name]}/" >/dev/null
  wrk -t1 -c8 -d1s -H 'Host: bench.test' "http://127.0.0.1:${PORT[$name]}/" >/dev/null
done
run_rounds run "${LOADS[*]}"

echo
echo "TLS 1.3 P-256, wrk -t$THREADS -c$CONNS; h2load -c$H2_CONNS -m$H2_STREAMS; ${SECONDS_PER_RUN}s per run, median of $ROUNDS interleaved rounds;"
echo "$WORKERS worker(s)/thread(s) each, $(nproc) cores, $(date -u +%FT%TZ). hs: one TLS handshake per request (Connection: close), req/s = handshakes/s"
print_medians load "${LOADS[*]}"
echo
echo "HTTPS/HTTP through the router, HTTP/1.1 keep-alive (goal ≥ 0.8):"
for name in corral corral-nodehttp haproxy; do
  printf '  %-16s %s\n' "$name" "$(ratio "$(stat "$name" h1 3)" "$(stat "$name" http 3)")"
done
echo "Corral / HAProxy, like for like (throughput, p99):"
for load in "${LOADS[@]}"; do
  printf '  %-5s throughput %s  p99 %s\n' "$load" "$(ratio "$(stat corral "$load" 3)" "$(stat haproxy "$load" 3)")" "$(ratio "$(stat corral "$load" 5)" "$(stat haproxy "$load" 5)")"
done
