// Runs the packaging tests (ctest e2e_packaging): the .deb, the systemd unit, the Kubernetes
// manifests and the Dockerfile; or reports a skip when the npm packages are missing.
// Usage: CAPSTAN_BIN_DIR=build/<preset>/bin node tests/packaging/run-tests.mjs
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

import { here, skipReason } from './common.mjs';

if (skipReason) process.exit(0);
const tests = readdirSync(here)
  .filter((f) => f.endsWith('.test.mjs'))
  .sort();
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...tests], {
  cwd: here,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
