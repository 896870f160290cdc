#!/usr/bin/env bash
# The event-loop soak (issue 18): capstan in front of the simulator under load for SOAK_SECONDS
# with idle timeouts firing throughout. Both close keep-alive connections idle for IDLE_MS; a
# steady wrk keeps 32 connections busy; every 2 s a burst of 96 more connections leaves capstan's
# upstream pool holding idle connections that the simulator then times out (its pending read is
# cancelled); and 100 client connections at a time sit idle on capstan until it times them out.
# It passes (exit 0) when both processes are still alive at the end, their stderr holds no
# sanitizer report, and every answer wrk counted was a 2xx. Not part of scripts/test (it takes
# ten minutes): run it by hand against each build, e.g. an ASan one:
#
#   CAPSTAN_BIN_DIR=build/uring-asan/bin bench/soak.sh
#
# Environment: SOAK_SECONDS (600), IDLE_MS (200), CAPSTAN_BIN_DIR (build/release/bin).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
bench_require wrk curl
# The helper comes from a build with the bench targets (a sanitizer build may have none).
hold=$BENCH_BIN/hold_connections
[[ -x $hold ]] || hold=$BENCH_ROOT/build/release/bin/hold_connections
[[ -x $hold ]] || bench_die "no hold_connections (build the release preset's bench targets)"
soak=${SOAK_SECONDS:-600}
idle=${IDLE_MS:-200}

bench_start_sim --idle-timeout-ms "$idle"
bench_start_capstan "$SIM_URL" --idle-timeout-ms "$idle" --control-port 0
control=$(bench_wait_line "$(ls "$BENCH_TMP"/capstan.*.out | head -1)" \
  "^capstan: control adapter.* listening on (http://[^ ]+).*")
path="/v1/iam/v1alpha1/jwts?audience_id=$BENCH_AUDIENCE&page_size=20"
url=$CAPSTAN_REST$path
curl -sf -o /dev/null "$url" || bench_die "capstan does not answer $url"
backend=$("$BENCH_BIN/capstan" version 2>/dev/null | grep -o 'io_uring\|epoll' | head -1 || true)
echo "soak: ${soak}s, idle timeouts ${idle} ms, capstan and simulator from $BENCH_BIN" \
  "(event loops: ${backend:-unknown})"

end=$((SECONDS + soak))
wrk -t1 -c32 -d"${soak}s" "$url" >"$BENCH_TMP/steady.wrk" &
steady=$!
bursts=0 burst_bad=0 holds=0
# Bursts and idle clients until the steady load ends.
while ((SECONDS < end - 3)); do
  wrk -t1 -c96 -d1s "$url" >"$BENCH_TMP/burst.wrk" 2>&1 || true
  bad=$(awk '/Non-2xx or 3xx responses:/ {print $5}' "$BENCH_TMP/burst.wrk")
  burst_bad=$((burst_bad + ${bad:-0}))
  bursts=$((bursts + 1))
  # 100 connections that each get one answer, then idle past capstan's timeout.
  sleep 1 | "$hold" --port "$(bench_port "$CAPSTAN_REST")" --path "$path" --count 100 \
    >/dev/null 2>&1 || true
  holds=$((holds + 1))
  kill -0 "$CAPSTAN_PID" 2>/dev/null || break
  kill -0 "$SIM_PID" 2>/dev/null || break
done
wait "$steady" || true

status=0
alive() { kill -0 "$1" 2>/dev/null && echo alive || { echo DEAD; status=1; }; }
echo "capstan: $(alive "$CAPSTAN_PID"); simulator: $(alive "$SIM_PID")"
steady_rps=$(awk '/^Requests\/sec/ {printf "%d", $2}' "$BENCH_TMP/steady.wrk")
steady_total=$(awk '/requests in/ {print $1}' "$BENCH_TMP/steady.wrk")
steady_bad=$(awk '/Non-2xx or 3xx responses:/ {print $5}' "$BENCH_TMP/steady.wrk")
socket_errors=$(grep -o 'Socket errors:.*' "$BENCH_TMP/steady.wrk" || true)
echo "steady wrk: ${steady_total:-0} requests (${steady_rps:-0} req/s), non-2xx ${steady_bad:-0}" \
  "${socket_errors:+($socket_errors)}"
echo "bursts: $bursts of 96 connections for 1 s, non-2xx $burst_bad; idle-client rounds: $holds"
metrics=$(curl -sf "$control/metrics" || true)
opened=$(awk '/^capstan_upstream_connections_opened_total/ {s += $2} END {printf "%d", s}' <<<"$metrics")
echo "capstan opened ${opened:-?} upstream connections (each beyond the pool's first was reopened" \
  "after the simulator timed an idle one out)"
((${steady_bad:-0} + burst_bad == 0)) || status=1
[[ -z $socket_errors ]] || echo "(wrk socket errors are its own timeouts and resets; see above)"
reports=$(grep -l -E 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer|malloc\(\)|double free' \
  "$BENCH_TMP"/*.err 2>/dev/null || true)
if [[ -n $reports ]]; then
  echo "sanitizer or allocator reports in:"
  for f in $reports; do
    echo "== $f"
    head -40 "$f"
  done
  status=1
fi
((status == 0)) && echo "soak: passed" || echo "soak: FAILED"
exit "$status"
