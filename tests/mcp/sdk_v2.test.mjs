// End-to-end: the MCP TypeScript SDK v2 client (@modelcontextprotocol/client 2.4.0) against
// `capstan serve` of the seed capability, backed by scaleway-iam-sim: the legacy handshake, the
// stateless 2026-07-28 revision (auto negotiation), and the --mcp-stateless mode.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  UNKNOWN_JTI,
  USER_A,
  skipReason,
  startSeed,
  stopAll,
  testOptions,
  textOf,
} from './harness.mjs';

if (skipReason) console.log(`capstan-e2e-skip: ${skipReason}`);

let v2;
let seed;
let stateless;

async function connect(url, versionNegotiation) {
  const options = versionNegotiation ? { versionNegotiation } : {};
  const client = new v2.Client({ name: 'capstan-e2e-v2', version: '1.0.0' }, options);
  const transport = new v2.StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  return client;
}

before(async () => {
  if (skipReason) return;
  v2 = await import('@modelcontextprotocol/client');
  seed = await startSeed();
  stateless = await startSeed(['--mcp-stateless']);
});

after(stopAll);

// The same scenario for each way of connecting.
async function exercise(client) {
  const { tools } = await client.listTools();
  assert.deepEqual(
    tools.map((t) => t.name),
    ['list-jwts', 'get-jwt', 'delete-jwt'],
  );
  assert.equal(tools[0].inputSchema.properties.page_size.type, 'integer');

  const listed = await client.callTool({
    name: 'list-jwts',
    arguments: { audience_id: USER_A, page_size: 3, order_by: 'created_at_asc' },
  });
  assert.notEqual(listed.isError, true, textOf(listed));
  assert.ok(listed.structuredContent.jwts.length > 0 && listed.structuredContent.jwts.length <= 3);
  const jti = listed.structuredContent.jwts[0].jti;

  const got = await client.callTool({ name: 'get-jwt', arguments: { jti } });
  assert.equal(got.structuredContent.jti, jti);
  const deleted = await client.callTool({ name: 'delete-jwt', arguments: { jti } });
  assert.notEqual(deleted.isError, true, textOf(deleted));

  const bad = await client.callTool({ name: 'list-jwts', arguments: { audience_id: USER_A, expired: 'yes' } });
  assert.equal(bad.isError, true);
  assert.match(textOf(bad), /expired/);

  const missing = await client.callTool({ name: 'get-jwt', arguments: { jti: UNKNOWN_JTI } });
  assert.equal(missing.isError, true);
  assert.match(textOf(missing), /404/);
}

describe('SDK v2 client', testOptions, () => {
  test('legacy handshake (default mode)', async () => {
    const client = await connect(seed.mcpUrl);
    assert.equal(client.getNegotiatedProtocolVersion(), '2025-11-25');
    await exercise(client);
    await client.close();
  });

  test('auto negotiation picks the stateless 2026-07-28 revision', async () => {
    const client = await connect(seed.mcpUrl, { mode: 'auto' });
    assert.equal(client.getNegotiatedProtocolVersion(), '2026-07-28');
    await exercise(client);
    await client.close();
  });

  test('--mcp-stateless serves the legacy handshake without sessions', async () => {
    const client = await connect(stateless.mcpUrl);
    await exercise(client);
    const response = await fetch(stateless.mcpUrl, {
      method: 'GET',
      headers: { Accept: 'text/event-stream' },
    });
    assert.equal(response.status, 405);
    await client.close();
  });
});
