// The whole Scaleway API in one process (issue 15): `capstan serve` of the 82 capabilities in
// shared/capabilities/scaleway, every REST adapter on one port and every MCP adapter merged into
// one endpoint, against a recording upstream. Every MCP tool is called through the MCP SDK v1
// client and every REST route with fetch; each upstream request is checked against what the
// capability file says (read here with a YAML parser, not with capstan).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  API_KEY,
  argumentFor,
  checkRecorded,
  cleanup,
  connectMcp,
  expectedRequest,
  fleetDir,
  freePort,
  listAllTools,
  opts,
  readFleet,
  runCapstan,
  same,
  skipReason,
  startRecorder,
} from './fleet.mjs';

let fleet;
let recorder;
let restPort;
let mcpPort;
let served;

before(async () => {
  if (skipReason) return;
  fleet = await readFleet();
  recorder = await startRecorder();
  restPort = await freePort();
  mcpPort = await freePort();
  served = await runCapstan(
    [
      fleetDir,
      '--base-uri',
      `*=${recorder.base}`,
      '--port',
      `*-rest=${restPort}`,
      '--port',
      `*-mcp=${mcpPort}`,
      '--mcp-mount',
      'per-capability',
      '--no-access-log',
      '--threads',
      '2',
    ],
    { ports: [restPort, mcpPort] },
  );
});
after(cleanup);

// The served name of every declared tool under the default policy (prefix on a clash), worked
// out here from the files: a name declared by two or more adapters becomes "<namespace>_<name>".
function expectedNames() {
  const count = new Map();
  for (const c of fleet) {
    for (const t of c.mcp.tools) count.set(t.name, (count.get(t.name) ?? 0) + 1);
  }
  const out = [];
  for (const c of fleet) {
    for (const t of c.mcp.tools) {
      out.push({ c, tool: t, name: count.get(t.name) > 1 ? `${c.mcp.ns}_${t.name}` : t.name });
    }
  }
  return out;
}

// The consumed parameter a `with` entry feeds, and the caller's values for every entry.
function argumentsFor(c, call, withMap, prefix) {
  const op = c.ops.get(call);
  assert.ok(op, `${call} is not a consumed operation of ${c.file}`);
  const args = {};
  const values = {};
  let i = 0;
  for (const [param, source] of Object.entries(withMap ?? {})) {
    assert.ok(source.startsWith(prefix), `${call}: with ${param}: ${source}`);
    const input = source.slice(prefix.length);
    const p = (op.inputParameters ?? []).find((q) => same(q.name, param));
    assert.ok(p, `${call}: with names ${param}, which the operation does not declare`);
    args[input] = argumentFor(p, i++);
    values[p.name] = args[input];
  }
  return { op, args, values };
}

describe('82 capabilities in one process', opts, () => {
  test('every file loads and both listeners are shared', () => {
    assert.equal(fleet.length, 82);
    const lines = served.stdout.join('\n');
    assert.match(lines, new RegExp(`rest adapter 'database-acls-rest' listening on http://127.0.0.1:${restPort}`));
    assert.match(lines, new RegExp(`75 more adapters listening on http://127.0.0.1:${restPort}`));
    assert.match(lines, new RegExp(`mcp adapters database-acls-mcp and 81 more \\(union\\) listening on http://127.0.0.1:${mcpPort}`));
  });

  test('the union lists every tool, clashing names prefixed by their namespace', async () => {
    const client = await connectMcp(`http://127.0.0.1:${mcpPort}/mcp`);
    const tools = await listAllTools(client);
    const expected = expectedNames();
    assert.equal(expected.length, 419);
    assert.deepEqual(
      tools.map((t) => t.name),
      expected.map((e) => e.name),
    );
    const renamed = expected.filter((e) => e.name !== e.tool.name);
    assert.equal(renamed.length, 12); // six names, each declared by two capabilities
    const report = served.stderr.join('\n');
    for (const e of renamed) {
      assert.ok(
        report.includes(
          `tool '${e.tool.name}' of mcp adapter '${e.c.mcp.ns}' (${e.c.file}) is served as '${e.name}' (name clash)`,
        ),
        `no report line for ${e.name}:\n${report}`,
      );
    }
    // Each tool keeps its declaration: description, hints, and an input per `with` entry typed
    // as the consumed parameter.
    const typeOf = { string: 'string', integer: 'integer', number: 'number', boolean: 'boolean', array: 'array', object: 'object' };
    for (const [k, tool] of tools.entries()) {
      const { c, tool: declared } = expected[k];
      assert.equal(tool.description, declared.description, tool.name);
      assert.equal(tool.annotations?.readOnlyHint ?? false, declared.hints?.readOnly ?? false);
      assert.equal(tool.annotations?.destructiveHint ?? true, declared.hints?.destructive ?? true);
      const op = c.ops.get(declared.call);
      const props = tool.inputSchema.properties ?? {};
      assert.deepEqual(Object.keys(props).sort(), Object.keys(declared.with ?? {}).sort(), tool.name);
      for (const [param, source] of Object.entries(declared.with ?? {})) {
        const p = op.inputParameters.find((q) => same(q.name, param));
        assert.equal(props[source.slice('tools.'.length)].type, typeOf[p.type] ?? 'string', `${tool.name}.${param}`);
      }
    }
  });

  test('every MCP tool calls its own capability with the arguments it was given', async () => {
    // The client's own credentials must not reach the upstream.
    const client = await connectMcp(`http://127.0.0.1:${mcpPort}/mcp`, {
      Authorization: 'Bearer client-secret-must-stay-here',
    });
    let calls = 0;
    for (const { c, tool, name } of expectedNames()) {
      const { op, args, values } = argumentsFor(c, tool.call, tool.with, 'tools.');
      const mark = recorder.requests.length;
      const result = await client.callTool({ name, arguments: args });
      const text = result.content?.[0]?.text ?? '';
      assert.notEqual(result.isError, true, `${name}: ${text}`);
      const recorded = recorder.since(mark, name);
      checkRecorded(recorded, expectedRequest(op, values), `${name} (${c.file})`);
      assert.deepEqual(result.structuredContent, { seen: mark + 1 }, name);
      ++calls;
    }
    assert.equal(calls, 419);
  });

  test('every REST route of the 82 files answers on the shared port', async () => {
    let calls = 0;
    for (const c of fleet) {
      for (const route of c.rest.routes) {
        const { op, args, values } = argumentsFor(c, route.call, route.with, 'rest.');
        const pathVars = new Set();
        const path = route.path.replace(/\{([^}]+)\}/g, (_, v) => {
          const input = Object.keys(args).find((a) => same(a, v));
          assert.ok(input, `${route.name}: no input for {${v}}`);
          pathVars.add(input);
          return encodeURIComponent(args[input]);
        });
        const query = new URLSearchParams();
        let body;
        for (const [input, value] of Object.entries(args)) {
          if (pathVars.has(input)) continue;
          if (input === 'body') body = JSON.stringify(value);
          else if (Array.isArray(value)) for (const v of value) query.append(input, v);
          else query.append(input, String(value));
        }
        const qs = query.toString();
        const mark = recorder.requests.length;
        const response = await fetch(`http://127.0.0.1:${restPort}${path}${qs ? `?${qs}` : ''}`, {
          method: route.method,
          headers: {
            Authorization: 'Bearer client-secret-must-stay-here',
            ...(body ? { 'Content-Type': 'application/json' } : {}),
          },
          body,
        });
        const text = await response.text();
        assert.equal(response.status, 200, `${route.method} ${path}: ${text}`);
        assert.deepEqual(JSON.parse(text), { seen: mark + 1 });
        const what = `${route.method} ${route.path} (${c.file})`;
        checkRecorded(recorder.since(mark, what), expectedRequest(op, values), what);
        ++calls;
      }
    }
    assert.equal(calls, 419);
  });

  test('each adapter also answers alone at /mcp/<namespace>, with its declared names', async () => {
    for (const file of ['vpc-routes.yaml', 'load-balancer-route.yaml', 'iam-jwts.yaml']) {
      const c = fleet.find((x) => x.file.endsWith(`/${file}`));
      const client = await connectMcp(`http://127.0.0.1:${mcpPort}/mcp/${c.mcp.ns}`);
      const tools = await listAllTools(client);
      assert.deepEqual(
        tools.map((t) => t.name),
        c.mcp.tools.map((t) => t.name),
      );
      const tool = c.mcp.tools[0];
      const { op, args, values } = argumentsFor(c, tool.call, tool.with, 'tools.');
      const mark = recorder.requests.length;
      const result = await client.callTool({ name: tool.name, arguments: args });
      assert.notEqual(result.isError, true);
      checkRecorded(recorder.since(mark, tool.name), expectedRequest(op, values), tool.name);
    }
    // A namespace that is not served is not a mount.
    const response = await fetch(`http://127.0.0.1:${mcpPort}/mcp/no-such-mcp`, { method: 'POST' });
    assert.equal(response.status, 404);
  });
});

describe('name clashes and tool controls', opts, () => {
  test('--mcp-tool-clash error refuses the fleet, naming both adapters and files', async () => {
    const port = await freePort();
    const shared = await runCapstan(
      [fleetDir, '--base-uri', '*=http://127.0.0.1:9', '--port', `*=${port}`, '--mcp-tool-clash', 'error'],
      { expectExit: true },
    );
    assert.equal(shared.code, 1);
    assert.match(
      shared.stderr.join('\n'),
      /tool name 'create-new-namespace' is offered by mcp adapter 'serverless-containers-namespaces-mcp' \(\S+serverless-containers-namespaces\.yaml\) and by mcp adapter 'serverless-functions-namespaces-mcp' \(\S+serverless-functions-namespaces\.yaml\) on one listener; rename one \(tool controls\), give one its own port, or serve with --mcp-tool-clash prefix/,
    );
  });

  test('a side config and flags choose, rename and re-describe the tools an agent sees', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'capstan-fleet-'));
    try {
      const config = join(dir, 'tools.yaml');
      writeFileSync(
        config,
        [
          'include: ["iam-*/*"]',
          'readOnly: true',
          'tools:',
          '  iam-jwts-mcp/list-jwts:',
          '    name: jwts.list',
          '    description: Every JWT of the organization.',
          '  delete-jwt:',
          '    hints: {readOnly: true}',
          '',
        ].join('\n'),
      );
      const port = await freePort();
      const run = await runCapstan(
        [
          fleetDir,
          '--base-uri',
          `*=${recorder.base}`,
          '--port',
          `*=${port}`,
          '--tools-config',
          config,
          '--exclude-tools',
          'get-*',
          '--no-access-log',
        ],
        { ports: [port] },
      );
      const client = await connectMcp(`http://127.0.0.1:${port}/mcp`);
      const tools = await listAllTools(client);
      const expected = [];
      for (const c of fleet) {
        if (!c.mcp.ns.startsWith('iam-')) continue;
        for (const t of c.mcp.tools) {
          const readOnly = t.name === 'delete-jwt' || t.hints?.readOnly === true;
          if (!readOnly || t.name.startsWith('get-')) continue;
          expected.push(t.name === 'list-jwts' ? 'jwts.list' : t.name);
        }
      }
      assert.ok(expected.length > 10);
      assert.deepEqual(
        tools.map((t) => t.name),
        expected,
      );
      const list = tools.find((t) => t.name === 'jwts.list');
      assert.equal(list.description, 'Every JWT of the organization.');
      assert.equal(tools.find((t) => t.name === 'delete-jwt').annotations.readOnlyHint, true);
      // The renamed tool still calls list-jwts' operation.
      const mark = recorder.requests.length;
      const result = await client.callTool({ name: 'jwts.list', arguments: { page: 2 } });
      assert.notEqual(result.isError, true);
      const recorded = recorder.since(mark, 'jwts.list');
      assert.equal(recorded.path, '/iam/v1alpha1/jwts');
      assert.deepEqual(recorded.query, [['page', '2']]);
      assert.equal(recorded.headers['x-auth-token'], API_KEY);
      const report = run.stderr.join('\n');
      assert.match(report, /tool 'list-jwts' of mcp adapter 'iam-jwts-mcp' \(\S+\) is served as 'jwts.list' \(tool controls\)/);
      assert.match(report, /mcp adapter 'iam-jwts-mcp' \(\S+\): 1 tool left out \(excluded\): get-jwt\n/);
      assert.match(report, /mcp adapter 'instance-images-mcp' \(\S+\): \d+ tools left out \(not included\): list-instance-images, /);
      // One line per adapter and reason, not per tool.
      assert.ok(run.stderr.length < 200, `${run.stderr.length} lines of report`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('discovery mode: three meta-tools find, describe and call any of the 419', async () => {
    const port = await freePort();
    const run = await runCapstan(
      [fleetDir, '--base-uri', `*=${recorder.base}`, '--port', `*=${port}`, '--mcp-discovery', '--no-access-log'],
      { ports: [port] },
    );
    assert.match(run.stderr.join('\n'), /discovery: \/mcp lists 3 meta-tools over 419 tools/);
    const client = await connectMcp(`http://127.0.0.1:${port}/mcp`);
    const tools = await listAllTools(client);
    assert.deepEqual(
      tools.map((t) => t.name),
      ['search_tools', 'describe_tool', 'call_tool'],
    );
    // What the agent pays in context: the meta-tools' list is a small part of the full one.
    const full = await listAllTools(await connectMcp(`http://127.0.0.1:${mcpPort}/mcp`));
    const ratio = JSON.stringify(tools).length / JSON.stringify(full).length;
    assert.ok(ratio < 0.02, `the meta-tools list is ${(ratio * 100).toFixed(1)} % of the full list`);

    const structured = (result) => {
      assert.notEqual(result.isError, true, result.content?.[0]?.text);
      assert.deepEqual(JSON.parse(result.content[0].text), result.structuredContent);
      return result.structuredContent;
    };
    const found = structured(
      await client.callTool({ name: 'search_tools', arguments: { query: 'jwt' } }),
    );
    assert.deepEqual(
      found.tools.map((t) => t.name),
      ['get-jwt', 'delete-jwt', 'list-jwts'],
    );
    const routes = structured(
      await client.callTool({ name: 'search_tools', arguments: { query: 'route vpc', limit: 3 } }),
    );
    assert.ok(routes.tools.length <= 3 && routes.tools.length > 0);
    assert.ok(routes.tools.every((t) => t.name.startsWith('vpc-routes-mcp_')), JSON.stringify(routes));

    const described = structured(
      await client.callTool({ name: 'describe_tool', arguments: { name: 'vpc-routes-mcp_get-route' } }),
    );
    const declared = full.find((t) => t.name === 'vpc-routes-mcp_get-route');
    assert.deepEqual(described.inputSchema, declared.inputSchema);
    assert.equal(described.description, declared.description);

    const mark = recorder.requests.length;
    const called = await client.callTool({
      name: 'call_tool',
      arguments: { name: 'get-jwt', arguments: { jti: 'a b/c' } },
    });
    assert.deepEqual(structured(called), { seen: mark + 1 });
    const recorded = recorder.since(mark, 'call_tool get-jwt');
    assert.equal(recorded.rawUrl, '/iam/v1alpha1/jwts/a%20b%2Fc');
    assert.equal(recorded.headers['x-auth-token'], API_KEY);
    // The inner tool's schema still holds, and an unknown name says how to find one.
    const bad = await client.callTool({
      name: 'call_tool',
      arguments: { name: 'get-jwt', arguments: { jti: 'x', nope: 1 } },
    });
    assert.equal(bad.isError, true);
    assert.match(bad.content[0].text, /unknown argument 'nope'/);
    assert.equal(recorder.requests.length, mark + 1);
    const unknown = await client.callTool({ name: 'describe_tool', arguments: { name: 'get-jwts' } });
    assert.equal(unknown.isError, true);
    assert.match(unknown.content[0].text, /search_tools finds tools by words/);
  });

  test('--mcp-confirm-destructive asks the user through elicitation before a destructive tool', async () => {
    const port = await freePort();
    await runCapstan(
      [
        fleetDir,
        '--base-uri',
        `*=${recorder.base}`,
        '--port',
        `*=${port}`,
        '--mcp-confirm-destructive',
        '--mcp-mount',
        'per-capability',
        '--no-access-log',
      ],
      { ports: [port] },
    );
    const asked = [];
    let answer = { action: 'accept', content: { confirm: true } };
    const elicit = (params) => {
      asked.push(params);
      return answer;
    };
    const client = await connectMcp(`http://127.0.0.1:${port}/mcp`, {}, { elicit });
    // Accepted: the DELETE goes out, after one question that names the tool and its arguments.
    let mark = recorder.requests.length;
    let result = await client.callTool({ name: 'delete-jwt', arguments: { jti: 'j-1' } });
    assert.notEqual(result.isError, true, result.content?.[0]?.text);
    assert.equal(asked.length, 1);
    assert.equal(asked[0].message, `Run 'delete-jwt'? It may change or delete data. Arguments: {"jti":"j-1"}`);
    assert.deepEqual(asked[0].requestedSchema.required, ['confirm']);
    assert.equal(recorder.since(mark, 'delete-jwt').method, 'DELETE');
    // Declined, or accepted without the box ticked: nothing is sent upstream.
    for (const [reply, why] of [
      [{ action: 'decline' }, 'action decline'],
      [{ action: 'accept', content: { confirm: false } }, 'action accept, confirm not true'],
    ]) {
      answer = reply;
      mark = recorder.requests.length;
      result = await client.callTool({ name: 'delete-jwt', arguments: { jti: 'j-2' } });
      assert.equal(result.isError, true);
      assert.equal(result.content[0].text, `Not run: the user did not confirm 'delete-jwt' (${why})`);
      assert.equal(recorder.requests.length, mark);
    }
    // Read-only tools are not asked about; a mount asks too.
    const before = asked.length;
    assert.notEqual((await client.callTool({ name: 'list-jwts', arguments: {} })).isError, true);
    assert.equal(asked.length, before);
    answer = { action: 'accept', content: { confirm: true } };
    const mount = await connectMcp(`http://127.0.0.1:${port}/mcp/iam-ssh-keys-mcp`, {}, { elicit });
    mark = recorder.requests.length;
    result = await mount.callTool({ name: 'delete-ssh-key', arguments: { ssh_key_id: 'k' } });
    assert.notEqual(result.isError, true, result.content?.[0]?.text);
    assert.equal(asked.length, before + 1);
    assert.equal(recorder.since(mark, 'delete-ssh-key').path, '/iam/v1alpha1/ssh-keys/k');
    // A client that cannot answer (no elicitation declared) is not blocked.
    const plain = await connectMcp(`http://127.0.0.1:${port}/mcp`);
    mark = recorder.requests.length;
    result = await plain.callTool({ name: 'delete-jwt', arguments: { jti: 'j-3' } });
    assert.notEqual(result.isError, true);
    assert.equal(recorder.since(mark, 'delete-jwt plain').method, 'DELETE');
  });

  test('an override that names no tool, and a bad config, are usage errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'capstan-fleet-'));
    try {
      const typo = join(dir, 'typo.yaml');
      writeFileSync(typo, 'tools:\n  iam-jwts-mcp/list-jwt:\n    description: x\n');
      const port = await freePort();
      const run = await runCapstan(
        [fleetDir, '--base-uri', '*=http://127.0.0.1:9', '--port', `*=${port}`, '--tools-config', typo],
        { expectExit: true },
      );
      assert.equal(run.code, 2);
      assert.match(run.stderr.join('\n'), /tool controls name 'iam-jwts-mcp\/list-jwt', which no served mcp adapter has/);
      const bad = join(dir, 'bad.yaml');
      writeFileSync(bad, 'include: iam-*\nreadonly: true\n');
      const refused = await runCapstan(
        [fleetDir, '--base-uri', '*=http://127.0.0.1:9', '--port', `*=${port}`, '--tools-config', bad],
        { expectExit: true },
      );
      assert.equal(refused.code, 2);
      assert.match(refused.stderr.join('\n'), new RegExp(`${bad.replaceAll('/', '\\/')}: `));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
