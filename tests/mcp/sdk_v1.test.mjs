// End-to-end: the MCP TypeScript SDK v1 client (@modelcontextprotocol/sdk 1.32.2) against
// `capstan serve` of the seed capability, backed by scaleway-iam-sim; Streamable HTTP and stdio.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  TOKEN,
  UNKNOWN_JTI,
  USER_A,
  binary,
  skipReason,
  startSeed,
  stdioServeArgs,
  stopAll,
  testOptions,
  textOf,
} from './harness.mjs';

if (skipReason) console.log(`capstan-e2e-skip: ${skipReason}`);

let seed;
let sdk;

async function connect(url = seed.mcpUrl) {
  const client = new sdk.Client({ name: 'capstan-e2e-v1', version: '1.0.0' });
  const transport = new sdk.StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  return { client, transport };
}

before(async () => {
  if (skipReason) return;
  const [clientModule, httpModule, stdioModule, typesModule] = await Promise.all([
    import('@modelcontextprotocol/sdk/client/index.js'),
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
    import('@modelcontextprotocol/sdk/client/stdio.js'),
    import('@modelcontextprotocol/sdk/types.js'),
  ]);
  sdk = { ...clientModule, ...httpModule, ...stdioModule, ...typesModule };
  seed = await startSeed();
});

after(stopAll);

test('lists the seed tools with typed input schemas and annotations', testOptions, async () => {
  const { client, transport } = await connect();
  assert.match(transport.sessionId, /^[\x21-\x7e]+$/);
  const { tools } = await client.listTools();
  assert.deepEqual(
    tools.map((t) => t.name),
    ['list-jwts', 'get-jwt', 'delete-jwt'],
  );
  const list = tools[0];
  assert.equal(list.description, 'List JWTs');
  assert.equal(list.inputSchema.type, 'object');
  assert.equal(list.inputSchema.additionalProperties, false);
  assert.equal(list.inputSchema.properties.page_size.type, 'integer');
  assert.equal(list.inputSchema.properties.expired.type, 'boolean');
  assert.equal(list.inputSchema.properties.order_by.type, 'string');
  assert.match(list.inputSchema.properties.page_size.description, /results per page/);
  assert.deepEqual(list.annotations, {
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  });
  assert.deepEqual(tools[1].inputSchema.required, ['jti']);
  assert.equal(tools[2].annotations.destructiveHint, true);
  await transport.terminateSession();
  await client.close();
});

test('calls list-jwts with typed arguments, get-jwt and delete-jwt', testOptions, async () => {
  const { client } = await connect();
  const listed = await client.callTool({
    name: 'list-jwts',
    arguments: { audience_id: USER_A, page_size: 2, page: 1, expired: false, order_by: 'created_at_desc' },
  });
  assert.notEqual(listed.isError, true, textOf(listed));
  assert.ok(listed.structuredContent, 'a JSON object result comes with structuredContent');
  const { jwts, total_count: total } = listed.structuredContent;
  assert.equal(jwts.length, 2);
  assert.ok(total >= 2);
  for (const jwt of jwts) assert.equal(jwt.audience_id, USER_A);
  assert.deepEqual(JSON.parse(textOf(listed)), listed.structuredContent);

  const jti = jwts[0].jti;
  const got = await client.callTool({ name: 'get-jwt', arguments: { jti } });
  assert.notEqual(got.isError, true, textOf(got));
  assert.equal(got.structuredContent.jti, jti);

  const deleted = await client.callTool({ name: 'delete-jwt', arguments: { jti } });
  assert.notEqual(deleted.isError, true, textOf(deleted));
  assert.match(textOf(deleted), /204/);

  const again = await client.callTool({ name: 'get-jwt', arguments: { jti } });
  assert.equal(again.isError, true);
  assert.match(textOf(again), /404/);
  await client.close();
});

test('a bad argument is an isError result naming it', testOptions, async () => {
  const { client } = await connect();
  const bad = await client.callTool({
    name: 'list-jwts',
    arguments: { audience_id: USER_A, page_size: 'two' },
  });
  assert.equal(bad.isError, true);
  assert.match(textOf(bad), /page_size/);
  const unknown = await client.callTool({ name: 'get-jwt', arguments: { jti: UNKNOWN_JTI, x: 1 } });
  assert.equal(unknown.isError, true);
  assert.match(textOf(unknown), /additional|unknown/i);
  const missing = await client.callTool({ name: 'get-jwt', arguments: {} });
  assert.equal(missing.isError, true);
  assert.match(textOf(missing), /jti/);
  await client.close();
});

test('an upstream 404 is an isError result with the status and body', testOptions, async () => {
  const { client } = await connect();
  const result = await client.callTool({ name: 'get-jwt', arguments: { jti: UNKNOWN_JTI } });
  assert.equal(result.isError, true);
  assert.match(textOf(result), /404/);
  assert.match(textOf(result), /not_found/);
  await client.close();
});

test('an unknown tool is JSON-RPC error -32602', testOptions, async () => {
  const { client } = await connect();
  await assert.rejects(client.callTool({ name: 'no-such-tool', arguments: {} }), (error) => {
    assert.equal(error.code, -32602);
    return true;
  });
  await client.close();
});

test('progress and log notifications around the upstream call', testOptions, async () => {
  const { client } = await connect();
  const logs = [];
  client.setNotificationHandler(sdk.LoggingMessageNotificationSchema, (n) => logs.push(n.params));
  await client.setLoggingLevel('info');
  const progress = [];
  const result = await client.callTool(
    { name: 'get-jwt', arguments: { jti: UNKNOWN_JTI } },
    undefined,
    { onprogress: (p) => progress.push(p) },
  );
  assert.equal(result.isError, true);
  assert.ok(progress.length >= 3, `progress notifications: ${JSON.stringify(progress)}`);
  assert.deepEqual(
    progress.map((p) => p.progress),
    [...progress.map((p) => p.progress)].sort((a, b) => a - b),
  );
  assert.ok(logs.length >= 3, `log messages: ${JSON.stringify(logs)}`);
  assert.ok(logs.every((l) => !JSON.stringify(l).includes(TOKEN)), 'no secret in log messages');
  await client.close();
});

test('a terminated session answers 404', testOptions, async () => {
  const { client, transport } = await connect();
  const sessionId = transport.sessionId;
  await transport.terminateSession();
  const response = await fetch(seed.mcpUrl, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      'Mcp-Session-Id': sessionId,
      'MCP-Protocol-Version': '2025-11-25',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
  });
  assert.equal(response.status, 404);
  await client.close();
});

test('stdio: capstan serve --stdio', testOptions, async () => {
  const client = new sdk.Client({ name: 'capstan-e2e-v1-stdio', version: '1.0.0' });
  const transport = new sdk.StdioClientTransport({
    command: binary('capstan'),
    args: stdioServeArgs(seed.sim),
    env: { ...process.env, SCALEWAY_API_KEY: TOKEN },
    stderr: 'pipe',
  });
  await client.connect(transport);
  const { tools } = await client.listTools();
  assert.equal(tools.length, 3);
  const listed = await client.callTool({
    name: 'list-jwts',
    arguments: { audience_id: USER_A, page_size: 1 },
  });
  assert.equal(listed.structuredContent.jwts.length, 1);
  const missing = await client.callTool({ name: 'get-jwt', arguments: { jti: UNKNOWN_JTI } });
  assert.equal(missing.isError, true);
  assert.match(textOf(missing), /404/);
  await client.close();
});
