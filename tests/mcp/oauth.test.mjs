// The MCP and REST adapters as OAuth 2.1 resource servers (issue 17): the seed capability with
// `authentication: {type: oauth2}` on both adapters (each its own resource and audience), against an authorization server written
// here with jose (RFC 8414 metadata, a JWK Set with RS256, ES256 and EdDSA keys, a
// client_credentials token endpoint). The MCP SDK v1 client's ClientCredentialsProvider finds
// everything from the 401 (RFC 9728 metadata) and calls tools; curl-style fetches check the
// refusals (and curl itself, for the plain-HTTP client): no token, expired, wrong audience, wrong issuer, bad signature, alg none, unknown
// kid, a missing scope (403), and the keys' server down (503). Tool access rules (scopes →
// tools) filter tools/list and refuse tools/call per caller.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  USER_A,
  seedCapability,
  skipReason,
  startCapstan,
  startSimulator,
  stopAll,
  testOptions,
} from './harness.mjs';

if (skipReason) console.log(`capstan-e2e-skip: ${skipReason}`);

let jose;
let as; // the authorization server
let mcpUrl;
let resource;
let restPort;
let restResource;
let restUrl;
let dir;
const CLIENT = { id: 'agent-1', secret: 'agent-1-secret' };

// An authorization server on loopback: metadata, JWKS, token endpoint; `keysDown` makes the
// JWKS answer 503.
async function startAuthorizationServer() {
  const keys = {};
  for (const [kid, alg] of [['rsa-1', 'RS256'], ['ec-1', 'ES256'], ['ed-1', 'EdDSA']]) {
    const pair = await jose.generateKeyPair(alg, { extractable: true });
    keys[kid] = { alg, ...pair, jwk: { ...(await jose.exportJWK(pair.publicKey)), kid, alg, use: 'sig' } };
  }
  const state = { keysDown: false, jwksFetches: 0, tokens: 0, introspections: 0 };
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://as');
    const json = (status, body) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/.well-known/oauth-authorization-server') {
      return json(200, {
        issuer: state.issuer,
        authorization_endpoint: `${state.issuer}/authorize`,  // required by RFC 8414 schemas
        token_endpoint: `${state.issuer}/token`,
        jwks_uri: `${state.issuer}/jwks`,
        grant_types_supported: ['client_credentials'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        response_types_supported: ['code'],
        introspection_endpoint: `${state.issuer}/introspect`,
      });
    }
    if (url.pathname === '/introspect' && req.method === 'POST') {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        state.introspections++;
        state.introspectionAuth = req.headers.authorization;
        const token = new URLSearchParams(body).get('token');
        if (token === 'opaque-e2e') {
          return json(200, { active: true, sub: 'agent-9', scope: 'jwts:read', aud: state.audience, iss: state.issuer, exp: Math.floor(Date.now() / 1000) + 300 });
        }
        return json(200, { active: false });
      });
      return undefined;
    }
    if (url.pathname === '/jwks') {
      state.jwksFetches++;
      if (state.keysDown) return json(503, { error: 'down' });
      return json(200, { keys: Object.values(keys).filter((k) => k.published !== false).map((k) => k.jwk) });
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', async () => {
        const form = new URLSearchParams(body);
        let id = form.get('client_id');
        let secret = form.get('client_secret');
        const basic = req.headers.authorization?.match(/^Basic (.+)$/);
        if (basic) [id, secret] = Buffer.from(basic[1], 'base64').toString().split(':').map(decodeURIComponent);
        if (form.get('grant_type') !== 'client_credentials' || id !== CLIENT.id || secret !== CLIENT.secret) {
          return json(401, { error: 'invalid_client' });
        }
        state.tokens++;
        const token = await state.sign({ sub: id, scope: 'jwts:read', aud: form.get('resource') ?? state.audience });
        json(200, { access_token: token, token_type: 'Bearer', expires_in: 300, scope: 'jwts:read' });
      });
      return undefined;
    }
    return json(404, { error: 'not_found' });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.issuer = `http://127.0.0.1:${server.address().port}`;
  // A token signed by `kid` (default ec-1) with `claims` over sane defaults.
  state.sign = async (claims = {}, { kid = 'ec-1', alg, header = {}, lifetime = 300 } = {}) => {
    const k = keys[kid];
    const now = Math.floor(Date.now() / 1000);
    return new jose.SignJWT({ scope: 'jwts:read', ...claims })
      .setProtectedHeader({ alg: alg ?? k.alg, kid, typ: 'at+jwt', ...header })
      .setIssuer(claims.iss ?? state.issuer)
      .setAudience(claims.aud ?? state.audience)
      .setSubject(claims.sub ?? 'agent-1')
      .setIssuedAt(now)
      .setExpirationTime(now + lifetime)
      .sign(k.privateKey);
  };
  state.keys = keys;
  state.close = () => new Promise((resolve) => server.close(resolve));
  return state;
}

before(async () => {
  if (skipReason) return;
  jose = await import('jose');
  as = await startAuthorizationServer();
  const sim = await startSimulator();
  // The seed with OAuth on its MCP adapter; the port is fixed so that `resource` can name it.
  const port = await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  resource = `http://127.0.0.1:${port}/mcp`;
  restPort = await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  restResource = `http://127.0.0.1:${restPort}/v1`;
  as.audience = resource;
  dir = mkdtempSync(join(tmpdir(), 'capstan-oauth-'));
  const seed = readFileSync(seedCapability, 'utf8');
  const marker = '    namespace: iam-jwts-mcp\n';
  const restMarker = '    namespace: iam-jwts-rest\n';
  assert.ok(seed.includes(marker) && seed.includes(restMarker));
  const oauthBlock = (res) =>
    `    authentication:\n      type: oauth2\n      authorizationServerUri: "${as.issuer}"\n` +
    `      resource: "${res}"\n      scopes: ["jwts:read"]\n`;
  const file = join(dir, 'oauth-seed.yaml');
  writeFileSync(
    file,
    seed
      .replace(marker, `${marker}${oauthBlock(resource)}`)
      .replace(restMarker, `${restMarker}${oauthBlock(restResource)}`),
  );
  const { urls } = await startCapstan(
    [file, '--base-uri', `iam-jwts=${sim}`, '--port', `iam-jwts-mcp=${port}`, '--port', `iam-jwts-rest=${restPort}`, '--no-access-log'],
    ['iam-jwts-mcp', 'iam-jwts-rest'],
  );
  mcpUrl = `${urls['iam-jwts-mcp']}/mcp`;
  restUrl = urls['iam-jwts-rest'];
});

after(async () => {
  await stopAll();
  await as?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'curl', version: '1' } },
};

async function post(token) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
  if (token !== undefined) headers.Authorization = `Bearer ${token}`;
  const r = await fetch(mcpUrl, { method: 'POST', headers, body: JSON.stringify(INIT) });
  return { status: r.status, challenge: r.headers.get('www-authenticate'), retry: r.headers.get('retry-after'), body: await r.text() };
}

describe('OAuth 2.1 resource server', testOptions, () => {
  test('401 names the protected resource metadata (RFC 9728), which names the issuer', async () => {
    const r = await post(undefined);
    assert.equal(r.status, 401);
    const metadataUrl = `${new URL(resource).origin}/.well-known/oauth-protected-resource/mcp`;
    assert.equal(r.challenge, `Bearer resource_metadata="${metadataUrl}", scope="jwts:read"`);
    const meta = await (await fetch(metadataUrl)).json();
    assert.deepEqual(meta, {
      resource,
      authorization_servers: [as.issuer],
      scopes_supported: ['jwts:read'],
      bearer_methods_supported: ['header'],
    });
    // The root form too.
    const root = await fetch(`${new URL(resource).origin}/.well-known/oauth-protected-resource`);
    assert.equal(root.status, 200);
  });

  test('curl: 401 without a token, 200 with one from the authorization server', async () => {
    const curl = (headers) => {
      const args = ['-s', '-o', '/dev/null', '-D', '-', '-X', 'POST', mcpUrl,
        '-H', 'Content-Type: application/json', '-H', 'Accept: application/json, text/event-stream',
        '--data', JSON.stringify(INIT)];
      for (const h of headers) args.push('-H', h);
      return execFileSync('curl', args, { encoding: 'utf8' });
    };
    const refused = curl([]);
    assert.match(refused, /^HTTP\/1\.1 401 /);
    assert.match(refused, /www-authenticate: Bearer resource_metadata="[^"]+\/\.well-known\/oauth-protected-resource\/mcp"/i);
    const token = await as.sign({});
    assert.match(curl([`Authorization: Bearer ${token}`]), /^HTTP\/1\.1 200 /);
  });

  test('the MCP SDK client authenticates with client credentials and calls tools', async () => {
    const [{ Client }, { StreamableHTTPClientTransport }, { ClientCredentialsProvider }] = await Promise.all([
      import('@modelcontextprotocol/sdk/client/index.js'),
      import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
      import('@modelcontextprotocol/sdk/client/auth-extensions.js'),
    ]);
    const provider = new ClientCredentialsProvider({
      clientId: CLIENT.id,
      clientSecret: CLIENT.secret,
      expectedIssuer: as.issuer,
    });
    const client = new Client({ name: 'oauth-e2e', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider });
    await client.connect(transport);
    try {
      assert.ok(as.tokens >= 1, 'the client got a token from the authorization server');
      const tools = await client.listTools();
      assert.ok(tools.tools.some((t) => t.name === 'list-jwts'));
      const result = await client.callTool({ name: 'list-jwts', arguments: { audience_id: USER_A } });
      assert.notEqual(result.isError, true, JSON.stringify(result));
    } finally {
      await client.close();
    }
  });

  test('tokens of every key type are accepted; bad ones are refused with a reason', async () => {
    for (const kid of ['rsa-1', 'ec-1', 'ed-1']) {
      const ok = await post(await as.sign({}, { kid }));
      assert.equal(ok.status, 200, `${kid}: ${ok.body}`);
    }
    const refused = async (token, why) => {
      const r = await post(token);
      assert.equal(r.status, 401, `${why}: ${r.body}`);
      assert.match(r.challenge, /^Bearer resource_metadata="[^"]+", error="invalid_token", error_description="([^"]+)"$/);
      assert.equal(r.challenge.match(/error_description="([^"]+)"/)[1], why);
      assert.ok(!r.body.includes(token) && !r.challenge.includes(token), 'the token is not echoed');
    };
    await refused(await as.sign({}, { lifetime: -120 }), 'expired');
    await refused(await as.sign({ aud: 'http://127.0.0.1:1/other' }), 'wrong audience');
    await refused(await as.sign({ iss: 'http://127.0.0.1:1' }), 'wrong issuer');
    const good = await as.sign({});
    const [h, p, s] = good.split('.');
    const flipped = `${h}.${p}.${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    await refused(flipped, 'bad signature');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: 'ec-1' })).toString('base64url')}.${p}.`;
    await refused(none, 'algorithm none is not accepted');
    // A key the authorization server does not publish: one bounded refresh, then refused.
    const stray = await jose.generateKeyPair('ES256');
    const strayToken = await new jose.SignJWT({ scope: 'jwts:read' })
      .setProtectedHeader({ alg: 'ES256', kid: 'nobody' })
      .setIssuer(as.issuer)
      .setAudience(resource)
      .setExpirationTime('5m')
      .sign(stray.privateKey);
    await refused(strayToken, 'no key with kid nobody');
    await refused('not.a.jwt', 'malformed token: a part is not base64url');
    // A valid token without the adapter's scope: 403 insufficient_scope.
    const scopeless = await post(await as.sign({ scope: 'other' }));
    assert.equal(scopeless.status, 403);
    assert.match(scopeless.challenge, /error="insufficient_scope", scope="jwts:read"$/);
  });

  test('per-caller tool access: a denied tool is absent from tools/list and refused on call', async () => {
    const rules = join(dir, 'access.yaml');
    writeFileSync(
      rules,
      'access:\n' +
        '  - scopes: [jwts:read]\n    tools: ["list-*", "get-*"]\n' +
        '  - scopes: [jwts:write]\n    tools: ["delete-*"]\n',
    );
    const { urls } = await startCapstan(
      [join(dir, 'oauth-seed.yaml'), '--tools-config', rules, '--base-uri', `iam-jwts=http://127.0.0.1:1`,
        '--port', 'iam-jwts-mcp=0', '--port', 'iam-jwts-rest=0', '--no-access-log'],
      ['iam-jwts-mcp'],
    );
    const [{ Client }, { StreamableHTTPClientTransport }] = await Promise.all([
      import('@modelcontextprotocol/sdk/client/index.js'),
      import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
    ]);
    const connectWith = async (scope) => {
      const token = await as.sign({ scope });
      const client = new Client({ name: 'access-e2e', version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${urls['iam-jwts-mcp']}/mcp`), {
          requestInit: { headers: { Authorization: `Bearer ${token}` } },
        }),
      );
      return client;
    };
    const reader = await connectWith('jwts:read');
    const writer = await connectWith('jwts:read jwts:write');
    try {
      const names = async (c) => (await c.listTools()).tools.map((t) => t.name).sort();
      assert.deepEqual(await names(reader), ['get-jwt', 'list-jwts']);
      assert.deepEqual(await names(writer), ['delete-jwt', 'get-jwt', 'list-jwts']);
      await assert.rejects(reader.callTool({ name: 'delete-jwt', arguments: { jti: 'x' } }), (e) => {
        assert.equal(e.code, -32602);
        assert.match(e.message, /Unknown tool: delete-jwt/);
        return true;
      });
      // The writer may call it (the upstream is down here: the call runs and fails upstream).
      const r = await writer.callTool({ name: 'delete-jwt', arguments: { jti: 'x' } });
      assert.equal(r.isError, true);
      assert.doesNotMatch(JSON.stringify(r), /Unknown tool/);
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  test('the REST adapter is a resource server too, with its own audience', async () => {
    const list = `${restUrl}/v1/iam/v1alpha1/jwts?audience_id=${USER_A}`;
    const none = await fetch(list);
    assert.equal(none.status, 401);
    const metadataUrl = `http://127.0.0.1:${restPort}/.well-known/oauth-protected-resource/v1`;
    assert.equal(
      none.headers.get('www-authenticate'),
      `Bearer resource_metadata="${metadataUrl}", scope="jwts:read"`,
    );
    assert.deepEqual((await (await fetch(metadataUrl)).json()).resource, restResource);
    const ok = await fetch(list, {
      headers: { Authorization: `Bearer ${await as.sign({ aud: restResource })}` },
    });
    assert.equal(ok.status, 200, await ok.clone().text());
    assert.ok(Array.isArray((await ok.json()).jwts));
    // A token for the MCP resource is not one for the REST resource.
    const other = await fetch(list, { headers: { Authorization: `Bearer ${await as.sign({})}` } });
    assert.equal(other.status, 401);
    assert.match(other.headers.get('www-authenticate'), /error_description="wrong audience"/);
    const scopeless = await fetch(list, {
      headers: { Authorization: `Bearer ${await as.sign({ aud: restResource, scope: 'x' })}` },
    });
    assert.equal(scopeless.status, 403);
    assert.equal((await scopeless.json()).type, 'permission_denied');
  });

  test('tokenValidation introspection (RFC 7662): opaque tokens, cached, with the client credentials', async () => {
    const file = join(dir, 'introspection.yaml');
    writeFileSync(
      file,
      readFileSync(join(dir, 'oauth-seed.yaml'), 'utf8').replaceAll(
        '      scopes: ["jwts:read"]\n',
        '      scopes: ["jwts:read"]\n      tokenValidation: introspection\n',
      ),
    );
    const { urls } = await startCapstan(
      [file, '--port', 'iam-jwts-mcp=0', '--port', 'iam-jwts-rest=0', '--no-access-log'],
      ['iam-jwts-mcp'],
      { CAPSTAN_OAUTH_CLIENT_ID: 'rs-1', CAPSTAN_OAUTH_CLIENT_SECRET: 'rs-1-secret' },
    );
    const call = (token) =>
      fetch(`${urls['iam-jwts-mcp']}/mcp`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
          Authorization: `Bearer ${token}`,
        },
        body: JSON.stringify(INIT),
      });
    const before = as.introspections;
    assert.equal((await call('opaque-e2e')).status, 200);
    assert.equal((await call('opaque-e2e')).status, 200);
    assert.equal(as.introspections - before, 1, 'the second answer came from the cache');
    assert.equal(as.introspectionAuth, `Basic ${Buffer.from('rs-1:rs-1-secret').toString('base64')}`);
    const refused = await call('opaque-unknown');
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate'), /error_description="token is not active"/);
  });

  test('an authorization server whose keys cannot be fetched: 503 with Retry-After', async () => {
    const down = 'http://127.0.0.1:1';  // nothing listens on port 1
    const file = join(dir, 'down.yaml');
    writeFileSync(
      file,
      readFileSync(join(dir, 'oauth-seed.yaml'), 'utf8').replaceAll(as.issuer, down),
    );
    const { urls } = await startCapstan(
      [file, '--port', 'iam-jwts-mcp=0', '--port', 'iam-jwts-rest=0', '--no-access-log'],
      ['iam-jwts-mcp'],
    );
    const r = await fetch(`${urls['iam-jwts-mcp']}/mcp`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
        Authorization: `Bearer ${await as.sign({})}`,
      },
      body: JSON.stringify(INIT),
    });
    assert.equal(r.status, 503);
    assert.equal(r.headers.get('retry-after'), '5');
  });
});
