// Test harness: runs an Insignia server and builds official @wix/sdk clients against it.
//
// Environment:
//   INSIGNIA_BIN               server binary (default: ../../target/debug/insignia from this folder)
//   INSIGNIA_SDK_DATABASE_URL  database URL to use instead of a fresh SQLite file (e.g. postgres://…)
//   INSIGNIA_SDK_VERBOSE=1     copy the server's output to stderr
import { spawn, execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

import { createClient, ApiKeyStrategy } from '@wix/sdk';
import { badgesV2, badgeAssignments, badges } from '@wix/members';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export const MANAGE_SCOPE = 'SCOPE.DC-MEMBERS.MANAGE-BADGES';
export const READ_SCOPE = 'SCOPE.DC-MEMBERS.READ-BADGES';

export function serverBinary() {
  const bin = process.env.INSIGNIA_BIN
    ? path.resolve(process.env.INSIGNIA_BIN)
    : path.resolve(HERE, '../../target/debug/insignia');
  if (!existsSync(bin)) {
    throw new Error(`Insignia binary not found at ${bin}: run \`cargo build\` or set INSIGNIA_BIN`);
  }
  return bin;
}

/** A free TCP port on 127.0.0.1 (listen on port 0, read the port, close). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export function runCli(bin, args) {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: 60_000, env: process.env }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`insignia ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      } else {
        resolve(stdout);
      }
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Rewrites the SDK's https:// URLs to http:// and records each call for diagnostics. */
function recordingFetch(wire) {
  return async (url, init) => {
    const httpUrl = String(url).replace(/^https:/, 'http:');
    const entry = { method: init?.method ?? 'GET', url: httpUrl, body: init?.body, status: undefined };
    wire.push(entry);
    if (wire.length > 50) wire.shift();
    const res = await fetch(httpUrl, init);
    entry.status = res.status;
    return res;
  };
}

/**
 * Starts `insignia serve` on a free port with a fresh database and waits for /healthz.
 * `args` are added to `serve`'s own. Returns a server handle; call `stop()` when done.
 */
export async function startServer({ args = [], ...options } = {}) {
  const bin = serverBinary();
  let tmp = null;
  let databaseUrl = options.databaseUrl ?? process.env.INSIGNIA_SDK_DATABASE_URL;
  if (!databaseUrl) {
    tmp = mkdtempSync(path.join(tmpdir(), 'insignia-sdk-'));
    const dbFile = path.join(tmp, 'insignia.db');
    writeFileSync(dbFile, ''); // an empty file is an empty SQLite database
    databaseUrl = `sqlite://${dbFile}`;
  }
  const port = await freePort();
  const listen = `127.0.0.1:${port}`;
  const child = spawn(bin, ['serve', '--listen', listen, '--database', databaseUrl, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...(options.env ?? {}) },
  });
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-20_000);
    if (process.env.INSIGNIA_SDK_VERBOSE) process.stderr.write(chunk);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = null;
  const exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
  });
  const killOnExit = () => {
    if (!exited) child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);

  const baseUrl = `http://${listen}`;
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      if (exited) {
        throw new Error(`insignia serve exited early (${JSON.stringify(exited)}):\n${output}`);
      }
      try {
        const res = await fetch(`${baseUrl}/healthz`);
        await res.arrayBuffer();
        if (res.status === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`insignia serve did not answer ${baseUrl}/healthz with 200 in 60 s:\n${output}`);
      }
      await sleep(100);
    }
  } catch (err) {
    process.off('exit', killOnExit);
    if (!exited) child.kill('SIGKILL');
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    throw err;
  }

  const server = {
    bin,
    port,
    baseUrl,
    apiBaseUrl: listen,
    databaseUrl,
    output: () => output,

    /** `insignia keys create`: returns the new key (stdout, trimmed). */
    async createKey(siteId, scope = MANAGE_SCOPE) {
      const stdout = await runCli(bin, ['keys', 'create', '--site', siteId, '--scope', scope, '--database', databaseUrl]);
      const key = stdout.trim();
      assert.ok(key.length > 0 && !/\s/.test(key), `keys create printed an unexpected key: ${JSON.stringify(stdout)}`);
      return key;
    },

    /** `insignia clients create`: returns the new front-end client id (stdout, trimmed). */
    async createFrontEndClient(siteId, origins = []) {
      const originArgs = origins.flatMap((o) => ['--origin', o]);
      const stdout = await runCli(bin, ['clients', 'create', '--site', siteId, ...originArgs, '--database', databaseUrl]);
      const id = stdout.trim();
      assert.match(id, GUID_RE, `clients create printed an unexpected id: ${JSON.stringify(stdout)}`);
      return id;
    },

    /** An SDK client; `wire` receives a record of each HTTP call it makes. */
    client({ apiKey, siteId }, wire = []) {
      const client = createClient({
        modules: { badgesV2, badgeAssignments, badges },
        auth: ApiKeyStrategy({ apiKey, siteId }),
        host: { apiBaseUrl: listen },
        fetch: recordingFetch(wire),
      });
      return client;
    },

    /**
     * A fresh site (random GUID) with a manage key and a read-only key, and clients for both.
     */
    async newSite() {
      const siteId = randomUUID();
      const apiKey = await server.createKey(siteId, MANAGE_SCOPE);
      const readKey = await server.createKey(siteId, READ_SCOPE);
      const wire = [];
      return {
        siteId,
        apiKey,
        readKey,
        wire,
        client: server.client({ apiKey, siteId }, wire),
        readClient: server.client({ apiKey: readKey, siteId }, wire),
      };
    },

    /** Ends the server at once (SIGKILL), as a crash would. */
    async kill() {
      process.off('exit', killOnExit);
      if (!exited) {
        child.kill('SIGKILL');
        await exitPromise;
      }
    },

    async stop() {
      process.off('exit', killOnExit);
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exitPromise;
        clearTimeout(timer);
      }
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    },
  };
  return server;
}

// ---------------------------------------------------------------------------
// Assertions

/** Awaits `promise`, which must reject; returns the error. */
export async function rejects(promise, what = 'the call') {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail(`${what} succeeded but was expected to fail`);
}

function describeError(err) {
  return JSON.stringify({ status: err?.status, details: err?.details, message: err?.message?.slice?.(0, 500) });
}

/**
 * Asserts the SDK error carries `status` and an applicationError whose code is `code`
 * (a string, or a RegExp for a family of codes). Returns the error.
 */
export function assertAppError(err, status, code) {
  assert.ok(err && typeof err === 'object', `expected an SDK error, got ${String(err)}`);
  assert.equal(err.status, status, `HTTP status; error was ${describeError(err)}`);
  const appCode = err.details?.applicationError?.code;
  assert.equal(typeof appCode, 'string', `details.applicationError.code must be a string; error was ${describeError(err)}`);
  if (code instanceof RegExp) {
    assert.match(appCode, code, `applicationError.code; error was ${describeError(err)}`);
  } else {
    assert.equal(appCode, code, `applicationError.code; error was ${describeError(err)}`);
  }
  return err;
}

export async function expectAppError(promise, status, code) {
  const err = await rejects(promise);
  return assertAppError(err, status, code);
}

export const NOT_FOUND = /(^|_)NOT_FOUND$/;

export async function expectNotFound(promise) {
  return expectAppError(promise, 404, NOT_FOUND);
}

export async function expectForbidden(promise) {
  return expectAppError(promise, 403, 'PERMISSION_DENIED');
}

/**
 * A 400 for bad input. The spec allows two body forms: an applicationError with code
 * INVALID_ARGUMENT, or a validationError whose fieldViolations name the field. When
 * `fieldPart` is given and the server sent a validationError, one violation's `field`
 * must contain it.
 */
export async function expectInvalid(promise, fieldPart) {
  const err = await rejects(promise);
  assert.equal(err.status, 400, `HTTP status; error was ${describeError(err)}`);
  const violations = err.details?.validationError?.fieldViolations;
  if (violations) {
    assert.ok(Array.isArray(violations) && violations.length > 0, `fieldViolations must be a non-empty array; error was ${describeError(err)}`);
    if (fieldPart) {
      assert.ok(
        violations.some((v) => typeof v.field === 'string' && v.field.includes(fieldPart)),
        `a field violation must name ${fieldPart}; error was ${describeError(err)}`,
      );
    }
    for (const v of violations) {
      assert.equal(typeof v.description, 'string', 'fieldViolations[].description');
    }
  } else {
    assert.equal(err.details?.applicationError?.code, 'INVALID_ARGUMENT', `applicationError.code; error was ${describeError(err)}`);
  }
  return err;
}

// ---------------------------------------------------------------------------
// Value checks

export const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function assertGuid(value, what = 'id') {
  assert.equal(typeof value, 'string', `${what} must be a string`);
  assert.match(value, GUID_RE, `${what} must be a GUID`);
}

/** A Date produced by the SDK from the server's timestamp, close to now. */
export function assertRecentDate(value, what = 'date', { before = Date.now() + 60_000, after = Date.now() - 10 * 60_000 } = {}) {
  assert.ok(value instanceof Date, `${what} must be a Date (SDK converts RFC 3339 strings), got ${String(value)}`);
  assert.ok(!Number.isNaN(value.getTime()), `${what} must be a valid date`);
  assert.ok(value.getTime() <= before && value.getTime() >= after, `${what} ${value.toISOString()} is not close to now`);
}

export function assertRevision(value, expected) {
  assert.equal(typeof value, 'string', `revision must be an int64 string, got ${JSON.stringify(value)}`);
  assert.match(value, /^[0-9]+$/, 'revision must be decimal digits');
  if (expected !== undefined) assert.equal(value, String(expected), 'revision');
}

/** Creates `n` V4 badges titled `${prefix} 01`, `${prefix} 02`, … in order; returns them. */
export async function createV4Badges(client, n, prefix = 'Badge') {
  const out = [];
  for (let i = 1; i <= n; i++) {
    out.push(
      await client.badgesV2.createBadge({
        title: `${prefix} ${String(i).padStart(2, '0')}`,
        backgroundColor: '#112233',
        textColor: '#FFFFFF',
      }),
    );
  }
  return out;
}

export const randomId = () => randomUUID();
export const sortStrings = (arr) => [...arr].sort();
