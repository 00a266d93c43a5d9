# Shared by the router benchmarks (router.sh, router-tls.sh, router-cpu.sh): a work folder
# and the processes to stop on exit, free ports, starting a contender and waiting for its
# port, the two Node backends, HAProxy in front of them (plain, or also TLS), and the wrk
# runs, interleaved rounds and medians the summaries print.
# Source it from the repository root: `. bench/lib.sh <work-folder-prefix>`.

WORK=$(mktemp -d "/tmp/$1.XXXXXX")
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
declare -A PORT TLSPORT

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
wait_port() { for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 never opened" >&2; return 1; }

# Run a contender in the background (output in $WORK/<name>.out, its pid in $LAST_PID) and
# wait until each port listens; if one never does, show its output and stop.
start_logged() { # name "port…" command…
  local name=$1 ports=$2 port; shift 2
  "$@" >"$WORK/$name.out" 2>&1 & PIDS+=($!)
  LAST_PID=$!
  for port in $ports; do wait_port "$port" || { cat "$WORK/$name.out" >&2; exit 1; }; done
}

# The two backends every contender proxies to: $B1 and $B2.
start_backends() {
  B1=$(free_port); B2=$(free_port)
  node bench/router-backend.mjs "$B1" & PIDS+=($!)
  node bench/router-backend.mjs "$B2" & PIDS+=($!)
  wait_port "$B1"; wait_port "$B2"
}

# HAProxy 2.6 with `threads` threads in front of both backends on PORT[name]; given a PEM
# (certificate and key in one file), also TLS (h2 and http/1.1 by ALPN) on TLSPORT[name].
# Its pid is $LAST_PID.
start_haproxy() { # name threads [pem]
  local port tport=''; port=$(free_port); PORT[$1]=$port
  if [ -n "${3:-}" ]; then tport=$(free_port); TLSPORT[$1]=$tport; fi
  {
    echo "global"
    echo "  nbthread $2"
    echo "  maxconn 8000"
    if [ -n "$tport" ]; then echo "  ssl-default-bind-options ssl-min-ver TLSv1.2"; fi
    cat <<CFG
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
    if [ -n "$tport" ]; then cat <<CFG
frontend tls
  bind 127.0.0.1:$tport ssl crt $3 alpn h2,http/1.1
  http-request set-header X-Forwarded-Proto https
  default_backend b
CFG
    fi
  } >"$WORK/$1.cfg"
  start_logged "$1" "$port $tport" haproxy -f "$WORK/$1.cfg" -db
}

# A Corral router from a bench/*.ts server script, raw front on (1) or off (0).
start_corral_script() { # name "port…" raw-front script args…
  local name=$1 ports=$2 raw=$3; shift 3
  start_logged "$name" "$ports" env CORRAL_RAW_FRONT="$raw" CORRAL_ROUTER_SOURCE=1 CORRAL_LOG_LEVEL=warn node --import tsx "$@"
}

# One wrk run with $THREADS threads for $SECONDS_PER_RUN s → "req/s p50_ms p99_ms errors"
# (errors: non-2xx answers and socket errors).
wrk_run() { # conns url [extra wrk args]
  local conns=$1 url=$2; shift 2
  local out; out=$(wrk -t"$THREADS" -c"$conns" -d"${SECONDS_PER_RUN}s" --latency -H 'Host: bench.test' "$@" "$url")
  local rps p50 p99 errs
  rps=$(awk '/Requests\/sec/ { printf "%d", $2 }' <<<"$out")
  p50=$(awk '$1=="50%" { print $2 }' <<<"$out" | to_ms)
  p99=$(awk '$1=="99%" { print $2 }' <<<"$out" | to_ms)
  errs=$(awk '/Non-2xx/ { n+=$NF } /Socket errors/ { gsub(/,/, ""); n+=$4+$6+$8+$10 } END { print n+0 }' <<<"$out")
  echo "$rps $p50 $p99 $errs"
}
to_ms() { awk '{ v=$1; if (v ~ /us$/) { sub(/us$/,"",v); v=v/1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v) } else if (v ~ /s$/) { sub(/s$/,"",v); v=v*1000 } printf "%.2f", v }'; }

# $ROUNDS interleaved rounds: for each case, every contender in NAMES in turn; `run_one
# name case` prints "req/s p50 p99 errors", kept in $WORK/results as "name case …".
run_rounds() { # run_one "case…"
  local round c name
  for round in $(seq 1 "$ROUNDS"); do
    for c in $2; do
      for name in "${NAMES[@]}"; do echo "$name $c $($1 "$name" "$c")" >>"$WORK/results"; done
    done
    echo "round $round done" >&2
  done
}

# The median over the rounds of one field (3 req/s, 4 p50, 5 p99, 6 errors) of a contender's case.
median() { sort -n | awk '{ a[NR]=$1 } END { if (NR == 0) print 0; else print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2) }'; }
stat() { awk -v n="$1" -v c="$2" -v f="$3" '$1==n && $2==c { print $f }' "$WORK/results" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a/b; else printf "n/a" }'; }

# The medians, one line per case and contender.
print_medians() { # case-title "case…"
  local c name
  printf '%-16s %6s %10s %9s %9s %7s\n' target "$1" req/s p50_ms p99_ms errors
  for c in $2; do
    for name in "${NAMES[@]}"; do
      printf '%-16s %6s %10s %9s %9s %7s\n' "$name" "$c" "$(stat "$name" "$c" 3)" "$(stat "$name" "$c" 4)" "$(stat "$name" "$c" 5)" "$(stat "$name" "$c" 6)"
    done
  done
}
