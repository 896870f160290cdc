// Step 3 (step-3-shipyard-auth.yml): binds from shared/secrets.yaml, bearer consumes
// authentication and the Registry-Version header, MCP bearer authentication.
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
  file: 'step-3-shipyard-auth.yml',
  consumes: REGISTRY_ONLY,
  token: SECRETS.mcpToken,
});

mcpListTests(ctx, 3, [E.TOOL_LIST_SHIPS, E.TOOL_GET_SHIP], {
  instructions: 'Shipyard MCP tools for fleet management',
});
mcpAuthTests(ctx, 3);
listShipsTests(ctx, 3);
getShipTests(ctx, 3, { shaped: false });
