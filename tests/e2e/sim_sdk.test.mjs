// End-to-end: the real Scaleway JS SDK (@scaleway/sdk-iam + @scaleway/sdk-client, pinned in
// package.json) against scaleway-iam-sim. Run: CAPSTAN_BIN_DIR=build/release/bin node --test
// tests/e2e/sim_sdk.test.mjs (ctest: e2e_sim_sdk).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  AccessLog,
  loadSdk,
  makeApi,
  opts,
  Processes,
  SIM_LISTENING,
  skipReason,
  TOKEN,
  USER_A,
  USER_A_TOKEN,
  USER_B,
  USER_C,
} from './harness.mjs';

let sdk;
let port;
const processes = new Processes();
const log = new AccessLog();
const logLines = log.lines;

function api({ secretKey = TOKEN, prefix = '/v1' } = {}) {
  return makeApi(sdk, { secretKey, port, prefix });
}

// Waits for the access-log entry whose target is exactly `target`.
function waitForLogEntry(target) {
  return log.waitFor((e) => e.target === target, `access-log line with target ${target}`);
}

before(async () => {
  if (skipReason) return;
  sdk = await loadSdk();
  port = await processes.start(
    'scaleway-iam-sim',
    ['--port', '0', '--path-prefix', '/v1', '--threads', '2'],
    SIM_LISTENING,
    { onStderr: (line) => log.push(line) },
  );
});

after(() => processes.stopAll());

test('listJWTs: one page with every parameter', opts, async () => {
  const page = await api().listJWTs({
    audienceId: USER_A,
    expired: false,
    orderBy: 'created_at_desc',
    pageSize: 1,
    page: 2,
  });
  assert.equal(page.totalCount, 2);
  assert.equal(page.jwts.length, 1);
  const [jwt] = page.jwts;
  assert.equal(jwt.jti, '96e44708-9205-439e-9b79-e764ff08491c');
  assert.equal(jwt.audienceId, USER_A);
  assert.equal(jwt.issuerId, USER_A);
  assert.ok(jwt.createdAt instanceof Date && !Number.isNaN(jwt.createdAt.getTime()));
  assert.ok(jwt.expiresAt instanceof Date && jwt.expiresAt > new Date());
  assert.equal(jwt.ip, '198.51.100.7');
  // The simulator saw exactly the SDK's path and query.
  const entry = await waitForLogEntry(
    `/v1/iam/v1alpha1/jwts?audience_id=${USER_A}&expired=false&order_by=created_at_desc` +
      '&page=2&page_size=1',
  );
  assert.equal(entry.status, 200);
  assert.equal(entry.auth_token_present, true);
  assert.ok(entry.header_names.map((h) => h.toLowerCase()).includes('x-auth-token'));
  assert.ok(!logLines.some((line) => line.includes(TOKEN)), 'the token value is never logged');
});

test('listJWTs: .all() walks every page', opts, async () => {
  const all = await api().listJWTs({ audienceId: USER_C, pageSize: 10 }).all();
  assert.equal(all.length, 25);
  assert.equal(new Set(all.map((jwt) => jwt.jti)).size, 25);
  assert.ok(all.every((jwt) => jwt.audienceId === USER_C));
  const byDefault = await api().listJWTs({ audienceId: USER_C }).all();
  assert.equal(byDefault.length, 25);
  const live = await api().listJWTs({ audienceId: USER_C, expired: false }).all();
  const expired = await api().listJWTs({ audienceId: USER_C, expired: true }).all();
  assert.equal(live.length + expired.length, 25);
  assert.ok(expired.every((jwt) => jwt.expiresAt <= new Date()));
});

test('listJWTs without the path prefix', opts, async () => {
  const page = await api({ prefix: '' }).listJWTs({ audienceId: USER_B });
  assert.equal(page.totalCount, 17);
});

test('getJWT returns the object', opts, async () => {
  const jwt = await api().getJWT({ jti: 'f1591fa7-6cb6-496e-91be-6d3f467771e7' });
  assert.equal(jwt.jti, 'f1591fa7-6cb6-496e-91be-6d3f467771e7');
  assert.equal(jwt.issuerId, USER_B);
  assert.equal(jwt.audienceId, USER_A);
  assert.equal(jwt.expiresAt, undefined); // null on the wire
  assert.equal(jwt.ip, '2001:db8:85a3::8a2e:370:7334');
  assert.match(jwt.userAgent, /^scaleway-sdk-go\//);
});

test('deleteJWT, then getJWT is ResourceNotFoundError', opts, async () => {
  const jti = '876feec6-561b-4ae0-80d1-6237a8f146db';
  assert.equal(await api().deleteJWT({ jti }), undefined);
  await assert.rejects(api().getJWT({ jti }), (error) => {
    assert.ok(error instanceof sdk.Errors.ResourceNotFoundError, String(error));
    assert.equal(error.resource, 'jwt');
    assert.equal(error.resourceId, jti);
    return true;
  });
  await assert.rejects(api().deleteJWT({ jti }), sdk.Errors.ResourceNotFoundError);
});

test('a missing audience is InvalidArgumentsError', opts, async () => {
  await assert.rejects(api().listJWTs({}), (error) => {
    assert.ok(error instanceof sdk.Errors.InvalidArgumentsError, String(error));
    assert.equal(error.details.length, 1);
    assert.equal(error.details[0].argumentName, 'audience_id');
    assert.equal(error.details[0].reason, 'required');
    return true;
  });
});

test('a wrong token is DeniedAuthenticationError', opts, async () => {
  const wrong = api({ secretKey: '11111111-1111-4111-8111-111111111111' });
  await assert.rejects(wrong.listJWTs({ audienceId: USER_A }), (error) => {
    assert.ok(error instanceof sdk.Errors.DeniedAuthenticationError, String(error));
    assert.equal(error.method, 'api_key');
    assert.equal(error.reason, 'not_found');
    return true;
  });
});

test("a user's key listing another user is PermissionsDeniedError", opts, async () => {
  const userA = api({ secretKey: USER_A_TOKEN });
  assert.equal((await userA.listJWTs({ audienceId: USER_A })).totalCount >= 1, true);
  await assert.rejects(userA.listJWTs({ audienceId: USER_B }), (error) => {
    assert.ok(error instanceof sdk.Errors.PermissionsDeniedError, String(error));
    assert.deepEqual(
      error.list.map((d) => [d.action, d.resource]),
      [['read', 'jwt']],
    );
    return true;
  });
});
