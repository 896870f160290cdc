// Step 10 (step-10-shipyard-rest-adapter.yml): the REST adapter shipyard-api beside the MCP
// adapter; GET /ships/{{imo}}/crew is `ref` to the aggregate function.
import * as E from './expected.mjs';
import {
  REGISTRY_AND_DOCKYARD,
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
import { SECRETS } from './harness.mjs';
import { skillTests } from './skills.mjs';

const ctx = {};
setupStep(ctx, {
  skills: true,
  file: 'step-10-shipyard-rest-adapter.yml',
  consumes: REGISTRY_AND_DOCKYARD,
  token: SECRETS.mcpToken,
  rest: true,
});

mcpListTests(
  ctx,
  10,
  [
    E.TOOL_LIST_SHIPS,
    E.TOOL_GET_SHIP,
    E.TOOL_LIST_LEGACY,
    E.TOOL_CREATE_VOYAGE,
    {
      ...E.TOOL_SHIP_WITH_CREW,
      hints: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
    },
  ],
  { instructions: 'Shipyard MCP tools for fleet management' },
);
mcpAuthTests(ctx, 10);
listShipsTests(ctx, 10);
getShipTests(ctx, 10, { shaped: true });
legacyTests(ctx, 10);
createVoyageTests(ctx, 10);
shipWithCrewTests(ctx, 10);
restTests(ctx, 10);
skillTests(ctx, 10);
