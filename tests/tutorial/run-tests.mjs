// Runs the tutorial end-to-end tests (ctest e2e_tutorial): every step*.test.mjs, one file at a
// time, or reports a skip when the npm packages or the tutorial are missing.
// Usage: CAPSTAN_BIN_DIR=build/<preset>/bin node tests/tutorial/run-tests.mjs [test files...]
// (CAPSTAN_BIN_DIR defaults to build/release/bin; CAPSTAN_SHARED_DIR to ../shared.)
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

// harness.mjs has no npm dependency; it prints "capstan-e2e-skip: <why>" when one is missing.
import { skipReason } from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
if (skipReason) process.exit(0);
const files = process.argv.slice(2);
const tests = files.length
  ? files
  : readdirSync(here)
      .filter((f) => /^step\d+\.test\.mjs$/.test(f))
      .sort();
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...tests], {
  cwd: here,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
