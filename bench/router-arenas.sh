#!/usr/bin/env bash
# What glibc's MALLOC_ARENA_MAX=2 (which bin/corral.js's first line sets for every corral
# process) costs the router under load: the shipped router (dist/, one worker per core,
# per-site metrics on, as `corral up` runs it) in front of the two Node backends, with and
# without the variable, in interleaved rounds; prints the medians of req/s, p50 and p99, and
# each contender's RSS (primary + workers, from /proc) after the load.
#
# Usage: npm run build && bench/router-arenas.sh     (env: SECONDS_PER_RUN=5 ROUNDS=5 CONNS="64 256" THREADS=2)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
ROUNDS=${ROUNDS:-5}
CONNS=${CONNS:-"64 256"}
THREADS=${THREADS:-2}
CORES=$(nproc)
# shellcheck source=bench/lib.sh
. bench/lib.sh corral-bench-arenas
start_backends

start_router() { # name arena-max|''
  local port; port=$(free_port); PORT[$1]=$port
  if [ -n "$2" ]; then
    start_logged "$1" "$port" env MALLOC_ARENA_MAX="$2" CORRAL_METRICS=1 CORRAL_LOG_LEVEL=warn node bench/router-server.mjs "$port" "$CORES" "$B1" "$B2"
  else
    start_logged "$1" "$port" env -u MALLOC_ARENA_MAX CORRAL_METRICS=1 CORRAL_LOG_LEVEL=warn node bench/router-server.mjs "$port" "$CORES" "$B1" "$B2"
  fi
  ROOT_PID[$1]=$LAST_PID
}
declare -A ROOT_PID
start_router glibc-default ''
start_router arena-max-2 2
NAMES=(glibc-default arena-max-2)

# RSS in MiB of a process and its descendants
tree_rss() {
  local pids=($1) all=() p
  while [ ${#pids[@]} -gt 0 ]; do
    p=${pids[0]}; pids=("${pids[@]:1}"); all+=("$p")
    for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do pids+=("$c"); done
  done
  for p in "${all[@]}"; do awk '/^VmRSS/ { print $2 }' /proc/"$p"/status 2>/dev/null; done | awk '{ s += $1 } END { printf "%.1f", s / 1024 }'
}

run() { wrk_run "$2" "http://127.0.0.1:${PORT[$1]}/"; } # name conns
for name in "${NAMES[@]}"; do wrk -t1 -c8 -d1s -H 'Host: bench.test' "http://127.0.0.1:${PORT[$name]}/" >/dev/null; done # warm-up
run_rounds run "$CONNS"

echo
echo "wrk -t$THREADS, ${SECONDS_PER_RUN}s per run, median of $ROUNDS interleaved rounds, $CORES workers each, $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
print_medians conns "$CONNS"
echo
for c in $CONNS; do
  printf 'arena-max-2 / glibc-default  c=%-4s throughput %s  p99 %s\n' "$c" "$(ratio "$(stat arena-max-2 "$c" 3)" "$(stat glibc-default "$c" 3)")" "$(ratio "$(stat arena-max-2 "$c" 5)" "$(stat glibc-default "$c" 5)")"
done
for name in "${NAMES[@]}"; do printf 'RSS after the load, %-14s %s MiB (primary + %s workers)\n' "$name" "$(tree_rss "${ROOT_PID[$name]}")" "$CORES"; done
