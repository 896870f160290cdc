// The control adapter's operator endpoints (issue 16): readiness that follows the upstreams
// (`--ready-upstreams`: /health/ready turns DEGRADED, naming the upstream, while it refuses
// connections, and UP again when it is back), and the log levels and live log stream (/logs,
// /logs/access, /logs/stream) changing what the access log writes, checked on capstan's stderr
// and with fetch reading the Server-Sent Events.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { AUDIENCE, cleanup, freePort, opts, serveSeed, startRecorder } from './fleet.mjs';

after(cleanup);

async function until(what, fn, timeoutMs = 15000) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last.ok) return last;
    await sleep(100);
  }
  assert.fail(`${what}: last ${JSON.stringify(last)}`);
}

async function ready(ctl) {
  const r = await fetch(`http://127.0.0.1:${ctl}/health/ready`);
  return { status: r.status, body: await r.json() };
}

function listen(server, port) {
  return new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
}

describe('readiness follows the upstreams', opts, () => {
  test('--ready-upstreams: DEGRADED while the upstream refuses connections, UP when back', async () => {
    const handler = (req, res) => res.end('{}');
    let upstream = createServer(handler);
    await listen(upstream, 0);
    const port = upstream.address().port;
    const [rest, ctl] = [await freePort(), await freePort()];
    await serveSeed(`http://127.0.0.1:${port}`, {
      rest,
      mcp: 0,
      args: ['--control-port', String(ctl), '--ready-upstreams', '--no-access-log'],
      wait: [rest, ctl],
    });
    await until('ready with the upstream up', async () => {
      const r = await ready(ctl);
      return { ok: r.status === 200 && r.body.status === 'UP', ...r };
    });
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
    const down = await until('DEGRADED with the upstream down', async () => {
      const r = await ready(ctl);
      return { ok: r.status === 503, ...r };
    });
    assert.equal(down.body.status, 'DEGRADED');
    assert.deepEqual(down.body.reasons, [
      `upstream iam-jwts (127.0.0.1:${port}) unreachable: Connection refused`,
    ]);
    // Liveness is not readiness: the process is fine.
    assert.equal((await fetch(`http://127.0.0.1:${ctl}/health/live`)).status, 200);
    upstream = createServer(handler);
    await listen(upstream, port);
    await until('UP again', async () => {
      const r = await ready(ctl);
      return { ok: r.status === 200, ...r };
    });
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  });
});

describe('log levels and the log stream', opts, () => {
  test('/logs changes what the access log writes; /logs/stream sends the lines', async () => {
    const recorder = await startRecorder();
    const [rest, ctl] = [await freePort(), await freePort()];
    const served = await serveSeed(recorder.base, {
      rest,
      mcp: 0,
      args: ['--control-port', String(ctl), '--log-format', 'json'],
      wait: [rest, ctl],
    });
    const control = `http://127.0.0.1:${ctl}`;
    const get = (path) => fetch(`http://127.0.0.1:${rest}${path}`).then((r) => r.text());
    const logged = () =>
      served.stderr.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).filter((l) => l.path !== '/logs');
    const put = async (path, body) => {
      const r = await fetch(`${control}${path}`, { method: 'PUT', body: JSON.stringify(body) });
      return { status: r.status, body: await r.json() };
    };

    assert.deepEqual(await (await fetch(`${control}/logs`)).json(), {
      level: 'info',
      loggers: { access: { level: null, effective: 'info' } },
    });
    await get(`/v1/iam/v1alpha1/jwts?audience_id=${AUDIENCE}`);
    await until('an info line', async () => ({
      ok: logged().some((l) => l.path === '/v1/iam/v1alpha1/jwts' && l.level === 'info'),
    }));

    // warn: 2xx lines stop, 4xx lines stay.
    assert.equal((await put('/logs', { level: 'warn' })).status, 200);
    const before = logged().length;
    await get(`/v1/iam/v1alpha1/jwts?audience_id=${AUDIENCE}`);
    await get('/v1/no-such-route');
    await until('the warn line', async () => ({ ok: logged().length > before }));
    await sleep(200);
    const since = logged().slice(before);
    assert.deepEqual(
      since.map((l) => [l.status, l.level]),
      [[404, 'warn']],
      JSON.stringify(since),
    );

    // The access logger's own level wins over the root's; null follows the root again.
    assert.deepEqual((await put('/logs/access', { level: 'info' })).body, {
      level: 'info',
      effective: 'info',
      logger: 'access',
    });
    assert.equal((await put('/logs/access', { level: 'chatty' })).status, 400);
    assert.equal((await put('/logs/nobody', { level: 'info' })).status, 404);

    // The stream: each access line as a `data:` event.
    const abort = new AbortController();
    const stream = await fetch(`${control}/logs/stream`, { signal: abort.signal });
    assert.equal(stream.status, 200);
    assert.equal(stream.headers.get('content-type'), 'text/event-stream');
    const reader = stream.body.getReader();
    const decoder = new TextDecoder();
    let text = '';
    await get(`/v1/iam/v1alpha1/jwts/streamed-jti`);
    const end = Date.now() + 10000;
    while (!text.includes('streamed-jti') && Date.now() < end) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    const event = text.split('\n\n').find((e) => e.includes('streamed-jti'));
    assert.ok(event, text);
    const line = JSON.parse(event.replace(/^data: /, ''));
    assert.equal(line.path, '/v1/iam/v1alpha1/jwts/streamed-jti');
    assert.equal(line.adapter, 'iam-jwts-rest');
    abort.abort();
    assert.equal((await put('/logs', { level: 'info' })).status, 200);
  });
});
