// End-to-end: the real Scaleway JS SDK (@scaleway/sdk-iam + @scaleway/sdk-client, pinned in
// package.json) → `capstan serve capabilities/scaleway-iam-jwts.yaml` (REST adapter) →
// scaleway-iam-sim. Run: CAPSTAN_BIN_DIR=build/release/bin node --test
// tests/e2e/rest_sdk.test.mjs (ctest: e2e_rest_sdk).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import {
  AccessLog,
  loadSdk,
  makeApi,
  opts,
  Processes,
  repo,
  SIM_LISTENING,
  skipReason,
  TOKEN as CAPSTAN_TOKEN,
  USER_A,
  USER_A_TOKEN,
  USER_B,
  USER_C,
} from './harness.mjs';

let sdk;
let simPort;
let capstanPort;
const processes = new Processes();
const simLog = new AccessLog();

function api({ secretKey = CAPSTAN_TOKEN, port = capstanPort } = {}) {
  return makeApi(sdk, { secretKey, port });
}

// Waits for a simulator access-log entry matching `predicate`.
function waitForSimEntry(predicate) {
  return simLog.waitFor(predicate, 'matching simulator access-log line');
}

before(async () => {
  if (skipReason) return;
  sdk = await loadSdk();
  // The simulator serves /v1 too, so the same SDK code can also talk to it directly.
  simPort = await processes.start(
    'scaleway-iam-sim',
    ['--port', '0', '--threads', '1', '--path-prefix', '/v1'],
    SIM_LISTENING,
    { onStderr: (line) => simLog.push(line) },
  );
  capstanPort = await processes.start(
    'capstan',
    [
      'serve',
      join(repo, 'capabilities', 'scaleway-iam-jwts.yaml'),
      '--base-uri',
      `iam-jwts=http://127.0.0.1:${simPort}`,
      '--port',
      'iam-jwts-rest=0',
      '--port',
      'iam-jwts-mcp=0',
      '--threads',
      '2',
    ],
    /^capstan: rest adapter 'iam-jwts-rest' listening on http:\/\/127\.0\.0\.1:(\d+)$/,
    { env: { SCALEWAY_API_KEY: CAPSTAN_TOKEN } },
  );
});

after(() => processes.stopAll());

function assertJwtShape(jwt) {
  assert.match(jwt.jti, /^[0-9a-f-]{36}$/);
  assert.match(jwt.issuerId, /^[0-9a-f-]{36}$/);
  assert.match(jwt.audienceId, /^[0-9a-f-]{36}$/);
  assert.ok(jwt.createdAt instanceof Date && !Number.isNaN(jwt.createdAt.getTime()));
  // updated_at and expires_at may be null on the wire (undefined here), never an invalid Date.
  for (const date of [jwt.updatedAt, jwt.expiresAt]) {
    assert.ok(date === undefined || (date instanceof Date && !Number.isNaN(date.getTime())));
  }
  assert.equal(typeof jwt.ip, 'string');
  assert.ok(jwt.ip.length > 0);
  assert.equal(typeof jwt.userAgent, 'string');
}

test('listJWTs with every parameter: every typed field survives', opts, async () => {
  const request = {
    audienceId: USER_A,
    expired: false,
    orderBy: 'created_at_desc',
    pageSize: 1,
    page: 2,
  };
  const page = await api().listJWTs(request);
  assert.equal(typeof page.totalCount, 'number');
  assert.equal(page.totalCount, 2);
  assert.equal(page.jwts.length, 1);
  const [jwt] = page.jwts;
  assertJwtShape(jwt);
  assert.equal(jwt.jti, '96e44708-9205-439e-9b79-e764ff08491c');
  assert.equal(jwt.audienceId, USER_A);
  assert.equal(jwt.issuerId, USER_A);
  assert.ok(jwt.expiresAt > new Date());
  assert.equal(jwt.ip, '198.51.100.7');
  assert.match(jwt.userAgent, /Safari/);
  // Through capstan, exactly what the simulator answers directly.
  const direct = await api({ port: simPort }).listJWTs(request);
  assert.deepEqual({ ...page }, { ...direct });
  // capstan forwarded every parameter, in the capability's order.
  const entry = await waitForSimEntry(
    (e) =>
      e.target ===
      `/iam/v1alpha1/jwts?order_by=created_at_desc&audience_id=${USER_A}&page_size=1&page=2` +
        '&expired=false',
  );
  assert.equal(entry.status, 200);
  assert.equal(entry.auth_token_present, true);
});

test('listJWTs: .all() walks every page', opts, async () => {
  const all = await api().listJWTs({ audienceId: USER_C, pageSize: 10 }).all();
  assert.equal(all.length, 25);
  assert.equal(new Set(all.map((jwt) => jwt.jti)).size, 25);
  for (const jwt of all) {
    assertJwtShape(jwt);
    assert.equal(jwt.audienceId, USER_C);
  }
  const byDefault = await api().listJWTs({ audienceId: USER_C }).all();
  assert.equal(byDefault.length, 25);
  const live = await api().listJWTs({ audienceId: USER_C, expired: false }).all();
  const expired = await api().listJWTs({ audienceId: USER_C, expired: true }).all();
  assert.equal(live.length + expired.length, 25);
  assert.ok(expired.every((jwt) => jwt.expiresAt <= new Date()));
  const sorted = await api()
    .listJWTs({ audienceId: USER_C, orderBy: 'updated_at_asc', pageSize: 7 })
    .all();
  // A null updated_at sorts as the oldest.
  const times = sorted.map((jwt) => (jwt.updatedAt ? jwt.updatedAt.getTime() : -Infinity));
  assert.deepEqual(times, [...times].sort((a, b) => a - b));
  // The async iterator yields one page at a time.
  const pages = [];
  for await (const chunk of api().listJWTs({ audienceId: USER_C, pageSize: 10 })) pages.push(chunk);
  assert.deepEqual(
    pages.map((p) => p.length),
    [10, 10, 5],
  );
});

test('getJWT returns the object with every field', opts, async () => {
  const jwt = await api().getJWT({ jti: 'f1591fa7-6cb6-496e-91be-6d3f467771e7' });
  assertJwtShape(jwt);
  assert.equal(jwt.jti, 'f1591fa7-6cb6-496e-91be-6d3f467771e7');
  assert.equal(jwt.issuerId, USER_B);
  assert.equal(jwt.audienceId, USER_A);
  assert.equal(jwt.expiresAt, undefined); // null on the wire
  assert.equal(jwt.ip, '2001:db8:85a3::8a2e:370:7334');
  assert.match(jwt.userAgent, /^scaleway-sdk-go\//);
  const direct = await api({ port: simPort }).getJWT({ jti: jwt.jti });
  assert.deepEqual(jwt, direct);
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
  const remaining = await api().listJWTs({ audienceId: USER_A });
  assert.ok(remaining.jwts.every((jwt) => jwt.jti !== jti));
});

test('a missing audience is InvalidArgumentsError', opts, async () => {
  await assert.rejects(api().listJWTs({}), (error) => {
    assert.ok(error instanceof sdk.Errors.InvalidArgumentsError, String(error));
    assert.equal(error.details.length, 1);
    assert.equal(error.details[0].argumentName, 'audience_id');
    assert.equal(error.details[0].reason, 'required');
    return true;
  });
  // An out-of-range page size is the simulator's verdict too, passed through.
  await assert.rejects(api().listJWTs({ audienceId: USER_A, pageSize: 1000 }), (error) => {
    assert.ok(error instanceof sdk.Errors.InvalidArgumentsError, String(error));
    assert.equal(error.details[0].argumentName, 'page_size');
    return true;
  });
});

test("the client's own key is not forwarded: capstan uses the capability's", opts, async () => {
  // Straight to the simulator, user A's key may not list user B.
  await assert.rejects(
    api({ secretKey: USER_A_TOKEN, port: simPort }).listJWTs({ audienceId: USER_B }),
    sdk.Errors.PermissionsDeniedError,
  );
  // Through capstan the same client succeeds: the upstream call carries capstan's own key.
  const page = await api({ secretKey: USER_A_TOKEN }).listJWTs({ audienceId: USER_B });
  assert.equal(page.totalCount, 17);
  const unknown = api({ secretKey: '11111111-1111-4111-8111-111111111111' });
  assert.equal((await unknown.listJWTs({ audienceId: USER_B })).totalCount, 17);
});
