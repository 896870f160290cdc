#!/usr/bin/env bash
# P2: MCP tools/call throughput and latency of list-jwts (one page of 20 JWTs) for (a) capstan's
# MCP adapter (--mcp-stateless: every POST stands alone), (b) a minimal stateless MCP server built
# with the official TypeScript SDK 1.32.2 (bench/mcp-baseline/server.mjs, same upstream, same
# result shape: text content + structuredContent) and (c) capstan's REST route for the same list,
# against two upstreams: a static nginx answering a fixed list body, and scaleway-iam-sim. Same
# wrk settings for all; the MCP targets are loaded with bench/wrk/mcp-call.lua, which counts
# answers that are not a successful tool result ("mcp err"). Prints a table and a ratio line per
# upstream. Not a test: nothing asserts.
#
# Usage: bench/mcp.sh            (build first: scripts/build release; scripts/npm-install)
# Environment: DURATION (10s), CONNECTIONS (64), WRK_THREADS (2), ROUNDS (3), WARMUP (2s),
#   SETTLE (2s), CAPSTAN_THREADS (cores), UPSTREAMS ("static sim"), CAPSTAN_BIN_DIR
#   (build/release/bin), NODE (node).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
node=${NODE:-node}
bench_require wrk nginx curl "$node"
baseline=$BENCH_ROOT/bench/mcp-baseline
[[ -d $baseline/node_modules/@modelcontextprotocol/sdk ]] ||
  bench_die "the TypeScript SDK baseline is not installed (run scripts/npm-install)"

export MCP_BODY='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list-jwts","arguments":{"audience_id":"'$BENCH_AUDIENCE'","page_size":20}}}'
threads=()
[[ -n ${CAPSTAN_THREADS:-} ]] && threads=(--threads "$CAPSTAN_THREADS")

# start_ts_sdk UPSTREAM_URL → TS_URL, TS_PID: the TypeScript SDK baseline in front of UPSTREAM_URL.
start_ts_sdk() {
  local out=$BENCH_TMP/ts-sdk.$RANDOM.out
  UPSTREAM=$1 SCALEWAY_API_KEY=$BENCH_TOKEN PORT=0 "$node" "$baseline/server.mjs" >"$out" 2>"$out.err" &
  TS_PID=$!
  BENCH_PIDS+=("$TS_PID")
  TS_URL=$(bench_wait_line "$out" '^listening on (http://[^ ]+).*')
}

# check_tool_result NAME URL: one tools/call with curl; dies unless it is a successful result that
# carries the list (text content and structuredContent); prints the answer's size in bytes.
check_tool_result() {
  local answer
  answer=$(bench_mcp_post "$2" "$MCP_BODY") || bench_die "$1 does not answer 2xx to tools/call on $2"
  [[ $answer == *'"result"'* && $answer == *'"structuredContent"'* && $answer == *'\"jwts\"'* &&
    $answer != *'"isError":true'* ]] || bench_die "$1 answered tools/call with no list: ${answer:0:300}"
  echo "${#answer}"
}

# package_version PACKAGE_JSON: the top-level "version" of an npm package.json.
package_version() { sed -nE 's/^\s*"version": "([^"]+)".*/\1/p' "$1" | head -1; }

bench_start_sim
sim=$SIM_URL
bench_list_body "$sim"

echo "P2 MCP: tools/call list-jwts {audience_id, page_size: 20}, $(wc -c <"$LIST_BODY")-byte upstream body"
bench_machine
rounds=$(bench_rounds)
echo "wrk: ${WRK_THREADS:-2} threads, ${CONNECTIONS:-64} connections, ${DURATION:-10s};" \
  "$rounds rounds, the targets interleaved in each; the summary compares medians;" \
  "node $("$node" --version), @modelcontextprotocol/sdk $(package_version "$baseline/node_modules/@modelcontextprotocol/sdk/package.json")"
row() { printf '%-8s %-6s %-13s %10s %9s %9s %8s %8s %12s\n' "$@"; }
row upstream round target "req/s" "p50 ms" "p99 ms" non-2xx "mcp err" "cpu us/req"
summary=()
log=$BENCH_TMP/wrk.log
targets=(capstan-mcp ts-sdk capstan-rest)
script=(-s "$BENCH_ROOT/bench/wrk/mcp-call.lua")
for kind in ${UPSTREAMS:-static sim}; do
  case $kind in
    static) bench_start_nginx_static "$LIST_BODY" && upstream=$STATIC_URL ;;
    sim) upstream=$sim ;;
    *) bench_die "unknown upstream '$kind' (static, sim)" ;;
  esac
  bench_start_capstan "$upstream" --mcp-stateless "${threads[@]}"
  start_ts_sdk "$upstream"
  declare -A url pid rps p50 p99 bad errors cpu sys
  url[capstan-mcp]=$CAPSTAN_MCP/mcp pid[capstan-mcp]=$CAPSTAN_PID
  url[ts-sdk]=$TS_URL/mcp pid[ts-sdk]=$TS_PID
  url[capstan-rest]="$CAPSTAN_REST/v1/iam/v1alpha1/jwts?$BENCH_LIST_QUERY" pid[capstan-rest]=$CAPSTAN_PID
  check_tool_result capstan-mcp "${url[capstan-mcp]}" >/dev/null
  check_tool_result ts-sdk "${url[ts-sdk]}" >/dev/null
  curl -sf -o /dev/null "${url[capstan-rest]}" || bench_die "capstan-rest does not answer 2xx on ${url[capstan-rest]}"
  bench_warm "${url[capstan-mcp]}" "${script[@]}"
  bench_warm "${url[ts-sdk]}" "${script[@]}"
  bench_warm "${url[capstan-rest]}"
  for ((round = 1; round <= rounds; round++)); do
    for target in $(bench_round_order "$round" "${targets[@]}"); do
      args=()
      [[ $target != capstan-rest ]] && args=("${script[@]}")
      BENCH_WRK_LOG=$log bench_measure "$target" "$round" "${url[$target]}" "${pid[$target]}" "${args[@]}"
      errors[$target $round]=-
      ((${#args[@]})) && errors[$target $round]=$(bench_mcp_errors "$log")
    done
    for target in "${targets[@]}"; do
      k="$target $round"
      row "$kind" "$round" "$target" "${rps[$k]}" "${p50[$k]}" "${p99[$k]}" "${bad[$k]}" "${errors[$k]}" "${cpu[$k]}"
    done
  done
  median() { bench_round_median "$@"; }
  for target in "${targets[@]}"; do
    e=-
    [[ $target != capstan-rest ]] && e=$(median "$target" errors)
    row "$kind" median "$target" "$(median "$target" rps)" "$(median "$target" p50)" \
      "$(median "$target" p99)" "$(median "$target" bad)" "$e" "$(median "$target" cpu)"
  done
  vs_sdk=() vs_rest=()
  for ((i = 1; i <= rounds; i++)); do
    vs_sdk+=("$(bench_ratio "${rps[capstan-mcp $i]}" "${rps[ts-sdk $i]}")")
    vs_rest+=("$(bench_ratio "${rps[capstan-mcp $i]}" "${rps[capstan-rest $i]}")")
  done
  mcp=$(median capstan-mcp rps)
  summary+=("P2 $kind: capstan/TS-SDK req/s = $(bench_ratio "$mcp" "$(median ts-sdk rps)")x (target >= 15x; per round: ${vs_sdk[*]}); capstan MCP/REST = $(bench_ratio "$mcp" "$(median capstan-rest rps)")x (target >= 0.7x; per round: ${vs_rest[*]}); cpu/req TS-SDK/capstan = $(bench_ratio "$(median ts-sdk cpu)" "$(median capstan-mcp cpu)")x")
  unset url pid rps p50 p99 bad errors cpu
  # Stop this upstream's servers before the next one runs.
  bench_stop "$CAPSTAN_PID" "$TS_PID"
done
printf '%s\n' "${summary[@]}"
