#!/usr/bin/env bash
# System calls per proxied request, for capstan, nginx and HAProxy side by side: each proxies the
# seed's list to the same static nginx upstream under the load bench/rest.sh uses, while
# `perf stat -e raw_syscalls:sys_enter` counts the system calls of the proxy's processes (all
# threads; nginx's workers). Per request = calls / requests wrk completed in that window.
# Not a test: nothing asserts. Needs perf (Debian's linux-perf) and tracepoints readable.
#
# Usage: bench/syscalls.sh   Environment: DURATION (5s), CONNECTIONS (64), WRK_THREADS (2),
#        CAPSTAN_BIN_DIR (build/release/bin). Beside an io_uring build, its epoll twin
#        (bin/capstan-epoll) is measured too.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
bench_require wrk curl perf nginx haproxy

bench_start_sim
bench_list_body "$SIM_URL"
bench_start_nginx_static "$LIST_BODY"
upstream=$STATIC_URL
path="/v1/iam/v1alpha1/jwts?$BENCH_LIST_QUERY"

# The process and its children (nginx's workers).
pids_of() { { echo "$1"; pgrep -P "$1" || true; } | paste -sd, -; }

measure() {  # NAME URL PID
  local name=$1 url=$2 pid=$3 pids out calls requests
  curl -sf -o /dev/null "$url$path" || bench_die "$name does not answer $url$path"
  pids=$(pids_of "$pid")
  wrk -t"${WRK_THREADS:-2}" -c"${CONNECTIONS:-64}" -d2s "$url$path" >/dev/null  # warm-up
  perf stat -x, -e raw_syscalls:sys_enter -p "$pids" -o "$BENCH_TMP/perf.$name" &
  local perf_pid=$!
  sleep 0.2
  out=$(wrk -t"${WRK_THREADS:-2}" -c"${CONNECTIONS:-64}" -d"${DURATION:-5s}" "$url$path")
  sleep 0.2
  kill -INT "$perf_pid"
  wait "$perf_pid" 2>/dev/null || true
  calls=$(awk -F, '/raw_syscalls:sys_enter/ {print $1}' "$BENCH_TMP/perf.$name")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  printf '%-12s %10s %10s %10s\n' "$name" "$requests" "$calls" \
    "$(awk -v c="$calls" -v r="$requests" 'BEGIN { if (r > 0) printf "%.2f", c / r; else print "n/a" }')"
}

echo "system calls per request: the seed's list ($(wc -c <"$LIST_BODY") bytes) from a static nginx;" \
  "wrk -t${WRK_THREADS:-2} -c${CONNECTIONS:-64} -d${DURATION:-5s}"
printf '%-12s %10s %10s %10s\n' target requests syscalls per-request
bench_start_nginx_proxy "$upstream"
measure nginx "$PROXY_URL" "$PROXY_PID"
bench_start_haproxy "$upstream"
measure haproxy "$HAPROXY_URL" "$HAPROXY_PID"
bench_start_capstan "$upstream"
measure capstan "$CAPSTAN_REST" "$CAPSTAN_PID"
if [[ -x $BENCH_BIN/capstan-epoll ]]; then
  BENCH_CAPSTAN=$BENCH_BIN/capstan-epoll bench_start_capstan "$upstream"
  measure capstan-epoll "$CAPSTAN_REST" "$CAPSTAN_PID"
fi
