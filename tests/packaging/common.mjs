// Shared pieces of the packaging tests (tests/packaging/*.test.mjs): paths, the skip rule.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '..', '..');
export const packagingDir = join(repoRoot, 'packaging');
export const binDir = resolve(process.env.CAPSTAN_BIN_DIR ?? join(repoRoot, 'build', 'release', 'bin'));
export const buildDir = dirname(binDir);

function findSkipReason() {
  if (!existsSync(join(here, 'node_modules', 'kubernetes-models'))) {
    return 'tests/packaging/node_modules is missing: run scripts/npm-install (or npm ci in tests/packaging)';
  }
  return null;
}
export const skipReason = findSkipReason();
if (skipReason) console.log(`capstan-e2e-skip: ${skipReason}`);
export const opts = skipReason ? { skip: skipReason } : {};
