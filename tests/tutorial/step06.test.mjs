// Step 6 (step-6-shipyard-write-operations.yml): create-voyage, a POST whose body is the raw
// template of shared/step6-registry-consumes.yaml (`"crewIds": {{crewIds}}` outside quotes); the
// tool has no `with`, so the arguments reach the template by name; explicit hints.
import * as E from './expected.mjs';
import {
  REGISTRY_AND_DOCKYARD,
  createVoyageTests,
  getShipTests,
  legacyTests,
  listShipsTests,
  mcpAuthTests,
  mcpListTests,
  setupStep,
} from './common.mjs';
import { SECRETS } from './harness.mjs';

const ctx = {};
setupStep(ctx, {
  file: 'step-6-shipyard-write-operations.yml',
  consumes: REGISTRY_AND_DOCKYARD,
  token: SECRETS.mcpToken,
});

mcpListTests(
  ctx,
  6,
  [E.TOOL_LIST_SHIPS, E.TOOL_GET_SHIP, E.TOOL_LIST_LEGACY, E.TOOL_CREATE_VOYAGE],
  {
    instructions: 'Shipyard MCP tools for fleet management',
  },
);
mcpAuthTests(ctx, 6);
listShipsTests(ctx, 6);
getShipTests(ctx, 6, { shaped: true });
legacyTests(ctx, 6);
createVoyageTests(ctx, 6);
