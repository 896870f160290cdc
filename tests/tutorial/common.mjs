// Test groups shared by the tutorial steps: most tools come back step after step (list-ships,
// get-ship, list-legacy-vessels, create-voyage, get-ship-with-crew) and the REST adapter of
// steps 7, 10 and 11 is the same. Each step file starts its own mock and capstan in before(),
// fills `ctx` ({mock, client, mcpUrl, restUrl, registryAuth}) and registers the groups it needs.
//
// ctx.registryAuth says what the registry calls must carry:
//   'none'    — step 2 (no authentication, no Registry-Version header);
//   'binds'   — steps 3–10: `Authorization: Bearer dummy-token` and `Registry-Version:
//               1.0.0-alpha2`, from shared/secrets.yaml through the binds (the reference engine
//               at alpha2 never injects binds into outgoing requests, naftiko-alpha2-semantics.md
//               §2.2, and re-sets the raw `{{REGISTRY_VERSION}}`, §2.3.6; the spec's intent, and
//               capstan's docs/upstream.md, is the resolved values);
//   'literal' — step 11: shared/step11-registry-consumes.yml writes `token: "REGISTRY_TOKEN"` and
//               `value: "REGISTRY_VERSION"` without braces, so those words are sent as they are.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';

import * as E from './expected.mjs';
import {
  DOCKYARD_API,
  REGISTRY_API,
  SECRETS,
  assertDockyardAuth,
  callError,
  callOk,
  callUnknownTool,
  checkTool,
  connectMcp,
  describeRequests,
  http,
  opts,
  rawInitialize,
  skipReason,
  startCapstan,
  startMock,
  stopAll,
} from './harness.mjs';

// Registers the before/after hooks of one step file: the mock, `capstan serve FILE` (consumes
// namespaces → mock APIs, the MCP adapter shipyard-tools and, when `rest`, shipyard-api on
// ephemeral ports), an MCP client session (with the bearer token when `token`). Each test starts
// with an empty request record. If capstan refuses the file, before() fails and so does every
// test of the file, with capstan's message.
export function setupStep(
  ctx,
  { file, consumes, token, rest = false, skills = false, registryAuth = 'binds' },
) {
  ctx.registryAuth = registryAuth;
  ctx.file = file;
  before(async () => {
    if (skipReason) return;
    ctx.mock = await startMock();
    const adapters = [
      'shipyard-tools',
      ...(rest ? ['shipyard-api'] : []),
      ...(skills ? ['shipyard-skills'] : []),
    ];
    const served = await startCapstan(file, { mock: ctx.mock, consumes, adapters });
    ctx.stderr = served.stderr;
    ctx.mcpUrl = `${served.urls['shipyard-tools']}/mcp`;
    ctx.restUrl = served.urls['shipyard-api'];
    ctx.skillsUrl = served.urls['shipyard-skills'];
    ctx.client = await connectMcp(ctx.mcpUrl, token);
  });
  beforeEach(() => ctx.mock?.reset());
  after(stopAll);
}

export const REGISTRY_ONLY = { registry: REGISTRY_API };
export const REGISTRY_AND_DOCKYARD = { registry: REGISTRY_API, legacy: DOCKYARD_API };

export function checkRegistryCall(ctx, record, method, path, query = {}) {
  const where = `upstream ${method} ${path}`;
  assert.equal(record.api, REGISTRY_API, `${where}: API`);
  assert.equal(record.method, method, `${where}: method`);
  assert.equal(record.path, path, `${where}: path`);
  assert.deepEqual(record.query, query, `${where}: query`);
  assert.equal(record.headers['x-dock-key'], undefined, `${where}: no dockyard key`);
  if (ctx.registryAuth === 'none') {
    assert.equal(record.headers.authorization, undefined, `${where}: no Authorization`);
    assert.equal(record.headers['registry-version'], undefined, `${where}: no Registry-Version`);
  } else if (ctx.registryAuth === 'literal') {
    assert.equal(record.headers.authorization, 'Bearer REGISTRY_TOKEN', `${where}: Authorization`);
    assert.equal(
      record.headers['registry-version'],
      'REGISTRY_VERSION',
      `${where}: Registry-Version`,
    );
  } else {
    assert.equal(
      record.headers.authorization,
      `Bearer ${SECRETS.registryToken}`,
      `${where}: Authorization`,
    );
    assert.equal(
      record.headers['registry-version'],
      SECRETS.registryVersion,
      `${where}: Registry-Version`,
    );
  }
}

// The upstream calls made since the last reset must be exactly `expected` ([method, path, query]).
export function checkUpstream(ctx, expected) {
  const requests = ctx.mock.requests;
  assert.equal(
    requests.length,
    expected.length,
    `expected ${expected.length} upstream call(s), got:\n${describeRequests(ctx.mock)}`,
  );
  expected.forEach(([method, path, query], i) =>
    checkRegistryCall(ctx, requests[i], method, path, query),
  );
}

export function checkNoUpstream(ctx) {
  assert.equal(
    ctx.mock.requests.length,
    0,
    `no upstream call expected, got:\n${describeRequests(ctx.mock)}`,
  );
}

function checkDockyardCall(record, query) {
  assert.equal(record.api, DOCKYARD_API);
  assert.equal(record.method, 'GET');
  assert.equal(record.path, '/vessels');
  assert.deepEqual(record.query, query);
  assertDockyardAuth(record);
}

// ---- MCP session, tools/list, unknown tool --------------------------------------------------

export function mcpListTests(ctx, step, tools, { instructions }) {
  test(`step ${step}: initialize names the adapter and its description`, opts, () => {
    assert.equal(ctx.client.getServerVersion().name, 'shipyard-tools');
    assert.equal(ctx.client.getInstructions(), instructions);
  });

  test(`step ${step}: tools/list lists ${tools.map((t) => t.name).join(', ')}`, opts, async () => {
    const listed = (await ctx.client.listTools()).tools;
    assert.deepEqual(
      listed.map((t) => t.name),
      tools.map((t) => t.name),
    );
    tools.forEach((expected, i) => checkTool(listed[i], expected));
  });

  test(`step ${step}: an unknown tool is JSON-RPC error -32602`, opts, async () => {
    await callUnknownTool(ctx.client, 'sink-ship');
    checkNoUpstream(ctx);
  });
}

// ---- inbound bearer authentication of the MCP adapter (steps 3–11) --------------------------

export function mcpAuthTests(ctx, step) {
  test(
    `step ${step}: MCP without the bearer token is 401 with WWW-Authenticate: Bearer`,
    opts,
    async () => {
      const answer = await rawInitialize(ctx.mcpUrl);
      assert.equal(answer.status, 401, answer.text);
      assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer\b/i);
    },
  );

  test(`step ${step}: MCP with a wrong bearer token is 401`, opts, async () => {
    const answer = await rawInitialize(ctx.mcpUrl, { Authorization: 'Bearer sk-mcp-XXXXXXXXXXXX' });
    assert.equal(answer.status, 401, answer.text);
    const other = await rawInitialize(ctx.mcpUrl, { Authorization: `Basic ${SECRETS.mcpToken}` });
    assert.equal(other.status, 401, other.text);
  });

  test(
    `step ${step}: MCP with the token of shared/secrets.yaml is 200, and the token stays here`,
    opts,
    async () => {
      const answer = await rawInitialize(ctx.mcpUrl, {
        Authorization: `Bearer ${SECRETS.mcpToken}`,
      });
      assert.equal(answer.status, 200, answer.text);
      await callOk(ctx.client, 'list-ships');
      for (const r of ctx.mock.requests) {
        assert.ok(
          !JSON.stringify(r.headers).includes(SECRETS.mcpToken),
          'the MCP token was sent upstream',
        );
      }
    },
  );
}

// ---- list-ships / get-ship ------------------------------------------------------------------

export function listShipsTests(ctx, step) {
  test(
    `step ${step}: list-ships without status lists every ship; no status sent upstream`,
    opts,
    async () => {
      assert.deepEqual(await callOk(ctx.client, 'list-ships'), E.SHIPS_ALL);
      checkUpstream(ctx, [['GET', '/ships', {}]]);
    },
  );

  test(`step ${step}: list-ships status=active`, opts, async () => {
    assert.deepEqual(await callOk(ctx.client, 'list-ships', { status: 'active' }), E.SHIPS_ACTIVE);
    checkUpstream(ctx, [['GET', '/ships', { status: 'active' }]]);
  });

  test(`step ${step}: list-ships status=maintenance`, opts, async () => {
    assert.deepEqual(
      await callOk(ctx.client, 'list-ships', { status: 'maintenance' }),
      E.SHIPS_MAINTENANCE,
    );
    checkUpstream(ctx, [['GET', '/ships', { status: 'maintenance' }]]);
  });

  test(
    `step ${step}: list-ships with a number for the string status is isError, no upstream call`,
    opts,
    async () => {
      const text = await callError(ctx.client, 'list-ships', { status: 42 });
      assert.match(text, /status/);
      checkNoUpstream(ctx);
    },
  );
}

export function getShipTests(ctx, step, { shaped }) {
  const expected = shaped ? E.SHIP_SHAPED : E.SHIP_FLAT;
  for (const imo of [E.NORTHERN_STAR, E.PACIFIC_DAWN]) {
    test(`step ${step}: get-ship ${imo}${shaped ? ' with nested specs' : ''}`, opts, async () => {
      assert.deepEqual(await callOk(ctx.client, 'get-ship', { imo }), expected[imo]);
      checkUpstream(ctx, [['GET', `/ships/${imo}`, {}]]);
    });
  }

  test(
    `step ${step}: get-ship of an unknown IMO number is isError with the upstream 404`,
    opts,
    async () => {
      const text = await callError(ctx.client, 'get-ship', { imo: E.UNKNOWN_IMO });
      assert.match(text, /404/);
      assert.ok(text.includes(E.SHIP_NOT_FOUND.message), text);
      checkUpstream(ctx, [['GET', `/ships/${E.UNKNOWN_IMO}`, {}]]);
    },
  );

  test(
    `step ${step}: get-ship puts the IMO number in one percent-encoded path segment`,
    opts,
    async () => {
      await callError(ctx.client, 'get-ship', { imo: 'IMO 1/../2' });
      assert.equal(ctx.mock.requests.length, 1, describeRequests(ctx.mock));
      assert.equal(ctx.mock.requests[0].path, '/ships/IMO%201%2F..%2F2');
    },
  );

  test(
    `step ${step}: get-ship without the required imo is isError, no upstream call`,
    opts,
    async () => {
      const text = await callError(ctx.client, 'get-ship', {});
      assert.match(text, /imo/);
      checkNoUpstream(ctx);
    },
  );
}

// ---- list-legacy-vessels (XML) --------------------------------------------------------------

export function legacyTests(ctx, step) {
  test(`step ${step}: list-legacy-vessels maps the XML <vessel> list`, opts, async () => {
    assert.deepEqual(await callOk(ctx.client, 'list-legacy-vessels'), E.VESSELS_ALL);
    assert.equal(ctx.mock.requests.length, 1, describeRequests(ctx.mock));
    checkDockyardCall(ctx.mock.requests[0], {});
  });

  test(
    `step ${step}: list-legacy-vessels status=laid_up (one <vessel>) is a one-element list`,
    opts,
    async () => {
      assert.deepEqual(
        await callOk(ctx.client, 'list-legacy-vessels', { status: 'laid_up' }),
        E.VESSELS_LAID_UP,
      );
      assert.equal(ctx.mock.requests.length, 1, describeRequests(ctx.mock));
      checkDockyardCall(ctx.mock.requests[0], { status: 'laid_up' });
    },
  );
}

// ---- create-voyage (POST with a JSON body) --------------------------------------------------

function checkVoyagePost(ctx, body) {
  assert.equal(ctx.mock.requests.length, 1, describeRequests(ctx.mock));
  const record = ctx.mock.requests[0];
  checkRegistryCall(ctx, record, 'POST', '/voyages');
  assert.match(record.headers['content-type'] ?? '', /^application\/json\b/);
  assert.notEqual(record.json, undefined, `the body sent upstream is not JSON: ${record.body}`);
  assert.deepEqual(record.json, body);
}

export function createVoyageTests(ctx, step) {
  test(`step ${step}: create-voyage with the reference CI's arguments`, opts, async () => {
    assert.deepEqual(
      await callOk(ctx.client, 'create-voyage', E.VOYAGE_REQUEST_CI),
      E.VOYAGE_CREATED_CI,
    );
    checkVoyagePost(ctx, E.VOYAGE_REQUEST_CI);
  });

  test(
    `step ${step}: create-voyage sends the arguments as the JSON body (arrays as arrays)`,
    opts,
    async () => {
      assert.deepEqual(
        await callOk(ctx.client, 'create-voyage', E.VOYAGE_REQUEST),
        E.VOYAGE_CREATED,
      );
      checkVoyagePost(ctx, E.VOYAGE_REQUEST);
    },
  );

  test(
    `step ${step}: create-voyage without the optional cargoIds still sends valid JSON`,
    opts,
    async () => {
      const { cargoIds, ...rest } = E.VOYAGE_REQUEST;
      assert.deepEqual(await callOk(ctx.client, 'create-voyage', rest), E.VOYAGE_CREATED);
      assert.equal(ctx.mock.requests.length, 1, describeRequests(ctx.mock));
      const sent = ctx.mock.requests[0].json;
      assert.notEqual(
        sent,
        undefined,
        `the body sent upstream is not JSON: ${ctx.mock.requests[0].body}`,
      );
      const { cargoIds: sentCargo, ...sentRest } = sent;
      assert.deepEqual(sentRest, rest);
      assert.equal(sentCargo ?? null, null, 'an absent cargoIds is null or left out');
    },
  );

  test(
    `step ${step}: create-voyage without the required crewIds is isError, no upstream call`,
    opts,
    async () => {
      const { crewIds, ...rest } = E.VOYAGE_REQUEST;
      const text = await callError(ctx.client, 'create-voyage', rest);
      assert.match(text, /crewIds/);
      checkNoUpstream(ctx);
    },
  );

  test(
    `step ${step}: create-voyage with a string for the array crewIds is isError, no upstream call`,
    opts,
    async () => {
      const text = await callError(ctx.client, 'create-voyage', {
        ...E.VOYAGE_REQUEST,
        crewIds: 'CREW-001',
      });
      assert.match(text, /crewIds/);
      checkNoUpstream(ctx);
    },
  );
}

// ---- get-ship-with-crew (steps + lookup + mappings, or the aggregate `ref`) -----------------

export function shipWithCrewTests(ctx, step) {
  for (const imo of [E.NORTHERN_STAR, E.PACIFIC_DAWN]) {
    test(`step ${step}: get-ship-with-crew ${imo} joins the ship and its crew`, opts, async () => {
      assert.deepEqual(
        await callOk(ctx.client, 'get-ship-with-crew', { imo }),
        E.SHIP_WITH_CREW[imo],
      );
      checkUpstream(ctx, [
        ['GET', `/ships/${imo}`, {}],
        ['GET', '/crew', {}],
      ]);
    });
  }

  test(`step ${step}: get-ship-with-crew of an unknown IMO number is isError`, opts, async () => {
    await callError(ctx.client, 'get-ship-with-crew', { imo: E.UNKNOWN_IMO });
    assert.equal(ctx.mock.requests[0]?.path, `/ships/${E.UNKNOWN_IMO}`, describeRequests(ctx.mock));
  });

  test(
    `step ${step}: get-ship-with-crew without the required imo is isError, no upstream call`,
    opts,
    async () => {
      const text = await callError(ctx.client, 'get-ship-with-crew', {});
      assert.match(text, /imo/);
      checkNoUpstream(ctx);
    },
  );
}

// ---- the REST adapter shipyard-api (steps 7, 10, 11; no inbound authentication) -------------

function checkJson(answer, status) {
  assert.equal(answer.status, status, answer.text);
  assert.equal(answer.contentType, 'application/json');
  assert.notEqual(answer.json, undefined, `not JSON: ${answer.text}`);
}

export function restTests(ctx, step) {
  test(`step ${step}: REST GET /ships`, opts, async () => {
    const answer = await http('GET', `${ctx.restUrl}/ships`);
    checkJson(answer, 200);
    assert.deepEqual(answer.json, E.SHIPS_ALL);
    checkUpstream(ctx, [['GET', '/ships', {}]]);
  });

  test(`step ${step}: REST GET /ships?status=active`, opts, async () => {
    const answer = await http('GET', `${ctx.restUrl}/ships?status=active`);
    checkJson(answer, 200);
    assert.deepEqual(answer.json, E.SHIPS_ACTIVE);
    checkUpstream(ctx, [['GET', '/ships', { status: 'active' }]]);
  });

  for (const imo of [E.NORTHERN_STAR, E.PACIFIC_DAWN]) {
    test(`step ${step}: REST GET /ships/${imo}`, opts, async () => {
      const answer = await http('GET', `${ctx.restUrl}/ships/${imo}`);
      checkJson(answer, 200);
      assert.deepEqual(answer.json, E.SHIP_SHAPED[imo]);
      checkUpstream(ctx, [['GET', `/ships/${imo}`, {}]]);
    });
  }

  test(
    `step ${step}: REST GET /ships/${E.UNKNOWN_IMO} passes the upstream 404 through`,
    opts,
    async () => {
      const answer = await http('GET', `${ctx.restUrl}/ships/${E.UNKNOWN_IMO}`);
      checkJson(answer, 404);
      assert.deepEqual(answer.json, E.SHIP_NOT_FOUND);
      checkUpstream(ctx, [['GET', `/ships/${E.UNKNOWN_IMO}`, {}]]);
    },
  );

  test(
    `step ${step}: REST GET /ships/${E.NORTHERN_STAR}/crew joins the ship and its crew`,
    opts,
    async () => {
      const answer = await http('GET', `${ctx.restUrl}/ships/${E.NORTHERN_STAR}/crew`);
      checkJson(answer, 200);
      assert.deepEqual(answer.json, E.SHIP_WITH_CREW[E.NORTHERN_STAR]);
      checkUpstream(ctx, [
        ['GET', `/ships/${E.NORTHERN_STAR}`, {}],
        ['GET', '/crew', {}],
      ]);
    },
  );

  test(
    `step ${step}: REST GET /ships/${E.UNKNOWN_IMO}/crew is an error, not a 200`,
    opts,
    async () => {
      const answer = await http('GET', `${ctx.restUrl}/ships/${E.UNKNOWN_IMO}/crew`);
      assert.ok(answer.status >= 400, `status ${answer.status}: ${answer.text}`);
    },
  );

  test(`step ${step}: REST GET /legacy/vessels maps the XML list`, opts, async () => {
    const answer = await http('GET', `${ctx.restUrl}/legacy/vessels`);
    checkJson(answer, 200);
    assert.deepEqual(answer.json, E.VESSELS_ALL);
    assert.equal(ctx.mock.requests.length, 1, describeRequests(ctx.mock));
    checkDockyardCall(ctx.mock.requests[0], {});
  });

  test(
    `step ${step}: REST GET /legacy/vessels?status=laid_up is a one-element list`,
    opts,
    async () => {
      const answer = await http('GET', `${ctx.restUrl}/legacy/vessels?status=laid_up`);
      checkJson(answer, 200);
      assert.deepEqual(answer.json, E.VESSELS_LAID_UP);
      assert.equal(ctx.mock.requests.length, 1, describeRequests(ctx.mock));
      checkDockyardCall(ctx.mock.requests[0], { status: 'laid_up' });
    },
  );

  test(
    `step ${step}: REST POST /voyages with the reference CI's body answers 201`,
    opts,
    async () => {
      const answer = await http('POST', `${ctx.restUrl}/voyages`, { body: E.VOYAGE_REQUEST_CI });
      checkJson(answer, 201);
      assert.deepEqual(answer.json, E.VOYAGE_CREATED_CI);
      checkVoyagePost(ctx, E.VOYAGE_REQUEST_CI);
    },
  );

  test(`step ${step}: REST POST /voyages sends the body members upstream`, opts, async () => {
    const answer = await http('POST', `${ctx.restUrl}/voyages`, { body: E.VOYAGE_REQUEST });
    checkJson(answer, 201);
    assert.deepEqual(answer.json, E.VOYAGE_CREATED);
    checkVoyagePost(ctx, E.VOYAGE_REQUEST);
  });

  test(
    `step ${step}: REST POST /voyages with a body that is not JSON is 400, no upstream call`,
    opts,
    async () => {
      const answer = await http('POST', `${ctx.restUrl}/voyages`, { body: '{"shipImo": ' });
      checkJson(answer, 400);
      assert.equal(answer.json.type, 'invalid_argument');
      checkNoUpstream(ctx);
    },
  );

  test(
    `step ${step}: REST POST /voyages with a string for the array crewIds is 400, no upstream call`,
    opts,
    async () => {
      const answer = await http('POST', `${ctx.restUrl}/voyages`, {
        body: { ...E.VOYAGE_REQUEST, crewIds: 'CREW-001' },
      });
      checkJson(answer, 400);
      assert.equal(answer.json.type, 'invalid_argument');
      assert.match(answer.json.message, /crewIds/);
      checkNoUpstream(ctx);
    },
  );

  test(`step ${step}: REST unknown path is 404, other method 405`, opts, async () => {
    const missing = await http('GET', `${ctx.restUrl}/submarines`);
    checkJson(missing, 404);
    assert.equal(missing.json.type, 'not_found');
    const method = await http('DELETE', `${ctx.restUrl}/ships`);
    checkJson(method, 405);
    assert.match(method.headers.get('allow') ?? '', /\bGET\b/);
    checkNoUpstream(ctx);
  });
}
