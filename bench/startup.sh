#!/usr/bin/env bash
# P5: start-up time of capstan, from fork to the first 200 on GET /v1/iam/v1alpha1/jwts (the
# first upstream call included) against scaleway-iam-sim; bench/startup_probe polls every 0.2 ms.
# Then the same for the 82-capability fleet in one serve (target <= 300 ms). Not a test: nothing
# asserts.
#
# Usage: bench/startup.sh   Environment: RUNS (20), CAPSTAN_BIN_DIR (build/release/bin).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
bench_require curl
probe=$BENCH_BIN/startup_probe
[[ -x $probe ]] || bench_die "no $probe (build the startup_probe target)"

bench_start_sim
port=$(bench_free_port)
echo "P5 start-up: capstan serve (seed capability) → first 200 on REST list, upstream scaleway-iam-sim"
read -r _ runs _ min _ median _ max < <(SCALEWAY_API_KEY=$BENCH_TOKEN "$probe" --runs "${RUNS:-20}" \
  --port "$port" --path "/v1/iam/v1alpha1/jwts?audience_id=$BENCH_AUDIENCE&page_size=20" -- \
  "$BENCH_BIN/capstan" serve "$BENCH_SEED" --no-access-log --base-uri "iam-jwts=$SIM_URL" \
  --port "iam-jwts-rest=$port" --port iam-jwts-mcp=0)
printf '%-10s %8s %8s %8s\n' runs "min ms" "median" "max"
printf '%-10s %8s %8s %8s\n' "$runs" "$min" "$median" "$max"
ok=no
awk -v m="$median" 'BEGIN { exit !(m <= 50) }' && ok=yes
echo "P5: start-up to first 200: median ${median} ms, max ${max} ms (target <= 50 ms: $ok)"

# The fleet: the 82 Scaleway capabilities of shared/capabilities/scaleway in one serve (issue 15),
# every REST adapter on one port and every MCP adapter merged on another; the same first 200.
fleet=${CAPSTAN_SHARED_DIR:-$BENCH_ROOT/../shared}/capabilities/scaleway
if [[ -d $fleet ]]; then
  mcp_port=$(bench_free_port)
  count=$(find "$fleet" -maxdepth 1 -name '*.yaml' | wc -l)
  echo
  echo "P5 fleet: capstan serve of $count capabilities → first 200 on the same REST list"
  read -r _ runs _ min _ median _ max < <(SCALEWAY_API_KEY=$BENCH_TOKEN "$probe" \
    --runs "${RUNS:-20}" --port "$port" \
    --path "/v1/iam/v1alpha1/jwts?audience_id=$BENCH_AUDIENCE&page_size=20" -- \
    "$BENCH_BIN/capstan" serve "$fleet" --no-access-log --base-uri "*=$SIM_URL" \
    --port "*-rest=$port" --port "*-mcp=$mcp_port")
  printf '%-10s %8s %8s %8s\n' runs "min ms" "median" "max"
  printf '%-10s %8s %8s %8s\n' "$runs" "$min" "$median" "$max"
  ok=no
  awk -v m="$median" 'BEGIN { exit !(m <= 300) }' && ok=yes
  echo "P5 fleet: $count files, start-up to first 200: median ${median} ms, max ${max} ms (target <= 300 ms: $ok)"
else
  echo "P5 fleet: skipped, $fleet is missing (set CAPSTAN_SHARED_DIR)"
fi
