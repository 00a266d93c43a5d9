#!/bin/sh
# HTTPS cost in the router: the same load (wrk, keep-alive, 1 KiB responses, one
# backend) over plain HTTP and over HTTPS/1.1 (TLS 1.3, P-256 dev certificate), one
# router process, interleaved runs. Usage: bench/router-tls.sh [seconds] [connections]
set -eu
cd "$(dirname "$0")/.."
SECS=${1:-5}
CONNS=${2:-64}
TMP=$(mktemp -d)
BPORT=$((20000 + $$ % 10000))
node bench/router-backend.mjs "$BPORT" & BPID=$!
node --import tsx bench/router-tls-server.ts "$TMP" "$BPORT" > "$TMP/ports" & RPID=$!
trap 'kill $BPID $RPID 2>/dev/null; rm -rf "$TMP"' EXIT
i=0; while [ ! -s "$TMP/ports" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
read HTTP HTTPS < "$TMP/ports"
run() { wrk -t1 -c"$CONNS" -d"${SECS}s" --latency -H 'Host: bench.test' "$1" | awk -v n="$2" '/Requests\/sec/ {r=$2} /50%/ {p50=$2} /99%/ {p99=$2} END {printf "%-6s %10s req/s  p50 %-8s p99 %s\n", n, r, p50, p99}'; }
for round in 1 2; do
  run "http://127.0.0.1:$HTTP/" http
  run "https://127.0.0.1:$HTTPS/" https
done
