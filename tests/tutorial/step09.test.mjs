// Step 9 (step-9-shipyard-aggregates.yml): get-ship-with-crew becomes `ref: crew-resolver.resolve-
// crew-for-ship`, an aggregate function (steps, mappings, inputParameters inherited); its hints
// come from the function's semantics {safe, idempotent} (reference AggregateRefResolver: safe ⇒
// readOnly true and destructive false, idempotent ⇒ idempotent; openWorld not derived, so the
// default).
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
  file: 'step-9-shipyard-aggregates.yml',
  consumes: REGISTRY_AND_DOCKYARD,
  token: SECRETS.mcpToken,
  rest: false,
});

mcpListTests(
  ctx,
  9,
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
mcpAuthTests(ctx, 9);
listShipsTests(ctx, 9);
getShipTests(ctx, 9, { shaped: true });
legacyTests(ctx, 9);
createVoyageTests(ctx, 9);
shipWithCrewTests(ctx, 9);
skillTests(ctx, 9);
