#!/usr/bin/env bash
# What the glibc malloc settings bin/corral.js's launcher gives every corral process on
# glibc, router workers among them (read from its line: MALLOC_ARENA_MAX, MALLOC_MMAP_THRESHOLD_) cost the router under
# load: the shipped router (dist/, one worker per core, per-site metrics on, as `corral up`
# runs it) in front of the two Node backends, with those settings and with glibc's
# defaults, in interleaved rounds; prints the medians of req/s, p50 and p99, and each
# contender's RSS (primary + workers, from /proc) after the load.
#
# Usage: npm run build && bench/router-malloc.sh     (env: SECONDS_PER_RUN=5 ROUNDS=5 CONNS="64 256" THREADS=2)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
ROUNDS=${ROUNDS:-5}
CONNS=${CONNS:-"64 256"}
THREADS=${THREADS:-2}
CORES=$(nproc)
# shellcheck source=bench/lib.sh
. bench/lib.sh corral-bench-malloc
# the launcher's defaults: `export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}" MALLOC_MMAP_THRESHOLD_="${…:-131072}"`
read -r -a SHIPPED <<<"$(sed -n 2p bin/corral.js | grep -oE 'MALLOC_[A-Z_]+="\$\{MALLOC_[A-Z_]+:-[0-9]+\}"' | sed -E 's/^(MALLOC_[A-Z_]+)="\$\{[A-Z_]+:-([0-9]+)\}"$/\1=\2/' | tr '\n' ' ')"
[[ ${#SHIPPED[@]} -eq 2 ]] || { echo "bin/corral.js's launcher (line 2) does not export MALLOC_ARENA_MAX and MALLOC_MMAP_THRESHOLD_ as expected: $(sed -n 2p bin/corral.js)" >&2; exit 1; }
echo "bin/corral.js sets: ${SHIPPED[*]}"
start_backends

start_router() { # name env-words…
  local name=$1 port; shift; port=$(free_port); PORT[$name]=$port
  start_logged "$name" "$port" env -u MALLOC_ARENA_MAX -u MALLOC_MMAP_THRESHOLD_ "$@" CORRAL_METRICS=1 CORRAL_LOG_LEVEL=warn node bench/router-server.mjs "$port" "$CORES" "$B1" "$B2"
  ROOT_PID[$name]=$LAST_PID
}
declare -A ROOT_PID
start_router glibc-default
start_router corral-malloc "${SHIPPED[@]}"
NAMES=(glibc-default corral-malloc)

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
  printf 'corral-malloc / glibc-default  c=%-4s throughput %s  p99 %s\n' "$c" "$(ratio "$(stat corral-malloc "$c" 3)" "$(stat glibc-default "$c" 3)")" "$(ratio "$(stat corral-malloc "$c" 5)" "$(stat glibc-default "$c" 5)")"
done
for name in "${NAMES[@]}"; do printf 'RSS after the load, %-14s %s MiB (primary + %s workers)\n' "$name" "$(tree_rss "${ROOT_PID[$name]}")" "$CORES"; done
