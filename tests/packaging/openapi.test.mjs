// `capstan openapi` and `capstan tools`: the seed's OpenAPI 3.1 document is valid for
// swagger-parser (npm @apidevtools/swagger-parser, which checks it against the OpenAPI 3.1
// schema) and matches Scaleway's own OpenAPI (shared/openapi/scaleway-iam-openapi.yml) on paths,
// methods and parameter names; every capability of the Scaleway fleet exports a valid document;
// `capstan tools` lists the seed's tools; bad usage is exit 2.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { binDir, opts, repoRoot } from './common.mjs';

const sharedDir = process.env.CAPSTAN_SHARED_DIR ?? join(repoRoot, '..', 'shared');
const seed = join(repoRoot, 'capabilities', 'scaleway-iam-jwts.yaml');
// No secret is needed: the commands never call an upstream.
const env = { ...process.env, SCALEWAY_API_KEY: '' };
delete env.SCALEWAY_API_KEY;

function capstan(args) {
  const r = spawnSync(join(binDir, 'capstan'), args, { encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function validate(document) {
  const { default: SwaggerParser } = await import('@apidevtools/swagger-parser');
  // validate() dereferences in place: hand it a copy.
  return SwaggerParser.validate(structuredClone(document));
}

describe('capstan openapi', opts, () => {
  test('the seed: a valid OpenAPI 3.1 document with the paths and parameters of Scaleway\'s', async () => {
    const r = capstan(['openapi', seed]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.openapi, '3.1.0');
    await validate(doc);
    assert.deepEqual(doc.servers, [{ url: 'http://127.0.0.1:8080' }]);

    const { parse } = await import('yaml');
    const scaleway = parse(readFileSync(join(sharedDir, 'openapi', 'scaleway-iam-openapi.yml'), 'utf8'));
    const shape = (paths, strip) => {
      const out = {};
      for (const [path, item] of Object.entries(paths)) {
        const p = strip ? path.replace(/^\/v1/, '') : path;
        if (!p.startsWith('/iam/v1alpha1/jwts')) continue;
        for (const [method, op] of Object.entries(item)) {
          out[`${method} ${p}`] = (op.parameters ?? []).map((x) => `${x.in}:${x.name}`).sort();
        }
      }
      return out;
    };
    assert.deepEqual(shape(doc.paths, true), shape(scaleway.paths, false));
    // Types and descriptions come from the consumed operation.
    const list = doc.paths['/v1/iam/v1alpha1/jwts'].get;
    const pageSize = list.parameters.find((p) => p.name === 'page_size');
    assert.equal(pageSize.schema.type, 'integer');
    assert.ok(pageSize.description.length > 0);
    assert.equal(list.parameters.find((p) => p.name === 'expired').schema.type, 'boolean');
    assert.equal(doc.paths['/v1/iam/v1alpha1/jwts/{jti}'].get.parameters[0].required, true);
    assert.equal(list.responses['200'].content['application/json'].schema.type, 'object');
  });

  test('every capability of the Scaleway fleet exports a valid document', async (t) => {
    const dir = join(sharedDir, 'capabilities', 'scaleway');
    if (!existsSync(dir)) {
      t.skip(`${dir} is missing (set CAPSTAN_SHARED_DIR)`);
      return;
    }
    let operations = 0;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
      const r = capstan(['openapi', join(dir, file)]);
      assert.equal(r.code, 0, `${file}: ${r.stderr}`);
      const doc = JSON.parse(r.stdout);
      await assert.doesNotReject(validate(doc), file);
      for (const item of Object.values(doc.paths)) operations += Object.keys(item).length;
    }
    assert.equal(operations, 419);
  });

  test('usage errors', () => {
    const none = capstan(['openapi', seed, '--adapter', 'nope']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no rest adapter named 'nope'/);
    assert.equal(capstan(['openapi', seed, seed]).code, 2);
  });
});

describe('capstan tools', opts, () => {
  test('the seed\'s MCP tools with their annotations and input schemas', () => {
    const r = capstan(['tools', seed]);
    assert.equal(r.code, 0, r.stderr);
    const { adapters } = JSON.parse(r.stdout);
    assert.equal(adapters.length, 1);
    assert.equal(adapters[0].namespace, 'iam-jwts-mcp');
    assert.deepEqual(
      adapters[0].tools.map((t) => t.name),
      ['list-jwts', 'get-jwt', 'delete-jwt'],
    );
    const del = adapters[0].tools[2];
    assert.equal(del.annotations.destructiveHint, true);
    assert.deepEqual(del.inputSchema.required, ['jti']);
    const none = capstan(['tools', seed, '--adapter', 'nope']);
    assert.equal(none.code, 2);
  });
});
