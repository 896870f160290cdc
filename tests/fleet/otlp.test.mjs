// Span export (issue 16): the control adapter's observability.exporters.otlp.endpoint names a
// collector, here a loopback HTTP server of this test that records what capstan POSTs to
// /v1/traces (OTLP/HTTP, JSON encoding). capstan serves the seed against a recording upstream:
// a REST request and an MCP tools/call each give a SERVER span and a CLIENT span (its child,
// whose id is the upstream request's traceparent parent-id); a request without traceparent
// starts a new trace; no secret or query string reaches the collector.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  AUDIENCE,
  SIM_TOKEN,
  cleanup,
  connectMcp,
  freePort,
  opts,
  serveSeed,
  startRecorder,
  writeControlCapability,
} from './fleet.mjs';

after(cleanup);

// Every span the collector received, flattened, with attributes as a plain object.
function spansOf(collector) {
  const out = [];
  for (const r of collector.requests) {
    if (r.path !== '/v1/traces') continue;
    const body = JSON.parse(r.body);
    for (const rs of body.resourceSpans) {
      const resource = Object.fromEntries(
        rs.resource.attributes.map((a) => [a.key, a.value.stringValue]),
      );
      for (const ss of rs.scopeSpans) {
        for (const s of ss.spans) {
          const attributes = Object.fromEntries(
            s.attributes.map((a) => [a.key, a.value.stringValue ?? Number(a.value.intValue)]),
          );
          out.push({ ...s, attributes, resource });
        }
      }
    }
  }
  return out;
}

async function waitForSpans(collector, predicate, what) {
  for (let i = 0; i < 100; ++i) {
    const found = spansOf(collector).filter(predicate);
    if (found.length > 0) return found;
    await sleep(50);
  }
  assert.fail(`no span ${what}; received: ${JSON.stringify(spansOf(collector), null, 1)}`);
}

describe('OTLP span export', opts, () => {
  test('REST and MCP calls export server and client spans to the collector', async () => {
    const collector = await startRecorder();
    const upstream = await startRecorder();
    const dir = mkdtempSync(join(tmpdir(), 'capstan-otlp-'));
    const [rest, mcp, ctl] = [await freePort(), await freePort(), await freePort()];
    const control = writeControlCapability(dir, ctl, [
      'observability:',
      '  traces:',
      '    sampling: 1.0',
      '  exporters:',
      '    otlp:',
      `      endpoint: "${collector.base}"`,
    ]);
    try {
      const served = await serveSeed(upstream.base, {
        rest,
        mcp,
        args: [control, '--no-access-log'],
        wait: [rest, mcp, ctl],
      });
      assert.ok(
        served.stderr.some((l) => l.includes(`exporting spans to ${collector.base}/v1/traces`)),
        served.stderr.join('\n'),
      );

      // REST, with the caller's trace context.
      const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
      const parent = '00f067aa0ba902b7';
      let mark = upstream.requests.length;
      const r = await fetch(
        `http://127.0.0.1:${rest}/v1/iam/v1alpha1/jwts?audience_id=${AUDIENCE}&page_size=3`,
        { headers: { traceparent: `00-${trace}-${parent}-01` } },
      );
      assert.equal(r.status, 200);
      const sent = upstream.since(mark, 'REST');
      const [server] = await waitForSpans(collector, (s) => s.traceId === trace && s.kind === 2, 'REST server');
      assert.equal(server.parentSpanId, parent);
      assert.equal(server.name, 'GET /v1/iam/v1alpha1/jwts');
      assert.equal(server.attributes['http.request.method'], 'GET');
      assert.equal(server.attributes['url.path'], '/v1/iam/v1alpha1/jwts');
      assert.equal(server.attributes['http.response.status_code'], 200);
      assert.equal(server.attributes['capstan.adapter'], 'iam-jwts-rest');
      assert.equal(server.resource['service.name'], 'capstan');
      assert.ok(BigInt(server.endTimeUnixNano) >= BigInt(server.startTimeUnixNano));
      const [client] = await waitForSpans(collector, (s) => s.traceId === trace && s.kind === 3, 'REST client');
      assert.equal(client.parentSpanId, server.spanId);
      assert.equal(client.name, 'GET');
      assert.equal(client.attributes['url.full'], `${upstream.base}/iam/v1alpha1/jwts`);
      assert.equal(client.attributes['http.response.status_code'], 200);
      // The upstream saw the client span as its parent.
      assert.equal(sent.headers.traceparent, `00-${trace}-${client.spanId}-01`);

      // No traceparent: a new trace, rooted at capstan's server span.
      mark = upstream.requests.length;
      await (await fetch(`http://127.0.0.1:${rest}/v1/iam/v1alpha1/jwts/some-jti`)).text();
      const rootTrace = upstream.since(mark, 'untraced REST').headers.traceparent.split('-')[1];
      const [root] = await waitForSpans(collector, (s) => s.traceId === rootTrace && s.kind === 2, 'root');
      assert.equal(root.parentSpanId, undefined);
      assert.equal(root.name, 'GET /v1/iam/v1alpha1/jwts/{jti}');

      // MCP: the trace context of the call's _meta.
      const client2 = await connectMcp(`http://127.0.0.1:${mcp}/mcp`);
      const mcpTrace = '0af7651916cd43dd8448eb211c80319c';
      const mcpParent = 'b7ad6b7169203331';
      mark = upstream.requests.length;
      const result = await client2.callTool({
        name: 'get-jwt',
        arguments: { jti: 'j1' },
        _meta: { traceparent: `00-${mcpTrace}-${mcpParent}-01` },
      });
      assert.notEqual(result.isError, true);
      const mcpSent = upstream.since(mark, 'MCP');
      const [mcpServer] = await waitForSpans(collector, (s) => s.traceId === mcpTrace && s.kind === 2, 'MCP server');
      assert.equal(mcpServer.name, 'tools/call get-jwt');
      assert.equal(mcpServer.parentSpanId, mcpParent);
      const [mcpClient] = await waitForSpans(collector, (s) => s.traceId === mcpTrace && s.kind === 3, 'MCP client');
      assert.equal(mcpClient.parentSpanId, mcpServer.spanId);
      assert.equal(mcpSent.headers.traceparent, `00-${mcpTrace}-${mcpClient.spanId}-01`);
      await client2.close();

      // Nothing secret and no query string went to the collector.
      const exported = collector.requests.map((q) => q.body).join('\n');
      assert.ok(!exported.includes(SIM_TOKEN), 'the upstream key is not exported');
      assert.ok(!exported.includes('page_size'), 'query strings are not exported');
      assert.ok(collector.requests.every((q) => q.method === 'POST' && q.headers['content-type'] === 'application/json'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
