// Writes the fuzz seeds that are derived from real data (../shared and the docs) into
// fuzz/corpus/<target>/, and fuzz/spec_loader.dict from the alpha2 schema. Deterministic: a rerun
// rewrites the same files. Hand-written seeds (other names) are left alone. Sources: README.md.
//   node fuzz/corpus/make-seeds.mjs [SHARED_DIR]      (default: ../shared beside the checkout)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shared = path.resolve(process.argv[2] ?? path.join(root, '../shared'));
const corpus = path.join(root, 'fuzz/corpus');
const counts = {};

function write(target, name, content) {
  const dir = path.join(corpus, target);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, name), content);
  counts[target] = (counts[target] ?? 0) + 1;
}
const readShared = (rel) => fs.readFileSync(path.join(shared, rel), 'utf8');
const json = (v) => JSON.stringify(v);
// The capability files of shared/ whose mappings, paths and templates the seeds reuse.
const capabilityFiles = ['capabilities/scaleway', 'naftiko/tutorial'].flatMap((dir) =>
  fs.readdirSync(path.join(shared, dir)).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => path.join(dir, f)));

// ---- real documents -------------------------------------------------------------------------
// shared/reference/scaleway-iam-jwt-contract.md §5 (a ListJWTs page) and §3/§4 (error envelopes).
const jwtList =
  '{"jwts":[{"jti":"876feec6-561b-4ae0-80d1-6237a8f146db","issuer_id":"9e57858d-7555-463e-9c74-2dc2d02019b8",' +
  '"audience_id":"9e57858d-7555-463e-9c74-2dc2d02019b8","created_at":"2026-07-02T08:14:09.203118Z",' +
  '"updated_at":"2026-07-02T08:14:09.203118Z","expires_at":"2026-07-03T08:14:09.203118Z","ip":"203.0.113.24",' +
  '"user_agent":"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"},' +
  '{"jti":"f1591fa7-6cb6-496e-91be-6d3f467771e7","issuer_id":"d4e39c6f-77f6-450b-8f8e-9f0362a8c06d",' +
  '"audience_id":"9e57858d-7555-463e-9c74-2dc2d02019b8","created_at":"2026-08-19T14:03:51.077402Z",' +
  '"updated_at":"2026-08-19T14:03:51.077402Z","expires_at":null,"ip":"2001:db8:85a3::8a2e:370:7334",' +
  '"user_agent":"scaleway-sdk-go/v1.0.0-beta.36 (go1.25.3; linux; amd64) scaleway-cli/2.44.0"}],"total_count":2}';
const jwtOne = json(JSON.parse(jwtList).jwts[0]);
const scalewayErrors = {
  'invalid-arguments':
    '{"details":[{"argument_name":"project_id","help_message":"value must be a valid UUID","reason":"format"}],"message":"invalid argument(s)","type":"invalid_arguments"}',
  'denied-authentication':
    '{"message":"authentication is denied","method":"api_key","reason":"not_found","type":"denied_authentication"}',
  'quotas-exceeded':
    '{"details":[{"current":10,"quota":10,"resource":"human"}],"message":"quota(s) exceeded for this resource","type":"quotas_exceeded"}',
  'not-found':
    '{"message":"resource is not found","resource":"jwt","resource_id":"876feec6-561b-4ae0-80d1-6237a8f146db","type":"not_found"}',
};
// shared/naftiko/mock-apis/naftiko-shipyard-maritime-registry-api.yaml, the examples of
// GET /ships and GET /ships/{imo_number}.
const ships =
  '[{"imo_number":"IMO-9321483","vessel_name":"Northern Star","vessel_type":"cargo","flag_code":"NO",' +
  '"operational_status":"active"},{"imo_number":"IMO-9456781","vessel_name":"Pacific Dawn",' +
  '"vessel_type":"tanker","flag_code":"SG","operational_status":"maintenance"}]';
const ship =
  '{"imo_number":"IMO-9456781","vessel_name":"Pacific Dawn","vessel_type":"tanker","flag_code":"SG",' +
  '"operational_status":"maintenance","year_built":2018,"gross_tonnage":55000,' +
  '"dimensions":{"length_overall":274,"beam":48,"draft":16.0},"assignedCrew":["CREW-002","CREW-004"]}';

// ---- json_path: CTS selectors and the capabilities' mappings --------------------------------
const cts = JSON.parse(readShared('conformance/jsonpath/cts.json')).tests;
let kept = 0;
cts.forEach((t, i) => {
  if (t.selector.includes('\n') || i % 4 !== 0) return;  // one line per selector; every 4th test
  const doc = t.document === undefined ? ship : json(t.document);
  write('json_path', `cts-${String(i).padStart(3, '0')}`, `${t.selector}\n${doc}`);
  kept++;
});
const mappings = new Set();
for (const f of capabilityFiles) {
  for (const m of readShared(f).matchAll(/(?:mapping|value): *["']?(\$[^"'\s]*)/g)) mappings.add(m[1]);
}
[...mappings].sort().forEach((m, i) => {
  const doc = m.includes('jwt') || m === '$.' ? jwtList : m.includes('-') ? `{"get-ship":${ship}}` : ship;
  write('json_path', `cap-${String(i).padStart(2, '0')}`, `${m}\n${doc}`);
});
write('json_path', 'ref-ships-filter', `$[?@.flag_code == 'NO' || @.year_built > 2016].vessel_name\n${ships}`);
write('json_path', 'ref-jwts-jti', `$.jwts[*].jti\n${jwtList}`);

// ---- json: real documents as they are written --------------------------------------------
write('json', 'ref-jwt-list', jwtList);
write('json', 'ref-jwt', jwtOne);
for (const [name, text] of Object.entries(scalewayErrors)) write('json', `ref-error-${name}`, text);
write('json', 'ref-ships', ships);
write('json', 'ref-ship', ship);
for (const f of ['multipleOf', 'minimum', 'exclusiveMaximum', 'defs', 'maxLength', 'infinite-loop-detection']) {
  write('json', `jsts-${f}.json`, readShared(`conformance/json-schema-2020-12/${f}.json`));
}
const docs = new Set();
cts.forEach((t) => t.document !== undefined && docs.add(json(t.document)));
[...docs].filter((_, i) => i % 8 === 0).forEach((d, i) => write('json', `cts-doc-${String(i).padStart(2, '0')}`, d));

// ---- template: templates of the capabilities --------------------------------------------------
// Mode byte: bit 0 single-brace path syntax, bits 1-3 escaping (0 none, 1 path segment, 2 query,
// 3 header value, 4 JSON string), bit 4 missing values omitted. Then text, NUL, the value.
const mode = (single, escaping, omit = false) => (single ? 1 : 0) | (escaping << 1) | (omit ? 16 : 0);
const tpl = (name, m, text, value) =>
  write('template', name, Buffer.concat([Buffer.from([m]), Buffer.from(`${text}\0${value}`)]));
const paths = new Set();
for (const f of capabilityFiles) {
  for (const m of readShared(f).matchAll(/^\s*path: *"?([^"\n]*\{[^"\n]*)"?$/gm)) paths.add(m[1]);
}
[...paths].sort().filter((_, i) => i % 6 === 0).forEach((p, i) => {
  const single = !p.includes('{{');
  tpl(`cap-path-${String(i).padStart(2, '0')}`, mode(single, 1), p, i % 2 ? 'fr-par' : '876feec6-561b-4ae0-80d1-6237a8f146db');
});
tpl('cap-apikey', mode(false, 3), '{{env.SCALEWAY_API_KEY}}', '6c7ef130-6442-42fd-b525-ccf941221566');
tpl('tut-bearer', mode(false, 3), 'Bearer {{REGISTRY_TOKEN}}', 'reg-token-1');
tpl('tut-imo-query', mode(false, 2), '{{imo_number}}', 'IMO-9321483');
tpl('tut-json-body', mode(false, 4, true), '{"imo":"{{imo}}","status":"{{m_status}}"}', 'IMO-9321483');

// ---- spec_loader: tutorial steps and Scaleway capabilities ---------------------------------
for (const f of ['step-1-shipyard-mock.yml', 'step-2-shipyard-wiring.yml', 'step-3-shipyard-auth.yml',
  'step-4-shipyard-output-shaping.yml', 'step-5-shipyard-multi-source.yml', 'step-6-shipyard-write-operations.yml']) {
  write('spec_loader', `tut-${f}`, readShared(`naftiko/tutorial/${f}`));
}
write('spec_loader', 'tut-shared-legacy-consumes.yaml', readShared('naftiko/tutorial/shared/legacy-consumes.yaml'));
for (const f of ['iam-quotas.yaml', 'transactional-email-offers.yaml', 'kubernetes-versions.yaml']) {
  write('spec_loader', `cap-${f}`, readShared(`capabilities/scaleway/${f}`));
}
// The dictionary: every key and enum value of the alpha2 schema.
const schema = JSON.parse(readShared('naftiko/schema/naftiko-schema-1.0.0-alpha2.json'));
const words = new Set();
(function walk(o) {
  if (Array.isArray(o)) return o.forEach(walk);
  if (!o || typeof o !== 'object') return;
  if (o.properties) Object.keys(o.properties).forEach((k) => words.add(`${k}:`));
  for (const e of o.enum ?? []) if (typeof e === 'string') words.add(e);
  if (typeof o.const === 'string') words.add(o.const);
  Object.values(o).forEach(walk);
})(schema);
fs.writeFileSync(path.join(root, 'fuzz/spec_loader.dict'),
  '# libFuzzer dictionary for spec_loader_fuzz: the keys and enum values of the alpha2 schema\n' +
  '# (generated by fuzz/corpus/make-seeds.mjs) and YAML syntax.\n' +
  [...words].sort().map((w) => json(w)).join('\n') +
  '\n"\\x0A  - "\n"\\x0A    "\n"---"\n"&a "\n"*a"\n"<<: "\n"!!str "\n"{{"\n"}}"\n"$."\n');

// ---- mcp_message: the JSON-RPC messages of docs/mcp.md --------------------------------------
const modern = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
const rpc = (id, method, params) => json({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
const messages = {
  'initialize-2025-03-26': rpc(0, 'initialize', { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'c', version: '1' } }),
  'initialize-2025-06-18': rpc(0, 'initialize', { protocolVersion: '2025-06-18', capabilities: { sampling: {} }, clientInfo: { name: 'c', version: '1' } }),
  'initialize-unknown': rpc('init', 'initialize', { protocolVersion: '1999-01-01', capabilities: {}, clientInfo: { name: 'c', version: '1' } }),
  'initialized': json({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  'ping': rpc(11, 'ping'),
  'resources-list': rpc(12, 'resources/list'),
  'resources-templates-list': rpc(13, 'resources/templates/list', { cursor: 'o:0' }),
  'resources-subscribe': rpc(14, 'resources/subscribe', { uri: 'test://item/1' }),
  'resources-read-unknown': rpc(15, 'resources/read', { uri: 'file:///etc/passwd' }),
  'prompts-list': rpc(16, 'prompts/list'),
  'prompts-get-missing': rpc(17, 'prompts/get', { name: 'greet' }),
  'tools-call-list-jwts': rpc(18, 'tools/call', { name: 'echo', arguments: { n: 20, s: 'created' } }),
  'tools-list-bad-cursor': rpc(19, 'tools/list', { cursor: 'not-a-cursor' }),
  'cancelled': json({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 18, reason: 'user' } }),
  'progress': json({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'p', progress: 1 } }),
  'response-result': json({ jsonrpc: '2.0', id: 's1', result: { action: 'accept', content: {} } }),
  'response-error': json({ jsonrpc: '2.0', id: 's2', error: { code: -32601, message: 'no' } }),
  'invalid-id-null': json({ jsonrpc: '2.0', id: null, method: 'ping' }),
  'invalid-id-object': json({ jsonrpc: '2.0', id: {}, method: 'ping' }),
  'invalid-version': json({ jsonrpc: '1.0', id: 1, method: 'ping' }),
  'invalid-no-method': json({ jsonrpc: '2.0', id: 1 }),
  'invalid-params': rpc(20, 'tools/call', []),
  'batch-empty': '[]',
  'batch-mixed': `[${rpc(21, 'tools/list')},${json({ jsonrpc: '2.0', method: 'notifications/initialized' })},1]`,
  'modern-tools-list': rpc(22, 'tools/list', { _meta: modern }),
  'modern-tools-call': rpc(23, 'tools/call', { name: 'echo', arguments: { n: 1 }, _meta: { ...modern, 'io.modelcontextprotocol/logLevel': 'debug' } }),
  'modern-resources-read': rpc(24, 'resources/read', { uri: 'test://item/%2e%2e', _meta: modern }),
  'modern-bad-version': rpc(25, 'server/discover', { _meta: { ...modern, 'io.modelcontextprotocol/protocolVersion': '2099-01-01' } }),
  'modern-missing-capabilities': rpc(26, 'tools/list', { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } }),
  'modern-initialize': rpc(27, 'initialize', { _meta: modern }),
  'modern-request-state': rpc(28, 'tools/call', { name: 'echo', arguments: { n: 2 }, requestState: 'AAAA.bm90LXNpZ25lZA', inputResponses: {}, _meta: modern }),
};
for (const [name, text] of Object.entries(messages)) write('mcp_message', `doc-${name}.json`, text);

// ---- request_target: Scaleway paths and query strings (contract §2, §5), REST routes of the
// seed capability, and their near misses.
const targets = {
  'list-jwts': '/iam/v1alpha1/jwts?audience_id=9e57858d-7555-463e-9c74-2dc2d02019b8&expired=false&order_by=created_at_desc&page_size=1&page=2',
  'list-jwts-encoded': '/v1/iam/v1alpha1/jwts?audience_id=9e57858d%2D7555-463e-9c74-2dc2d02019b8&order_by=created_at%5Fdesc&page_size=%31%30',
  'get-jwt': '/v1/iam/v1alpha1/jwts/876feec6-561b-4ae0-80d1-6237a8f146db',
  'get-jwt-escaped': '/v1/iam/v1alpha1/jwts/876feec6%2F..%2F561b%20x+y?',
  'ship': '/ships/IMO-9321483/crew?status=active',
  'sdk-repeated': '/v1/iam/v1alpha1/jwts?order_by=created_at_asc&order_by=updated_at_desc&tags=a&tags=b+c&tags=',
  'form-spaces': '/?q=hello+world&r=a%20b%2Bc&s=%E2%82%AC&t=%c3%a9',
  'bare-names': '/mcp?expired&&page=&=&=x&a==b&',
  'bad-escape-value': '/v1/x?page_size=%2&page=1',
  'bad-escape-name': '/v1/x?a%G1=1',
  'truncated': '/v1/x%?audience_id=%',
  'invalid-utf8': '/%FF/%C0%AF?name=%FF%FE&x=%C0%AF',
  'nul': '/a%00b?a=%00&b=1%0D%0AX-Evil:%201',
  'dots': '/v1/./../%2e%2E/.well-known/oauth-protected-resource',
  'empty-segments': '//a//b/?',
  'asterisk': '*',
};
for (const [name, text] of Object.entries(targets)) write('request_target', `ref-${name}`, text);

// ---- wire: encoded for FuzzedDataProvider (wire_fuzz.cpp reads, in this order: status, five
// options, server flag and header count from the end; the request id, header names and values
// and the error type from the front as backslash-terminated strings; the rest is the message).
function wire(name, { status = 200, close = false, keepAlive = false, chunked = false, closeDelimited = false,
  length = 0n, server = true, requestId = '', headers = [], type = 'bad_request', message = '' }) {
  const str = (s) => Buffer.concat([Buffer.from(s.replace(/\\/g, '\\\\'), 'latin1'), Buffer.from('\\ ')]);
  const front = [str(requestId)];
  for (const [n, v] of headers) front.push(str(n), str(v));
  front.push(str(type), Buffer.from(message, 'utf8'));
  // Integral values are taken from the last byte backwards, most significant byte first.
  const back = [];
  const push = (value, bytes) => {
    for (let i = bytes - 1; i >= 0; i--) back.push(Number((BigInt(value) >> BigInt(8 * i)) & 0xffn));
  };
  push(status - 100, 2);
  for (const b of [close, keepAlive, chunked, closeDelimited]) push(b ? 1 : 0, 1);
  push(length, 8);
  push(server ? 1 : 0, 1);
  push(headers.length, 1);
  write('wire', `ref-${name}`, Buffer.concat([...front, Buffer.from(back.reverse())]));
}
wire('scaleway-json', {
  length: 1023n, requestId: '876feec6-561b-4ae0-80d1-6237a8f146db',
  headers: [['Content-Type', 'application/json'], ['X-Request-Id', 'a7d2f9e0-2d1c-4a8e-9c6e-3b1f2a4d5e6f'], ['Cache-Control', 'no-cache']],
});
wire('delete-204', { status: 204, length: 0n, headers: [['Content-Type', 'application/json']] });
wire('sse-chunked', { chunked: true, headers: [['Content-Type', 'text/event-stream'], ['X-Accel-Buffering', 'no'], ['Mcp-Session-Id', '0123456789abcdef0123456789abcdef.0123456789abcdef0123456789abcdef']] });
wire('http10', { close: true, keepAlive: true, closeDelimited: true, headers: [['Date', 'Sun, 06 Nov 1994 08:49:37 GMT'], ['Server', 'upstream']] });
wire('splitting', {
  status: 302, requestId: 'trace:1.2_3-4',
  headers: [['Location', '/x\r\nSet-Cookie: a=b'], ['X-Nul', 'a\0b'], ['Bad Name', 'v'], ['Content-Length', '5'], ['transfer-encoding', 'chunked'], ['Connection', 'keep-alive'], ['Allow', 'GET, HEAD']],
});
wire('bad-request-id', { status: 401, requestId: 'x'.repeat(65), headers: [['WWW-Authenticate', 'Bearer realm="capstan"']] });
wire('error-body', { status: 400, type: 'bad_request', message: 'invalid percent escape in query parameter "a\u00ff" \\ "\n\t' });
wire('info-100', { status: 100, length: 7n, server: false });

// ---- response_map: upstream answers for each mapping -------------------------------------
// Byte 0: mapping (0 named consumed outputs, 1 Scaleway identity, 2 list-ships, 3 get-ship,
// 4 templated, 5 filtered, 6 scalar, 7 no outputs) | Content-Type << 3 (0 application/json,
// 2 problem+json, 3 text/plain, 4 none) | 0x40 Content-Encoding (0x80: identity, else gzip).
// Byte 1: status index (0 200, 2 204, 7 400, 8 401, 9 404, 11 500).
const answer = (name, map, ct, status, body, encoding = 0) =>
  write('response_map', `ref-${name}`, Buffer.concat([Buffer.from([map | (ct << 3) | encoding, status]), Buffer.from(body, 'latin1')]));
answer('jwts-named', 0, 0, 0, jwtList);
answer('jwts-identity', 1, 1, 0, jwtList);
answer('ships-list', 2, 0, 0, ships);
answer('ship-detail', 3, 0, 0, ship);
answer('ship-templated', 4, 0, 0, ship);
answer('ships-filtered', 5, 0, 0, `[${ship},${ships.slice(1, -1)}]`);
answer('jwts-scalar', 6, 0, 0, jwtList);
answer('jwt-unmapped', 7, 0, 0, jwtOne);
answer('delete-204', 1, 0, 2, '');
answer('not-json', 3, 3, 0, 'upstream says hello');
answer('gzip', 2, 0, 0, '\x1f\x8b\x08\x00', 0x40);
answer('identity-coding', 3, 4, 0, ship, 0xc0);
let statusIndex = 7;
for (const [name, text] of Object.entries(scalewayErrors)) answer(`error-${name}`, 3, 2, statusIndex++, text);

for (const [target, n] of Object.entries(counts)) console.log(`${target}: ${n} seeds written`);
console.log(`json_path: ${kept} of ${cts.length} CTS tests`);
