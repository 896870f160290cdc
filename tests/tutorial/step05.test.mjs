// Step 5 (step-5-shipyard-multi-source.yml): imported consumes
// (./shared/step5-registry-consumes.yaml, ./shared/legacy-consumes.yaml); the legacy Dockyard
// answers XML (`outputRawFormat: xml`) and takes an apikey header X-Dock-Key from the second bind.
import * as E from './expected.mjs';
import {
  REGISTRY_AND_DOCKYARD,
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
  file: 'step-5-shipyard-multi-source.yml',
  consumes: REGISTRY_AND_DOCKYARD,
  token: SECRETS.mcpToken,
});

mcpListTests(ctx, 5, [E.TOOL_LIST_SHIPS, E.TOOL_GET_SHIP, E.TOOL_LIST_LEGACY], {
  instructions: 'Shipyard MCP tools for fleet management',
});
mcpAuthTests(ctx, 5);
listShipsTests(ctx, 5);
getShipTests(ctx, 5, { shaped: true });
legacyTests(ctx, 5);
