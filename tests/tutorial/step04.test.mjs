// Step 4 (step-4-shipyard-output-shaping.yml): output shaping: get-ship nests specs
// {yearBuilt, tonnage, length} from deeper JSONPaths.
import * as E from './expected.mjs';
import {
  REGISTRY_ONLY,
  getShipTests,
  listShipsTests,
  mcpAuthTests,
  mcpListTests,
  setupStep,
} from './common.mjs';
import { SECRETS } from './harness.mjs';

const ctx = {};
setupStep(ctx, {
  file: 'step-4-shipyard-output-shaping.yml',
  consumes: REGISTRY_ONLY,
  token: SECRETS.mcpToken,
});

mcpListTests(ctx, 4, [E.TOOL_LIST_SHIPS, E.TOOL_GET_SHIP], {
  instructions: 'Shipyard MCP tools for fleet management',
});
mcpAuthTests(ctx, 4);
listShipsTests(ctx, 4);
getShipTests(ctx, 4, { shaped: true });
