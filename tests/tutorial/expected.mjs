// The expected answers of the tutorial tools and operations, written out by hand from the
// examples of shared/naftiko/mock-apis/*.yaml and the mappings of the tutorial capabilities.
// They are literals on purpose: nothing here runs the mapping logic the engine runs.
//
// Semantics taken from the reference engine (naftiko/framework@v1.0.0-alpha2, read, not run):
// - Output mapping (`Resolver.resolveOutputMappings`): `type: array` + `mapping` +
//   `items.properties` maps each element; a property whose JSONPath finds nothing is null;
//   numbers stay numbers.
// - XML (`Converter.convertXmlToJson`, Jackson XmlMapper.readTree, Jackson 2.20): the root element
//   is dropped and repeated child elements become an array, so `<vessels><vessel/><vessel/>` is
//   `{"vessel":[{…},{…}]}` and `$.vessel` is the list; element text is a string.
// - Orchestrated tools (`OperationStepExecutor.executeSteps`, `LookupExecutor`): a call step's
//   output is the upstream JSON; a consumed operation's `outputParameters` add their named fields
//   to each element of an array output (`resolveStepOutput`: step 11's list-ships gets
//   `imo-number`); a lookup whose `lookupValue` is an array returns the array of matches, each
//   holding only the lookup's `outputParameters`; a single value returns one object. `mappings`
//   build the result object (`targetName` dots nest: `route.from`), in mapping order; the
//   orchestrated `outputParameters` (name/type) do not reshape it.
// - Aggregates (`AggregateRefResolver`): `ref` tools run the function's steps and mappings, take
//   its inputParameters, and get hints from `semantics` (safe ⇒ readOnly, not destructive;
//   idempotent 1:1).
// - The reference's own tutorial tests
//   (src/test/java/io/naftiko/tutorial/Step*IntegrationTest.java) and its CI cases
//   (.github/tests/tests.yml) check the same shapes (fewer fields) against Microcks; e.g. step 6
//   asserts route.from "Oslo" and dates.departure "2026-04-10", the values Microcks echoes from
//   the request body.

export const NORTHERN_STAR = 'IMO-9321483';
export const PACIFIC_DAWN = 'IMO-9456781';
export const UNKNOWN_IMO = 'IMO-0000000';
export const VOYAGE = 'VOY-2026-042';

// list-ships (all steps): `$.` array, items {imo, name, type, flag, status}.
export const SHIPS_ALL = [
  { imo: 'IMO-9321483', name: 'Northern Star', type: 'cargo', flag: 'NO', status: 'active' },
  { imo: 'IMO-9456781', name: 'Pacific Dawn', type: 'tanker', flag: 'SG', status: 'maintenance' },
];
export const SHIPS_ACTIVE = [
  { imo: 'IMO-9321483', name: 'Northern Star', type: 'cargo', flag: 'NO', status: 'active' },
];
export const SHIPS_MAINTENANCE = [
  { imo: 'IMO-9456781', name: 'Pacific Dawn', type: 'tanker', flag: 'SG', status: 'maintenance' },
];

// get-ship of steps 2–3 (flat fields only).
export const SHIP_FLAT = {
  [NORTHERN_STAR]: {
    imo: 'IMO-9321483',
    name: 'Northern Star',
    type: 'cargo',
    flag: 'NO',
    status: 'active',
  },
  [PACIFIC_DAWN]: {
    imo: 'IMO-9456781',
    name: 'Pacific Dawn',
    type: 'tanker',
    flag: 'SG',
    status: 'maintenance',
  },
};

// get-ship of steps 4–11: plus specs {yearBuilt: $.year_built, tonnage: $.gross_tonnage,
// length: $.dimensions.length_overall}.
export const SHIP_SHAPED = {
  [NORTHERN_STAR]: {
    imo: 'IMO-9321483',
    name: 'Northern Star',
    type: 'cargo',
    flag: 'NO',
    status: 'active',
    specs: { yearBuilt: 2015, tonnage: 42000, length: 229 },
  },
  [PACIFIC_DAWN]: {
    imo: 'IMO-9456781',
    name: 'Pacific Dawn',
    type: 'tanker',
    flag: 'SG',
    status: 'maintenance',
    specs: { yearBuilt: 2018, tonnage: 55000, length: 274 },
  },
};

// The registry's 404 example for an unknown IMO number (passed through unchanged).
export const SHIP_NOT_FOUND = {
  error: 'not_found',
  message: 'Ship with IMO number IMO-0000000 not found',
};

// list-legacy-vessels (XML): `$.vessel` array, items {vesselCode, name, type, flag, status}.
export const VESSELS_ALL = [
  { vesselCode: 'LEGACY-4012', name: 'Old Faithful', type: 'cargo', flag: 'GB', status: 'active' },
  {
    vesselCode: 'LEGACY-2087',
    name: 'Iron Maiden',
    type: 'bulk_carrier',
    flag: 'PA',
    status: 'laid_up',
  },
];
// `?status=laid_up` answers a <vessels> with ONE <vessel>. Jackson reads a single child as an
// object, not an array, and the reference's array mapping then yields null, so the reference
// engine falls back to returning the raw XML text. The output is declared `type: array`; these
// tests hold capstan to that declaration: a one-element list.
export const VESSELS_LAID_UP = [
  {
    vesselCode: 'LEGACY-2087',
    name: 'Iron Maiden',
    type: 'bulk_carrier',
    flag: 'PA',
    status: 'laid_up',
  },
];

// get-ship-with-crew (steps 7–11, MCP and REST): mappings over get-ship and the crew lookup
// ($.get-ship.assignedCrew = [CREW-001, CREW-003] → Erik Lindström, Aiko Tanaka).
export const SHIP_WITH_CREW = {
  [NORTHERN_STAR]: {
    imo: 'IMO-9321483',
    name: 'Northern Star',
    type: 'cargo',
    flag: 'NO',
    status: 'active',
    yearBuilt: 2015,
    tonnage: 42000,
    length: 229,
    crew: [
      { fullName: 'Erik Lindström', role: 'captain' },
      { fullName: 'Aiko Tanaka', role: 'cook' },
    ],
  },
  [PACIFIC_DAWN]: {
    imo: 'IMO-9456781',
    name: 'Pacific Dawn',
    type: 'tanker',
    flag: 'SG',
    status: 'maintenance',
    yearBuilt: 2018,
    tonnage: 55000,
    length: 274,
    crew: [
      { fullName: 'Maria Santos', role: 'first_officer' },
      { fullName: 'Hans Mueller', role: 'engineer' },
    ],
  },
};

// create-voyage. The reference CI's arguments (tests.yml step6-create-voyage):
export const VOYAGE_REQUEST_CI = {
  shipImo: 'IMO-9321483',
  departurePort: 'Oslo',
  arrivalPort: 'Singapore',
  departureDate: '2026-04-10',
  arrivalDate: '2026-05-02',
  crewIds: ['CREW-001', 'CREW-003'],
  cargoIds: ['CARGO-2024-0451'],
};
// What the mock answers to them (201), mapped: route/dates echoed, arrays static.
export const VOYAGE_CREATED_CI = {
  voyageId: 'VOY-2026-042',
  shipImo: 'IMO-9321483',
  route: { from: 'Oslo', to: 'Singapore' },
  dates: { departure: '2026-04-10', arrival: '2026-05-02' },
  crewIds: ['CREW-001', 'CREW-003'],
  cargoIds: ['CARGO-2024-0451'],
  status: 'planned',
};
// Arguments that differ from the example, so that the echoed fields (and the body capstan sent)
// cannot come from the static example.
export const VOYAGE_REQUEST = {
  shipImo: 'IMO-9456781',
  departurePort: 'Bergen',
  arrivalPort: 'Rotterdam',
  departureDate: '2026-06-01T06:00:00Z',
  arrivalDate: '2026-06-04T18:30:00Z',
  crewIds: ['CREW-002', 'CREW-004'],
  cargoIds: ['CARGO-2024-0452', 'CARGO-2024-0453'],
};
export const VOYAGE_CREATED = {
  voyageId: 'VOY-2026-042',
  shipImo: 'IMO-9456781',
  route: { from: 'Bergen', to: 'Rotterdam' },
  dates: { departure: '2026-06-01T06:00:00Z', arrival: '2026-06-04T18:30:00Z' },
  // The mock's arrays are static (the tutorial's step-6 comment says so).
  crewIds: ['CREW-001', 'CREW-003'],
  cargoIds: ['CARGO-2024-0451'],
  status: 'planned',
};

// get-voyage-manifest (step 11, MCP): get-voyage VOY-2026-042 (ship IMO-9321483, crew
// CREW-001/003, cargo CARGO-2024-0451), ship looked up by the consumed output `imo-number`.
export const MANIFEST_MCP = {
  voyageId: 'VOY-2026-042',
  status: 'planned',
  route: { from: 'Oslo', to: 'Singapore' },
  ship: { name: 'Northern Star', type: 'cargo', flag: 'NO' },
  crew: [
    { fullName: 'Erik Lindström', role: 'captain' },
    { fullName: 'Aiko Tanaka', role: 'cook' },
  ],
  cargo: [
    { type: 'container', description: 'Electronics components', weight: 12.5, hazardous: false },
  ],
};
// The REST operation's mappings are flat.
export const MANIFEST_REST = {
  voyageId: 'VOY-2026-042',
  status: 'planned',
  departurePort: 'Oslo',
  arrivalPort: 'Singapore',
  shipName: 'Northern Star',
  shipType: 'cargo',
  shipFlag: 'NO',
  crew: [
    { fullName: 'Erik Lindström', role: 'captain' },
    { fullName: 'Aiko Tanaka', role: 'cook' },
  ],
  cargo: [
    { type: 'container', description: 'Electronics components', weight: 12.5, hazardous: false },
  ],
};

// tools/list expectations: [type, description] per input.
export const TOOL_LIST_SHIPS = {
  name: 'list-ships',
  description: 'List ships in the shipyard, optionally filtered by status',
  properties: { status: ['string', 'Filter by operational status'] },
  required: [],
};
export const TOOL_GET_SHIP = {
  name: 'get-ship',
  description: "Retrieve a ship's details by IMO number",
  properties: { imo: ['string', 'IMO number of the ship'] },
  required: ['imo'],
};
export const TOOL_LIST_LEGACY = {
  name: 'list-legacy-vessels',
  description: 'List vessels from the legacy Dockyard, optionally filtered by status',
  properties: { status: ['string', 'Filter by operational status (active, laid_up, scrapped)'] },
  required: [],
};
export const TOOL_CREATE_VOYAGE = {
  name: 'create-voyage',
  description: 'Plan a new voyage with ship, crew, route, and dates',
  properties: {
    shipImo: ['string', 'IMO number of the ship'],
    departurePort: ['string', 'Port of departure'],
    arrivalPort: ['string', 'Port of arrival'],
    departureDate: ['string', 'Departure date (ISO-8601)'],
    arrivalDate: ['string', 'Arrival date (ISO-8601)'],
    crewIds: ['array', 'List of crew member IDs'],
    cargoIds: ['array', 'List of cargo item IDs (optional)'],
  },
  required: ['shipImo', 'departurePort', 'arrivalPort', 'departureDate', 'arrivalDate', 'crewIds'],
  // hints: {readOnly: false, destructive: false, idempotent: false, openWorld: true}
  hints: {
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: false,
    openWorldHint: true,
  },
};
export const TOOL_SHIP_WITH_CREW = {
  name: 'get-ship-with-crew',
  description: 'Get ship details with resolved crew names',
  properties: { imo: ['string', 'IMO number of the ship'] },
  required: ['imo'],
};
export const TOOL_MANIFEST = {
  name: 'get-voyage-manifest',
  description: 'Assemble a complete voyage manifest with ship, crew, and cargo',
  properties: { voyageId: ['string', 'Voyage ID to build the manifest for'] },
  required: ['voyageId'],
};
