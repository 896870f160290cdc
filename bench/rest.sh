#!/usr/bin/env bash
# P1: REST throughput and latency of GET /v1/iam/v1alpha1/jwts (list, one page of 20 JWTs) for
# (a) the upstream directly, (b) nginx and (c) HAProxy as keep-alive reverse proxies injecting
# X-Auth-Token and (d) capstan serving the seed capability (and, beside an io_uring build, its
# epoll twin), against two upstreams: a static nginx answering a fixed
# list body, and scaleway-iam-sim. Same wrk settings for all. Prints a table and a ratio line per
# upstream. Not a test: nothing asserts.
#
# Usage: bench/rest.sh            (build first: scripts/build release)
# Environment: DURATION (10s), CONNECTIONS (64), WRK_THREADS (2), ROUNDS (3), WARMUP (2s),
#   SETTLE (2s), CAPSTAN_THREADS (cores), UPSTREAMS ("static sim"), CAPSTAN_BIN_DIR
#   (build/release/bin).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
bench_require wrk nginx haproxy curl

query=$BENCH_LIST_QUERY
threads=()
[[ -n ${CAPSTAN_THREADS:-} ]] && threads=(--threads "$CAPSTAN_THREADS")

bench_start_sim
sim=$SIM_URL
bench_list_body "$sim"
body=$LIST_BODY

echo "P1 REST: GET list (${query}), $(wc -c <"$body")-byte body"
bench_machine
rounds=$(bench_rounds)
echo "wrk: ${WRK_THREADS:-2} threads, ${CONNECTIONS:-64} connections, ${DURATION:-10s};" \
  "$rounds rounds, the targets interleaved in each; the summary compares medians"
row() { printf '%-8s %-6s %-13s %8s %8s %8s %8s %8s %11s %11s\n' "$@"; }
row upstream round target "req/s" "p50 ms" "p99 ms" non-2xx "+p50 ms" "cpu us/req" "sys us/req"
summary=()
# capstan+ctl: the same capstan with a control adapter, so that every answer is also counted
# for /metrics (issue 16: within 3 % of capstan alone). CONTROL=0 leaves it out.
targets=(direct nginx haproxy capstan)
[[ ${CONTROL:-1} != 0 ]] && targets+=(capstan+ctl)
# capstan-epoll: the epoll twin of an io_uring build (bin/capstan-epoll), when there is one.
twin=$BENCH_BIN/capstan-epoll
[[ -x $twin && ${EPOLL:-1} != 0 ]] && targets+=(capstan-epoll)
# capstan+trust: with --trust-upstream-json (no JSON check of pass-through bodies). TRUST=0: no.
[[ ${TRUST:-1} != 0 ]] && targets+=(capstan+trust)
for kind in ${UPSTREAMS:-static sim}; do
  case $kind in
    static) bench_start_nginx_static "$body" && upstream=$STATIC_URL upstream_pid=$STATIC_PID ;;
    sim) upstream=$sim upstream_pid=$SIM_PID ;;
    *) bench_die "unknown upstream '$kind' (static, sim)" ;;
  esac
  bench_start_nginx_proxy "$upstream"
  proxy=$PROXY_URL
  bench_start_haproxy "$upstream"
  bench_start_capstan "$upstream" "${threads[@]}"
  rest=$CAPSTAN_REST
  plain_pid=$CAPSTAN_PID
  if [[ ${CONTROL:-1} != 0 ]]; then
    bench_start_capstan "$upstream" "${threads[@]}" --control-port 0
    rest_ctl=$CAPSTAN_REST ctl_pid=$CAPSTAN_PID
    CAPSTAN_PID=$plain_pid
  fi
  if [[ " ${targets[*]} " == *" capstan+trust "* ]]; then
    bench_start_capstan "$upstream" "${threads[@]}" --trust-upstream-json
    rest_trust=$CAPSTAN_REST trust_pid=$CAPSTAN_PID
    CAPSTAN_PID=$plain_pid
  fi
  if [[ " ${targets[*]} " == *" capstan-epoll "* ]]; then
    BENCH_CAPSTAN=$twin bench_start_capstan "$upstream" "${threads[@]}"
    rest_epoll=$CAPSTAN_REST epoll_pid=$CAPSTAN_PID
    CAPSTAN_PID=$plain_pid
  fi
  declare -A url pid rps p50 p99 bad cpu sys
  for target in "${targets[@]}"; do
    case $target in
      direct) url[$target]="$upstream/iam/v1alpha1/jwts?$query" pid[$target]=$upstream_pid ;;
      nginx) url[$target]="$proxy/v1/iam/v1alpha1/jwts?$query" pid[$target]=$PROXY_PID ;;
      haproxy) url[$target]="$HAPROXY_URL/v1/iam/v1alpha1/jwts?$query" pid[$target]=$HAPROXY_PID ;;
      capstan) url[$target]="$rest/v1/iam/v1alpha1/jwts?$query" pid[$target]=$CAPSTAN_PID ;;
      capstan+ctl) url[$target]="$rest_ctl/v1/iam/v1alpha1/jwts?$query" pid[$target]=$ctl_pid ;;
      capstan+trust) url[$target]="$rest_trust/v1/iam/v1alpha1/jwts?$query" pid[$target]=$trust_pid ;;
      capstan-epoll) url[$target]="$rest_epoll/v1/iam/v1alpha1/jwts?$query" pid[$target]=$epoll_pid ;;
    esac
  done
  auth=(-H "X-Auth-Token: $BENCH_TOKEN")
  for target in "${targets[@]}"; do
    curl -sf -o /dev/null "${auth[@]}" "${url[$target]}" ||
      bench_die "$target does not answer 2xx on ${url[$target]}"
    bench_warm "${url[$target]}" "${auth[@]}"
  done
  for ((round = 1; round <= rounds; round++)); do
    for target in $(bench_round_order "$round" "${targets[@]}"); do
      # Only the upstream itself is given the token; the proxies inject their own.
      args=()
      [[ $target == direct ]] && args=("${auth[@]}")
      bench_measure "$target" "$round" "${url[$target]}" "${pid[$target]}" "${args[@]}"
    done
    for target in "${targets[@]}"; do
      k="$target $round"
      added=-
      [[ $target != direct ]] && added=$(awk -v x="${p50[$k]}" -v y="${p50[direct $round]}" 'BEGIN { printf "%.3f", x - y }')
      row "$kind" "$round" "$target" "${rps[$k]}" "${p50[$k]}" "${p99[$k]}" "${bad[$k]}" "$added" "${cpu[$k]}" "${sys[$k]}"
    done
  done
  median() { bench_round_median "$@"; }
  for target in "${targets[@]}"; do
    added=-
    [[ $target != direct ]] && added=$(awk -v x="$(median "$target" p50)" -v y="$(median direct p50)" 'BEGIN { printf "%.3f", x - y }')
    row "$kind" median "$target" "$(median "$target" rps)" "$(median "$target" p50)" \
      "$(median "$target" p99)" "$(median "$target" bad)" "$added" "$(median "$target" cpu)" \
      "$(median "$target" sys)"
  done
  per_round=()
  for ((i = 1; i <= rounds; i++)); do per_round+=("$(bench_ratio "${rps[capstan $i]}" "${rps[nginx $i]}")"); done
  ratio=$(bench_ratio "$(median capstan rps)" "$(median nginx rps)")
  p99c=$(median capstan p99) p99n=$(median nginx p99)
  p99ok=no
  awk -v c="$p99c" -v n="$p99n" 'BEGIN { exit !(c <= n) }' && p99ok=yes
  summary+=("P1 $kind: capstan/nginx req/s = ${ratio}x (target >= 1.25x; per round: ${per_round[*]}); p99 capstan $p99c ms vs nginx $p99n ms (<= nginx: $p99ok); cpu/req capstan/nginx = $(bench_ratio "$(median capstan cpu)" "$(median nginx cpu)")")
  per_round=()
  for ((i = 1; i <= rounds; i++)); do per_round+=("$(bench_ratio "${rps[capstan $i]}" "${rps[haproxy $i]}")"); done
  p99h=$(median haproxy p99)
  p99ok=no
  awk -v c="$p99c" -v n="$p99h" 'BEGIN { exit !(c <= n) }' && p99ok=yes
  summary+=("P1 $kind: capstan/HAProxy req/s = $(bench_ratio "$(median capstan rps)" "$(median haproxy rps)")x (target >= 1.1x; per round: ${per_round[*]}); p99 capstan $p99c ms vs HAProxy $p99h ms (<= HAProxy: $p99ok); cpu/req capstan/HAProxy = $(bench_ratio "$(median capstan cpu)" "$(median haproxy cpu)")")
  # The CPU budget the goals leave capstan, if the cores are busy and wrk and the upstream spend
  # what they spend per request beside the proxy: all cores' time per request at the proxy's
  # rate, minus the proxy's own CPU, is the others' share; at the goal rate the rest is capstan's.
  budget() {
    awk -v n="$(nproc)" -v r="$(median "$1" rps)" -v c="$(median "$1" cpu)" -v g="$2" \
      'BEGIN { if (r > 0) printf "%.1f", n * 1e6 / (r * g) - (n * 1e6 / r - c); else print "n/a" }'
  }
  summary+=("P1 $kind: CPU per request (all / kernel, us): capstan $(median capstan cpu) / $(median capstan sys), nginx $(median nginx cpu) / $(median nginx sys), HAProxy $(median haproxy cpu) / $(median haproxy sys); the goals leave capstan $(budget nginx 1.25) us (1.25x nginx) and $(budget haproxy 1.1) us (1.1x HAProxy) on these $(nproc) cores")
  if [[ ${CONTROL:-1} != 0 ]]; then
    per_round=()
    for ((i = 1; i <= rounds; i++)); do per_round+=("$(bench_ratio "${rps[capstan+ctl $i]}" "${rps[capstan $i]}")"); done
    summary+=("P1 $kind: capstan with/without the control adapter (metrics counted) req/s = $(bench_ratio "$(median capstan+ctl rps)" "$(median capstan rps)")x (target >= 0.97x; per round: ${per_round[*]}); cpu/req $(median capstan+ctl cpu) vs $(median capstan cpu) us")
  fi
  if [[ " ${targets[*]} " == *" capstan+trust "* ]]; then
    per_round=() per_round_h=()
    for ((i = 1; i <= rounds; i++)); do
      per_round+=("$(bench_ratio "${rps[capstan+trust $i]}" "${rps[nginx $i]}")")
      per_round_h+=("$(bench_ratio "${rps[capstan+trust $i]}" "${rps[haproxy $i]}")")
    done
    summary+=("P1 $kind: capstan --trust-upstream-json: /nginx req/s = $(bench_ratio "$(median capstan+trust rps)" "$(median nginx rps)")x (per round: ${per_round[*]}), /HAProxy = $(bench_ratio "$(median capstan+trust rps)" "$(median haproxy rps)")x (per round: ${per_round_h[*]}); p99 $(median capstan+trust p99) ms; cpu/req $(median capstan+trust cpu) vs $(median capstan cpu) us checked")
  fi
  if [[ " ${targets[*]} " == *" capstan-epoll "* ]]; then
    per_round=()
    for ((i = 1; i <= rounds; i++)); do per_round+=("$(bench_ratio "${rps[capstan $i]}" "${rps[capstan-epoll $i]}")"); done
    summary+=("P1 $kind: capstan ($("$BENCH_BIN/capstan" version | sed -n 's/^event backend: *//p')) / its epoll twin req/s = $(bench_ratio "$(median capstan rps)" "$(median capstan-epoll rps)")x (per round: ${per_round[*]}); capstan-epoll/nginx $(bench_ratio "$(median capstan-epoll rps)" "$(median nginx rps)")x; cpu/req $(median capstan cpu) vs $(median capstan-epoll cpu) us")
  fi
  unset url pid rps p50 p99 bad cpu
done
printf '%s\n' "${summary[@]}"
