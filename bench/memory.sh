#!/usr/bin/env bash
# P4: capstan's resident memory (VmRSS) idle, holding 1,000 keep-alive connections (each has
# served one list request), under wrk load on 1,000 connections, and over a soak (wrk, 64
# connections) sampled every 10 s; growth is the last sample against the one at 60 s (after the
# allocator and the connection pools have warmed up). Upstream: scaleway-iam-sim.
# Not a test: nothing asserts.
#
# Usage: bench/memory.sh   Environment: SOAK_SECONDS (600), CAPSTAN_BIN_DIR (build/release/bin).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
bench_require wrk curl
hold=$BENCH_BIN/hold_connections
[[ -x $hold ]] || bench_die "no $hold (build the hold_connections target)"
soak=${SOAK_SECONDS:-600}
(( soak >= 70 )) || bench_die "SOAK_SECONDS must be at least 70 (growth is measured from 60 s)"

bench_start_sim
bench_start_capstan "$SIM_URL"
path="/v1/iam/v1alpha1/jwts?audience_id=$BENCH_AUDIENCE&page_size=20"
url=$CAPSTAN_REST$path
curl -sf -o /dev/null "$url" || bench_die "capstan does not answer $url"
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

echo "P4 memory: capstan serve (seed capability, $(nproc) loops), upstream scaleway-iam-sim"
idle=$(bench_rss_kb "$CAPSTAN_PID")
echo "  idle after one request:          $(mb "$idle") MB"

fifo=$BENCH_TMP/hold.in
mkfifo "$fifo"
"$hold" --port "$(bench_port "$CAPSTAN_REST")" --path "$path" --count 1000 <"$fifo" \
  >"$BENCH_TMP/hold.out" &
hold_pid=$!
exec 7>"$fifo"
bench_wait_line "$BENCH_TMP/hold.out" '^holding ([0-9]+)' >/dev/null
held=$(bench_rss_kb "$CAPSTAN_PID")
echo "  1,000 idle keep-alive conns:     $(mb "$held") MB ($(mb $((held - idle))) MB more, $(((held - idle) / 1000)) KB per connection)"
exec 7>&-
wait "$hold_pid"

wrk -t2 -c1000 -d10s "$url" >/dev/null &
wrk_pid=$!
peak=0
while kill -0 "$wrk_pid" 2>/dev/null; do
  r=$(bench_rss_kb "$CAPSTAN_PID")
  (( r > peak )) && peak=$r
  sleep 0.5
done
echo "  wrk on 1,000 conns (peak):       $(mb "$peak") MB"

echo "  soak: wrk -c64 for ${soak}s, RSS every 10 s"
wrk -t2 -c64 -d"${soak}s" "$url" >"$BENCH_TMP/soak.wrk" &
wrk_pid=$!
samples=()
for ((t = 10; t <= soak; t += 10)); do
  sleep 10
  samples+=("$(bench_rss_kb "$CAPSTAN_PID")")
done
wait "$wrk_pid"
base=${samples[5]}
last=${samples[-1]}
rps=$(awk '/^Requests\/sec/ {printf "%d", $2}' "$BENCH_TMP/soak.wrk")
echo "  soak samples (MB): $(for s in "${samples[@]}"; do printf '%s ' "$(mb "$s")"; done)"
growth=$(awk -v a="$base" -v b="$last" 'BEGIN { printf "%.1f", (b - a) * 100 / a }')
ok=no
awk -v g="$growth" 'BEGIN { exit !(g <= 5) }' && ok=yes
echo "P4: idle $(mb "$idle") MB; 1,000 keep-alive conns $(mb "$held") MB; soak ${soak}s at ${rps} req/s: $(mb "$base") MB at 60 s → $(mb "$last") MB at end, growth ${growth}% (target <= 5%: $ok)"
