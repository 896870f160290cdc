// Step 8 (step-8-shipyard-skill-groups.yml): the step-7 MCP tools plus the skill adapter
// shipyard-skills (fleet-ops, voyage-ops): its REST catalog, SKILL.md, contents and ZIP, and the
// same skills on the MCP adapter through the Skills extension (skills.mjs).
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
  shipWithCrewTests,
} from './common.mjs';
import { SECRETS } from './harness.mjs';
import { skillTests } from './skills.mjs';

const ctx = {};
setupStep(ctx, {
  skills: true,
  file: 'step-8-shipyard-skill-groups.yml',
  consumes: REGISTRY_AND_DOCKYARD,
  token: SECRETS.mcpToken,
  rest: false,
});

mcpListTests(
  ctx,
  8,
  [
    E.TOOL_LIST_SHIPS,
    E.TOOL_GET_SHIP,
    E.TOOL_LIST_LEGACY,
    E.TOOL_CREATE_VOYAGE,
    E.TOOL_SHIP_WITH_CREW,
  ],
  { instructions: 'Shipyard MCP tools for fleet management' },
);
mcpAuthTests(ctx, 8);
listShipsTests(ctx, 8);
getShipTests(ctx, 8, { shaped: true });
legacyTests(ctx, 8);
createVoyageTests(ctx, 8);
shipWithCrewTests(ctx, 8);
skillTests(ctx, 8, { mcp: true });
