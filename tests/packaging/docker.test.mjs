// The Dockerfile of packaging/docker: clean for dockerfilelint (npm), and shaped as
// docs/operations.md says: two stages on Debian 12, the .deb built by CPack installed in the
// second, a non-root user, `capstan serve` as the entry point. The image itself is not built
// here: this machine reaches no container registry for the debian base images.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { here, opts, packagingDir } from './common.mjs';

const dockerfile = join(packagingDir, 'docker', 'Dockerfile');

function lint(file) {
  const bin = join(here, 'node_modules', '.bin', 'dockerfilelint');
  let text;
  try {
    text = execFileSync(bin, ['-j', file], { encoding: 'utf8' });
  } catch (e) {
    text = e.stdout; // exit 1 when there are issues
  }
  return JSON.parse(text).files[0].issues;
}

describe('Dockerfile', opts, () => {
  test('dockerfilelint finds nothing, and finds the faults of a bad one', () => {
    assert.deepEqual(lint(dockerfile), []);
    const dir = mkdtempSync(join(tmpdir(), 'capstan-docker-'));
    try {
      const bad = join(dir, 'Dockerfile');
      writeFileSync(bad, 'FROM debian:latest\nRUN apt-get install curl\nADD . /src\n');
      const issues = lint(bad).map((i) => i.title);
      assert.ok(issues.length >= 2, JSON.stringify(issues));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('two Debian 12 stages, the .deb installed, a non-root user, capstan serve', () => {
    const lines = readFileSync(dockerfile, 'utf8')
      .replace(/\\\n/g, ' ')
      .split('\n')
      .filter((l) => l.trim() && !l.trim().startsWith('#'));
    const froms = lines.filter((l) => l.startsWith('FROM '));
    assert.deepEqual(froms, ['FROM debian:12 AS build', 'FROM debian:12-slim']);
    const final = lines.slice(lines.indexOf(froms[1]));
    assert.ok(final.some((l) => /cpack|capstan_\*\.deb/.test(l)));
    assert.ok(lines.some((l) => l.includes('cpack -G DEB')));
    const user = final.filter((l) => l.startsWith('USER '));
    assert.equal(user.length, 1);
    assert.doesNotMatch(user[0], /^USER (root|0)(:|$)/);
    assert.equal(
      final.find((l) => l.startsWith('ENTRYPOINT ')),
      'ENTRYPOINT ["/usr/bin/capstan", "serve"]',
    );
  });
});
