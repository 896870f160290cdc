// End-to-end: the real Scaleway JS SDK (@scaleway/sdk-iam + @scaleway/sdk-client, pinned in
// package.json) against scaleway-iam-sim. Run: CAPSTAN_BIN_DIR=build/release/bin node --test
// tests/e2e/sim_sdk.test.mjs (ctest: e2e_sim_sdk).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const TOKEN = '6c7ef130-6442-42fd-b525-ccf941221566'; // organization-wide key of the default seed
const USER_A_TOKEN = '51a5eb46-97e4-4f37-94d1-ab6b0411d155'; // bound to user A in the default seed
const ACCESS_KEY = 'SCWSIMULATOR00000001';
const USER_A = '9e57858d-7555-463e-9c74-2dc2d02019b8';
const USER_B = 'd4e39c6f-77f6-450b-8f8e-9f0362a8c06d';
const USER_C = 'e41b66d4-13c6-4bdc-a996-431cfcb2185a'; // 25 JWTs: more than one default page

const skipReason = existsSync(join(here, 'node_modules', '@scaleway', 'sdk-iam'))
  ? null
  : 'tests/e2e/node_modules is missing: run scripts/npm-install (or npm ci in tests/e2e)';
if (skipReason) console.log(`capstan-e2e-skip: ${skipReason}`);
// node:test skips on `skip: null` too (Node 20), so pass the option only when skipping.
const opts = skipReason ? { skip: skipReason } : {};

let sdk;
let sim;
let port;
const logLines = [];
const logWaiters = [];

function startSimulator(args) {
  const binDir = process.env.CAPSTAN_BIN_DIR;
  assert.ok(binDir, 'CAPSTAN_BIN_DIR must name the directory of scaleway-iam-sim');
  const child = spawn(join(binDir, 'scaleway-iam-sim'), args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  createInterface({ input: child.stderr }).on('line', (line) => {
    logLines.push(line);
    for (const waiter of logWaiters.splice(0)) waiter();
  });
  const firstLine = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('simulator did not start in 10 s')), 10000);
    child.once('exit', (code) => reject(new Error(`simulator exited early with ${code}`)));
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
  });
  return { child, firstLine };
}

function api({ secretKey = TOKEN, prefix = '/v1' } = {}) {
  const client = sdk.createClient({
    accessKey: ACCESS_KEY,
    secretKey,
    apiURL: `http://127.0.0.1:${port}${prefix}`,
  });
  return new sdk.Iamv1alpha1.API(client);
}

// The access-log entries (parsed JSON lines of stderr) so far.
function accessLog() {
  return logLines.filter((line) => line.startsWith('{"time"')).map((line) => JSON.parse(line));
}

// Waits (up to 5 s) for an access-log entry whose target is exactly `target`: the simulator logs
// after writing the response, so the line may arrive just after the SDK call returned.
async function waitForLogEntry(target) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const entry = accessLog().find((e) => e.target === target);
    if (entry) return entry;
    const remaining = deadline - Date.now();
    assert.ok(remaining > 0, `no access-log line with target ${target}`);
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, remaining);
      logWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

before(async () => {
  if (skipReason) return;
  const client = await import('@scaleway/sdk-client');
  const iam = await import('@scaleway/sdk-iam');
  sdk = { ...client, Iamv1alpha1: iam.Iamv1alpha1 };
  sim = startSimulator(['--port', '0', '--path-prefix', '/v1', '--threads', '2']);
  const line = await sim.firstLine;
  const match = /^listening on http:\/\/127\.0\.0\.1:(\d+)$/.exec(line);
  assert.ok(match, `unexpected first line: ${line}`);
  port = Number(match[1]);
});

after(async () => {
  if (!sim) return;
  const { child } = sim;
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
});

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
