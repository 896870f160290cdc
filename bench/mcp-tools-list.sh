#!/usr/bin/env bash
# P6: MCP tools/list latency and throughput with every Scaleway capability served at once.
#
# Each of the 82 capability files in shared/capabilities/scaleway/ declares its own MCP adapter,
# all on port 9090. The script measures two set-ups:
#   union    capstan serving the 82 files unchanged, every MCP adapter on one port: one endpoint
#            whose tools/list holds every tool (the union, clashing names prefixed by their
#            namespace; paginated by capstan, 100 a page)
#   separate capstan serving the 82 files with every adapter on an ephemeral port; the
#            tools/list of the adapter with the most tools
# Each is loaded with bench/wrk/mcp-call.lua walking the pages (nextCursor) over and over:
# one connection (-t1 -c1) for latency, then 16 (-t16 -c16, one connection per wrk thread so
# each walks its own cursor) for throughput. p50/p99 per page come from wrk, per full walk from
# the script. Not a test: nothing asserts.
#
# Usage: bench/mcp-tools-list.sh     (build first: scripts/build release)
# Environment: DURATION (10s), CAPSTAN_THREADS (cores), CAPSTAN_BIN_DIR (build/release/bin),
#   CAPABILITIES (shared/capabilities/scaleway), SETUPS ("union separate").
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
bench_require wrk curl

dir=$(cd "${CAPABILITIES:-$BENCH_ROOT/../shared/capabilities/scaleway}" && pwd)
shopt -s nullglob
files=("$dir"/*.yaml)
((${#files[@]})) || bench_die "no capability files in $dir"
threads=()
[[ -n ${CAPSTAN_THREADS:-} ]] && threads=(--threads "$CAPSTAN_THREADS")
export MCP_WALK=tools/list

# start_capstan EXPECTED ARGS... → CAPSTAN_PID, and the "capstan: ..." lines in CAPSTAN_OUT:
# capstan serve ARGS in --mcp-stateless mode, once EXPECTED lines say "listening on".
start_capstan() {
  local expected=$1
  shift
  CAPSTAN_OUT=$BENCH_TMP/capstan.$RANDOM.out
  SCALEWAY_API_KEY=$BENCH_TOKEN "$BENCH_BIN/capstan" serve "$@" --no-access-log --mcp-stateless \
    "${threads[@]}" >"$CAPSTAN_OUT" 2>"$CAPSTAN_OUT.err" &
  CAPSTAN_PID=$!
  BENCH_PIDS+=("$CAPSTAN_PID")
  for _ in $(seq 400); do
    (($(grep -c '^capstan: .* listening on ' "$CAPSTAN_OUT" || true) >= expected)) && return 0
    kill -0 "$CAPSTAN_PID" 2>/dev/null || { cat "$CAPSTAN_OUT.err" >&2; bench_die "capstan did not start"; }
    sleep 0.025
  done
  cat "$CAPSTAN_OUT.err" >&2
  bench_die "capstan did not announce its $expected adapters"
}

# count_tools URL: walks tools/list with curl; prints "TOOLS PAGES".
count_tools() {
  local cursor="" tools=0 pages=0 answer params
  while :; do
    params='{}'
    [[ -n $cursor ]] && params='{"cursor":"'$cursor'"}'
    answer=$(bench_mcp_post "$1" '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":'"$params"'}') ||
      bench_die "tools/list fails on $1"
    [[ $answer == *'"result"'* ]] || bench_die "tools/list on $1 answered ${answer:0:300}"
    pages=$((pages + 1))
    tools=$((tools + $(grep -o '"inputSchema":' <<<"$answer" | wc -l)))
    cursor=$(sed -nE 's/.*"nextCursor":"([^"]*)".*/\1/p' <<<"$answer")
    [[ -n $cursor ]] || break
  done
  echo "$tools $pages"
}

echo "P6 MCP tools/list: ${#files[@]} capabilities from $dir"
bench_machine
echo "wrk: ${DURATION:-10s} per run"
row() { printf '%-9s %6s %6s %6s %9s %9s %9s %9s %9s %8s %8s %12s\n' "$@"; }
row setup tools pages conns "pages/s" "page p50" "page p99" "walk p50" "walk p99" non-2xx "mcp err" "cpu us/page"
summary=()
log=$BENCH_TMP/wrk.log
for setup in ${SETUPS:-union separate}; do
  case $setup in
    union)
      mcp_port=$(bench_free_port)
      rest_port=$(bench_free_port)
      start_capstan 2 "${files[@]}" --port "*-mcp=$mcp_port" --port "*-rest=$rest_port"
      url=http://127.0.0.1:$mcp_port/mcp
      read -r tools pages < <(count_tools "$url")
      ;;
    separate)
      start_capstan $((2 * ${#files[@]})) "${files[@]}" --port '*=0'
      tools=0 pages=0 url="" total=0 adapters=0
      while read -r base; do
        read -r t p < <(count_tools "$base/mcp")
        total=$((total + t)) adapters=$((adapters + 1))
        ((t > tools)) && tools=$t pages=$p url=$base/mcp
      done < <(sed -nE 's#^capstan: mcp adapter .* listening on (http://[^ ]+).*#\1#p' "$CAPSTAN_OUT")
      echo "separate: $adapters MCP adapters, $total tools in all; measured: the largest, $url"
      ;;
    *) bench_die "unknown setup '$setup' (union, separate)" ;;
  esac
  for conns in 1 16; do
    read -r r a b bad c _ < <(BENCH_WRK_LOG=$log WRK_THREADS=$conns CONNECTIONS=$conns bench_wrk_cpu "$CAPSTAN_PID" "$url" \
      -s "$BENCH_ROOT/bench/wrk/mcp-call.lua")
    errors=$(bench_mcp_errors "$log")
    read -r _ walk_pages walk_tools w50 w99 < <(awk '$1 == "mcp-walk:" { print $3, $5, $7, $9, $11 }' "$log")
    [[ $walk_tools == "$tools" && $walk_pages == "$pages" ]] ||
      echo "note: wrk walks saw $walk_tools tools in $walk_pages pages (curl: $tools in $pages)"
    row "$setup" "$tools" "$pages" "$conns" "$r" "$a" "$b" "$w50" "$w99" "$bad" "$errors" "$c"
    if [[ $conns == 1 ]]; then
      if [[ $setup == union ]]; then
        summary+=("P6: tools/list with ${#files[@]} capabilities ($tools tools): p50 $w50 ms, p99 $w99 ms (target <= 2 ms) for the full walk of $pages pages of <= 100; per page p50 $a ms, p99 $b ms")
      else
        summary+=("P6 separate: the largest of ${#files[@]} adapters ($tools tools, $pages page): tools/list p50 $w50 ms, p99 $w99 ms")
      fi
    fi
  done
  bench_stop "$CAPSTAN_PID"
done
printf '%s\n' "${summary[@]}"
