// The official MCP conformance suite (@modelcontextprotocol/conformance 0.1.16, on Node 22):
// product mode (the seed, with conformance-baseline.yml listing the scenarios that need the
// suite's fixtures) and fixture mode (`capstan serve --conformance-fixtures`, all 44 checks).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  here,
  node22,
  run,
  skipReason,
  startCapstan,
  startSeed,
  stopAll,
  testOptions,
} from './harness.mjs';

if (skipReason) console.log(`capstan-e2e-skip: ${skipReason}`);

const suite = join(here, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
let seed;
let fixturesUrl;

function conformance(url, extra = []) {
  // The suite's dns-rebinding scenario needs a localhost URL.
  const localUrl = url.replace('127.0.0.1', 'localhost');
  return run(node22, [suite, 'server', '--url', localUrl, '--suite', 'all', ...extra], {
    timeoutMs: 300000,
  });
}

function summary(stdout) {
  return stdout.match(/Total: (\d+) passed, (\d+) failed/);
}

before(async () => {
  if (skipReason) return;
  seed = await startSeed();
  const { urls } = await startCapstan(
    ['--conformance-fixtures', '--port', 'conformance-fixtures=0', '--no-access-log'],
    ['conformance-fixtures'],
  );
  fixturesUrl = `${urls['conformance-fixtures']}/mcp`;
});

after(stopAll);

describe('conformance 0.1.16', testOptions, () => {
  test('fixture mode: --suite all scores 44/44', async () => {
    const r = await conformance(fixturesUrl);
    const totals = summary(r.stdout);
    assert.ok(totals, r.stdout + r.stderr);
    console.log(totals[0]);
    assert.equal(Number(totals[2]), 0, r.stdout);
    assert.equal(Number(totals[1]), 44, r.stdout);
    assert.equal(r.code, 0);
  });

  test('product mode (the seed): every failure is in the baseline', async () => {
    const r = await conformance(seed.mcpUrl, [
      '--expected-failures',
      join(here, 'conformance-baseline.yml'),
    ]);
    console.log(summary(r.stdout)?.[0]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Baseline check passed/);
  });
});
