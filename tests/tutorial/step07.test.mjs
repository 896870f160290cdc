// Step 7 (step-7-shipyard-orchestrated-lookup.yml): get-ship-with-crew is orchestrated: call get-
// ship, call list-crew, lookup crewId over $.get-ship.assignedCrew, mappings; the same as a REST
// operation GET /ships/{imo}/crew of the REST adapter shipyard-api; and the skill adapter
// shipyard-skills (skills.mjs).
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
  file: 'step-7-shipyard-orchestrated-lookup.yml',
  consumes: REGISTRY_AND_DOCKYARD,
  token: SECRETS.mcpToken,
  rest: true,
});

mcpListTests(
  ctx,
  7,
  [
    E.TOOL_LIST_SHIPS,
    E.TOOL_GET_SHIP,
    E.TOOL_LIST_LEGACY,
    E.TOOL_CREATE_VOYAGE,
    E.TOOL_SHIP_WITH_CREW,
  ],
  { instructions: 'Shipyard MCP tools for fleet management' },
);
mcpAuthTests(ctx, 7);
listShipsTests(ctx, 7);
getShipTests(ctx, 7, { shaped: true });
legacyTests(ctx, 7);
createVoyageTests(ctx, 7);
shipWithCrewTests(ctx, 7);
restTests(ctx, 7);
skillTests(ctx, 7);
