// Upstream resilience and inbound rate limits (issue 17), against an upstream this test steers:
// a flapping upstream (every other answer 503) is hidden by --retries; a failing one opens the
// circuit breaker (--breaker-failures: calls fail fast with 503 and never reach it, REST and
// MCP) until a probe after --breaker-open-ms finds it well again; a slow one under load is
// protected by --max-in-flight (the excess is shed at once); --rate-limit answers 429 with
// Retry-After. The control adapter's /metrics counts each.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
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
  serveSeed,
} from './fleet.mjs';

after(cleanup);

// mode: ok | flap (503 on every other request) | down (500) | slow (300 ms, then ok).
async function startUpstream() {
  const state = { mode: 'ok', requests: 0, inFlight: 0, maxInFlight: 0 };
  const server = createServer(async (req, res) => {
    state.requests++;
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    const send = (status, body) => {
      state.inFlight--;
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (state.mode === 'down') return send(500, { message: 'internal error' });
    if (state.mode === 'flap' && state.requests % 2 === 1) return send(503, { message: 'busy' });
    if (state.mode === 'slow') await sleep(300);
    return send(200, { jwts: [], total_count: 0 });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.base = `http://127.0.0.1:${server.address().port}`;
  state.close = () => {
    server.closeAllConnections();  // capstan's pooled keep-alive connections
    return new Promise((resolve) => server.close(resolve));
  };
  return state;
}

async function serve(upstream, flags) {
  const [rest, mcp, ctl] = [await freePort(), await freePort(), await freePort()];
  await serveSeed(upstream.base, {
    rest,
    mcp,
    args: ['--control-port', String(ctl), '--no-access-log', ...flags],
    wait: [rest, mcp, ctl],
  });
  return {
    list: () => fetch(`http://127.0.0.1:${rest}/v1/iam/v1alpha1/jwts?audience_id=${AUDIENCE}`),
    get: (jti) => fetch(`http://127.0.0.1:${rest}/v1/iam/v1alpha1/jwts/${jti}`),
    mcp: `http://127.0.0.1:${mcp}/mcp`,
    metric: async (name) => {
      const text = await (await fetch(`http://127.0.0.1:${ctl}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name}{upstream="${upstream.base}"}`) || l.startsWith(`${name} `));
      return line ? Number(line.split(' ').pop()) : undefined;
    },
  };
}

describe('upstream resilience', opts, () => {
  test('--retries hides a flapping upstream', async () => {
    const upstream = await startUpstream();
    const c = await serve(upstream, ['--retries', '2', '--retry-backoff-ms', '5']);
    upstream.mode = 'flap';
    for (let i = 0; i < 5; i++) {
      const r = await c.list();
      assert.equal(r.status, 200, await r.text());
    }
    assert.equal(upstream.requests, 10); // each call: a 503, then the retry
    assert.equal(await c.metric('capstan_upstream_retries_total'), 5);
    await upstream.close();
  });

  test('values per namespace and per operation; a key that names nothing is refused', async () => {
    const upstream = await startUpstream();
    // Retries for every call of the namespace but one operation.
    const c = await serve(upstream, ['--retries', 'iam-*=2', '--retry-backoff-ms', '5',
      '--retries', 'iam-jwts.listjwts=0']);
    upstream.mode = 'flap';
    upstream.requests = 0;
    assert.equal((await c.list()).status, 503); // listjwts: not retried, the 503 passes through
    assert.equal(upstream.requests, 1);
    upstream.requests = 0; // the next answer fails again
    assert.equal((await c.get('j1')).status, 200); // getjwt: retried
    assert.equal(upstream.requests, 2);
    await upstream.close();
    const typo = await runCapstan(
      [seedCapability, '--base-uri', 'iam-jwts=http://127.0.0.1:1', '--retries', 'iam-jwts.nope=1'],
      { expectExit: true },
    );
    assert.equal(typo.code, 2);
    assert.match(typo.stderr.join('\n'), /names 'iam-jwts\.nope', which is no consumes namespace/);
    const bad = await runCapstan([seedCapability, '--retries', 'x=eleven'], { expectExit: true });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr.join('\n'), /--retries expects N or KEY=N/);
  });

  test('the circuit breaker opens, fails fast (REST and MCP), and closes after a good probe', async () => {
    const upstream = await startUpstream();
    // Open long enough that the fast-fail checks below finish inside the window even on a busy
    // machine.
    const c = await serve(upstream, ['--breaker-failures', '3', '--breaker-open-ms', '2500']);
    upstream.mode = 'down';
    for (let i = 0; i < 3; i++) assert.equal((await c.list()).status, 500); // the upstream's 500
    const seen = upstream.requests;
    const fast = await c.list();
    assert.equal(fast.status, 503);
    const body = await fast.json();
    assert.equal(body.type, 'unavailable');
    assert.match(body.message, /circuit breaker for http:\/\/127\.0\.0\.1:\d+ is open/);
    const client = await connectMcp(c.mcp);
    const tool = await client.callTool({ name: 'list-jwts', arguments: { audience_id: AUDIENCE } });
    assert.equal(tool.isError, true);
    assert.match(JSON.stringify(tool.content), /circuit breaker/);
    assert.equal(upstream.requests, seen, 'no call reached the upstream while open');
    assert.equal(await c.metric('capstan_upstream_breaker_state'), 1);
    // Well again; after the open delay one probe goes through and closes the breaker.
    upstream.mode = 'ok';
    await sleep(2600);
    assert.equal((await c.list()).status, 200);
    assert.equal((await c.list()).status, 200);
    assert.equal(await c.metric('capstan_upstream_breaker_state'), 0);
    assert.equal(await c.metric('capstan_upstream_breaker_opened_total'), 1);
    assert.ok((await c.metric('capstan_upstream_breaker_rejected_total')) >= 2);
    await upstream.close();
  });

  test('--max-in-flight sheds the excess against a slow upstream', async () => {
    const upstream = await startUpstream();
    const c = await serve(upstream, ['--max-in-flight', '2']);
    upstream.mode = 'slow';
    const answers = await Promise.all(Array.from({ length: 8 }, () => c.list()));
    const statuses = answers.map((r) => r.status);
    const shed = answers.filter((r) => r.status === 503);
    assert.ok(statuses.filter((s) => s === 200).length >= 2, statuses.join(' '));
    assert.ok(shed.length >= 1, statuses.join(' '));
    assert.match((await shed[0].json()).message, /too many calls in flight to .* \(limit 2\)/);
    assert.ok(upstream.maxInFlight <= 2, `upstream saw ${upstream.maxInFlight} at once`);
    assert.equal(await c.metric('capstan_upstream_shed_total'), shed.length);
    await upstream.close();
  });
});

describe('inbound rate limit', opts, () => {
  test('--rate-limit: 429 with Retry-After past the burst, per caller', async () => {
    const upstream = await startUpstream();
    const c = await serve(upstream, ['--rate-limit', '2']); // bursts of 4
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await c.list()).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429]);
    const limited = await c.list();
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '1');
    assert.equal((await limited.json()).type, 'rate_limited');
    // Another credential is another caller.
    const other = await fetch((await c.list()).url, { headers: { Authorization: 'Bearer someone-else' } });
    assert.equal(other.status, 200);
    assert.ok((await c.metric('capstan_rate_limited_total')) >= 3);
    await sleep(600); // a token back
    assert.equal((await c.list()).status, 200);
    await upstream.close();
  });
});
