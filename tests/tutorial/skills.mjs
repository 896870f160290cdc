// The skill adapter (shipyard-skills) of tutorial steps 7–11, checked against the skills the
// step's YAML declares: GET /skills, /skills/{name}, /contents, /contents/{file} and /download
// (unpacked with Info-ZIP's unzip), and, on the MCP adapter, the same skills through the draft
// Skills extension (SEP-2640: skills/list, skills/get, skill:// resources with sha256 digests)
// with the MCP SDK v1 client.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

import { opts, tutorialDir } from './harness.mjs';

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

// The skills the step declares (exposes[type=skill].skills), and its tools by adapter.
function declared(file) {
  const doc = parseYaml(readFileSync(join(tutorialDir, file), 'utf8'));
  const exposes = doc.capability.exposes;
  const skills = exposes.find((e) => e.type === 'skill').skills;
  const modes = Object.fromEntries(
    exposes.filter((e) => e.type === 'mcp' || e.type === 'rest').map((e) => [e.namespace, e.type]),
  );
  return { skills, modes };
}

function frontmatterOf(text) {
  const m = text.match(/^---\n([\s\S]*?)\n---\n/);
  assert.ok(m, `SKILL.md has a frontmatter block:\n${text}`);
  return parseYaml(m[1]);
}

async function getJson(url) {
  const r = await fetch(url);
  assert.equal(r.status, 200, `GET ${url}`);
  assert.match(r.headers.get('content-type'), /^application\/json/);
  return r.json();
}

export function skillTests(ctx, step, { mcp = false } = {}) {
  test(`step ${step}: GET /skills lists the declared skills and their tools`, opts, async () => {
    const { skills } = declared(ctx.file);
    const body = await getJson(`${ctx.skillsUrl}/skills`);
    assert.equal(body.count, skills.length);
    assert.deepEqual(
      body.skills.map((s) => [s.name, s.description, s.tools]),
      skills.map((s) => [s.name, s.description, (s.tools ?? []).map((t) => t.name)]),
    );
  });

  test(`step ${step}: GET /skills/{name} resolves each tool to its adapter`, opts, async () => {
    const { skills, modes } = declared(ctx.file);
    for (const s of skills) {
      const body = await getJson(`${ctx.skillsUrl}/skills/${s.name}`);
      assert.equal(body.name, s.name);
      assert.equal(body.description, s.description);
      assert.equal(body.tools.length, (s.tools ?? []).length);
      for (const [i, t] of (s.tools ?? []).entries()) {
        const got = body.tools[i];
        assert.equal(got.name, t.name);
        assert.equal(got.description, t.description);
        if (t.from) {
          assert.equal(got.type, 'derived');
          assert.deepEqual(got.invocationRef, {
            targetNamespace: t.from.sourceNamespace,
            action: t.from.action,
            mode: modes[t.from.sourceNamespace],
          });
        } else {
          assert.equal(got.type, 'instruction');
        }
      }
    }
  });

  test(`step ${step}: SKILL.md, /contents and the ZIP agree byte for byte`, opts, async () => {
    const { skills } = declared(ctx.file);
    const dir = mkdtempSync(join(tmpdir(), 'capstan-skill-zip-'));
    try {
      for (const s of skills) {
        const contents = await getJson(`${ctx.skillsUrl}/skills/${s.name}/contents`);
        assert.equal(contents.name, s.name);
        const manifest = contents.files.find((f) => f.path === 'SKILL.md');
        assert.ok(manifest, 'SKILL.md is listed');
        const r = await fetch(`${ctx.skillsUrl}/skills/${s.name}/contents/SKILL.md`);
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('content-type'), 'text/markdown; charset=utf-8');
        const bytes = Buffer.from(await r.arrayBuffer());
        assert.equal(manifest.size, bytes.length);
        assert.equal(manifest.digest, `sha256:${sha256(bytes)}`);
        const text = bytes.toString('utf8');
        assert.deepEqual(frontmatterOf(text), { name: s.name, description: s.description });
        for (const t of s.tools ?? []) assert.ok(text.includes(`### ${t.name}`), t.name);
        // The ZIP: one folder named after the skill, the same files.
        const zip = await fetch(`${ctx.skillsUrl}/skills/${s.name}/download`);
        assert.equal(zip.status, 200);
        assert.equal(zip.headers.get('content-type'), 'application/zip');
        const file = join(dir, `${s.name}.zip`);
        writeFileSync(file, Buffer.from(await zip.arrayBuffer()));
        const names = execFileSync('unzip', ['-Z1', file], { encoding: 'utf8' }).trim().split('\n');
        assert.deepEqual(names, contents.files.map((f) => `${s.name}/${f.path}`));
        const unpacked = execFileSync('unzip', ['-p', file, `${s.name}/SKILL.md`]);
        assert.ok(unpacked.equals(bytes), 'the ZIP holds the same SKILL.md');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`step ${step}: unknown skills and files are 404, a path that climbs is 400`, opts, async () => {
    const { skills } = declared(ctx.file);
    const name = skills[0].name;
    for (const path of ['/skills/no-such-skill', '/skills/no-such-skill/download',
      `/skills/${name}/contents/missing.md`, `/skills/${name}/nothing`]) {
      const r = await fetch(`${ctx.skillsUrl}${path}`);
      assert.equal(r.status, 404, path);
      assert.equal((await r.json()).type, 'not_found');
    }
    const climb = await fetch(`${ctx.skillsUrl}/skills/${name}/contents/..%2F..%2Fshared%2Fsecrets.yaml`);
    assert.equal(climb.status, 400);
    const post = await fetch(`${ctx.skillsUrl}/skills`, { method: 'POST', body: '{}' });
    assert.equal(post.status, 405);
  });

  if (!mcp) return;
  const Passthrough = z.object({}).passthrough();
  test(`step ${step}: the MCP adapter serves the skills (SEP-2640)`, opts, async () => {
    const { skills } = declared(ctx.file);
    const caps = ctx.client.getServerCapabilities();
    assert.deepEqual(caps.extensions?.['io.modelcontextprotocol/skills'], { directoryRead: true });
    assert.ok(caps.resources, 'resources capability');
    const list = await ctx.client.request({ method: 'skills/list', params: {} }, Passthrough);
    assert.deepEqual(
      list.skills.map((e) => e.frontmatter),
      skills.map((s) => ({ name: s.name, description: s.description })),
    );
    for (const entry of list.skills) {
      const name = entry.frontmatter.name;
      assert.equal(entry.uri, `skill://shipyard-skills/${name}/SKILL.md`);
      for (const r of entry.resources) {
        const read = await ctx.client.readResource({ uri: r.uri });
        const text = read.contents[0].text;
        assert.equal(Buffer.byteLength(text), r.size);
        assert.equal(r.digest, `sha256:${sha256(Buffer.from(text, 'utf8'))}`);
        // The same bytes as the skill adapter's.
        const rest = await fetch(`${ctx.skillsUrl}/skills/${name}/contents/SKILL.md`);
        assert.equal(await rest.text(), text);
      }
      const got = await ctx.client.request(
        { method: 'skills/get', params: { uri: entry.uri } },
        Passthrough,
      );
      assert.deepEqual(got.skill, entry);
    }
    await assert.rejects(
      ctx.client.request({ method: 'skills/get', params: { uri: 'skill://x/y/SKILL.md' } }, Passthrough),
      (e) => e.code === -32602,
    );
    const listed = await ctx.client.listResources();
    const manifests = listed.resources.filter((r) => r.uri.startsWith('skill://'));
    assert.deepEqual(
      manifests.map((r) => [r.name, r.description, r.mimeType]),
      skills.map((s) => [s.name, s.description, 'text/markdown']),
    );
  });
}
