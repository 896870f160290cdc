// Shared pieces of the Scaleway SDK end-to-end tests: the simulator's demo identities, the skip
// rule when npm modules are missing, spawning the built binaries (CAPSTAN_BIN_DIR) and reading the
// simulator's JSON access log.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const here = dirname(fileURLToPath(import.meta.url));
export const repo = join(here, '..', '..');

// Identities of the simulator's default seed (data/sim/scaleway-iam-jwts.json).
export const TOKEN = '6c7ef130-6442-42fd-b525-ccf941221566'; // organization-wide secret key
export const USER_A_TOKEN = '51a5eb46-97e4-4f37-94d1-ab6b0411d155'; // bound to user A
export const ACCESS_KEY = 'SCWSIMULATOR00000001';
export const USER_A = '9e57858d-7555-463e-9c74-2dc2d02019b8';
export const USER_B = 'd4e39c6f-77f6-450b-8f8e-9f0362a8c06d';
export const USER_C = 'e41b66d4-13c6-4bdc-a996-431cfcb2185a'; // 25 JWTs: more than one page

export const SIM_LISTENING = /^listening on http:\/\/127\.0\.0\.1:(\d+)$/;

export const skipReason = existsSync(join(here, 'node_modules', '@scaleway', 'sdk-iam'))
  ? null
  : 'tests/e2e/node_modules is missing: run scripts/npm-install (or npm ci in tests/e2e)';
if (skipReason) console.log(`capstan-e2e-skip: ${skipReason}`);
// node:test skips on `skip: null` too (Node 20), so pass the option only when skipping.
export const opts = skipReason ? { skip: skipReason } : {};

// The Scaleway SDK modules, loaded only when the tests run.
export async function loadSdk() {
  const client = await import('@scaleway/sdk-client');
  const iam = await import('@scaleway/sdk-iam');
  return { ...client, Iamv1alpha1: iam.Iamv1alpha1 };
}

export function makeApi(sdk, { secretKey = TOKEN, port, prefix = '/v1' }) {
  const client = sdk.createClient({
    accessKey: ACCESS_KEY,
    secretKey,
    apiURL: `http://127.0.0.1:${port}${prefix}`,
  });
  return new sdk.Iamv1alpha1.API(client);
}

// A process's stderr JSON access-log lines, with a wait for lines still to come.
export class AccessLog {
  lines = [];
  #waiters = [];

  push(line) {
    this.lines.push(line);
    for (const waiter of this.#waiters.splice(0)) waiter();
  }

  entries() {
    return this.lines.filter((line) => line.startsWith('{"time"')).map((line) => JSON.parse(line));
  }

  // Waits (up to 5 s) for an entry matching `predicate`: the simulator logs after writing its
  // response, so the line may arrive just after the client got its answer.
  async waitFor(predicate, what = 'a matching access-log line') {
    const deadline = Date.now() + 5000;
    for (;;) {
      const entry = this.entries().find(predicate);
      if (entry) return entry;
      const remaining = deadline - Date.now();
      assert.ok(remaining > 0, `no ${what}`);
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

// The processes a test file started; stopAll() ends them (SIGTERM, then SIGKILL after 5 s).
export class Processes {
  children = [];

  // Spawns a binary of CAPSTAN_BIN_DIR and resolves with the first capture of `pattern` on its
  // stdout. Each stderr line goes to `onStderr`.
  start(name, args, pattern, { env = {}, onStderr = () => {} } = {}) {
    const binDir = process.env.CAPSTAN_BIN_DIR;
    assert.ok(binDir, 'CAPSTAN_BIN_DIR must name the directory of capstan and scaleway-iam-sim');
    const child = spawn(join(binDir, name), args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    this.children.push(child);
    const stderr = [];
    createInterface({ input: child.stderr }).on('line', (line) => {
      stderr.push(line);
      onStderr(line);
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start in 10 s`)), 10000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited early with ${code}: ${stderr.join('\n')}`));
      });
      createInterface({ input: child.stdout }).on('line', (line) => {
        const match = pattern.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
    });
  }

  async stopAll() {
    await Promise.all(
      this.children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}
