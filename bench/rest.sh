#!/usr/bin/env bash
# P1: REST throughput and latency of GET /v1/iam/v1alpha1/jwts (list, one page of 20 JWTs) for
# (a) the upstream directly, (b) nginx as a keep-alive reverse proxy injecting X-Auth-Token and
# (c) capstan serving the seed capability, against two upstreams: a static nginx answering a fixed
# list body, and scaleway-iam-sim. Same wrk settings for all. Prints a table and a ratio line per
# upstream. Not a test: nothing asserts.
#
# Usage: bench/rest.sh            (build first: scripts/build release)
# Environment: DURATION (10s), CONNECTIONS (64), WRK_THREADS (2), CAPSTAN_THREADS (cores),
#   UPSTREAMS ("static sim"), CAPSTAN_BIN_DIR (build/release/bin).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
bench_require wrk nginx curl

query=$BENCH_LIST_QUERY
threads=()
[[ -n ${CAPSTAN_THREADS:-} ]] && threads=(--threads "$CAPSTAN_THREADS")

bench_start_sim
sim=$SIM_URL
bench_list_body "$sim"
body=$LIST_BODY

echo "P1 REST: GET list (${query}), $(wc -c <"$body")-byte body"
bench_machine
echo "wrk: ${WRK_THREADS:-2} threads, ${CONNECTIONS:-64} connections, ${DURATION:-10s}"
row() { printf '%-8s %-8s %10s %9s %9s %8s %9s %12s\n' "$@"; }
row upstream target "req/s" "p50 ms" "p99 ms" non-2xx "+p50 ms" "cpu us/req"
summary=()
for kind in ${UPSTREAMS:-static sim}; do
  case $kind in
    static) bench_start_nginx_static "$body" && upstream=$STATIC_URL upstream_pid=$STATIC_PID ;;
    sim) upstream=$sim upstream_pid=$SIM_PID ;;
    *) bench_die "unknown upstream '$kind' (static, sim)" ;;
  esac
  bench_start_nginx_proxy "$upstream"
  proxy=$PROXY_URL
  bench_start_capstan "$upstream" "${threads[@]}"
  rest=$CAPSTAN_REST
  declare -A rps p50 p99 cpu
  for target in direct nginx capstan; do
    case $target in
      direct) url="$upstream/iam/v1alpha1/jwts?$query" pid=$upstream_pid ;;
      nginx) url="$proxy/v1/iam/v1alpha1/jwts?$query" pid=$PROXY_PID ;;
      capstan) url="$rest/v1/iam/v1alpha1/jwts?$query" pid=$CAPSTAN_PID ;;
    esac
    auth=()
    [[ $target == direct ]] && auth=(-H "X-Auth-Token: $BENCH_TOKEN")
    curl -sf -o /dev/null "${auth[@]}" "$url" || bench_die "$target does not answer 2xx on $url"
    read -r r a b bad c < <(bench_wrk_cpu "$pid" "$url" "${auth[@]}")
    rps[$target]=$r p50[$target]=$a p99[$target]=$b cpu[$target]=$c
    added=$(awk -v x="$a" -v y="${p50[direct]}" 'BEGIN { printf "%.3f", x - y }')
    [[ $target == direct ]] && added=-
    row "$kind" "$target" "$r" "$a" "$b" "$bad" "$added" "$c"
  done
  ratio=$(bench_ratio "${rps[capstan]}" "${rps[nginx]}")
  p99ok=no
  awk -v c="${p99[capstan]}" -v n="${p99[nginx]}" 'BEGIN { exit !(c <= n) }' && p99ok=yes
  summary+=("P1 $kind: capstan/nginx req/s = ${ratio}x (target >= 1.25x); p99 capstan ${p99[capstan]} ms vs nginx ${p99[nginx]} ms (<= nginx: $p99ok); cpu/req capstan/nginx = $(bench_ratio "${cpu[capstan]}" "${cpu[nginx]}")")
  unset rps p50 p99 cpu
done
printf '%s\n' "${summary[@]}"
