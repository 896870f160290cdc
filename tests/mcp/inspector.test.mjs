// End-to-end: the MCP Inspector CLI (@modelcontextprotocol/inspector 2.12.0, on Node 22) against
// `capstan serve` of the seed capability, backed by scaleway-iam-sim. Exit codes: 0 ok, 5 tool
// error (isError or unknown tool).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  TOKEN,
  UNKNOWN_JTI,
  USER_A,
  binary,
  here,
  node22,
  run,
  skipReason,
  startSeed,
  stdioServeArgs,
  stopAll,
  testOptions,
} from './harness.mjs';

if (skipReason) console.log(`capstan-e2e-skip: ${skipReason}`);

let seed;
const catalogPath = join(tmpdir(), `capstan-inspector-${process.pid}.json`);

async function inspector(args) {
  const result = await run(node22, [inspectorEntry(), '--cli', '--format', 'json', '-q', ...args], {
    env: { SCALEWAY_API_KEY: TOKEN, MCP_CATALOG_PATH: catalogPath },
  });
  let json = null;
  try {
    json = JSON.parse(result.stdout);
  } catch {
    // leave null: the assertions show stdout
  }
  return { ...result, json };
}

function inspectorEntry() {
  return join(here, 'node_modules', '.bin', 'mcp-inspector');
}

before(async () => {
  if (skipReason) return;
  seed = await startSeed();
});

after(async () => {
  await stopAll();
  rmSync(catalogPath, { force: true });
});

describe('Inspector CLI', testOptions, () => {
  test('tools/list, portable under --strict', async () => {
    const r = await inspector([seed.mcpUrl, '--method', 'tools/list', '--strict']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      r.json.result.tools.map((t) => t.name),
      ['list-jwts', 'get-jwt', 'delete-jwt'],
    );
  });

  test('tools/call list-jwts with typed --tool-arg values', async () => {
    const r = await inspector([
      seed.mcpUrl,
      '--method', 'tools/call',
      '--tool-name', 'list-jwts',
      '--tool-arg', `audience_id=${USER_A}`, 'page_size=2', 'expired=false',
    ]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(r.json.result.structuredContent.jwts.length, 2);
  });

  test('get-jwt then delete-jwt', async () => {
    const list = await inspector([
      seed.mcpUrl, '--method', 'tools/call', '--tool-name', 'list-jwts',
      '--tool-args-json', JSON.stringify({ audience_id: USER_A, page_size: 1 }),
    ]);
    const jti = list.json.result.structuredContent.jwts[0].jti;
    const got = await inspector([
      seed.mcpUrl, '--method', 'tools/call', '--tool-name', 'get-jwt', '--tool-arg', `jti=${jti}`,
    ]);
    assert.equal(got.code, 0, got.stderr);
    assert.equal(got.json.result.structuredContent.jti, jti);
    const deleted = await inspector([
      seed.mcpUrl, '--method', 'tools/call', '--tool-name', 'delete-jwt', '--tool-arg', `jti=${jti}`,
    ]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.json.result.content[0].text, /204/);
  });

  test('a bad argument exits 5 with a message naming it', async () => {
    const r = await inspector([
      seed.mcpUrl, '--method', 'tools/call', '--tool-name', 'list-jwts',
      '--tool-args-json', JSON.stringify({ audience_id: USER_A, page_size: 'many' }),
    ]);
    assert.equal(r.code, 5);
    assert.match(r.stdout, /page_size/);
  });

  test('an upstream 404 exits 5', async () => {
    const r = await inspector([
      seed.mcpUrl, '--method', 'tools/call', '--tool-name', 'get-jwt', '--tool-arg', `jti=${UNKNOWN_JTI}`,
    ]);
    assert.equal(r.code, 5);
    assert.match(r.stdout, /404/);
  });

  test('stdio: capstan serve --stdio as the target command', async () => {
    const r = await inspector([
      '--method', 'tools/list', '-e', `SCALEWAY_API_KEY=${TOKEN}`,
      '--', binary('capstan'), ...stdioServeArgs(seed.sim),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.result.tools.length, 3);
  });
});
