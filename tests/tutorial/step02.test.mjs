// Step 2 (step-2-shipyard-wiring.yml): the first consumes (registry, no authentication); tools
// list-ships and get-ship call through, `with: status: shipyard-tools.status` /
// `imo_number: shipyard-tools.imo`; no inbound authentication.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as E from './expected.mjs';
import { REGISTRY_ONLY, getShipTests, listShipsTests, mcpListTests, setupStep } from './common.mjs';
import { opts, rawInitialize } from './harness.mjs';

const ctx = {};
setupStep(ctx, {
  file: 'step-2-shipyard-wiring.yml',
  consumes: REGISTRY_ONLY,
  registryAuth: 'none',
});

mcpListTests(ctx, 2, [E.TOOL_LIST_SHIPS, E.TOOL_GET_SHIP], {
  instructions: 'Shipyard MCP tools for fleet management',
});

test('step 2: the MCP adapter has no inbound authentication', opts, async () => {
  const answer = await rawInitialize(ctx.mcpUrl);
  assert.equal(answer.status, 200, answer.text);
});

listShipsTests(ctx, 2);
getShipTests(ctx, 2, { shaped: false });
