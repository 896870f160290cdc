// Pieces of the fleet end-to-end test (tests/fleet/fleet.test.mjs): the 82 Scaleway capabilities
// read with a YAML parser (the test's own oracle of what each tool and route must send), a
// recording upstream, `capstan serve` of the whole folder on two free ports, and cleanup.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(here, '..', '..');
export const sharedDir = process.env.CAPSTAN_SHARED_DIR ?? join(repoRoot, '..', 'shared');
export const fleetDir = join(sharedDir, 'capabilities', 'scaleway');
export const binDir = resolve(process.env.CAPSTAN_BIN_DIR ?? join(repoRoot, 'build', 'release', 'bin'));
export const API_KEY = 'fleet-test-key-0123456789';

function findSkipReason() {
  if (!existsSync(join(here, 'node_modules', '@modelcontextprotocol', 'sdk'))) {
    return 'tests/fleet/node_modules is missing: run scripts/npm-install (or npm ci in tests/fleet)';
  }
  if (!existsSync(join(fleetDir, 'iam-jwts.yaml'))) {
    return `the Scaleway capabilities are missing (${fleetDir}; set CAPSTAN_SHARED_DIR)`;
  }
  return null;
}
export const skipReason = findSkipReason();
if (skipReason) console.log(`capstan-e2e-skip: ${skipReason}`);
export const opts = skipReason ? { skip: skipReason } : {};

// "-" and "_" are one character in the dialect's names (naftiko-alpha2-semantics.md §2.8).
export const same = (a, b) => a.replaceAll('-', '_') === b.replaceAll('-', '_');

// Every capability: {file, mcp: {ns, tools}, rest: {ns, routes}, ops: Map("ns.name" → op)}.
export async function readFleet() {
  const { parse } = await import('yaml');
  const files = readdirSync(fleetDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  return files.map((f) => {
    const doc = parse(readFileSync(join(fleetDir, f), 'utf8'));
    const ops = new Map();
    for (const c of doc.capability.consumes) {
      for (const r of c.resources) {
        for (const o of r.operations) {
          ops.set(`${c.namespace}.${o.name}`, { ...o, path: r.path });
        }
      }
    }
    const mcp = doc.capability.exposes.find((e) => e.type === 'mcp');
    const rest = doc.capability.exposes.find((e) => e.type === 'rest');
    const routes = [];
    for (const r of rest.resources) {
      for (const o of r.operations) routes.push({ ...o, path: r.path });
    }
    return {
      file: join(fleetDir, f),
      mcp: { ns: mcp.namespace, tools: mcp.tools },
      rest: { ns: rest.namespace, routes },
      ops,
    };
  });
}

// The argument a caller gives for consumed parameter `p`: values that test the encoding.
export function argumentFor(p, i) {
  if (p.in === 'body') return { probe: `${p.name}-${i}`, nested: { n: i, ok: true } };
  if (p.in === 'path') return `id ${i}/é-${p.name}`;
  switch (p.type) {
    case 'integer':
      return i + 1;
    case 'number':
      return i + 0.5;
    case 'boolean':
      return true;
    case 'array':
      return [`a ${i}`, 'b&c'];
    default:
      return `q ${i}&${p.name}=x`;
  }
}

// What the upstream must receive for operation `op` called with `values` (consumed parameter name
// → value): method, path (path parameters percent-encoded), query parameters, JSON body.
export function expectedRequest(op, values) {
  const path = op.path.replace(/\{([^}]+)\}/g, (_, name) => {
    assert.ok(name in values, `${op.name}: no value for path parameter ${name}`);
    return encodeURIComponent(values[name]);
  });
  const query = {};
  let body;
  for (const p of op.inputParameters ?? []) {
    if (!(p.name in values)) continue;
    if (p.in === 'query') {
      const v = values[p.name];
      query[p.name] = Array.isArray(v) ? v.map(String) : [String(v)];
    } else if (p.in === 'body') {
      body = values[p.name];
    }
  }
  return { method: op.method, path, query, body };
}

// Checks one recorded upstream request against expectedRequest().
export function checkRecorded(recorded, expected, what) {
  assert.ok(recorded, `${what}: the upstream received nothing`);
  assert.equal(recorded.method, expected.method, `${what}: method`);
  assert.equal(recorded.path, expected.path, `${what}: path`);
  const query = {};
  for (const [k, v] of recorded.query) (query[k] ??= []).push(v);
  assert.deepEqual(query, expected.query, `${what}: query`);
  if (expected.body === undefined) {
    assert.equal(recorded.body, '', `${what}: no body`);
  } else {
    assert.deepEqual(JSON.parse(recorded.body), expected.body, `${what}: body`);
    assert.match(recorded.headers['content-type'] ?? '', /^application\/json/, `${what}`);
  }
  assert.equal(recorded.headers['x-auth-token'], API_KEY, `${what}: X-Auth-Token from the env`);
  assert.equal(recorded.headers.authorization, undefined, `${what}: caller credentials forwarded`);
  assert.equal(recorded.headers['mcp-session-id'], undefined, `${what}: session id forwarded`);
}

const cleanups = [];
export async function cleanup() {
  while (cleanups.length) await cleanups.pop()();
}

// An upstream that records every request and answers {"seen": n}.
export async function startRecorder() {
  const requests = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url, 'http://upstream');
      requests.push({
        method: req.method,
        path: url.pathname,
        rawUrl: req.url,
        query: [...url.searchParams.entries()],
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const body = JSON.stringify({ seen: requests.length });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
      res.end(body);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    requests,
    // The one request made since `mark` (requests.length before the call).
    since(mark, what) {
      assert.equal(requests.length, mark + 1, `${what}: expected one upstream request`);
      return requests[mark];
    },
  };
}

// A port that was free a moment ago (capstan needs one fixed port shared by 82 adapters).
export async function freePort() {
  const server = createNetServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// `capstan serve <args>`; resolves once a line names every port in `ports`, or with the exit
// code and output when `expectExit` is set.
export function runCapstan(args, { ports = [], expectExit = false, env = {} } = {}) {
  const child = spawn(join(binDir, 'capstan'), ['serve', ...args], {
    env: { ...process.env, SCALEWAY_API_KEY: API_KEY, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout = [];
  const stderr = [];
  const exited = new Promise((done) => {
    child.once('exit', (code) => done(code));
    child.once('error', (e) => {
      stderr.push(String(e));
      done(-1);
    });
  });
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  });
  createInterface({ input: child.stderr }).on('line', (l) => stderr.push(l));
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (l) => stdout.push(l));
  if (expectExit) {
    return exited.then(
      (code) =>
        new Promise((resolve) => setImmediate(() => resolve({ code, stdout, stderr, child }))),
    );
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`capstan did not start in 20 s:\n${stderr.join('\n')}`)),
      20000,
    );
    exited.then((code) =>
      setImmediate(() => {
        clearTimeout(timer);
        reject(new Error(`capstan exited early (${code}):\n${stderr.join('\n')}`));
      }),
    );
    lines.on('line', () => {
      if (ports.every((p) => stdout.some((l) => l.includes(`listening on http://127.0.0.1:${p}`)))) {
        clearTimeout(timer);
        resolve({ stdout, stderr, child });
      }
    });
  });
}

// An initialised MCP SDK v1 client on `url`; `headers` go on every request. With `elicit`, the
// client declares elicitation and answers each elicitation/create with `elicit(params)`.
export async function connectMcp(url, headers = {}, { elicit } = {}) {
  const [{ Client }, { StreamableHTTPClientTransport }, { ElicitRequestSchema }] = await Promise.all([
    import('@modelcontextprotocol/sdk/client/index.js'),
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
    import('@modelcontextprotocol/sdk/types.js'),
  ]);
  const client = new Client(
    { name: 'capstan-fleet-e2e', version: '1.0.0' },
    elicit ? { capabilities: { elicitation: {} } } : {},
  );
  if (elicit) client.setRequestHandler(ElicitRequestSchema, async (request) => elicit(request.params));
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers },
  });
  await client.connect(transport);
  cleanups.push(() => client.close().catch(() => {})); // popped before capstan stops
  return client;
}

// Every page of tools/list.
export async function listAllTools(client) {
  const tools = [];
  let cursor;
  do {
    const page = await client.listTools(cursor ? { cursor } : {});
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor);
  return tools;
}

// scaleway-iam-sim on an ephemeral port; resolves with its base URL.
export function startSim() {
  const child = spawn(join(binDir, 'scaleway-iam-sim'), ['--port', '0', '--threads', '1', '--no-access-log'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanups.push(async () => child.kill('SIGTERM'));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`scaleway-iam-sim exited (${code})`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = line.match(/^listening on (http:\/\/\S+)/);
      if (m) resolve(m[1]);
    });
  });
}

// The simulator's built-in key and an audience of its built-in data (docs/simulator.md).
export const SIM_TOKEN = '6c7ef130-6442-42fd-b525-ccf941221566';
export const AUDIENCE = 'e41b66d4-13c6-4bdc-a996-431cfcb2185a';
export const seedCapability = join(repoRoot, 'capabilities', 'scaleway-iam-jwts.yaml');

// `capstan serve` of the seed (or `source`) in front of `upstream`, REST on `rest` and MCP on
// `mcp` (0: ephemeral), one event loop, plus `args`; resolves once every port of `wait` listens.
export function serveSeed(upstream, { rest, mcp, args = [], wait, source = seedCapability }) {
  return runCapstan(
    [
      source,
      '--base-uri',
      `iam-jwts=${upstream}`,
      '--port',
      `iam-jwts-rest=${rest}`,
      '--port',
      `iam-jwts-mcp=${mcp}`,
      '--threads',
      '1',
      ...args,
    ],
    { ports: wait, env: { SCALEWAY_API_KEY: SIM_TOKEN } },
  );
}

// A capability file in `dir` that declares only a control adapter on `port`; `lines` are its
// further members, indented under the adapter (management, observability, ...). Returns its path.
export function writeControlCapability(dir, port, lines) {
  const file = join(dir, 'control.yaml');
  writeFileSync(
    file,
    [
      'naftiko: "1.0.0-alpha2"',
      'capability:',
      '  exposes:',
      '    - type: control',
      `      port: ${port}`,
      ...lines.map((l) => `      ${l}`),
      '',
    ].join('\n'),
  );
  return file;
}
