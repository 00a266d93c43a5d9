#!/usr/bin/env bash
# Router memory: the shipped router (dist/, 2 workers by default, per-site metrics on) in
# front of the two bench backends; RSS of its primary and of each worker idle, then the
# highest seen while wrk holds CONNS keep-alive connections for SECONDS_PER_RUN s (sampled
# every 0.2 s from /proc), then idle again after it. HAProxy (1 thread) under the same load beside it.
# Then a router node as `corral router --join` runs it (NODE=0 skips it): one etcd member, a
# controller and the router with WORKERS workers; the RSS of its primary (which also holds
# the etcd client, the route and certificate watches and the workers' summed metrics) and
# of its workers, once it is up and 10 s later. HOLD=<seconds> keeps the router node up that long
# after (its pids printed) for a heap snapshot or a profiler.
# Usage: bench/router-memory.sh     (env: WORKERS=2 CONNS=64 SECONDS_PER_RUN=10 THREADS=2 NODE=1 HOLD=0; run `npm run build` first)
set -euo pipefail
cd "$(dirname "$0")/.."
WORKERS=${WORKERS:-2}
CONNS=${CONNS:-64}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
THREADS=${THREADS:-2}
# shellcheck source=bench/lib.sh
. bench/lib.sh corral-bench-memory
start_backends

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
tree() { echo "$1"; pgrep -P "$1" || true; } # a process and its children (the router's workers)
rss_line() { for p in $(tree "$1"); do printf '%s:%d ' "$p" "$(( $(rss_kb "$p") / 1024 ))"; done; } # pid:MB of each, primary first
# the highest RSS of each process in `tree pid` while the load runs
peak_under_load() { # pid url
  local pid=$1 url=$2 p; declare -A peak
  wrk -t"$THREADS" -c"$CONNS" -d"${SECONDS_PER_RUN}s" -H 'Host: bench.test' "$url" >"$WORK/wrk.out" & local w=$!
  while kill -0 "$w" 2>/dev/null; do
    for p in $(tree "$pid"); do local r; r=$(rss_kb "$p"); (( r > ${peak[$p]:-0} )) && peak[$p]=$r; done
    sleep 0.2
  done
  for p in $(tree "$pid"); do printf '%s:%d ' "$p" "$(( ${peak[$p]:-0} / 1024 ))"; done
  awk '/Requests\/sec/ { printf " (%d req/s)", $2 }' "$WORK/wrk.out"
}

port=$(free_port)
start_logged corral "$port" env CORRAL_METRICS=1 node bench/router-server.mjs "$port" "$WORKERS" "$B1" "$B2"
corral=$LAST_PID
start_haproxy haproxy 1; haproxy=$LAST_PID
for _ in $(seq 1 50); do [ "$(pgrep -cP "$corral")" -ge "$WORKERS" ] && break; sleep 0.1; done
wrk -t1 -c8 -d1s -H 'Host: bench.test' "http://127.0.0.1:$port/" >/dev/null # warm-up
echo "$(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg), wrk -t$THREADS -c$CONNS ${SECONDS_PER_RUN}s"
echo "corral idle (pid:MB, primary first): $(rss_line "$corral")"
echo "corral under load, peak:            $(peak_under_load "$corral" "http://127.0.0.1:$port/")"
echo "corral idle after the load:          $(rss_line "$corral")"
echo "haproxy (1 thread) under load, peak: $(peak_under_load "$haproxy" "http://127.0.0.1:${PORT[haproxy]}/")"

[ "${NODE:-1}" = 0 ] && exit 0
etcd_port=$(free_port); peer_port=$(free_port)
start_logged etcd "$etcd_port" etcd --data-dir "$WORK/etcd" --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" --initial-cluster "default=http://127.0.0.1:$peer_port"
api_port=$(free_port)
start_logged controller "$api_port" node bin/corral.js controller --store "etcd://127.0.0.1:$etcd_port" --dir "$WORK/controller" --api-port "$api_port" --host 127.0.0.1 --id c1
join=$(CORRAL_API="http://127.0.0.1:$api_port" CORRAL_TOKEN=$(cat "$WORK/controller/admin-token") node bin/corral.js join-token create --name bench | awk '/token:/ { print $2 }')
node_port=$(free_port)
start_logged router "$node_port" node bin/corral.js router --join "http://127.0.0.1:$api_port" --token "$join" --http-port "$node_port" --host 127.0.0.1 --id r1 --workers "$WORKERS"
node_pid=$LAST_PID
for _ in $(seq 1 100); do grep -q 'up at' "$WORK/router.out" && break; sleep 0.1; done
echo "corral router node up (pid:MB, primary first): $(rss_line "$node_pid")"
sleep 10
echo "corral router node 10 s later:                $(rss_line "$node_pid")"
if [ "${HOLD:-0}" != 0 ]; then echo "holding the router node ($node_pid) for $HOLD s"; sleep "$HOLD"; fi
