#!/usr/bin/env bash
# Runs every load scenario (P1 REST, P2 MCP, P4 memory with its soak, P5 start-up, P6 tools/list)
# one after the other and overwrites docs/benchmarks.md with their tables, the summary lines,
# the date, the commit and the machine. Takes ~20 minutes with the defaults (3 rounds of 10 s
# per target, a 10-minute soak).
#
# Usage: bench/run-all.sh   (after scripts/build release and scripts/npm-install)
# Environment: DURATION (10s per wrk run), ROUNDS (3), SOAK_SECONDS (600), OUT
#   (docs/benchmarks.md); the scenarios' own variables pass through.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-docs/benchmarks.md}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

scenarios=(rest mcp memory startup mcp-tools-list)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for s in "${scenarios[@]}"; do
  echo "== bench/$s.sh"
  bash "bench/$s.sh" 2>&1 | tee "$logs/$s.txt"
done

{
  echo "# Benchmarks"
  echo
  echo "Written by \`bench/run-all.sh\` (each run overwrites this file). Nothing here is asserted by"
  echo "the tests; the scripts in bench/ print these tables. How to read them: the notes at the end."
  echo
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- Commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with local changes)')"
  echo "- Machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)," \
    "$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), Linux $(uname -r)"
  echo "- Load average before the run: $load_before (the load generator, the upstreams and the"
  echo "  servers under test share these cores)"
  echo "- Tools: $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), $(nginx -v 2>&1 | sed 's/.*: //'), node $(node --version 2>/dev/null)"
  echo
  echo "## Summary"
  echo
  echo '```'
  for s in "${scenarios[@]}"; do grep -hE '^P[0-9]' "$logs/$s.txt" || true; done
  echo '```'
  for s in "${scenarios[@]}"; do
    echo
    echo "## bench/$s.sh"
    echo
    echo '```'
    cat "$logs/$s.txt"
    echo '```'
  done
} >"$out.new"
# The "how to read" part is kept from the previous file, below the generated part.
if [[ -f $out ]] && grep -q '^<!-- notes -->' "$out"; then
  { echo; sed -n '/^<!-- notes -->/,$p' "$out"; } >>"$out.new"
fi
mv "$out.new" "$out"
echo "wrote $out"
