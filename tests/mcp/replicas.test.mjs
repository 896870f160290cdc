// Scale-out (issue 15): three `capstan serve` replicas of the seed behind nginx (round robin, no
// sticky sessions) on loopback, sharing only --mcp-session-key. The MCP SDK v1 and v2 flows and
// the conformance suite's product-mode scenarios run through nginx; one replica is restarted in
// the middle of a session, which goes on (any replica verifies and adopts the signed session id;
// there is no shared store).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  USER_A,
  here,
  node22,
  run,
  seedCapability,
  skipReason,
  startCapstan,
  startSimulator,
  stopAll,
  testOptions,
  textOf,
} from './harness.mjs';

if (skipReason) console.log(`capstan-e2e-skip: ${skipReason}`);
const nginxMissing = spawnSync('nginx', ['-v']).error ? 'nginx is not installed (scripts/setup installs nginx-light)' : null;
const options = skipReason || !nginxMissing ? testOptions : { skip: nginxMissing };

const KEY = 'replicas-test-session-key-0123456789abcdef';
let sim;
let dir;
let nginx;
let proxyUrl;
const ports = [];
const replicas = [];

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// Replica i on its fixed MCP port; its access log (stderr) says which requests it served.
async function startReplica(i) {
  const { child, stderr } = await startCapstan(
    [
      seedCapability,
      '--base-uri',
      `iam-jwts=${sim}`,
      '--port',
      `iam-jwts-mcp=${ports[i]}`,
      '--port',
      'iam-jwts-rest=0',
      '--mcp-session-key',
      KEY,
      '--threads',
      '1',
    ],
    ['iam-jwts-mcp'],
  );
  replicas[i] = { child, stderr };
}

// POSTs to /mcp each replica logged since `marks` (stderr lengths).
function servedSince(marks) {
  return replicas.map(
    (r, i) =>
      r.stderr.slice(marks[i]).filter((l) => l.includes('"method":"POST"') && l.includes('"path":"/mcp"')).length,
  );
}

before(async () => {
  if (options.skip) return;
  sim = await startSimulator();
  for (let i = 0; i < 3; i++) ports.push(await freePort());
  for (let i = 0; i < 3; i++) await startReplica(i);
  dir = mkdtempSync(join(tmpdir(), 'capstan-replicas-'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp; proxy_temp_path ${dir}/tmp; fastcgi_temp_path ${dir}/tmp;
  uwsgi_temp_path ${dir}/tmp; scgi_temp_path ${dir}/tmp;
  upstream capstan {
    server 127.0.0.1:${ports[0]} max_fails=0;
    server 127.0.0.1:${ports[1]} max_fails=0;
    server 127.0.0.1:${ports[2]} max_fails=0;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://capstan;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_buffering off;
      proxy_read_timeout 60s;
      proxy_next_upstream error;
    }
  }
}
`,
  );
  nginx = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: 'ignore' });
  proxyUrl = `http://127.0.0.1:${port}/mcp`;
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      break;
    } catch {
      await sleep(50);
    }
  }
});

after(async () => {
  nginx?.kill('SIGTERM');
  await stopAll();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('three replicas behind nginx, no sticky sessions', options, () => {
  test('SDK v1: a session spans every replica and survives a replica restart', async () => {
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
    const marks = replicas.map((r) => r.stderr.length);
    const client = new Client({ name: 'capstan-replicas-v1', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(proxyUrl));
    await client.connect(transport);
    const sessionId = transport.sessionId;
    assert.ok(sessionId);
    const call = async () => {
      const r = await client.callTool({ name: 'list-jwts', arguments: { audience_id: USER_A, page_size: 2 } });
      assert.notEqual(r.isError, true, textOf(r));
      assert.equal(r.structuredContent.jwts.length, 2);
    };
    assert.equal((await client.listTools()).tools.length, 3);
    for (let i = 0; i < 6; i++) await call();
    const spread = servedSince(marks);
    assert.ok(spread.every((n) => n > 0), `round robin should reach every replica: ${spread}`);

    // Replica 1 goes away and comes back on its port (a rolling restart): same session id.
    const old = replicas[1].child;
    const exited = new Promise((resolve) => old.once('exit', resolve));
    old.kill('SIGTERM');
    await exited;
    await startReplica(1);
    const after = replicas.map((r) => r.stderr.length);
    for (let i = 0; i < 6; i++) await call();
    assert.equal(transport.sessionId, sessionId);
    assert.ok(servedSince(after)[1] > 0, 'the restarted replica should have served the old session');
    await client.close();
  });

  test('SDK v2: the legacy handshake and the stateless 2026-07-28 revision', async () => {
    const v2 = await import('@modelcontextprotocol/client');
    for (const versionNegotiation of [undefined, { mode: 'auto' }]) {
      const client = new v2.Client(
        { name: 'capstan-replicas-v2', version: '1.0.0' },
        versionNegotiation ? { versionNegotiation } : {},
      );
      await client.connect(new v2.StreamableHTTPClientTransport(new URL(proxyUrl)));
      const expected = versionNegotiation ? '2026-07-28' : '2025-11-25';
      assert.equal(client.getNegotiatedProtocolVersion(), expected);
      for (let i = 0; i < 4; i++) {
        const r = await client.callTool({ name: 'list-jwts', arguments: { audience_id: USER_A, page_size: 1 } });
        assert.notEqual(r.isError, true, textOf(r));
      }
      await client.close();
    }
  });

  test('conformance 0.1.16 product mode through nginx: every failure is in the baseline', async () => {
    const suite = join(here, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
    const r = await run(
      node22,
      [suite, 'server', '--url', proxyUrl.replace('127.0.0.1', 'localhost'), '--suite', 'all',
        '--expected-failures', join(here, 'conformance-baseline.yml')],
      { timeoutMs: 300000 },
    );
    console.log(r.stdout.match(/Total: \d+ passed, \d+ failed/)?.[0]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Baseline check passed/);
  });
});
