// Runs the fleet and hot-reload end-to-end tests (ctest e2e_fleet), or reports a skip when the
// npm packages or the Scaleway capabilities are missing.
// Usage: CAPSTAN_BIN_DIR=build/<preset>/bin node tests/fleet/run-tests.mjs
// (CAPSTAN_BIN_DIR defaults to build/release/bin; CAPSTAN_SHARED_DIR to ../shared.)
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

// fleet.mjs has no npm dependency at import; it prints "capstan-e2e-skip: <why>" when one is
// missing.
import { skipReason } from './fleet.mjs';

const here = dirname(fileURLToPath(import.meta.url));
if (skipReason) process.exit(0);
const tests = readdirSync(here)
  .filter((f) => f.endsWith('.test.mjs'))
  .sort();
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...tests], {
  cwd: here,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
