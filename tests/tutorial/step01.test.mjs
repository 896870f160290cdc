// Step 1 (step-1-shipyard-mock.yml): one MCP tool in mock mode — no consumes, no upstream call;
// the output parameters' static values, `{{imo_number}}` rendered from the argument
// (reference: ToolHandler.buildMockToolResult / Resolver.buildMockData; its CI case
// step1-get-ship expects .imo == "IMO-9321483").
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { mcpListTests } from './common.mjs';
import {
  callError,
  callOk,
  connectMcp,
  opts,
  skipReason,
  startCapstan,
  startMock,
  stopAll,
} from './harness.mjs';

const ctx = {};
const file = 'step-1-shipyard-mock.yml';

before(async () => {
  if (skipReason) return;
  ctx.mock = await startMock(); // nothing may reach it
  const served = await startCapstan(file, { mock: ctx.mock, adapters: ['shipyard-tools'] });
  ctx.mcpUrl = `${served.urls['shipyard-tools']}/mcp`;
  ctx.client = await connectMcp(ctx.mcpUrl);
});
after(stopAll);

mcpListTests(
  ctx,
  1,
  [
    {
      name: 'get-ship',
      description: "Retrieve a ship's details by IMO number",
      properties: { imo_number: ['string', 'IMO number of the ship'] },
      required: ['imo_number'],
    },
  ],
  { instructions: 'Shipyard MCP tools — mock mode' },
);

test(
  'step 1: get-ship answers the mock values with the IMO number it was given',
  opts,
  async () => {
    assert.deepEqual(await callOk(ctx.client, 'get-ship', { imo_number: 'IMO-9321483' }), {
      imo: 'IMO-9321483',
      name: 'Northern Star',
      type: 'cargo',
      flag: 'NO',
      status: 'active',
    });
    assert.deepEqual(await callOk(ctx.client, 'get-ship', { imo_number: 'IMO-1234567' }), {
      imo: 'IMO-1234567',
      name: 'Northern Star',
      type: 'cargo',
      flag: 'NO',
      status: 'active',
    });
    assert.equal(ctx.mock.requests.length, 0, 'a mock tool makes no upstream call');
  },
);

test('step 1: get-ship renders the argument as text, unescaped', opts, async () => {
  const value = await callOk(ctx.client, 'get-ship', { imo_number: 'IMO "9" <&>' });
  assert.equal(value.imo, 'IMO "9" <&>');
});

test('step 1: get-ship without the required imo_number is isError', opts, async () => {
  const text = await callError(ctx.client, 'get-ship', {});
  assert.match(text, /imo_number/);
});

test('step 1: get-ship with a number for the string imo_number is isError', opts, async () => {
  const text = await callError(ctx.client, 'get-ship', { imo_number: 9321483 });
  assert.match(text, /imo_number/);
});
