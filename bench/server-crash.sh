#!/bin/bash
# A site's only server killed (kill -9) under a GET loop, on a fresh `corral up` farm: how
# many requests failed, over how long, and the slowest. KIND=app: an app site (examples/
# node-app, 1 replica); KIND=static: a pooled static site (examples/static-site), its pool
# VS killed. The engine restarts the server; the router holds what no server took meanwhile
# (src/router/policy/recover-holds.ts). Ports 18080/18443/17400 on loopback.
# Run from a built checkout (npm run build): ROUNDS=3 KIND=app bash bench/server-crash.sh
set -u
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}; KIND=${KIND:-app}; SECONDS_LOAD=${SECONDS_LOAD:-12}; CONC=${CONC:-8}
if [ "$KIND" = app ]; then SITE=shop; DOMAIN=shop.bench.test; else SITE=www; DOMAIN=www.bench.test; fi
for round in $(seq 1 "$ROUNDS"); do
  D=$(mktemp -d /tmp/corral-crash-XXXX)
  node bin/corral.js up --dir "$D" --http-port 18080 --https-port 18443 --api-port 17400 > "$D.up.log" 2>&1 &
  UP=$!
  for _ in $(seq 1 240); do grep -q "Corral is up" "$D.up.log" && break; kill -0 $UP 2>/dev/null || break; sleep 0.5; done
  if ! grep -q "Corral is up" "$D.up.log"; then echo "corral up did not come up:" >&2; tail -5 "$D.up.log" >&2; kill -INT $UP 2>/dev/null; exit 1; fi
  C="node bin/corral.js --dir $D -q"
  $C customer create bench > /dev/null
  if [ "$KIND" = app ]; then
    $C site create $SITE --customer bench --domain $DOMAIN --kind app --command 'node server.js' --health /health --replicas 1 > /dev/null
    $C deploy examples/node-app --site $SITE > /dev/null
  else
    $C site create $SITE --customer bench --domain $DOMAIN --kind static > /dev/null
    $C deploy examples/static-site --site $SITE > /dev/null
  fi
  node bench/get-loop.mjs 18080 $DOMAIN "$SECONDS_LOAD" "$CONC" > "$D.load.json" &
  LOAD=$!
  sleep 3
  PID=$(node bin/corral.js --dir "$D" vs list --json | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const v = JSON.parse(s).virtualServers.find((x) => x.site === process.argv[1] || (x.pool ?? []).includes(process.argv[1]));
      console.log(v.pid);
    });' $SITE)
  kill -9 "$PID"
  wait $LOAD
  echo "{\"round\":$round,\"kind\":\"$KIND\",\"load\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"result\":$(cat "$D.load.json")}"
  kill -INT $UP; wait $UP
  rm -rf "$D" "$D.up.log" "$D.load.json"
done
