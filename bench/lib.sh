# Shared by the router benchmarks (router.sh, router-cpu.sh): a work folder and the
# processes to stop on exit, free ports, the two Node backends, and HAProxy in front of
# them. Source it from the repository root: `. bench/lib.sh <work-folder-prefix>`.

WORK=$(mktemp -d "/tmp/$1.XXXXXX")
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
declare -A PORT

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
wait_port() { for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 never opened" >&2; return 1; }

# The two backends every contender proxies to: $B1 and $B2.
start_backends() {
  B1=$(free_port); B2=$(free_port)
  node bench/router-backend.mjs "$B1" & PIDS+=($!)
  node bench/router-backend.mjs "$B2" & PIDS+=($!)
  wait_port "$B1"; wait_port "$B2"
}

# HAProxy 2.6 with `threads` threads in front of both backends; its pid is $LAST_PID.
start_haproxy() { # name threads
  local port; port=$(free_port); PORT[$1]=$port
  cat >"$WORK/$1.cfg" <<CFG
global
  nbthread $2
  maxconn 8000
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
  option forwardfor
frontend f
  bind 127.0.0.1:$port
  default_backend b
backend b
  balance roundrobin
  http-reuse always
  server s1 127.0.0.1:$B1
  server s2 127.0.0.1:$B2
CFG
  haproxy -f "$WORK/$1.cfg" -db >"$WORK/$1.out" 2>&1 & PIDS+=($!)
  LAST_PID=$!
  wait_port "$port" || { cat "$WORK/$1.out" >&2; exit 1; }
}
