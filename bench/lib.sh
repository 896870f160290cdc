# Shared helpers for the load scenarios in bench/ (sourced, not run): a scratch folder, processes
# that are stopped on exit, a static nginx upstream, an nginx reverse proxy, the simulator, capstan,
# and a wrk run reduced to "req/s p50 p99".
# shellcheck shell=bash

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_BIN=${CAPSTAN_BIN_DIR:-$BENCH_ROOT/build/release/bin}
BENCH_TOKEN=6c7ef130-6442-42fd-b525-ccf941221566
BENCH_AUDIENCE=e41b66d4-13c6-4bdc-a996-431cfcb2185a
BENCH_SEED=$BENCH_ROOT/capabilities/scaleway-iam-jwts.yaml
BENCH_PIDS=()
BENCH_TMP=$(mktemp -d /tmp/capstan-bench.XXXXXX)
chmod 755 "$BENCH_TMP"  # nginx workers run as an unprivileged user

bench_cleanup() {
  local pid dead=() err
  # A server that died before the end of its run: noted, with what it wrote on stderr, before
  # the scratch folder (and its .err files) goes.
  for pid in "${BENCH_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || dead+=("$pid"); done
  for pid in "${BENCH_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${BENCH_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if ((${#dead[@]})); then
    echo "bench: process(es) ${dead[*]} had exited before the end of the run" >&2
    for err in "$BENCH_TMP"/*.err; do
      [[ -s $err ]] && { echo "--- ${err##*/} (last lines)" >&2; tail -5 "$err" >&2; }
    done
  fi
  rm -rf "$BENCH_TMP"
}
trap bench_cleanup EXIT

# bench_stop PID...: stops processes this script started (and waits for them) before the end of
# the run, so that bench_cleanup does not report them as having died.
bench_stop() {
  local pid keep=() stopping=" $* "
  kill "$@" 2>/dev/null || true
  for pid in "$@"; do wait "$pid" 2>/dev/null || true; done
  for pid in "${BENCH_PIDS[@]}"; do [[ $stopping == *" $pid "* ]] || keep+=("$pid"); done
  BENCH_PIDS=("${keep[@]}")
}

bench_die() {
  echo "bench: $*" >&2
  exit 2
}

# bench_require CMD...: every command must be on PATH (the scripts do not install anything).
bench_require() {
  local cmd
  for cmd in "$@"; do
    command -v "$cmd" >/dev/null || bench_die "$cmd is not installed (scripts/setup installs it)"
  done
  [[ -x $BENCH_BIN/capstan && -x $BENCH_BIN/scaleway-iam-sim ]] ||
    bench_die "no capstan / scaleway-iam-sim in $BENCH_BIN (run scripts/build release)"
}

# bench_free_port: a TCP port nobody listens on now (for nginx, which cannot bind port 0 usefully).
bench_free_port() {
  local port
  for _ in $(seq 100); do
    port=$((20000 + RANDOM % 30000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return 0; }
  done
  bench_die "no free port found"
}

# bench_wait_line FILE REGEX: waits (5 s at most) for a line of FILE matching REGEX, prints the
# first capture group of sed -E.
bench_wait_line() {
  local file=$1 regex=$2 value=""
  for _ in $(seq 200); do
    value=$(sed -nE "s#$regex#\\1#p" "$file" 2>/dev/null | head -1)
    [[ -n $value ]] && break
    sleep 0.025
  done
  [[ -n $value ]] || { cat "$file" >&2; bench_die "no line matching '$regex' in $file"; }
  printf '%s\n' "$value"
}

# bench_wait_http URL: waits until URL answers anything over HTTP.
bench_wait_http() {
  for _ in $(seq 200); do
    curl -s -o /dev/null "$1" && return 0
    sleep 0.025
  done
  bench_die "$1 does not answer"
}

# The bench_start_* functions run in the calling shell (not in $(...), whose pipe a background
# child would hold open) and leave their result in a variable named in their comment.

# bench_start_sim [ARGS...] → SIM_URL, SIM_PID.
bench_start_sim() {
  local out=$BENCH_TMP/sim.$RANDOM.out
  "$BENCH_BIN/scaleway-iam-sim" --port 0 --no-access-log "$@" >"$out" 2>"$out.err" &
  SIM_PID=$!
  BENCH_PIDS+=("$SIM_PID")
  SIM_URL=$(bench_wait_line "$out" '^listening on (http://[^ ]+).*')
}

# bench_start_nginx_static FILE → STATIC_URL, STATIC_PID: an nginx that answers every GET with FILE
# as application/json (keep-alive, no logs): the fastest upstream this machine can offer.
bench_start_nginx_static() {
  bench_nginx_dir static
  cp "$1" "$BENCH_NGINX_DIR/body.json"
  bench_run_nginx "
    root $BENCH_NGINX_DIR;
    default_type application/json;
    location / { try_files /body.json =404; }"
  STATIC_URL=$NGINX_URL
  STATIC_PID=$NGINX_PID
}

# bench_start_nginx_proxy UPSTREAM_URL → PROXY_URL, PROXY_PID: an nginx reverse proxy that maps
# /v1/X to UPSTREAM/X with pooled keep-alive connections and injects X-Auth-Token, as capstan
# does for the seed capability.
bench_start_nginx_proxy() {
  bench_nginx_dir proxy
  bench_run_nginx "
    location /v1/ {
      proxy_pass http://api/;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_set_header X-Auth-Token \"$BENCH_TOKEN\";
      proxy_buffering on;
    }" "upstream api { server ${1#http://}; keepalive 256; keepalive_requests 1000000; }"
  PROXY_URL=$NGINX_URL
  PROXY_PID=$NGINX_PID
}

# bench_start_haproxy UPSTREAM_URL → HAPROXY_URL, HAPROXY_PID: HAProxy (Debian's haproxy) as the
# same reverse proxy: /v1/X to UPSTREAM/X, keep-alive to the upstream with connection reuse, the
# X-Auth-Token injected; one thread per core, no logs.
bench_start_haproxy() {
  local dir=$BENCH_TMP/haproxy-$RANDOM port
  mkdir -p "$dir"
  port=$(bench_free_port)
  cat >"$dir/haproxy.cfg" <<EOF
global
  maxconn 8000
  nbthread $(nproc)
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s
  option http-keep-alive
  http-reuse always
frontend bench
  bind 127.0.0.1:$port
  default_backend api
backend api
  http-request replace-path ^/v1(/.*) \\1
  http-request set-header X-Auth-Token "$BENCH_TOKEN"
  server up ${1#http://} maxconn 1000
EOF
  haproxy -db -f "$dir/haproxy.cfg" >"$dir/log" 2>&1 &
  HAPROXY_PID=$!
  BENCH_PIDS+=("$HAPROXY_PID")
  HAPROXY_URL=http://127.0.0.1:$port
  for _ in $(seq 200); do
    curl -s -o /dev/null "$HAPROXY_URL/" && return 0
    sleep 0.025
  done
  cat "$dir/log" >&2
  bench_die "HAProxy on $HAPROXY_URL does not answer"
}

# bench_nginx_dir NAME → BENCH_NGINX_DIR: a fresh folder for one nginx instance.
bench_nginx_dir() {
  BENCH_NGINX_DIR=$BENCH_TMP/nginx-$1-$RANDOM
  mkdir -p "$BENCH_NGINX_DIR"
}

# bench_run_nginx SERVER_BODY [HTTP_EXTRA] → NGINX_URL, NGINX_PID: nginx in the foreground (a child
# we can stop) in BENCH_NGINX_DIR, on a free loopback port, as many workers as cores, no access
# log, unlimited keep-alive requests; SERVER_BODY goes into its one server block.
bench_run_nginx() {
  local dir=$BENCH_NGINX_DIR port
  port=$(bench_free_port)
  cat >"$dir/nginx.conf" <<EOF
daemon off;
worker_processes auto;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/tmp; proxy_temp_path $dir/tmp; fastcgi_temp_path $dir/tmp;
  uwsgi_temp_path $dir/tmp; scgi_temp_path $dir/tmp;
  keepalive_requests 1000000;
  ${2:-}
  server {
    listen 127.0.0.1:$port reuseport;
    $1
  }
}
EOF
  nginx -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/stdout" 2>&1 &
  NGINX_PID=$!
  BENCH_PIDS+=("$NGINX_PID")
  NGINX_URL=http://127.0.0.1:$port
  bench_wait_http "$NGINX_URL/"
}

# bench_start_capstan UPSTREAM_URL [ARGS...] → CAPSTAN_REST, CAPSTAN_MCP (base URLs), CAPSTAN_PID:
# capstan serving the seed capability in front of UPSTREAM_URL (ephemeral ports, no access log).
bench_start_capstan() {
  local upstream=$1 out=$BENCH_TMP/capstan.$RANDOM.out
  shift
  SCALEWAY_API_KEY=$BENCH_TOKEN "${BENCH_CAPSTAN:-$BENCH_BIN/capstan}" serve "$BENCH_SEED" --no-access-log \
    --base-uri "iam-jwts=$upstream" --port iam-jwts-rest=0 --port iam-jwts-mcp=0 "$@" >"$out" 2>"$out.err" &
  CAPSTAN_PID=$!
  BENCH_PIDS+=("$CAPSTAN_PID")
  CAPSTAN_REST=$(bench_wait_line "$out" "^capstan: rest adapter .* listening on (http://[^ ]+).*")
  CAPSTAN_MCP=$(bench_wait_line "$out" "^capstan: mcp adapter .* listening on (http://[^ ]+).*")
}

# bench_ms VALUE: wrk's latency ("812.00us", "1.20ms", "2.01s") in milliseconds.
bench_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n *= 1; else if (v ~ /s$/) n *= 1000
    printf "%.3f", n }'
}

# bench_wrk URL [WRK ARGS...] → prints "RPS P50_MS P99_MS NON2XX" (CONNECTIONS, DURATION,
# WRK_THREADS from the environment). With BENCH_WRK_LOG set, wrk's whole output (including what a
# -s script prints) is also written to that file.
bench_wrk() {
  local url=$1 out
  shift
  out=$(wrk -t"${WRK_THREADS:-2}" -c"${CONNECTIONS:-64}" -d"${DURATION:-10s}" --latency "$@" "$url")
  [[ -n ${BENCH_WRK_LOG:-} ]] && printf '%s\n' "$out" >"$BENCH_WRK_LOG"
  local rps p50 p99 bad
  rps=$(awk '/^Requests\/sec/ {printf "%d", $2}' <<<"$out")
  p50=$(bench_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
  p99=$(bench_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  bad=$(awk '/Non-2xx or 3xx responses/ {print $NF}' <<<"$out")
  echo "$rps $p50 $p99 ${bad:-0}"
}

# bench_median FORMAT V... → the median of the numbers given, printed with the awk printf FORMAT
# ("n/a" ones are left out; the mean of the middle two for an even count). The scenarios run each
# target ROUNDS times, interleaved, and compare medians: on shared cores one run can be 20 % off
# and would decide a ratio alone.
bench_median() {
  local format=$1
  shift
  printf '%s\n' "$@" | awk -v f="$format" '$1 != "n/a" && $1 != "" { v[n++] = $1 + 0 }
    END {
      if (n == 0) { print "n/a"; exit }
      for (i = 1; i < n; i++) for (j = i; j > 0 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
      printf f "\n", (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2
    }'
}

# bench_round_median TARGET COLUMN → the median over ROUNDS rounds of COLUMN, an associative
# array keyed "TARGET ROUND" (rps, bad: whole numbers; cpu: one decimal; the rest: three).
bench_round_median() {
  local -n column=$2
  local values=() i format=%.3f
  for ((i = 1; i <= $(bench_rounds); i++)); do values+=("${column[$1 $i]}"); done
  case $2 in rps | bad | errors) format=%.0f ;; cpu | sys) format=%.1f ;; esac
  bench_median "$format" "${values[@]}"
}

# bench_round_order ROUND TARGET... → the targets, one per line, rotated by ROUND - 1: each
# target runs first in one round and after each other one in another, so that what a run leaves
# behind (a Node server still draining its queue, a cold cache) does not always land on the same
# target.
bench_round_order() {
  local round=$1
  shift
  local targets=("$@") i n=$#
  for ((i = 0; i < n; i++)); do echo "${targets[(i + round - 1) % n]}"; done
}

# bench_settle: a SETTLE-long pause (default 2 s) before a measured run, for the previous run's
# servers to drain what they still had queued.
bench_settle() { sleep "${SETTLE:-2}"; }

# bench_measure TARGET ROUND URL PID [WRK ARGS...]: after a SETTLE pause, one wrk run of URL
# with the CPU time of PID (bench_wrk_cpu); stores req/s, p50, p99, non-2xx, cpu µs/req and its
# system (kernel) part under "TARGET ROUND" in the caller's associative arrays rps, p50, p99,
# bad, cpu and sys.
bench_measure() {
  local k="$1 $2" url=$3 pid=$4 r a b n c y
  shift 4
  bench_settle
  read -r r a b n c y < <(bench_wrk_cpu "$pid" "$url" "$@")
  rps[$k]=$r p50[$k]=$a p99[$k]=$b bad[$k]=$n cpu[$k]=$c sys[$k]=$y
}

# bench_rounds → ROUNDS from the environment (default 3), checked to be a positive integer.
bench_rounds() {
  local n=${ROUNDS:-3}
  [[ $n =~ ^[1-9][0-9]*$ ]] || bench_die "ROUNDS must be a positive integer, not '$n'"
  echo "$n"
}

# bench_warm URL [WRK ARGS...]: a WARMUP-long (default 2s) wrk run whose figures are thrown
# away, so that no target is measured cold (the Node baseline's JIT, first connections).
bench_warm() {
  local url=$1
  shift
  wrk -t"${WRK_THREADS:-2}" -c"${CONNECTIONS:-64}" -d"${WARMUP:-2s}" "$@" "$url" >/dev/null
}

# bench_ratio A B → A/B with two decimals.
bench_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# bench_cpu_ticks PID... → "TOTAL SYSTEM": CPU time (user + system, and system alone, in clock
# ticks) used so far by each PID and its direct children (nginx's workers), summed.
bench_cpu_ticks() {
  local pid all=() total=0 system=0 t k
  for pid in "$@"; do
    all+=("$pid")
    mapfile -t -O "${#all[@]}" all < <(pgrep -P "$pid" || true)
  done
  for pid in "${all[@]}"; do
    # Fields 14 and 15 (utime, stime), counted after the ")" that ends the command name.
    read -r t k < <(sed -E 's/^.*\) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13, $13}')
    total=$((total + ${t:-0})) system=$((system + ${k:-0}))
  done
  echo "$total $system"
}

# bench_wrk_cpu PID URL [WRK ARGS...] → "RPS P50_MS P99_MS NON2XX CPU_US_PER_REQUEST
# SYS_US_PER_REQUEST": the CPU time PID (and its children) spent per request during the run, all
# of it and the kernel's share (system time: the sockets' sends and receives): on a machine that
# also runs the load generator and the upstream, a steadier measure of cost than req/s.
bench_wrk_cpu() {
  local pid=$1 t0 k0 t1 k1 r a b bad hz
  shift
  hz=$(getconf CLK_TCK)
  read -r t0 k0 < <(bench_cpu_ticks "$pid")
  read -r r a b bad < <(bench_wrk "$@")
  read -r t1 k1 < <(bench_cpu_ticks "$pid")
  local seconds=${DURATION:-10s}
  seconds=${seconds%s}
  per_request() {
    awk -v t="$1" -v hz="$hz" -v r="$r" -v s="$seconds" \
      'BEGIN { if (r > 0) printf "%.1f", t / hz * 1e6 / (r * s); else print "n/a" }'
  }
  echo "$r $a $b $bad $(per_request $((t1 - t0))) $(per_request $((k1 - k0)))"
}

# bench_mcp_post URL JSON: POSTs one JSON-RPC message to a Streamable HTTP MCP endpoint with the
# headers a client sends (no session; MCP_PROTOCOL_VERSION, default 2025-11-25) and prints the
# response body; fails unless the answer is 2xx.
bench_mcp_post() {
  curl -sf -X POST "$1" -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' \
    -H "MCP-Protocol-Version: ${MCP_PROTOCOL_VERSION:-2025-11-25}" --data-binary "$2"
}

# bench_mcp_errors FILE → the error count that bench/wrk/mcp-call.lua printed in a BENCH_WRK_LOG
# file ("n/a" when it printed none).
bench_mcp_errors() {
  awk '$1 == "mcp:" { e = $5 } END { print (e == "" ? "n/a" : e) }' "$1"
}

# bench_rss_kb PID: resident set size (VmRSS) of PID in KiB.
bench_rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# bench_port URL: the port of http://HOST:PORT.
bench_port() { sed -E 's#.*:([0-9]+)/?$#\1#' <<<"$1"; }

# bench_list_body UPSTREAM_URL → LIST_BODY: a file holding UPSTREAM's answer to the list request
# (GET /iam/v1alpha1/jwts?BENCH_LIST_QUERY: one page of 20 JWTs), the body a static upstream serves.
BENCH_LIST_QUERY="audience_id=$BENCH_AUDIENCE&page_size=20"
bench_list_body() {
  LIST_BODY=$BENCH_TMP/list.json
  curl -sf -H "X-Auth-Token: $BENCH_TOKEN" "$1/iam/v1alpha1/jwts?$BENCH_LIST_QUERY" >"$LIST_BODY" ||
    bench_die "$1 does not answer the list request"
}

# bench_machine: prints the "machine: N cores, CPU model" line of a report.
bench_machine() {
  echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
}
