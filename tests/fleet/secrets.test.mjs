// No secret leaves capstan through any channel an operator or a caller can read (issue 16):
// the upstream key (SCALEWAY_API_KEY) and a caller's credentials (Authorization, X-Auth-Token,
// a cookie, a secret-looking query parameter) never appear in stderr (JSON access log, start-up
// and reload messages), stdout, the control adapter's /status, /config, /info, /metrics and
// /logs/stream, the spans exported over OTLP, MCP log notifications, or the answers to the
// caller (also for upstream 401 and 500), while the upstream does receive the key.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  AUDIENCE,
  cleanup,
  connectMcp,
  freePort,
  opts,
  runCapstan,
  seedCapability,
  startRecorder,
  writeControlCapability,
} from './fleet.mjs';

after(cleanup);

const UPSTREAM_KEY = 'sk-upstream-secret-9f8e7d6c5b4a';
const CLIENT_SECRETS = [
  'client-bearer-secret-1a2b3c',
  'client-xauth-secret-4d5e6f',
  'client-cookie-secret-7a8b9c',
  'query-secret-0d1e2f',
];
const SECRETS = [UPSTREAM_KEY, ...CLIENT_SECRETS];

// The upstream: 200 for lists, 401 for .../deny, 500 for .../boom; it records what it got.
async function startUpstream() {
  const seen = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url, headers: req.headers });
    res.setHeader('Content-Type', 'application/json');
    if (req.url.includes('/deny')) {
      res.statusCode = 401;
      res.end('{"message":"authentication is denied","type":"denied_authentication"}');
    } else if (req.url.includes('/boom')) {
      res.statusCode = 500;
      res.end('{"message":"internal error"}');
    } else if (req.url.startsWith('/iam/v1alpha1/jwts/')) {
      res.end('{"jti":"j1","issuer_id":"i","audience_id":"a","updated_at":"2026-01-01T00:00:00Z"}');
    } else {
      res.end('{"jwts":[],"total_count":0}');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${server.address().port}`, seen, server };
}

describe('secrets', opts, () => {
  test('no secret in any log, status, metric, span, stream or answer', async () => {
    const upstream = await startUpstream();
    const collector = await startRecorder();
    const dir = mkdtempSync(join(tmpdir(), 'capstan-secrets-'));
    const [rest, mcp, ctl] = [await freePort(), await freePort(), await freePort()];
    const control = writeControlCapability(dir, ctl, [
      'management: {info: true, reload: true, validate: true, logs: true}',
      'observability:',
      `  exporters: {otlp: {endpoint: "${collector.base}"}}`,
    ]);
    const outputs = []; // every text capstan produced for someone to read
    try {
      const served = await runCapstan(
        [
          seedCapability,
          control,
          '--base-uri',
          `iam-jwts=${upstream.base}`,
          '--port',
          `iam-jwts-rest=${rest}`,
          '--port',
          `iam-jwts-mcp=${mcp}`,
          '--log-format',
          'json',
        ],
        { ports: [rest, mcp, ctl], env: { SCALEWAY_API_KEY: UPSTREAM_KEY } },
      );
      const base = `http://127.0.0.1:${ctl}`;
      const abort = new AbortController();
      const stream = await fetch(`${base}/logs/stream`, { signal: abort.signal });
      const reader = stream.body.getReader();
      let streamed = '';
      const pump = (async () => {
        const decoder = new TextDecoder();
        for (;;) {
          const { value, done } = await reader.read().catch(() => ({ done: true }));
          if (done) return;
          streamed += decoder.decode(value);
        }
      })();

      const callerHeaders = {
        Authorization: `Bearer ${CLIENT_SECRETS[0]}`,
        'X-Auth-Token': CLIENT_SECRETS[1],
        Cookie: `session=${CLIENT_SECRETS[2]}`,
      };
      for (const path of [
        `/v1/iam/v1alpha1/jwts?audience_id=${AUDIENCE}&password=${CLIENT_SECRETS[3]}`,
        `/v1/iam/v1alpha1/jwts?audience_id=${AUDIENCE}`,
        '/v1/iam/v1alpha1/jwts/deny',
        '/v1/iam/v1alpha1/jwts/boom',
        `/v1/no-such-route?token=${CLIENT_SECRETS[3]}`,
      ]) {
        const r = await fetch(`http://127.0.0.1:${rest}${path}`, { headers: callerHeaders });
        outputs.push(`${r.status} ${[...r.headers].join(' ')} ${await r.text()}`);
      }

      const client = await connectMcp(`http://127.0.0.1:${mcp}/mcp`, callerHeaders);
      const { LoggingMessageNotificationSchema } = await import('@modelcontextprotocol/sdk/types.js');
      client.setNotificationHandler(LoggingMessageNotificationSchema, (n) =>
        outputs.push(JSON.stringify(n.params)),
      );
      await client.setLoggingLevel('debug');
      for (const [name, args] of [
        ['list-jwts', { audience_id: AUDIENCE }],
        ['get-jwt', { jti: 'deny' }],
        ['get-jwt', { jti: 'boom' }],
      ]) {
        outputs.push(JSON.stringify(await client.callTool({ name, arguments: args })));
      }

      for (const [method, path] of [
        ['GET', '/status'],
        ['GET', '/config'],
        ['GET', '/info'],
        ['GET', '/metrics'],
        ['GET', '/logs'],
        ['POST', '/config/validate'],
        ['POST', '/config/reload'],
      ]) {
        const r = await fetch(`${base}${path}`, { method });
        assert.equal(r.status, 200, `${method} ${path}`);
        outputs.push(await r.text());
      }
      // The spans of these calls reach the collector within the exporter's second.
      for (let i = 0; i < 60 && collector.requests.length === 0; ++i) await sleep(100);
      assert.ok(collector.requests.length > 0, 'spans were exported');
      await sleep(1200);
      abort.abort();
      await Promise.race([pump, sleep(2000)]);
      outputs.push(...collector.requests.map((r) => r.body));
      outputs.push(streamed, served.stdout.join('\n'), served.stderr.join('\n'));

      assert.ok(streamed.includes('/v1/iam/v1alpha1/jwts/deny'), 'the stream carried the lines');
      assert.ok(served.stderr.some((l) => l.includes('"status":401')), 'the access log has the 401');
      const all = outputs.join('\n');
      for (const secret of SECRETS) {
        assert.ok(!all.includes(secret), `${secret} leaked:\n${outputs.find((o) => o.includes(secret))}`);
      }
      // The key was in play: every upstream request carried it, and none a caller's credential.
      assert.ok(upstream.seen.length >= 6);
      for (const r of upstream.seen) {
        assert.equal(r.headers['x-auth-token'], UPSTREAM_KEY, r.url);
        assert.equal(r.headers.authorization, undefined, r.url);
        assert.equal(r.headers.cookie, undefined, r.url);
      }
    } finally {
      // Pooled keep-alive connections would hold close() open: end them first.
      upstream.server.closeAllConnections();
      await new Promise((resolve) => upstream.server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
