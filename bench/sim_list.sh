#!/usr/bin/env bash
# Throughput of scaleway-iam-sim on GET list (one page of 20 JWTs, ~8 KB) with wrk, at a few
# connection counts. Prints requests/second; no assertions (a figure for docs/simulator.md).
#
# Usage: bench/sim_list.sh [BIN_DIR]   (default: $CAPSTAN_BIN_DIR or build/release/bin)
# Environment: DURATION (default 10s), CONNECTIONS (default "10 50 200"), SIM_THREADS (default 0
# = one loop per core), WRK_THREADS (default 2), ACCESS_LOG=1 to keep the access log (to
# /dev/null) in the measurement.
set -euo pipefail
cd "$(dirname "$0")/.."
bin_dir=${1:-${CAPSTAN_BIN_DIR:-build/release/bin}}
sim=$bin_dir/scaleway-iam-sim
[[ -x $sim ]] || { echo "no simulator at $sim (build the scaleway-iam-sim target)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }

duration=${DURATION:-10s}
connections=${CONNECTIONS:-"10 50 200"}
log_flag=(--no-access-log)
[[ ${ACCESS_LOG:-0} == 1 ]] && log_flag=()

out=$(mktemp)
"$sim" --port 0 --threads "${SIM_THREADS:-0}" "${log_flag[@]}" >"$out" 2>/dev/null &
sim_pid=$!
trap 'kill "$sim_pid" 2>/dev/null; wait "$sim_pid" 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 100); do
  [[ -s $out ]] && break
  sleep 0.05
done
url=$(sed -n 's/^listening on //p' "$out")
[[ -n $url ]] || { echo "the simulator did not start" >&2; exit 1; }

target="$url/iam/v1alpha1/jwts?audience_id=e41b66d4-13c6-4bdc-a996-431cfcb2185a&page_size=20"
token=6c7ef130-6442-42fd-b525-ccf941221566
bytes=$(curl -s -H "X-Auth-Token: $token" "$target" | wc -c)
echo "scaleway-iam-sim GET list ($bytes-byte body), $(nproc) cores, wrk ${WRK_THREADS:-2} threads, $duration"
for c in $connections; do
  rps=$(wrk -t"${WRK_THREADS:-2}" -c"$c" -d"$duration" -H "X-Auth-Token: $token" "$target" |
    awk '/^Requests\/sec/ {print $2}')
  printf '  %4d connections: %10s req/s\n' "$c" "$rps"
done
