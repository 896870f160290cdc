// The Debian package: `cpack -G DEB` in the build directory, then installed with dpkg into a
// scratch root (its own dpkg database; the shared libraries it depends on are this machine's),
// and run from there: `capstan version`, `capstan validate` of the shipped capability, and
// `capstan serve` of /etc/capstan/capabilities against the packaged simulator, answering a
// REST list and an MCP initialize. The systemd unit is checked with systemd-analyze (verify,
// and `security --offline` with an exposure threshold). Remove and purge at the end.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, test } from 'node:test';

import { buildDir, opts } from './common.mjs';

const TOKEN = '6c7ef130-6442-42fd-b525-ccf941221566'; // the simulator's built-in key
const AUDIENCE = 'e41b66d4-13c6-4bdc-a996-431cfcb2185a';
const tools = ['cpack', 'dpkg', 'dpkg-deb'].filter((t) => spawnSync(t, ['--version']).error);
const skip = !existsSync(join(buildDir, 'CPackConfig.cmake'))
  ? `no CPackConfig.cmake in ${buildDir} (configure the build first)`
  : tools.length
    ? `${tools.join(', ')} not installed`
    : null;
const children = [];
after(() => children.forEach((c) => c.kill('SIGTERM')));

const run = (cmd, args, options = {}) => execFileSync(cmd, args, { encoding: 'utf8', ...options });
// The built capstan's event loops ("event backend: io_uring" in `capstan version`).
const eventBackend = skip
  ? ''
  : (run(join(buildDir, 'bin', 'capstan'), ['version']).match(/^event backend: *(\S+)/m) || [])[1];

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// Starts `argv` and resolves with the first stdout line matching `pattern`.
function startUntil(argv, pattern, env = {}) {
  const child = spawn(argv[0], argv.slice(1), {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const stderr = [];
  createInterface({ input: child.stderr }).on('line', (l) => stderr.push(l));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${argv[0]} exited (${code}): ${stderr.join('\n')}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = line.match(pattern);
      if (m) resolve(m);
    });
  });
}

describe('Debian package', { ...opts, ...(skip && !opts.skip ? { skip } : {}) }, () => {
  const work = mkdtempSync(join(tmpdir(), 'capstan-deb-'));
  after(() => rmSync(work, { recursive: true, force: true }));
  const root = join(work, 'root');
  let deb;

  test('cpack builds a .deb with its dependencies, files and conffiles', () => {
    run('cpack', ['-G', 'DEB', '-B', join(work, 'out')], { cwd: buildDir });
    deb = join(work, 'out', readdirSync(join(work, 'out')).find((f) => f.endsWith('.deb')));
    assert.match(deb, /capstan_0\.1\.0_amd64\.deb$/);
    const info = run('dpkg-deb', ['--field', deb, 'Package', 'Version', 'Depends']);
    assert.match(info, /^Package: capstan$/m);
    assert.match(info, /^Depends: .*libssl3/m);
    assert.match(info, /libboost-json1\.81\.0/);
    const files = run('dpkg-deb', ['--contents', deb]);
    for (const path of [
      './usr/bin/capstan',
      './usr/bin/scaleway-iam-sim',
      // The epoll twins of an io_uring build (run where io_uring is refused).
      ...(eventBackend === 'io_uring'
        ? ['./usr/lib/capstan/capstan-epoll', './usr/lib/capstan/scaleway-iam-sim-epoll']
        : []),
      './usr/share/capstan/capabilities/scaleway-iam-jwts.yaml',
      './etc/capstan/capabilities/scaleway-iam-jwts.yaml',
      './etc/capstan/env',
      './usr/lib/systemd/system/capstan.service',
    ]) {
      assert.ok(files.includes(` ${path}\n`), `${path} is not in the package:\n${files}`);
    }
    assert.doesNotMatch(files, /_test\b|node_modules/);
    assert.equal(
      run('dpkg-deb', ['--info', deb, 'conffiles']),
      '/etc/capstan/env\n/etc/capstan/capabilities/scaleway-iam-jwts.yaml\n',
    );
  });

  test('dpkg installs it into a scratch root, and the installed capstan serves', async () => {
    mkdirSync(join(root, 'var', 'lib', 'dpkg', 'updates'), { recursive: true });
    mkdirSync(join(root, 'var', 'lib', 'dpkg', 'info'), { recursive: true });
    writeFileSync(join(root, 'var', 'lib', 'dpkg', 'status'), '');
    // --force-depends: the dependencies are installed on this machine, not in the scratch root.
    run('dpkg', ['--root', root, '--force-depends', '--force-not-root', '--log=/dev/null', '-i', deb]);
    assert.match(run('dpkg', ['--root', root, '-s', 'capstan']), /^Status: install ok installed$/m);
    const capstan = join(root, 'usr', 'bin', 'capstan');
    assert.match(run(capstan, ['version']), /^capstan 0\.1\.0$/m);
    const capabilities = join(root, 'etc', 'capstan', 'capabilities');
    run(capstan, ['validate', join(capabilities, 'scaleway-iam-jwts.yaml')]);

    const [, sim] = await startUntil(
      [join(root, 'usr', 'bin', 'scaleway-iam-sim'), '--port', '0', '--threads', '1', '--no-access-log'],
      /^listening on (http:\/\/\S+)/,
    );
    const rest = await freePort();
    const mcp = await freePort();
    await startUntil(
      [capstan, 'serve', capabilities, '--base-uri', `iam-jwts=${sim}`, '--port', `iam-jwts-rest=${rest}`,
        '--port', `iam-jwts-mcp=${mcp}`, '--threads', '1', '--no-access-log'],
      new RegExp(`mcp adapter 'iam-jwts-mcp' listening on http://127.0.0.1:${mcp}`),
      { SCALEWAY_API_KEY: TOKEN },
    );
    const list = await fetch(`http://127.0.0.1:${rest}/v1/iam/v1alpha1/jwts?audience_id=${AUDIENCE}&page_size=2`);
    assert.equal(list.status, 200);
    const body = await list.json();
    assert.equal(body.jwts.length, 2);
    const init = await fetch(`http://127.0.0.1:${mcp}/mcp`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'deb-test', version: '1' } },
      }),
    });
    assert.equal(init.status, 200);
    assert.equal((await init.json()).result.serverInfo.name, 'iam-jwts-mcp');
  });

  test('the systemd unit verifies and its exposure is low', (t) => {
    if (spawnSync('systemd-analyze', ['--version']).error) {
      t.skip('systemd-analyze is not installed');
      return;
    }
    const unit = readFileSync(join(root, 'usr', 'lib', 'systemd', 'system', 'capstan.service'), 'utf8');
    assert.match(unit, /^ExecStart=\/usr\/bin\/capstan serve \/etc\/capstan\/capabilities --watch$/m);
    assert.match(unit, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
    // The unit names /usr/bin/capstan; verify it against the installed binary of the scratch root.
    const local = join(work, 'capstan.service');
    writeFileSync(local, unit.replace('/usr/bin/capstan', join(root, 'usr', 'bin', 'capstan')));
    const verify = spawnSync('systemd-analyze', ['verify', local], { encoding: 'utf8' });
    assert.equal(verify.status, 0, verify.stderr);
    assert.equal(verify.stderr.trim(), '');
    // Exposure on systemd's 0-10 scale; --threshold is in tenths: fail above 2.0 ("OK").
    const security = spawnSync('systemd-analyze', ['security', '--offline=yes', '--threshold=20', local], {
      encoding: 'utf8',
    });
    assert.equal(security.status, 0, security.stdout + security.stderr);
    const level = Number(security.stdout.match(/Overall exposure level for capstan\.service: ([\d.]+)/)?.[1]);
    assert.ok(level <= 2.0, `exposure ${level}`);
  });

  test('remove keeps the conffiles, purge takes them', () => {
    for (const c of children) c.kill('SIGTERM');
    run('dpkg', ['--root', root, '--force-not-root', '--log=/dev/null', '-r', 'capstan']);
    assert.equal(existsSync(join(root, 'usr', 'bin', 'capstan')), false);
    assert.equal(existsSync(join(root, 'etc', 'capstan', 'env')), true);
    run('dpkg', ['--root', root, '--force-not-root', '--log=/dev/null', '--purge', 'capstan']);
    assert.equal(existsSync(join(root, 'etc', 'capstan', 'env')), false);
  });
});
