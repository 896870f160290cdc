// The draft MCP Skills extension (SEP-2640) on a capability with a skill adapter
// (skills/skills-capability.yaml): the official conformance suite 0.2.0-alpha.12's three server
// scenarios (sep-2640-skills-enumeration, -manifest, -directory), and the MCP SDK v1 client
// reading every skill file back against its digest, skills/get, resources/directory/read, and the
// same bytes from the skill adapter's REST catalog.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { here, node22, run, skipReason, startCapstan, stopAll, testOptions } from './harness.mjs';

if (skipReason) console.log(`capstan-e2e-skip: ${skipReason}`);

const fixture = join(here, 'skills', 'skills-capability.yaml');
const suite = join(here, 'node_modules', 'conformance-alpha', 'dist', 'index.js');
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
let mcpUrl;
let skillsUrl;
let sdk;
let z;

before(async () => {
  if (skipReason) return;
  const { urls } = await startCapstan(
    [fixture, '--port', 'skills-tools=0', '--port', 'fixture-skills=0', '--no-access-log'],
    ['skills-tools', 'fixture-skills'],
  );
  mcpUrl = `${urls['skills-tools']}/mcp`;
  skillsUrl = urls['fixture-skills'];
  const [client, http] = await Promise.all([
    import('@modelcontextprotocol/sdk/client/index.js'),
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
  ]);
  sdk = { ...client, ...http };
  z = (await import('zod')).z;
});

after(stopAll);

async function connect() {
  const client = new sdk.Client({ name: 'capstan-e2e-skills', version: '1.0.0' });
  await client.connect(new sdk.StreamableHTTPClientTransport(new URL(mcpUrl)));
  return client;
}

describe('conformance 0.2.0-alpha.12, SEP-2640 server scenarios', testOptions, () => {
  // Every check of each scenario: a check that is skipped or warns is a failure here.
  for (const [scenario, checks] of [
    ['sep-2640-skills-enumeration', 32],
    ['sep-2640-skills-manifest', 6],
    ['sep-2640-skills-directory', 7],
  ]) {
    test(`${scenario}: ${checks}/${checks} pass`, async () => {
      const url = mcpUrl.replace('127.0.0.1', 'localhost');
      const r = await run(node22, [suite, 'server', '--url', url, '--scenario', scenario], {
        timeoutMs: 120000,
      });
      const out = r.stdout + r.stderr;
      assert.match(out, new RegExp(`Passed: ${checks}/${checks}, 0 failed, 0 warnings`), out);
      assert.doesNotMatch(out, /SKIPPED/, out);
      assert.equal(r.code, 0, out);
    });
  }
});

describe('the skills through the MCP SDK v1 client', testOptions, () => {
  test('every listed file reads back with its digest and size, as the REST catalog serves it', async () => {
    const client = await connect();
    try {
      const Passthrough = z.object({}).passthrough();
      const list = await client.request({ method: 'skills/list', params: {} }, Passthrough);
      assert.deepEqual(
        list.skills.map((s) => s.uri),
        ['catalog-browsing', 'incident-notes', 'jwt-auditing'].map(
          (n) => `skill://fixture-skills/${n}/SKILL.md`,
        ),
      );
      const byName = Object.fromEntries(list.skills.map((s) => [s.frontmatter.name, s]));
      // A skill's own SKILL.md: its frontmatter, verbatim; a written one: the declared fields.
      assert.deepEqual(byName['incident-notes'].frontmatter, {
        name: 'incident-notes',
        description: 'Write incident notes after revoking a token.',
        metadata: { category: 'operations' },
      });
      assert.deepEqual(byName['catalog-browsing'].frontmatter, {
        name: 'catalog-browsing',
        description: 'Browse JWT catalogs and pick the right token to revoke.',
        license: 'Apache-2.0',
        metadata: { owner: 'platform-team' },
      });
      assert.deepEqual(
        byName['catalog-browsing'].resources.map((r) => r.uri.split('/catalog-browsing/')[1]),
        ['SKILL.md', 'references/picking.md', 'templates/report.md'],
      );
      for (const skill of list.skills) {
        const name = skill.frontmatter.name;
        for (const r of skill.resources) {
          const read = await client.readResource({ uri: r.uri });
          const bytes = Buffer.from(read.contents[0].text, 'utf8');
          assert.equal(bytes.length, r.size, r.uri);
          assert.equal(r.digest, `sha256:${sha256(bytes)}`, r.uri);
          const path = r.uri.split(`/${name}/`)[1];
          const rest = await fetch(`${skillsUrl}/skills/${name}/contents/${path}`);
          assert.equal(rest.status, 200);
          assert.ok(Buffer.from(await rest.arrayBuffer()).equals(bytes), `${r.uri} over REST`);
        }
        const got = await client.request({ method: 'skills/get', params: { uri: skill.uri } }, Passthrough);
        assert.deepEqual(got.skill, skill);
      }
      // The folder's files are served as they are on disk.
      const picking = await client.readResource({
        uri: 'skill://fixture-skills/catalog-browsing/references/picking.md',
      });
      assert.equal(
        picking.contents[0].text,
        readFileSync(join(here, 'skills', 'catalog-browsing', 'references', 'picking.md'), 'utf8'),
      );
      assert.equal(picking.contents[0].mimeType, 'text/markdown');
      const dir = await client.request(
        {
          method: 'resources/directory/read',
          params: { uri: 'skill://fixture-skills/catalog-browsing' },
        },
        Passthrough,
      );
      assert.deepEqual(
        dir.resources.map((r) => [r.name, r.mimeType]),
        [
          ['SKILL.md', 'text/markdown'],
          ['references', 'inode/directory'],
          ['templates', 'inode/directory'],
        ],
      );
      // Negative: an unknown skill, a file URI given as a folder, a file that is not served.
      for (const [method, uri] of [
        ['skills/get', 'skill://fixture-skills/nope/SKILL.md'],
        ['resources/directory/read', 'skill://fixture-skills/catalog-browsing/SKILL.md'],
      ]) {
        await assert.rejects(client.request({ method, params: { uri } }, Passthrough), (e) => {
          assert.equal(e.code, -32602, `${method} ${uri}`);
          return true;
        });
      }
      await assert.rejects(
        client.readResource({ uri: 'skill://fixture-skills/catalog-browsing/../skills-capability.yaml' }),
      );
    } finally {
      await client.close();
    }
  });
});
