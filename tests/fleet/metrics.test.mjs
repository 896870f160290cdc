// Observability (issue 16). The control adapter's /metrics (per adapter and operation or tool,
// and per upstream: answers, pool, connection errors) read by a real Prometheus server
// (Debian's `prometheus`, started here on loopback): capstan serves the seed against
// scaleway-iam-sim, REST and MCP calls are made, /metrics counts them per adapter and operation
// or tool, and the count is read back through Prometheus's HTTP API after it scraped the control
// port. W3C trace context: a traceparent on REST and in an MCP call's _meta reaches the upstream
// as a child and the access log as trace_id.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  AUDIENCE,
  SIM_TOKEN as TOKEN,
  cleanup,
  connectMcp,
  freePort,
  opts,
  serveSeed,
  startRecorder,
  startSim,
} from './fleet.mjs';

const noPrometheus = spawnSync('prometheus', ['--version']).error
  ? 'the prometheus server is not installed (scripts/setup installs Debian\'s prometheus)'
  : null;

after(cleanup);

describe('metrics', { ...opts, ...(noPrometheus && !opts.skip ? { skip: noPrometheus } : {}) }, () => {
  test('/metrics counts answers per operation and tool, and Prometheus reads them back', async () => {
    const sim = await startSim();
    const [rest, mcp, control, web] = [await freePort(), await freePort(), await freePort(), await freePort()];
    await serveSeed(sim, {
      rest,
      mcp,
      args: ['--control-port', String(control), '--no-access-log'],
      wait: [rest, mcp, control],
    });
    for (let i = 0; i < 5; i++) {
      const r = await fetch(`http://127.0.0.1:${rest}/v1/iam/v1alpha1/jwts?audience_id=${AUDIENCE}&page_size=2`);
      assert.equal(r.status, 200);
      await r.arrayBuffer();
    }
    const missing = await fetch(`http://127.0.0.1:${rest}/v1/iam/v1alpha1/jwts/00000000-0000-4000-8000-000000000000`);
    assert.equal(missing.status, 404);
    const client = await connectMcp(`http://127.0.0.1:${mcp}/mcp`);
    for (let i = 0; i < 2; i++) {
      const r = await client.callTool({ name: 'list-jwts', arguments: { audience_id: AUDIENCE, page_size: 1 } });
      assert.notEqual(r.isError, true);
    }

    const response = await fetch(`http://127.0.0.1:${control}/metrics`);
    assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();
    const value = (line) => Number(text.match(new RegExp(`^${line.replace(/[{}()|.*+?^$[\]\\]/g, '\\$&')} (\\S+)$`, 'm'))?.[1]);
    assert.equal(value('capstan_requests_total{adapter="iam-jwts-rest",operation="GET /v1/iam/v1alpha1/jwts",code="2xx"}'), 5, text);
    assert.equal(value('capstan_requests_total{adapter="iam-jwts-rest",operation="GET /v1/iam/v1alpha1/jwts/{jti}",code="4xx"}'), 1);
    assert.equal(value('capstan_upstream_responses_total{adapter="iam-jwts-rest",operation="GET /v1/iam/v1alpha1/jwts/{jti}",code="4xx"}'), 1);
    assert.equal(value('capstan_requests_total{adapter="iam-jwts-mcp",operation="tools/call list-jwts",code="2xx"}'), 2);
    assert.equal(value('capstan_request_duration_seconds_count{adapter="iam-jwts-rest",operation="GET /v1/iam/v1alpha1/jwts"}'), 5);
    assert.equal(value('capstan_request_duration_seconds_bucket{adapter="iam-jwts-rest",operation="GET /v1/iam/v1alpha1/jwts",le="+Inf"}'), 5);
    assert.equal(value('capstan_mcp_sessions'), 1);
    assert.ok(value('capstan_process_resident_memory_bytes') > 1e6);
    // Per upstream: the simulator's origin, every call of both adapters (5 + 1 REST, 2 MCP),
    // over pooled keep-alive connections: one per listener's loop (REST, MCP), each back in its
    // pool after its calls.
    const up = `upstream="${sim}"`;
    assert.equal(value(`capstan_upstream_requests_total{${up},code="2xx"}`), 7, text);
    assert.equal(value(`capstan_upstream_requests_total{${up},code="4xx"}`), 1);
    assert.equal(value(`capstan_upstream_request_duration_seconds_count{${up}}`), 8);
    const opened = value(`capstan_upstream_connections_opened_total{${up}}`);
    assert.ok(opened >= 1 && opened <= 2, `connections opened: ${opened}`);
    assert.equal(value(`capstan_upstream_pool_idle_connections{${up}}`), opened);
    assert.equal(value(`capstan_upstream_connect_errors_total{${up}}`), 0);
    assert.equal(value(`capstan_upstream_timeouts_total{${up}}`), 0);

    // A real Prometheus scrapes the control port every second.
    const dir = mkdtempSync(join(tmpdir(), 'capstan-prometheus-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: capstan\n    static_configs:\n      - targets: ['127.0.0.1:${control}']\n`,
    );
    const prometheus = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${web}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    prometheus.stderr.on('data', (d) => (log += d));
    after(() => prometheus.kill('SIGTERM'));
    const query = 'capstan_requests_total{operation="GET /v1/iam/v1alpha1/jwts",code="2xx"}';
    let result;
    for (let i = 0; i < 120 && !result; i++) {
      await sleep(250);
      try {
        const r = await fetch(`http://127.0.0.1:${web}/api/v1/query?query=${encodeURIComponent(query)}`);
        const body = await r.json();
        if (body.status === 'success' && body.data.result.length > 0) result = body.data.result;
      } catch {
        // not listening yet
      }
    }
    assert.ok(result, `Prometheus never returned ${query}:\n${log}`);
    assert.equal(result.length, 1);
    assert.equal(result[0].metric.adapter, 'iam-jwts-rest');
    assert.equal(result[0].metric.job, 'capstan');
    assert.equal(result[0].value[1], '5');
  });
});

describe('trace context', opts, () => {
  test('traceparent (REST header, MCP _meta) reaches the upstream as a child and the access log', async () => {
    const recorder = await startRecorder();
    const [rest, mcp] = [await freePort(), await freePort()];
    const served = await serveSeed(recorder.base, { rest, mcp, wait: [rest, mcp] });
    const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parent = '00f067aa0ba902b7';
    let mark = recorder.requests.length;
    const r = await fetch(`http://127.0.0.1:${rest}/v1/iam/v1alpha1/jwts?audience_id=${AUDIENCE}`, {
      headers: { traceparent: `00-${trace}-${parent}-01`, tracestate: 'vendor=abc' },
    });
    assert.equal(r.status, 200);
    let sent = recorder.since(mark, 'REST with traceparent');
    const child = sent.headers.traceparent.match(/^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/);
    assert.ok(child, sent.headers.traceparent);
    assert.equal(child[1], trace);
    assert.notEqual(child[2], parent); // capstan's own span
    assert.equal(sent.headers.tracestate, 'vendor=abc');

    // A malformed traceparent is not forwarded; none at all adds none.
    mark = recorder.requests.length;
    await (await fetch(`http://127.0.0.1:${rest}/v1/iam/v1alpha1/jwts`, { headers: { traceparent: '00-bad' } })).text();
    assert.equal(recorder.since(mark, 'bad traceparent').headers.traceparent, undefined);

    // MCP: the trace context of a tools/call's _meta.
    const client = await connectMcp(`http://127.0.0.1:${mcp}/mcp`);
    const mcpTrace = '0af7651916cd43dd8448eb211c80319c';
    mark = recorder.requests.length;
    const result = await client.callTool({
      name: 'get-jwt',
      arguments: { jti: 'j1' },
      _meta: { traceparent: `00-${mcpTrace}-b7ad6b7169203331-01` },
    });
    assert.notEqual(result.isError, true);
    sent = recorder.since(mark, 'MCP with _meta.traceparent');
    assert.match(sent.headers.traceparent, new RegExp(`^00-${mcpTrace}-[0-9a-f]{16}-01$`));

    await new Promise((resolve) => setTimeout(resolve, 100)); // the access log lines
    const log = served.stderr.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    assert.ok(
      log.some(
        (l) =>
          l.trace_id === trace &&
          l.path === '/v1/iam/v1alpha1/jwts' &&
          l.adapter === 'iam-jwts-rest' &&
          l.operation === 'GET /v1/iam/v1alpha1/jwts',
      ),
      served.stderr.join('\n'),
    );
    assert.ok(
      log.some((l) => l.trace_id === mcpTrace && l.path === '/mcp' && l.operation === 'tools/call get-jwt'),
    );
    assert.ok(log.every((l) => !JSON.stringify(l).includes(TOKEN))); // no secret in the log
  });
});

describe('access log', opts, () => {
  test('--log-format text: one readable line a request', async () => {
    const recorder = await startRecorder();
    const rest = await freePort();
    const served = await serveSeed(recorder.base, {
      rest,
      mcp: 0,
      args: ['--log-format', 'text'],
      wait: [rest],
    });
    const r = await fetch(`http://127.0.0.1:${rest}/v1/iam/v1alpha1/jwts?audience_id=${AUDIENCE}`, {
      headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    });
    assert.equal(r.status, 200);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const line = served.stderr.find((l) => l.includes(' GET /v1/iam/v1alpha1/jwts '));
    assert.match(
      line ?? served.stderr.join('\n'),
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ 200 GET \/v1\/iam\/v1alpha1\/jwts [\d.]+ ms \(upstream 200 [\d.]+ ms\) iam-jwts-rest "GET \/v1\/iam\/v1alpha1\/jwts" id=\S+ trace=4bf92f3577b34da6a3ce929d0e0e4736 from 127\.0\.0\.1$/,
    );
    assert.ok(!served.stderr.join('\n').includes(TOKEN));
  });
});
