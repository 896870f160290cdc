// Step 11 (step-11-shipyard-fleet-manifest.yml): the full capability. get-voyage-manifest chains
// get-voyage, list-ships (+ lookup by the consumed output `imo-number`), list-crew (+ lookup over
// $.get-voyage.crewIds) and list-cargo (+ lookup over $.get-voyage.cargoIds), with nested
// (`route.from`) mappings for MCP and flat ones for REST. The registry consumes of this step
// (shared/step11-registry-consumes.yml) writes its bearer token and Registry-Version as the bare
// words REGISTRY_TOKEN / REGISTRY_VERSION (no `{{…}}`), so those words are what goes upstream.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as E from './expected.mjs';
import {
  REGISTRY_AND_DOCKYARD,
  checkNoUpstream,
  checkUpstream,
  createVoyageTests,
  getShipTests,
  legacyTests,
  listShipsTests,
  mcpAuthTests,
  mcpListTests,
  restTests,
  setupStep,
  shipWithCrewTests,
} from './common.mjs';
import { SECRETS, callError, callOk, http, opts } from './harness.mjs';
import { skillTests } from './skills.mjs';

const ctx = {};
setupStep(ctx, {
  skills: true,
  file: 'step-11-shipyard-fleet-manifest.yml',
  consumes: REGISTRY_AND_DOCKYARD,
  token: SECRETS.mcpToken,
  rest: true,
  registryAuth: 'literal',
});

const MANIFEST_CALLS = [
  ['GET', `/voyages/${E.VOYAGE}`, {}],
  ['GET', '/ships', {}],
  ['GET', '/crew', {}],
  ['GET', '/cargo', {}],
];

mcpListTests(
  ctx,
  11,
  [
    E.TOOL_LIST_SHIPS,
    E.TOOL_GET_SHIP,
    E.TOOL_LIST_LEGACY,
    E.TOOL_CREATE_VOYAGE,
    E.TOOL_SHIP_WITH_CREW,
    E.TOOL_MANIFEST,
  ],
  { instructions: 'Shipyard MCP tools for fleet management' },
);
mcpAuthTests(ctx, 11);
listShipsTests(ctx, 11);
getShipTests(ctx, 11, { shaped: true });
legacyTests(ctx, 11);
createVoyageTests(ctx, 11);
shipWithCrewTests(ctx, 11);

test('step 11: get-voyage-manifest assembles voyage, ship, crew and cargo', opts, async () => {
  assert.deepEqual(
    await callOk(ctx.client, 'get-voyage-manifest', { voyageId: E.VOYAGE }),
    E.MANIFEST_MCP,
  );
  checkUpstream(ctx, MANIFEST_CALLS);
});

test('step 11: get-voyage-manifest of an unknown voyage is isError', opts, async () => {
  await callError(ctx.client, 'get-voyage-manifest', { voyageId: 'VOY-0000-000' });
  assert.equal(ctx.mock.requests[0]?.path, '/voyages/VOY-0000-000');
});

test(
  'step 11: get-voyage-manifest without the required voyageId is isError, no upstream call',
  opts,
  async () => {
    const text = await callError(ctx.client, 'get-voyage-manifest', {});
    assert.match(text, /voyageId/);
    checkNoUpstream(ctx);
  },
);

restTests(ctx, 11);

test('step 11: REST GET /voyages/VOY-2026-042/manifest', opts, async () => {
  const answer = await http('GET', `${ctx.restUrl}/voyages/${E.VOYAGE}/manifest`);
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.contentType, 'application/json');
  assert.deepEqual(answer.json, E.MANIFEST_REST);
  checkUpstream(ctx, MANIFEST_CALLS);
});

test('step 11: REST GET /voyages/VOY-0000-000/manifest is an error, not a 200', opts, async () => {
  const answer = await http('GET', `${ctx.restUrl}/voyages/VOY-0000-000/manifest`);
  assert.ok(answer.status >= 400, `status ${answer.status}: ${answer.text}`);
});
skillTests(ctx, 11);
