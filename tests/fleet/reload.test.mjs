// Hot reload (issue 15): `capstan serve --watch --control-port` of the seed capability against
// scaleway-iam-sim while wrk keeps 8 keep-alive connections busy; ten reloads (SIGHUP, file
// changes and the control adapter's POST /config/reload) and one invalid file during the load. Asserts 0 failed requests and 0 socket errors,
// that the invalid set never replaced the serving one, and that an MCP SDK client keeps its
// session and hears notifications/tools/list_changed.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  seedCapability,
  serveSeed,
  startSim,
} from './fleet.mjs';

const wrkFound = spawnSync('wrk', ['--version']).error === undefined;

after(cleanup);


// wrk's totals: requests, non-2xx/3xx answers, socket errors (connect, read, write, timeout).
function runWrk(url, seconds) {
  return new Promise((resolve) => {
    const child = spawn('wrk', ['-t1', '-c8', `-d${seconds}s`, url], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.once('exit', () => {
      const requests = Number(text.match(/(\d+) requests in/)?.[1] ?? 0);
      const non2xx = Number(text.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0);
      const socket = text.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
      const socketErrors = socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
      resolve({ text, requests, non2xx, socketErrors });
    });
  });
}

describe('hot reload', { ...opts, ...(wrkFound || opts.skip ? {} : { skip: 'wrk is not installed (scripts/setup installs it)' }) }, () => {
  test('ten reloads under load: no failed request, no dropped connection, sessions kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'capstan-reload-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'iam-jwts.yaml');
    copyFileSync(seedCapability, file);
    const original = readFileSync(file, 'utf8');
    assert.match(original, /description: List JWTs\n/);
    const sim = await startSim();
    const restPort = await freePort();
    const mcpPort = await freePort();
    const controlPort = await freePort();
    const control = `http://127.0.0.1:${controlPort}`;
    const served = await serveSeed(sim, {
      source: dir,
      rest: restPort,
      mcp: mcpPort,
      args: ['--watch', '--control-port', String(controlPort), '--no-access-log'],
      wait: [restPort, mcpPort, controlPort],
    });

    // An MCP session opened before the reloads, with its GET stream for notifications.
    const client = await connectMcp(`http://127.0.0.1:${mcpPort}/mcp`);
    assert.equal(client.getServerCapabilities()?.tools?.listChanged, true);
    const { ToolListChangedNotificationSchema } = await import('@modelcontextprotocol/sdk/types.js');
    let listChanged = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      listChanged += 1;
    });
    await sleep(200); // the SDK opens the GET stream after initialization

    const load = runWrk(
      `http://127.0.0.1:${restPort}/v1/iam/v1alpha1/jwts?audience_id=${AUDIENCE}&page_size=20`,
      7,
    );
    await sleep(500);
    const statusBefore = await (await fetch(`${control}/status`)).json();
    let lastEdit = 0;
    for (let i = 1; i <= 10; i++) {
      if (i % 3 === 1) {
        served.child.kill('SIGHUP');
      } else if (i % 3 === 0) {
        // The control adapter's reload answers with the outcome.
        const answer = await fetch(`${control}/config/reload`, { method: 'POST' });
        assert.equal(answer.status, 200, await answer.clone().text());
        assert.equal((await answer.json()).reloaded, true);
      } else {
        // A file change, seen by inotify: the tool's description says which reload it was.
        writeFileSync(file, original.replaceAll('description: List JWTs\n', `description: List JWTs (reload ${i})\n`));
        lastEdit = i;
      }
      await sleep(450);
      if (i === 5) {
        // An invalid file in the watched directory: the reload fails, the old set keeps serving;
        // validation and a control reload say why.
        writeFileSync(join(dir, 'broken.yaml'), 'naftiko: [\n');
        await sleep(450);
        const checked = await fetch(`${control}/config/validate`, { method: 'POST' });
        assert.equal(checked.status, 422);
        assert.match((await checked.json()).message, /broken\.yaml:2:1: error: /);
        const refused = await fetch(`${control}/config/reload`, { method: 'POST' });
        assert.equal(refused.status, 422);
        assert.equal((await fetch(`${control}/health/ready`)).status, 200); // still serving
        rmSync(join(dir, 'broken.yaml'));
        await sleep(450);
      }
    }
    const result = await load;
    assert.ok(result.requests > 1000, result.text);
    assert.equal(result.non2xx, 0, result.text);
    assert.equal(result.socketErrors, 0, result.text);

    const stdout = served.stdout.join('\n');
    const stderr = served.stderr.join('\n');
    const reloads = served.stdout.filter((l) =>
      /^capstan: reloaded \((SIGHUP|a file changed|control adapter)\)/.test(l),
    );
    assert.ok(reloads.length >= 11, `${reloads.length} reloads:\n${stdout}\n${stderr}`); // 10 + the removal of broken.yaml
    for (const why of ['SIGHUP', 'a file changed', 'control adapter']) {
      assert.ok(reloads.some((l) => l.includes(`(${why})`)), `no reload by ${why}`);
    }
    const status = await (await fetch(`${control}/status`)).json();
    assert.ok(status.reloads.succeeded >= 11 && status.reloads.failed >= 2, JSON.stringify(status.reloads));
    assert.equal(status.capabilities.length, 1);
    assert.notEqual(status.capabilities[0].sha256, statusBefore.capabilities[0].sha256); // the edit
    assert.match(stderr, /broken\.yaml:2:1: error: /);
    assert.match(stderr, /capstan: reload \(a file changed\) failed; still serving the previous set of 1 capabilities/);

    // The session opened before the reloads still works, and sees the last description.
    const tools = await client.listTools();
    assert.equal(tools.tools.find((t) => t.name === 'list-jwts').description, `List JWTs (reload ${lastEdit})`);
    const call = await client.callTool({ name: 'list-jwts', arguments: { audience_id: AUDIENCE, page_size: 1 } });
    assert.notEqual(call.isError, true, call.content?.[0]?.text);
    assert.ok(listChanged >= 10, `${listChanged} notifications/tools/list_changed`);
  });
});
