// Shared pieces of the tutorial end-to-end tests (tests/tutorial/step*.test.mjs): where the
// tutorial and the mock APIs are, the skip rule, the shipyard mock, `capstan serve` of one
// tutorial file on ephemeral ports (reading the ports it prints), the MCP SDK client, and stopping
// every process and removing the temporary copy at the end.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(here, '..', '..');
export const sharedDir = process.env.CAPSTAN_SHARED_DIR ?? join(repoRoot, '..', 'shared');
export const tutorialDir = join(sharedDir, 'naftiko', 'tutorial');
export const mockApiDir = join(sharedDir, 'naftiko', 'mock-apis');
export const binDir = process.env.CAPSTAN_BIN_DIR ?? join(repoRoot, 'build', 'release', 'bin');

export const REGISTRY_API = 'naftiko-shipyard-maritime-registry-api';
export const DOCKYARD_API = 'naftiko-shipyard-legacy-dockyard-api';

// shared/secrets.yaml of the tutorial, written out literally.
export const SECRETS = {
  registryToken: 'dummy-token',
  registryVersion: '1.0.0-alpha2',
  dockyardKey: 'dummy-dockyard-key',
  mcpToken: 'sk-mcp-YYYYYYYYYYYY',
};

function findSkipReason() {
  if (!existsSync(join(here, 'node_modules', '@modelcontextprotocol', 'sdk'))) {
    return (
      'tests/tutorial/node_modules is missing: ' +
      'run scripts/npm-install (or npm ci in tests/tutorial)'
    );
  }
  if (!existsSync(join(tutorialDir, 'step-1-shipyard-mock.yml'))) {
    return `the Naftiko tutorial is missing (${tutorialDir}; set CAPSTAN_SHARED_DIR)`;
  }
  return null;
}
export const skipReason = findSkipReason();
if (skipReason) console.log(`capstan-e2e-skip: ${skipReason}`);
// node:test skips on `skip: null` too (Node 20), so pass the option only when skipping.
export const opts = skipReason ? { skip: skipReason } : {};

const children = new Set();
const clientCleanups = []; // MCP clients: closed while capstan still runs
const cleanups = []; // the mock, temporary directories: after the processes are gone

// The tutorial folder copied to a fresh temporary directory: `capstan serve` runs there, so that
// the binds' `file:///./shared/secrets.yaml` resolves whether relative binds are read against the
// working directory (the reference engine) or the capability's folder (capstan); the imports
// (`./shared/*.yaml`) resolve against the capability's folder either way.
function copyTutorial() {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-tutorial-'));
  cpSync(tutorialDir, join(dir, 'tutorial'), { recursive: true });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'tutorial');
}

// Starts the shipyard mock with both OpenAPI files.
export async function startMock() {
  // Imported here: it needs the `yaml` package, which may be missing (then everything skips).
  const { startShipyardMock } = await import('./mock-shipyard.mjs');
  const mock = await startShipyardMock([
    join(mockApiDir, `${REGISTRY_API}.yaml`),
    join(mockApiDir, `${DOCKYARD_API}.yaml`),
  ]);
  cleanups.push(() => mock.close());
  return mock;
}

// `capstan serve <file>` from a copy of the tutorial folder:
//   consumes: {namespace: mock API title} → --base-uri namespace=<mock base URI>
//   adapters: [namespace, …]              → --port namespace=0
// Resolves with {urls: {namespace → http://127.0.0.1:port}, stdout, stderr, child} once every
// adapter printed `capstan: <type> adapter '<ns>' listening on <url>`; rejects with capstan's
// stderr if it exits first (for example when it refuses the capability).
export async function startCapstan(file, { mock, consumes = {}, adapters = [] }) {
  const cwd = copyTutorial();
  const args = ['serve', file, '--address', '127.0.0.1', '--no-access-log', '--timeout-ms', '5000'];
  for (const [ns, title] of Object.entries(consumes))
    args.push('--base-uri', `${ns}=${mock.baseUri(title)}`);
  for (const ns of adapters) args.push('--port', `${ns}=0`);
  const child = spawn(join(binDir, 'capstan'), args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const stdout = [];
  const stderr = [];
  createInterface({ input: child.stderr }).on('line', (line) => stderr.push(line));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(`capstan serve ${file} did not start in 15 s; stderr:\n${stderr.join('\n')}`),
        ),
      15000,
    );
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      // Let the stderr reader drain before reporting.
      setImmediate(() =>
        reject(
          new Error(
            `capstan serve ${file} exited early (${code ?? signal}); stderr:\n${stderr.join('\n')}`,
          ),
        ),
      );
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      stdout.push(line);
      const urls = {};
      for (const l of stdout) {
        const m = l.match(/^capstan: \w+ adapter '([^']+)' listening on (http:\/\/\S+)$/);
        if (m) urls[m[1]] = m[2];
      }
      if (adapters.every((ns) => urls[ns])) {
        clearTimeout(timer);
        resolve({ urls, stdout, stderr, child });
      }
    });
  });
}

// The MCP SDK v1 modules (@modelcontextprotocol/sdk, the version tests/mcp pins).
let sdk;
export async function loadSdk() {
  if (!sdk) {
    const [client, http, types] = await Promise.all([
      import('@modelcontextprotocol/sdk/client/index.js'),
      import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
      import('@modelcontextprotocol/sdk/types.js'),
    ]);
    sdk = { ...client, ...http, ...types };
  }
  return sdk;
}

// An initialised MCP client session on `url` (…/mcp), with `Authorization: Bearer <token>` on
// every request when a token is given.
export async function connectMcp(url, token) {
  const { Client, StreamableHTTPClientTransport } = await loadSdk();
  const client = new Client({ name: 'capstan-tutorial-e2e', version: '1.0.0' });
  const requestInit = token ? { headers: { Authorization: `Bearer ${token}` } } : undefined;
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit });
  await client.connect(transport);
  clientCleanups.push(() => client.close().catch(() => {}));
  return client;
}

// A raw MCP `initialize` POST (for the authentication checks): {status, headers, text}.
export async function rawInitialize(url, headers = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'capstan-tutorial-e2e', version: '1.0.0' },
      },
    }),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

// The text of the first text content of a CallToolResult.
export function textOf(result) {
  return result.content?.find((c) => c.type === 'text')?.text ?? '';
}

// Calls a tool that must succeed; returns its JSON value (parsed from the text content, and
// checked against structuredContent when the value is an object).
export async function callOk(client, name, args = {}) {
  const result = await client.callTool({ name, arguments: args });
  assert.notEqual(result.isError, true, `${name} answered isError: ${textOf(result)}`);
  let value;
  try {
    value = JSON.parse(textOf(result));
  } catch {
    assert.fail(`${name} did not answer JSON text: ${textOf(result)}`);
  }
  if (value && typeof value === 'object' && !Array.isArray(value) && result.structuredContent) {
    assert.deepEqual(
      result.structuredContent,
      value,
      `${name}: structuredContent differs from the text`,
    );
  }
  return value;
}

// Calls a tool that must fail as a tool result (isError: true); returns the text.
export async function callError(client, name, args = {}) {
  const result = await client.callTool({ name, arguments: args });
  assert.equal(
    result.isError,
    true,
    `${name} should have answered isError, got: ${textOf(result)}`,
  );
  return textOf(result);
}

// Calls an unknown tool: a JSON-RPC error -32602 (the MCP spec's "Unknown tool"), not a result.
export async function callUnknownTool(client, name) {
  const { McpError } = await loadSdk();
  await assert.rejects(client.callTool({ name, arguments: {} }), (e) => {
    assert.ok(e instanceof McpError, `expected an McpError, got ${e}`);
    assert.equal(e.code, -32602);
    return true;
  });
}

// MCP tool annotations with the defaults of the MCP specification (and of alpha2's McpToolHints)
// for the hints a server leaves out: readOnly false, destructive true, idempotent false,
// openWorld true. An absent hint and its default mean the same thing.
export function effectiveHints(tool) {
  const a = tool.annotations ?? {};
  return {
    readOnlyHint: a.readOnlyHint ?? false,
    destructiveHint: a.destructiveHint ?? true,
    idempotentHint: a.idempotentHint ?? false,
    openWorldHint: a.openWorldHint ?? true,
  };
}

// Checks one tool of a tools/list answer: name, description, no title (no tutorial tool has a
// `label`), effective hints, and the inputSchema's properties (type and description) and required.
export function checkTool(tool, { name, description, properties, required, hints }) {
  assert.equal(tool.name, name);
  assert.equal(tool.description, description, `${name}: description`);
  assert.equal(tool.title, undefined, `${name}: no label, so no title`);
  assert.equal(tool.annotations?.title, undefined, `${name}: no label, so no annotations.title`);
  assert.deepEqual(
    effectiveHints(tool),
    {
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: false,
      openWorldHint: true,
      ...hints,
    },
    `${name}: annotations`,
  );
  assert.equal(tool.inputSchema.type, 'object', `${name}: inputSchema.type`);
  const props = tool.inputSchema.properties ?? {};
  assert.deepEqual(
    Object.keys(props).sort(),
    Object.keys(properties).sort(),
    `${name}: input names`,
  );
  for (const [prop, [type, desc]] of Object.entries(properties)) {
    assert.equal(props[prop].type, type, `${name}.${prop}: type`);
    assert.equal(props[prop].description, desc, `${name}.${prop}: description`);
  }
  assert.deepEqual(
    [...(tool.inputSchema.required ?? [])].sort(),
    [...required].sort(),
    `${name}: required`,
  );
}

// REST helper: {status, contentType, text, json}.
export async function http(method, url, { body, headers = {} } = {}) {
  const init = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers['Content-Type'] ??= 'application/json';
  }
  const response = await fetch(url, init);
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    headers: response.headers,
    text,
    json,
  };
}

// The upstream requests the mock recorded for one API, as "METHOD path?query" lines (handy in
// assertion messages) and the records themselves.
export function upstream(mock, api) {
  return mock.requests.filter((r) => r.api === api);
}
export function describeRequests(mock) {
  return mock.requests.map((r) => `${r.method} ${r.fullPath}${r.search} -> ${r.status}`).join('\n');
}

// The registry headers every registry call of steps 3–10 carries (shared/secrets.yaml via binds).
export function assertRegistryAuth(
  record,
  { token = SECRETS.registryToken, version = SECRETS.registryVersion } = {},
) {
  assert.equal(
    record.headers.authorization,
    `Bearer ${token}`,
    `${record.method} ${record.path}: Authorization`,
  );
  assert.equal(
    record.headers['registry-version'],
    version,
    `${record.method} ${record.path}: Registry-Version`,
  );
  assert.equal(
    record.headers['x-dock-key'],
    undefined,
    `${record.method} ${record.path}: no dockyard key`,
  );
}
export function assertDockyardAuth(record) {
  assert.equal(
    record.headers['x-dock-key'],
    SECRETS.dockyardKey,
    `${record.method} ${record.path}: X-Dock-Key`,
  );
  assert.equal(
    record.headers.authorization,
    undefined,
    `${record.method} ${record.path}: no Authorization`,
  );
  assert.equal(
    record.headers['registry-version'],
    undefined,
    `${record.method} ${record.path}: no Registry-Version`,
  );
}

// Stops every process this module started (SIGTERM, then SIGKILL after 5 s), closes the clients
// and the mock, removes the temporary copies. Call from after().
async function runCleanups(list) {
  for (const cleanup of list.splice(0).reverse()) {
    try {
      await cleanup();
    } catch {
      // best effort
    }
  }
}

export async function stopAll() {
  await runCleanups(clientCleanups);
  const waits = [];
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    waits.push(new Promise((resolve) => child.once('exit', resolve)));
    child.kill('SIGTERM');
  }
  const timer = setTimeout(() => {
    for (const child of children) child.kill('SIGKILL');
  }, 5000);
  await Promise.all(waits);
  clearTimeout(timer);
  await runCleanups(cleanups);
}

// Kill the children even when the test process dies without running after().
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
